"""Journal an accepted plan: the case bookings it changes and the plan's key figures."""

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.errors import BasculeError
from bascule.planning.explain import render_reason
from bascule.planning.plan import Action, Decision
from bascule.replan.run import ReplanResult
from bascule.replan.scenario import Scenario
from bascule.store import journal
from bascule.store.changes import case_updated, plan_applied
from bascule.store.journal import Change
from bascule.store.tables import SurgicalCaseRow

_BOOKING_CHANGES = (Action.MOVE, Action.REDIRECT, Action.POSTPONE)


class StalePlanError(BasculeError):
    """A case changed in the store after the plan was computed."""


def apply_plan(
    session: Session, result: ReplanResult, scenario: Scenario, *, actor: str, at: datetime
) -> str:
    """Write the plan's changes in one transaction and return the re-plan id.

    Refused whole if any case the plan touches was rebooked, done or cancelled in the
    meantime (an interface feed keeps running during a crisis): nothing is overwritten
    silently, and the scheduler re-runs the plan on the current data.
    """
    problem = result.problem
    moved = [d for d in result.plan.decisions if d.action in _BOOKING_CHANGES]
    _check_unchanged(session, [problem.case(d.case_id) for d in moved])
    replan_id = f"RP-{at:%Y%m%d-%H%M}-{uuid.uuid4().hex[:6]}"
    reasons = {change.case_id: render_reason(change.reason, "en") for change in result.changes}
    summary = result.kpis.as_dict()
    summary["changes"] = [
        {"case": d.case_id, "action": d.action.value, "reason": reasons.get(d.case_id, "")}
        for d in moved
    ]
    changes: list[Change] = [
        plan_applied(
            replan_id,
            applied_at=at,
            first_day=problem.start,
            days=problem.days,
            scenario=scenario.to_json(),
            solver=result.plan.report.solver,
            kpis=summary,
        )
    ]
    changes.extend(case_updated(_updated(problem.case(d.case_id), d)) for d in moved)
    journal.append(session, changes, actor=actor, at=at)
    return replan_id


def _updated(case: SurgicalCase, decision: Decision) -> SurgicalCase:
    slot = decision.slot
    if slot is None:
        return replace(case, booking=None, status=CaseStatus.POSTPONED)
    status = CaseStatus.REDIRECTED if decision.action is Action.REDIRECT else CaseStatus.BOOKED
    return replace(
        case,
        booking=Booking(slot.day, slot.theatre_id, slot.start_minute),
        surgeon_id=decision.surgeon_id or case.surgeon_id,
        status=status,
    )


def _check_unchanged(session: Session, cases: list[SurgicalCase]) -> None:
    wanted = {case.id: case for case in cases}
    ids = sorted(wanted)
    for chunk in range(0, len(ids), 500):
        rows = session.scalars(
            select(SurgicalCaseRow).where(SurgicalCaseRow.id.in_(ids[chunk : chunk + 500]))
        )
        for row in rows:
            case = wanted.pop(row.id)
            booking = case.booking
            now = (row.status, row.booked_day, row.booked_theatre_id, row.site_id)
            then = (
                case.status.value,
                None if booking is None else booking.day,
                None if booking is None else booking.theatre_id,
                case.site_id,
            )
            if now != then:
                raise StalePlanError(
                    f"case {row.id} changed since the plan was computed "
                    f"(was {then[0]} on {then[1]} in {then[2]}, now {now[0]} on {now[1]} in "
                    f"{now[2]}); nothing applied, run the re-plan again"
                )
    if wanted:
        raise StalePlanError(
            f"case {sorted(wanted)[0]} no longer exists; nothing applied, run the re-plan again"
        )
