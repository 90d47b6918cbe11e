"""The group's physical estate and staff: sites, theatres, wards with rooms, surgeons."""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import ascii_uppercase

from bascule.domain.sites import GenderPolicy, OperatingTheatre, Room, Site, Ward
from bascule.domain.staff import Surgeon
from bascule.synth import sites_data as s
from bascule.synth.clinical import draw_phone
from bascule.synth.sites_data import SATURDAY_MINUTES, SITE_SPECS, SiteSpec, TheatreSpec
from bascule.synth.weighted import Picker
from bascule.synth.wordlists import family_names, given_names

SATURDAY = 5
_SINGLE_ROOM_SHARE = 0.45
"""Private clinics offer many single rooms; the rest are doubles."""
_BAY_BEDS = 4
_TWO_SITE_SHARE = 0.12
"""Surgeons who also operate at a neighbouring site of the group."""
_SESSIONS_PER_SURGEON = 4
"""Half-day sessions a surgeon of the group covers in a week, on average, with some slack."""


@dataclass(frozen=True, slots=True)
class Estate:
    """Everything about the group except its patients.

    ``rota`` says, for each surgeon, on which weekdays (0 = Monday) they operate and at which
    site: the booked lists are built from it, so no surgeon is at two sites on one day.
    """

    sites: tuple[Site, ...]
    theatres: tuple[OperatingTheatre, ...]
    wards: tuple[Ward, ...]
    surgeons: tuple[Surgeon, ...]
    rota: Mapping[str, Mapping[int, str]]

    @property
    def beds(self) -> int:
        """Total beds over all sites."""
        return sum(ward.bed_count for ward in self.wards)


def _theatre(rng: random.Random, site_id: str, number: int, spec: TheatreSpec) -> OperatingTheatre:
    long_day = spec.weekday_minutes + (60 if rng.random() < 0.2 else 0)
    friday = spec.weekday_minutes - (60 if rng.random() < 0.3 else 0)
    saturday = SATURDAY_MINUTES if spec.saturday else 0
    return OperatingTheatre(
        id=f"{site_id}-salle-{number:02d}",
        site_id=site_id,
        name=f"Salle {number}",
        opening_minutes=(long_day, long_day, long_day, long_day, friday, saturday, 0),
        specialties=spec.specialties,
    )


def _rooms(rng: random.Random, specialty: str, floor: int, beds: int) -> tuple[Room, ...]:
    """Rooms holding exactly ``beds`` beds: bays in day surgery, singles in continuing care."""
    rooms: list[Room] = []
    left = beds
    while left > 0:
        number = f"{floor}{len(rooms) + 1:02d}"
        if specialty == s.AMBULATORY:
            size, policy, label = min(_BAY_BEDS, left), GenderPolicy.MIXED, "Box"
        elif specialty == s.CRITICAL_CARE or left == 1 or rng.random() < _SINGLE_ROOM_SHARE:
            size, policy, label = 1, GenderPolicy.SINGLE, "Chambre"
        else:
            size, policy, label = 2, GenderPolicy.SAME_GENDER, "Chambre"
        rooms.append(
            Room(
                id=number,
                name=f"{label} {number}",
                beds=tuple(ascii_uppercase[:size]),
                gender_policy=policy,
            )
        )
        left -= size
    return tuple(rooms)


def _wards(rng: random.Random, spec: SiteSpec) -> list[Ward]:
    return [
        Ward(
            id=f"{spec.id}-{specialty}",
            site_id=spec.id,
            name=s.WARD_NAMES[specialty],
            specialty=specialty,
            rooms=_rooms(rng, specialty, floor, beds),
        )
        for floor, (specialty, beds) in enumerate(spec.ward_beds, start=1)
    ]


def _weekly_sessions(spec: SiteSpec, specialty: str) -> float:
    """Half-day sessions per week that theatres of ``spec`` offer to ``specialty``."""
    return sum(
        (10 + (1 if theatre.saturday else 0)) / len(theatre.specialties)
        for theatre in spec.theatres
        if specialty in theatre.specialties
    )


@dataclass(slots=True)
class _Rostered:
    surgeon: Surgeon
    days: dict[int, str]


def _surgeon(rng: random.Random, number: int, specialty: str, site_ids: tuple[str, ...]) -> Surgeon:
    sex = "F" if rng.random() < 0.38 else "M"
    return Surgeon(
        id=f"chir-{number:03d}",
        family_name=family_names().pick(rng),
        given_name=given_names(sex, rng.randint(1958, 1992)).pick(rng),
        specialty=specialty,
        site_ids=site_ids,
        max_daily_minutes=rng.randrange(420, 601, 30),
        phone=draw_phone(rng),
    )


def _team(
    rng: random.Random, spec: SiteSpec, specialty: str, first_number: int, specs: Sequence[SiteSpec]
) -> list[_Rostered]:
    """The surgeons of one specialty whose main site is ``spec``, with their weekly rota.

    Weekdays are handed out in turn so that every weekday is covered about equally.
    """
    size = math.ceil(_weekly_sessions(spec, specialty) / _SESSIONS_PER_SURGEON) + 1
    saturday = any(t.saturday and specialty in t.specialties for t in spec.theatres)
    by_id = {other.id: other for other in specs}
    neighbours = [
        (site_id, weight)
        for site_id, weight in spec.neighbours
        if specialty in by_id[site_id].specialties
    ]
    neighbour_picker = (
        Picker([site_id for site_id, _ in neighbours], [weight for _, weight in neighbours])
        if neighbours
        else None
    )
    team = []
    weekday = rng.randrange(5)
    for offset in range(size):
        count = rng.choice((2, 3, 3, 4))
        days = {(weekday + step) % 5: spec.id for step in range(count)}
        weekday = (weekday + count) % 5
        if saturday and (offset == 0 or rng.random() < 0.3):
            days[SATURDAY] = spec.id
        site_ids: tuple[str, ...] = (spec.id,)
        if neighbour_picker is not None and rng.random() < _TWO_SITE_SHARE:
            other = neighbour_picker.pick(rng)
            days[max(d for d in days if d != SATURDAY)] = other
            site_ids = (spec.id, other)
        surgeon = _surgeon(rng, first_number + offset, specialty, site_ids)
        team.append(_Rostered(surgeon, days))
    _cover_every_weekday(team, spec.id)
    for member in team:
        member.days = dict(sorted(member.days.items()))
    return team


def _cover_every_weekday(team: list[_Rostered], site_id: str) -> None:
    """Give a weekday nobody works at ``site_id`` (lent to a neighbour) to the least busy."""
    for weekday in range(5):
        if not any(member.days.get(weekday) == site_id for member in team):
            free = [member for member in team if weekday not in member.days]
            if free:
                min(free, key=lambda member: len(member.days)).days[weekday] = site_id


def build_estate(seed: int, specs: Sequence[SiteSpec] = SITE_SPECS) -> Estate:
    """Sites, theatres, wards and surgeons of the group for ``seed``."""
    rng = random.Random(f"bascule-synth:{seed}:estate")
    sites: list[Site] = []
    theatres: list[OperatingTheatre] = []
    wards: list[Ward] = []
    rostered: list[_Rostered] = []
    for spec in specs:
        sites.append(
            Site(spec.id, spec.name, spec.city, spec.latitude, spec.longitude, spec.specialties)
        )
        theatres.extend(
            _theatre(rng, spec.id, number, theatre)
            for number, theatre in enumerate(spec.theatres, start=1)
        )
        wards.extend(_wards(rng, spec))
        for specialty in spec.specialties:
            rostered.extend(_team(rng, spec, specialty, len(rostered) + 1, specs))
    return Estate(
        sites=tuple(sites),
        theatres=tuple(theatres),
        wards=tuple(wards),
        surgeons=tuple(r.surgeon for r in rostered),
        rota={r.surgeon.id: r.days for r in rostered},
    )
