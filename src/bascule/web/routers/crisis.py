"""The crisis cell's pages: status board, incidents with their tasks, logbook and SITREPs.

Every page needs a signed-in user; every write goes through a crisis service, which checks
the user's role and sites itself, so a forged form gets the same refusal as the page.
Forms post back and redirect (post/redirect/get): a page reload never repeats a write.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from bascule.clock import GROUP_TIME_ZONE, as_utc
from bascule.crisis import incidents, logbook, sitrep, status, tasks
from bascule.crisis.plans import PHASES, default_plan
from bascule.crisis.printouts import logbook_pdf, sitrep_pdf
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError
from bascule.ingest.monitor import load_rules
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.tables import SecurityAlertRow
from bascule.web.auth import SignedIn, require
from bascule.web.context import database, render, translator

router = APIRouter()

_SEE_OTHER = 303
LATEST = 50


def _back(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(translator(request).link(path), status_code=_SEE_OTHER)


def _local_instant(text: str, field: str) -> datetime | None:
    """A ``datetime-local`` form value, in the group's wall time, as an aware instant."""
    if not text.strip():
        return None
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BasculeError(f"field {field!r}: {text!r} is not a date and time") from None
    return naive.replace(tzinfo=GROUP_TIME_ZONE)


def _capacity(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text.strip().rstrip("%").replace(",", ".")) / 100
    except ValueError:
        raise BasculeError(f"field 'capacity': {text!r} is not a percentage") from None


def _minutes(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise BasculeError(
            f"field 'confirm_minutes': {text!r} is not a number of minutes"
        ) from None


def _corrected_entry(db: Database, number: str) -> str | None:
    """The id of the entry a correction names by its number (as printed on every copy)."""
    if not number.strip():
        return None
    if not number.strip().isdigit():
        raise BasculeError(f"field 'corrects': {number!r} is not an entry number")
    with db.reading() as session:
        return logbook.entry_id(session, int(number))


@router.get("/crisis")
def board_page(request: Request, actor: SignedIn) -> Response:
    """The status board: open incidents, every site and system, kits, feeds, pending alerts."""
    db = database(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        lines = status.board(session, load_rules())
        open_incidents = incidents.incidents(session, open_only=True)
        pending = session.scalar(
            select(func.count())
            .select_from(SecurityAlertRow)
            .where(SecurityAlertRow.status == "proposed")
        )
    now = db.clock.now()
    reportable = [
        line.site_id for line in lines if actor.may(Permission.REPORT_STATUS, line.site_id)
    ]
    return render(
        request,
        "crisis_board.html",
        {
            "lines": lines,
            "systems": status.BOARD_SYSTEMS,
            "states": status.STATES,
            "now": now,
            "incidents": open_incidents,
            "pending_alerts": pending,
            "reportable": reportable,
            "may_declare": actor.may(Permission.DECLARE_INCIDENT),
            "severities": incidents.SEVERITIES,
            "incident_systems": incidents.SYSTEMS,
        },
        journal_seq=seq,
    )


@router.post("/crisis/status")
def report_status(
    request: Request,
    *,
    actor: SignedIn,
    site_id: Annotated[str, Form()],
    system: Annotated[str, Form()],
    state: Annotated[str, Form()],
    capacity: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    confirm_minutes: Annotated[str, Form()] = "",
) -> Response:
    """Record (or confirm) the state of a site or system."""
    status.report_status(
        database(request),
        actor,
        site_id=site_id,
        system=system,
        state=state,
        capacity=_capacity(capacity),
        note=note,
        confirm_minutes=_minutes(confirm_minutes),
    )
    return _back(request, "/crisis")


@router.get("/crisis/history")
def history_page(request: Request, _actor: SignedIn, site: str | None = None) -> Response:
    """Every change of state, newest first, of all sites or one."""
    db = database(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        transitions = status.history(session, site)
    return render(
        request, "crisis_history.html", {"transitions": transitions, "site": site}, journal_seq=seq
    )


@router.get("/audit")
def audit_page(
    request: Request,
    _actor: Annotated[Actor, Depends(require(Permission.AUDIT))],
    actor: str = "",
    count: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Who did what: the latest journal entries, of everyone or of one actor."""
    db = database(request)
    with db.snapshot() as session:
        seq, digest = journal.head(session)
        items = journal.tail(session, count, actor=actor.strip() or None)
    return render(
        request,
        "audit.html",
        {"entries": items, "head_hash": digest, "actor_filter": actor, "count": count},
        journal_seq=seq,
    )


@router.get("/incidents")
def incidents_page(request: Request, _actor: SignedIn) -> Response:
    """All incidents, open and closed."""
    db = database(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        items = incidents.incidents(session)
    return render(request, "incidents.html", {"incidents": items}, journal_seq=seq)


@router.post("/incidents")
def declare(
    request: Request,
    *,
    actor: SignedIn,
    title: Annotated[str, Form()],
    severity: Annotated[str, Form()],
    sites: Annotated[list[str] | None, Form()] = None,
    systems: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Declare an incident; the plan's tasks are created with it."""
    incident_id = incidents.declare_incident(
        database(request),
        actor,
        title=title,
        severity=severity,
        sites=sites or [],
        systems=systems or [],
    )
    return _back(request, f"/incidents/{incident_id}")


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, actor: SignedIn, incident_id: str) -> Response:
    """One incident: phase, tasks of each phase, logbook, SITREPs, timeline."""
    db = database(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        incident = incidents.require_incident(session, incident_id)
        items = tasks.tasks_of(session, incident_id)
        entries = logbook.entries(session, incident_id)
        reports = sitrep.sitrep_numbers(session, incident_id)
        events = incidents.timeline(session, incident_id)
    # A crisis runs for weeks: the page shows the latest of the logbook and the timeline,
    # and links to the whole logbook, so that it stays fast on an old PC.
    now = db.clock.now()
    plan = default_plan()
    by_phase = [(phase, [task for task in items if task.phase == phase]) for phase in PHASES]
    return render(
        request,
        "incident.html",
        {
            "incident": incident,
            "phases": PHASES,
            # The usual move is one phase on; a closed incident is re-opened into recovery.
            "next_phase": PHASES[min(PHASES.index(incident.phase) + 1, len(PHASES) - 1)]
            if incident.open
            else "recovery",
            "tasks_by_phase": by_phase,
            "overdue": [task for task in items if task.overdue(now)],
            "entries": entries[-LATEST:],
            "entry_count": len(entries),
            "numbers": {entry.id: entry.number for entry in entries},
            "logbook_href": translator(request).link(f"/incidents/{incident_id}/logbook"),
            "categories": logbook.CATEGORIES,
            "sitreps": reports,
            "events": events[-LATEST:],
            "event_count": len(events),
            "now": now,
            "role_titles": {role.id: role.title for role in plan.roles},
            "may_update": {task.id: tasks.may_update(actor, task) for task in items},
            "may_phase": actor.may(Permission.CHANGE_PHASE),
            "may_write": actor.may(Permission.WRITE_LOGBOOK),
            "may_sitrep": actor.may(Permission.ISSUE_SITREP),
            "default_meeting": (now + timedelta(hours=2)).astimezone(GROUP_TIME_ZONE),
        },
        journal_seq=seq,
    )


@router.post("/incidents/{incident_id}/phase")
def change_phase(
    request: Request,
    *,
    actor: SignedIn,
    incident_id: str,
    phase: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """Move the incident to another phase (or re-open it)."""
    incidents.change_phase(database(request), actor, incident_id, phase, note)
    return _back(request, f"/incidents/{incident_id}")


@router.post("/incidents/{incident_id}/tasks/{task_id:path}")
def update_task(
    request: Request,
    *,
    actor: SignedIn,
    incident_id: str,
    task_id: str,
    status_: Annotated[str, Form(alias="status")] = "",
    owner: Annotated[str | None, Form()] = None,
    checked: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Tick checklist items, name an owner, mark a task done, skipped or open again."""
    db = database(request)
    with db.reading() as session:
        task = tasks.require_task(session, task_id)
    if task.incident_id != incident_id:
        raise BasculeError(f"task {task_id} is not a task of incident {incident_id}")
    tasks.update_task(
        db, actor, task_id, status=status_ or None, owner=owner, checked=checked or []
    )
    return _back(request, f"/incidents/{incident_id}#task-{task.action_id}")


@router.post("/incidents/{incident_id}/logbook")
def write_entry(
    request: Request,
    *,
    actor: SignedIn,
    incident_id: str,
    text: Annotated[str, Form()],
    category: Annotated[str, Form()],
    site_id: Annotated[str, Form()] = "",
    corrects: Annotated[str, Form()] = "",
) -> Response:
    """Add an entry to the incident's main courante."""
    logbook.write_entry(
        database(request),
        actor,
        text=text,
        category=category,
        incident_id=incident_id,
        site_id=site_id or None,
        corrects=_corrected_entry(database(request), corrects),
    )
    return _back(request, f"/incidents/{incident_id}#logbook")


@router.get("/incidents/{incident_id}/logbook")
def logbook_page(request: Request, _actor: SignedIn, incident_id: str) -> Response:
    """The incident's whole main courante, with the digest its PDF export carries."""
    db = database(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        incident = incidents.require_incident(session, incident_id)
        entries = logbook.entries(session, incident_id)
    return render(
        request,
        "logbook.html",
        {
            "incident": incident,
            "entries": entries,
            "numbers": {entry.id: entry.number for entry in entries},
            "logbook_href": "",
            "digest": logbook.content_digest(entries),
        },
        journal_seq=seq,
    )


@router.get("/incidents/{incident_id}/logbook.pdf")
def logbook_printout(request: Request, actor: SignedIn, incident_id: str) -> Response:
    """The incident's main courante as a PDF carrying the SHA-256 of its entries."""
    db = database(request)
    t = translator(request)
    with db.snapshot() as session:
        incident = incidents.require_incident(session, incident_id)
        entries = logbook.entries(session, incident_id)
    digest = logbook.content_digest(entries)
    pdf = logbook_pdf(
        entries,
        title=t("crisis.logbook.pdf_title", incident=incident.id, title=incident.title),
        digest=digest,
        printed=f"{t.moment(db.clock.now())} · {actor.display_name}",
        t=t,
        moment=t.moment,
    )
    return _pdf(pdf, f"main-courante-{incident.id}.pdf")


@router.post("/incidents/{incident_id}/sitreps")
def issue_sitrep(
    request: Request,
    *,
    actor: SignedIn,
    incident_id: str,
    next_meeting_at: Annotated[str, Form()] = "",
) -> Response:
    """Issue the next SITREP and show it."""
    number = sitrep.issue_sitrep(
        database(request),
        actor,
        incident_id,
        feed_rules=load_rules(),
        next_meeting_at=_local_instant(next_meeting_at, "next_meeting_at"),
    )
    return _back(request, f"/incidents/{incident_id}/sitreps/{number}")


def _sitrep_view(request: Request, incident_id: str, number: int) -> dict[str, Any]:
    db = database(request)
    with db.snapshot() as session:
        row = sitrep.sitrep(session, incident_id, number)
        return {
            "content": dict(row.content),
            "digest": row.content_sha256,
            "issued_at": row.issued_at,
            "issued_by": row.issued_by,
        }


@router.get("/incidents/{incident_id}/sitreps/{number}.pdf")
def sitrep_printout(request: Request, _actor: SignedIn, incident_id: str, number: int) -> Response:
    """A SITREP as issued, as a PDF."""
    t = translator(request)
    view = _sitrep_view(request, incident_id, number)
    issued = t(
        "crisis.sitrep.issued",
        moment=t.moment(as_utc(view["issued_at"])),
        by=view["issued_by"],
    )
    pdf = sitrep_pdf(view["content"], digest=view["digest"], issued=issued, t=t, moment=t.moment)
    return _pdf(pdf, f"sitrep-{incident_id}-{number}.pdf")


@router.get("/incidents/{incident_id}/sitreps/{number}")
def sitrep_page(request: Request, _actor: SignedIn, incident_id: str, number: int) -> Response:
    """A SITREP as issued, printable from the browser."""
    view = _sitrep_view(request, incident_id, number)
    return render(
        request,
        "sitrep.html",
        view | {"instant": sitrep.instant, "issued_at": as_utc(view["issued_at"])},
        journal_seq=None,
    )


def _pdf(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-SHA256": hashlib.sha256(pdf).hexdigest(),
        },
    )
