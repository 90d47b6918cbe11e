from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings

from bascule.domain.cases import SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.planning.greedy import solve_greedy
from bascule.planning.objective import decision_for
from bascule.planning.plan import Decision, Slot
from bascule.planning.problem import Disruption, Problem
from bascule.planning.sequencing import DAY_START, with_start_minutes
from tests.planning.instances import MONDAY, case, problems, site, surgeon, theatre

TUESDAY = MONDAY + timedelta(days=1)


def scenario(*cases: SurgicalCase, disruptions: tuple[Disruption, ...] = ()) -> Problem:
    return Problem(
        start=MONDAY,
        days=3,
        sites=(site("rennes"),),
        theatres=(theatre("or1", "rennes"), theatre("or2", "rennes")),
        surgeons=(surgeon("s-ren", "rennes", max_daily_minutes=1440),),
        cases=cases,
        disruptions=disruptions,
    )


def in_or1(problem: Problem, case_id: str, day: date = MONDAY) -> Decision:
    return decision_for(problem, problem.case(case_id), Slot(day, "rennes", "or1"), "s-ren")


def starts(decisions: tuple[Decision, ...]) -> dict[str, int | None]:
    return {d.case_id: None if d.slot is None else d.slot.start_minute for d in decisions}


def test_kept_cases_come_first_in_their_original_order() -> None:
    problem = scenario(
        case("late", booked=(MONDAY, "or1", 600)),
        case("early", booked=(MONDAY, "or1", 480)),
        case("urgent", priority=PriorityClass.P1A),
    )
    decisions = tuple(in_or1(problem, c.id) for c in problem.cases)
    assert starts(with_start_minutes(problem, decisions)) == {
        "early": 480,
        "late": 540,
        "urgent": 600,
    }


def test_cases_moved_in_follow_by_priority_then_release_then_id() -> None:
    month_ago, fortnight_ago = MONDAY - timedelta(days=30), MONDAY - timedelta(days=14)
    problem = scenario(
        case("m1", priority=PriorityClass.P2, release_on=fortnight_ago),
        case("m2", priority=PriorityClass.P2, listed_on=month_ago),
        case("m3", priority=PriorityClass.P1B),
        case("m0", priority=PriorityClass.P2, listed_on=month_ago),
    )
    decisions = tuple(in_or1(problem, c.id) for c in problem.cases)
    assert starts(with_start_minutes(problem, decisions)) == {
        "m3": 480,
        "m0": 540,
        "m2": 600,
        "m1": 660,
    }


def test_day_starts_with_its_earliest_original_booking_even_when_that_case_left() -> None:
    problem = scenario(case("gone", booked=(MONDAY, "or1", 450)), case("new"))
    decisions = (in_or1(problem, "gone", TUESDAY), in_or1(problem, "new"))
    assert starts(with_start_minutes(problem, decisions)) == {"gone": DAY_START, "new": 450}


def test_paper_minutes_push_the_next_case_back() -> None:
    paper = Disruption("rennes", MONDAY, MONDAY, paper_extra_minutes=30)
    problem = scenario(case("a", minutes=60), case("b", minutes=60), disruptions=(paper,))
    decisions = tuple(in_or1(problem, c.id) for c in problem.cases)
    assert starts(with_start_minutes(problem, decisions)) == {"a": 480, "b": 570}


def test_each_theatre_day_is_sequenced_on_its_own() -> None:
    problem = scenario(case("a"), case("b"), case("c"))
    in_or2 = decision_for(problem, problem.case("b"), Slot(MONDAY, "rennes", "or2"), "s-ren")
    decisions = (in_or1(problem, "a"), in_or2, in_or1(problem, "c", TUESDAY))
    assert starts(with_start_minutes(problem, decisions)) == {"a": 480, "b": 480, "c": 480}


def test_decisions_keep_their_order_and_postponed_ones_are_untouched() -> None:
    problem = scenario(case("a"), case("b", booked=(MONDAY, "or1", 480)), case("c"))
    postponed = decision_for(problem, problem.case("b"), None)
    decisions = (in_or1(problem, "c"), postponed, in_or1(problem, "a"))
    sequenced = with_start_minutes(problem, decisions)
    assert [d.case_id for d in sequenced] == ["c", "b", "a"]
    assert sequenced[1] == postponed
    assert starts(sequenced) == {"c": 540, "b": None, "a": 480}


def test_start_minutes_do_not_depend_on_the_order_of_the_decisions() -> None:
    problem = scenario(
        case("k2", booked=(MONDAY, "or1", 540)),
        case("k1", booked=(MONDAY, "or1", 480)),
        *(case(f"n{n}", priority=PriorityClass.P3) for n in range(4)),
    )
    decisions = tuple(in_or1(problem, c.id) for c in problem.cases)
    forward = starts(with_start_minutes(problem, decisions))
    assert starts(with_start_minutes(problem, decisions[::-1])) == forward
    assert forward == {"k1": 480, "k2": 540, "n0": 600, "n1": 660, "n2": 720, "n3": 780}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_cases_of_a_theatre_day_follow_one_another_without_overlap(problem: Problem) -> None:
    by_theatre_day: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    for decision in solve_greedy(problem).decisions:
        if decision.slot is not None:
            slot = decision.slot
            minutes = problem.duration(problem.case(decision.case_id), slot.site_id, slot.day)
            by_theatre_day[slot.theatre_id, slot.day].append((slot.start_minute, minutes))
    for runs in by_theatre_day.values():
        runs.sort()
        for (start, minutes), (next_start, _) in pairwise(runs):
            assert next_start == start + minutes
