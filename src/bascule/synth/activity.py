"""The last month's outpatient activity and the surgeons' on-call roster.

Visits decide which patients a site's continuity kit must carry in full (everyone seen
there in the last 30 days); the roster gives each site its on-call list.
"""

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from bascule.domain.activity import OnCallShift, Visit, VisitKind
from bascule.domain.patients import Sex
from bascule.synth.estate import Estate
from bascule.synth.people import patient_id
from bascule.synth.pools import PatientPools

DAYS_BACK = 30
# Visits per day for each patient a site knows: a site knowing 150,000 people sees about
# 300 in consultation on a working day, 90 at the emergency desk every day, and so on.
_DAILY_RATE: dict[VisitKind, float] = {
    VisitKind.CONSULTATION: 0.0020,
    VisitKind.EMERGENCY: 0.0006,
    VisitKind.DAY_HOSPITAL: 0.0003,
    VisitKind.IMAGING: 0.0003,
    VisitKind.LABORATORY: 0.0002,
}
_EVERY_DAY = frozenset({VisitKind.EMERGENCY})
# Age bands (children … very old) of who comes for each kind of visit.
_BANDS: dict[VisitKind, tuple[float, ...]] = {
    VisitKind.CONSULTATION: (1, 4, 5, 5, 2),
    VisitKind.EMERGENCY: (3, 5, 4, 4, 4),
    VisitKind.DAY_HOSPITAL: (0.5, 2, 4, 5, 2),
    VisitKind.IMAGING: (1, 4, 5, 4, 2),
    VisitKind.LABORATORY: (1, 3, 5, 5, 3),
}


def _site_specialties(estate: Estate, site_id: str) -> list[str]:
    return sorted({s for t in estate.theatres if t.site_id == site_id for s in t.specialties})


def _moment(rng: random.Random, day: date, kind: VisitKind) -> datetime:
    if kind is VisitKind.EMERGENCY:
        minute = rng.randrange(24 * 60)
    else:
        minute = rng.randrange(8 * 60, 18 * 60)
    return datetime.combine(day, time(minute // 60, minute % 60), UTC)


def record_visits(seed: int, estate: Estate, pools: PatientPools, now: datetime) -> list[Visit]:
    """Visits of the last 30 days at every site, before ``now``."""
    rng = random.Random(f"bascule-synth:{seed}:visits")
    visits: list[Visit] = []
    today = now.date()
    for site in estate.sites:
        known = pools.size(site.id)
        specialties = _site_specialties(estate, site.id) or ["medicine"]
        for back in range(DAYS_BACK, 0, -1):
            day = today - timedelta(days=back)
            for kind, rate in _DAILY_RATE.items():
                if day.weekday() >= 5 and kind not in _EVERY_DAY:
                    continue
                for _ in range(round(known * rate * rng.uniform(0.8, 1.2))):
                    sex = Sex.FEMALE if rng.random() < 0.53 else Sex.MALE
                    index = pools.draw(rng, site.id, sex, _BANDS[kind], reuse=True)
                    if index is None:
                        continue
                    visits.append(
                        Visit(
                            id=f"V{len(visits) + 1:08d}",
                            patient_id=patient_id(index),
                            site_id=site.id,
                            at=_moment(rng, day, kind),
                            kind=kind,
                            specialty=rng.choice(specialties),
                        )
                    )
    return visits


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def on_call_roster(estate: Estate, first: date, last: date) -> list[OnCallShift]:
    """One surgeon on call per specialty and day at each site, taking turns."""
    shifts = []
    for site in estate.sites:
        for specialty in _site_specialties(estate, site.id):
            team = sorted(
                s.id for s in estate.surgeons if s.specialty == specialty and site.id in s.site_ids
            )
            if not team:
                continue
            for number, day in enumerate(_days(first, last)):
                shifts.append(OnCallShift(site.id, day, specialty, team[number % len(team)]))
    return shifts
