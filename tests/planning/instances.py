"""Random re-planning problems for property tests, and a seeded large one for timing.

``problems()`` is a Hypothesis strategy (small instances that shrink well); ``random_problem``
builds the same kind of instance from a seed at any size. Both go through ``build_problem``,
which draws every choice from a ``Chooser`` so the two cannot drift apart.

What an instance guarantees, so that every solver can be held to "no hard violation":
bookings are within the horizon, on or after release, in an open theatre of the case's site
that takes its specialty; frozen cases are booked on undisrupted theatre-days and fit together
(theatre minutes, their named surgeon's day, beds). Nothing else is promised: a booked plan may
well exceed what the disruption leaves, and some cases cannot be operated anywhere.
"""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Protocol, TypeVar

from hypothesis import strategies as st

from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre, Site
from bascule.domain.staff import Surgeon
from bascule.planning.problem import BedPool, Disruption, Problem, Weights

T = TypeVar("T")

BRITTANY = (
    ("rennes", "Rennes", 48.1147, -1.6794),
    ("brest", "Brest", 48.3904, -4.4861),
    ("quimper", "Quimper", 47.9960, -4.1020),
    ("vannes", "Vannes", 47.6582, -2.7608),
    ("saint-brieuc", "Saint-Brieuc", 48.5141, -2.7603),
    ("lorient", "Lorient", 47.7483, -3.3700),
    ("saint-malo", "Saint-Malo", 48.6493, -2.0257),
    ("lannion", "Lannion", 48.7326, -3.4566),
)
SPECIALTIES = ("orthopaedics", "visceral", "urology", "ophthalmology")
WEEKS = (
    (480, 480, 480, 480, 480, 0, 0),
    (600, 600, 600, 600, 600, 240, 0),
    (480, 480, 480, 480, 240, 0, 0),
    (0, 480, 0, 480, 480, 0, 0),
    (240, 240, 240, 240, 240, 240, 240),
)
MONDAY = date(2025, 3, 3)


class Chooser(Protocol):
    """Where an instance's random choices come from."""

    def integer(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        ...

    def pick(self, options: Sequence[T]) -> T:
        """One of ``options``."""
        ...


@dataclass
class Drawn:
    """Choices drawn by Hypothesis (they shrink towards the first option and the low end)."""

    draw: st.DrawFn

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def pick(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))


@dataclass
class Seeded:
    """Choices from a seeded pseudo-random generator."""

    rng: random.Random

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)


@dataclass(frozen=True)
class Sizes:
    """Ranges (both ends included) of an instance's dimensions."""

    sites: tuple[int, int] = (2, 3)
    theatres: tuple[int, int] = (1, 3)
    """Per site."""
    surgeons: tuple[int, int] = (1, 3)
    """Per site."""
    cases: tuple[int, int] = (5, 25)
    days: tuple[int, int] = (2, 8)


def problems(sizes: Sizes = Sizes()) -> st.SearchStrategy[Problem]:
    """Small random problems (2–3 Breton sites, 5–25 cases by default)."""

    @st.composite
    def strategy(draw: st.DrawFn) -> Problem:
        return build_problem(Drawn(draw), sizes)

    return strategy()


def random_problem(seed: int, sizes: Sizes) -> Problem:
    """A problem drawn from ``seed``, of any size (e.g. thousands of cases for timing)."""
    return build_problem(Seeded(random.Random(seed)), sizes)


def build_problem(choose: Chooser, sizes: Sizes) -> Problem:
    """One instance with every choice taken from ``choose`` (see the module docstring)."""
    start = MONDAY + timedelta(days=choose.integer(0, 6))
    days = choose.integer(*sizes.days)
    count = choose.integer(*sizes.sites)
    first = choose.integer(0, len(BRITTANY) - count)
    sites = tuple(
        Site(site_id, f"Clinique de {city}", city, latitude, longitude)
        for site_id, city, latitude, longitude in BRITTANY[first : first + count]
    )
    theatres = tuple(
        OperatingTheatre(
            f"{site.id}-or{number}",
            site.id,
            f"Bloc {number}",
            choose.pick(WEEKS),
            _specialties(choose),
        )
        for site in sites
        for number in range(1, choose.integer(*sizes.theatres) + 1)
    )
    offered = {
        site.id: sorted(
            {s for t in theatres if t.site_id == site.id for s in t.specialties or SPECIALTIES}
        )
        for site in sites
    }
    surgeons = tuple(
        Surgeon(
            f"s-{site.id}-{number}",
            f"Le Bihan-{number}",
            "Anne",
            choose.pick(offered[site.id]),
            _surgeon_sites(choose, site.id, sites),
            choose.pick((480, 240, 600)),
        )
        for site in sites
        for number in range(1, choose.integer(*sizes.surgeons) + 1)
    )
    problem = Problem(
        start=start,
        days=days,
        sites=sites,
        theatres=theatres,
        surgeons=surgeons,
        cases=(),
        disruptions=_disruptions(choose, start, days, sites, theatres),
        max_overtime_minutes=choose.pick((0, 0, 30, 60)),
        weights=choose.pick((None, Weights())),
        redirect_sites=choose.integer(1, 2),
    )
    cases = _cases(choose, problem, offered, choose.integer(*sizes.cases))
    beds = choose.integer(0, 1) == 1
    problem = replace(
        problem,
        cases=cases,
        length_of_stay=({case.id: choose.pick((0, 0, 1, 2, 4)) for case in cases} if beds else {}),
        bed_pools=(
            tuple(
                BedPool(site_id, specialty, choose.integer(0, 4))
                for site_id, specialties in offered.items()
                for specialty in specialties
            )
            if beds
            else ()
        ),
        distances_km=(
            {(sites[0].id, sites[1].id): choose.integer(20, 300)}
            if choose.integer(0, 3) == 0
            else {}
        ),
    )
    return replace(problem, frozen=_frozen(choose, problem))


def _specialties(choose: Chooser) -> tuple[str, ...]:
    """None (takes every specialty), or one or two of them."""
    count = choose.integer(0, 2)
    return tuple(sorted({choose.pick(SPECIALTIES) for _ in range(count)}))


def _surgeon_sites(choose: Chooser, home: str, sites: tuple[Site, ...]) -> tuple[str, ...]:
    other = choose.pick([site.id for site in sites])
    if other == home or choose.integer(0, 2) > 0:
        return (home,)
    return (home, other)


def _disruptions(
    choose: Chooser,
    start: date,
    days: int,
    sites: tuple[Site, ...],
    theatres: tuple[OperatingTheatre, ...],
) -> tuple[Disruption, ...]:
    found = []
    for _ in range(choose.integer(0, 2)):
        site = choose.pick(sites)
        first = start + timedelta(days=choose.integer(-1, days - 1))
        closed = tuple(t.id for t in theatres if t.site_id == site.id and choose.integer(0, 2) == 0)
        found.append(
            Disruption(
                site.id,
                first,
                first + timedelta(days=choose.integer(0, days)),
                capacity_factor=choose.pick((0.5, 0.0, 0.25, 0.75, 1.0)),
                closed_theatres=closed,
                paper_extra_minutes=choose.pick((0, 15, 30)),
            )
        )
    return tuple(found)


def _cases(
    choose: Chooser, problem: Problem, offered: dict[str, list[str]], count: int
) -> tuple[SurgicalCase, ...]:
    drafts: list[tuple[SurgicalCase, tuple[date, str] | None]] = []
    for number in range(count):
        site = choose.pick(problem.sites)
        staffed = sorted({s.specialty for s in problem.surgeons if site.id in s.site_ids})
        specialty = choose.pick(staffed or offered[site.id])
        own = [s.id for s in problem.surgeons if s.specialty == specialty and site.id in s.site_ids]
        listed = problem.start - timedelta(days=choose.integer(0, 120))
        release = max(listed, problem.start + timedelta(days=choose.integer(-5, problem.days)))
        transferable = choose.integer(0, 4) > 0
        draft = SurgicalCase(
            id=f"c{number:04d}",
            patient_id=f"p{number:04d}",
            site_id=site.id,
            specialty=specialty,
            procedure=f"{specialty} procedure",
            expected_minutes=choose.pick((60, 30, 45, 90, 120, 180, 240)),
            priority=choose.pick(tuple(PriorityClass)),
            listed_on=listed,
            release_on=release,
            surgeon_id=choose.pick(own) if own and choose.integer(0, 3) > 0 else None,
            status=CaseStatus.POSTPONED,
            transferable=transferable,
            not_transferable_reason="" if transferable else "follow-up by the home team",
        )
        options = [
            (problem.day(day), theatre.id)
            for day in range(max(problem.index(release), 0), problem.days)
            for theatre in problem.theatres_of(site.id)
            if problem.accepts(theatre, draft)
            and problem.nominal_minutes(theatre.id, problem.day(day))
        ]
        if options and problem.surgeons_for(draft, site.id) and choose.integer(0, 9) < 7:
            drafts.append((draft, choose.pick(options)))
        else:
            done = choose.integer(0, 9) == 0
            drafts.append((replace(draft, status=CaseStatus.DONE) if done else draft, None))
    starts: dict[tuple[date, str], int] = defaultdict(lambda: 480)
    cases = []
    for draft, booked in drafts:
        if booked is None:
            cases.append(draft)
            continue
        start = starts[booked]
        starts[booked] = start + draft.expected_minutes
        booking = Booking(booked[0], booked[1], min(start, 24 * 60 - 1))
        cases.append(replace(draft, booking=booking, status=CaseStatus.BOOKED))
    return tuple(cases)


def _frozen(choose: Chooser, problem: Problem) -> frozenset[str]:
    """Some done or confirmed cases, chosen so that they can all be kept together."""
    frozen: set[str] = set()
    theatre_minutes: dict[tuple[str, date], int] = defaultdict(int)
    surgeon_minutes: dict[tuple[str, date], int] = defaultdict(int)
    beds: dict[tuple[BedPool, int], int] = defaultdict(int)
    for case in problem.cases:
        if case.booking is None:
            if case.status is CaseStatus.DONE:
                frozen.add(case.id)
            continue
        if case.surgeon_id is None or choose.integer(0, 4) > 0:
            continue
        day, theatre_id = case.booking.day, case.booking.theatre_id
        if problem.is_disrupted(case.site_id, day):
            continue
        minutes = problem.duration(case, case.site_id, day)
        pool = problem.bed_pool(case.site_id, case.specialty)
        stay = problem.length_of_stay.get(case.id, 0)
        first = problem.index(day)
        nights = (
            []
            if pool is None
            else [(pool, n) for n in range(first, min(first + stay, problem.days))]
        )
        fits = (
            theatre_minutes[theatre_id, day] + minutes <= problem.capacity(theatre_id, day)
            and surgeon_minutes[case.surgeon_id, day] + minutes
            <= problem.surgeon(case.surgeon_id).max_daily_minutes
            and all(beds[night] < night[0].beds for night in nights)
        )
        if not fits:
            continue
        frozen.add(case.id)
        theatre_minutes[theatre_id, day] += minutes
        surgeon_minutes[case.surgeon_id, day] += minutes
        for night in nights:
            beds[night] += 1
    return frozenset(frozen)


# -- hand-built pieces for scenario tests ---------------------------------------------------


def site(site_id: str) -> Site:
    """One of the Breton sites of ``BRITTANY``."""
    for known, city, latitude, longitude in BRITTANY:
        if known == site_id:
            return Site(site_id, f"Clinique de {city}", city, latitude, longitude)
    raise KeyError(site_id)


def theatre(
    theatre_id: str, site_id: str, minutes: int = 480, specialties: tuple[str, ...] = ()
) -> OperatingTheatre:
    """A theatre open ``minutes`` every day of the week."""
    return OperatingTheatre(theatre_id, site_id, theatre_id, (minutes,) * 7, specialties)


def surgeon(
    surgeon_id: str,
    *site_ids: str,
    specialty: str = "orthopaedics",
    max_daily_minutes: int = 480,
) -> Surgeon:
    """A surgeon operating at ``site_ids``."""
    return Surgeon(surgeon_id, "Le Gall", "Yann", specialty, site_ids, max_daily_minutes)


def case(
    case_id: str,
    site_id: str = "rennes",
    *,
    minutes: int = 60,
    priority: PriorityClass = PriorityClass.P3,
    booked: tuple[date, str, int] | None = None,
    surgeon_id: str | None = None,
    specialty: str = "orthopaedics",
    listed_on: date = MONDAY - timedelta(days=30),
    release_on: date | None = None,
    transferable: bool = True,
) -> SurgicalCase:
    """A case, booked on (day, theatre, start minute) or on the waiting list."""
    return SurgicalCase(
        id=case_id,
        patient_id=f"p-{case_id}",
        site_id=site_id,
        specialty=specialty,
        procedure=f"{specialty} procedure",
        expected_minutes=minutes,
        priority=priority,
        listed_on=listed_on,
        release_on=release_on or listed_on,
        surgeon_id=surgeon_id,
        booking=None if booked is None else Booking(*booked),
        status=CaseStatus.POSTPONED if booked is None else CaseStatus.BOOKED,
        transferable=transferable,
        not_transferable_reason="" if transferable else "follow-up by the home team",
    )
