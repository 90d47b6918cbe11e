"""Reconciliation: a confirmed paper record against what the centre recorded meanwhile.

A surgical record says a case was operated on a given day; during the outage the centre
may have re-planned, postponed or redirected that same case. When the journal holds such
a change within the incident window, the two versions go to a queue with their authors
and times, and nothing is overwritten until someone decides. When it holds none, the
paper is the record: the case is marked done.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc, local_time
from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.domain.cases import CaseStatus
from bascule.errors import BasculeError, UnknownEntityError
from bascule.paper.codes import display_form_id
from bascule.paper.model import FormType
from bascule.recovery.forms import field_spec, parse_value
from bascule.store import changes, journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import (
    JournalEntryRow,
    RecoveryConflictRow,
    RecoveryFormRow,
    SurgicalCaseRow,
)

RESOLUTIONS = ("paper", "central")
_CENTRAL_CASE_KINDS = (kinds.CASE_UPDATED, kinds.CASE_STATUS_CHANGED)


class ConflictError(BasculeError):
    """A conflict decision refused, with the reason."""


@dataclass(frozen=True, slots=True)
class CentralChange:
    """The centre's latest change to a case within the incident window."""

    actor: str
    at: datetime


def _central_change(session: Session, case_id: str, since: datetime) -> CentralChange | None:
    row = session.execute(
        select(JournalEntryRow.actor, JournalEntryRow.recorded_at)
        .where(
            JournalEntryRow.entity_type == "case",
            JournalEntryRow.entity_id == case_id,
            JournalEntryRow.kind.in_(_CENTRAL_CASE_KINDS),
            JournalEntryRow.recorded_at >= since,
        )
        .order_by(JournalEntryRow.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else CentralChange(row.actor, as_utc(row.recorded_at))


def _booking_text(case: SurgicalCaseRow) -> str:
    if case.booked_day is None:
        return f"{case.status}, no date"
    return f"{case.status} {case.booked_day.isoformat()} {case.booked_theatre_id or ''}".strip()


def _done(case: SurgicalCaseRow, form_id: str) -> Change:
    reason = f"operated, per paper surgical record {display_form_id(form_id)}"
    return changes.case_status_changed(case.id, case.site_id, CaseStatus.DONE, reason)


def surgical_record_changes(
    session: Session,
    form: RecoveryFormRow,
    final: dict[str, str],
    *,
    by: str,
    at: datetime,
    window_start: datetime,
) -> list[Change]:
    """What confirming a surgical record writes: the case done, or a conflict to decide."""
    case_id = form.case_id or final.get("case_reference")
    case = None if not case_id else session.get(SurgicalCaseRow, case_id)
    if case is None:
        return []
    operated = parse_value(field_spec("in_room_at", FormType.SURGICAL_RECORD), final["in_room_at"])
    day = local_time(operated).date()
    central = _central_change(session, case.id, window_start)
    agrees = case.booked_day == day and case.status in (
        CaseStatus.BOOKED.value,
        CaseStatus.DONE.value,
    )
    if central is None or agrees:
        return [_done(case, form.form_id)]
    payload: dict[str, Any] = {
        "id": f"{form.form_id}/operated_on",
        "form_id": form.form_id,
        "site_id": form.site_id,
        "patient_id": case.patient_id,
        "case_id": case.id,
        "field": "operated_on",
        "paper_value": f"operated {day.isoformat()} {final.get('theatre', '')}".strip(),
        "paper_by": by,
        "paper_at": canonical_instant(at),
        "central_value": _booking_text(case),
        "central_by": central.actor,
        "central_at": canonical_instant(central.at),
    }
    return [Change(kinds.CONFLICT_RAISED, "case", case.id, payload, form.site_id)]


def resolve_conflict(
    db: Database, actor: Actor | str, conflict_id: str, resolution: str, note: str = ""
) -> None:
    """Decide a conflict: keep the paper version (the case was done) or the centre's."""
    if resolution not in RESOLUTIONS:
        raise ConflictError(f"resolution {resolution!r} is not one of {', '.join(RESOLUTIONS)}")
    with db.writing() as session:
        journal.lock(session)
        conflict = session.get(RecoveryConflictRow, conflict_id)
        if conflict is None:
            raise UnknownEntityError(f"no conflict {conflict_id!r}")
        check(actor, Permission.RESOLVE_CONFLICT, conflict.site_id)
        if conflict.status != "open":
            raise ConflictError(f"conflict {conflict_id} was already resolved")
        now = db.clock.now()
        found: list[Change] = []
        case = None if conflict.case_id is None else session.get(SurgicalCaseRow, conflict.case_id)
        if resolution == "paper" and case is not None:
            found.append(_done(case, conflict.form_id))
        payload = {
            "id": conflict_id,
            "resolution": resolution,
            "note": note.strip(),
            "by": actor_name(actor),
            "at": canonical_instant(now),
        }
        found.append(
            Change(
                kinds.CONFLICT_RESOLVED, "case", conflict.case_id or "", payload, conflict.site_id
            )
        )
        journal.append(session, found, actor=actor_name(actor), at=now)


def open_conflicts(session: Session, site_id: str | None = None) -> list[RecoveryConflictRow]:
    """Conflicts waiting for a decision, oldest first."""
    query = (
        select(RecoveryConflictRow)
        .where(RecoveryConflictRow.status == "open")
        .order_by(RecoveryConflictRow.paper_at, RecoveryConflictRow.id)
    )
    if site_id is not None:
        query = query.where(RecoveryConflictRow.site_id == site_id)
    return list(session.scalars(query))
