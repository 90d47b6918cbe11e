"""``bascule ihtc``: solve, cost and disrupt IHTC-2024 instances (the nurse-free core)."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bascule.cli_common import console
from bascule.errors import BasculeError
from bascule.planning.ihtc.cost import CONSTRAINTS, CORE_TERMS, NURSE_TERMS, TERMS, evaluate
from bascule.planning.ihtc.disrupt import (
    DisruptionReport,
    Replan,
    choose_closures,
    disrupt,
    parse_days,
)
from bascule.planning.ihtc.instance import Instance, load_instance
from bascule.planning.ihtc.solution import Solution, load_solution, solution_to_json, write_solution
from bascule.planning.ihtc.solve import solve_core

ihtc_app = typer.Typer(
    help="IHTC-2024 instances: solve the nurse-free core, cost a solution, re-plan a disruption.",
    no_args_is_help=True,
)

TimeLimit = Annotated[
    float, typer.Option("--time-limit", min=0.1, help="Wall-clock seconds for the whole solve.")
]
Workers = Annotated[int, typer.Option("--workers", min=1, max=64, help="CP-SAT threads.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.")]


def _progress(message: str) -> None:
    console.print(f"[dim]{message}[/]", highlight=False)


def _gap(cost: int, bound: float | None) -> str:
    if bound is None:
        return "—"
    if cost <= 0:
        return "0.0 %"
    return f"{max(0.0, (cost - bound) / cost) * 100:.1f} %"


@ihtc_app.command("solve")
def solve(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance JSON.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the solution JSON.")],
    time_limit: TimeLimit = 60.0,
    workers: Workers = 2,
    seed: Seed = 1,
) -> None:
    """Admission day, theatre and room of every patient (no nurses), minimising the core cost."""
    instance = load_instance(instance_path)
    console.print(
        f"{instance_path.name}: {len(instance.patients)} patients, {len(instance.rooms)} rooms, "
        f"{len(instance.theatres)} theatres, {instance.days} days",
        highlight=False,
    )
    report = solve_core(instance, time_limit, workers, seed=seed, progress=_progress)
    solution = Solution.of(report.admissions)
    write_solution(out, solution, instance)
    evaluation = evaluate(instance, solution)
    table = Table("term", "weight", "count", "cost", title="core cost")
    for term in CORE_TERMS:
        table.add_row(
            term,
            str(evaluation.weights[term]),
            str(evaluation.counts[term]),
            str(evaluation.weighted(term)),
        )
    table.add_row("total", "", "", str(evaluation.core_total), style="bold")
    console.print(table)
    status = "optimal" if report.optimal else "feasible"
    bound = "—" if report.bound is None else f"{report.bound:.0f}"
    console.print(
        f"{status}: cost {evaluation.core_total}, bound {bound}, gap "
        f"{_gap(report.cost.total, report.bound)}, {len(evaluation.violations)} hard violations, "
        f"{report.seconds:.1f} s ({report.lns_steps} LNS steps, "
        f"{report.lns_improvements} improving); wrote {out}",
        highlight=False,
    )
    for violation in evaluation.violations:
        console.print(f"[red]{violation.constraint}[/]: {violation.message}", highlight=False)


@ihtc_app.command("cost")
def cost(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance JSON.")],
    solution_path: Annotated[Path, typer.Argument(metavar="SOLUTION", help="Solution JSON.")],
) -> None:
    """Recompute every cost term and list hard-constraint violations (exit 2 if any)."""
    instance = load_instance(instance_path)
    evaluation = evaluate(instance, load_solution(solution_path, instance))
    table = Table("term", "weight", "count", "cost")
    for term in TERMS:
        if term in NURSE_TERMS and not evaluation.nurses_assessed:
            table.add_row(term, str(evaluation.weights[term]), "—", "not assessed (no nurses)")
            continue
        table.add_row(
            term,
            str(evaluation.weights[term]),
            str(evaluation.counts[term]),
            str(evaluation.weighted(term)),
        )
    table.add_row("total", "", "", str(evaluation.total), style="bold")
    table.add_row("core total (no nurse terms)", "", "", str(evaluation.core_total), style="bold")
    console.print(table)
    totals = evaluation.violation_totals()
    violations = Table("constraint", "violations")
    for name in CONSTRAINTS:
        if name in totals:
            violations.add_row(name, str(totals[name]))
    console.print(violations)
    for violation in evaluation.violations:
        console.print(f"[red]{violation.constraint}[/]: {violation.message}", highlight=False)
    if not evaluation.feasible:
        console.print(f"{sum(totals.values())} hard-constraint violations", highlight=False)
        raise typer.Exit(2)
    console.print("no hard-constraint violation")


def _closure_text(instance: Instance, closures: tuple[tuple[int, int], ...]) -> str:
    by_theatre: dict[int, list[int]] = {}
    for theatre, day in closures:
        by_theatre.setdefault(theatre, []).append(day)
    return "; ".join(
        f"{instance.theatres[t].id} days {min(days)}-{max(days)} ({len(days)})"
        for t, days in sorted(by_theatre.items())
    )


def _replan_json(replan: Replan, instance: Instance) -> dict[str, Any]:
    fields = asdict(replan)
    fields.pop("admissions")
    fields["solution"] = solution_to_json(Solution.of(replan.admissions), instance)
    return fields


def disruption_json(report: DisruptionReport, instance: Instance, original: Path) -> dict[str, Any]:
    """The report as a JSON document (both repaired plans in the competition's format)."""
    return {
        "instance": instance.source,
        "original": str(original),
        "closures": [{"theatre": instance.theatres[t].id, "day": d} for t, d in report.closures],
        "displaced": report.displaced,
        "original_core_cost": report.original_core_cost,
        "breach_weight": report.breach_weight,
        "change_weight": report.change_weight,
        "greedy": _replan_json(report.greedy, instance),
        "cpsat": _replan_json(report.cpsat, instance),
    }


@ihtc_app.command("disrupt")
def disrupt_command(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance JSON.")],
    original: Annotated[Path, typer.Option("--original", help="The plan to repair (JSON).")],
    share: Annotated[float, typer.Option(help="Share of the theatres to close.")] = 0.5,
    days: Annotated[str, typer.Option(help="Days they are closed, A-B.")] = "0-6",
    seed: Seed = 1,
    time_limit: TimeLimit = 60.0,
    workers: Workers = 2,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the report here.")
    ] = None,
) -> None:
    """Close theatre-days and repair the original plan, by hand and with CP-SAT."""
    instance = load_instance(instance_path)
    plan = load_solution(original, instance)
    closures = choose_closures(instance, share, parse_days(days, instance.days), seed)
    console.print(
        f"closed: {_closure_text(instance, closures) or 'nothing (no open theatre-day)'}",
        highlight=False,
    )
    report = disrupt(instance, plan, closures, time_limit, workers, seed=seed, progress=_progress)
    console.print(
        f"{report.displaced} patients displaced; original core cost {report.original_core_cost}; "
        f"breach weight {report.breach_weight}, change weight {report.change_weight}",
        highlight=False,
    )
    table = Table("", "greedy", "CP-SAT")
    rows = (
        ("mandatory deadline breaches", "breaches"),
        ("  admitted late", "late"),
        ("  not admitted", "left_out_mandatory"),
        ("optional patients dropped", "dropped_optional"),
        ("optional patients added", "added_optional"),
        ("changed assignments", "changes"),
        ("core cost", "core_cost"),
        ("weighted cost", "weighted_cost"),
        ("cost of the disruption", "extra_cost"),
        ("patients in closed theatre-days", "in_closed_theatre_days"),
    )
    for label, name in rows:
        table.add_row(label, str(getattr(report.greedy, name)), str(getattr(report.cpsat, name)))
    bound = report.cpsat.bound
    table.add_row("CP-SAT bound", "", "—" if bound is None else f"{bound:.0f}")
    table.add_row("seconds", f"{report.greedy.seconds:.2f}", f"{report.cpsat.seconds:.1f}")
    console.print(table)
    for replan in (report.greedy, report.cpsat):
        for message in replan.violations:
            console.print(f"[red]{replan.method}[/]: {message}", highlight=False)
    if json_out is not None:
        document = disruption_json(report, instance, original)
        try:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BasculeError(f"cannot write {json_out}: {exc.strerror}") from exc
        console.print(f"wrote {json_out}")
