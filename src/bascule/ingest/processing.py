"""The durable core of HL7 v2 intake: frames in, acknowledgements out, nothing lost.

A batch of frames (from any number of connections) is applied in one write transaction
(group commit), and its ACKs are returned only once that transaction has committed: an
ACK therefore always means "written". If the commit fails, :meth:`Processor.process_batch`
raises and the caller sends no ACK, so senders resend.

Frames are decoded, split and parsed before the write lock is taken. Inside it, the whole
batch is mapped against one in-memory overlay of the rows it refers to (read with one
query per table, changed as each message is mapped, so that a message sees what the
earlier ones of the batch did; see :mod:`bascule.ingest.hl7_overlay`) and appended to the
journal at once: one extension of the hash chain, bulk writes to the projections. A
message refused by parsing or mapping is logged with its raw text for review and
answered ``AE``/``AR``; the rest of the batch goes on.

When the overlay cannot vouch for an answer, a mapping breaks, or the store refuses the
batch's writes, that transaction is rolled back whole and the batch applied again in a new
one, message by message, each inside its own savepoint and against the store itself: a
message that breaks for any other reason then rolls back alone and is answered ``AE``
207, and the others land. Both ways write the same journal.

A message is identified by its source (MSH-3.1 "/" MSH-4.1, unless the processor is given
one) and its control id (MSH-10). A repeated message gets the ACK stored the first time,
byte for byte, and writes nothing. A message without a usable control id (none, or too long
to store) is keyed by the SHA-256 of its text instead, and so is one whose control
id was already used by the same source for a message of another type: real senders do
reuse ids, and such a message must be neither dropped as a repeat nor refused.

Batches (a frame starting with FHS or BHS): each message is applied and acknowledged on
its own, and the frame is answered with a batch of those ACKs (BHS, ACKs, BTS), as HL7's
batch protocol does. A frame holding several messages without batch header is answered
with their ACKs one after the other in one frame.
"""

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from bascule.clock import Clock
from bascule.ingest import ack
from bascule.ingest.ack import AckError, Header
from bascule.ingest.hl7_mapping import Mapped, map_message
from bascule.ingest.hl7_message import (
    Hl7Error,
    ParsedMessage,
    decode,
    parse_message,
    split_messages,
)
from bascule.ingest.hl7_overlay import BatchReads, OverlayUnsureError, Reference, ReferenceCache
from bascule.store import journal
from bascule.store.changes import ingest_message_logged
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.queries import unknown_site
from bascule.store.tables import IngestMessageRow, SiteRow

logger = logging.getLogger("bascule.ingest")

UNKNOWN_SOURCE = "unknown"
# Column widths (PostgreSQL refuses longer values): the journal names a logged message
# "source/control id" in 80 characters, so a source keeps 40 and a control id that does
# not fit beside it gives way to the content key (39 characters).
_ENTITY_WIDTH = 80
_SOURCE_WIDTH = 40
_TYPE_WIDTH = 20
# Errors that say the database itself is failing: they end the batch unacknowledged
# instead of being blamed on one message (an AE would tell the sender not to resend).
_INFRASTRUCTURE = (OperationalError, InterfaceError)
_INTERNAL_ERROR = "internal error while applying the message; kept for review"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message is not applied: ``AE`` or ``AR`` and the ERR details."""

    status: str
    error: AckError

    @classmethod
    def from_error(cls, exc: Hl7Error) -> "Refusal":
        """The refusal an :class:`Hl7Error` asks for."""
        error = AckError(exc.error_code, str(exc), exc.segment, exc.sequence, exc.field)
        return cls(exc.ack_code, error)

    def describe(self) -> str:
        """One line for the message log: status, code, location and text."""
        where = f" {self.error.location}" if self.error.location else ""
        return f"{self.status} {self.error.code}{where}: {self.error.text}"


@dataclass(frozen=True, slots=True)
class _Item:
    """One message of a frame, ready to apply: parsed, unless refused already."""

    text: str
    header: Header | None
    source: str
    key: str
    refusal: Refusal | None
    parsed: ParsedMessage | None = None

    @property
    def identity(self) -> tuple[str, str]:
        return (self.source, self.key)

    @property
    def message_type(self) -> str:
        return self.header.type_code[:_TYPE_WIDTH] if self.header else ""


@dataclass(frozen=True, slots=True)
class _Answer:
    """What a message was answered: kept to answer a repeat identically."""

    message_type: str
    ack: str


@dataclass(frozen=True, slots=True)
class _Frame:
    """A received frame: its messages, whether it was an HL7 batch, how to encode replies."""

    items: list[_Item]
    is_batch: bool
    codec: str

    def reply(self, acks: list[str], at: datetime) -> bytes:
        header = self.items[0].header if self.items else None
        text = ack.batch(acks, at=at, header=header) if self.is_batch else "".join(acks)
        return ack.encode(text, self.codec)


def storable(text: str) -> str:
    """``text`` as both databases accept it: NUL and lone surrogates become escapes.

    Neither is ever valid HL7, and PostgreSQL refuses NUL in text columns; escaping keeps
    what was received readable for review.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


class Processor:
    """Applies received frames to the store through the journal and builds their ACKs."""

    def __init__(
        self, db: Database, *, site_id: str, source: str | None = None, actor: str = "mllp"
    ) -> None:
        with db.reading() as session:
            if session.get(SiteRow, site_id) is None:
                raise unknown_site(session, site_id)
        self._db = db
        self.site_id = site_id
        self._source = source[:_SOURCE_WIDTH] if source else None
        self._actor = actor
        self._reference = ReferenceCache()

    @property
    def clock(self) -> Clock:
        """The database's clock, which stamps receptions and ACKs."""
        return self._db.clock

    def process_batch(self, frames: list[bytes], received_at: datetime) -> list[bytes]:
        """Apply ``frames`` in one transaction; one ACK per frame, in order, once committed.

        Raises when the transaction cannot commit: then nothing was written and no ACK
        may be sent.
        """
        return self._commit([self._prepare(frame) for frame in frames], received_at)

    def refuse(self, head: bytes, reason: str, received_at: datetime) -> bytes:
        """Log and answer ``AR`` for a message refused before it was read whole.

        ``head`` is what was received of it (enough for its MSH); it is kept as its raw
        text for review, and a resend gets the same answer.
        """
        text = storable(head.decode("utf-8", "backslashreplace"))
        refusal = Refusal(ack.REJECTED, AckError("207", reason))
        return self._commit([self._single(text, refusal, _reply_codec(head))], received_at)[0]

    def _prepare(self, frame: bytes) -> _Frame:
        """Decode, split and parse outside the write lock: no database work here."""
        codec = _reply_codec(frame)
        try:
            text = storable(decode(frame))
        except Hl7Error as exc:
            lenient = storable(frame.decode("utf-8", "backslashreplace"))
            return self._single(lenient, Refusal.from_error(exc), codec)
        try:
            messages = split_messages(text)
        except Hl7Error as exc:
            return self._single(text, Refusal.from_error(exc), codec)
        is_batch = text.lstrip("\ufeff \t\r\n").startswith(("FHS", "BHS"))
        if not is_batch and len(messages) <= 1:
            return self._single(text, None, codec)
        return _Frame([self._item(message, None) for message in messages], is_batch, codec)

    def _single(self, text: str, refusal: Refusal | None, codec: str) -> _Frame:
        return _Frame([self._item(text, refusal)], False, codec)

    def _item(self, text: str, refusal: Refusal | None) -> _Item:
        header = ack.read_header(text)
        if header is None:
            source = self._source or UNKNOWN_SOURCE
            control_id = ""
            if refusal is None:
                refusal = Refusal(ack.REJECTED, AckError("100", "no readable MSH segment"))
        else:
            application = header.component(header.sending_application)
            facility = header.component(header.sending_facility)
            source = self._source or f"{application}/{facility}"[:_SOURCE_WIDTH]
            control_id = header.control_id
        if not control_id.strip() or len(source) + 1 + len(control_id) > _ENTITY_WIDTH:
            control_id = _content_key(text)
        parsed = None
        if refusal is None:
            try:
                parsed = parse_message(text)
            except Hl7Error as exc:
                refusal = Refusal.from_error(exc)
            except Exception:
                logger.exception("message %s from %s broke its parsing", control_id, source)
                refusal = Refusal(ack.ERROR, AckError("207", _INTERNAL_ERROR))
        return _Item(text, header, source, control_id, refusal, parsed)

    def _commit(self, frames: Sequence[_Frame], received_at: datetime) -> list[bytes]:
        items = [item for frame in frames for item in frame.items]
        try:
            with self._db.writing() as session:
                acks, reference = self._together(session, items, received_at)
            self._reference.keep(*reference)
        except _OneByOneError:
            # Rolled back whole: applied again from the start, each message on its own.
            with self._db.writing() as session:
                acks = self._one_by_one(session, items, received_at)
        replies = []
        for frame in frames:
            replies.append(frame.reply(acks[: len(frame.items)], self.clock.now()))
            acks = acks[len(frame.items) :]
        return replies

    def _answered_under_lock(
        self, session: Session, items: list[_Item]
    ) -> tuple[tuple[int, str], dict[tuple[str, str], _Answer]]:
        # Holding the journal lock from the start makes the repeat check exact even when
        # another process writes the same database.
        head = journal.lock(session)
        return head, _answered(session, items)

    def _one_by_one(self, session: Session, items: list[_Item], received_at: datetime) -> list[str]:
        """The ACKs of ``items`` applied one after the other, each in its own savepoint."""
        _, answered = self._answered_under_lock(session, items)

        def alone(item: _Item) -> str:
            return self._answer(session, item, received_at)

        return [self._once(session, item, answered, alone) for item in items]

    def _together(
        self, session: Session, items: list[_Item], received_at: datetime
    ) -> tuple[list[str], tuple[Reference, int]]:
        """The ACKs of ``items`` mapped against one overlay and journaled in one append, and
        the reference data read for them, with the journal's head once this commits.

        Raises :class:`_OneByOneError` when the batch must be applied message by message
        instead: the overlay could not vouch for an answer, a mapping broke, or the store
        refused the writes.
        """
        head, answered = self._answered_under_lock(session, items)
        head_seq = head[0]
        reads = BatchReads(session, self._reference.take(head_seq))
        changes: list[Change] = []
        refused: list[tuple[_Item, Refusal]] = []

        def together(item: _Item) -> str:
            refusal = item.refusal
            if refusal is None:
                assert item.parsed is not None  # prepared items are parsed unless refused
                try:
                    mapped = map_message(
                        item.parsed, reads, site_id=self.site_id, received_at=received_at
                    )
                except Hl7Error as exc:
                    refusal = Refusal.from_error(exc)
                else:
                    reads.apply(mapped.changes)
                    reply, logged = self._accepted(item, mapped, received_at)
                    changes.extend([*mapped.changes, logged])
                    return reply
            refused.append((item, refusal))
            reply, logged = self._refused(item, refusal, received_at)
            changes.append(logged)
            return reply

        try:
            reads.prefetch((item.parsed, self.site_id) for item in items if item.parsed)
            acks = [self._once(session, item, answered, together) for item in items]
            seqs = journal.append(
                session,
                changes,
                actor=self._actor,
                at=received_at,
                project_by_kind=True,
                known_sites=reads.reference.sites,
                head=head,
            )
        except _INFRASTRUCTURE:
            raise
        except OverlayUnsureError as exc:
            logger.debug("batch of %d applied message by message: unsure of %s", len(items), exc)
            raise _OneByOneError from exc
        except Exception as exc:
            # The message-by-message path tells which message it was and refuses it alone.
            logger.info("batch of %d applied message by message after: %s", len(items), exc)
            raise _OneByOneError from exc
        for item, refusal in refused:
            _log_refused(item, refusal)
        return acks, (reads.reference, seqs[-1] if seqs else head_seq)

    def _once(
        self,
        session: Session,
        item: _Item,
        answered: dict[tuple[str, str], _Answer],
        answer: Callable[[_Item], str],
    ) -> str:
        """The stored ACK when ``item`` is a repeat, else what ``answer`` makes of it."""
        previous = answered.get(item.identity)
        if previous is not None and previous.message_type != item.message_type:
            # Not a repeat: the sender reused a control id for another message. Keyed by
            # its content it is applied, and a resend of it is still recognised.
            logger.warning(
                "%s reused control id %s for a %s (first used for a %s)",
                item.source,
                item.key,
                item.message_type or "message of unknown type",
                previous.message_type or "message of unknown type",
            )
            item = replace(item, key=_content_key(item.text))
            answered.update(_answered(session, [item]))
            previous = answered.get(item.identity)
        if previous is not None:
            logger.info("repeated message %s from %s answered as before", item.key, item.source)
            return previous.ack
        reply = answer(item)
        answered[item.identity] = _Answer(item.message_type, reply)
        return reply

    def _answer(self, session: Session, item: _Item, received_at: datetime) -> str:
        """Apply ``item`` alone, inside its own savepoint, against the store as it is now."""
        refusal = item.refusal
        if refusal is None:
            assert item.parsed is not None  # prepared items are parsed unless refused
            try:
                with session.begin_nested():
                    mapped = map_message(
                        item.parsed, session, site_id=self.site_id, received_at=received_at
                    )
                    reply, logged = self._accepted(item, mapped, received_at)
                    journal.append(
                        session, [*mapped.changes, logged], actor=self._actor, at=received_at
                    )
                    return reply
            except Hl7Error as exc:
                refusal = Refusal.from_error(exc)
            except _INFRASTRUCTURE:
                raise
            except Exception:
                logger.exception("message %s from %s broke its mapping", item.key, item.source)
                refusal = Refusal(ack.ERROR, AckError("207", _INTERNAL_ERROR))
            finally:
                # Projections write through Core; objects the mapping loaded may be stale.
                session.expire_all()
        _log_refused(item, refusal)
        reply, logged = self._refused(item, refusal, received_at)
        with session.begin_nested():
            journal.append(session, [logged], actor=self._actor, at=received_at)
        return reply

    def _accepted(self, item: _Item, mapped: Mapped, received_at: datetime) -> tuple[str, Change]:
        """The ``AA`` for ``item`` and the log entry that keeps it."""
        reply = ack.build_ack(item.header, ack.ACCEPTED, at=self.clock.now())
        logged = ingest_message_logged(
            source=item.source,
            control_id=item.key,
            message_type=item.message_type,
            site_id=mapped.site_id,
            received_at=received_at,
            status=ack.ACCEPTED,
            ack=reply,
            error=None,
            raw=None,
        )
        return reply, logged

    def _refused(self, item: _Item, refusal: Refusal, received_at: datetime) -> tuple[str, Change]:
        """The ``AE``/``AR`` for ``item`` and the log entry that keeps it with its text."""
        # Without a readable MSH the only possible answer is the minimal AR.
        status = refusal.status if item.header is not None else ack.REJECTED
        reply = ack.build_ack(item.header, status, at=self.clock.now(), error=refusal.error)
        logged = ingest_message_logged(
            source=item.source,
            control_id=item.key,
            message_type=item.message_type,
            site_id=self.site_id,
            received_at=received_at,
            status=status,
            ack=reply,
            error=refusal.describe(),
            raw=item.text,
        )
        return reply, logged


class _OneByOneError(Exception):
    """The batch must be rolled back and applied again message by message."""


def _log_refused(item: _Item, refusal: Refusal) -> None:
    logger.warning("message %s from %s refused: %s", item.key, item.source, refusal.describe())


def _reply_codec(frame: bytes) -> str:
    """How to encode the answer to ``frame``: as it declares, else as it reads.

    Without MSH-18 a frame is UTF-8 if it reads as such, else the Latin-9 of older French
    interfaces (the rule :func:`decode` follows); an unknown charset gets UTF-8.
    """
    header = ack.read_header(frame[:4096].decode("ascii", "replace"))
    if header is not None and header.charset:
        return ack.codec_for(header.charset) or "utf-8"
    try:
        frame.decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-15"
    return "utf-8"


def _content_key(text: str) -> str:
    """A key from the message itself: 128 bits of its SHA-256 (collisions are not a risk)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# One source per query: SQLite scans the whole log for a row-value IN of several pairs.
_ANSWERED = select(
    IngestMessageRow.control_id, IngestMessageRow.message_type, IngestMessageRow.ack
).where(
    IngestMessageRow.source == bindparam("source"),
    IngestMessageRow.control_id.in_(bindparam("keys", expanding=True)),
)


def _answered(session: Session, items: list[_Item]) -> dict[tuple[str, str], _Answer]:
    """What was answered before to any of ``items`` (a query per source, mostly one)."""
    by_source: dict[str, set[str]] = {}
    for item in items:
        by_source.setdefault(item.source, set()).add(item.key)
    answered = {}
    for source, keys in by_source.items():
        rows = session.connection().execute(_ANSWERED, {"source": source, "keys": list(keys)})
        answered.update({(source, key): _Answer(kind, reply) for key, kind, reply in rows})
    return answered
