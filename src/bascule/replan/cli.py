"""``bascule replan``: re-plan the operating rooms under a disruption; apply only when asked."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bascule.cli_common import console, open_database, parse_day, settings_of
from bascule.errors import BasculeError
from bascule.planning.cpsat import CpSatOptions
from bascule.planning.explain import format_day
from bascule.planning.problem import LEVELS
from bascule.planning.report import OUTCOMES, Kpis
from bascule.replan.apply import apply_plan
from bascule.replan.run import ReplanResult, SolverName, replan, write_outputs
from bascule.replan.scenario import DEFAULT_HORIZON, Scenario, load_scenario, one_site
from bascule.replan.source import problem_from_store

CALLS_SHOWN = 12


def replan_command(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="The site working at reduced capacity.")] = None,
    capacity: Annotated[
        float, typer.Option(help="Share of its theatre minutes still usable (0 to 1).")
    ] = 0.5,
    first_day: Annotated[
        str | None, typer.Option("--from", help="First day of the disruption (YYYY-MM-DD).")
    ] = None,
    days: Annotated[int, typer.Option(help="Days the disruption lasts.")] = 1,
    horizon: Annotated[int, typer.Option(help="Days re-planned from --from.")] = DEFAULT_HORIZON,
    closed: Annotated[
        list[str] | None, typer.Option("--closed", help="A theatre closed for the whole run.")
    ] = None,
    paper_minutes: Annotated[
        int, typer.Option(help="Extra minutes per case while the site works on paper.")
    ] = 0,
    scenario_file: Annotated[
        Path | None,
        typer.Option("--scenario", help="A YAML scenario with several sites (replaces --site)."),
    ] = None,
    solver: Annotated[str, typer.Option(help="cp-sat (default) or greedy.")] = "cp-sat",
    time_limit: Annotated[float, typer.Option(help="Seconds CP-SAT may search.")] = 60.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.")] = 2,
    out: Annotated[Path, typer.Option(help="Directory for the plan, call list and charts.")] = Path(
        "out/replan"
    ),
    lang: Annotated[str, typer.Option(help="Language of reasons and charts: fr or en.")] = "fr",
    apply: Annotated[
        bool, typer.Option("--apply", help="Journal the plan and rebook the cases.")
    ] = False,
) -> None:
    """Re-plan the operating rooms of the group under a disruption.

    Nothing is written to the store unless --apply is given.
    """
    scenario = _scenario(
        site, capacity, first_day, days, horizon, tuple(closed or ()), paper_minutes, scenario_file
    )
    if solver not in ("cp-sat", "greedy"):
        raise BasculeError(f"--solver {solver!r}: expected cp-sat or greedy")
    if lang not in ("fr", "en"):
        raise BasculeError(f"--lang {lang!r}: expected fr or en")
    chosen: SolverName = "greedy" if solver == "greedy" else "cp-sat"
    with open_database(ctx) as db:
        with db.reading() as session:
            source = problem_from_store(session, scenario)
        console.print(
            f"re-planning {len(source.problem.cases):,} cases over {scenario.horizon} days from "
            f"{scenario.start} ({len(source.problem.frozen):,} frozen) with {chosen}"
        )
        options = CpSatOptions(time_limit=time_limit, workers=workers)
        result = replan(source, solver=chosen, options=options, lang=lang)
        _print(result, lang)
        written = write_outputs(result, out, lang)
        console.print(f"written: {len(written)} files in {out} (plan, KPIs, call list, Gantt)")
        if not apply:
            console.print("nothing written to the store; run again with --apply to accept")
            return
        with db.writing() as session:
            replan_id = apply_plan(
                session, result, scenario, actor=settings_of(ctx).actor, at=db.clock.now()
            )
        console.print(f"applied as {replan_id}: {len(result.changes):,} cases rebooked")


def _scenario(
    site: str | None,
    capacity: float,
    first_day: str | None,
    days: int,
    horizon: int,
    closed: tuple[str, ...],
    paper_minutes: int,
    scenario_file: Path | None,
) -> Scenario:
    if scenario_file is not None:
        if site is not None:
            raise BasculeError("give either --scenario or --site, not both")
        return load_scenario(scenario_file)
    if site is None:
        raise BasculeError("--site is required (or --scenario FILE)")
    start = parse_day("--from", first_day)
    if start is None:
        raise BasculeError("--from is required with --site")
    return one_site(
        site,
        capacity,
        start,
        days,
        horizon=horizon,
        closed_theatres=closed,
        paper_extra_minutes=paper_minutes,
    )


def _print(result: ReplanResult, lang: str) -> None:
    console.print(comparison_table(result))
    console.print(outcome_table(result.kpis))
    report = result.plan.report
    for note in report.notes:
        console.print(f"  {note}", highlight=False)
    console.print("[bold]Patients to call (most urgent first)")
    for call in result.calls[:CALLS_SHOWN]:
        was = "" if call.old_day is None else format_day(call.old_day, lang)
        if call.new_day is not None:
            now = f"{format_day(call.new_day, lang)} {call.new_time}, {call.new_site}"
        elif call.postponed_to is not None:
            now = f"{format_day(call.postponed_to, lang)} ({call.action.value})"
        else:
            now = call.action.value
        console.print(
            f"  {call.priority.value:<4} {call.name} {call.phone}: {was} → {now}", highlight=False
        )
        console.print(f"       {call.reason}", style="dim", highlight=False)
    console.print(f"{len(result.calls):,} patients to call in all")


def comparison_table(result: ReplanResult) -> Table:
    """Greedy and the chosen plan side by side on every soft cost."""
    table = Table("", *[level.value for level in LEVELS], "seconds", title="Plans compared")
    plans = [result.greedy] if result.plan is result.greedy else [result.greedy, result.plan]
    for plan in plans:
        report = plan.report
        costs = [f"{report.objective.get(level, 0):,}" for level in LEVELS]
        label = report.solver if report.gap is None else f"{report.solver} (gap {report.gap:.1%})"
        table.add_row(label, *costs, f"{report.seconds:.1f}")
    return table


def outcome_table(kpis: Kpis) -> Table:
    """Cases by priority class and outcome, with deadline breaches."""
    table = Table("priority", *OUTCOMES, "breaches", title="Outcome by priority")
    for priority, counts in kpis.outcomes.items():
        table.add_row(
            priority, *[f"{counts[o]:,}" for o in OUTCOMES], f"{kpis.breaches[priority]:,}"
        )
    table.caption = f"patient kilometres: {kpis.patient_km:,}"
    return table
