"""kill -9 in mid-stream loses nothing that was acknowledged and applies nothing twice.

The listener runs as its own process (``python -m bascule.ingest.mllp_main``). Sender
threads stream messages as MLLP peers do: on a broken connection they reconnect and
resend the message whose ACK they did not get. The listener is killed with SIGKILL
several times while they stream, and restarted. In the end every message has been
acknowledged, each is in the message log once, its changes are in the journal once, and
the hash chain verifies.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bascule.store.database import Database
from bascule.store.kinds import INGEST_MESSAGE_LOGGED
from bascule.store.migrate import upgrade
from bascule.store.tables import IngestMessageRow, JournalEntryRow, PatientLocalIdRow
from tests.ingest.mllp_support import (
    SITE,
    SOURCE,
    Client,
    ack_fields,
    journal_intact,
    log_entries,
    person_message,
    seeded_site,
)

pytestmark = pytest.mark.slow

SENDERS = 4
PER_SENDER = 50
KILLS = 2
ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Listener:
    """The listener process, which can be killed and started again on the same port."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.command = [
            sys.executable,
            "-m",
            "bascule.ingest.mllp_main",
            "--db",
            url,
            "--site",
            SITE,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "INFO",
        ]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=log, env=env)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


class Sender(threading.Thread):
    """Sends its messages in order, resending each until it is acknowledged."""

    def __init__(self, number: int, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.messages = [f"K{number}-{index:04d}" for index in range(PER_SENDER)]
        self.acks: dict[str, bytes] = {}
        self.resent = 0

    def run(self) -> None:
        deadline = time.monotonic() + 120
        position, client = 0, None
        attempts = 0
        while position < len(self.messages) and time.monotonic() < deadline:
            control_id = self.messages[position]
            try:
                if client is None:
                    client = Client(self.port, timeout=10)
                attempts += 1
                reply = client.send(person_message(control_id, control_id))
            except OSError:
                if client is not None:
                    client.close()
                client = None
                time.sleep(0.05)
                continue
            self.resent += attempts - 1
            attempts = 0
            assert ack_fields(reply) == ("AA", control_id), reply
            self.acks[control_id] = reply
            position += 1
        if client is not None:
            client.close()


def acknowledged(senders: list[Sender]) -> int:
    return sum(len(sender.acks) for sender in senders)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, str]]:
    """A migrated database with the one site, and the URL the listener process opens."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bascule.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    db = Database(url)
    upgrade(db)
    seeded_site(db)
    try:
        yield db, url
    finally:
        db.dispose()


def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(
    crash_db: tuple[Database, str], tmp_path: Path
) -> None:
    db, url = crash_db
    port = free_port()
    listener = Listener(url, port, tmp_path / "listener.log")
    listener.start()
    senders = [Sender(number, port) for number in range(SENDERS)]
    for sender in senders:
        sender.start()
    total = SENDERS * PER_SENDER
    rng = random.Random(7)
    for kill in range(KILLS):
        target = total * (kill + 1) // (KILLS + 1) + rng.randint(-20, 20)
        while acknowledged(senders) < target and any(s.is_alive() for s in senders):
            time.sleep(0.01)
        listener.kill()
        time.sleep(rng.uniform(0.05, 0.3))
        listener.start()
    for sender in senders:
        sender.join(120)
    assert listener.stop() == 0, listener.log.read_text()

    acks = {key: reply for sender in senders for key, reply in sender.acks.items()}
    assert len(acks) == total, f"only {len(acks)} of {total} acknowledged"
    # Every acknowledged message is logged, with the very ACK that was sent.
    with db.reading() as session:
        query = select(IngestMessageRow.control_id, IngestMessageRow.ack)
        stored = dict(session.execute(query).all())
        ipps = set(session.scalars(select(PatientLocalIdRow.local_id)))
        other_entries = session.scalar(
            select(func.count())
            .select_from(JournalEntryRow)
            .where(JournalEntryRow.kind != INGEST_MESSAGE_LOGGED)
        )
    assert {key: stored.get(key, "").encode() for key in acks} == acks
    # Exactly once: one log entry per message, one change per message (plus the site).
    assert log_entries(db) == {f"{SOURCE}/{key}": 1 for key in acks}
    assert ipps == set(acks)
    assert other_entries == total + 1
    assert journal_intact(db)
    verify = subprocess.run(
        [str(Path(sys.executable).with_name("bascule")), "--db", url, "journal", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    resent = sum(sender.resent for sender in senders)
    repeats = listener.log.read_text().count("answered as before")
    print(f"{KILLS} kills: {resent} resent, {repeats} of them committed before the kill")
