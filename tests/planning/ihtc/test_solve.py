import time

import pytest
from hypothesis import HealthCheck, given, settings

from bascule.planning.ihtc.cost import evaluate
from bascule.planning.ihtc.greedy import greedy_plan
from bascule.planning.ihtc.instance import Instance, load_instance
from bascule.planning.ihtc.model import Neighbourhood, PlanModel
from bascule.planning.ihtc.rules import PlanRules, plan_cost
from bascule.planning.ihtc.solution import Admission, Solution
from bascule.planning.ihtc.solve import (
    _Clock,
    _rooms_at_bound,
    _Search,
    failing_subset,
    optimise,
    place_in_rooms,
    solve_core,
)
from tests.planning.ihtc.support import (
    FIXTURES,
    WardPatient,
    competition_instance,
    planted_instances,
    planted_plan,
    ward_instance,
)

# The small instances proven within seconds on two workers; small06, small07 and small09
# take minutes or more, and `bench/planning.py --part small` records how far each gets.
PROVEN = ["small01", "small02", "small03", "small04", "small05", "small08"]
PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hard_violations(instance: Instance, admissions: tuple[Admission | None, ...]) -> list[str]:
    return [v.message for v in evaluate(instance, Solution.of(admissions)).violations]


@pytest.mark.slow
@pytest.mark.parametrize("name", PROVEN)
def test_small_instances_are_solved_to_proven_optimality(name: str) -> None:
    instance = load_instance(FIXTURES / "ihtp_small" / f"{name}.json.gz")
    started = time.perf_counter()
    report = solve_core(instance, time_limit=240, workers=2)
    assert report.optimal, f"{name}: not proven in {time.perf_counter() - started:.0f} s"
    assert report.bound == report.cost.total
    assert _hard_violations(instance, report.admissions) == []
    assert evaluate(instance, Solution.of(report.admissions)).core_total == report.cost.total


def test_model_objective_is_the_plan_cost_for_any_neighbourhood() -> None:
    instance = load_instance(FIXTURES / "ihtp_small" / "small03.json.gz")
    rules = PlanRules.core(instance)
    start = greedy_plan(rules)
    rooms = {p: {0, 1} for p in range(0, len(start), 2)}
    result = PlanModel(rules, start, Neighbourhood(tuple(rooms), rooms=rooms)).solve(10, 2)
    assert result.admissions is not None
    assert result.objective == plan_cost(rules, result.admissions).total
    assert result.objective <= plan_cost(rules, start).total
    assert all(result.admissions[p] == start[p] for p in range(1, len(start), 2))


def test_relaxation_bounds_the_optimum_from_below() -> None:
    instance = load_instance(FIXTURES / "ihtp_small" / "small01.json.gz")
    rules = PlanRules.core(instance)
    everyone = Neighbourhood(tuple(range(len(instance.patients))))
    relaxed = PlanModel(rules, greedy_plan(rules), everyone, aggregate_rooms=True).solve(10, 2)
    exact = solve_core(instance, time_limit=30, workers=2)
    assert exact.optimal
    assert relaxed.bound <= exact.cost.total


def test_large_instance_gets_a_feasible_plan_better_than_greedy_within_the_limit() -> None:
    instance = load_instance(competition_instance("i12"))
    rules = PlanRules.core(instance)
    greedy_cost = plan_cost(rules, greedy_plan(rules)).total
    started = time.perf_counter()
    report = solve_core(instance, time_limit=8, workers=2)
    assert time.perf_counter() - started < 8 + 2
    assert _hard_violations(instance, report.admissions) == []
    assert report.cost.total < greedy_cost
    assert report.bound is not None
    assert report.bound <= report.cost.total


@PROPERTY
@given(planted_instances())
def test_solver_output_never_violates_hard_constraints(
    case: tuple[Instance, list[tuple[int, int, int] | None]],
) -> None:
    instance, _ = case
    report = solve_core(instance, time_limit=5, workers=1)
    assert _hard_violations(instance, report.admissions) == []
    assert report.optimal


@PROPERTY
@given(planted_instances())
def test_limit_on_admitted_optional_patients_never_cuts_off_a_feasible_plan(
    case: tuple[Instance, list[tuple[int, int, int] | None]],
) -> None:
    instance, rules, start = planted_plan(case)
    everyone = Neighbourhood(tuple(range(len(instance.patients))))
    counting = PlanModel(rules, greedy_plan(rules), everyone, mandatory_hard=True, costed=False)
    counting.maximise_admitted_optional()
    most = counting.solve(5, 1)
    assert most.optimal
    admitted = sum(
        1 for p, a in zip(instance.patients, start, strict=True) if a and not p.mandatory
    )
    assert most.bound >= admitted
    limited = PlanModel(rules, start, everyone, mandatory_hard=True, tight=True)
    limited.admit_at_most(int(most.bound))
    unlimited = PlanModel(rules, start, everyone, mandatory_hard=True, tight=True)
    with_limit, without = limited.solve(5, 1), unlimited.solve(5, 1)
    assert with_limit.optimal
    assert without.optimal
    assert with_limit.objective == without.objective


@PROPERTY
@given(planted_instances())
def test_neighbourhood_search_never_worsens_nor_breaks_the_plan(
    case: tuple[Instance, list[tuple[int, int, int] | None]],
) -> None:
    instance, rules, start = planted_plan(case)
    report = optimise(rules, start, 1.5, 1, mandatory_hard=True, whole_model_limit=0)
    assert report.lns_steps > 0 or report.optimal
    assert report.cost.total <= plan_cost(rules, start).total
    assert _hard_violations(instance, report.admissions) == []


@PROPERTY
@given(planted_instances())
def test_greedy_never_violates_hard_constraints_other_than_leaving_out(
    case: tuple[Instance, list[tuple[int, int, int] | None]],
) -> None:
    instance, _ = case
    plan = tuple(greedy_plan(PlanRules.core(instance)))
    evaluation = evaluate(instance, Solution.of(plan))
    assert [
        v.message for v in evaluation.violations if v.constraint != "MandatoryUnscheduledPatients"
    ] == []
    left_out = [p for p, a in enumerate(plan) if a is None and instance.patients[p].mandatory]
    assert evaluation.violation_totals()["MandatoryUnscheduledPatients"] == len(left_out)


@PROPERTY
@given(planted_instances())
def test_continuity_rows_never_cut_off_a_feasible_plan(
    case: tuple[Instance, list[tuple[int, int, int] | None]],
) -> None:
    instance, rules, start = planted_plan(case)
    everyone = Neighbourhood(tuple(range(len(instance.patients))))
    relaxed = PlanModel(rules, start, everyone, aggregate_rooms=True, continuity=True)
    for patient, admission in enumerate(start):
        if admission is None:
            relaxed.model.add(sum(relaxed.z[patient].values()) == 0)
        else:
            relaxed.model.add(relaxed.z[patient][admission.day, admission.theatre] == 1)
    result = relaxed.solve(5, 1)
    assert result.optimal
    assert result.objective is not None
    assert result.objective <= plan_cost(rules, start).total


# Days of small07 that the day-level bed counts accept but no room plan takes.
CROWDED_SMALL07_DAYS = {5: 9, 7: 9, 8: 10, 16: 10, 20: 11, 24: 10, 30: 8, 32: 8, 33: 11, 35: 9}
CROWDED_SMALL07_DAYS |= {36: 7, 38: 7, 39: 9}


def test_failing_subset_admits_no_room_plan_and_needs_each_of_its_patients() -> None:
    instance = load_instance(FIXTURES / "ihtp_small" / "small07.json.gz")
    rules = PlanRules.core(instance)
    assert place_in_rooms(rules, CROWDED_SMALL07_DAYS, 2, 1, costed=False).status == "INFEASIBLE"
    failing = failing_subset(rules, CROWDED_SMALL07_DAYS, 2, 1)
    assert failing.items() <= CROWDED_SMALL07_DAYS.items()
    assert place_in_rooms(rules, failing, 2, 1, costed=False).status == "INFEASIBLE"
    for patient in failing:
        rest = {p: day for p, day in failing.items() if p != patient}
        assert place_in_rooms(rules, rest, 2, 1, costed=False).status == "OPTIMAL"


def test_forbidden_day_sets_cut_off_only_what_they_name() -> None:
    instance = load_instance(FIXTURES / "ihtp_small" / "small01.json.gz")
    rules = PlanRules.core(instance)
    plan = solve_core(instance, time_limit=30, workers=2).admissions
    days = {p: a.day for p, a in enumerate(plan) if a is not None}
    everyone = Neighbourhood(tuple(range(len(instance.patients))))

    def relaxed_with(cut: str, on_plan_days: dict[int, int]) -> str:
        model = PlanModel(rules, plan, everyone, aggregate_rooms=True, costed=False)
        if cut == "together":
            model.forbid_together(days)
        else:
            model.forbid_exactly(days)
        for patient in range(len(instance.patients)):
            if patient in on_plan_days:
                model.model.add(model.admitted_on(patient, on_plan_days[patient]) == 1)
            else:
                model.model.add(sum(model.z[patient].values()) == 0)
        return model.solve(5, 1).status

    assert relaxed_with("together", days) == "INFEASIBLE"
    assert relaxed_with("exactly", days) == "INFEASIBLE"
    fewer = dict(list(days.items())[1:])
    assert relaxed_with("together", fewer) == "OPTIMAL"
    assert relaxed_with("exactly", fewer) == "OPTIMAL"


def _searched_at_relaxed_bound(instance: Instance) -> tuple[_Search, float]:
    """The search at the bound run from the greedy plan, told the relaxation's optimum;
    and that optimum."""
    rules = PlanRules.core(instance)
    everyone = Neighbourhood(tuple(range(len(instance.patients))))
    start = greedy_plan(rules)
    relaxed = PlanModel(rules, start, everyone, aggregate_rooms=True, mandatory_hard=True)
    result = relaxed.solve(10, 1)
    assert result.optimal
    search = _Search(rules, start, _Clock(60), lambda _: None)
    search.raise_bound(result.bound)
    _rooms_at_bound(search, everyone, 1, 1, mandatory_hard=True)
    return search, result.bound


def test_room_plan_dearer_than_the_bound_raises_it_one_step() -> None:
    # Four patients on day 0, beds 3 + 1: the bed counts see no age mix, but the room of
    # three must mix young and old.
    young: WardPatient = ("A", "young", 1, 0, 0, [])
    old: WardPatient = ("A", "old", 1, 0, 0, [])
    instance = ward_instance({"r0": 3, "r1": 1}, [young, young, old, old])
    search, relaxed_bound = _searched_at_relaxed_bound(instance)
    names = [name for name, _, _ in search.phases]
    assert names == ["room plan for the relaxed days", "no relaxed plan at the bound"]
    assert search.bound is not None
    assert relaxed_bound < search.bound
    exact = solve_core(instance, time_limit=30, workers=1)
    assert exact.optimal
    assert search.cost == exact.cost.total == relaxed_bound + 2 * instance.weights.room_mixed_age
    assert search.bound <= exact.cost.total


def test_relaxed_days_failing_on_rooms_are_repaired_then_cut_off() -> None:
    # p0 stays days 0-2; p1 (day 0) is barred from r1 and p2 (day 2, optional) from r0:
    # every day and window counts fit, but p0 cannot keep one room beside both.
    instance = ward_instance(
        {"r0": 1, "r1": 1},
        [
            ("A", "adult", 3, 0, 0, []),
            ("A", "adult", 1, 0, 0, ["r1"]),
            ("A", "adult", 1, 2, None, ["r0"]),
        ],
    )
    search, relaxed_bound = _searched_at_relaxed_bound(instance)
    names = [name for name, _, _ in search.phases]
    assert names == ["room repair", "days cut off (3 patients)", "no relaxed plan at the bound"]
    assert search.bound is not None
    assert relaxed_bound < search.bound
    exact = solve_core(instance, time_limit=30, workers=1)
    assert exact.optimal
    assert exact.admissions[2] is None
    assert search.bound <= exact.cost.total
