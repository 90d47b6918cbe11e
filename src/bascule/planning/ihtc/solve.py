"""Solving within a time limit: a start, a proven bound, then the whole model or LNS.

1. A starting plan: the greedy planner's (or the caller's, when re-planning). In the core
   problem, if it leaves mandatory patients out, a model with every mandatory patient
   required and no costs places them all in seconds; optional ones are added greedily.
2. Small instances first try the whole room-level model for a few seconds. In the core
   problem, if that does not close, the most optional patients any plan can admit beside
   the mandatory ones is bounded (CP-SAT proves it in seconds); later models are told.
3. The relaxation (rooms counted per day and gender, age mix bounded from below; on
   large instances each day's theatres pooled) gives the proven lower bound.
4. Small instances: a room repair of the relaxation's days (a day either side allowed);
   then, once the relaxation is proven, its variant with continuity rows looks for plans
   at the bound whose days admit a room plan (a logic-based decomposition: days no room
   plan takes are repaired or else cut off, and the bound rises when none is left); then
   the whole model on the rest of the time, told the bound so that it stops as soon as a
   plan reaches it.
5. Otherwise, a large-neighbourhood search: neighbourhoods of patients re-solved with the
   rest of the plan fixed, each hinted with the incumbent and stopped when it stalls,
   keeping every plan that is no worse; their sizes adapt to how fast they solve.

The bound reported is the best proven lower bound on the objective: the whole model's, or
the relaxation's; the plan is optimal when it reaches it.
"""

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bascule.planning.ihtc.greedy import fill, greedy_plan, plan_on_days, priority_order
from bascule.planning.ihtc.instance import Instance
from bascule.planning.ihtc.model import ModelResult, Neighbourhood, PlanModel
from bascule.planning.ihtc.neighbourhoods import KINDS, estimated_size
from bascule.planning.ihtc.occupancy import Occupancy
from bascule.planning.ihtc.rules import PlanCost, PlanRules, plan_cost
from bascule.planning.ihtc.solution import Admission

WHOLE_MODEL_LIMIT = 4000
"""Estimated decision variables up to which the whole room-level model is solved at once."""
RELAXATION_SHARE = {True: 0.5, False: 0.1}
"""Share of the time for the relaxation, on small (True) and large instances."""
FIRST_TRY_SECONDS, FIRST_TRY_SHARE = 15.0, 0.2
"""Time for a first attempt at the whole model of a small instance, before the relaxation."""
RELAXATION_CAP = {True: 120.0, False: 60.0}
"""Longest time given to the relaxation, on small (True) and large instances."""
CAPACITY_SHARE, CAPACITY_CAP = 0.1, 20.0
"""Share of the time, and longest time, for bounding how many optional patients fit."""
FEASIBILITY_SHARE = 0.25
"""Most of the time spent placing every mandatory patient when the greedy plan cannot."""
REPAIR_SHARE, REPAIR_CAP, REPAIR_STALL = 0.15, 10.0, 2.0
"""Share of the time, longest time, and time without progress for the room repair."""
ROOMS_AT_BOUND_SHARE, ROOMS_AT_BOUND_CAP = 0.6, 120.0
"""Share of the time left, and longest time, for finding a room plan at the bound."""
ROOM_CHECK_SECONDS = 10.0
"""Longest time for placing the patients of a relaxed plan in rooms on their days."""
REPAIR_SLACK = 1
"""Days either side of the relaxation's admission day open to the room repair."""
STEP_SECONDS = 1.5
"""Time limit of one neighbourhood's solve."""
STALL_SECONDS = 0.3
"""A neighbourhood's solve stops after this long without a better plan."""
INITIAL_TARGET, MIN_TARGET, MAX_TARGET = 1500, 300, 8000
"""Estimated size of neighbourhood models, adapted to how fast they solve."""

Progress = Callable[[str], None]


@dataclass
class _Clock:
    limit: float
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        return max(0.0, self.limit - self.elapsed())


@dataclass(frozen=True)
class SolveReport:
    """The best plan found, what it costs, and the proven bound on the objective."""

    admissions: tuple[Admission | None, ...]
    cost: PlanCost
    bound: float | None
    optimal: bool
    seconds: float
    lns_steps: int = 0
    lns_improvements: int = 0
    phases: tuple[tuple[str, float, int], ...] = ()

    @property
    def gap(self) -> float | None:
        """Relative distance between the plan's objective and the bound."""
        if self.bound is None or self.cost.total <= 0:
            return None
        return max(0.0, (self.cost.total - self.bound) / self.cost.total)


class _Search:
    """The incumbent plan and what is known about it while the phases run."""

    def __init__(
        self, rules: PlanRules, start: Sequence[Admission | None], clock: _Clock, log: Progress
    ) -> None:
        self.rules = rules
        self.plan = list(start)
        self.cost = plan_cost(rules, self.plan).total
        self.clock = clock
        self.log = log
        self.bound: float | None = None
        self.optional_limit: int | None = None
        self.optimal = False
        self.phases: list[tuple[str, float, int]] = []

    def offer(self, result: ModelResult) -> bool:
        """Keep the result's plan when it is no worse; True when strictly better."""
        if result.admissions is None or result.objective is None:
            return False
        if result.objective > self.cost:
            return False
        better = result.objective < self.cost
        self.plan, self.cost = result.admissions, result.objective
        return better

    def offer_plan(self, plan: Sequence[Admission | None]) -> None:
        """Keep a plan built outside CP-SAT when it is cheaper."""
        cost = plan_cost(self.rules, plan).total
        if cost < self.cost:
            self.plan, self.cost = list(plan), cost

    def done(self) -> bool:
        """Whether the incumbent is proven optimal."""
        return self.optimal or (self.bound is not None and self.cost <= self.bound)

    def model(self, neighbourhood: Neighbourhood, **options: bool) -> PlanModel:
        """A model of ``neighbourhood`` around the incumbent, told the proven bound."""
        model = PlanModel(self.rules, self.plan, neighbourhood, **options)
        if self.bound is not None:
            model.require_at_least(self.bound)
        return model

    def limit_optional(self, model: PlanModel) -> None:
        """Tell a model with every mandatory patient required how many optional ones fit."""
        if self.optional_limit is not None:
            model.admit_at_most(self.optional_limit)

    def raise_bound(self, bound: float) -> None:
        self.bound = bound if self.bound is None else max(self.bound, bound)

    def phase(self, name: str) -> None:
        self.phases.append((name, round(self.clock.elapsed(), 2), self.cost))
        bound = "" if self.bound is None else f", bound {self.bound:.0f}"
        self.log(f"{self.clock.elapsed():6.1f}s {name}: objective {self.cost}{bound}")


def solve_core(
    instance: Instance,
    time_limit: float,
    workers: int,
    *,
    seed: int = 1,
    progress: Progress | None = None,
) -> SolveReport:
    """The competition's nurse-free core problem, from the greedy plan."""
    rules = PlanRules.core(instance)
    return optimise(
        rules,
        greedy_plan(rules),
        time_limit,
        workers,
        seed=seed,
        mandatory_hard=True,
        progress=progress,
    )


def optimise(
    rules: PlanRules,
    start: Sequence[Admission | None],
    time_limit: float,
    workers: int,
    *,
    seed: int = 1,
    mandatory_hard: bool = False,
    progress: Progress | None = None,
    whole_model_limit: int = WHOLE_MODEL_LIMIT,
) -> SolveReport:
    """Improve ``start`` for ``time_limit`` seconds of wall time on ``workers`` threads.

    With ``mandatory_hard`` (the core problem) the relaxation and the whole model require
    every mandatory patient; otherwise they are penalised. Neighbourhood models never let
    the number of breached deadlines grow, so the result breaches no more than ``start``.
    Instances whose whole model is estimated at most ``whole_model_limit`` decision
    variables are solved whole; larger ones by repair and neighbourhood search.
    """
    clock = _Clock(time_limit)
    search = _Search(rules, start, clock, progress or (lambda _: None))
    search.phase("start")
    everyone = Neighbourhood(tuple(range(len(rules.instance.patients))))
    small = estimated_size(rules, everyone.patients) <= whole_model_limit

    if mandatory_hard:
        _mandatory_first(search, workers, seed)
    if small:
        # Most small instances close quickly; the relaxation is for those that do not.
        first_try = min(FIRST_TRY_SECONDS, clock.left() * FIRST_TRY_SHARE)
        _whole(search, everyone, workers, seed, mandatory_hard=mandatory_hard, limit=first_try)
    if search.done():
        return _report(search, 0, 0)
    if small and mandatory_hard:
        _optional_capacity(search, everyone, workers, seed)
    relaxed = _relaxation(
        search,
        everyone=everyone,
        workers=workers,
        seed=seed,
        small=small,
        mandatory_hard=mandatory_hard,
    )
    # Pooled days rarely survive rooms on large instances: there the search starts at once.
    if small and relaxed is not None and not search.done():
        _repair(search, relaxed, workers, seed)
    # Without a proven relaxation the bound is too low for plans to be found at it.
    if small and relaxed is not None and relaxed.optimal and not search.done():
        _rooms_at_bound(search, everyone, workers, seed, mandatory_hard=mandatory_hard)
    if small and not search.done():
        _whole(search, everyone, workers, seed, mandatory_hard=mandatory_hard, limit=clock.left())
    steps = improvements = 0
    if not search.done():
        steps, improvements = _lns(search, workers, random.Random(seed))
    return _report(search, steps, improvements)


def _report(search: _Search, steps: int, improvements: int) -> SolveReport:
    return SolveReport(
        admissions=tuple(search.plan),
        cost=plan_cost(search.rules, search.plan),
        bound=search.bound,
        optimal=search.done(),
        seconds=search.clock.elapsed(),
        lns_steps=steps,
        lns_improvements=improvements,
        phases=tuple(search.phases),
    )


def _mandatory_first(search: _Search, workers: int, seed: int) -> None:
    """When the start leaves mandatory patients out: place them all, costs ignored.

    Without an objective and with every mandatory patient required, CP-SAT finds such a
    placement in seconds where the penalised model takes far longer; the optional patients
    are then added greedily.
    """
    rules, instance = search.rules, search.rules.instance
    if not any(rules.breached(p, a) for p, a in enumerate(search.plan)):
        return
    mandatory = [p for p, patient in enumerate(instance.patients) if patient.mandatory]
    start = [a if instance.patients[p].mandatory else None for p, a in enumerate(search.plan)]
    model = PlanModel(
        rules, start, Neighbourhood(tuple(mandatory)), mandatory_hard=True, costed=False
    )
    result = model.solve(search.clock.left() * FEASIBILITY_SHARE, workers, seed)
    if result.admissions is not None:
        plan = list(result.admissions)
        optional = [p for p in range(len(plan)) if p not in set(mandatory)]
        fill(rules, Occupancy.of(instance, plan), plan, priority_order(rules, optional))
        search.offer_plan(plan)
    search.phase(f"mandatory patients first {result.status.lower()}")


def _optional_capacity(search: _Search, everyone: Neighbourhood, workers: int, seed: int) -> None:
    """Bound how many optional patients a plan admitting every mandatory one can admit.

    Every such plan obeys the bound, so it is a valid row in the models that require every
    mandatory patient, and it is what their relaxations miss most: left out, an optional
    patient costs more than admitting it, so they admit fractions of too many.
    """
    model = PlanModel(
        search.rules, search.plan, everyone, mandatory_hard=True, tight=True, costed=False
    )
    model.maximise_admitted_optional()
    limit = min(CAPACITY_CAP, search.clock.left() * CAPACITY_SHARE)
    result = model.solve(limit, workers, seed, proving=True)
    if result.status in ("OPTIMAL", "FEASIBLE"):
        search.optional_limit = math.floor(result.bound + 1e-6)
    if result.admissions is not None:
        search.offer_plan(result.admissions)
    search.phase(f"optional patients at most {search.optional_limit} ({result.status.lower()})")


def _relaxation(
    search: _Search,
    *,
    everyone: Neighbourhood,
    workers: int,
    seed: int,
    small: bool,
    mandatory_hard: bool,
) -> ModelResult | None:
    limit = min(RELAXATION_CAP[small], search.clock.left() * RELAXATION_SHARE[small])
    # Large instances pool each day's theatres: a weaker but much smaller relaxation.
    model = PlanModel(
        search.rules,
        search.plan,
        everyone,
        aggregate_rooms=True,
        mandatory_hard=mandatory_hard,
        pooled_theatres=not small,
    )
    if mandatory_hard:
        search.limit_optional(model)
    result = model.solve(limit, workers, seed, proving=True)
    if result.status == "INFEASIBLE" and mandatory_hard:
        # No plan admits every mandatory patient: bound the penalised objective instead.
        model = PlanModel(
            search.rules, search.plan, everyone, aggregate_rooms=True, pooled_theatres=not small
        )
        result = model.solve(limit, workers, seed)
    if result.status in ("OPTIMAL", "FEASIBLE"):
        search.raise_bound(result.bound)
    search.phase(f"relaxation {result.status.lower()} at {result.objective}")
    return result if result.days else None


def _whole(
    search: _Search,
    everyone: Neighbourhood,
    workers: int,
    seed: int,
    *,
    mandatory_hard: bool,
    limit: float,
) -> None:
    model = search.model(
        everyone, mandatory_hard=mandatory_hard, keep_deadlines=not mandatory_hard, tight=True
    )
    if mandatory_hard:
        search.limit_optional(model)
    result = model.solve(limit, workers, seed, proving=True)
    search.offer(result)
    if result.status in ("OPTIMAL", "FEASIBLE"):
        search.raise_bound(result.bound)
    search.optimal = result.optimal
    search.phase(f"whole model {result.status.lower()}")


def _rooms_at_bound(
    search: _Search, everyone: Neighbourhood, workers: int, seed: int, *, mandatory_hard: bool
) -> None:
    """Look for a relaxed plan at the proven bound whose days admit a room plan.

    The relaxation with continuity rows is asked only for plans costing no more than the
    bound, and each one found is placed in rooms on its days. Days no room plan takes are
    repaired (a day either side allowed), and failing that cut off by a smallest subset of
    them that already fails (more patients only fail more); a room plan dearer than the
    bound (age mix) cuts off that exact plan. When no relaxed plan at the bound is left,
    every plan costs more: the bound rises by the step between costs and the search stops,
    as it does when a plan reaches the bound or a solve cannot decide in time.
    """
    rules = search.rules
    step = _cost_step(rules)
    failing: list[dict[int, int]] = []
    dearer: list[dict[int, int]] = []
    clock = _Clock(min(ROOMS_AT_BOUND_CAP, search.clock.left() * ROOMS_AT_BOUND_SHARE))
    while search.bound is not None and not search.done() and clock.left() > 1:
        target = math.ceil(search.bound - 1e-6)
        model = PlanModel(
            rules,
            search.plan,
            everyone,
            aggregate_rooms=True,
            mandatory_hard=mandatory_hard,
            continuity=True,
        )
        if mandatory_hard:
            search.limit_optional(model)
        model.require_at_most(target)
        for days in failing:
            model.forbid_together(days)
        for days in dearer:
            model.forbid_exactly(days)
        result = model.solve(clock.left(), workers, seed, proving=True, first=True)
        if result.status == "INFEASIBLE":
            # One step up is proven; stepping on costs a solve per step, where the whole
            # model closes a gap of many steps at once.
            search.raise_bound((target // step + 1) * step)
            search.phase("no relaxed plan at the bound")
            break
        if not result.days:
            break
        days = {p: choice[0] for p, choice in result.days.items() if choice is not None}
        placed = place_in_rooms(rules, days, workers, seed, costed=True)
        if placed.status == "INFEASIBLE":
            # Relaxed days that fail on rooms are often a day or two from a plan that fits.
            _repair(search, result, workers, seed)
            if search.done():
                break
            failing.append(failing_subset(rules, days, workers, seed))
            search.phase(f"days cut off ({len(failing[-1])} patients)")
        elif placed.admissions is not None:
            search.offer(placed)
            search.phase("room plan for the relaxed days")
            if not placed.optimal:
                break
            # The cheapest room plan of these days is known and dearer than the target.
            dearer.append(days)
        else:
            break


def place_in_rooms(
    rules: PlanRules, days: dict[int, int], workers: int, seed: int, *, costed: bool
) -> ModelResult:
    """The room-level model of exactly these patients on these days, nobody else admitted."""
    nobody: list[Admission | None] = [None] * len(rules.instance.patients)
    allowed = {patient: {day} for patient, day in days.items()}
    model = PlanModel(rules, nobody, Neighbourhood(tuple(days), days=allowed), costed=costed)
    for patient, day in days.items():
        if not any(d == day for d, _ in model.z[patient]):
            return ModelResult("INFEASIBLE", None, {}, None, 0.0, 0.0)
    model.require_admitted()
    return model.solve(ROOM_CHECK_SECONDS, workers, seed)


def failing_subset(
    rules: PlanRules, days: dict[int, int], workers: int, seed: int
) -> dict[int, int]:
    """A subset of patients with days that no room plan takes, none of it removable.

    Long stays are tried for removal first: the short ones that remain make a cut that
    applies to more plans.
    """
    failing = dict(days)
    patients = rules.instance.patients
    for patient in sorted(days, key=lambda p: -patients[p].length_of_stay):
        rest = {p: day for p, day in failing.items() if p != patient}
        if place_in_rooms(rules, rest, workers, seed, costed=False).status == "INFEASIBLE":
            failing = rest
    return failing


def _cost_step(rules: PlanRules) -> int:
    """The greatest common divisor of every cost: plan costs are multiples of it."""
    weights = rules.instance.weights
    return math.gcd(
        weights.room_mixed_age,
        weights.open_operating_theater,
        weights.surgeon_transfer,
        weights.patient_delay,
        weights.unscheduled_optional,
        rules.breach_weight,
        rules.change_weight,
    )


def _repair(search: _Search, relaxed: ModelResult, workers: int, seed: int) -> None:
    search.offer_plan(plan_on_days(search.rules, relaxed.days))
    days: dict[int, set[int]] = {}
    for patient, choice in relaxed.days.items():
        allowed = set()
        if choice is not None:
            # A day either side lets rooms absorb what the bed counts did not see.
            allowed = {choice[0] + shift for shift in range(-REPAIR_SLACK, REPAIR_SLACK + 1)}
        current = search.plan[patient]
        if current is not None:
            allowed.add(current.day)
        days[patient] = allowed
    neighbourhood = Neighbourhood(tuple(days), days=days, name="room repair")
    model = search.model(neighbourhood, keep_deadlines=True)
    limit = min(REPAIR_CAP, search.clock.left() * REPAIR_SHARE)
    search.offer(model.solve(limit, workers, seed, stall=REPAIR_STALL))
    search.phase("room repair")


def _lns(search: _Search, workers: int, rng: random.Random) -> tuple[int, int]:
    names = list(KINDS)
    weights = dict.fromkeys(names, 1.0)
    # Each kind over- or under-estimates its models differently: one target per kind.
    targets = dict.fromkeys(names, float(INITIAL_TARGET))
    steps = improvements = 0
    while search.clock.left() > 0.5 and not search.done():
        name = rng.choices(names, [weights[n] for n in names])[0]
        neighbourhood = KINDS[name](search.rules, search.plan, rng, int(targets[name]))
        if not neighbourhood.patients:
            continue
        model = search.model(neighbourhood, keep_deadlines=True)
        left = search.clock.left()
        if left <= 0.2:
            break
        limit = min(STEP_SECONDS, left)
        result = model.solve(limit, workers, rng.randrange(1 << 30), stall=STALL_SECONDS)
        steps += 1
        if search.offer(result):
            improvements += 1
            weights[name] = min(10.0, weights[name] * 1.3)
            search.phase(f"lns {neighbourhood.name}")
        else:
            weights[name] = max(0.2, weights[name] * 0.95)
        # Grow neighbourhoods while their solves settle before the limit, shrink them if not.
        settled = result.optimal or result.seconds < 0.9 * limit
        grown = targets[name] * (1.2 if settled else 0.8)
        targets[name] = min(MAX_TARGET, max(MIN_TARGET, grown))
    return steps, improvements
