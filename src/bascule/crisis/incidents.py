"""Incidents: declaration (which instantiates the emergency plan), phases, timeline."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bascule.clock import as_utc, local_time
from bascule.crisis.plans import PHASES, Plan, default_plan
from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError, UnknownEntityError
from bascule.recovery.completeness import check_closable
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.queries import require_site
from bascule.store.tables import IncidentEventRow, IncidentRow

SEVERITIES = ("minor", "moderate", "major", "critical")
SYSTEMS = ("ehr", "or-scheduling", "lab", "imaging", "pharmacy", "phones", "network", "email")
MAX_TITLE = 200


class IncidentError(BasculeError):
    """An incident request that cannot be carried out, with the field at fault."""


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as the pages show it."""

    id: str
    title: str
    severity: str
    sites: tuple[str, ...]
    systems: tuple[str, ...]
    phase: str
    plan_id: str | None
    declared_at: datetime
    declared_by: str
    phase_since: datetime

    @property
    def open(self) -> bool:
        """True until the incident is closed."""
        return self.phase != "closed"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of an incident's timeline."""

    at: datetime
    actor: str
    kind: str
    summary: dict[str, Any]


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        severity=row.severity,
        sites=tuple(row.sites),
        systems=tuple(row.systems),
        phase=row.phase,
        plan_id=row.plan_id,
        declared_at=as_utc(row.declared_at),
        declared_by=row.declared_by,
        phase_since=as_utc(row.phase_since),
    )


def _validated(title: str, severity: str, sites: list[str], systems: list[str]) -> str:
    title = " ".join(title.split())
    if not title:
        raise IncidentError("field 'title': an incident needs a title")
    if len(title) > MAX_TITLE:
        raise IncidentError(f"field 'title': at most {MAX_TITLE} characters")
    if severity not in SEVERITIES:
        raise IncidentError(f"field 'severity': {severity!r} is not one of {', '.join(SEVERITIES)}")
    if not sites:
        raise IncidentError("field 'sites': name at least one affected site")
    unknown = [system for system in systems if system not in SYSTEMS]
    if unknown:
        raise IncidentError(f"field 'systems': {unknown[0]!r} is not one of {', '.join(SYSTEMS)}")
    return title


def _next_id(session: Session, declared_at: datetime) -> str:
    day = local_time(declared_at).strftime("%Y%m%d")
    prefix = f"INC-{day}-"
    taken = session.scalar(
        select(func.count()).select_from(IncidentRow).where(IncidentRow.id.like(f"{prefix}%"))
    )
    return f"{prefix}{int(taken or 0) + 1}"


def plan_tasks(
    plan: Plan, incident_id: str, sites: list[str], declared_at: datetime
) -> list[Change]:
    """The plan's actions as tasks: one per group action, one per affected site for site ones."""
    found = []
    for action in plan.actions:
        for site in [None] if action.scope == "group" else sites:
            task_id = f"{incident_id}/{action.id}" + ("" if site is None else f"/{site}")
            payload = {
                "id": task_id,
                "incident_id": incident_id,
                "action_id": action.id,
                "phase": action.phase,
                "role": action.role,
                "site_id": site,
                "title": action.title,
                "details": action.details,
                "checklist": list(action.checklist),
                "due_at": canonical_instant(declared_at + timedelta(minutes=action.due_minutes)),
                "owner": None,
            }
            found.append(Change(kinds.TASK_CREATED, "task", task_id, payload, site_id=site))
    return found


def declare_incident(
    db: Database,
    actor: Actor | str,
    *,
    title: str,
    severity: str,
    sites: list[str],
    systems: list[str],
    alert_id: str | None = None,
    plan: Plan | None = None,
) -> str:
    """Declare an incident and turn the emergency plan into its tasks; returns its id."""
    check(actor, Permission.DECLARE_INCIDENT)
    title = _validated(title, severity, sites, systems)
    plan = plan or default_plan()
    sites = list(dict.fromkeys(sites))
    with db.writing() as session:
        for site in sites:
            require_site(session, site)
        journal.lock(session)
        now = db.clock.now()
        incident_id = _next_id(session, now)
        declared = Change(
            kinds.INCIDENT_DECLARED,
            "incident",
            incident_id,
            {
                "id": incident_id,
                "title": title,
                "severity": severity,
                "sites": sites,
                "systems": sorted(set(systems)),
                "plan_id": plan.id,
                "declared_at": canonical_instant(now),
                "declared_by": actor_name(actor),
                "alert_id": alert_id,
            },
        )
        journal.append(
            session,
            [declared, *plan_tasks(plan, incident_id, sites, now)],
            actor=actor_name(actor),
            at=now,
        )
    return incident_id


def change_phase(
    db: Database, actor: Actor | str, incident_id: str, to: str, note: str = ""
) -> None:
    """Move an incident to another phase; from 'closed' this re-opens it."""
    check(actor, Permission.CHANGE_PHASE)
    if to not in PHASES:
        raise IncidentError(f"field 'phase': {to!r} is not one of {', '.join(PHASES)}")
    with db.writing() as session:
        journal.lock(session)
        incident = require_incident(session, incident_id)
        if incident.phase == to:
            raise IncidentError(f"incident {incident_id} is already in phase {to!r}")
        if to == "closed":
            check_closable(session, incident_id)
        now = db.clock.now()
        change = Change(
            kinds.INCIDENT_PHASE_CHANGED,
            "incident",
            incident_id,
            {
                "incident_id": incident_id,
                "from": incident.phase,
                "to": to,
                "at": canonical_instant(now),
                "by": actor_name(actor),
                "note": note.strip(),
            },
        )
        journal.append(session, [change], actor=actor_name(actor), at=now)


def require_incident(session: Session, incident_id: str) -> Incident:
    """The incident with this id, or an error naming it."""
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise UnknownEntityError(f"no incident {incident_id!r}")
    return _incident(row)


def incidents(session: Session, *, open_only: bool = False) -> list[Incident]:
    """Incidents, newest first."""
    query = select(IncidentRow).order_by(IncidentRow.declared_at.desc(), IncidentRow.id.desc())
    if open_only:
        query = query.where(IncidentRow.phase != "closed")
    return [_incident(row) for row in session.scalars(query)]


def open_incidents_of_site(session: Session, site_id: str) -> list[str]:
    """Ids of the open incidents that name ``site_id``."""
    return [
        incident.id for incident in incidents(session, open_only=True) if site_id in incident.sites
    ]


def timeline(session: Session, incident_id: str) -> list[TimelineEvent]:
    """Everything journaled about an incident, oldest first."""
    rows = session.scalars(
        select(IncidentEventRow)
        .where(IncidentEventRow.incident_id == incident_id)
        .order_by(IncidentEventRow.id)
    )
    return [TimelineEvent(as_utc(row.at), row.actor, row.kind, row.summary) for row in rows]
