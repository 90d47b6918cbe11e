"""Where each case may go: the (theatre, day) slots a solver chooses from.

A case whose theatre-day is untouched by the disruption (and was not overbooked to begin
with: theatre, surgeon or beds) keeps its slot or, to make room for
a more urgent case, is postponed: moving it would change a patient's appointment for no
benefit of its own. The displaced cases (their theatre-day lost capacity or their site
works on paper) and those on the waiting list may go to any suitable slot.

Ranked lexicographically, redirection is offered only to transferable cases whose clinical
deadline falls inside the horizon: a case that can wait is better served by its own site
later than by a journey, and leaving the others out keeps the model small enough for a
group of five sites.
"""

from dataclasses import dataclass

from bascule.domain.cases import SurgicalCase
from bascule.planning.problem import Problem


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a case may be operated: a theatre on a day, with the minutes it takes."""

    theatre_id: str
    site_id: str
    day: int
    minutes: int
    surgeons: tuple[str, ...]


def may_redirect(problem: Problem, case: SurgicalCase) -> bool:
    """Whether a solver may send the case to another site.

    Ranked lexicographically, kilometres weigh more than any postponement, so only a
    deadline can justify a journey; with weights any transferable case may be worth one.
    """
    if not case.transferable:
        return False
    due = problem.due(case)
    return problem.weights is not None or (due is not None and due < problem.end)


def is_displaced(problem: Problem, case: SurgicalCase) -> bool:
    """Whether the disruption touches the case's original slot (or it has none)."""
    booking = case.booking
    if booking is None:
        return True
    theatre = problem.theatre(booking.theatre_id)
    if problem.is_disrupted(theatre.site_id, booking.day) or problem.capacity(
        theatre.id, booking.day
    ) < problem.nominal_minutes(theatre.id, booking.day):
        return True
    if case.surgeon_id is None:
        # Whose day it loads is itself a decision, so its original slot proves nothing.
        return True
    day = problem.index(booking.day)
    over = problem.overbooked
    if (theatre.id, day) in over or (case.surgeon_id, day) in over:
        return True
    pool = problem.bed_pool(theatre.site_id, case.specialty)
    stay = problem.length_of_stay.get(case.id, 0)
    return pool is not None and any(
        (f"{pool.site_id}/{pool.specialty}", night) in over for night in range(day, day + stay)
    )


def candidates(problem: Problem, case: SurgicalCase) -> list[Candidate]:
    """The slots a solver may give ``case``: its own if undisturbed; otherwise accepting
    theatres open that day, on or after release, with a surgeon allowed at the site, its own
    site first, then the nearest ones."""
    if not is_displaced(problem, case):
        return _original(problem, case)
    site_ids = [case.site_id]
    if may_redirect(problem, case):
        site_ids.extend(problem.nearest_sites(case))
    first = max(0, problem.index(case.release_on))
    found: list[Candidate] = []
    for site_id in site_ids:
        surgeons = problem.surgeons_for(case, site_id)
        if not surgeons:
            continue
        theatres = [t for t in problem.theatres_of(site_id) if problem.accepts(t, case)]
        for day in range(first, problem.days):
            date_ = problem.day(day)
            minutes = problem.duration(case, site_id, date_)
            for theatre in theatres:
                capacity = problem.capacity(theatre.id, date_)
                if capacity <= 0 or minutes > capacity + problem.max_overtime_minutes:
                    continue
                found.append(Candidate(theatre.id, site_id, day, minutes, surgeons))
    return found


def _original(problem: Problem, case: SurgicalCase) -> list[Candidate]:
    assert case.booking is not None
    booking = case.booking
    theatre = problem.theatre(booking.theatre_id)
    surgeons = problem.surgeons_for(case, theatre.site_id)
    minutes = problem.duration(case, theatre.site_id, booking.day)
    if not surgeons or minutes > problem.capacity(theatre.id, booking.day):
        return []
    day = problem.index(booking.day)
    return [Candidate(theatre.id, theatre.site_id, day, minutes, surgeons)]


def original_candidate(problem: Problem, case: SurgicalCase) -> tuple[str, int] | None:
    """(theatre, day index) of the case's original booking, if it has one."""
    if case.booking is None:
        return None
    return case.booking.theatre_id, problem.index(case.booking.day)
