"""Operating-room re-planning against an external yardstick: the IHTC-2024 instances.

Run: .venv/bin/python bench/planning.py [--part core|disrupt|small|group|all]
     [--instances i01,i02] [--small-instances small07] [--time-limit 60]
     [--small-time-limit 300] [--workers 2] [--data ../shared/data/external/ihtc2024]
     [--update --why "..."]

With --update, the instances run replace their own rows in the part's existing results
file and the summary figures are recomputed over every row; the file's inputs record
each such re-run (instances, date, time limit, why). Without it, the file is rewritten
with the instances run.

Parts (each writes bench/results/planning-ihtc-<part>.json, the group part
bench/results/planning-group.json):
- core: the nurse-free core problem of i01-i30; our cost against the best-known
  solutions' non-nurse cost (the official validator's breakdown, the lowest over the
  published solutions of each instance), CP-SAT's bound and gap, hard violations, time.
  Target: ratio ≤ 1.00 on every instance at 60 s with 2 workers.
- disrupt: half the theatres closed on days 0-6 (seed 1) and the best-known solution
  repaired by hand (greedy) and by CP-SAT. Checks: CP-SAT never breaches more mandatory
  deadlines than greedy; on average its cost of the disruption (weighted cost of the
  repaired plan minus the original plan's core cost) is at least 30 % lower.
- small: the nine ihtp_small instances, each given --small-time-limit seconds; whether
  CP-SAT proves its plan optimal for the core problem, and in how long.
- group: the synthetic group re-planned through the store (bench/planning_group.py).
"""

import argparse
import csv
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bascule.planning.ihtc.cost import evaluate
from bascule.planning.ihtc.disrupt import choose_closures, disrupt
from bascule.planning.ihtc.instance import load_instance
from bascule.planning.ihtc.solution import Solution, load_solution
from bascule.planning.ihtc.solve import solve_core
from common import RESULTS, save
from planning_group import group_inputs, run_group

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = "../shared/data/external/ihtc2024"
INSTANCES = [f"i{n:02d}" for n in range(1, 31)]
CORE_TARGET_RATIO = 1.0
DISRUPT_TARGET_REDUCTION = 0.30
DISRUPT_SHARE, DISRUPT_DAYS, DISRUPT_SEED = 0.5, range(7), 1


def _instance_path(data: Path, name: str) -> Path:
    return data / "ihtc2024_competition_instances" / f"{name}.json"


def best_known_core(data: Path) -> dict[str, int]:
    """Lowest non-nurse cost among the published solutions of each instance."""
    best: dict[str, int] = {}
    with (data / "validator_costs_public.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cost = int(row["core_total_no_nurse_terms"])
            best[row["instance"]] = min(cost, best.get(row["instance"], cost))
    return best


def _row(cells: list[Any], widths: list[int]) -> str:
    return "  ".join(str(cell).rjust(width) for cell, width in zip(cells, widths, strict=True))


def run_core(args: argparse.Namespace) -> Path:
    """Solve each instance's core and compare with the best-known non-nurse cost."""
    best = best_known_core(args.data)
    header = ["inst", "cost", "best", "ratio", "bound", "gap", "viol", "secs", "lns"]
    widths = [5, 7, 7, 6, 8, 6, 4, 6, 5]
    print(_row(header, widths), flush=True)
    rows = []
    for name in args.instances:
        instance = load_instance(_instance_path(args.data, name))
        report = solve_core(instance, args.time_limit, args.workers)
        evaluation = evaluate(instance, Solution.of(report.admissions))
        ratio = evaluation.core_total / best[name] if best[name] else None
        row = {
            "instance": name,
            "patients": len(instance.patients),
            "cost": evaluation.core_total,
            "best_known_core": best[name],
            "ratio": None if ratio is None else round(ratio, 4),
            "bound": None if report.bound is None else round(report.bound, 1),
            "gap": None if report.gap is None else round(report.gap, 4),
            "optimal": report.optimal,
            "hard_violations": sum(evaluation.violation_totals().values()),
            "seconds": round(report.seconds, 1),
            "lns_steps": report.lns_steps,
            "lns_improvements": report.lns_improvements,
        }
        rows.append(row)
        print(
            _row(
                [
                    name,
                    row["cost"],
                    row["best_known_core"],
                    "—" if ratio is None else f"{ratio:.3f}",
                    "—" if report.bound is None else f"{report.bound:.0f}",
                    "—" if report.gap is None else f"{report.gap:.1%}",
                    row["hard_violations"],
                    row["seconds"],
                    report.lns_steps,
                ],
                widths,
            ),
            flush=True,
        )
    path, figures = _save_part("planning-ihtc-core", _inputs(args), rows, _core_summary, args)
    print(
        f"mean ratio {figures['mean_ratio']}, max {figures['max_ratio']}, "
        f"{figures['at_or_below_best_known']}/{len(figures['instances'])} at or below best "
        f"known, hard violations {figures['hard_violations_total']}"
    )
    return path


def _core_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [row["ratio"] for row in rows if row["ratio"] is not None]
    return {
        "mean_ratio": round(statistics.mean(ratios), 4) if ratios else None,
        "max_ratio": max(ratios) if ratios else None,
        "at_or_below_best_known": sum(1 for r in ratios if r <= CORE_TARGET_RATIO),
        "target_ratio_every_instance": CORE_TARGET_RATIO,
        "target_met": bool(ratios) and all(r <= CORE_TARGET_RATIO for r in ratios),
        "hard_violations_total": sum(row["hard_violations"] for row in rows),
        "proven_optimal": sum(1 for row in rows if row["optimal"]),
    }


def run_disrupt(args: argparse.Namespace) -> Path:
    """Repair each best-known solution after closing theatre-days: greedy against CP-SAT."""
    header = ["inst", "disp", "breach g/c", "drop g/c", "chg g/c", "extra greedy", "extra cp"]
    widths = [5, 5, 10, 9, 9, 12, 10]
    print(_row(header, widths), flush=True)
    rows = []
    for name in args.instances:
        instance = load_instance(_instance_path(args.data, name))
        original = load_solution(
            args.data / "best_solutions_public" / "IHTP" / f"sol_{name}.json", instance
        )
        closures = choose_closures(instance, DISRUPT_SHARE, DISRUPT_DAYS, DISRUPT_SEED)
        started = time.perf_counter()
        report = disrupt(instance, original, closures, args.time_limit, args.workers)
        greedy, cpsat = report.greedy, report.cpsat
        row = {
            "instance": name,
            "closed_theatre_days": len(report.closures),
            "displaced": report.displaced,
            "original_core_cost": report.original_core_cost,
            "breach_weight": report.breach_weight,
            "change_weight": report.change_weight,
            "cpsat_bound": None if cpsat.bound is None else round(cpsat.bound, 1),
            "seconds": round(time.perf_counter() - started, 1),
        }
        for method, replan in (("greedy", greedy), ("cpsat", cpsat)):
            row[method] = {
                "breaches": replan.breaches,
                "late": replan.late,
                "not_admitted": replan.left_out_mandatory,
                "dropped_optional": replan.dropped_optional,
                "added_optional": replan.added_optional,
                "changes": replan.changes,
                "core_cost": replan.core_cost,
                "weighted_cost": replan.weighted_cost,
                "extra_cost": replan.extra_cost,
                "in_closed_theatre_days": replan.in_closed_theatre_days,
                "hard_violations": len(replan.violations),
            }
        rows.append(row)
        print(
            _row(
                [
                    name,
                    report.displaced,
                    f"{greedy.breaches}/{cpsat.breaches}",
                    f"{greedy.dropped_optional}/{cpsat.dropped_optional}",
                    f"{greedy.changes}/{cpsat.changes}",
                    greedy.extra_cost,
                    cpsat.extra_cost,
                ],
                widths,
            ),
            flush=True,
        )
    path, figures = _save_part("planning-ihtc-disrupt", _inputs(args), rows, _disrupt_summary, args)
    print(
        f"mean cost of the disruption: greedy {figures['mean_extra_cost']['greedy']}, "
        f"CP-SAT {figures['mean_extra_cost']['cpsat']} "
        f"({figures['extra_cost_reduction']:.1%} lower); never worse on breaches: "
        f"{figures['never_worse_on_breaches']}"
    )
    return path


def _disrupt_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(method: str, key: str) -> float:
        return round(float(statistics.mean(row[method][key] for row in rows)), 1)

    keys = ("breaches", "dropped_optional", "changes", "weighted_cost", "extra_cost")
    means = {key: {m: mean(m, key) for m in ("greedy", "cpsat")} for key in keys}
    greedy_extra, cpsat_extra = means["extra_cost"]["greedy"], means["extra_cost"]["cpsat"]
    reduction = 1 - cpsat_extra / greedy_extra if greedy_extra > 0 else 0.0
    per_instance = [
        1 - row["cpsat"]["extra_cost"] / row["greedy"]["extra_cost"]
        for row in rows
        if row["greedy"]["extra_cost"] > 0
    ]
    return {
        **{f"mean_{key}": value for key, value in means.items()},
        "extra_cost_reduction": round(reduction, 4),
        "mean_per_instance_extra_cost_reduction": (
            round(statistics.mean(per_instance), 4) if per_instance else None
        ),
        "never_worse_on_breaches": all(
            row["cpsat"]["breaches"] <= row["greedy"]["breaches"] for row in rows
        ),
        "target_reduction": DISRUPT_TARGET_REDUCTION,
        "target_met": reduction >= DISRUPT_TARGET_REDUCTION,
        "hard_violations_total": sum(
            row[m]["hard_violations"] + row[m]["in_closed_theatre_days"]
            for row in rows
            for m in ("greedy", "cpsat")
        ),
    }


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "instances": args.instances,
        "time_limit": args.time_limit,
        "workers": args.workers,
        "data": str(args.data_argument),
        "disruption": {
            "share": DISRUPT_SHARE,
            "days": f"{DISRUPT_DAYS.start}-{DISRUPT_DAYS.stop - 1}",
            "seed": DISRUPT_SEED,
        },
    }


SMALL_INSTANCES = [f"small0{n}" for n in range(1, 10)]


def run_small(args: argparse.Namespace) -> Path:
    """Solve each small instance's core; proven optimal or not, and the gap left."""
    header = ["inst", "patients", "cost", "bound", "gap", "proven", "secs"]
    widths = [8, 8, 6, 7, 6, 6, 6]
    print(_row(header, widths), flush=True)
    rows = []
    for name in args.small_instances:
        instance = load_instance(args.data / "ihtp_small" / f"{name}.json")
        report = solve_core(instance, args.small_time_limit, args.workers)
        evaluation = evaluate(instance, Solution.of(report.admissions))
        row = {
            "instance": name,
            "patients": len(instance.patients),
            "cost": evaluation.core_total,
            "bound": None if report.bound is None else round(report.bound, 1),
            "gap": None if report.gap is None else round(report.gap, 4),
            "optimal": report.optimal,
            "hard_violations": sum(evaluation.violation_totals().values()),
            "seconds": round(report.seconds, 1),
        }
        rows.append(row)
        print(
            _row(
                [
                    name,
                    row["patients"],
                    row["cost"],
                    "—" if report.bound is None else f"{report.bound:.0f}",
                    "—" if report.gap is None else f"{report.gap:.1%}",
                    "yes" if report.optimal else "no",
                    row["seconds"],
                ],
                widths,
            ),
            flush=True,
        )
    inputs = {
        "instances": args.small_instances,
        "time_limit": args.small_time_limit,
        "workers": args.workers,
        "data": str(args.data_argument),
    }
    path, figures = _save_part("planning-ihtc-small", inputs, rows, _small_summary, args)
    print(f"{figures['proven_optimal']}/{len(figures['instances'])} proven optimal")
    return path


def _small_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "proven_optimal": sum(1 for row in rows if row["optimal"]),
        "hard_violations_total": sum(row["hard_violations"] for row in rows),
    }


def _save_part(
    name: str,
    inputs: dict[str, Any],
    rows: list[dict[str, Any]],
    summarise: Callable[[list[dict[str, Any]]], dict[str, Any]],
    args: argparse.Namespace,
) -> tuple[Path, dict[str, Any]]:
    """Save a part's rows and summary, or with ``--update`` merge them into the saved ones.

    A merged file keeps its first run's inputs, since most of its rows still come from
    that run, and lists every re-run beside them.
    """
    path = RESULTS / f"{name}.json"
    if args.update and path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        fresh = {row["instance"]: row for row in rows}
        kept = [row for row in saved["figures"]["instances"] if row["instance"] not in fresh]
        order = {row["instance"]: i for i, row in enumerate(saved["figures"]["instances"])}
        merged = sorted([*kept, *rows], key=lambda row: order.get(row["instance"], len(order)))
        previous = saved["inputs"].get("rerun", [])
        rerun = {
            "instances": [row["instance"] for row in rows],
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "time_limit": inputs["time_limit"],
            "why": args.why,
        }
        inputs = {
            **saved["inputs"],
            "rerun": [*(previous if isinstance(previous, list) else [previous]), rerun],
        }
        rows = merged
    figures = {"instances": rows, **summarise(rows)}
    return save(name, inputs, figures), figures


def run_group_part(args: argparse.Namespace) -> Path:
    """The synthetic group, 14 and 7 days, CP-SAT against greedy."""
    figures = run_group(args.time_limit, args.workers, args.patients)
    return save(
        "planning-group", group_inputs(args.time_limit, args.workers, args.patients), figures
    )


def _names(listed: str, known: list[str], parser: argparse.ArgumentParser) -> list[str]:
    names = [name.strip() for name in listed.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        parser.error(f"unknown instance(s): {', '.join(unknown)}; expected among {known}")
    return names


PARTS: dict[str, Callable[[argparse.Namespace], Path]] = {
    "core": run_core,
    "disrupt": run_disrupt,
    "small": run_small,
    "group": run_group_part,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--instances", default=",".join(INSTANCES))
    parser.add_argument("--small-instances", default=",".join(SMALL_INSTANCES))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--small-time-limit", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--patients", type=int, default=50_000, help="synthetic group size")
    parser.add_argument("--data", default=DEFAULT_DATA, help="relative to the repository root")
    parser.add_argument(
        "--update", action="store_true", help="merge the rows run into the saved results"
    )
    parser.add_argument("--why", default="", help="with --update: why these rows were re-run")
    args = parser.parse_args()
    if args.update and not args.why:
        parser.error("--update needs --why: the results file records why rows were re-run")
    args.data_argument = args.data
    args.data = ROOT / args.data
    args.instances = _names(args.instances, INSTANCES, parser)
    args.small_instances = _names(args.small_instances, SMALL_INSTANCES, parser)
    for name in PARTS if args.part == "all" else [args.part]:
        print(f"== {name}", flush=True)
        print(f"saved {PARTS[name](args)}", flush=True)


if __name__ == "__main__":
    main()
