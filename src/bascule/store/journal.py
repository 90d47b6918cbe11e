"""The journal: append-only, hash-chained record of every change, and its verification.

Each entry's hash is SHA-256 over the canonical JSON of
``[seq, recorded_at, actor, site_id, kind, entity_type, entity_id, payload, prev_hash]``
where ``payload`` is the stored canonical JSON text and ``prev_hash`` the previous entry's
hash (64 zeros for the first). A single head row names the last entry; writers lock it,
which serialises appends across processes on SQLite (BEGIN IMMEDIATE) and PostgreSQL
(SELECT ... FOR UPDATE).
"""

import hashlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

# Imported for their side effect: they register the crisis cell's and recovery's projectors.
import bascule.store.projections_crisis
import bascule.store.projections_recovery  # noqa: F401
from bascule.errors import JournalIntegrityError
from bascule.store.canonical import canonical_instant, canonical_json
from bascule.store.kinds import (
    CASE_BOOKED,
    CASE_STATUS_CHANGED,
    CASE_UPDATED,
    INGEST_MESSAGE_LOGGED,
    PATIENT_REGISTERED,
    PATIENT_UPDATED,
    SITE_REGISTERED,
    STAY_ADMISSION_CANCELLED,
    STAY_ADMITTED,
    STAY_DISCHARGE_CANCELLED,
    STAY_DISCHARGED,
    STAY_TRANSFERRED,
    WARD_REGISTERED,
)
from bascule.store.projections import PROJECTORS
from bascule.store.queries import unknown_site
from bascule.store.tables import JournalEntryRow, JournalHeadRow, SiteRow, table_of

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class Change:
    """One change to record: what kind, about which entity, with which data."""

    kind: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    site_id: str | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A stored journal entry."""

    seq: int
    recorded_at: datetime
    actor: str
    site_id: str | None
    kind: str
    entity_type: str
    entity_id: str
    payload: str
    prev_hash: str
    hash: str


def entry_hash(entry: JournalEntry) -> str:
    """The SHA-256 hash that chains ``entry`` to its predecessor (its own hash ignored)."""
    return _digest(
        [
            entry.seq,
            canonical_instant(entry.recorded_at),
            entry.actor,
            entry.site_id,
            entry.kind,
            entry.entity_type,
            entry.entity_id,
            entry.payload,
            entry.prev_hash,
        ]
    )


def _digest(material: list[Any]) -> str:
    # The fields in entry_hash's order, the instant already canonical: the entries of one
    # append share it, formatted once.
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


# Core statements on the head row, built once: no ORM object can then go stale, and an
# append does not pay for building them.
_HEAD = table_of(JournalHeadRow)
_LOCK_HEAD = (
    select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == HEAD_ID).with_for_update()
)
_READ_HEAD = select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == HEAD_ID)
# Moves the head only from where the append started: an append computed on a head that
# has moved since changes nothing and is refused.
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID, _HEAD.c.last_seq == bindparam("previous"))
    .values(last_seq=bindparam("seq"), last_hash=bindparam("digest"))
)
_KNOWN_SITES = select(SiteRow.id).where(SiteRow.id.in_(bindparam("sites", expanding=True)))
_INSERT_ENTRIES = insert(table_of(JournalEntryRow))


def _lock_head(session: Session) -> tuple[int, str]:
    head = session.connection().execute(_LOCK_HEAD).one_or_none()
    if head is None:
        raise JournalIntegrityError(
            "the journal head row is missing: the database was not created by "
            "'bascule db upgrade' or the row was deleted"
        )
    return int(head.last_seq), str(head.last_hash)


def lock(session: Session) -> tuple[int, str]:
    """Take the journal's write lock now, before reading what the next append depends on.

    :func:`append` takes it anyway; a writer that first reads, say, the highest identifier
    handed out so far must hold it from before that read, or two writers could both see
    the same value. Returns the sequence number and hash of the last entry, which tell a
    writer whether anything was journaled since it last looked.
    """
    return _lock_head(session)


def _check_sites(session: Session, changes: Sequence[Change], known_sites: Collection[str]) -> None:
    wanted = {change.site_id for change in changes if change.site_id is not None}
    created = {change.entity_id for change in changes if change.kind == SITE_REGISTERED}
    missing = wanted - created - set(known_sites)
    if not missing:
        return
    known = set(session.connection().scalars(_KNOWN_SITES, {"sites": list(missing)}))
    unknown = sorted(missing - known)
    if unknown:
        raise unknown_site(session, unknown[0])


def append(
    session: Session,
    changes: Sequence[Change],
    *,
    actor: str,
    at: datetime,
    project_by_kind: bool = False,
    known_sites: Collection[str] = (),
    head: tuple[int, str] | None = None,
) -> list[int]:
    """Append ``changes`` to the journal and apply them to the projections.

    This is the only way bascule writes data. It must run inside a write transaction
    (``Database.writing``); nothing is visible until that transaction commits, and
    nothing is written if any change is refused.

    ``project_by_kind`` lets a large mixed batch (many HL7 messages at once) reach the
    tables in one bulk write per kind instead of one per run of consecutive changes of a
    kind; the journal keeps its order either way, and the tables end the same (see
    :func:`_projection_order`).

    ``known_sites`` are sites the caller read from the store in this same transaction:
    changes naming only those need no query to check that their site exists (sites are
    never deleted). ``head`` is what :func:`lock` returned in this same transaction, when
    nothing was appended since: it spares reading the head again (an append on a head that
    has moved is refused with :class:`JournalIntegrityError`).
    """
    if not changes:
        return []
    if not actor.strip():
        raise ValueError("a journal entry needs an actor")
    for change in changes:
        if change.kind not in PROJECTORS:
            raise ValueError(f"no projector for journal kind {change.kind!r}")
    _check_sites(session, changes, known_sites)
    seq, prev_hash = _lock_head(session) if head is None else head
    start = seq
    instant = canonical_instant(at)
    rows: list[dict[str, Any]] = []
    for change in changes:
        seq += 1
        payload = canonical_json(change.payload)
        digest = _digest(
            [
                seq,
                instant,
                actor,
                change.site_id,
                change.kind,
                change.entity_type,
                change.entity_id,
                payload,
                prev_hash,
            ]
        )
        rows.append(
            {
                "seq": seq,
                "recorded_at": at,
                "actor": actor,
                "site_id": change.site_id,
                "kind": change.kind,
                "entity_type": change.entity_type,
                "entity_id": change.entity_id,
                "payload": payload,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    # The head first: a stale one is refused before its entries collide with others.
    moved = session.connection().execute(
        _MOVE_HEAD, {"previous": start, "seq": seq, "digest": prev_hash}
    )
    if moved.rowcount != 1:
        raise JournalIntegrityError(
            f"the journal head moved from entry {start} while entries were appended after it"
        )
    # Core insert: the ORM bulk path costs several times more per row.
    session.connection().execute(_INSERT_ENTRIES, rows)
    _project(session, _projection_order(changes) if project_by_kind else changes)
    session.flush()
    return [row["seq"] for row in rows]


# Kinds whose changes may be projected out of journal order, grouped by kind in this
# order: what others refer to (a ward, a patient) comes before what refers to it.
_PROJECTION_RANK = {
    kind: rank
    for rank, kind in enumerate(
        (
            WARD_REGISTERED,
            PATIENT_REGISTERED,
            PATIENT_UPDATED,
            STAY_ADMITTED,
            STAY_TRANSFERRED,
            STAY_DISCHARGED,
            STAY_DISCHARGE_CANCELLED,
            STAY_ADMISSION_CANCELLED,
            CASE_BOOKED,
            CASE_UPDATED,
            CASE_STATUS_CHANGED,
            INGEST_MESSAGE_LOGGED,
        )
    )
}


def _projection_order(changes: Sequence[Change]) -> Sequence[Change]:
    """``changes`` grouped by kind when that cannot change what the tables end with.

    That holds when every change is of a ranked kind and no entity is changed twice:
    changes of different entities then commute, except that a row must exist before
    another refers to it, which the ranking sees to. Otherwise the journal order stands.
    """
    entities = {(change.entity_type, change.entity_id) for change in changes}
    if len(entities) < len(changes) or any(c.kind not in _PROJECTION_RANK for c in changes):
        return changes
    return sorted(changes, key=lambda change: _PROJECTION_RANK[change.kind])


def _project(session: Session, changes: Sequence[Change]) -> None:
    """Apply consecutive changes of the same kind together, in journal order."""
    start = 0
    while start < len(changes):
        kind = changes[start].kind
        end = start
        while end < len(changes) and changes[end].kind == kind:
            end += 1
        PROJECTORS[kind](session, [change.payload for change in changes[start:end]])
        start = end


_COLUMNS = (
    JournalEntryRow.seq,
    JournalEntryRow.recorded_at,
    JournalEntryRow.actor,
    JournalEntryRow.site_id,
    JournalEntryRow.kind,
    JournalEntryRow.entity_type,
    JournalEntryRow.entity_id,
    JournalEntryRow.payload,
    JournalEntryRow.prev_hash,
    JournalEntryRow.hash,
)


def _to_entry(row: Sequence[Any]) -> JournalEntry:
    seq, recorded_at, actor, site_id, kind, entity_type, entity_id, payload, prev, digest = row
    # SQLite hands back naive datetimes; every stored instant is UTC.
    if recorded_at.tzinfo is None:
        recorded_at = recorded_at.replace(tzinfo=UTC)
    return JournalEntry(
        seq, recorded_at, actor, site_id, kind, entity_type, entity_id, payload, prev, digest
    )


def tail(
    session: Session, count: int = 20, site_id: str | None = None, actor: str | None = None
) -> list[JournalEntry]:
    """The latest ``count`` entries, oldest first, optionally for one site or one actor."""
    query = select(*_COLUMNS).order_by(JournalEntryRow.seq.desc()).limit(count)
    if site_id is not None:
        query = query.where(JournalEntryRow.site_id == site_id)
    if actor is not None:
        query = query.where(JournalEntryRow.actor == actor)
    return [_to_entry(row) for row in reversed(list(session.execute(query)))]


def entries_after(session: Session, seq: int, batch: int = 5000) -> Iterator[JournalEntry]:
    """Every entry with a sequence number above ``seq``, in order, read in batches."""
    last = seq
    while True:
        rows = list(
            session.execute(
                select(*_COLUMNS)
                .where(JournalEntryRow.seq > last)
                .order_by(JournalEntryRow.seq)
                .limit(batch)
            )
        )
        for row in rows:
            yield _to_entry(row)
        if len(rows) < batch:
            return
        last = rows[-1].seq


def head(session: Session) -> tuple[int, str]:
    """Sequence number and hash of the last entry (0 and the genesis hash when empty)."""
    row = session.connection().execute(_READ_HEAD).one_or_none()
    return (0, GENESIS_HASH) if row is None else (int(row.last_seq), str(row.last_hash))


@dataclass(slots=True)
class VerifyReport:
    """Outcome of walking the chain."""

    entries: int = 0
    last_seq: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def verify(session: Session, batch: int = 5000) -> VerifyReport:
    """Walk the whole chain and report the first entry that breaks it.

    A modified entry no longer matches its own hash; a deleted entry leaves a gap in the
    sequence numbers (or a head that names a later entry); an inserted or reordered entry
    does not carry its predecessor's hash.
    """
    report = VerifyReport()
    expected_seq, prev_hash = 1, GENESIS_HASH
    for entry in entries_after(session, 0, batch):
        problem = _check_entry(entry, expected_seq, prev_hash)
        if problem is not None:
            report.problems.append(problem)
            return report
        report.entries += 1
        report.last_seq = entry.seq
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    head_seq, head_hash = head(session)
    if head_seq != report.last_seq:
        if head_seq > report.last_seq:
            report.problems.append(
                f"entries {report.last_seq + 1}..{head_seq} are missing: the journal ends at "
                f"{report.last_seq} but its head names entry {head_seq} (deleted)"
            )
        else:
            report.problems.append(
                f"entry {head_seq + 1} onwards were added outside the journal: its head names "
                f"entry {head_seq} but entries run to {report.last_seq} (inserted)"
            )
    elif head_hash != prev_hash:
        report.problems.append(
            f"entry {head_seq} does not match the journal head's hash (modified or replaced)"
        )
    return report


def _check_entry(entry: JournalEntry, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        if expected_seq == entry.seq - 1:
            return (
                f"entry {expected_seq} is missing (deleted): "
                f"entry {entry.seq} follows entry {expected_seq - 1}"
            )
        return f"entries {expected_seq}..{entry.seq - 1} are missing (deleted)"
    if entry.prev_hash != prev_hash:
        return (
            f"entry {entry.seq} does not follow entry {entry.seq - 1}: its previous-hash "
            "differs (inserted, replaced or reordered)"
        )
    if entry_hash(entry) != entry.hash:
        return (
            f"entry {entry.seq} was modified: its content no longer matches its hash "
            f"({entry.kind} {entry.entity_type} {entry.entity_id})"
        )
    return None


def count(session: Session) -> int:
    """Number of stored entries."""
    return int(session.scalar(select(func.count()).select_from(JournalEntryRow)) or 0)
