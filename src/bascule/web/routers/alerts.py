"""IDS alerts: the sensors' intake API and the crisis cell's alerts page.

Sensors post with the server's alert token (``BASCULE_ALERT_TOKEN``) as a bearer token;
without one configured the intake answers 503, so it is never open by mistake. Lines
that cannot be read are answered with their line numbers and never reach the board.
"""

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bascule.crisis.alert_formats import ParsedBatch, parse
from bascule.crisis.alert_rules import AlertRules
from bascule.crisis.alerts import (
    INCIDENT_SEVERITY,
    UNDECIDED,
    decide,
    intake,
    pending_alerts,
    recent_alerts,
    suggested_title,
)
from bascule.crisis.incidents import SEVERITIES, SYSTEMS
from bascule.crisis.roles import Actor, Permission
from bascule.store import journal
from bascule.store.tables import SiteRow
from bascule.web.auth import SignedIn, require
from bascule.web.context import database, render, translator

router = APIRouter()

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 100
RECENT = 50
NOT_CONFIGURED = "alert intake is not configured (set BASCULE_ALERT_TOKEN)"


def _check_token(request: Request) -> None:
    expected = getattr(request.app.state, "alert_token", None)
    if not expected:
        raise HTTPException(503, NOT_CONFIGURED)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    given = token.strip().encode("utf-8", "replace")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected.encode("utf-8")):
        raise HTTPException(401, "missing or wrong alert token", {"WWW-Authenticate": "Bearer"})


async def _body(request: Request) -> bytes:
    """The request body, refused with 413 beyond MAX_BODY_BYTES (before reading it all)."""
    too_large = HTTPException(413, f"body larger than {MAX_BODY_BYTES} bytes: send smaller batches")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise too_large
    return bytes(received)


def _rules(request: Request) -> AlertRules:
    rules: AlertRules = request.app.state.alert_rules
    return rules


def _errors(parsed: ParsedBatch) -> list[dict[str, Any]]:
    return [{"line": e.line, "message": e.problem} for e in parsed.errors[:MAX_ERRORS_SHOWN]]


async def _take_in(request: Request, source: str) -> JSONResponse:
    _check_token(request)
    parsed = parse(source, await _body(request))
    if not parsed.events and not parsed.skipped:
        detail = (
            "the body holds no event"
            if not parsed.errors
            else f"no event could be read: {len(parsed.errors)} rejected"
        )
        body = {
            "status": "error",
            "detail": detail,
            "errors": _errors(parsed),
            "errors_total": len(parsed.errors),
        }
        return JSONResponse(body, status_code=400)
    report = await run_in_threadpool(
        intake, database(request), parsed.events, _rules(request), actor=f"sensor:{source}"
    )
    return JSONResponse(
        {
            "status": "ok",
            "accepted": report.accepted,
            "folded": report.folded,
            "ignored": report.ignored,
            "skipped": parsed.skipped,
            "new": report.new,
            "proposed": report.proposed,
            "declared": list(report.declared),
            "errors": _errors(parsed),
            "errors_total": len(parsed.errors),
            "warnings": list(report.warnings),
        }
    )


@router.post("/api/alerts/suricata")
async def suricata_alerts(request: Request) -> JSONResponse:
    """Take in Suricata EVE JSON lines (non-alert events are counted as skipped)."""
    return await _take_in(request, "suricata")


@router.post("/api/alerts/wazuh")
async def wazuh_alerts(request: Request) -> JSONResponse:
    """Take in Wazuh alerts: one JSON object, an array, or JSON lines."""
    return await _take_in(request, "wazuh")


@router.get("/alerts")
def alerts_page(
    request: Request, actor: Annotated[Actor, Depends(require(Permission.READ))]
) -> Response:
    """Alerts awaiting a decision first, then the most recent ones."""
    db = database(request)
    pending = pending_alerts(db)
    recent = [alert for alert in recent_alerts(db, RECENT) if alert.status != "proposed"]
    with db.reading() as session:
        seq, _ = journal.head(session)
        sites = [(row.id, row.name) for row in session.execute(select(SiteRow.id, SiteRow.name))]
    titles = {alert.id: suggested_title(alert.signature, alert.host) for alert in pending + recent}
    context = {
        "pending": pending,
        "recent": recent,
        "may_decide": actor.may(Permission.DECIDE_ALERT),
        "undecided": UNDECIDED,
        "titles": titles,
        "sites": sorted(sites),
        "systems": SYSTEMS,
        "severities": SEVERITIES,
        "incident_severity": INCIDENT_SEVERITY,
    }
    return render(request, "alerts.html", context, journal_seq=seq)


@router.post("/alerts/{alert_id}/declare")
def declare_from_alert(
    request: Request,
    alert_id: str,
    *,
    actor: SignedIn,
    title: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    sites: Annotated[list[str] | None, Form()] = None,
    systems: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Declare an incident from an alert, then show the incident."""
    incident_id = decide(
        database(request),
        actor,
        alert_id,
        "declare",
        title=title.strip() or None,
        severity=severity or None,
        sites=sites or [],
        systems=systems or [],
    )
    return RedirectResponse(translator(request).link(f"/incidents/{incident_id}"), 303)


@router.post("/alerts/{alert_id}/dismiss")
def dismiss_alert(request: Request, alert_id: str, *, actor: SignedIn) -> Response:
    """Dismiss an alert: no incident, the board keeps counting it."""
    decide(database(request), actor, alert_id, "dismiss")
    return RedirectResponse(translator(request).link("/alerts"), 303)
