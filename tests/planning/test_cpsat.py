"""The CP-SAT re-planner: feasible, optimal on what can be enumerated, never worse than greedy."""

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.domain.cases import Booking, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre, Site
from bascule.domain.staff import Surgeon
from bascule.planning.candidates import candidates
from bascule.planning.check import violations
from bascule.planning.cpsat import CpSatOptions, solve_cpsat
from bascule.planning.greedy import solve_greedy
from bascule.planning.objective import decision_for, soft_costs, weighted_total
from bascule.planning.plan import Action, Plan, Slot, SolverReport
from bascule.planning.problem import LEVELS, Disruption, Problem, Weights
from tests.planning.instances import problems

FAST = CpSatOptions(time_limit=10.0, workers=1, seed=1)
MONDAY = date(2026, 12, 7)


def _vector(problem: Problem, plan: Plan) -> tuple[int, ...]:
    costs = soft_costs(problem, plan)
    return tuple(costs[level] for level in LEVELS)


def _brute_force_best(problem: Problem) -> tuple[int, ...]:
    """The lexicographic optimum by enumerating every combination of candidate slots."""
    options = []
    for case in problem.cases:
        slots: list[Slot | None] = [None]
        for candidate in candidates(problem, case):
            slots.append(Slot(problem.day(candidate.day), candidate.site_id, candidate.theatre_id))
        options.append(slots)
    best: tuple[int, ...] | None = None
    for combination in itertools.product(*options):
        decisions = []
        for case, slot in zip(problem.cases, combination, strict=True):
            surgeon = None
            if slot is not None:
                surgeon = problem.surgeons_for(case, slot.site_id)[0]
            decisions.append(decision_for(problem, case, slot, surgeon))
        plan = Plan(tuple(decisions), SolverReport("enumeration", "OPTIMAL", 0.0))
        if violations(problem, plan):
            continue
        vector = _vector(problem, plan)
        if best is None or vector < best:
            best = vector
    assert best is not None
    return best


def _tiny_group(cases: list[SurgicalCase], capacity: float, closed_days: int = 1) -> Problem:
    sites = (
        Site("rennes", "CHP Rennes", "Rennes", 48.11, -1.68),
        Site("vannes", "Clinique Vannes", "Vannes", 47.66, -2.76),
    )
    week = (240, 240, 240, 0, 0, 0, 0)
    theatres = (
        OperatingTheatre("rennes-1", "rennes", "Salle 1", week, ("orthopaedics",)),
        OperatingTheatre("vannes-1", "vannes", "Salle 1", week, ("orthopaedics",)),
    )
    surgeons = (
        Surgeon("s-r", "Le Goff", "Anne", "orthopaedics", ("rennes",), 600),
        Surgeon("s-v", "Riou", "Yann", "orthopaedics", ("vannes",), 600),
    )
    return Problem(
        start=MONDAY,
        days=3,
        sites=sites,
        theatres=theatres,
        surgeons=surgeons,
        cases=tuple(cases),
        disruptions=(
            Disruption(
                "rennes",
                MONDAY,
                date(2026, 12, 6 + closed_days),
                capacity_factor=capacity,
            ),
        ),
    )


_PRIORITY = st.sampled_from(list(PriorityClass))


@st.composite
def tiny_problems(draw: st.DrawFn) -> Problem:
    count = draw(st.integers(2, 4))
    cases = []
    for number in range(count):
        priority = draw(_PRIORITY)
        day = draw(st.integers(0, 2))
        cases.append(
            SurgicalCase(
                id=f"C{number}",
                patient_id=f"P{number}",
                site_id="rennes",
                specialty="orthopaedics",
                procedure="Arthroscopie",
                expected_minutes=draw(st.sampled_from([60, 90, 120, 180])),
                priority=priority,
                listed_on=date(2026, 12, 6),
                release_on=MONDAY,
                surgeon_id="s-r",
                booking=Booking(date(2026, 12, 7 + day), "rennes-1", 480),
                transferable=draw(st.booleans()),
                not_transferable_reason="Implant sur mesure",
            )
        )
    return _tiny_group(cases, draw(st.sampled_from([0.0, 0.5, 1.0])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_cpsat_reaches_the_enumerated_lexicographic_optimum(problem: Problem) -> None:
    plan = solve_cpsat(problem, FAST)
    assert plan.report.status == "OPTIMAL"
    assert _vector(problem, plan) == _brute_force_best(problem)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_cpsat_plan_respects_every_hard_constraint(problem: Problem) -> None:
    plan = solve_cpsat(problem, FAST, hint=solve_greedy(problem))
    assert violations(problem, plan) == []
    assert {d.case_id for d in plan.decisions} == {c.id for c in problem.cases}
    for decision in plan.decisions:
        case = problem.case(decision.case_id)
        if decision.slot is not None:
            assert decision.slot.day >= case.release_on
        if decision.action is Action.REDIRECT:
            assert case.transferable
        if case.id in problem.frozen:
            assert decision.action is Action.KEEP


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_cpsat_is_never_worse_than_greedy_on_its_objective(problem: Problem) -> None:
    greedy = solve_greedy(problem)
    plan = solve_cpsat(problem, FAST, hint=greedy)
    if problem.weights is None:
        assert _vector(problem, plan) <= _vector(problem, greedy)
    else:
        ours = weighted_total(problem, soft_costs(problem, plan))
        assert ours <= weighted_total(problem, soft_costs(problem, greedy))


def test_urgent_case_is_redirected_when_its_site_is_closed() -> None:
    urgent = SurgicalCase(
        id="C1",
        patient_id="P1",
        site_id="rennes",
        specialty="orthopaedics",
        procedure="Fracture du col",
        expected_minutes=120,
        priority=PriorityClass.P1A,
        listed_on=MONDAY,
        release_on=MONDAY,
        surgeon_id="s-r",
        booking=Booking(MONDAY, "rennes-1", 480),
    )
    problem = _tiny_group([urgent], capacity=0.0, closed_days=2)
    plan = solve_cpsat(problem, FAST)
    decision = plan.decision("C1")
    assert decision.action is Action.REDIRECT
    assert decision.slot is not None
    assert (decision.slot.site_id, decision.slot.theatre_id) == ("vannes", "vannes-1")
    assert decision.slot.day <= date(2026, 12, 8)
    assert decision.surgeon_id == "s-v"
    assert plan.report.objective["breach"] == 0


def test_weights_trade_distance_against_postponement() -> None:
    routine = SurgicalCase(
        id="C1",
        patient_id="P1",
        site_id="rennes",
        specialty="orthopaedics",
        procedure="Prothèse de hanche",
        expected_minutes=200,
        priority=PriorityClass.P2,
        listed_on=date(2026, 11, 11),
        release_on=MONDAY,
        surgeon_id="s-r",
        booking=Booking(MONDAY, "rennes-1", 480),
    )
    lexicographic = _tiny_group([routine], capacity=0.0, closed_days=3)
    assert solve_cpsat(lexicographic, FAST).decision("C1").action is Action.REDIRECT
    heavy_km = Weights(breach=1, kilometre=1000, postponement=1, change=1, overtime=1)
    fields = {name: getattr(lexicographic, name) for name in Problem.__dataclass_fields__}
    weighted = Problem(**{**fields, "weights": heavy_km})
    assert solve_cpsat(weighted, FAST).decision("C1").action is Action.POSTPONE
