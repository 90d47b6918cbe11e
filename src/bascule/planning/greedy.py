"""The baseline re-plan: what a scheduler does by hand when theatres lose capacity.

Frozen cases stay. Every booking that still fits stays; where a theatre-day shrank, its
list is kept from the morning on while it fits and the rest is taken out. The cases taken
out and the waiting list are then placed one by one, most urgent first and longest waiting
first, on the earliest day with room at their own site, else at the nearest site that has
room, else beyond the horizon. It never breaks a hard rule (frozen cases excepted, which
are kept whatever they cost), and it is the yardstick the optimising solver must beat.
"""

import time
from collections import defaultdict
from collections.abc import Iterable

from bascule.domain.cases import SurgicalCase
from bascule.domain.sites import OperatingTheatre
from bascule.planning.objective import decision_for, soft_costs
from bascule.planning.plan import Decision, Plan, Slot, SolverReport
from bascule.planning.problem import BedPool, Problem
from bascule.planning.sequencing import with_start_minutes


def solve_greedy(problem: Problem) -> Plan:
    """Re-plan ``problem`` the way a scheduler would by hand (see the module docstring)."""
    started = time.perf_counter()
    books = _Books(problem)
    decided: dict[str, Decision] = {}
    for case in problem.cases:
        if case.id in problem.frozen:
            decided[case.id] = books.keep_frozen(case)
    _keep_what_still_fits(problem, books, decided)
    waiting = sorted(
        (case for case in problem.cases if case.id not in decided),
        key=lambda case: (case.priority.rank, case.listed_on, case.id),
    )
    for case in waiting:
        decided[case.id] = books.place(case)
    decisions = with_start_minutes(problem, tuple(decided[case.id] for case in problem.cases))
    seconds = time.perf_counter() - started
    costs = soft_costs(problem, Plan(decisions, SolverReport("greedy", "FEASIBLE", seconds)))
    report = SolverReport(
        "greedy", "FEASIBLE", seconds, first_feasible_seconds=seconds, objective=costs
    )
    return Plan(decisions, report)


class _Books:
    """Minutes and beds committed so far, so every placement is checked against them."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.capacity = {
            (theatre.id, day): problem.capacity(theatre.id, problem.day(day))
            for theatre in problem.theatres
            for day in range(problem.days)
        }
        self.limits = {surgeon.id: surgeon.max_daily_minutes for surgeon in problem.surgeons}
        self.theatre_minutes: dict[tuple[str, int], int] = defaultdict(int)
        self.surgeon_minutes: dict[tuple[str, int], int] = defaultdict(int)
        self.beds: dict[tuple[BedPool, int], int] = defaultdict(int)
        self._accepting: dict[tuple[str, str], tuple[OperatingTheatre, ...]] = {}
        self._nearest: dict[tuple[str, str, str | None], tuple[str, ...]] = {}

    def keep_frozen(self, case: SurgicalCase) -> Decision:
        """The frozen case in its booking, counted whether or not it fits."""
        if case.booking is None:
            return decision_for(self.problem, case, None)
        theatre = self.problem.theatre(case.booking.theatre_id)
        day = self.problem.index(case.booking.day)
        surgeon_id = case.surgeon_id or self.surgeon_for(case, theatre, day)
        if surgeon_id is None:
            # A confirmed case still needs a name on the list, even one already fully booked.
            surgeon_id = next(iter(self.problem.surgeons_for(case, theatre.site_id)), None)
        return self.book(case, theatre, day, surgeon_id)

    def place(self, case: SurgicalCase) -> Decision:
        """The earliest slot at the case's own site, else at the nearest site, else none."""
        first_day = max(self.problem.index(case.release_on), 0)
        sites = [case.site_id]
        if case.transferable:
            sites.extend(self._nearest_sites(case))
        for site_id in sites:
            theatres = self._accepting_theatres(case, site_id)
            for day in range(first_day, self.problem.days):
                for theatre in theatres:
                    if not self.theatre_has_room(case, theatre, day):
                        continue
                    surgeon_id = self.surgeon_for(case, theatre, day)
                    if surgeon_id is not None:
                        return self.book(case, theatre, day, surgeon_id)
        return decision_for(self.problem, case, None)

    def theatre_has_room(self, case: SurgicalCase, theatre: OperatingTheatre, day: int) -> bool:
        """Whether the theatre is open that day and can still take the case."""
        capacity = self.capacity[theatre.id, day]
        used = self.theatre_minutes[theatre.id, day] + self._minutes(case, theatre, day)
        return capacity > 0 and used <= capacity + self.problem.max_overtime_minutes

    def surgeon_for(self, case: SurgicalCase, theatre: OperatingTheatre, day: int) -> str | None:
        """A surgeon free to operate the case there that day, when every other rule holds."""
        problem = self.problem
        site_id = theatre.site_id
        if not problem.accepts(theatre, case) or not self._site_allowed(case, site_id):
            return None
        if not self._has_bed(case, site_id, day):
            return None
        minutes = self._minutes(case, theatre, day)
        for surgeon_id in problem.surgeons_for(case, site_id):
            if self.surgeon_minutes[surgeon_id, day] + minutes <= self.limits[surgeon_id]:
                return surgeon_id
        return None

    def book(
        self, case: SurgicalCase, theatre: OperatingTheatre, day: int, surgeon_id: str | None
    ) -> Decision:
        """Commit the case's minutes and bed and return its decision."""
        minutes = self._minutes(case, theatre, day)
        self.theatre_minutes[theatre.id, day] += minutes
        if surgeon_id is not None:
            self.surgeon_minutes[surgeon_id, day] += minutes
        for key in self._bed_days(case, theatre.site_id, day):
            self.beds[key] += 1
        slot = Slot(self.problem.day(day), theatre.site_id, theatre.id)
        return decision_for(self.problem, case, slot, surgeon_id)

    def _minutes(self, case: SurgicalCase, theatre: OperatingTheatre, day: int) -> int:
        return self.problem.duration(case, theatre.site_id, self.problem.day(day))

    def _site_allowed(self, case: SurgicalCase, site_id: str) -> bool:
        if site_id == case.site_id:
            return True
        return case.transferable and site_id in self._nearest_sites(case)

    def _has_bed(self, case: SurgicalCase, site_id: str, day: int) -> bool:
        return all(self.beds[key] < key[0].beds for key in self._bed_days(case, site_id, day))

    def _bed_days(
        self, case: SurgicalCase, site_id: str, day: int
    ) -> Iterable[tuple[BedPool, int]]:
        stay = self.problem.length_of_stay.get(case.id, 0)
        pool = self.problem.bed_pool(site_id, case.specialty) if stay > 0 else None
        if pool is None:
            return ()
        return [(pool, night) for night in range(day, min(day + stay, self.problem.days))]

    def _accepting_theatres(self, case: SurgicalCase, site_id: str) -> tuple[OperatingTheatre, ...]:
        key = (site_id, case.specialty)
        if key not in self._accepting:
            self._accepting[key] = tuple(
                theatre
                for theatre in self.problem.theatres_of(site_id)
                if self.problem.accepts(theatre, case)
            )
        return self._accepting[key]

    def _nearest_sites(self, case: SurgicalCase) -> tuple[str, ...]:
        # nearest_sites depends only on these three fields; thousands of cases share them.
        key = (case.site_id, case.specialty, case.surgeon_id)
        if key not in self._nearest:
            self._nearest[key] = self.problem.nearest_sites(case)
        return self._nearest[key]


def _keep_what_still_fits(problem: Problem, books: _Books, decided: dict[str, Decision]) -> None:
    """Keep the bookings that still fit, each theatre-day's list in its original order."""
    lists: dict[tuple[int, str], list[SurgicalCase]] = defaultdict(list)
    for case in problem.cases:
        if case.booking is not None and case.id not in decided:
            lists[problem.index(case.booking.day), case.booking.theatre_id].append(case)
    for (day, theatre_id), cases in sorted(lists.items()):
        theatre = problem.theatre(theatre_id)
        for case in sorted(cases, key=lambda case: (_start(case), case.id)):
            if not books.theatre_has_room(case, theatre, day):
                # The scheduler cuts the end of a shrunken list rather than picking through
                # it; what is cut may still come back here when the refill reaches it.
                break
            surgeon_id = books.surgeon_for(case, theatre, day)
            if surgeon_id is not None:
                decided[case.id] = books.book(case, theatre, day, surgeon_id)


def _start(case: SurgicalCase) -> int:
    return 0 if case.booking is None else case.booking.start_minute
