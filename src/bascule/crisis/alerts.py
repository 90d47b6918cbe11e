"""IDS alerts before the crisis cell: intake, folding, decisions, and the board's queries.

Alerts are folded by fingerprint, the SHA-256 of the canonical JSON of
``[source, signature, host, site]``: the same signature on the same machine is one line
on the board with a count, however often the sensor repeats it. Each batch journals one
``alert.received`` per fingerprint. A human decides (declare an incident, or dismiss);
an incident is declared without one only when the matching rule says ``auto_declare``
AND the rules file says ``allow_auto_declare: true``, and only for an alert the board
did not know before. A dismissed alert stays dismissed when it recurs; its count grows.
"""

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.alert_formats import ParsedBatch, SecurityEvent, parse
from bascule.crisis.alert_rules import AlertRule, AlertRules, Verdict
from bascule.crisis.file_tail import FileTail
from bascule.crisis.incidents import MAX_TITLE, declare_incident
from bascule.crisis.records import actor_name
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError, UnknownEntityError
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant, canonical_json
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import SecurityAlertRow, SiteRow

STATUS_BY_ACTION = {"propose": "proposed", "log": "logged"}
UNDECIDED = ("proposed", "logged")
DECISIONS = ("dismiss", "declare")
# The incident severity an alert suggests, by alert severity (1 high .. 3 low).
INCIDENT_SEVERITY = {1: "major", 2: "moderate", 3: "minor"}
_LOOKUP_CHUNK = 500


class AlertError(BasculeError):
    """An alert decision that cannot be carried out."""


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as the board shows it."""

    id: str
    source: str
    signature: str
    severity: int
    host: str | None
    site_id: str | None
    rule: str | None
    first_seen: datetime
    last_seen: datetime
    count: int
    status: str
    incident_id: str | None
    decided_by: str | None


@dataclass(frozen=True, slots=True)
class IntakeReport:
    """What a batch did to the board.

    ``folded`` counts the kept events that were added to an alert seen before, earlier in
    the batch or in an earlier one.
    """

    accepted: int = 0
    ignored: int = 0
    alerts: int = 0
    new: int = 0
    proposed: int = 0
    declared: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def folded(self) -> int:
        """Kept events that did not make a new alert."""
        return self.accepted - self.new


@dataclass
class _Folded:
    """The events of one fingerprint in a batch."""

    event: SecurityEvent
    verdict: Verdict
    first_seen: datetime
    last_seen: datetime
    count: int = 1


def fingerprint(source: str, signature: str, host: str | None, site_id: str | None) -> str:
    """The id of the alert an event folds into."""
    material = canonical_json([source, signature, host, site_id])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def suggested_title(signature: str, host: str | None, rule_title: str | None = None) -> str:
    """An incident title for an alert: the rule's title or the signature, and the host."""
    title = rule_title or signature
    if host:
        title = f"{title} — {host}"
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def _fold(
    events: Iterable[SecurityEvent], rules: AlertRules, known_sites: set[str]
) -> tuple[dict[str, _Folded], int, list[str]]:
    folded: dict[str, _Folded] = {}
    ignored = 0
    warnings: dict[str, None] = {}
    for event in events:
        verdict = rules.classify(event)
        if verdict.action == "ignore":
            ignored += 1
            continue
        if verdict.site_id is not None and verdict.site_id not in known_sites:
            warnings[
                f"{rules.source}: site {verdict.site_id!r} is not registered; "
                "its alerts are kept without a site"
            ] = None
            verdict = Verdict(verdict.rule, verdict.action, None, verdict.host, False)
        key = fingerprint(event.source, event.signature, verdict.host, verdict.site_id)
        group = folded.get(key)
        if group is None:
            folded[key] = _Folded(event, verdict, event.at, event.at)
        else:
            group.count += 1
            group.first_seen = min(group.first_seen, event.at)
            group.last_seen = max(group.last_seen, event.at)
    return folded, ignored, list(warnings)


def _known_ids(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        found.update(
            session.scalars(select(SecurityAlertRow.id).where(SecurityAlertRow.id.in_(chunk)))
        )
    return found


def _received(key: str, group: _Folded) -> Change:
    event, verdict = group.event, group.verdict
    payload = {
        "id": key,
        "source": event.source,
        "signature": event.signature,
        "severity": event.severity,
        "host": verdict.host,
        "site_id": verdict.site_id,
        "rule": None if verdict.rule is None else verdict.rule.id,
        "first_seen": canonical_instant(group.first_seen),
        "last_seen": canonical_instant(group.last_seen),
        "count": group.count,
        "sample": event.raw,
        "status": STATUS_BY_ACTION[verdict.action],
    }
    return Change(kinds.ALERT_RECEIVED, "security_alert", key, payload, site_id=verdict.site_id)


def intake(
    db: Database, events: Iterable[SecurityEvent], rules: AlertRules, *, actor: str
) -> IntakeReport:
    """Classify, fold and journal a batch of events; auto-declare where both switches say so."""
    with db.writing() as session:
        journal.lock(session)
        known_sites = set(session.scalars(select(SiteRow.id)))
        folded, ignored, warnings = _fold(events, rules, known_sites)
        known = _known_ids(session, list(folded))
        if folded:
            changes = [_received(key, group) for key, group in folded.items()]
            journal.append(session, changes, actor=actor, at=db.clock.now())
    new = {key: group for key, group in folded.items() if key not in known}
    proposed = [key for key, group in new.items() if group.verdict.action == "propose"]
    declared = []
    for key in proposed:
        group = new[key]
        if group.verdict.auto_declare and group.verdict.rule is not None:
            incident = _auto_declare(db, key, group, group.verdict.rule, warnings)
            if incident is not None:
                declared.append(incident)
    return IntakeReport(
        accepted=sum(group.count for group in folded.values()),
        ignored=ignored,
        alerts=len(folded),
        new=len(new),
        proposed=len(proposed),
        declared=tuple(declared),
        warnings=tuple(warnings),
    )


def _auto_declare(
    db: Database, key: str, group: _Folded, rule: AlertRule, warnings: list[str]
) -> str | None:
    """Declare the incident a rule asks for; a failure leaves the alert to the crisis cell."""
    site = group.verdict.site_id
    if site is None:
        warnings.append(f"alert {key[:12]}: no site known, left for the crisis cell to declare")
        return None
    automaton = f"alerts:{rule.id}"
    try:
        incident_id = declare_incident(
            db,
            automaton,
            title=suggested_title(group.event.signature, group.verdict.host, rule.title),
            severity=INCIDENT_SEVERITY[group.event.severity],
            sites=[site],
            systems=[],
            alert_id=key,
        )
    except BasculeError as exc:
        warnings.append(f"alert {key[:12]}: not declared automatically ({exc})")
        return None
    _record_decision(db, key, "declared", automaton, incident_id)
    return incident_id


def _require_alert(session: Session, alert_id: str) -> SecurityAlertRow:
    row = session.get(SecurityAlertRow, alert_id)
    if row is None:
        raise UnknownEntityError(f"no alert {alert_id!r}")
    return row


def _already_decided(row: SecurityAlertRow) -> AlertError:
    what = "declared as incident " + row.incident_id if row.incident_id else row.status
    return AlertError(f"alert {row.id[:12]} was already {what} by {row.decided_by}")


def _record_decision(
    db: Database, alert_id: str, status: str, by: str, incident_id: str | None
) -> None:
    with db.writing() as session:
        journal.lock(session)
        row = _require_alert(session, alert_id)
        if row.status not in UNDECIDED:
            raise _already_decided(row)
        now = db.clock.now()
        payload = {
            "id": alert_id,
            "status": status,
            "by": by,
            "at": canonical_instant(now),
            "incident_id": incident_id,
        }
        change = Change(
            kinds.ALERT_DECIDED, "security_alert", alert_id, payload, site_id=row.site_id
        )
        journal.append(session, [change], actor=by, at=now)


def decide(
    db: Database,
    actor: Actor,
    alert_id: str,
    decision: str,
    *,
    title: str | None = None,
    sites: list[str] | None = None,
    systems: list[str] | None = None,
    severity: str | None = None,
) -> str | None:
    """Dismiss an alert, or declare an incident from it (returning the incident's id).

    The declaration defaults to the alert's site, a title from its signature and host, and
    a severity from its own.
    """
    if decision not in DECISIONS:
        raise AlertError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    with db.reading() as session:
        row = _require_alert(session, alert_id)
        actor.check(Permission.DECIDE_ALERT, row.site_id)
        if row.status not in UNDECIDED:
            raise _already_decided(row)
        alert = _alert(row)
    by = actor_name(actor)
    if decision == "dismiss":
        _record_decision(db, alert_id, "dismissed", by, None)
        return None
    incident_id = declare_incident(
        db,
        actor,
        title=title or suggested_title(alert.signature, alert.host),
        severity=severity or INCIDENT_SEVERITY.get(alert.severity, "minor"),
        sites=sites if sites is not None else [s for s in [alert.site_id] if s is not None],
        systems=systems or [],
        alert_id=alert_id,
    )
    try:
        _record_decision(db, alert_id, "declared", by, incident_id)
    except AlertError as exc:
        raise AlertError(f"{exc}; incident {incident_id} was declared all the same") from exc
    return incident_id


def _alert(row: SecurityAlertRow) -> Alert:
    return Alert(
        id=row.id,
        source=row.source,
        signature=row.signature,
        severity=row.severity,
        host=row.host,
        site_id=row.site_id,
        rule=row.rule,
        first_seen=as_utc(row.first_seen),
        last_seen=as_utc(row.last_seen),
        count=row.count,
        status=row.status,
        incident_id=row.incident_id,
        decided_by=row.decided_by,
    )


def pending_alerts(db: Database) -> list[Alert]:
    """Alerts awaiting the crisis cell's decision, most severe then most recent first."""
    query = (
        select(SecurityAlertRow)
        .where(SecurityAlertRow.status == "proposed")
        .order_by(SecurityAlertRow.severity, SecurityAlertRow.last_seen.desc(), SecurityAlertRow.id)
    )
    with db.reading() as session:
        return [_alert(row) for row in session.scalars(query)]


def recent_alerts(db: Database, limit: int = 50) -> list[Alert]:
    """The ``limit`` alerts seen most recently, whatever their status."""
    query = (
        select(SecurityAlertRow)
        .order_by(SecurityAlertRow.last_seen.desc(), SecurityAlertRow.id)
        .limit(limit)
    )
    with db.reading() as session:
        return [_alert(row) for row in session.scalars(query)]


def get_alert(db: Database, alert_id: str) -> Alert:
    """One alert, or UnknownEntityError."""
    with db.reading() as session:
        return _alert(_require_alert(session, alert_id))


@dataclass(frozen=True, slots=True)
class FollowedBatch:
    """One poll of a followed file: what was parsed and what the intake did."""

    parsed: ParsedBatch
    report: IntakeReport
    restarted: bool = False


def follow_once(
    db: Database, tail: FileTail, source: str, rules: AlertRules, *, actor: str
) -> FollowedBatch | None:
    """Take in the lines appended since the last call; None when there were none."""
    lines = tail.read()
    if not lines.data:
        return None
    parsed = parse(source, lines.data, first_line=lines.first_line)
    report = intake(db, parsed.events, rules, actor=actor) if parsed.events else IntakeReport()
    return FollowedBatch(parsed, report, lines.restarted)


def follow(
    db: Database,
    path: Path,
    rules: AlertRules,
    *,
    actor: str,
    source: str = "suricata",
    poll_seconds: float = 1.0,
    stop: threading.Event | None = None,
    from_start: bool = False,
    on_batch: Callable[[FollowedBatch], None] | None = None,
) -> None:
    """Take in what a sensor appends to ``path`` (one event per line), until ``stop`` is set.

    Without ``from_start``, what the file already holds is left to ``ingest``: following
    again after a restart would otherwise count those events twice.
    """
    stop = stop or threading.Event()
    tail = FileTail(path, from_start=from_start)
    try:
        while not stop.is_set():
            batch = follow_once(db, tail, source, rules, actor=actor)
            if batch is not None and on_batch is not None:
                on_batch(batch)
            stop.wait(poll_seconds)
    finally:
        tail.close()
