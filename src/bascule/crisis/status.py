"""The status board: each site and each of its systems, normal, degraded or down.

A status is a claim someone made at a time; it must be confirmed within its period or the
board shows it overdue, because a "normal" nobody has looked at for six hours is not
information.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.incidents import SYSTEMS, open_incidents_of_site
from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError
from bascule.ingest.monitor import FeedRules, FeedStatus, feed_statuses
from bascule.kit.agent_store import SiteFreshness, site_freshness
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.queries import require_site
from bascule.store.tables import SiteRow, StatusTransitionRow, SystemStatusRow

STATES = ("normal", "degraded", "down")
SITE = "site"
BOARD_SYSTEMS = (SITE, *SYSTEMS)
# How long a status stays credible without confirmation: a failure moves fast.
DEFAULT_CONFIRM_MINUTES = {"normal": 240, "degraded": 60, "down": 60}
MAX_NOTE = 2000


class StatusError(BasculeError):
    """A status report that cannot be recorded, with the field at fault."""


@dataclass(frozen=True, slots=True)
class StatusCell:
    """One site's or system's current status."""

    site_id: str
    system: str
    state: str
    since: datetime
    confirmed_at: datetime
    confirmed_by: str
    confirm_minutes: int
    capacity: float | None
    note: str

    def due_at(self) -> datetime:
        """When the status must be confirmed again."""
        return self.confirmed_at + timedelta(minutes=self.confirm_minutes)

    def overdue(self, now: datetime) -> bool:
        """Whether nobody confirmed the status within its period."""
        return now > self.due_at()


@dataclass(frozen=True, slots=True)
class SiteRowOfBoard:
    """One line of the board: a site, its systems, its kits and its feeds."""

    site_id: str
    name: str
    cells: dict[str, StatusCell | None]
    kits: SiteFreshness | None
    feeds: tuple[FeedStatus, ...]

    @property
    def site(self) -> StatusCell | None:
        """The status of the site as a whole."""
        return self.cells[SITE]


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of state in the board's history."""

    site_id: str
    system: str
    from_state: str | None
    to_state: str
    capacity: float | None
    at: datetime
    by: str
    note: str


def report_status(
    db: Database,
    actor: Actor | str,
    *,
    site_id: str,
    system: str,
    state: str,
    capacity: float | None = None,
    note: str = "",
    confirm_minutes: int | None = None,
) -> None:
    """Record the state of a site or system; the same state again confirms it."""
    check(actor, Permission.REPORT_STATUS, site_id)
    if system not in BOARD_SYSTEMS:
        raise StatusError(f"field 'system': {system!r} is not one of {', '.join(BOARD_SYSTEMS)}")
    if state not in STATES:
        raise StatusError(f"field 'state': {state!r} is not one of {', '.join(STATES)}")
    if capacity is not None and system != SITE:
        raise StatusError("field 'capacity': only a site as a whole has a capacity factor")
    if capacity is not None and not 0.0 <= capacity <= 1.0:
        raise StatusError("field 'capacity': a capacity factor lies between 0 and 1 (0 % to 100 %)")
    if len(note) > MAX_NOTE:
        raise StatusError(f"field 'note': at most {MAX_NOTE} characters")
    minutes = DEFAULT_CONFIRM_MINUTES[state] if confirm_minutes is None else confirm_minutes
    if not 5 <= minutes <= 24 * 60:
        raise StatusError("field 'confirm_minutes': between 5 minutes and 24 hours")
    with db.writing() as session:
        require_site(session, site_id)
        now = db.clock.now()
        payload = {
            "site_id": site_id,
            "system": system,
            "state": state,
            "capacity": capacity,
            "note": note.strip(),
            "at": canonical_instant(now),
            "by": actor_name(actor),
            "confirm_minutes": minutes,
            "incident_ids": open_incidents_of_site(session, site_id),
        }
        change = Change(
            kinds.STATUS_REPORTED, "status", f"{site_id}/{system}", payload, site_id=site_id
        )
        journal.append(session, [change], actor=actor_name(actor), at=now)


def _cell(row: SystemStatusRow) -> StatusCell:
    return StatusCell(
        site_id=row.site_id,
        system=row.system,
        state=row.state,
        since=as_utc(row.since),
        confirmed_at=as_utc(row.confirmed_at),
        confirmed_by=row.confirmed_by,
        confirm_minutes=row.confirm_minutes,
        capacity=row.capacity,
        note=row.note,
    )


def board(session: Session, feed_rules: FeedRules) -> list[SiteRowOfBoard]:
    """Every site with the status of each system, its kits' freshness and its feeds."""
    cells: dict[tuple[str, str], StatusCell] = {
        (row.site_id, row.system): _cell(row) for row in session.scalars(select(SystemStatusRow))
    }
    kits = {fresh.site_id: fresh for fresh in site_freshness(session)}
    feeds: dict[str, list[FeedStatus]] = {}
    for feed in feed_statuses(session, feed_rules):
        feeds.setdefault(feed.site_id, []).append(feed)
    return [
        SiteRowOfBoard(
            site_id=site.id,
            name=site.name,
            cells={system: cells.get((site.id, system)) for system in BOARD_SYSTEMS},
            kits=kits.get(site.id),
            feeds=tuple(feeds.get(site.id, ())),
        )
        for site in session.scalars(select(SiteRow).order_by(SiteRow.id))
    ]


def history(session: Session, site_id: str | None = None, *, limit: int = 200) -> list[Transition]:
    """The latest changes of state, newest first (of one site when given)."""
    query = select(StatusTransitionRow).order_by(StatusTransitionRow.id.desc()).limit(limit)
    if site_id is not None:
        query = query.where(StatusTransitionRow.site_id == site_id)
    return [
        Transition(
            row.site_id,
            row.system,
            row.from_state,
            row.to_state,
            row.capacity,
            as_utc(row.at),
            row.by,
            row.note,
        )
        for row in session.scalars(query)
    ]
