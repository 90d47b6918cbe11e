"""One re-planning run on the store: both solvers, the chosen plan, and what people read."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bascule.errors import BasculeError
from bascule.planning.cpsat import CpSatOptions, solve_cpsat
from bascule.planning.explain import Change, explain, render_reason
from bascule.planning.gantt import gantt_png, gantt_svg
from bascule.planning.greedy import solve_greedy
from bascule.planning.plan import Action, Plan
from bascule.planning.problem import Problem
from bascule.planning.report import Call, Kpis, call_list, kpis, write_call_list_csv
from bascule.replan.source import StoreProblem

SolverName = Literal["cp-sat", "greedy"]


@dataclass(frozen=True)
class ReplanResult:
    """The chosen plan, the greedy peer it was measured against, and their reports."""

    problem: Problem
    plan: Plan
    greedy: Plan
    changes: list[Change]
    kpis: Kpis
    greedy_kpis: Kpis
    calls: list[Call]


def replan(
    source: StoreProblem,
    *,
    solver: SolverName = "cp-sat",
    options: CpSatOptions | None = None,
    lang: str = "fr",
) -> ReplanResult:
    """Re-plan with the greedy baseline and, unless asked for greedy only, CP-SAT from it."""
    problem = source.problem
    greedy = solve_greedy(problem)
    plan = greedy if solver == "greedy" else solve_cpsat(problem, options, hint=greedy)
    return ReplanResult(
        problem=problem,
        plan=plan,
        greedy=greedy,
        changes=explain(problem, plan),
        kpis=kpis(problem, plan),
        greedy_kpis=kpis(problem, greedy),
        calls=call_list(problem, plan, source.contacts, lang),
    )


def affected_sites(result: ReplanResult) -> list[str]:
    """Sites under a disruption or receiving redirected cases, in the group's order."""
    problem = result.problem
    wanted = {d.site_id for d in problem.disruptions}
    wanted |= {
        d.slot.site_id for d in result.plan.decisions if d.action is Action.REDIRECT and d.slot
    }
    return [site.id for site in problem.sites if site.id in wanted]


def write_outputs(result: ReplanResult, directory: Path, lang: str) -> list[Path]:
    """Plan, KPIs, changes with reasons, call list and Gantt charts, written to ``directory``."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = [
            _write(directory / "plan.json", json.dumps(plan_document(result), indent=1)),
            _write(directory / "kpis.json", result.kpis.to_json()),
            _write(
                directory / "changes.json",
                json.dumps(_changes(result.changes, lang), indent=1, ensure_ascii=False),
            ),
        ]
        calls = directory / "call-list.csv"
        write_call_list_csv(calls, result.calls, lang)
        written.append(calls)
        for site_id in affected_sites(result):
            for which in ("before", "after"):
                stem = directory / f"gantt-{site_id}-{which}"
                svg = gantt_svg(result.problem, result.plan, site_id, which, lang)
                written.append(_write(stem.with_suffix(".svg"), svg))
                png = stem.with_suffix(".png")
                png.write_bytes(gantt_png(result.problem, result.plan, site_id, which, lang))
                written.append(png)
    except OSError as exc:
        raise BasculeError(f"cannot write the re-plan to {directory}: {exc.strerror}") from exc
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    return path


def plan_document(result: ReplanResult) -> dict[str, Any]:
    """The plan as data: every decision and how the solver fared."""
    report = result.plan.report
    return {
        "solver": {
            "name": report.solver,
            "status": report.status,
            "seconds": round(report.seconds, 3),
            "first_feasible_seconds": report.first_feasible_seconds,
            "objective": dict(report.objective),
            "bound": dict(report.bound),
            "gap": report.gap,
            "notes": list(report.notes),
        },
        "decisions": [
            {
                "case": d.case_id,
                "action": d.action.value,
                "day": None if d.slot is None else d.slot.day.isoformat(),
                "site": None if d.slot is None else d.slot.site_id,
                "theatre": None if d.slot is None else d.slot.theatre_id,
                "start_minute": None if d.slot is None else d.slot.start_minute,
                "surgeon": d.surgeon_id,
                "postponed_to": None if d.postponed_to is None else d.postponed_to.isoformat(),
            }
            for d in result.plan.decisions
        ],
    }


def _changes(changes: list[Change], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "case": change.case_id,
            "patient": change.patient_id,
            "action": change.action.value,
            "priority": change.priority.value,
            "reason": render_reason(change.reason, lang),
        }
        for change in changes
    ]
