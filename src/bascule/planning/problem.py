"""The re-planning problem: the group's theatres and cases, the disruption, what counts.

Plain domain objects in; days are counted from ``Problem.start`` (day 0) to the end of the
horizon. The solvers and the reports all read capacities, durations, deadlines and
distances through this one class so that they agree on what is feasible.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

from bascule.domain.cases import CaseStatus, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre, Site
from bascule.domain.staff import Surgeon
from bascule.errors import BasculeError

ROAD_FACTOR = 1.3
"""Road kilometres per great-circle kilometre between two sites, when no table is given."""


class PlanningError(BasculeError):
    """The re-planning problem is inconsistent (it names the case, site or day)."""


@dataclass(frozen=True, slots=True)
class Disruption:
    """What a site can still do on a run of days (both ends included)."""

    site_id: str
    first_day: date
    last_day: date
    capacity_factor: float = 1.0
    """Share of each theatre's opening minutes still usable (0.5: half capacity)."""
    closed_theatres: tuple[str, ...] = ()
    paper_extra_minutes: int = 0
    """Added to every case operated at the site on these days (working on paper)."""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise PlanningError(
                f"disruption of {self.site_id}: last day {self.last_day} is before "
                f"first day {self.first_day}"
            )
        if not 0.0 <= self.capacity_factor <= 1.0:
            raise PlanningError(
                f"disruption of {self.site_id}: capacity factor {self.capacity_factor} "
                "is not between 0 and 1"
            )
        if self.paper_extra_minutes < 0:
            raise PlanningError(f"disruption of {self.site_id}: negative paper extra minutes")

    def covers(self, site_id: str, day: date) -> bool:
        """Whether this disruption applies to ``site_id`` on ``day``."""
        return site_id == self.site_id and self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class BedPool:
    """Beds of one specialty at one site that operated cases occupy for their stay."""

    site_id: str
    specialty: str
    beds: int


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the five soft costs when they are traded off rather than ranked."""

    breach: int = 1000
    kilometre: int = 1
    postponement: int = 10
    change: int = 5
    overtime: int = 1


class Level(StrEnum):
    """The soft costs, most important first (the default lexicographic order)."""

    BREACH = "breach"
    KILOMETRE = "kilometre"
    POSTPONEMENT = "postponement"
    CHANGE = "change"
    OVERTIME = "overtime"


LEVELS = tuple(Level)

DEADLINE_WEIGHT: dict[PriorityClass, int] = {
    PriorityClass.P1A: 10_000,
    PriorityClass.P1B: 1_000,
    PriorityClass.P2: 100,
    PriorityClass.P3: 10,
    PriorityClass.P4: 1,
}
"""Cost of a deadline breach by priority class (P1a ≫ P1b ≫ P2 ≫ P3 ≫ P4)."""

POSTPONEMENT_WEIGHT: dict[PriorityClass, int] = {
    PriorityClass.P1A: 1_000,
    PriorityClass.P1B: 300,
    PriorityClass.P2: 100,
    PriorityClass.P3: 30,
    PriorityClass.P4: 10,
}
"""Cost of postponing a case beyond the horizon, per week already waited plus one."""


@dataclass(frozen=True)
class Problem:
    """Everything a solver needs to re-plan the cases of a horizon."""

    start: date
    days: int
    sites: tuple[Site, ...]
    theatres: tuple[OperatingTheatre, ...]
    surgeons: tuple[Surgeon, ...]
    cases: tuple[SurgicalCase, ...]
    disruptions: tuple[Disruption, ...] = ()
    frozen: frozenset[str] = frozenset()
    """Cases done or confirmed by a human: they keep their booking whatever it costs."""
    length_of_stay: Mapping[str, int] = field(default_factory=dict)
    """Nights in a bed from the day of surgery, by case id (0 or absent: ambulatory)."""
    bed_pools: tuple[BedPool, ...] = ()
    distances_km: Mapping[tuple[str, str], int] = field(default_factory=dict)
    max_overtime_minutes: int = 0
    """Minutes a theatre-day may run past its capacity, at a cost."""
    weights: Weights | None = None
    """None: the soft costs are minimised lexicographically in ``LEVELS`` order."""
    redirect_sites: int = 2
    """How many of the nearest suitable sites a transferable case may be redirected to."""

    def __post_init__(self) -> None:
        if self.days < 1:
            raise PlanningError(f"horizon of {self.days} days: needs at least one day")
        site_ids = {site.id for site in self.sites}
        theatres = {theatre.id: theatre for theatre in self.theatres}
        for theatre in self.theatres:
            if theatre.site_id not in site_ids:
                raise PlanningError(f"theatre {theatre.id}: unknown site {theatre.site_id}")
        surgeons = {surgeon.id for surgeon in self.surgeons}
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise PlanningError(f"case {case.id}: listed twice")
            seen.add(case.id)
            if case.site_id not in site_ids:
                raise PlanningError(f"case {case.id}: unknown site {case.site_id}")
            if case.surgeon_id is not None and case.surgeon_id not in surgeons:
                raise PlanningError(f"case {case.id}: unknown surgeon {case.surgeon_id}")
            if case.booking is not None and case.booking.theatre_id not in theatres:
                raise PlanningError(
                    f"case {case.id}: booked in unknown theatre {case.booking.theatre_id}"
                )
            if case.booking is not None and not 0 <= self.index(case.booking.day) < self.days:
                raise PlanningError(
                    f"case {case.id}: booked on {case.booking.day}, outside the horizon "
                    f"{self.start} to {self.end - timedelta(days=1)}"
                )
        for disruption in self.disruptions:
            if disruption.site_id not in site_ids:
                raise PlanningError(f"disruption: unknown site {disruption.site_id}")
            for theatre_id in disruption.closed_theatres:
                if theatre_id not in theatres or theatres[theatre_id].site_id != (
                    disruption.site_id
                ):
                    raise PlanningError(
                        f"disruption of {disruption.site_id}: theatre {theatre_id} is not one "
                        "of its theatres"
                    )
        unknown = self.frozen - seen
        if unknown:
            raise PlanningError(f"frozen cases not in the problem: {', '.join(sorted(unknown))}")
        for case_id in sorted(self.frozen):
            case = self.case(case_id)
            if case.booking is None and case.status is not CaseStatus.DONE:
                raise PlanningError(f"case {case_id}: frozen but has no booking to keep")

    # -- days -------------------------------------------------------------------------------

    @property
    def end(self) -> date:
        """The first day after the horizon."""
        return self.start + timedelta(days=self.days)

    def day(self, index: int) -> date:
        """The date of day ``index`` of the horizon."""
        return self.start + timedelta(days=index)

    def index(self, day: date) -> int:
        """The horizon index of ``day`` (may fall outside ``range(days)``)."""
        return (day - self.start).days

    # -- lookups ----------------------------------------------------------------------------

    @cached_property
    def _cases(self) -> dict[str, SurgicalCase]:
        return {case.id: case for case in self.cases}

    @cached_property
    def _theatres(self) -> dict[str, OperatingTheatre]:
        return {theatre.id: theatre for theatre in self.theatres}

    @cached_property
    def _surgeons(self) -> dict[str, Surgeon]:
        return {surgeon.id: surgeon for surgeon in self.surgeons}

    @cached_property
    def _sites(self) -> dict[str, Site]:
        return {site.id: site for site in self.sites}

    def case(self, case_id: str) -> SurgicalCase:
        """The case ``case_id``."""
        return self._cases[case_id]

    def theatre(self, theatre_id: str) -> OperatingTheatre:
        """The theatre ``theatre_id``."""
        return self._theatres[theatre_id]

    def surgeon(self, surgeon_id: str) -> Surgeon:
        """The surgeon ``surgeon_id``."""
        return self._surgeons[surgeon_id]

    def site(self, site_id: str) -> Site:
        """The site ``site_id``."""
        return self._sites[site_id]

    def theatres_of(self, site_id: str) -> tuple[OperatingTheatre, ...]:
        """The theatres of ``site_id``."""
        return tuple(theatre for theatre in self.theatres if theatre.site_id == site_id)

    # -- capacity ---------------------------------------------------------------------------

    def disruption(self, site_id: str, day: date) -> Disruption | None:
        """The disruption in force at ``site_id`` on ``day`` (the last declared wins)."""
        found = None
        for disruption in self.disruptions:
            if disruption.covers(site_id, day):
                found = disruption
        return found

    def nominal_minutes(self, theatre_id: str, day: date) -> int:
        """Opening minutes of a theatre on a day before any disruption."""
        return self.theatre(theatre_id).minutes_on(day.weekday())

    def capacity(self, theatre_id: str, day: date) -> int:
        """Usable minutes of a theatre on a day, after the disruption in force."""
        theatre = self.theatre(theatre_id)
        minutes = theatre.minutes_on(day.weekday())
        disruption = self.disruption(theatre.site_id, day)
        if disruption is None:
            return minutes
        if theatre_id in disruption.closed_theatres:
            return 0
        return math.floor(minutes * disruption.capacity_factor)

    def is_disrupted(self, site_id: str, day: date) -> bool:
        """Whether ``site_id`` works under a disruption on ``day``."""
        return self.disruption(site_id, day) is not None

    def duration(self, case: SurgicalCase, site_id: str, day: date) -> int:
        """Theatre minutes the case takes at ``site_id`` on ``day`` (paper work adds time)."""
        disruption = self.disruption(site_id, day)
        extra = 0 if disruption is None else disruption.paper_extra_minutes
        return case.expected_minutes + extra

    def accepts(self, theatre: OperatingTheatre, case: SurgicalCase) -> bool:
        """Whether ``theatre`` is equipped for the case's specialty."""
        return not theatre.specialties or case.specialty in theatre.specialties

    def surgeons_for(self, case: SurgicalCase, site_id: str) -> tuple[str, ...]:
        """Surgeons who may operate ``case`` at ``site_id``: its own if they work there,
        otherwise (or for a case of "any surgeon") every surgeon of the specialty there."""
        if case.surgeon_id is not None and site_id in self.surgeon(case.surgeon_id).site_ids:
            return (case.surgeon_id,)
        if case.surgeon_id is not None and site_id == case.site_id:
            return (case.surgeon_id,)
        return tuple(
            surgeon.id
            for surgeon in self.surgeons
            if surgeon.specialty == case.specialty and site_id in surgeon.site_ids
        )

    def bed_pool(self, site_id: str, specialty: str) -> BedPool | None:
        """The beds a case of ``specialty`` occupies at ``site_id``, when modelled."""
        for pool in self.bed_pools:
            if pool.site_id == site_id and pool.specialty == specialty:
                return pool
        return None

    # -- clinical deadlines and distances ---------------------------------------------------

    def due(self, case: SurgicalCase) -> date | None:
        """The clinical deadline of the case (None for P4)."""
        return case.due_on

    def weeks_waited(self, case: SurgicalCase) -> int:
        """Whole weeks between listing and the start of the horizon."""
        return max(0, (self.start - case.listed_on).days // 7)

    def distance_km(self, from_site: str, to_site: str) -> int:
        """Road kilometres between two sites (table first, great circle × 1.3 otherwise)."""
        if from_site == to_site:
            return 0
        for key in ((from_site, to_site), (to_site, from_site)):
            if key in self.distances_km:
                return self.distances_km[key]
        a, b = self.site(from_site), self.site(to_site)
        return round(
            ROAD_FACTOR * _great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude)
        )

    def nearest_sites(self, case: SurgicalCase) -> tuple[str, ...]:
        """Other sites with a theatre and a surgeon for the case, nearest first."""
        candidates = [
            site.id
            for site in self.sites
            if site.id != case.site_id
            and any(self.accepts(t, case) for t in self.theatres_of(site.id))
            and self.surgeons_for(case, site.id)
        ]
        candidates.sort(key=lambda site_id: (self.distance_km(case.site_id, site_id), site_id))
        return tuple(candidates[: self.redirect_sites])

    def postponement_target(self, case: SurgicalCase) -> date:
        """The date a case postponed beyond the horizon is promised for."""
        return max(self.end, case.release_on)

    @cached_property
    def overbooked(self) -> frozenset[tuple[str, int]]:
        """(theatre, day) and (surgeon, day) keys whose original bookings exceed their limit,
        and (site/specialty pool, day) keys short of beds: no original booking there is
        safe to keep as it is."""
        theatre: dict[tuple[str, int], int] = {}
        surgeon: dict[tuple[str, int], int] = {}
        beds: dict[tuple[str, int], int] = {}
        for case in self.cases:
            booking = case.booking
            if booking is None or not 0 <= self.index(booking.day) < self.days:
                continue
            day = self.index(booking.day)
            site_id = self.theatre(booking.theatre_id).site_id
            minutes = self.duration(case, site_id, booking.day)
            theatre[booking.theatre_id, day] = theatre.get((booking.theatre_id, day), 0) + minutes
            if case.surgeon_id is not None:
                key = (case.surgeon_id, day)
                surgeon[key] = surgeon.get(key, 0) + minutes
            pool = self.bed_pool(site_id, case.specialty)
            if pool is not None:
                stay = self.length_of_stay.get(case.id, 0)
                for night in range(day, min(self.days, day + stay)):
                    key = (f"{pool.site_id}/{pool.specialty}", night)
                    beds[key] = beds.get(key, 0) + 1
        over = {k for k, m in theatre.items() if m > self.capacity(k[0], self.day(k[1]))}
        over |= {k for k, m in surgeon.items() if m > self.surgeon(k[0]).max_daily_minutes}
        pools = {f"{p.site_id}/{p.specialty}": p.beds for p in self.bed_pools}
        over |= {k for k, n in beds.items() if n > pools[k[0]]}
        return frozenset(over)

    def in_scope(self, case: SurgicalCase) -> bool:
        """Whether a solver decides this case (frozen cases are kept as they are)."""
        return case.id not in self.frozen


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
