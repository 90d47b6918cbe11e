"""The synthetic patient index: people, the sites that know them, and their identifiers.

Patients are generated in fixed chunks, each from its own random stream derived from the
seed, so a chunk can be produced without the ones before it (and its content does not
depend on how the work is scheduled). NIRs are made unique afterwards by
:class:`NirLedger`, which the writer consults in index order.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bascule.domain.patients import IdentityStatus, Patient
from bascule.synth.clinical import draw_essentials
from bascule.synth.contact import draw_contact
from bascule.synth.identity import birthplace_picker, draw_identity, nir_for
from bascule.synth.sites_data import SITE_SPECS, SiteSpec
from bascule.synth.weighted import Picker
from bascule.synth.wordlists import Birthplace

CHUNK = 10_000
"""Patients per random stream; changing it changes every generated group."""

_SECOND_SITE_SHARE = 0.15
_THIRD_SITE_SHARE = 0.02
_IPP_MULTIPLIER = 7_919_993
"""Odd and not a multiple of 5, so index -> index * m mod 10^8 is one-to-one: IPPs look
scattered, as they do after years of registrations, and stay unique per site."""


def patient_id(index: int) -> str:
    """The group-wide identifier of patient number ``index``."""
    return f"P{index:07d}"


def local_id(site: SiteSpec, index: int) -> str:
    """The IPP that ``site`` gave patient number ``index``."""
    salt = int(site.ipp_prefix) * 12_345_701
    return f"{site.ipp_prefix}{(index * _IPP_MULTIPLIER + salt) % 100_000_000:08d}"


@dataclass(frozen=True, slots=True)
class _Catchment:
    """Per-site pickers, built once per chunk."""

    home: Picker[SiteSpec]
    neighbours: dict[str, Picker[SiteSpec]]
    birthplaces: dict[str, Picker[Picker[Birthplace]]]

    @classmethod
    def build(cls, specs: Sequence[SiteSpec]) -> "_Catchment":
        by_id = {spec.id: spec for spec in specs}
        return cls(
            home=Picker(list(specs), [spec.patient_share for spec in specs]),
            neighbours={
                spec.id: Picker(
                    [by_id[n] for n, _ in spec.neighbours], [w for _, w in spec.neighbours]
                )
                for spec in specs
            },
            birthplaces={spec.id: birthplace_picker(spec) for spec in specs},
        )


def _sites_of(rng: random.Random, catchment: _Catchment) -> list[SiteSpec]:
    """The patient's main site first, then the other sites that have seen them."""
    home = catchment.home.pick(rng)
    sites = [home]
    roll = rng.random()
    if roll < _SECOND_SITE_SHARE + _THIRD_SITE_SHARE:
        wanted = 3 if roll < _THIRD_SITE_SHARE else 2
        for other in catchment.neighbours[home.id].pick_distinct(rng, wanted - 1):
            if other not in sites:
                sites.append(other)
    return sites


def patient_chunk(
    seed: int, chunk: int, count: int, today: date, specs: Sequence[SiteSpec] = SITE_SPECS
) -> list[tuple[str, Patient]]:
    """Patients ``chunk * CHUNK + 1`` onwards (``count`` of them), each with their main site."""
    rng = random.Random(f"bascule-synth:{seed}:patients:{chunk}")
    catchment = _Catchment.build(specs)
    patients = []
    for index in range(chunk * CHUNK + 1, chunk * CHUNK + 1 + count):
        sites = _sites_of(rng, catchment)
        identity = draw_identity(rng, today, catchment.birthplaces[sites[0].id])
        age = (today - identity.birth_date).days // 365
        patients.append(
            (
                sites[0].id,
                Patient(
                    id=patient_id(index),
                    identity=identity,
                    local_ids=tuple(sorted((site.id, local_id(site, index)) for site in sites)),
                    essentials=draw_essentials(rng, identity.sex, age),
                    # Drawn from their own stream, so that the rest of the index is the
                    # same as before contact details were drawn.
                    contact=draw_contact(
                        random.Random(f"bascule-synth:{seed}:contact:{index}"), sites[0], identity
                    ),
                ),
            )
        )
    return patients


def chunk_sizes(count: int) -> list[int]:
    """How many patients each chunk holds for an index of ``count`` people."""
    full, rest = divmod(count, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


class NirLedger:
    """Keeps NIRs unique across the index, as the national register does.

    Two synthetic people born the same month in the same commune can draw the same order
    number; the later one gets the next free order number instead.
    """

    def __init__(self) -> None:
        self._issued: set[str] = set()

    def take(self, nir: str) -> bool:
        """Record ``nir`` as issued; False if someone already has it."""
        if nir in self._issued:
            return False
        self._issued.add(nir)
        return True

    def reissue(self, patient: Patient) -> Patient:
        """``patient`` with the next free order number in their NIR (taken at once)."""
        identity = patient.identity
        nir = identity.nir
        if nir is None or self.take(nir):
            return patient
        for step in range(1, 1000):
            order = (int(nir[10:13]) - 1 + step) % 999 + 1
            candidate = nir_for(
                identity.sex, identity.birth_date, identity.birth_place_insee, order
            )
            if self.take(candidate):
                return replace(patient, identity=replace(identity, nir=candidate))
        # 999 people of one sex born the same month in one commune: leave this one without.
        unqualified = replace(identity, nir=None, status=IdentityStatus.VALIDATED)
        return replace(patient, identity=unqualified)
