"""kill -9 at random instants never leaves a partial kit, delta or viewer behind.

The agent runs as its own process (the real command line) against the real server while
the journal keeps moving and the server publishes new full kits, so the agent keeps
downloading, writing and pruning. It is killed with SIGKILL at random moments, many times
over the same directory, as a PC losing power would; after each kill every kit and delta
in the directory verifies, the chains hold together, and the viewer and status.json are
whole. A final uninterrupted run cleans up and catches up.
"""

import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.kit.agent_holdings import DELTA_NAME, KIT_NAME, Holdings, file_name
from bascule.kit.build import build_kit_file, open_chain, verified
from bascule.kit.container import open_content, parse
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.publish import Publisher
from bascule.kit.viewer import check_chain, viewer_name
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from bascule.web.server import BackgroundServer
from tests.factories import patient, record
from tests.kit.agent_support import (
    SITE_PASSPHRASE,
    issue_token,
    kit_app,
    make_keys,
)

pytestmark = pytest.mark.slow

SITE = "rennes"
KILLS = 12
# The command line as bascule/cli.py will offer it once `agent` is mounted there.
RUNNER = (
    "from bascule.cli import app\n"
    "from bascule.kit.agent_cli import agent\n"
    "if not any(c.name == 'agent' for c in app.registered_commands):\n"
    "    app.command('agent')(agent)\n"
    "app()\n"
)
_FILE_BLOCK = re.compile(rb'<script type="application/octet-stream" id="bascule-file-\d+">([^<]*)<')


class Churn:
    """Keeps the journal moving and the server publishing full kits, in a thread."""

    def __init__(self, db: Database, publisher: Publisher) -> None:
        self.db = db
        self.publisher = publisher
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for number in count(10_000_000):
            if self.stop.wait(0.05):
                return
            record(self.db, [changes.patient_registered(patient(number), SITE)])
            if number % 10 == 0:
                self.publisher.publish_kit(SITE)

    def __enter__(self) -> "Churn":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("keys"), sites=(SITE,))


@pytest.fixture
def group(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite3'}")
    upgrade(db)
    synthesise(db, patients=20_000, seed=7)
    try:
        yield db
    finally:
        db.dispose()


def start_agent(
    url: str, directory: Path, keys: KeyStore, token: str, *extra: str
) -> subprocess.Popen[str]:
    env = {**os.environ, "BASCULE_AGENT_TOKEN": token, "BASCULE_DATA_DIR": str(directory.parent)}
    command = [sys.executable, "-c", RUNNER, "agent", "--site", SITE, "--server", url]
    command += ["--dir", str(directory), "--group-key", str(keys.public_key_path), "--keep", "2"]
    return subprocess.Popen(
        [*command, *extra], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )


def wait_for_line(process: subprocess.Popen[str], marker: str) -> None:
    """Wait until the agent logs ``marker``; keep draining its log so it never blocks."""
    assert process.stderr is not None
    stream = process.stderr
    lines: list[str] = []
    for line in stream:
        lines.append(line)
        if marker in line:
            threading.Thread(target=stream.read, daemon=True).start()
            return
    pytest.fail(f"the agent exited before logging {marker!r}: {''.join(lines)}")


def wait_for_temporary(directory: Path, timeout: float) -> None:
    """Return as soon as a temporary file shows in ``directory`` (a write under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(entry.name.startswith(".") for entry in os.scandir(directory)):
            return


def kill_at_some_instant(
    process: subprocess.Popen[str], directory: Path, strategy: int, chance: random.Random
) -> None:
    """SIGKILL: at a random instant, just after a file was accepted, or mid-write."""
    if strategy == 0:
        wait_for_line(process, "started")
        time.sleep(chance.uniform(0, 1.0))
    elif strategy == 1:
        wait_for_line(process, "accepted")  # the viewer is being rewritten now
        time.sleep(chance.uniform(0, 0.02))
    else:
        wait_for_line(process, "started")
        wait_for_temporary(directory, timeout=2.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def check_directory(directory: Path, public_key: Ed25519PublicKey) -> int:
    """Everything a reader can see in ``directory`` is whole; the temporaries left."""
    for path in directory.iterdir():
        if KIT_NAME.fullmatch(path.name) or DELTA_NAME.fullmatch(path.name):
            kit = verified(path.read_bytes(), public_key, path.name)
            assert (kit.site, file_name(kit)) == (SITE, path.name)
    holdings = Holdings(directory, SITE, public_key)
    assert holdings.load() == []
    if holdings.chains:
        check_chain(holdings.current_chain(), public_key)
    viewer = directory / viewer_name(SITE)
    if viewer.exists():
        page = viewer.read_bytes()
        assert page.rstrip().endswith(b"</html>")
        check_chain([base64.b64decode(b) for b in _FILE_BLOCK.findall(page)], public_key)
    status = directory / "status.json"
    if status.exists():
        assert json.loads(status.read_text())["site"] == SITE
    return sum(1 for path in directory.iterdir() if path.name.startswith("."))


def test_kill_9_at_random_instants_never_leaves_a_partial_file(
    group: Database, keys: KeyStore, tmp_path: Path
) -> None:
    public_key = load_public_key(keys.public_key_path)
    publisher = Publisher(group, keys, tmp_path / "kits")
    token = issue_token(group, SITE)
    directory = tmp_path / "agent"
    chance = random.Random(20261207)
    mid_write = 0
    with BackgroundServer(kit_app(group, publisher)) as server:
        with Churn(group, publisher):
            for kill in range(KILLS):
                process = start_agent(server.url, directory, keys, token, "--interval", "0.02")
                kill_at_some_instant(process, directory, kill % 3, chance)
                mid_write += check_directory(directory, public_key) > 0
        publisher.publish_kit(SITE)  # at the final head
        final = start_agent(server.url, directory, keys, token, "--once")
        assert final.wait(timeout=120) == 0
    print(f"{mid_write} of {KILLS} kills left a temporary file (killed while writing)")
    assert check_directory(directory, public_key) == 0  # the leftovers were cleaned up

    holdings = Holdings(directory, SITE, public_key)
    holdings.load()
    with group.reading() as session:
        head, _ = journal.head(session)
    assert holdings.current is not None
    assert holdings.current.seq == head
    chain = [(held.path.name, held.path.read_bytes()) for held in holdings.chains[-1].files]
    held_content = open_chain(chain, public_key, SITE_PASSPHRASE)
    fresh = open_content(parse(build_kit_file(group, keys, SITE).data), SITE_PASSPHRASE)
    held_content.pop("built_at")
    fresh.pop("built_at")
    assert held_content == fresh
