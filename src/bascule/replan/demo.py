"""The re-planning step of ``bascule demo``: two sites at half capacity for ten days."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bascule.planning.cpsat import CpSatOptions
from bascule.replan.apply import apply_plan
from bascule.replan.cli import comparison_table, outcome_table
from bascule.replan.run import affected_sites, replan, write_outputs
from bascule.replan.scenario import load_scenario
from bascule.replan.source import problem_from_store
from bascule.store.database import Database
from bascule.synth.group import first_monday

CALLS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class ReplanDemo:
    """Where the demo left the plan and what it changed."""

    directory: Path
    replan_id: str
    calls: int


def _scenario_text(start: str, until: str) -> str:
    return (
        "# Rennes and Saint-Nazaire lose half their theatre time for ten days and work on\n"
        "# paper (15 more minutes per case); the other sites take what must not wait.\n"
        f"start: {start}\n"
        "horizon: 14\n"
        "disruptions:\n"
        f"  - {{site: rennes, from: {start}, days: 10, capacity: 0.5, paper_extra_minutes: 15}}\n"
        f"  - {{site: saint-nazaire, from: {start}, days: 10, capacity: 0.5, "
        "paper_extra_minutes: 15}\n"
        f"# the lists of {start} were already under way when the attack struck\n"
        f"frozen_until: {until}\n"
    )


def run_replan_demo(db: Database, out: Path, console: Console, *, time_limit: float) -> ReplanDemo:
    """Write the scenario file, re-plan with CP-SAT against greedy, show and apply the plan."""
    directory = out / "replan"
    directory.mkdir(parents=True, exist_ok=True)
    start = first_monday(db.clock.now().date())
    scenario_file = directory / "scenario.yaml"
    scenario_file.write_text(
        _scenario_text(start.isoformat(), (start + timedelta(days=1)).isoformat()),
        encoding="utf-8",
    )
    scenario = load_scenario(scenario_file)
    with db.reading() as session:
        source = problem_from_store(session, scenario)
    console.print(
        f"scenario {scenario_file}: {len(source.problem.cases):,} cases over 14 days from "
        f"{start}; CP-SAT for {time_limit:.0f} s from the greedy plan"
    )
    result = replan(source, options=CpSatOptions(time_limit=time_limit, workers=2))
    console.print(comparison_table(result))
    console.print(outcome_table(result.kpis))
    for call in result.calls[:CALLS_SHOWN]:
        console.print(f"  {call.priority.value:<4} {call.name}: {call.reason}", highlight=False)
    written = write_outputs(result, directory, "fr")
    charts = [p.name for p in written if p.suffix == ".png"]
    console.print(
        f"{len(result.calls):,} patients to call ({directory / 'call-list.csv'}); Gantt charts "
        f"before and after for {', '.join(affected_sites(result))}: {', '.join(charts[:2])} …"
    )
    with db.writing() as session:
        replan_id = apply_plan(session, result, scenario, actor="demo", at=db.clock.now())
    console.print(f"plan applied as {replan_id}: cases rebooked through the journal")
    return ReplanDemo(directory, replan_id, len(result.calls))
