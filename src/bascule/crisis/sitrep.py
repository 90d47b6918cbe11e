"""Situation reports: what each crisis meeting needs, frozen and hashed when issued.

A SITREP is built from the store at the moment it is issued and kept as issued: the
meeting decided on what it showed, so it must read the same afterwards.
"""

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc, local_time
from bascule.crisis.incidents import require_incident
from bascule.crisis.logbook import entries
from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.crisis.status import board
from bascule.crisis.tasks import tasks_of
from bascule.errors import BasculeError, UnknownEntityError
from bascule.ingest.monitor import FeedRules
from bascule.planning.report import OUTCOMES
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant, canonical_json, parse_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import ReplanRow, SitrepRow


class SitrepError(BasculeError):
    """A SITREP that cannot be issued, with the field at fault."""


def _replan_summary(session: Session, now: datetime) -> dict[str, Any] | None:
    """The latest re-plan, when its horizon still runs: the plan the sites work to now."""
    row = session.scalars(select(ReplanRow).order_by(ReplanRow.applied_at.desc()).limit(1)).first()
    if row is None or row.first_day + timedelta(days=row.days) <= local_time(now).date():
        return None
    kpis = json.loads(row.kpis)
    outcomes = {
        outcome: sum(counts.get(outcome, 0) for counts in kpis["outcomes"].values())
        for outcome in OUTCOMES
    }
    return {
        "id": row.id,
        "applied_at": canonical_instant(as_utc(row.applied_at)),
        "first_day": row.first_day.isoformat(),
        "days": row.days,
        "outcomes": outcomes,
        "breaches": sum(kpis["breaches"].values()),
        "patient_km": kpis["patient_km"],
    }


def _previous_issue(session: Session, incident_id: str) -> tuple[int, datetime | None]:
    last = session.execute(
        select(SitrepRow.number, SitrepRow.issued_at)
        .where(SitrepRow.incident_id == incident_id)
        .order_by(SitrepRow.number.desc())
        .limit(1)
    ).first()
    return (0, None) if last is None else (last.number, as_utc(last.issued_at))


def build_content(
    session: Session,
    incident_id: str,
    *,
    now: datetime,
    feed_rules: FeedRules,
    next_meeting_at: datetime | None,
) -> dict[str, Any]:
    """The SITREP's content as plain data: status, re-plan KPIs, logbook since last, tasks."""
    incident = require_incident(session, incident_id)
    number, previous = _previous_issue(session, incident_id)
    since = previous or incident.declared_at
    status = []
    for line in board(session, feed_rules):
        if line.site_id not in incident.sites:
            continue
        status.append(
            {
                "site_id": line.site_id,
                "name": line.name,
                "systems": {
                    system: None
                    if cell is None
                    else {
                        "state": cell.state,
                        "since": canonical_instant(cell.since),
                        "capacity": cell.capacity,
                        "overdue": cell.overdue(now),
                        "note": cell.note,
                    }
                    for system, cell in line.cells.items()
                },
            }
        )
    logbook = [
        {
            "number": e.number,
            "at": canonical_instant(e.at),
            "author": e.author,
            "category": e.category,
            "text": e.text,
            "corrects": e.corrects,
        }
        for e in entries(session, incident_id)
        if previous is None or e.at > previous
    ]
    tasks = tasks_of(session, incident_id)
    open_tasks = [
        {
            "id": task.id,
            "title": task.title,
            "role": task.role,
            "site_id": task.site_id,
            "owner": task.owner,
            "due_at": canonical_instant(task.due_at),
            "overdue": task.overdue(now),
        }
        for task in tasks
        if task.status == "open" and task.phase == incident.phase
    ]
    return {
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity,
            "phase": incident.phase,
            "sites": list(incident.sites),
            "systems": list(incident.systems),
            "declared_at": canonical_instant(incident.declared_at),
        },
        "number": number + 1,
        "since": canonical_instant(since),
        "status": status,
        "replan": _replan_summary(session, now),
        "decisions": [item for item in logbook if item["category"] == "decision"],
        "events": [item for item in logbook if item["category"] != "decision"],
        "tasks": {
            "total": len(tasks),
            "done": sum(task.status == "done" for task in tasks),
            "open": sum(task.status == "open" for task in tasks),
            "overdue": sum(task.overdue(now) for task in tasks),
            "current_phase": open_tasks,
        },
        "next_meeting_at": None if next_meeting_at is None else canonical_instant(next_meeting_at),
    }


def issue_sitrep(
    db: Database,
    actor: Actor | str,
    incident_id: str,
    *,
    feed_rules: FeedRules,
    next_meeting_at: datetime | None,
) -> int:
    """Build, freeze and journal the next SITREP of an incident; returns its number."""
    check(actor, Permission.ISSUE_SITREP)
    with db.writing() as session:
        journal.lock(session)
        now = db.clock.now()
        if next_meeting_at is not None and next_meeting_at <= now:
            raise SitrepError("field 'next_meeting_at': the next meeting must be in the future")
        content = build_content(
            session, incident_id, now=now, feed_rules=feed_rules, next_meeting_at=next_meeting_at
        )
        digest = hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()
        sitrep_id = uuid.uuid4().hex[:16]
        payload = {
            "id": sitrep_id,
            "incident_id": incident_id,
            "number": content["number"],
            "issued_at": canonical_instant(now),
            "issued_by": actor_name(actor),
            "next_meeting_at": content["next_meeting_at"],
            "content": content,
            "content_sha256": digest,
        }
        change = Change(kinds.SITREP_ISSUED, "sitrep", sitrep_id, payload)
        journal.append(session, [change], actor=actor_name(actor), at=now)
    return int(content["number"])


def sitrep(session: Session, incident_id: str, number: int) -> SitrepRow:
    """An issued SITREP, or an error naming it."""
    row = session.scalars(
        select(SitrepRow).where(SitrepRow.incident_id == incident_id, SitrepRow.number == number)
    ).first()
    if row is None:
        raise UnknownEntityError(f"incident {incident_id} has no SITREP number {number}")
    return row


def sitrep_numbers(session: Session, incident_id: str) -> list[tuple[int, datetime]]:
    """Numbers and issue times of an incident's SITREPs, oldest first."""
    rows = session.execute(
        select(SitrepRow.number, SitrepRow.issued_at)
        .where(SitrepRow.incident_id == incident_id)
        .order_by(SitrepRow.number)
    )
    return [(row.number, as_utc(row.issued_at)) for row in rows]


def instant(text: str | None) -> datetime | None:
    """A stored instant of a SITREP's content as a datetime."""
    return None if text is None else parse_instant(text)
