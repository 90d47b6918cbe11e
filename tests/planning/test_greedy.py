from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings

from bascule.domain.cases import SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.planning.check import violations
from bascule.planning.greedy import solve_greedy
from bascule.planning.objective import soft_costs
from bascule.planning.plan import Action, Plan
from bascule.planning.problem import BedPool, Disruption, Problem
from tests.planning.instances import (
    MONDAY,
    Sizes,
    case,
    problems,
    random_problem,
    site,
    surgeon,
    theatre,
)

TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
PROPERTIES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scenario(*cases: SurgicalCase, **changes: Any) -> Problem:
    """Rennes with one orthopaedic theatre, Vannes (nearest) and Brest, three days."""
    fields: dict[str, Any] = {
        "start": MONDAY,
        "days": 3,
        "sites": (site("rennes"), site("vannes"), site("brest")),
        "theatres": (
            theatre("rennes-or1", "rennes", 480, ("orthopaedics",)),
            theatre("vannes-or1", "vannes"),
            theatre("brest-or1", "brest"),
        ),
        "surgeons": (
            surgeon("s-ren", "rennes", max_daily_minutes=600),
            surgeon("s-van", "vannes"),
            surgeon("s-bre", "brest"),
        ),
        "cases": cases,
        "redirect_sites": 1,
    }
    return Problem(**(fields | changes))


def booked(case_id: str, start: int, minutes: int, day: date = MONDAY) -> SurgicalCase:
    return case(case_id, minutes=minutes, booked=(day, "rennes-or1", start), surgeon_id="s-ren")


def where(plan: Plan, case_id: str) -> tuple[Action, date | None, str | None, int | None]:
    decision = plan.decision(case_id)
    slot = decision.slot
    if slot is None:
        return (decision.action, None, None, None)
    return (decision.action, slot.day, slot.theatre_id, slot.start_minute)


def test_bookings_that_still_fit_are_kept_as_they_were() -> None:
    problem = scenario(booked("a", 480, 120), booked("b", 600, 90), booked("c", 480, 60, TUESDAY))
    plan = solve_greedy(problem)
    assert [where(plan, c) for c in ("a", "b", "c")] == [
        (Action.KEEP, MONDAY, "rennes-or1", 480),
        (Action.KEEP, MONDAY, "rennes-or1", 600),
        (Action.KEEP, TUESDAY, "rennes-or1", 480),
    ]


def test_report_names_the_solver_and_the_soft_costs_of_the_plan() -> None:
    halved = Disruption("rennes", MONDAY, MONDAY, capacity_factor=0.5)
    problem = scenario(booked("a", 480, 200), booked("b", 680, 200), disruptions=(halved,))
    plan = solve_greedy(problem)
    assert (plan.report.solver, plan.report.status) == ("greedy", "FEASIBLE")
    assert plan.report.objective == soft_costs(problem, plan)
    assert plan.report.objective["change"] == 1


def test_shrunken_list_is_cut_at_the_first_case_that_no_longer_fits() -> None:
    halved = Disruption("rennes", MONDAY, MONDAY, capacity_factor=0.5)
    problem = scenario(
        booked("a", 480, 120), booked("b", 600, 180), booked("c", 780, 60), disruptions=(halved,)
    )
    plan = solve_greedy(problem)
    # c was cut with b, and came back into the gap b left when the refill reached it.
    assert [where(plan, c) for c in ("a", "b", "c")] == [
        (Action.KEEP, MONDAY, "rennes-or1", 480),
        (Action.MOVE, TUESDAY, "rennes-or1", 480),
        (Action.KEEP, MONDAY, "rennes-or1", 600),
    ]


def test_urgent_waiting_case_takes_the_gap_before_a_case_cut_from_the_list() -> None:
    halved = Disruption("rennes", MONDAY, MONDAY, capacity_factor=0.5)
    problem = scenario(
        booked("a", 480, 120),
        booked("x", 600, 180),
        booked("b", 780, 60),
        case("urgent", minutes=120, priority=PriorityClass.P1A, listed_on=MONDAY),
        disruptions=(halved,),
    )
    plan = solve_greedy(problem)
    assert where(plan, "a") == (Action.KEEP, MONDAY, "rennes-or1", 480)
    assert where(plan, "urgent")[:3] == (Action.MOVE, MONDAY, "rennes-or1")
    assert where(plan, "b")[:3] == (Action.MOVE, TUESDAY, "rennes-or1")


def test_overtime_allowance_keeps_a_list_that_runs_late() -> None:
    halved = Disruption("rennes", MONDAY, MONDAY, capacity_factor=0.5)
    problem = scenario(
        booked("a", 480, 120),
        booked("b", 600, 180),
        disruptions=(halved,),
        max_overtime_minutes=60,
    )
    plan = solve_greedy(problem)
    assert {d.action for d in plan.decisions} == {Action.KEEP}
    assert plan.report.objective["overtime"] == 60


def test_refill_serves_the_most_urgent_then_the_longest_waiting() -> None:
    problem = scenario(
        case("recent", minutes=240, listed_on=MONDAY - timedelta(days=30), transferable=False),
        case("old", minutes=240, listed_on=MONDAY - timedelta(days=60), transferable=False),
        case("urgent", minutes=240, priority=PriorityClass.P1A, listed_on=MONDAY),
        days=1,
    )
    plan = solve_greedy(problem)
    assert where(plan, "urgent") == (Action.MOVE, MONDAY, "rennes-or1", 480)
    assert where(plan, "old") == (Action.MOVE, MONDAY, "rennes-or1", 720)
    assert where(plan, "recent") == (Action.KEEP, None, None, None)


def test_case_waits_for_its_release_date() -> None:
    plan = solve_greedy(scenario(case("later", release_on=WEDNESDAY)))
    assert where(plan, "later") == (Action.MOVE, WEDNESDAY, "rennes-or1", 480)


def test_transferable_case_overflows_to_the_nearest_site() -> None:
    closed = Disruption("rennes", MONDAY, WEDNESDAY, closed_theatres=("rennes-or1",))
    problem = scenario(booked("a", 480, 60), disruptions=(closed,))
    plan = solve_greedy(problem)
    assert where(plan, "a") == (Action.REDIRECT, MONDAY, "vannes-or1", 480)
    assert plan.decision("a").surgeon_id == "s-van"


def test_non_transferable_case_is_postponed_when_its_site_has_no_room() -> None:
    closed = Disruption("rennes", MONDAY, WEDNESDAY, closed_theatres=("rennes-or1",))
    staying = case("a", booked=(MONDAY, "rennes-or1", 480), transferable=False)
    plan = solve_greedy(scenario(staying, disruptions=(closed,)))
    assert plan.decision("a").action is Action.POSTPONE
    assert plan.decision("a").postponed_to == MONDAY + timedelta(days=3)


def test_surgeon_daily_limit_sends_the_second_case_to_the_next_day() -> None:
    problem = scenario(
        case("first", minutes=90, surgeon_id="s-ren", listed_on=MONDAY - timedelta(days=60)),
        case("second", minutes=90, surgeon_id="s-ren", transferable=False),
        surgeons=(surgeon("s-ren", "rennes", max_daily_minutes=120),),
    )
    plan = solve_greedy(problem)
    assert where(plan, "first")[1] == MONDAY
    assert where(plan, "second")[1] == TUESDAY


def test_full_bed_pool_delays_the_next_admission() -> None:
    problem = scenario(
        case("first", listed_on=MONDAY - timedelta(days=60)),
        case("second", transferable=False),
        length_of_stay={"first": 2, "second": 2},
        bed_pools=(BedPool("rennes", "orthopaedics", 1),),
    )
    plan = solve_greedy(problem)
    assert where(plan, "first")[1] == MONDAY
    assert where(plan, "second")[1] == WEDNESDAY


def test_frozen_case_is_kept_even_when_its_theatre_closes() -> None:
    closed = Disruption("rennes", MONDAY, MONDAY, closed_theatres=("rennes-or1",))
    problem = scenario(
        booked("done", 480, 60),
        booked("other", 540, 60),
        disruptions=(closed,),
        frozen=frozenset({"done"}),
    )
    plan = solve_greedy(problem)
    assert where(plan, "done") == (Action.KEEP, MONDAY, "rennes-or1", 480)
    assert where(plan, "other")[:2] == (Action.MOVE, TUESDAY)
    # The closure collides with the frozen case only: the problem's conflict, not the plan's.
    assert violations(problem, plan) == []


@PROPERTIES
@given(problems())
def test_greedy_plan_breaks_no_hard_rule(problem: Problem) -> None:
    assert violations(problem, solve_greedy(problem)) == []


@PROPERTIES
@given(problems())
def test_greedy_plan_decides_each_case_once_within_the_rules(problem: Problem) -> None:
    plan = solve_greedy(problem)
    assert [d.case_id for d in plan.decisions] == [c.id for c in problem.cases]
    assert solve_greedy(problem).decisions == plan.decisions
    for item in problem.cases:
        decision = plan.decision(item.id)
        slot = decision.slot
        if item.id in problem.frozen:
            assert decision.action is Action.KEEP
            assert (slot is None) == (item.booking is None)
        if slot is None:
            continue
        assert slot.day >= item.release_on
        assert problem.start <= slot.day < problem.end
        if item.id in problem.frozen and item.booking is not None:
            assert (slot.day, slot.theatre_id) == (item.booking.day, item.booking.theatre_id)
        if decision.action is Action.REDIRECT:
            assert item.transferable
            assert slot.site_id in problem.nearest_sites(item)
        else:
            assert slot.site_id == item.site_id


def test_four_thousand_cases_are_planned_in_seconds() -> None:
    sizes = Sizes(sites=(8, 8), theatres=(4, 4), surgeons=(6, 6), cases=(4000, 4000), days=(20, 20))
    problem = random_problem(7, sizes)
    plan = solve_greedy(problem)
    assert plan.report.seconds < 5
    assert len(plan.decisions) == 4000
    assert violations(problem, plan) == []
