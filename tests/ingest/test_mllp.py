"""The MLLP server over real sockets: framing, limits, concurrency, graceful stop."""

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from bascule.ingest.background import BackgroundMllp
from bascule.ingest.processing import Processor
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.store.tables import IngestMessageRow
from tests.conftest import PG_SERVER_URL
from tests.ingest.mllp_support import (
    END,
    SITE,
    Client,
    ack_fields,
    ack_id,
    alive,
    committed_acks,
    failing_commit,
    frame,
    journal_intact,
    log_entries,
    logged,
    person_message,
    seeded_site,
    sqlite_with_site,
)

# Real messages nobody on the team wrote (copied with their licence by the HL7 tests).
SAMPLES = Path(__file__).parents[1] / "fixtures" / "hl7v2"
MLLP_SEND = Path(sys.executable).with_name("mllp_send")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database with the one site (for tests about sockets, not storage)."""
    db = sqlite_with_site(tmp_path / "bascule.sqlite3")
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def processor(sqlite_db: Database) -> Processor:
    return Processor(sqlite_db, site_id=SITE)


def test_one_message_round_trip(sqlite_db: Database, processor: Processor) -> None:
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        reply = client.send(person_message("M1", "1"))
        client.close()
    assert ack_fields(reply) == ("AA", "M1")
    assert logged(sqlite_db) == {"M1": "AA"}


@pytest.mark.slow
def test_concurrent_senders_are_all_acknowledged_and_journaled_once(db: Database) -> None:
    seeded_site(db)
    processor = Processor(db, site_id=SITE)
    connections, per_connection = 20, 25
    replies: dict[str, str] = {}
    lock = threading.Lock()

    def sender(number: int) -> None:
        client = Client(port)
        try:
            for index in range(per_connection):
                control_id = f"S{number:02d}-{index:03d}"
                code, echoed = ack_fields(client.send(person_message(control_id, control_id)))
                assert echoed == control_id
                with lock:
                    replies[control_id] = code
        finally:
            client.close()

    with BackgroundMllp(processor) as listener:
        port = listener.port
        threads = [threading.Thread(target=sender, args=(n,)) for n in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(replies) == connections * per_connection
    assert set(replies.values()) == {"AA"}
    assert logged(db) == replies
    assert set(log_entries(db).values()) == {1}
    assert journal_intact(db)


def test_a_sender_that_lost_its_ack_gets_the_same_one_again(
    sqlite_db: Database, processor: Processor
) -> None:
    message = person_message("W1", "W1")
    with BackgroundMllp(processor) as listener:
        hasty = Client(listener.port)
        hasty.sock.sendall(frame(message))
        hasty.close()  # gone before its ACK: it will resend
        deadline = time.monotonic() + 10
        while "W1" not in logged(sqlite_db) and time.monotonic() < deadline:
            time.sleep(0.02)
        client = Client(listener.port)
        reply = client.send(message)
        client.close()
    assert ack_fields(reply) == ("AA", "W1")
    assert {ack_id(reply)} <= committed_acks(sqlite_db)
    assert log_entries(sqlite_db) == {"PAS/RENNES/W1": 1}


def test_no_ack_when_the_batch_cannot_commit(sqlite_db: Database, processor: Processor) -> None:
    message = person_message("Y1", "Y1")
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        with failing_commit(sqlite_db), pytest.raises(ConnectionError):
            client.send(message)
        client.close()
        assert logged(sqlite_db) == {}
        # The sender reconnects and resends once the database is back.
        client = Client(listener.port)
        assert ack_fields(client.send(message)) == ("AA", "Y1")
        client.close()
    assert log_entries(sqlite_db) == {"PAS/RENNES/Y1": 1}


def test_pipelined_frames_are_answered_in_order(processor: Processor) -> None:
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        client.sock.sendall(b"".join(frame(person_message(f"P{n}", f"P{n}")) for n in range(5)))
        codes = [ack_fields(client.receive()) for _ in range(5)]
        client.close()
    assert codes == [("AA", f"P{n}") for n in range(5)]


def test_bytes_outside_frames_are_discarded(processor: Processor) -> None:
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        client.sock.sendall(b"noise\r\n\x1c\r" + frame(person_message("N1", "N1")))
        assert ack_fields(client.receive()) == ("AA", "N1")
        client.close()


def test_a_frame_sent_byte_by_byte_is_reassembled(processor: Processor) -> None:
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in frame(person_message("B1", "B1"))[:200]:
            client.sock.send(bytes([byte]))
        client.sock.sendall(frame(person_message("B1", "B1"))[200:])
        assert ack_fields(client.receive()) == ("AA", "B1")
        client.close()


def test_a_new_start_block_abandons_the_open_frame(
    sqlite_db: Database, processor: Processor
) -> None:
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        partial = frame(person_message("R1", "R1"))[:80]
        client.sock.sendall(partial + frame(person_message("R2", "R2")))
        assert ack_fields(client.receive()) == ("AA", "R2")
        client.close()
    assert logged(sqlite_db) == {"R2": "AA"}


def test_a_connection_closed_mid_frame_loses_only_that_frame(
    sqlite_db: Database, processor: Processor
) -> None:
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        client.sock.sendall(frame(person_message("X1", "X1"))[:-2])
        client.close()
        time.sleep(0.2)
        assert alive(listener.port)
    assert "X1" not in logged(sqlite_db)


def test_oversized_message_gets_ar_and_the_connection_is_closed(
    sqlite_db: Database, processor: Processor
) -> None:
    big = person_message("L1", "L1") + "\rNTE|1||" + "x" * 5000
    with BackgroundMllp(processor, max_message_bytes=2000) as listener:
        client = Client(listener.port)
        client.sock.sendall(frame(big))
        reply = client.receive()
        assert client.closed_by_server()
        client.close()
        assert alive(listener.port)
    assert ack_fields(reply) == ("AR", "L1")
    assert b"message larger than 2000 bytes" in reply
    assert logged(sqlite_db)["L1"] == "AR"


def test_idle_connections_are_closed(processor: Processor) -> None:
    with BackgroundMllp(processor, idle_timeout=0.3) as listener:
        client = Client(listener.port)
        started = time.monotonic()
        assert client.closed_by_server(timeout=5)
        assert time.monotonic() - started < 3
        client.close()


def test_connections_beyond_the_limit_are_closed_at_once(processor: Processor) -> None:
    with BackgroundMllp(processor, max_connections=3) as listener:
        held = [Client(listener.port) for _ in range(3)]
        assert ack_fields(held[0].send(person_message("Q1", "Q1")))[0] == "AA"
        extra = Client(listener.port)
        assert extra.closed_by_server(timeout=5)
        extra.close()
        for client in held:
            client.close()
        time.sleep(0.2)
        assert alive(listener.port)


def test_graceful_stop_finishes_in_flight_messages(db: Database) -> None:
    seeded_site(db)
    processor = Processor(db, site_id=SITE)
    holding, release = threading.Event(), threading.Event()

    def hold_write_lock() -> None:
        # Another writer holds the journal lock: the batch waits inside process_batch.
        with db.writing() as session:
            journal.lock(session)
            holding.set()
            release.wait(20)

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    assert holding.wait(10)
    replies: dict[str, bytes] = {}

    def send(control_id: str) -> None:
        client = Client(port, timeout=30)
        replies[control_id] = client.send(person_message(control_id, control_id))
        client.close()

    listener = BackgroundMllp(processor).__enter__()
    port = listener.port
    idle = Client(port)
    senders = [threading.Thread(target=send, args=(f"G{n}",)) for n in range(5)]
    for thread in senders:
        thread.start()
    time.sleep(0.5)  # the five frames are now queued or in the blocked batch
    stopper = threading.Thread(target=listener.__exit__, args=(None, None, None))
    stopper.start()
    time.sleep(0.3)
    with pytest.raises(ConnectionRefusedError):
        Client(port, timeout=2).send(person_message("LATE", "LATE"))
    assert idle.closed_by_server(timeout=5)
    assert stopper.is_alive()  # still waiting for the in-flight batch
    release.set()
    holder.join(10)
    stopper.join(30)
    for thread in senders:
        thread.join(10)
    assert {key: ack_fields(reply) for key, reply in replies.items()} == {
        f"G{n}": ("AA", f"G{n}") for n in range(5)
    }
    assert logged(db) == {f"G{n}": "AA" for n in range(5)}


def test_mllp_send_end_to_end(sqlite_db: Database, processor: Processor, tmp_path: Path) -> None:
    """python-hl7's own command-line client, as a subprocess."""
    stream = tmp_path / "messages.mllp"
    stream.write_bytes(b"".join(frame(person_message(f"T{n}", f"T{n}")) for n in range(30)))
    with BackgroundMllp(processor) as listener:
        result = subprocess.run(
            [str(MLLP_SEND), "--port", str(listener.port), "--file", str(stream), "127.0.0.1"],
            capture_output=True,
            timeout=60,
            check=True,
        )
    acks = [block.strip(b"\n\x0b") for block in result.stdout.split(END) if block.strip()]
    assert [ack_fields(reply) for reply in acks] == [("AA", f"T{n}") for n in range(30)]
    assert logged(sqlite_db, "AA") == {f"T{n}": "AA" for n in range(30)}


def test_real_sample_messages_through_mllp_send(sqlite_db: Database, processor: Processor) -> None:
    """Messages nobody on the team wrote, LF-separated, sent by mllp_send --loose."""
    files = sorted(SAMPLES.glob("*.hl7"))
    assert files
    with BackgroundMllp(processor) as listener:
        runs = [
            subprocess.Popen(
                [str(MLLP_SEND), "-p", str(listener.port), "--loose", "-f", str(path), "127.0.0.1"],
                stdout=subprocess.PIPE,
            )
            for path in files
        ]
        outputs = [run.communicate(timeout=60)[0] for run in runs]
    received: list[bytes] = []
    for path, output in zip(files, outputs, strict=True):
        acks = [block.strip(b"\n\x0b") for block in output.split(END) if block.strip()]
        assert acks, path.name
        received += acks
    # Every ACK sent, whatever its code, is one that was committed with its message.
    with sqlite_db.reading() as session:
        reused = session.scalars(
            select(IngestMessageRow.message_type).where(
                IngestMessageRow.source == "ADTApp/GHHSFacility"
            )
        ).all()
    assert {ack_id(reply) for reply in received} <= committed_acks(sqlite_db)
    codes = Counter(ack_fields(reply)[0] for reply in received)
    assert codes["AA"] > 0
    assert set(codes) <= {"AA", "AE", "AR"}
    # ADTApp/GHHSFacility sends seven messages of five types all as MSG00001. Those of
    # another type than the first to arrive are kept; one of the same type is taken for a
    # resend of it (only a stored digest of each message could tell them apart).
    assert set(reused) == {"ADT^A01", "ADT^A04", "ADT^A08", "ADT^A60", "SIU^S12"}


def test_the_listener_process_refuses_to_start_on_an_unknown_site(sqlite_db: Database) -> None:
    command = ["-m", "bascule.ingest.mllp_main", "--db", str(sqlite_db.url), "--site", "nowhere"]
    result = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "unknown site id 'nowhere'" in result.stderr


@pytest.mark.postgres
def test_a_database_connection_lost_mid_batch_sends_no_ack(pg_url: str) -> None:
    """The server's PostgreSQL backend is terminated while its batch waits inside a transaction."""
    name = f"mllp-test-{uuid.uuid4().hex[:8]}"
    db = Database(f"{pg_url}&application_name={name}")
    upgrade(db)
    seeded_site(db)
    holder_db = Database(pg_url)
    holding, release = threading.Event(), threading.Event()

    def hold_write_lock() -> None:
        with holder_db.writing() as session:
            journal.lock(session)
            holding.set()
            release.wait(20)

    holder = threading.Thread(target=hold_write_lock)
    try:
        with BackgroundMllp(Processor(db, site_id=SITE)) as listener:
            holder.start()
            assert holding.wait(10)
            client = Client(listener.port, timeout=30)
            client.sock.sendall(frame(person_message("PG1", "PG1")))
            with psycopg.connect(PG_SERVER_URL, autocommit=True) as admin:
                deadline = time.monotonic() + 10
                killed = 0
                while not killed and time.monotonic() < deadline:
                    time.sleep(0.05)
                    killed = len(
                        admin.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = %s AND wait_event_type = 'Lock'",
                            (name,),
                        ).fetchall()
                    )
            assert killed
            with pytest.raises(ConnectionError):
                client.receive()
            client.close()
            release.set()
            holder.join(10)
            client = Client(listener.port)
            assert ack_fields(client.send(person_message("PG1", "PG1"))) == ("AA", "PG1")
            client.close()
        assert log_entries(db) == {"PAS/RENNES/PG1": 1}
        assert journal_intact(db)
    finally:
        release.set()
        db.dispose()
        holder_db.dispose()
