"""Start times within each theatre-day, once the solver has said which cases go where."""

from collections import defaultdict
from dataclasses import replace
from datetime import date

from bascule.planning.plan import Action, Decision, Slot
from bascule.planning.problem import Problem

DAY_START = 8 * 60
"""First start, in minutes after midnight, of a theatre-day that had no booking."""


def with_start_minutes(problem: Problem, decisions: tuple[Decision, ...]) -> tuple[Decision, ...]:
    """The decisions, in the same order, with the start minute of every slot set.

    Within a theatre-day the cases kept in place come first, in their original order (their
    patients were told a time), then the others by priority, release date and case id. The
    day starts when its first original booking did (8:00 when it had none) and each case
    starts when the previous one ends.
    """
    first_start: dict[tuple[str, date], int] = {}
    for case in problem.cases:
        booking = case.booking
        if booking is not None:
            key = (booking.theatre_id, booking.day)
            first_start[key] = min(first_start.get(key, booking.start_minute), booking.start_minute)
    theatre_days: dict[tuple[str, date], list[tuple[int, Slot]]] = defaultdict(list)
    for position, decision in enumerate(decisions):
        if decision.slot is not None:
            theatre_days[decision.slot.theatre_id, decision.slot.day].append(
                (position, decision.slot)
            )
    sequenced = list(decisions)
    for key, slots in theatre_days.items():
        minute = first_start.get(key, DAY_START)
        for position, slot in sorted(slots, key=lambda item: _order(problem, decisions[item[0]])):
            decision = decisions[position]
            sequenced[position] = replace(decision, slot=replace(slot, start_minute=minute))
            minute += problem.duration(problem.case(decision.case_id), slot.site_id, slot.day)
    return tuple(sequenced)


def _order(problem: Problem, decision: Decision) -> tuple[int, int, int, str]:
    case = problem.case(decision.case_id)
    if decision.action is Action.KEEP and case.booking is not None:
        return (0, case.booking.start_minute, 0, case.id)
    return (1, case.priority.rank, case.release_on.toordinal(), case.id)
