"""The soft costs of a plan, computed the same way for every solver and every report."""

from collections import defaultdict
from collections.abc import Mapping

from bascule.domain.cases import SurgicalCase
from bascule.planning.plan import Action, Decision, Plan, Slot
from bascule.planning.problem import (
    DEADLINE_WEIGHT,
    LEVELS,
    POSTPONEMENT_WEIGHT,
    Level,
    Problem,
    Weights,
)


def is_breach(problem: Problem, case: SurgicalCase, decision: Decision) -> bool:
    """Whether the decision leaves the case past its clinical deadline."""
    due = problem.due(case)
    if due is None:
        return False
    if decision.slot is None:
        return due < problem.end
    return decision.slot.day > due


def breach_cost(problem: Problem, case: SurgicalCase, decision: Decision) -> int:
    """Weighted deadline breach of one decision."""
    return DEADLINE_WEIGHT[case.priority] if is_breach(problem, case, decision) else 0


def postponement_cost(problem: Problem, case: SurgicalCase) -> int:
    """What postponing ``case`` beyond the horizon costs: its priority, and its wait so far."""
    return POSTPONEMENT_WEIGHT[case.priority] * (1 + problem.weeks_waited(case))


def is_change(case: SurgicalCase, decision: Decision) -> bool:
    """Whether the decision differs from the original booking."""
    booking = case.booking
    if decision.slot is None:
        return booking is not None
    if booking is None:
        return True
    return (decision.slot.day, decision.slot.theatre_id) != (booking.day, booking.theatre_id)


def theatre_minutes(problem: Problem, plan: Plan) -> dict[tuple[str, int], int]:
    """Minutes booked per (theatre, day index), paper extra time included."""
    used: dict[tuple[str, int], int] = defaultdict(int)
    for decision in plan.decisions:
        slot = decision.slot
        if slot is None:
            continue
        case = problem.case(decision.case_id)
        used[slot.theatre_id, problem.index(slot.day)] += problem.duration(
            case, slot.site_id, slot.day
        )
    return dict(used)


def overtime_minutes(problem: Problem, plan: Plan) -> int:
    """Minutes booked beyond the usable capacity, summed over theatre-days."""
    return sum(
        max(0, minutes - problem.capacity(theatre_id, problem.day(day)))
        for (theatre_id, day), minutes in theatre_minutes(problem, plan).items()
    )


def soft_costs(problem: Problem, plan: Plan) -> dict[str, int]:
    """Each soft cost of ``plan`` by level name, in ``LEVELS`` order."""
    costs = dict.fromkeys((level.value for level in LEVELS), 0)
    for decision in plan.decisions:
        case = problem.case(decision.case_id)
        costs[Level.BREACH] += breach_cost(problem, case, decision)
        if decision.action is Action.REDIRECT and decision.slot is not None:
            costs[Level.KILOMETRE] += problem.distance_km(case.site_id, decision.slot.site_id)
        if decision.slot is None:
            costs[Level.POSTPONEMENT] += postponement_cost(problem, case)
        if is_change(case, decision):
            costs[Level.CHANGE] += 1
    costs[Level.OVERTIME] = overtime_minutes(problem, plan)
    return costs


def weighted_total(problem: Problem, costs: Mapping[str, int]) -> int:
    """One number for a cost vector: the problem's weights, or the default ones."""
    weights = problem.weights or Weights()
    return (
        weights.breach * costs[Level.BREACH]
        + weights.kilometre * costs[Level.KILOMETRE]
        + weights.postponement * costs[Level.POSTPONEMENT]
        + weights.change * costs[Level.CHANGE]
        + weights.overtime * costs[Level.OVERTIME]
    )


def decision_for(
    problem: Problem, case: SurgicalCase, slot: Slot | None, surgeon_id: str | None = None
) -> Decision:
    """The decision that puts ``case`` in ``slot`` (None: beyond the horizon), with its action."""
    if slot is None:
        action = Action.KEEP if case.booking is None else Action.POSTPONE
        return Decision(case.id, action, None, None, problem.postponement_target(case))
    if slot.site_id != case.site_id:
        action = Action.REDIRECT
    elif case.booking is not None and (slot.day, slot.theatre_id) == (
        case.booking.day,
        case.booking.theatre_id,
    ):
        action = Action.KEEP
    else:
        action = Action.MOVE
    return Decision(case.id, action, slot, surgeon_id or case.surgeon_id)
