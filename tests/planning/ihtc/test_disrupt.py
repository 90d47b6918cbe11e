import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.planning.ihtc.disrupt import (
    DisruptionError,
    choose_closures,
    disrupt,
    parse_days,
)
from bascule.planning.ihtc.greedy import repair_by_hand
from bascule.planning.ihtc.instance import Instance, load_instance
from bascule.planning.ihtc.rules import PlanRules
from bascule.planning.ihtc.solution import Admission, Solution, load_solution
from tests.planning.ihtc.support import FIXTURES, competition_instance, planted_instances

PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_days_parse_as_a_range_within_the_horizon() -> None:
    assert parse_days("0-6", 14) == range(7)
    assert parse_days("3", 14) == range(3, 4)
    with pytest.raises(DisruptionError, match="horizon is days 0-13"):
        parse_days("10-14", 14)
    with pytest.raises(DisruptionError, match="expected A-B"):
        parse_days("monday", 14)


def test_closures_are_a_seeded_share_of_theatres_on_open_days() -> None:
    instance = load_instance(competition_instance("i13"))  # 8 theatres
    closures = choose_closures(instance, 0.5, range(7), seed=1)
    assert closures == choose_closures(instance, 0.5, range(7), seed=1)
    assert len({theatre for theatre, _ in closures}) == 4
    assert {day for _, day in closures} <= set(range(7))
    assert all(instance.theatres[t].availability[d] > 0 for t, d in closures)
    with pytest.raises(DisruptionError, match="share"):
        choose_closures(instance, 0, range(7), seed=1)


def test_hand_repair_keeps_what_still_fits_and_moves_the_displaced() -> None:
    instance = load_instance(competition_instance("i02"))
    original = load_solution(FIXTURES / "best_solutions" / "IHTP" / "sol_i02.json.gz", instance)
    closures = choose_closures(instance, 0.5, range(7), seed=1)
    closed = set(closures)
    rules = PlanRules.replanning(
        instance.with_closed_theatre_days(closures), original.admissions, change_weight=15
    )
    repaired = repair_by_hand(rules, original.admissions)
    for before, after in zip(original.admissions, repaired, strict=True):
        if before is not None and (before.theatre, before.day) not in closed:
            assert after == before
        if after is not None:
            assert (after.theatre, after.day) not in closed


def test_cpsat_repair_of_a_competition_plan_beats_the_hand_repair() -> None:
    instance = load_instance(competition_instance("i02"))
    original = load_solution(FIXTURES / "best_solutions" / "IHTP" / "sol_i02.json.gz", instance)
    closures = choose_closures(instance, 0.5, range(7), seed=1)
    report = disrupt(instance, original, closures, time_limit=5, workers=2)
    assert report.displaced > 0
    assert report.cpsat.breaches <= report.greedy.breaches
    assert report.cpsat.weighted_cost <= report.greedy.weighted_cost
    assert report.cpsat.in_closed_theatre_days == report.greedy.in_closed_theatre_days == 0
    assert report.cpsat.violations == report.greedy.violations == ()
    assert report.cpsat.bound is not None
    assert report.cpsat.bound <= report.cpsat.weighted_cost


@st.composite
def disruptions(
    draw: st.DrawFn,
) -> tuple[Instance, list[Admission | None], tuple[tuple[int, int], ...]]:
    instance, planted = draw(planted_instances())
    first = draw(st.integers(0, instance.days - 1))
    last = draw(st.integers(first, instance.days - 1))
    share = draw(st.sampled_from([0.5, 1.0]))
    closures = choose_closures(instance, share, range(first, last + 1), draw(st.integers(0, 9)))
    return instance, [None if p is None else Admission(*p) for p in planted], closures


@PROPERTY
@given(disruptions())
def test_repairs_never_use_a_closed_theatre_day_and_cpsat_breaches_no_more(
    case: tuple[Instance, list[Admission | None], tuple[tuple[int, int], ...]],
) -> None:
    instance, original, closures = case
    report = disrupt(instance, Solution.of(original), closures, time_limit=2, workers=1)
    closed = set(closures)
    for replan in (report.greedy, report.cpsat):
        assert all(a is None or (a.theatre, a.day) not in closed for a in replan.admissions)
        assert replan.in_closed_theatre_days == 0
        assert replan.violations == ()
    assert report.cpsat.breaches <= report.greedy.breaches
    assert report.cpsat.weighted_cost <= report.greedy.weighted_cost
