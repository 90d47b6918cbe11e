"""Whatever arrives on the socket, the server answers or closes cleanly and keeps serving.

Every ACK it sends is one committed with its message: an AA always means "in the journal".
"""

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.ingest.background import BackgroundMllp
from bascule.ingest.processing import Processor
from bascule.store.database import Database
from tests.ingest.mllp_support import (
    END,
    SITE,
    START,
    Client,
    ack_fields,
    ack_id,
    alive,
    committed_acks,
    frame,
    journal_intact,
    logged,
    person_message,
    sqlite_with_site,
)

MAX_BYTES = 50_000


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = sqlite_with_site(tmp_path / "bascule.sqlite3")
    try:
        yield db
    finally:
        db.dispose()


def complete_frames(data: bytes) -> int:
    """How many frames the MLLP rules find in ``data`` (the oracle for the server)."""
    count, position = 0, 0
    while (start := data.find(START, position)) >= 0:
        end = data.find(END, start + 1)
        if end < 0:
            break
        restart = data.find(START, start + 1, end)
        if restart >= 0:
            position = restart
            continue
        count += 1
        position = end + len(END)
    return count


def exchange(port: int, data: bytes) -> list[bytes]:
    """Send ``data``, half-close, and collect every ACK until the server closes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    finally:
        sock.close()
    assert received == b"" or received.endswith(END), received[-50:]
    replies = [block for block in received.split(END) if block]
    assert all(block.startswith(START) for block in replies)
    return [block[1:] for block in replies]


def mutated(message: str, data: st.DataObject) -> bytes:
    """A valid message with a few bytes replaced, cut, or stuffed with bad UTF-8."""
    raw = bytearray(message.encode("utf-8"))
    for _ in range(data.draw(st.integers(0, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    return bytes(raw)


pieces = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([START, END, b"\x1c", b"\r", b"MSH|^~\\&|", b"\xff\xfe", b"\x00"]),
)


@pytest.mark.slow
def test_random_traffic_never_breaks_the_server(sqlite_db: Database) -> None:
    processor = Processor(sqlite_db, site_id=SITE)
    answered: list[bytes] = []
    with BackgroundMllp(processor, max_message_bytes=MAX_BYTES) as listener:

        @settings(
            max_examples=120,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(st.data())
        def check(data: st.DataObject) -> None:
            parts = data.draw(st.lists(pieces, max_size=6))
            for number in range(data.draw(st.integers(0, 3))):
                control_id = f"Z{data.draw(st.integers(0, 40))}-{number}"
                message = person_message(control_id, control_id)
                body = mutated(message, data) if data.draw(st.booleans()) else message.encode()
                parts.insert(data.draw(st.integers(0, len(parts))), frame(body))
            stream = b"".join(parts)
            replies = exchange(listener.port, stream)
            assert len(replies) == complete_frames(stream)
            for reply in replies:
                assert ack_fields(reply)[0] in ("AA", "AE", "AR")
            answered.extend(replies)

        check()
        assert alive(listener.port)
    # Every ACK that went out, AA or not, was committed with its message.
    assert {ack_id(reply) for reply in answered} <= committed_acks(sqlite_db)
    assert journal_intact(sqlite_db)


@pytest.mark.slow
def test_a_ten_megabyte_message_is_refused_and_the_server_lives(sqlite_db: Database) -> None:
    processor = Processor(sqlite_db, site_id=SITE)
    big = frame(person_message("BIG", "BIG") + "\rNTE|1||" + "x" * 10_000_000)
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port, timeout=30)

        def push() -> None:
            # The server stops reading long before the end: the rest may bounce.
            with contextlib.suppress(OSError):
                client.sock.sendall(big)

        pusher = threading.Thread(target=push)
        pusher.start()
        reply = client.receive()
        assert client.closed_by_server(timeout=10)
        pusher.join(30)
        client.close()
        assert alive(listener.port)
    assert ack_fields(reply) == ("AR", "BIG")
    assert b"message larger than 1000000 bytes" in reply
    assert logged(sqlite_db)["BIG"] == "AR"


def test_invalid_utf8_is_refused_and_the_next_message_passes(sqlite_db: Database) -> None:
    processor = Processor(sqlite_db, site_id=SITE)
    broken = person_message("U1", "U1").encode().replace(b"Ma\xc3\xablle", b"Ma\xc3\x28lle")
    with BackgroundMllp(processor) as listener:
        client = Client(listener.port)
        assert ack_fields(client.send(broken)) == ("AR", "U1")
        assert ack_fields(client.send(person_message("U2", "U2"))) == ("AA", "U2")
        client.close()


@pytest.mark.slow
def test_a_thousand_idle_connections_within_limits(sqlite_db: Database) -> None:
    processor = Processor(sqlite_db, site_id=SITE)
    with BackgroundMllp(processor, max_connections=1100) as listener:
        idle = [socket.create_connection(("127.0.0.1", listener.port)) for _ in range(1000)]
        try:
            assert alive(listener.port)
        finally:
            for sock in idle:
                sock.close()
        assert alive(listener.port)


def test_connections_beyond_the_limit_do_not_starve_the_server(sqlite_db: Database) -> None:
    processor = Processor(sqlite_db, site_id=SITE)
    with BackgroundMllp(processor, max_connections=50, idle_timeout=0.5) as listener:
        idle = [socket.create_connection(("127.0.0.1", listener.port)) for _ in range(100)]
        try:
            # The 50 beyond the limit are closed at once, the 50 within it once idle.
            for sock in idle:
                sock.settimeout(5)
                assert sock.recv(1) == b""
            assert alive(listener.port)
        finally:
            for sock in idle:
                sock.close()
