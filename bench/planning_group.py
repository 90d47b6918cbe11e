"""Re-planning the synthetic group: CP-SAT against the greedy baseline, through the store.

Run: .venv/bin/python bench/planning_group.py [--time-limit 60] [--workers 2]
Writes bench/results/planning-group.json. Target (issue): gap to bound ≤ 2 %.

The group is synthesised into a SQLite file and the problem read back exactly as
``bascule replan`` reads it: Rennes and Saint-Nazaire at half capacity for ten days of a
14-day horizon (and, for the size the issue names, a 7-day horizon of ~2,100 cases).
Figures: time to the first feasible plan, the plan at the time limit, each level's bound and
gap, and the KPIs of both plans.
"""

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bascule.clock import SimulatedClock
from bascule.planning.check import violations
from bascule.planning.cpsat import CpSatOptions, model_size, solve_cpsat
from bascule.planning.greedy import solve_greedy
from bascule.planning.plan import Plan
from bascule.planning.problem import LEVELS, Problem
from bascule.planning.report import kpis
from bascule.replan.scenario import Scenario, one_site
from bascule.replan.source import problem_from_store
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from common import save

START = date(2026, 12, 7)
NOW = datetime(2026, 12, 6, 18, tzinfo=UTC)
TARGET_GAP = 0.02


def scenario(horizon: int) -> Scenario:
    """Rennes and Saint-Nazaire at half capacity for ten days (or the whole horizon)."""
    days = min(10, horizon)
    rennes = one_site("rennes", 0.5, START, days, horizon=horizon)
    nazaire = one_site("saint-nazaire", 0.5, START, days, horizon=horizon)
    return Scenario(
        start=START, horizon=horizon, disruptions=rennes.disruptions + nazaire.disruptions
    )


def group_problem(directory: Path, horizon: int, patients: int) -> Problem:
    """The synthetic group in SQLite and the problem ``bascule replan`` would solve."""
    db = Database(f"sqlite:///{directory}/group-{horizon}.sqlite3", clock=SimulatedClock(NOW))
    try:
        upgrade(db)
        synthesise(db, patients=patients, seed=1, start=START)
        with db.reading() as session:
            return problem_from_store(session, scenario(horizon)).problem
    finally:
        db.dispose()


def _summary(problem: Problem, plan: Plan) -> dict[str, Any]:
    figures = kpis(problem, plan).as_dict()
    report = plan.report
    return {
        "seconds": round(report.seconds, 2),
        "first_feasible_seconds": report.first_feasible_seconds,
        "status": report.status,
        "soft_costs": dict(report.objective),
        "bound": dict(report.bound),
        "gap_last_level": report.gap,
        "notes": list(report.notes),
        "outcomes": figures["outcomes"],
        "breaches": figures["breaches"],
        "patient_km": figures["patient_km"],
        "violations": len(violations(problem, plan)),
    }


def _level_gaps(plan: Plan) -> dict[str, float]:
    gaps = {}
    for level, bound in plan.report.bound.items():
        value = plan.report.objective.get(level, 0)
        gaps[level] = 0.0 if value <= bound else (value - bound) / max(1, value)
    return gaps


def run_group(time_limit: float, workers: int, patients: int) -> dict[str, Any]:
    """Both horizons: sizes, greedy, CP-SAT, and the lexicographic comparison."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        for horizon in (14, 7):
            started = time.perf_counter()
            problem = group_problem(Path(directory), horizon, patients)
            prepared = time.perf_counter() - started
            greedy = solve_greedy(problem)
            plan = solve_cpsat(problem, CpSatOptions(time_limit, workers), hint=greedy)
            ours = tuple(plan.report.objective[level] for level in LEVELS)
            theirs = tuple(greedy.report.objective[level] for level in LEVELS)
            results[f"{horizon}_days"] = {
                "cases": len(problem.cases),
                "model": dict(model_size(problem)),
                "prepare_seconds": round(prepared, 1),
                "greedy": _summary(problem, greedy),
                "cp_sat": _summary(problem, plan),
                "level_gaps": _level_gaps(plan),
                "cp_sat_lexicographically_better_or_equal": ours <= theirs,
            }
            row = results[f"{horizon}_days"]
            print(
                f"group {horizon} days, {row['cases']:,} cases: greedy {theirs} in "
                f"{greedy.report.seconds:.1f} s; CP-SAT {ours} in {plan.report.seconds:.1f} s "
                f"(first plan {plan.report.first_feasible_seconds or 0:.1f} s), level gaps "
                + ", ".join(f"{k} {v:.1%}" for k, v in row["level_gaps"].items())
            )
    return results


def group_inputs(time_limit: float, workers: int, patients: int) -> dict[str, Any]:
    """What the group part was run on."""
    return {
        "scenario": scenario(14).to_json(),
        "time_limit": time_limit,
        "workers": workers,
        "patients": patients,
        "target_gap": TARGET_GAP,
        "start": START.isoformat(),
        "horizons": [14, 7],
        "disruption_days": 10,
    }


def main() -> None:
    """Run the group part and save ``bench/results/planning-group.json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--patients", type=int, default=50_000)
    args = parser.parse_args()
    figures = run_group(args.time_limit, args.workers, args.patients)
    inputs = group_inputs(args.time_limit, args.workers, args.patients)
    print(f"saved {save('planning-group', inputs, figures)}")


if __name__ == "__main__":
    main()
