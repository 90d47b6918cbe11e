"""Current inpatients: about 85 % of each site's beds, filled as room gender rules allow."""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from bascule.domain.patients import Sex
from bascule.domain.sites import GenderPolicy, Room, Ward
from bascule.domain.stays import Stay
from bascule.synth import sites_data as s
from bascule.synth.estate import Estate
from bascule.synth.people import patient_id
from bascule.synth.pools import PatientPools

OCCUPANCY = (0.83, 0.87)
"""Each site's share of occupied beds is drawn in this range."""


@dataclass(frozen=True, slots=True)
class _WardProfile:
    female_share: float
    bands: tuple[float, float, float, float, float]
    median_hours_in: float
    """How long current inpatients have been there (median of a lognormal)."""
    hours_left: tuple[float, float]
    """Range of the time until expected discharge."""
    weight: float = 1.0
    """Relative chance that a bed of the ward is occupied: medicine runs fuller."""


_SURGICAL = _WardProfile(0.5, (0.2, 3, 5, 6, 3), 60, (24, 144))
_PROFILES: dict[str, _WardProfile] = {
    s.MEDICINE: _WardProfile(0.55, (0, 1, 3, 6, 7), 96, (24, 240), weight=1.6),
    s.CRITICAL_CARE: _WardProfile(0.4, (0, 1, 4, 6, 3), 48, (24, 96), weight=1.3),
    s.AMBULATORY: _WardProfile(0.5, (1, 5, 6, 4, 1), 3, (1, 8), weight=0.8),
    s.GYNAECOLOGY: _WardProfile(1.0, (0, 6, 5, 3, 1), 48, (24, 96)),
    s.UROLOGY: _WardProfile(0.25, (0, 1, 4, 6, 3), 48, (24, 120)),
    s.ENT: _WardProfile(0.45, (2, 4, 4, 3, 1), 36, (24, 72)),
    s.ORTHO: _WardProfile(0.55, (0.3, 3, 4, 6, 5), 72, (24, 144)),
    s.CARDIAC: _WardProfile(0.3, (0, 0.5, 3, 6, 3), 120, (48, 192)),
    s.VASCULAR: _WardProfile(0.35, (0, 1, 4, 6, 3), 72, (24, 144)),
    s.PLASTIC: _WardProfile(0.8, (0, 5, 5, 2, 0.5), 36, (24, 96)),
}


def _profile(ward: Ward) -> _WardProfile:
    return _PROFILES.get(ward.specialty, _SURGICAL)


def _occupied_beds(rng: random.Random, wards: Sequence[Ward]) -> list[tuple[Ward, Room, str]]:
    """The beds to fill, drawn without replacement, medicine and critical care first."""
    beds = [(ward, room, label) for ward in wards for room in ward.rooms for label in room.beds]
    wanted = round(len(beds) * rng.uniform(*OCCUPANCY))
    # Weighted sampling without replacement (Efraimidis-Spirakis): keep the largest keys.
    keys = [rng.random() ** (1.0 / _profile(ward).weight) for ward, _, _ in beds]
    chosen = sorted(sorted(range(len(beds)), key=lambda i: keys[i], reverse=True)[:wanted])
    return [beds[i] for i in chosen]


def _sex(rng: random.Random, female_share: float) -> Sex:
    return Sex.FEMALE if rng.random() < female_share else Sex.MALE


def _moments(rng: random.Random, profile: _WardProfile, now: datetime) -> tuple[datetime, datetime]:
    """Admission in the past and expected discharge in the future, on a five-minute grid."""
    hours_in = profile.median_hours_in * math.exp(rng.gauss(0.0, 0.6))
    hours_in = min(max(hours_in, 0.5), profile.median_hours_in * 5)
    hours_left = rng.uniform(*profile.hours_left)
    return (
        now - timedelta(minutes=5 * round(hours_in * 12)),
        now + timedelta(minutes=5 * round(hours_left * 12)),
    )


def admit_inpatients(seed: int, estate: Estate, pools: PatientPools, now: datetime) -> list[Stay]:
    """The current stays of every site at ``now``.

    A same-gender room holds people of one sex; when a site runs out of patients of the
    wanted kind (tiny patient indexes), the bed stays empty.
    """
    rng = random.Random(f"bascule-synth:{seed}:stays")
    stays: list[Stay] = []
    for site in estate.sites:
        wards = [ward for ward in estate.wards if ward.site_id == site.id]
        occupied = _occupied_beds(rng, wards)
        for (ward, room), beds in groupby(occupied, key=lambda bed: (bed[0], bed[1])):
            profile = _profile(ward)
            same_gender = room.gender_policy is GenderPolicy.SAME_GENDER
            room_sex: Sex | None = None
            for _, _, label in beds:
                sex = room_sex or _sex(rng, profile.female_share)
                index = pools.draw(rng, site.id, sex, profile.bands, reuse=False)
                if index is None and room_sex is None and profile.female_share not in (0, 1):
                    sex = Sex.MALE if sex is Sex.FEMALE else Sex.FEMALE
                    index = pools.draw(rng, site.id, sex, profile.bands, reuse=False)
                if index is None:
                    continue
                if same_gender:
                    room_sex = sex
                admitted, discharge = _moments(rng, profile, now)
                stays.append(
                    Stay(
                        id=f"S{len(stays) + 1:07d}",
                        patient_id=patient_id(index),
                        site_id=site.id,
                        ward_id=ward.id,
                        room_id=room.id,
                        bed=label,
                        admitted_at=admitted,
                        expected_discharge=discharge,
                    )
                )
    return stays
