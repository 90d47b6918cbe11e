from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from bascule.domain.cases import SurgicalCase
from bascule.planning.check import ViolationKind, violations
from bascule.planning.objective import decision_for
from bascule.planning.plan import Action, Decision, Plan, Slot, SolverReport
from bascule.planning.problem import BedPool, Disruption, Problem
from tests.planning.instances import MONDAY, case, problems, site, surgeon, theatre

BOOKED = case("c1", booked=(MONDAY, "rennes-or1", 480), surgeon_id="s-ren")
LISTED = case("c2")


def on(index: int) -> date:
    """Day ``index`` of the horizon."""
    return MONDAY + timedelta(days=index)


def scenario(*cases: SurgicalCase, **changes: Any) -> Problem:
    """Rennes (an orthopaedic and a urology theatre), Vannes, Brest; Vannes is the one
    redirect site of a Rennes case."""
    problem = Problem(
        start=MONDAY,
        days=5,
        sites=(site("rennes"), site("vannes"), site("brest")),
        theatres=(
            theatre("rennes-or1", "rennes", 480, ("orthopaedics",)),
            theatre("rennes-or2", "rennes", 480, ("urology",)),
            theatre("vannes-or1", "vannes"),
            theatre("brest-or1", "brest"),
        ),
        surgeons=(
            surgeon("s-ren", "rennes", max_daily_minutes=600),
            surgeon("s-van", "vannes"),
            surgeon("s-bre", "brest"),
        ),
        cases=cases,
        redirect_sites=1,
    )
    return replace(problem, **changes)


def placed(
    problem: Problem, case_id: str, index: int, theatre_id: str, surgeon_id: str | None = "s-ren"
) -> Decision:
    slot = Slot(on(index), problem.theatre(theatre_id).site_id, theatre_id)
    return decision_for(problem, problem.case(case_id), slot, surgeon_id)


def waiting(problem: Problem, case_id: str) -> Decision:
    return decision_for(problem, problem.case(case_id), None)


def kinds(problem: Problem, *decisions: Decision) -> list[ViolationKind]:
    plan = Plan(decisions, SolverReport("test", "FEASIBLE", 0.0))
    return [violation.kind for violation in violations(problem, plan)]


def messages(problem: Problem, *decisions: Decision) -> str:
    plan = Plan(decisions, SolverReport("test", "FEASIBLE", 0.0))
    return "\n".join(str(violation) for violation in violations(problem, plan))


def test_plan_that_keeps_every_rule_has_no_violation() -> None:
    problem = scenario(BOOKED, LISTED)
    kept = placed(problem, "c1", 0, "rennes-or1")
    assert kept.action is Action.KEEP
    assert kinds(problem, kept, placed(problem, "c2", 1, "rennes-or1")) == []


def test_case_without_decision_is_a_violation() -> None:
    problem = scenario(BOOKED, LISTED)
    assert kinds(problem, placed(problem, "c1", 0, "rennes-or1")) == [
        ViolationKind.MISSING_DECISION
    ]
    assert "case c2" in messages(problem, placed(problem, "c1", 0, "rennes-or1"))


def test_case_decided_twice_is_a_violation() -> None:
    problem = scenario(LISTED)
    assert kinds(problem, waiting(problem, "c2"), waiting(problem, "c2")) == [
        ViolationKind.DUPLICATE_DECISION
    ]


def test_decision_for_a_case_not_in_the_problem_is_a_violation() -> None:
    problem = scenario(LISTED)
    stranger = Decision("c9", Action.KEEP, None)
    assert kinds(problem, waiting(problem, "c2"), stranger) == [ViolationKind.UNKNOWN_CASE]


def test_moving_a_frozen_case_is_a_violation() -> None:
    problem = scenario(BOOKED, frozen=frozenset({"c1"}))
    assert kinds(problem, placed(problem, "c1", 1, "rennes-or1")) == [ViolationKind.FROZEN_CHANGED]


def test_postponing_a_frozen_case_is_a_violation() -> None:
    problem = scenario(BOOKED, frozen=frozenset({"c1"}))
    assert kinds(problem, waiting(problem, "c1")) == [ViolationKind.FROZEN_CHANGED]


def test_action_that_does_not_match_the_slot_is_a_violation() -> None:
    problem = scenario(BOOKED)
    mislabelled = replace(placed(problem, "c1", 0, "rennes-or1"), action=Action.MOVE)
    assert kinds(problem, mislabelled) == [ViolationKind.WRONG_ACTION]


def test_booked_case_without_slot_must_be_postponed_not_kept() -> None:
    problem = scenario(BOOKED)
    assert waiting(problem, "c1").action is Action.POSTPONE
    mislabelled = replace(waiting(problem, "c1"), action=Action.KEEP)
    assert kinds(problem, mislabelled) == [ViolationKind.WRONG_ACTION]


@pytest.mark.parametrize("index", [-1, 5])
def test_slot_outside_the_horizon_is_a_violation(index: int) -> None:
    problem = scenario(LISTED)
    assert kinds(problem, placed(problem, "c2", index, "rennes-or1")) == [
        ViolationKind.OUTSIDE_HORIZON
    ]


def test_slot_before_release_is_a_violation() -> None:
    problem = scenario(case("c3", release_on=on(2)))
    assert kinds(problem, placed(problem, "c3", 1, "rennes-or1")) == [ViolationKind.BEFORE_RELEASE]
    assert kinds(problem, placed(problem, "c3", 2, "rennes-or1")) == []


def test_redirecting_a_non_transferable_case_is_a_violation() -> None:
    problem = scenario(case("c4", transferable=False))
    redirected = placed(problem, "c4", 0, "vannes-or1", "s-van")
    assert redirected.action is Action.REDIRECT
    assert kinds(problem, redirected) == [ViolationKind.NOT_TRANSFERABLE]


def test_redirect_beyond_the_nearest_sites_is_a_violation() -> None:
    problem = scenario(LISTED)
    assert kinds(problem, placed(problem, "c2", 0, "vannes-or1", "s-van")) == []
    assert kinds(problem, placed(problem, "c2", 0, "brest-or1", "s-bre")) == [
        ViolationKind.REDIRECT_SITE_NOT_ALLOWED
    ]


def test_unknown_theatre_is_a_violation() -> None:
    problem = scenario(LISTED)
    decision = Decision("c2", Action.MOVE, Slot(MONDAY, "rennes", "rennes-or9"), "s-ren")
    assert kinds(problem, decision) == [ViolationKind.UNKNOWN_THEATRE]


def test_theatre_of_another_site_is_a_violation() -> None:
    problem = scenario(LISTED)
    decision = Decision("c2", Action.MOVE, Slot(MONDAY, "rennes", "vannes-or1"), "s-ren")
    assert kinds(problem, decision) == [ViolationKind.THEATRE_NOT_AT_SITE]


def test_theatre_that_does_not_take_the_specialty_is_a_violation() -> None:
    problem = scenario(LISTED)
    assert kinds(problem, placed(problem, "c2", 0, "rennes-or2")) == [
        ViolationKind.SPECIALTY_NOT_ACCEPTED
    ]


@pytest.mark.parametrize(
    ("listed", "surgeon_id"),
    [(BOOKED, "s-van"), (BOOKED, "s-bre"), (LISTED, "s-van"), (LISTED, None)],
)
def test_surgeon_who_may_not_operate_the_case_is_a_violation(
    listed: SurgicalCase, surgeon_id: str | None
) -> None:
    problem = scenario(listed)
    decision = replace(placed(problem, listed.id, 0, "rennes-or1"), surgeon_id=surgeon_id)
    assert kinds(problem, decision) == [ViolationKind.SURGEON_NOT_ALLOWED]


@pytest.mark.parametrize("overtime", [0, 60])
def test_case_in_closed_theatre_is_a_violation(overtime: int) -> None:
    closure = Disruption("rennes", MONDAY, MONDAY, closed_theatres=("rennes-or1",))
    problem = scenario(BOOKED, disruptions=(closure,), max_overtime_minutes=overtime)
    assert kinds(problem, placed(problem, "c1", 0, "rennes-or1")) == [ViolationKind.CLOSED_THEATRE]
    assert "theatre rennes-or1 on 2025-03-03" in messages(
        problem, placed(problem, "c1", 0, "rennes-or1")
    )


def test_case_in_theatre_with_no_opening_minutes_is_a_violation() -> None:
    problem = scenario(LISTED)
    problem = replace(problem, theatres=(theatre("rennes-or1", "rennes", 0), *problem.theatres[1:]))
    assert kinds(problem, placed(problem, "c2", 0, "rennes-or1")) == [ViolationKind.CLOSED_THEATRE]


@pytest.mark.parametrize(
    ("overtime", "expected"), [(0, [ViolationKind.THEATRE_OVERBOOKED]), (60, [])]
)
def test_theatre_day_beyond_capacity_and_overtime_is_a_violation(
    overtime: int, expected: list[ViolationKind]
) -> None:
    halved = Disruption("rennes", MONDAY, MONDAY, capacity_factor=0.5)
    cases = [case(f"c{n}") for n in range(5)]
    problem = scenario(*cases, disruptions=(halved,), max_overtime_minutes=overtime)
    decisions = [placed(problem, f"c{n}", 0, "rennes-or1") for n in range(5)]
    assert kinds(problem, *decisions) == expected


def test_paper_minutes_count_towards_the_theatre_day() -> None:
    cases = [case(f"c{n}", minutes=100) for n in range(4)]
    paper = Disruption("rennes", MONDAY, MONDAY, paper_extra_minutes=30)
    for disruptions, expected in [((), []), ((paper,), [ViolationKind.THEATRE_OVERBOOKED])]:
        problem = scenario(*cases, disruptions=disruptions)
        decisions = [placed(problem, f"c{n}", 0, "rennes-or1") for n in range(4)]
        assert kinds(problem, *decisions) == expected


def test_surgeon_over_the_daily_limit_across_sites_is_a_violation() -> None:
    problem = scenario(
        case("c1", minutes=360, surgeon_id="s-ren"),
        case("c2", "vannes", minutes=300, surgeon_id="s-ren"),
    )
    problem = replace(
        problem,
        surgeons=(
            surgeon("s-ren", "rennes", "vannes", max_daily_minutes=600),
            *problem.surgeons[1:],
        ),
    )
    decisions = (placed(problem, "c1", 0, "rennes-or1"), placed(problem, "c2", 0, "vannes-or1"))
    assert kinds(problem, *decisions) == [ViolationKind.SURGEON_OVERBOOKED]
    assert "surgeon s-ren on 2025-03-03: 660 minutes" in messages(problem, *decisions)


@pytest.mark.parametrize(("index", "expected"), [(2, [ViolationKind.BEDS_OVERBOOKED]), (3, [])])
def test_stays_beyond_the_bed_pool_are_a_violation(
    index: int, expected: list[ViolationKind]
) -> None:
    problem = scenario(
        BOOKED,
        LISTED,
        length_of_stay={"c1": 3, "c2": 1},
        bed_pools=(BedPool("rennes", "orthopaedics", 1),),
    )
    decisions = (placed(problem, "c1", 0, "rennes-or1"), placed(problem, "c2", index, "rennes-or1"))
    assert kinds(problem, *decisions) == expected


def test_bed_violation_names_the_pool_and_the_night() -> None:
    problem = scenario(
        BOOKED,
        LISTED,
        length_of_stay={"c1": 3, "c2": 1},
        bed_pools=(BedPool("rennes", "orthopaedics", 1),),
    )
    decisions = (placed(problem, "c1", 0, "rennes-or1"), placed(problem, "c2", 2, "rennes-or1"))
    assert "beds orthopaedics at rennes on 2025-03-05: 2 patients (c1, c2)" in messages(
        problem, *decisions
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_keeping_frozen_cases_and_postponing_the_rest_breaks_no_rule(problem: Problem) -> None:
    decisions = []
    for item in problem.cases:
        slot = None
        if item.id in problem.frozen and item.booking is not None:
            theatre_site = problem.theatre(item.booking.theatre_id).site_id
            slot = Slot(item.booking.day, theatre_site, item.booking.theatre_id)
        decisions.append(decision_for(problem, item, slot))
    plan = Plan(tuple(decisions), SolverReport("test", "FEASIBLE", 0.0))
    assert violations(problem, plan) == []


def test_frozen_case_in_a_closed_theatre_is_not_the_plans_violation() -> None:
    closure = Disruption("rennes", MONDAY, MONDAY, closed_theatres=("rennes-or1",))
    problem = scenario(BOOKED, disruptions=(closure,), frozen=frozenset({"c1"}))
    assert kinds(problem, placed(problem, "c1", 0, "rennes-or1")) == []


def test_case_added_beside_a_frozen_one_in_a_closed_theatre_is_a_violation() -> None:
    closure = Disruption("rennes", MONDAY, MONDAY, closed_theatres=("rennes-or1",))
    problem = scenario(BOOKED, LISTED, disruptions=(closure,), frozen=frozenset({"c1"}))
    found = kinds(
        problem, placed(problem, "c1", 0, "rennes-or1"), placed(problem, "c2", 0, "rennes-or1")
    )
    assert found == [ViolationKind.CLOSED_THEATRE]
