"""The optimising re-planner: a CP-SAT model over (case, theatre, day), solved level by level.

Each non-frozen case chooses at most one candidate slot (``candidates.py``); choosing none
postpones it beyond the horizon. Theatre-day minutes, surgeon-day minutes and bed pools are
hard constraints. The soft costs are minimised lexicographically by default: each level is
solved with the levels above it capped at their best value, warm-started from the previous
incumbent (the first level from the hint, usually the greedy plan), sharing one time limit.
With weights, the five costs are summed and solved once.
"""

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from bascule.domain.cases import SurgicalCase
from bascule.planning.candidates import Candidate, candidates, original_candidate
from bascule.planning.objective import decision_for, postponement_cost, soft_costs
from bascule.planning.plan import Decision, Plan, Slot, SolverReport
from bascule.planning.problem import (
    DEADLINE_WEIGHT,
    LEVELS,
    Level,
    PlanningError,
    Problem,
    Weights,
)
from bascule.planning.sequencing import with_start_minutes

_SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


@dataclass(frozen=True, slots=True)
class CpSatOptions:
    """How long and how hard to search."""

    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    log: bool = False


@dataclass(slots=True)
class _Choice:
    """A candidate slot of a case and its decision variable."""

    case: SurgicalCase
    candidate: Candidate
    var: cp_model.IntVar


class _Model:
    """The CP-SAT model of a problem, with the expression of each soft-cost level."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        self.choices: dict[str, list[_Choice]] = {}
        self.surgeon_vars: dict[tuple[str, str, int], dict[str, cp_model.IntVar]] = {}
        self.overtime: list[cp_model.IntVar] = []
        self.overtime_by_theatre_day: dict[tuple[str, int], cp_model.IntVar] = {}
        self.fixed_theatre: dict[tuple[str, int], int] = defaultdict(int)
        self.fixed_surgeon: dict[tuple[str, int], int] = defaultdict(int)
        self.fixed_beds: dict[tuple[str, str, int], int] = defaultdict(int)
        self.levels: dict[str, cp_model.LinearExprT] = {}
        self.level_max: dict[str, int] = {}
        self._build()

    def _build(self) -> None:
        problem = self.problem
        theatre_load: dict[tuple[str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        surgeon_load: dict[tuple[str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        bed_load: dict[tuple[str, str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        fixed_theatre = self.fixed_theatre
        fixed_surgeon = self.fixed_surgeon
        fixed_beds = self.fixed_beds
        for case in problem.cases:
            if case.id in problem.frozen:
                self._add_frozen(case, fixed_theatre, fixed_surgeon, fixed_beds)
                continue
            choices = []
            for index, candidate in enumerate(candidates(problem, case)):
                var = self.model.new_bool_var(f"x{case.id}_{index}")
                choices.append(_Choice(case, candidate, var))
                key = (candidate.theatre_id, candidate.day)
                theatre_load[key].append(candidate.minutes * var)
                self._add_beds(case, candidate, var, bed_load)
            self.choices[case.id] = choices
            if choices:
                self.model.add_at_most_one(choice.var for choice in choices)
            self._add_surgeons(case, choices, surgeon_load)
        self._capacity(theatre_load, fixed_theatre)
        for (surgeon_id, day), terms in surgeon_load.items():
            limit = problem.surgeon(surgeon_id).max_daily_minutes - fixed_surgeon[surgeon_id, day]
            self.model.add(sum(terms) <= max(0, limit))
        for (site_id, specialty, day), terms in bed_load.items():
            pool = problem.bed_pool(site_id, specialty)
            assert pool is not None
            self.model.add(sum(terms) <= max(0, pool.beds - fixed_beds[site_id, specialty, day]))
        self._levels()

    def _add_frozen(
        self,
        case: SurgicalCase,
        theatre: dict[tuple[str, int], int],
        surgeon: dict[tuple[str, int], int],
        beds: dict[tuple[str, str, int], int],
    ) -> None:
        if case.booking is None:
            return
        problem, booking = self.problem, case.booking
        day = problem.index(booking.day)
        site_id = problem.theatre(booking.theatre_id).site_id
        minutes = problem.duration(case, site_id, booking.day)
        theatre[booking.theatre_id, day] += minutes
        if case.surgeon_id is not None:
            surgeon[case.surgeon_id, day] += minutes
        for night in self._nights(case, day):
            if problem.bed_pool(site_id, case.specialty) is not None:
                beds[site_id, case.specialty, night] += 1

    def _nights(self, case: SurgicalCase, day: int) -> range:
        stay = self.problem.length_of_stay.get(case.id, 0)
        return range(day, min(self.problem.days, day + stay))

    def _add_beds(
        self,
        case: SurgicalCase,
        candidate: Candidate,
        var: cp_model.IntVar,
        bed_load: dict[tuple[str, str, int], list[cp_model.LinearExprT]],
    ) -> None:
        if self.problem.bed_pool(candidate.site_id, case.specialty) is None:
            return
        for night in self._nights(case, candidate.day):
            bed_load[candidate.site_id, case.specialty, night].append(var)

    def _add_surgeons(
        self,
        case: SurgicalCase,
        choices: list[_Choice],
        surgeon_load: dict[tuple[str, int], list[cp_model.LinearExprT]],
    ) -> None:
        by_site_day: dict[tuple[str, int], list[_Choice]] = defaultdict(list)
        for choice in choices:
            by_site_day[choice.candidate.site_id, choice.candidate.day].append(choice)
        for (site_id, day), group in by_site_day.items():
            surgeons = group[0].candidate.surgeons
            minutes = group[0].candidate.minutes
            chosen = sum(choice.var for choice in group)
            if len(surgeons) == 1:
                surgeon_load[surgeons[0], day].append(minutes * chosen)
                continue
            # Which surgeon of the specialty takes the case there is a decision of its own.
            picks = {s: self.model.new_bool_var(f"s{case.id}_{s}_{day}") for s in surgeons}
            self.model.add(sum(picks.values()) == chosen)
            self.surgeon_vars[case.id, site_id, day] = picks
            for surgeon_id, pick in picks.items():
                surgeon_load[surgeon_id, day].append(minutes * pick)

    def _capacity(
        self,
        theatre_load: dict[tuple[str, int], list[cp_model.LinearExprT]],
        fixed: dict[tuple[str, int], int],
    ) -> None:
        problem = self.problem
        for (theatre_id, day), terms in theatre_load.items():
            # Frozen cases may already fill (or overfill) the theatre-day: nothing else fits.
            limit = max(0, problem.capacity(theatre_id, problem.day(day)) - fixed[theatre_id, day])
            if problem.max_overtime_minutes > 0:
                extra = self.model.new_int_var(
                    0, problem.max_overtime_minutes, f"o{theatre_id}_{day}"
                )
                self.overtime.append(extra)
                self.overtime_by_theatre_day[theatre_id, day] = extra
                self.model.add(sum(terms) <= limit + extra)
            else:
                self.model.add(sum(terms) <= limit)

    def _levels(self) -> None:
        problem = self.problem
        breach: list[cp_model.LinearExprT] = []
        kilometre: list[cp_model.LinearExprT] = []
        postponement: list[cp_model.LinearExprT] = []
        change: list[cp_model.LinearExprT] = []
        maxima: dict[str, int] = defaultdict(int)
        for case in problem.cases:
            if case.id in problem.frozen:
                continue
            choices = self.choices[case.id]
            scheduled = sum(choice.var for choice in choices)
            due = problem.due(case)
            weight = DEADLINE_WEIGHT[case.priority]
            if due is not None:
                late = [c.var for c in choices if problem.day(c.candidate.day) > due]
                if late:
                    breach.append(weight * sum(late))
                if due < problem.end:
                    breach.append(weight * (1 - scheduled))
                maxima[Level.BREACH] += weight
            for choice in choices:
                distance = problem.distance_km(case.site_id, choice.candidate.site_id)
                if distance:
                    kilometre.append(distance * choice.var)
            maxima[Level.KILOMETRE] += max(
                (problem.distance_km(case.site_id, c.candidate.site_id) for c in choices),
                default=0,
            )
            cost = postponement_cost(problem, case)
            postponement.append(cost * (1 - scheduled))
            maxima[Level.POSTPONEMENT] += cost
            original = original_candidate(problem, case)
            if original is None:
                change.append(scheduled)
            else:
                kept = [
                    c.var for c in choices if (c.candidate.theatre_id, c.candidate.day) == original
                ]
                change.append(1 - sum(kept))
            maxima[Level.CHANGE] += 1
        maxima[Level.OVERTIME] = problem.max_overtime_minutes * len(self.overtime)
        self.levels = {
            Level.BREACH: sum(breach),
            Level.KILOMETRE: sum(kilometre),
            Level.POSTPONEMENT: sum(postponement),
            Level.CHANGE: sum(change),
            Level.OVERTIME: sum(self.overtime),
        }
        self.level_max = dict(maxima)

    def hint(self, plan: Plan) -> None:
        """Warm-start from ``plan`` (slots outside the candidate set are simply not hinted)."""
        self.model.proto.clear_solution_hint()
        for case_id, choices in self.choices.items():
            decision = plan.by_case.get(case_id)
            slot = None if decision is None else decision.slot
            for choice in choices:
                hit = (
                    slot is not None
                    and slot.theatre_id == choice.candidate.theatre_id
                    and self.problem.index(slot.day) == choice.candidate.day
                )
                self.model.add_hint(choice.var, hit)
            self._hint_surgeons(case_id, decision)

    def _hint_surgeons(self, case_id: str, decision: Decision | None) -> None:
        for (hinted_case, site_id, day), picks in self.surgeon_vars.items():
            if hinted_case != case_id:
                continue
            slot = None if decision is None else decision.slot
            here = (
                slot is not None and slot.site_id == site_id and self.problem.index(slot.day) == day
            )
            chosen = decision.surgeon_id if decision is not None and here else None
            if here and chosen not in picks:
                chosen = next(iter(picks))
            for surgeon_id, pick in picks.items():
                self.model.add_hint(pick, surgeon_id == chosen)

    def decisions(self, values: list[int]) -> tuple[Decision, ...]:
        """The decisions of a solution given as the value of every variable."""
        problem = self.problem
        found: list[Decision] = []
        for case in problem.cases:
            if case.id in problem.frozen:
                found.append(_kept(problem, case))
                continue
            slot, surgeon_id = None, None
            for choice in self.choices[case.id]:
                if values[choice.var.index]:
                    candidate = choice.candidate
                    slot = Slot(problem.day(candidate.day), candidate.site_id, candidate.theatre_id)
                    surgeon_id = self._surgeon(values, case, candidate)
                    break
            found.append(decision_for(problem, case, slot, surgeon_id))
        return with_start_minutes(problem, tuple(found))

    def _surgeon(self, values: list[int], case: SurgicalCase, candidate: Candidate) -> str:
        picks = self.surgeon_vars.get((case.id, candidate.site_id, candidate.day))
        if picks is None:
            return candidate.surgeons[0]
        return next(s for s, pick in picks.items() if values[pick.index])

    def fill_free_capacity(self, values: list[int]) -> list[int]:
        """Schedule postponed cases into room left at their own site, most urgent first.

        Never adds kilometres or overtime and never makes a case later than its deadline
        when it was not already past it, so no level above postponement gets worse; the
        search then starts from far fewer postponements than a level solve leaves behind.
        """
        problem = self.problem
        values = list(values)
        theatre: dict[tuple[str, int], int] = defaultdict(int, self.fixed_theatre)
        surgeon: dict[tuple[str, int], int] = defaultdict(int, self.fixed_surgeon)
        beds: dict[tuple[str, str, int], int] = defaultdict(int, self.fixed_beds)
        waiting: list[SurgicalCase] = []
        for case_id, choices in self.choices.items():
            case = problem.case(case_id)
            chosen = next((c for c in choices if values[c.var.index]), None)
            if chosen is None:
                waiting.append(case)
                continue
            candidate = chosen.candidate
            theatre[candidate.theatre_id, candidate.day] += candidate.minutes
            surgeon[self._surgeon(values, case, candidate), candidate.day] += candidate.minutes
            for night in self._nights(case, candidate.day):
                beds[candidate.site_id, case.specialty, night] += 1
        waiting.sort(key=lambda c: (c.priority.rank, c.listed_on, c.id))
        for case in waiting:
            for choice in self.choices[case.id]:
                candidate = choice.candidate
                if candidate.site_id != case.site_id:
                    continue
                day = problem.day(candidate.day)
                if theatre[candidate.theatre_id, candidate.day] + candidate.minutes > (
                    problem.capacity(candidate.theatre_id, day)
                ):
                    continue
                free = [
                    s
                    for s in candidate.surgeons
                    if surgeon[s, candidate.day] + candidate.minutes
                    <= problem.surgeon(s).max_daily_minutes
                ]
                pool = problem.bed_pool(candidate.site_id, case.specialty)
                nights = self._nights(case, candidate.day) if pool is not None else range(0)
                if not free or (
                    pool is not None
                    and any(beds[pool.site_id, pool.specialty, n] >= pool.beds for n in nights)
                ):
                    continue
                values[choice.var.index] = 1
                picks = self.surgeon_vars.get((case.id, candidate.site_id, candidate.day))
                if picks is not None:
                    values[picks[free[0]].index] = 1
                theatre[candidate.theatre_id, candidate.day] += candidate.minutes
                surgeon[free[0], candidate.day] += candidate.minutes
                for night in nights:
                    beds[candidate.site_id, case.specialty, night] += 1
                break
        return values

    def neighbourhoods(self) -> list[set[int]]:
        """Variable indices to free together: the cases of one specialty listed at one site
        (they compete for the same theatres and surgeons), the choices of surgeon they
        involve and the site's overtime; largest first."""
        groups: dict[tuple[str, str], set[int]] = defaultdict(set)
        for case_id, choices in self.choices.items():
            if len(choices) < 2:
                continue
            case = self.problem.case(case_id)
            groups[case.site_id, case.specialty].update(choice.var.index for choice in choices)
        for (case_id, _, _), picks in self.surgeon_vars.items():
            case = self.problem.case(case_id)
            if (case.site_id, case.specialty) in groups:
                groups[case.site_id, case.specialty].update(p.index for p in picks.values())
        for (theatre_id, _), var in self.overtime_by_theatre_day.items():
            theatre = self.problem.theatre(theatre_id)
            for (site_id, specialty), free in groups.items():
                if site_id == theatre.site_id and specialty in theatre.specialties:
                    free.add(var.index)
        return sorted(groups.values(), key=len, reverse=True)


def _objective_value(cp: cp_model.CpModel, values: list[int]) -> int:
    """The model's objective at ``values`` (a minimisation, so no scaling sign)."""
    objective = cp.proto.objective
    total: float = objective.offset
    total += sum(c * values[v] for v, c in zip(objective.vars, objective.coeffs, strict=True))
    return round(total)


def _kept(problem: Problem, case: SurgicalCase) -> Decision:
    booking = case.booking
    if booking is None:
        return decision_for(problem, case, None)
    site_id = problem.theatre(booking.theatre_id).site_id
    slot = Slot(booking.day, site_id, booking.theatre_id, booking.start_minute)
    return decision_for(problem, case, slot, case.surgeon_id)


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    """Remembers when the first solution of a solve arrived."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.started


def _stages(problem: Problem, model: _Model) -> list[tuple[str, cp_model.LinearExprT]]:
    """The objectives to minimise in turn: one weighted sum, or one level after another
    (a level that cannot exceed zero is left out)."""
    if problem.weights is not None:
        w: Weights = problem.weights
        total: cp_model.LinearExprT = cp_model.LinearExpr.weighted_sum(
            [model.levels[level] for level in LEVELS],
            [w.breach, w.kilometre, w.postponement, w.change, w.overtime],
        )
        return [("weighted", total)]
    return [(level, model.levels[level]) for level in LEVELS if model.level_max.get(level, 0)]


def solve_cpsat(
    problem: Problem, options: CpSatOptions | None = None, hint: Plan | None = None
) -> Plan:
    """Re-plan ``problem`` with CP-SAT within ``options.time_limit`` seconds.

    ``hint`` (usually the greedy plan) warm-starts the search, so the result is never worse
    than the hint on the first level when the hint fits the model. Each level is first
    solved whole, for its bound and a better incumbent, then improved site by site: the
    cases of one site are freed and everything else is held at the incumbent
    (large-neighbourhood search), which is where a model of thousands of cases improves.
    """
    options = options or CpSatOptions()
    started = time.perf_counter()
    model = _Model(problem)
    if hint is not None:
        model.hint(hint)
    search = _Search(model, options, started)
    search.start_from_hint()
    stages = _stages(problem, model)
    for position, (name, expression) in enumerate(stages):
        left = options.time_limit - (time.perf_counter() - started)
        if left <= 0.05:
            search.notes.append(f"no time left for level {name}")
            break
        if not search.level(name, expression, left / (len(stages) - position)):
            break
    if search.values is None:
        raise PlanningError(
            "CP-SAT found no plan within the time limit; "
            + ("; ".join(search.notes) or "the problem may be infeasible (frozen cases?)")
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


_WHOLE_SHARE = 0.4
"""Share of a level's time spent on the whole model before searching site by site."""


class _Search:
    """The incumbent across levels, and the solves that improve it."""

    def __init__(self, model: _Model, options: CpSatOptions, started: float) -> None:
        self.model, self.options, self.started = model, options, started
        self.values: list[int] | None = None
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

    def level(self, name: str, expression: cp_model.LinearExprT, seconds: float) -> bool:
        """Minimise one level, then cap it at the value reached; False if nothing was found."""
        level_started = time.perf_counter()
        cp = self.model.model
        cp.minimize(expression)
        self._hint(cp)
        solver = self._solver(seconds * _WHOLE_SHARE)
        callback = _FirstSolution(self.started)
        status = solver.solve(cp, callback)
        if self.first is None:
            self.first = callback.first
        if status in _SOLVED:
            self.values = list(solver.response_proto.solution)
            value = round(solver.objective_value)
            bound = round(solver.best_objective_bound)
        elif self.values is not None:
            # The incumbent still satisfies every cap: carry on from it.
            value, bound = _objective_value(cp, self.values), round(solver.best_objective_bound)
        else:
            self.notes.append(f"{name}: {solver.status_name(status).lower()}")
            return False
        proven = status == cp_model.OPTIMAL
        filled = self.model.fill_free_capacity(self.values)
        filled_value = _objective_value(cp, filled)
        if filled_value <= value:
            value, self.values = filled_value, filled
        passes = 0
        if not proven and value > bound:
            value, passes = self._by_site(value, bound, level_started + seconds)
        self.bounds[name] = bound
        self.gap = 0.0 if value <= bound else (value - bound) / max(1, abs(value))
        self.optimal = self.optimal and (proven or value <= bound)
        self.notes.append(
            f"{name}: {value} (bound {bound}, "
            f"{'optimal' if proven or value <= bound else 'feasible'}, "
            f"{time.perf_counter() - level_started:.1f} s, {passes} site passes)"
        )
        cp.add(expression <= value)
        return True

    def start_from_hint(self) -> None:
        """Take a complete hint as the first incumbent once CP-SAT confirms it is feasible."""
        cp = self.model.model
        hint = cp.proto.solution_hint
        if len(hint.vars) != len(cp.proto.variables):
            return
        values = [0] * len(cp.proto.variables)
        for index, value in zip(hint.vars, hint.values, strict=True):
            values[index] = value
        check = cp.clone()
        for index, value in enumerate(values):
            domain = check.proto.variables[index].domain
            domain.clear()
            domain.extend([value, value])
        check.proto.clear_objective()
        if self._solver(10.0).solve(check) in _SOLVED:
            self.values = values

    def _by_site(self, value: int, bound: int, deadline: float) -> tuple[int, int]:
        """Improve the incumbent one site at a time until the deadline or a quiet pass."""
        neighbourhoods = self.model.neighbourhoods()
        passes = 0
        while neighbourhoods and value > bound:
            improved = False
            passes += 1
            for position, free in enumerate(neighbourhoods):
                left = deadline - time.perf_counter()
                if left <= 0.2:
                    return value, passes
                found = self._solve_freeing(free, left / (len(neighbourhoods) - position))
                if found is not None and found[0] < value:
                    value, self.values = found
                    improved = True
                if value <= bound:
                    break
            if not improved:
                break
        return value, passes

    def _solve_freeing(self, free: set[int], seconds: float) -> tuple[int, list[int]] | None:
        """Re-solve with only the variables ``free`` unfixed, from the incumbent."""
        assert self.values is not None
        sub = self.model.model.clone()
        variables = sub.proto.variables
        for index, value in enumerate(self.values):
            if index not in free:
                domain = variables[index].domain
                domain.clear()
                domain.extend([value, value])
        self._hint(sub)
        solver = self._solver(seconds)
        status = solver.solve(sub)
        if status not in _SOLVED:
            return None
        return round(solver.objective_value), list(solver.response_proto.solution)

    def _hint(self, cp: cp_model.CpModel) -> None:
        if self.values is None:
            return
        cp.proto.clear_solution_hint()
        hint = cp.proto.solution_hint
        hint.vars.extend(range(len(self.values)))
        hint.values.extend(self.values)


def model_size(problem: Problem) -> Mapping[str, int]:
    """Variables and constraints of the model for ``problem`` (for benchmarks and logs)."""
    model = _Model(problem).model.proto
    return {"variables": len(model.variables), "constraints": len(model.constraints)}
