"""The main courante: the crisis logbook, append-only, kept as legal evidence.

Nothing in it is ever edited: a correction is a new entry that names the entry it
corrects, and the pages show both.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.incidents import require_incident
from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant, canonical_json
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.queries import require_site
from bascule.store.tables import LogbookEntryRow

CATEGORIES = ("event", "decision", "action", "communication", "inject")
MAX_TEXT = 4000


class LogbookError(BasculeError):
    """A logbook entry that cannot be written, with the field at fault."""


@dataclass(frozen=True, slots=True)
class LogbookEntry:
    """One entry of the main courante."""

    id: str
    number: int
    incident_id: str | None
    site_id: str | None
    at: datetime
    author: str
    category: str
    text: str
    corrects: str | None


def write_entry(
    db: Database,
    actor: Actor | str,
    *,
    text: str,
    category: str,
    incident_id: str | None = None,
    site_id: str | None = None,
    corrects: str | None = None,
) -> LogbookEntry:
    """Add an entry, numbered after the last one; a correction names the entry it corrects."""
    check(actor, Permission.WRITE_LOGBOOK, site_id)
    text = text.strip()
    if not text:
        raise LogbookError("field 'text': an entry needs text")
    if len(text) > MAX_TEXT:
        raise LogbookError(f"field 'text': at most {MAX_TEXT} characters")
    if category not in CATEGORIES:
        raise LogbookError(f"field 'category': {category!r} is not one of {', '.join(CATEGORIES)}")
    with db.writing() as session:
        if site_id is not None:
            require_site(session, site_id)
        if incident_id is not None:
            require_incident(session, incident_id)
        if corrects is not None:
            corrected = session.get(LogbookEntryRow, corrects)
            if corrected is None:
                raise LogbookError(f"field 'corrects': no logbook entry {corrects!r}")
            if corrected.incident_id != incident_id:
                raise LogbookError(
                    "field 'corrects': the corrected entry belongs to another incident"
                )
        # Numbers must be gap-free and unique across writers: take the journal lock first.
        journal.lock(session)
        number = int(session.scalar(select(func.max(LogbookEntryRow.number))) or 0) + 1
        now = db.clock.now()
        entry = LogbookEntry(
            id=uuid.uuid4().hex[:16],
            number=number,
            incident_id=incident_id,
            site_id=site_id,
            at=now,
            author=actor_name(actor),
            category=category,
            text=text,
            corrects=corrects,
        )
        payload = {
            "id": entry.id,
            "number": number,
            "incident_id": incident_id,
            "site_id": site_id,
            "at": canonical_instant(now),
            "author": entry.author,
            "category": category,
            "text": text,
            "corrects": corrects,
        }
        change = Change(kinds.LOGBOOK_WRITTEN, "logbook", entry.id, payload, site_id=site_id)
        journal.append(session, [change], actor=entry.author, at=now)
    return entry


def entry_id(session: Session, number: int) -> str:
    """The id of the entry with this number, or an error naming the number."""
    found = session.scalar(select(LogbookEntryRow.id).where(LogbookEntryRow.number == number))
    if found is None:
        raise LogbookError(f"field 'corrects': no logbook entry no. {number}")
    return found


def entries(session: Session, incident_id: str | None = None) -> list[LogbookEntry]:
    """Entries in order of writing (of one incident when given)."""
    query = select(LogbookEntryRow).order_by(LogbookEntryRow.number)
    if incident_id is not None:
        query = query.where(LogbookEntryRow.incident_id == incident_id)
    return [
        LogbookEntry(
            row.id,
            row.number,
            row.incident_id,
            row.site_id,
            as_utc(row.at),
            row.author,
            row.category,
            row.text,
            row.corrects,
        )
        for row in session.scalars(query)
    ]


def content_digest(items: list[LogbookEntry]) -> str:
    """SHA-256 of the entries' canonical JSON, printed on an export and recomputable."""
    material = canonical_json(
        [
            [
                e.number,
                e.id,
                e.incident_id,
                e.site_id,
                canonical_instant(e.at),
                e.author,
                e.category,
                e.text,
                e.corrects,
            ]
            for e in items
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
