"""Projectors of the crisis cell: accounts, incidents, status board, logbook, tasks, alerts.

Every change that belongs to an incident also adds a line to that incident's timeline, so
the timeline is exactly what the journal says happened, in journal order.
"""

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.store import kinds
from bascule.store.canonical import parse_instant
from bascule.store.projections import projector
from bascule.store.tables import (
    ClosureWaiverRow,
    CrisisTaskRow,
    IncidentEventRow,
    IncidentRow,
    LogbookEntryRow,
    SecurityAlertRow,
    SitrepRow,
    StatusTransitionRow,
    SystemStatusRow,
    UserRow,
    WebSessionRow,
    table_of,
)

# Payload fields too bulky or too secret for a timeline line.
_NOT_IN_TIMELINE = frozenset({"content", "sample", "checklist", "details", "password_hash"})


def _instant_or_none(value: str | None) -> Any:
    return None if value is None else parse_instant(value)


def _timeline(
    session: Session, incident_id: str, at: str, actor: str, *, kind: str, p: dict[str, Any]
) -> None:
    summary = {key: value for key, value in p.items() if key not in _NOT_IN_TIMELINE}
    session.execute(
        table_of(IncidentEventRow).insert(),
        {
            "incident_id": incident_id,
            "at": parse_instant(at),
            "actor": actor,
            "kind": kind,
            "summary": summary,
        },
    )


@projector(kinds.USER_ADDED)
def _users_added(session: Session, payloads: list[dict[str, Any]]) -> None:
    session.execute(
        table_of(UserRow).insert(),
        [
            {
                "username": p["username"],
                "display_name": p["display_name"],
                "role": p["role"],
                "sites": p["sites"],
                "password_hash": p["password_hash"],
                "active": True,
                "created_at": parse_instant(p["created_at"]),
            }
            for p in payloads
        ],
    )


def _end_sessions(session: Session, username: str) -> None:
    session.execute(delete(table_of(WebSessionRow)).where(WebSessionRow.username == username))


@projector(kinds.USER_PASSWORD_SET)
def _passwords_set(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(UserRow))
            .where(UserRow.username == p["username"])
            .values(password_hash=p["password_hash"], active=True)
        )
        _end_sessions(session, p["username"])


@projector(kinds.USER_DISABLED)
def _users_disabled(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(UserRow)).where(UserRow.username == p["username"]).values(active=False)
        )
        _end_sessions(session, p["username"])


@projector(kinds.USER_SIGNED_IN)
def _signed_in(session: Session, payloads: list[dict[str, Any]]) -> None:
    session.execute(
        table_of(WebSessionRow).insert(),
        [
            {
                "token_sha256": p["token_sha256"],
                "username": p["username"],
                "created_at": parse_instant(p["at"]),
                "expires_at": parse_instant(p["expires_at"]),
            }
            for p in payloads
        ],
    )


@projector(kinds.USER_SIGNED_OUT)
def _signed_out(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            delete(table_of(WebSessionRow)).where(WebSessionRow.token_sha256 == p["token_sha256"])
        )


@projector(kinds.INCIDENT_DECLARED)
def _incidents_declared(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            table_of(IncidentRow).insert(),
            {
                "id": p["id"],
                "title": p["title"],
                "severity": p["severity"],
                "sites": p["sites"],
                "systems": p["systems"],
                "phase": "alert",
                "plan_id": p["plan_id"],
                "declared_at": parse_instant(p["declared_at"]),
                "declared_by": p["declared_by"],
                "phase_since": parse_instant(p["declared_at"]),
                "alert_id": p.get("alert_id"),
            },
        )
        _timeline(session, p["id"], p["declared_at"], p["declared_by"], kind="declared", p=p)


@projector(kinds.INCIDENT_PHASE_CHANGED)
def _phases_changed(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(IncidentRow))
            .where(IncidentRow.id == p["incident_id"])
            .values(phase=p["to"], phase_since=parse_instant(p["at"]))
        )
        _timeline(session, p["incident_id"], p["at"], p["by"], kind="phase", p=p)


@projector(kinds.STATUS_REPORTED)
def _status_reported(session: Session, payloads: list[dict[str, Any]]) -> None:
    status = table_of(SystemStatusRow)
    for p in payloads:
        at = parse_instant(p["at"])
        key = (SystemStatusRow.site_id == p["site_id"], SystemStatusRow.system == p["system"])
        before = session.execute(select(status.c.state, status.c.capacity).where(*key)).first()
        values = {
            "state": p["state"],
            "confirmed_at": at,
            "confirmed_by": p["by"],
            "confirm_minutes": p["confirm_minutes"],
            "capacity": p["capacity"],
            "note": p["note"],
        }
        changed = before is None or before.state != p["state"] or before.capacity != p["capacity"]
        if before is None:
            session.execute(
                status.insert(),
                {"site_id": p["site_id"], "system": p["system"], "since": at} | values,
            )
        else:
            if before.state != p["state"]:
                values["since"] = at
            session.execute(update(status).where(*key).values(values))
        if changed:
            session.execute(
                table_of(StatusTransitionRow).insert(),
                {
                    "site_id": p["site_id"],
                    "system": p["system"],
                    "from_state": None if before is None else before.state,
                    "to_state": p["state"],
                    "capacity": p["capacity"],
                    "at": at,
                    "by": p["by"],
                    "note": p["note"],
                },
            )
        for incident_id in p["incident_ids"]:
            _timeline(session, incident_id, p["at"], p["by"], kind="status", p=p)


@projector(kinds.LOGBOOK_WRITTEN)
def _logbook(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            table_of(LogbookEntryRow).insert(),
            {
                "id": p["id"],
                "number": p["number"],
                "incident_id": p["incident_id"],
                "site_id": p["site_id"],
                "at": parse_instant(p["at"]),
                "author": p["author"],
                "category": p["category"],
                "text": p["text"],
                "corrects": p["corrects"],
            },
        )
        if p["incident_id"] is not None:
            _timeline(session, p["incident_id"], p["at"], p["author"], kind="logbook", p=p)


@projector(kinds.TASK_CREATED)
def _tasks_created(session: Session, payloads: list[dict[str, Any]]) -> None:
    session.execute(
        table_of(CrisisTaskRow).insert(),
        [
            {
                "id": p["id"],
                "incident_id": p["incident_id"],
                "action_id": p["action_id"],
                "phase": p["phase"],
                "role": p["role"],
                "site_id": p["site_id"],
                "title": p["title"],
                "details": p["details"],
                "checklist": p["checklist"],
                "checked": [],
                "due_at": parse_instant(p["due_at"]),
                "owner": p["owner"],
                "status": "open",
                "done_at": None,
                "done_by": None,
            }
            for p in payloads
        ],
    )


@projector(kinds.TASK_UPDATED)
def _tasks_updated(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        values: dict[str, Any] = {}
        if "owner" in p:
            values["owner"] = p["owner"]
        if "checked" in p:
            values["checked"] = p["checked"]
        if "status" in p:
            values["status"] = p["status"]
            finished = p["status"] in ("done", "skipped")
            values["done_at"] = parse_instant(p["at"]) if finished else None
            values["done_by"] = p["by"] if finished else None
        session.execute(
            update(table_of(CrisisTaskRow)).where(CrisisTaskRow.id == p["id"]).values(values)
        )
        _timeline(session, p["incident_id"], p["at"], p["by"], kind="task", p=p)


@projector(kinds.SITREP_ISSUED)
def _sitreps(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            table_of(SitrepRow).insert(),
            {
                "id": p["id"],
                "incident_id": p["incident_id"],
                "number": p["number"],
                "issued_at": parse_instant(p["issued_at"]),
                "issued_by": p["issued_by"],
                "next_meeting_at": _instant_or_none(p["next_meeting_at"]),
                "content": p["content"],
                "content_sha256": p["content_sha256"],
            },
        )
        _timeline(session, p["incident_id"], p["issued_at"], p["issued_by"], kind="sitrep", p=p)


@projector(kinds.ALERT_RECEIVED)
def _alerts_received(session: Session, payloads: list[dict[str, Any]]) -> None:
    alerts = table_of(SecurityAlertRow)
    for p in payloads:
        last_seen = parse_instant(p["last_seen"])
        known = session.execute(
            select(alerts.c.count, alerts.c.last_seen).where(alerts.c.id == p["id"])
        ).first()
        if known is None:
            session.execute(
                alerts.insert(),
                {
                    "id": p["id"],
                    "source": p["source"],
                    "signature": p["signature"],
                    "severity": p["severity"],
                    "host": p["host"],
                    "site_id": p["site_id"],
                    "rule": p["rule"],
                    "first_seen": parse_instant(p["first_seen"]),
                    "last_seen": last_seen,
                    "count": p["count"],
                    "sample": p["sample"],
                    "status": p["status"],
                    "incident_id": None,
                    "decided_by": None,
                },
            )
        else:
            session.execute(
                update(alerts)
                .where(alerts.c.id == p["id"])
                .values(
                    count=known.count + p["count"],
                    last_seen=max(as_utc(known.last_seen), last_seen),
                )
            )


@projector(kinds.ALERT_DECIDED)
def _alerts_decided(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(SecurityAlertRow))
            .where(SecurityAlertRow.id == p["id"])
            .values(status=p["status"], incident_id=p["incident_id"], decided_by=p["by"])
        )
        if p["incident_id"] is not None:
            _timeline(session, p["incident_id"], p["at"], p["by"], kind="alert", p=p)


@projector(kinds.INCIDENT_CLOSURE_WAIVED)
def _closure_waived(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            table_of(ClosureWaiverRow).insert(),
            {
                "incident_id": p["incident_id"],
                "reason": p["reason"],
                "outstanding": p["outstanding"],
                "waived_by": p["by"],
                "waived_at": parse_instant(p["at"]),
            },
        )
        _timeline(session, p["incident_id"], p["at"], p["by"], kind="waiver", p=p)
