"""Helpers for the MLLP and processing tests: messages, a blocking client, checks."""

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text

from bascule.ingest import ack
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.kinds import INGEST_MESSAGE_LOGGED
from bascule.store.migrate import upgrade
from bascule.store.tables import IngestMessageRow, JournalEntryRow
from tests.factories import record, site

SITE = "rennes"
SOURCE = "PAS/RENNES"
START, END = b"\x0b", b"\x1c\r"


def person_message(
    control_id: str, ipp: str, *, family: str = "Le Goff", sex: str = "F", facility: str = "RENNES"
) -> str:
    """An ADT^A28 (new person, IHE PAM France) that creates patient ``ipp``."""
    pid = [
        "PID",
        "1",
        "",
        f"{ipp}^^^{facility}&&L^PI",
        "",
        f"{family}^Maëlle^^^^^L",
        "",
        "19800101",
        sex,
        "",
        "",
        "",
        "",
        "02 98 00 00 00",
    ]
    pid += [""] * (32 - len(pid)) + ["PROV"]
    return "\r".join(
        [
            f"MSH|^~\\&|PAS|{facility}|BASCULE|{SITE}|20261207093000+0100||ADT^A28^ADT_A05"
            f"|{control_id}|P|2.5|||AL|NE|FRA|UNICODE UTF-8",
            "EVN|A28|20261207093000+0100",
            "|".join(pid),
        ]
    )


def refused_message(control_id: str) -> str:
    """A message refused with AE: its MSH-7 is not a timestamp."""
    return person_message(control_id, "1").replace("20261207093000+0100||", "yesterday||", 1)


def frame(message: str | bytes) -> bytes:
    """``message`` in an MLLP block."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return START + data + END


def ack_fields(reply: bytes) -> tuple[str, str]:
    """MSA-1 and MSA-2 of an ACK."""
    for segment in reply.split(b"\r"):
        if segment.startswith(b"MSA"):
            values = segment.decode("utf-8", "replace").split("|")
            return values[1], values[2] if len(values) > 2 else ""
    raise AssertionError(f"no MSA in {reply!r}")


def seeded_site(db: Database) -> None:
    """The one site the messages come from."""
    record(db, [changes.site_registered(site(SITE))])


def sqlite_with_site(path: Path) -> Database:
    """A migrated SQLite database at ``path`` holding the one site."""
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    seeded_site(db)
    return db


def ack_id(reply: str | bytes) -> tuple[str, str]:
    """An ACK's own control id (MSH-10) and code: what identifies one sent ACK."""
    text = reply.decode("latin-1") if isinstance(reply, bytes) else reply
    header = ack.read_header(text)
    assert header is not None, text
    code = text.split("\r")[1].split(header.field_separator)[1]
    return header.control_id, code


def committed_acks(db: Database) -> set[tuple[str, str]]:
    """:func:`ack_id` of every ACK committed with its message."""
    with db.reading() as session:
        return {ack_id(reply) for reply in session.scalars(select(IngestMessageRow.ack))}


class Client:
    """A blocking MLLP sender: one message, then wait for its ACK."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, message: str | bytes) -> bytes:
        """Send one framed message and return its ACK (without framing)."""
        self.sock.sendall(frame(message))
        return self.receive()

    def receive(self) -> bytes:
        """The next ACK frame; raises ConnectionError when the server closes first."""
        while END not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buffer += data
        block, self.buffer = self.buffer.split(END, 1)
        assert block.startswith(START), block
        return block[1:]

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        """True when the server closes this connection within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def alive(port: int) -> bool:
    """True when a new connection gets a message acknowledged (AA or AE)."""
    client = Client(port)
    try:
        reply = client.send(person_message(f"ALIVE{time.monotonic_ns()}", "1"))
        return ack_fields(reply)[0] in ("AA", "AE")
    finally:
        client.close()


def logged(db: Database, status: str | None = None) -> dict[str, str]:
    """Control id → status of every logged message (optionally of one status)."""
    query = select(IngestMessageRow.control_id, IngestMessageRow.status)
    if status is not None:
        query = query.where(IngestMessageRow.status == status)
    with db.reading() as session:
        return dict(session.execute(query).all())


def logged_by_source(db: Database) -> dict[tuple[str, str], str]:
    """(source, control id) → status of every logged message."""
    query = select(IngestMessageRow.source, IngestMessageRow.control_id, IngestMessageRow.status)
    with db.reading() as session:
        return {(source, control_id): found for source, control_id, found in session.execute(query)}


def log_entries(db: Database) -> dict[str, int]:
    """entity id → number of ``ingest.message_logged`` journal entries for it."""
    with db.reading() as session:
        rows = session.execute(
            select(JournalEntryRow.entity_id, func.count())
            .where(JournalEntryRow.kind == INGEST_MESSAGE_LOGGED)
            .group_by(JournalEntryRow.entity_id)
        )
        return {entity_id: int(count) for entity_id, count in rows}


def journal_intact(db: Database) -> bool:
    """True when the hash chain verifies."""
    with db.reading() as session:
        return journal.verify(session).intact


@contextmanager
def failing_commit(db: Database) -> Iterator[None]:
    """A constraint checked only at COMMIT that every logged message violates."""
    with db.engine.begin() as connection:
        if db.is_sqlite:
            for statement in (
                "CREATE TABLE trap_parent (id INTEGER PRIMARY KEY)",
                "CREATE TABLE trap (ref INTEGER REFERENCES trap_parent (id) "
                "DEFERRABLE INITIALLY DEFERRED)",
                "CREATE TRIGGER trap_insert AFTER INSERT ON ingest_messages "
                "BEGIN INSERT INTO trap VALUES (1); END",
            ):
                connection.execute(text(statement))
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION trap() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "RAISE EXCEPTION 'commit refused'; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE CONSTRAINT TRIGGER trap AFTER INSERT ON ingest_messages "
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trap()"
                )
            )
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            if db.is_sqlite:
                connection.execute(text("DROP TRIGGER trap_insert"))
            else:
                connection.execute(text("DROP TRIGGER trap ON ingest_messages"))
