"""The optimising re-planner: CP-SAT, level by level, then large-neighbourhood search.

The soft costs are minimised lexicographically by default: each level is solved with the
levels above it capped at their best value, sharing one time limit, starting from the hint
(usually the greedy plan) and from every free slot filled. Within a level, the whole model is
solved first, for a proven bound and a better incumbent; then, while time remains, the cases
of one site and specialty (they compete for the same theatres and surgeons), and then of one
specialty across the group (where redirected cases compete with local ones), are re-solved
with every other case held where the incumbent put it. These sub-models are small enough to
be solved to optimality in a fraction of a second, which the whole model of a group of five
sites is not. With weights, the five costs are summed and solved as one level.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from bascule.planning.cpsat_model import SchedulingModel, objective_value
from bascule.planning.objective import soft_costs
from bascule.planning.plan import Decision, Plan, SolverReport
from bascule.planning.problem import LEVELS, PlanningError, Problem

_SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)
_WHOLE_SHARE = 0.25
"""Share of a level's time spent on the whole model before searching by neighbourhood."""
_NEIGHBOURHOOD_SECONDS = 2.0
"""Most of what a sub-model can give comes early; proving it optimal can take far longer."""


@dataclass(frozen=True, slots=True)
class CpSatOptions:
    """How long and how hard to search."""

    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    log: bool = False


def _stage_expressions(problem: Problem, model: SchedulingModel) -> dict[str, cp_model.LinearExprT]:
    """Every objective a stage may minimise, by name."""
    if problem.weights is not None:
        w = problem.weights
        total: cp_model.LinearExprT = cp_model.LinearExpr.weighted_sum(
            [model.levels[level] for level in LEVELS],
            [w.breach, w.kilometre, w.postponement, w.change, w.overtime],
        )
        return {"weighted": total}
    return {level.value: model.levels[level] for level in LEVELS}


def _stages(problem: Problem, model: SchedulingModel) -> list[str]:
    """The stage names in order; a level that cannot exceed zero needs no stage."""
    if problem.weights is not None:
        return ["weighted"]
    return [level.value for level in LEVELS if model.level_max.get(level, 0)]


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    """Remembers when the first solution of a solve arrived."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.started


def solve_cpsat(
    problem: Problem, options: CpSatOptions | None = None, hint: Plan | None = None
) -> Plan:
    """Re-plan ``problem`` with CP-SAT within ``options.time_limit`` seconds.

    ``hint`` (usually the greedy plan) is the first incumbent when it fits the model, so the
    result is never worse than the hint on the first level.
    """
    options = options or CpSatOptions()
    started = time.perf_counter()
    model = SchedulingModel(problem)
    search = _Search(model, options, started)
    if hint is not None:
        search.start_from(hint.by_case)
    stages = _stages(problem, model)
    for position, name in enumerate(stages):
        left = options.time_limit - (time.perf_counter() - started)
        if left <= 0.05:
            search.notes.append(f"no time left for level {name}")
            break
        if not search.level(name, left / (len(stages) - position)):
            break
    if search.values is None:
        raise PlanningError(
            "CP-SAT found no plan within the time limit; "
            + ("; ".join(search.notes) or "the problem may be infeasible")
        )
    decisions = model.decisions(search.values)
    plan = Plan(decisions, SolverReport("cp-sat", search.status, 0.0))
    report = SolverReport(
        solver="cp-sat",
        status=search.status,
        seconds=time.perf_counter() - started,
        first_feasible_seconds=search.first,
        objective=soft_costs(problem, plan),
        bound=search.bounds,
        gap=search.gap,
        notes=tuple(search.notes),
    )
    return Plan(decisions, report)


class _Search:
    """The incumbent across levels, and the solves that improve it."""

    def __init__(self, model: SchedulingModel, options: CpSatOptions, started: float) -> None:
        self.model, self.options, self.started = model, options, started
        self.expressions = _stage_expressions(model.problem, model)
        self.values: list[int] | None = None
        self.capped: list[str] = []
        self.bounds: dict[str, int] = {}
        self.first: float | None = None
        self.gap: float | None = None
        self.optimal = True
        self.notes: list[str] = []

    @property
    def status(self) -> str:
        """OPTIMAL when every level was proven optimal, else FEASIBLE."""
        if self.values is None:
            return "UNKNOWN"
        return "OPTIMAL" if self.optimal else "FEASIBLE"

    def _solver(self, seconds: float) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.options.workers
        solver.parameters.random_seed = self.options.seed
        solver.parameters.log_search_progress = self.options.log
        solver.parameters.max_time_in_seconds = max(0.05, seconds)
        return solver

    def start_from(self, decisions: Mapping[str, Decision]) -> None:
        """Take ``decisions`` as the first incumbent once CP-SAT confirms they are feasible."""
        values = self.model.values_from_decisions(decisions)
        check = self.model.model.clone()
        for index, value in enumerate(values):
            domain = check.proto.variables[index].domain
            domain.clear()
            domain.extend([value, value])
        if self._solver(10.0).solve(check) in _SOLVED:
            self.values = values
            self.first = time.perf_counter() - self.started
        self.model.hint(decisions)

    def level(self, name: str, seconds: float) -> bool:
        """Minimise one level, then cap it at the value reached; False if nothing was found."""
        level_started = time.perf_counter()
        cp, expression = self.model.model, self.expressions[name]
        cp.minimize(expression)
        self._hint(cp)
        solver = self._solver(seconds * _WHOLE_SHARE)
        callback = _FirstSolution(self.started)
        status = solver.solve(cp, callback)
        if self.first is None:
            self.first = callback.first
        # Every level counts costs, so zero bounds it whatever the solver proved.
        bound = max(0, round(solver.best_objective_bound))
        if status in _SOLVED:
            self.values = list(solver.response_proto.solution)
        elif self.values is None:
            self.notes.append(f"{name}: {solver.status_name(status).lower()}")
            return False
        value = objective_value(cp, self.values)
        proven = status == cp_model.OPTIMAL
        filled = self.model.fill_free_capacity(self.values)
        if objective_value(cp, filled) <= value:
            self.values, value = filled, objective_value(cp, filled)
        passes = 0
        if not proven and value > bound:
            value, passes = self._by_neighbourhood(name, value, bound, level_started + seconds)
        self.bounds[name] = bound
        self.gap = 0.0 if value <= bound else (value - bound) / max(1, abs(value))
        self.optimal = self.optimal and (proven or value <= bound)
        self.notes.append(
            f"{name}: {value} (bound {bound}, "
            f"{'optimal' if proven or value <= bound else 'feasible'}, "
            f"{time.perf_counter() - level_started:.1f} s, {passes} neighbourhood passes)"
        )
        cp.add(expression <= value)
        self.capped.append(name)
        return True

    def _by_neighbourhood(
        self, name: str, value: int, bound: int, deadline: float
    ) -> tuple[int, int]:
        """Improve the incumbent one neighbourhood at a time until the deadline or a pass
        without improvement."""
        neighbourhoods = _neighbourhoods(self.model)
        passes = 0
        while neighbourhoods and value > bound and time.perf_counter() < deadline - 0.2:
            improved = False
            passes += 1
            for free in neighbourhoods:
                left = deadline - time.perf_counter()
                if left <= 0.2:
                    break
                found = self._resolve(name, free, min(left, _NEIGHBOURHOOD_SECONDS))
                if found is not None:
                    candidate_value = objective_value(self.model.model, found)
                    if candidate_value < value:
                        value, self.values, improved = candidate_value, found, True
                if value <= bound:
                    break
            if not improved:
                break
        return value, passes

    def _resolve(self, name: str, free: frozenset[str], seconds: float) -> list[int] | None:
        """Re-solve the cases ``free`` with every other case held at the incumbent; the full
        assignment if the sub-model improved on it."""
        assert self.values is not None
        model = self.model
        incumbent = {d.case_id: d for d in model.decisions(self.values, sequenced=False)}
        sub = SchedulingModel(model.problem, free=model.candidate_lists(set(free)), held=incumbent)
        hinted = sub.values_from_decisions(incumbent)
        sub.hint(incumbent)
        expressions = _stage_expressions(model.problem, sub)
        for capped in self.capped:
            sub.model.minimize(expressions[capped])
            sub.model.add(expressions[capped] <= objective_value(sub.model, hinted))
        sub.model.minimize(expressions[name])
        solver = self._solver(seconds)
        if solver.solve(sub.model) not in _SOLVED:
            return None
        if round(solver.objective_value) >= objective_value(sub.model, hinted):
            return None
        values = list(solver.response_proto.solution)
        local = {d.case_id: d for d in sub.decisions(values, sequenced=False)}
        merged = {**incumbent, **{case_id: local[case_id] for case_id in free}}
        return model.values_from_decisions(merged)

    def _hint(self, cp: cp_model.CpModel) -> None:
        if self.values is None:
            return
        cp.proto.clear_solution_hint()
        hint = cp.proto.solution_hint
        hint.vars.extend(range(len(self.values)))
        hint.values.extend(self.values)


def _neighbourhoods(model: SchedulingModel) -> list[frozenset[str]]:
    """Cases to free together: one site and specialty, then one specialty group-wide;
    only cases with a choice to make, largest group first within each kind."""
    problem = model.problem
    by_site: dict[tuple[str, str], set[str]] = {}
    by_specialty: dict[str, set[str]] = {}
    for case_id, choices in model.choices.items():
        if len(choices) < 2:
            continue
        case = problem.case(case_id)
        by_site.setdefault((case.site_id, case.specialty), set()).add(case_id)
        by_specialty.setdefault(case.specialty, set()).add(case_id)
    local = sorted(by_site.values(), key=len, reverse=True)
    wide = sorted(by_specialty.values(), key=len, reverse=True)
    return [frozenset(group) for group in local + wide if len(group) > 1]


def model_size(problem: Problem) -> Mapping[str, int]:
    """Variables and constraints of the model for ``problem`` (for benchmarks and logs)."""
    proto = SchedulingModel(problem).model.proto
    return {"variables": len(proto.variables), "constraints": len(proto.constraints)}
