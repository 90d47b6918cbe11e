"""Disruption variant: theatre-days close, and an existing plan is repaired with stability.

Closing a theatre-day sets its capacity to 0. The original plan (a best-known solution)
is repaired twice: by hand (:func:`bascule.planning.ihtc.greedy.repair_by_hand`) and by
CP-SAT, warm-started from the hand repair so that it breaches no more deadlines. Both are
judged on the same objective: the five core cost terms, a heavy penalty per mandatory
patient admitted after the due day (or, twice as heavy, not at all), and a penalty per
patient whose day, theatre or room changed.
"""

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bascule.errors import BasculeError
from bascule.planning.ihtc.cost import evaluate
from bascule.planning.ihtc.greedy import repair_by_hand
from bascule.planning.ihtc.instance import Instance
from bascule.planning.ihtc.rules import PlanRules, plan_cost
from bascule.planning.ihtc.solution import Admission, Solution
from bascule.planning.ihtc.solve import Progress, optimise

CHANGE_DAYS_OF_DELAY = 3
"""A changed assignment costs as much as this many days of admission delay."""
BREACH_CONSTRAINTS = frozenset({"AdmissionDay", "MandatoryUnscheduledPatients"})
"""Hard constraints a re-plan may break, as deadline breaches it reports and pays for."""


class DisruptionError(BasculeError):
    """The disruption asked for does not fit the instance (days, share)."""


def parse_days(text: str, horizon: int) -> range:
    """A day range ``A-B`` or a single day ``A``, within the instance's horizon."""
    first, _, last = text.partition("-")
    try:
        start, stop = int(first), int(last or first)
    except ValueError as exc:
        raise DisruptionError(f"--days {text!r}: expected A-B or A, e.g. 0-6") from exc
    if not 0 <= start <= stop < horizon:
        raise DisruptionError(f"--days {text!r}: the horizon is days 0-{horizon - 1}")
    return range(start, stop + 1)


def choose_closures(
    instance: Instance, share: float, days: range, seed: int
) -> tuple[tuple[int, int], ...]:
    """Theatre-days to close: a seeded ``share`` of the theatres, on each of ``days``."""
    if not 0 < share <= 1:
        raise DisruptionError(f"--share {share}: expected a share in (0, 1]")
    count = max(1, round(share * len(instance.theatres)))
    theatres = sorted(random.Random(seed).sample(range(len(instance.theatres)), count))
    return tuple(
        (theatre, day)
        for theatre in theatres
        for day in days
        if instance.theatres[theatre].availability[day] > 0
    )


@dataclass(frozen=True)
class Replan:
    """One repaired plan and what it changed."""

    method: str
    admissions: tuple[Admission | None, ...]
    breaches: int
    late: int
    left_out_mandatory: int
    dropped_optional: int
    added_optional: int
    changes: int
    core_cost: int
    weighted_cost: int
    extra_cost: int
    in_closed_theatre_days: int
    violations: tuple[str, ...]
    seconds: float
    bound: float | None = None


@dataclass(frozen=True)
class DisruptionReport:
    """Hand repair and CP-SAT repair of the same disruption, side by side."""

    closures: tuple[tuple[int, int], ...]
    displaced: int
    original_core_cost: int
    breach_weight: int
    change_weight: int
    greedy: Replan
    cpsat: Replan


def _replan(
    method: str,
    rules: PlanRules,
    original: Sequence[Admission | None],
    admissions: Sequence[Admission | None],
    *,
    original_core_cost: int,
    closed: frozenset[tuple[int, int]],
    seconds: float,
    bound: float | None = None,
) -> Replan:
    instance = rules.instance
    cost = plan_cost(rules, admissions)
    evaluation = evaluate(instance, Solution.of(admissions))
    optional = [not patient.mandatory for patient in instance.patients]
    return Replan(
        method=method,
        admissions=tuple(admissions),
        breaches=cost.breaches,
        late=cost.late,
        left_out_mandatory=cost.left_out_mandatory,
        dropped_optional=sum(
            1
            for p, (before, after) in enumerate(zip(original, admissions, strict=True))
            if optional[p] and before is not None and after is None
        ),
        added_optional=sum(
            1
            for p, (before, after) in enumerate(zip(original, admissions, strict=True))
            if optional[p] and before is None and after is not None
        ),
        changes=cost.changes,
        core_cost=cost.core,
        weighted_cost=cost.total,
        extra_cost=cost.total - original_core_cost,
        in_closed_theatre_days=sum(
            1 for a in admissions if a is not None and (a.theatre, a.day) in closed
        ),
        violations=tuple(
            v.message for v in evaluation.violations if v.constraint not in BREACH_CONSTRAINTS
        ),
        seconds=seconds,
        bound=bound,
    )


def disrupt(
    instance: Instance,
    original: Solution,
    closures: Sequence[tuple[int, int]],
    time_limit: float,
    workers: int,
    *,
    seed: int = 1,
    progress: Progress | None = None,
) -> DisruptionReport:
    """Close ``closures`` and repair ``original`` by hand and with CP-SAT."""
    closed = frozenset(closures)
    disrupted = instance.with_closed_theatre_days(list(closed))
    change_weight = CHANGE_DAYS_OF_DELAY * instance.weights.patient_delay
    rules = PlanRules.replanning(disrupted, original.admissions, change_weight)
    original_core = plan_cost(PlanRules.core(instance), original.admissions).core
    started = time.perf_counter()
    by_hand = repair_by_hand(rules, original.admissions)
    hand_seconds = time.perf_counter() - started
    report = optimise(rules, by_hand, time_limit, workers, seed=seed, progress=progress)
    return DisruptionReport(
        closures=tuple(sorted(closed)),
        displaced=sum(
            1 for a in original.admissions if a is not None and (a.theatre, a.day) in closed
        ),
        original_core_cost=original_core,
        breach_weight=rules.breach_weight,
        change_weight=change_weight,
        greedy=_replan(
            "greedy",
            rules,
            original.admissions,
            by_hand,
            original_core_cost=original_core,
            closed=closed,
            seconds=hand_seconds,
        ),
        cpsat=_replan(
            "CP-SAT",
            rules,
            original.admissions,
            report.admissions,
            original_core_cost=original_core,
            closed=closed,
            seconds=report.seconds,
            bound=report.bound,
        ),
    )
