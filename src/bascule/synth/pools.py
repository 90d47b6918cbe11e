"""Who can fill a bed or a theatre slot: each site's patients by sex and age band."""

import random
from collections.abc import Iterable, Sequence

from bascule.domain.patients import Sex

AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 17), (18, 44), (45, 64), (65, 79), (80, 150))
"""Children, young adults, middle age, the elderly, the very old (first and last age)."""


def age_band(age: int) -> int:
    """Index in :data:`AGE_BANDS` of someone aged ``age``."""
    for index, (_, last) in enumerate(AGE_BANDS):
        if age <= last:
            return index
    return len(AGE_BANDS) - 1


class PatientPools:
    """The patients each site knows, to draw from without reusing anyone while it can.

    Patients are plain indices into the patient index; a patient known at two sites sits in
    both sites' buckets, and ``used`` keeps them from being drawn twice across sites.
    """

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, Sex, int], list[int]] = {}
        self._cursors: dict[tuple[str, Sex, int], int] = {}
        self.used: set[int] = set()

    def add(self, index: int, sex: Sex, band: int, site_ids: Iterable[str]) -> None:
        """Make patient ``index`` available at each of ``site_ids``."""
        for site_id in site_ids:
            self._buckets.setdefault((site_id, sex, band), []).append(index)

    def shuffle(self, rng: random.Random) -> None:
        """Shuffle every bucket once so that drawing in order is drawing at random."""
        for key in sorted(self._buckets):
            rng.shuffle(self._buckets[key])
            self._cursors[key] = 0

    def size(self, site_id: str) -> int:
        """Number of patients known at ``site_id``."""
        return sum(len(v) for (site, _, _), v in self._buckets.items() if site == site_id)

    def draw(
        self,
        rng: random.Random,
        site_id: str,
        sex: Sex,
        band_weights: Sequence[float],
        *,
        reuse: bool,
    ) -> int | None:
        """A patient of ``site_id`` of ``sex``, in an age band drawn by ``band_weights``.

        Someone not drawn before if there is anyone left in a wanted band; otherwise, with
        ``reuse``, anyone of that site, sex and band (a patient may have two operations),
        and without it None.
        """
        bands = [b for b, weight in enumerate(band_weights) if weight > 0]
        while bands:
            band = rng.choices(bands, [band_weights[b] for b in bands])[0]
            found = self._next_unused((site_id, sex, band))
            if found is not None:
                self.used.add(found)
                return found
            bands.remove(band)
        if not reuse:
            return None
        known = [
            (b, self._buckets.get((site_id, sex, b), [])) for b, w in enumerate(band_weights) if w
        ]
        known = [(b, bucket) for b, bucket in known if bucket]
        if not known:
            return None
        _, bucket = rng.choices(known, [band_weights[b] for b, _ in known])[0]
        return bucket[rng.randrange(len(bucket))]

    def _next_unused(self, key: tuple[str, Sex, int]) -> int | None:
        bucket = self._buckets.get(key)
        if not bucket:
            return None
        cursor = self._cursors.get(key, 0)
        while cursor < len(bucket) and bucket[cursor] in self.used:
            cursor += 1
        self._cursors[key] = cursor + 1
        return bucket[cursor] if cursor < len(bucket) else None
