"""Fault injection: every way the server or the disk can fail leaves the last good kit.

Rollbacks and impostors (a validly signed older kit, a kit signed by another key), a
server that goes away and comes back, a full disk (a real tmpfs), and servers answering
garbage: each time the agent says what happened in one line and keeps what it holds.
"""

import errno
import json
import logging
import os
import random
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.kit.agent import Agent, AgentConfig
from bascule.kit.agent_holdings import Held, RefusedError, RollbackError, check_incoming
from bascule.kit.agent_http import OCTET_STREAM
from bascule.kit.container import fingerprint, seal
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.publish import Publisher
from bascule.kit.viewer import viewer_name
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.web.server import BackgroundServer
from tests.factories import patient, record
from tests.kit.agent_support import (
    Answer,
    ScriptedServer,
    cut_short,
    hang_up,
    issue_token,
    kit_app,
    make_keys,
    reply,
    silent_for,
)
from tests.kit.group import build_group

VIEWER = viewer_name("rennes")
LATEST = "/api/kits/rennes/latest"
KIT = "/api/kits/rennes/kit"
DELTA = "/api/kits/rennes/delta"
JSON = "application/json"


@pytest.fixture(autouse=True)
def agent_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bascule.agent")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("other-keys"), sites=("rennes",))


@pytest.fixture(scope="module")
def public_key(keys: KeyStore) -> Ed25519PublicKey:
    return load_public_key(keys.public_key_path)


@pytest.fixture
def group(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'group.sqlite3'}")
    upgrade(db)
    build_group(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def publisher(group: Database, keys: KeyStore, tmp_path: Path) -> Publisher:
    return Publisher(group, keys, tmp_path / "kits")


@pytest.fixture
def server(group: Database, publisher: Publisher) -> Iterator[BackgroundServer]:
    with BackgroundServer(kit_app(group, publisher)) as live:
        yield live


@pytest.fixture
def token(group: Database) -> str:
    return issue_token(group, "rennes")


def agent_at(
    url: str,
    directory: Path,
    token: str,
    public_key: Ed25519PublicKey,
    sleeps: list[float] | None = None,
    **options: Any,
) -> Agent:
    config = AgentConfig(
        site="rennes",
        server=url,
        directory=directory,
        token=token,
        public_key=public_key,
        interval=0.01,
        max_backoff=0.16,
        timeout=options.pop("timeout", 5.0),
        **options,
    )
    agent = Agent(config, sleep=(sleeps if sleeps is not None else []).append, jitter=lambda: 1.0)
    agent.start()
    return agent


def new_patient(db: Database, number: int) -> None:
    record(db, [changes.patient_registered(patient(number), "rennes")])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}


def without_status(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name != "status.json"}


@pytest.fixture
def holding(
    server: BackgroundServer,
    group: Database,
    token: str,
    public_key: Ed25519PublicKey,
    tmp_path: Path,
) -> Path:
    """An agent directory holding kit-15 and delta 15 -> 16 from the real server."""
    agent = agent_at(server.url, tmp_path / "agent", token, public_key)
    assert agent.cycle()
    new_patient(group, 5)
    assert agent.cycle()
    return agent.config.directory


# --- (b) rollbacks and replays ----------------------------------------------------------


def test_older_validly_signed_files_served_as_new_are_refused(
    *,
    server: BackgroundServer,
    group: Database,
    publisher: Publisher,
    holding: Path,
    token: str,
    public_key: Ed25519PublicKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old_kit = (holding / "kit-15.bkit").read_bytes()
    old_delta = (holding / "delta-15-16.bdelta").read_bytes()
    new_patient(group, 6)
    publisher.publish_kit("rennes")
    agent = agent_at(server.url, holding, token, public_key)
    assert agent.cycle()  # takes kit-17
    same_seq_kit = (holding / "kit-17.bkit").read_bytes()
    before = without_status(snapshot(holding))

    replays: list[tuple[dict[str, Answer], str]] = [
        (
            {
                LATEST: reply(200, JSON, b'{"kit_seq": 999, "head_seq": 999}'),
                KIT: reply(200, OCTET_STREAM, old_kit),
            },
            "kit at sequence 15 is not newer than the held sequence 17",
        ),
        (
            {
                LATEST: reply(200, JSON, b'{"kit_seq": 999, "head_seq": 999}'),
                KIT: reply(200, OCTET_STREAM, same_seq_kit),
            },
            "kit at sequence 17 is not newer than the held sequence 17",
        ),
        (
            {
                LATEST: reply(200, JSON, b'{"kit_seq": 17, "head_seq": 999}'),
                DELTA: reply(200, OCTET_STREAM, old_delta),
            },
            "delta at sequence 16 is not newer than the held sequence 17",
        ),
    ]
    for answers, message in replays:
        with ScriptedServer() as impostor:
            impostor.answers.update(answers)
            replayed = agent_at(impostor.url, holding, token, public_key)
            caplog.clear()
            assert not replayed.cycle()
        assert message in caplog.text
        assert "(replayed or rolled back); keeping what is held" in caplog.text
        assert "holding sequence 17" in caplog.text
        assert without_status(snapshot(holding)) == before


def test_check_incoming_refuses_foreign_misplaced_or_stale_files(
    keys: KeyStore, public_key: Ed25519PublicKey
) -> None:
    def sealed(kind: str, site: str, seq: int, base: int | None = None) -> bytes:
        return seal(
            {"n": seq},
            kind=kind,
            site=site,
            seq=seq,
            base_seq=base,
            created_at=datetime(2026, 12, 7, tzinfo=UTC),
            slots=keys.slots_for("rennes"),
            signing_key=keys.signing_key(),
        )

    at_20 = Held(Path("kit-20.bkit"), "kit", 20, None, datetime(2026, 12, 7, tzinfo=UTC))

    def check(data: bytes, kind: str, current: Held | None = at_20) -> None:
        check_incoming(
            data, kind=kind, site="rennes", public_key=public_key, current=current, source="x"
        )

    with pytest.raises(RefusedError, match="is for site nantes"):
        check(sealed("kit", "nantes", 30), "kit")
    with pytest.raises(RefusedError, match="is a delta, a kit was asked for"):
        check(sealed("delta", "rennes", 30, 20), "kit")
    with pytest.raises(RefusedError, match="does not follow the held sequence 20"):
        check(sealed("delta", "rennes", 30, 25), "delta")
    with pytest.raises(RefusedError, match="no kit is held"):
        check(sealed("delta", "rennes", 30, 20), "delta", current=None)
    with pytest.raises(RollbackError):
        check(sealed("delta", "rennes", 20, 10), "delta")
    check(sealed("delta", "rennes", 30, 20), "delta")
    check(sealed("kit", "rennes", 21), "kit")


@pytest.fixture(scope="module")
def samples(keys: KeyStore) -> dict[str, bytes]:
    when = datetime(2026, 12, 7, tzinfo=UTC)
    common: dict[str, Any] = {
        "site": "rennes",
        "created_at": when,
        "slots": keys.slots_for("rennes"),
        "signing_key": keys.signing_key(),
    }
    return {
        "kit": seal({"patients": {"p1": "x" * 300}}, kind="kit", seq=30, **common),
        "delta": seal({"upserts": ["p1"]}, kind="delta", seq=31, base_seq=20, **common),
    }


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_truncation_or_bit_flip_is_refused(
    samples: dict[str, bytes], public_key: Ed25519PublicKey, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(["kit", "delta"]))
    original = samples[kind]
    current = Held(Path("kit-20.bkit"), "kit", 20, None, datetime(2026, 12, 7, tzinfo=UTC))
    check_incoming(
        original, kind=kind, site="rennes", public_key=public_key, current=current, source="ok"
    )
    if data.draw(st.booleans(), label="truncate"):
        served = original[: data.draw(st.integers(0, len(original) - 1), label="length")]
    else:
        position = data.draw(st.integers(0, len(original) - 1), label="byte")
        flipped = original[position] ^ (1 << data.draw(st.integers(0, 7), label="bit"))
        served = original[:position] + bytes([flipped]) + original[position + 1 :]
    with pytest.raises(RefusedError):
        check_incoming(
            served, kind=kind, site="rennes", public_key=public_key, current=current, source="x"
        )


# --- (c) the server goes away and comes back -------------------------------------------


def test_the_agent_backs_off_while_the_server_is_gone_then_catches_up(
    *,
    server: BackgroundServer,
    group: Database,
    holding: Path,
    token: str,
    public_key: Ed25519PublicKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = without_status(snapshot(holding))
    server.stop()
    new_patient(group, 6)  # the journal moves on while the agent cannot see it
    new_patient(group, 7)
    sleeps: list[float] = []
    agent = agent_at(server.url, holding, token, public_key, sleeps)
    caplog.clear()
    agent.run(cycles=6)
    assert sleeps == [0.02, 0.04, 0.08, 0.16, 0.16]  # doubling, capped at max_backoff
    assert agent.failures == 6
    assert caplog.text.count("unreachable") == 6
    assert "keeping what is held (holding sequence 16" in caplog.text
    assert without_status(snapshot(holding)) == before  # kits and viewer untouched
    status = json.loads((holding / "status.json").read_text())
    assert status["seq"] == 16
    assert "unreachable" in status["last_error"]["message"]

    halves = Agent(agent.config, jitter=lambda: 0.0)
    halves.failures = 3
    assert halves.next_delay() == pytest.approx(0.04)  # jitter: half to all of the ceiling

    server.start()  # same port
    assert agent.cycle()
    assert agent.holdings.current is not None
    assert agent.holdings.current.seq == 18
    assert (holding / "delta-16-18.bdelta").exists()
    assert agent.next_delay() == 0.01
    assert "back to normal after 6 failed attempts" in caplog.text


# --- (d) full disk --------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs (needs root, as in CI); skipped where it cannot be mounted."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Use every free byte of ``disk``; the file doing it."""
    filler = disk / "filler"

    def write_forever(handle: BinaryIO) -> None:
        while True:
            handle.write(b"\0" * 4096)

    with filler.open("wb", buffering=0) as handle, pytest.raises(OSError, match="space") as failure:
        write_forever(handle)
    assert failure.value.errno == errno.ENOSPC
    return filler


def free(filler: Path, amount: int) -> None:
    os.truncate(filler, max(0, filler.stat().st_size - amount))


def test_a_full_disk_keeps_the_last_good_kit_and_recovers(
    *,
    server: BackgroundServer,
    group: Database,
    publisher: Publisher,
    token: str,
    public_key: Ed25519PublicKey,
    small_disk: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent = agent_at(server.url, small_disk / "agent", token, public_key)
    assert agent.cycle()
    directory = agent.config.directory
    before = without_status(snapshot(directory))
    filler = fill(small_disk)

    new_patient(group, 5)
    caplog.clear()
    assert not agent.cycle()
    assert f"disk full in {directory}: the new file was not stored" in caplog.text
    assert "keeping what is held (holding sequence 15" in caplog.text
    assert without_status(snapshot(directory)) == before
    assert not list(directory.glob(".*"))  # no temporary file left behind

    # Room for the delta but not for the viewer: the delta is kept, the viewer waits.
    delta = publisher.delta_after("rennes", 15)
    assert delta is not None
    free(filler, delta.path.stat().st_size + 3 * 4096)
    caplog.clear()
    assert not agent.cycle()
    assert "accepted delta delta-15-16.bdelta" in caplog.text
    assert "disk full" in caplog.text
    assert (directory / VIEWER).read_bytes() == before[VIEWER]
    assert not list(directory.glob(".*"))

    filler.unlink()
    assert agent.cycle()  # nothing new from the server, but the viewer catches up
    assert b'id="bascule-file-1"' in (directory / VIEWER).read_bytes()
    assert json.loads((directory / "status.json").read_text())["seq"] == 16


# --- (e) servers answering garbage ----------------------------------------------------

NEWER = reply(200, JSON, b'{"kit_seq": 999, "head_seq": 999}')
GARBAGE_CASES: dict[str, tuple[Any, str]] = {
    "captive portal page": (
        lambda _kit: {LATEST: reply(200, "text/html", b"<html>Portail Wi-Fi</html>")},
        "answered HTTP 200 text/html to latest, not JSON",
    ),
    "latest without sequence numbers": (
        lambda _kit: {LATEST: reply(200, JSON, b'{"kit_seq": "17"}')},
        "lacks kit_seq or head_seq",
    ),
    "HTML instead of a kit": (
        lambda _kit: {LATEST: NEWER, KIT: reply(200, "text/html", b"<!doctype html><p>Oups")},
        "answered text/html instead of a kit",
    ),
    "a valid kit with the wrong content type": (
        lambda kit: {LATEST: NEWER, KIT: reply(200, "text/plain", kit)},
        "answered text/plain instead of a kit",
    ),
    "random bytes": (
        lambda _kit: {
            LATEST: NEWER,
            KIT: reply(200, OCTET_STREAM, random.Random(1).randbytes(9000)),
        },
        "not a bascule kit (bad magic bytes)",
    ),
    "half a kit": (
        lambda kit: {LATEST: NEWER, KIT: reply(200, OCTET_STREAM, kit[: len(kit) // 2])},
        "signature does not verify",
    ),
    "transfer cut off": (
        lambda kit: {LATEST: NEWER, KIT: cut_short(kit, len(kit) // 2)},
        "truncated answer",
    ),
    "a delta that is junk": (
        lambda _kit: {
            LATEST: reply(200, JSON, b'{"kit_seq": 15, "head_seq": 999}'),
            DELTA: reply(200, OCTET_STREAM, b"BSCLKIT1\xff\xff\xff\xff" + b"?" * 200),
        },
        "truncated or corrupt",
    ),
    "error 500 in JSON": (
        lambda _kit: {LATEST: reply(500, JSON, b'{"status":"error","detail":"database down"}')},
        "server answered HTTP 500: database down",
    ),
    "error 500 in HTML": (
        lambda _kit: {LATEST: reply(500, "text/html", b"<h1>Internal Server Error</h1>")},
        "server answered HTTP 500: Internal Server Error",
    ),
    "error 502 on the kit": (
        lambda _kit: {LATEST: NEWER, KIT: reply(502, "text/html", b"Bad Gateway")},
        "server answered HTTP 502",
    ),
    "a redirect elsewhere": (
        lambda _kit: {LATEST: reply(302, "text/html", b"")},
        "redirected (302) instead of answering",
    ),
    "hangs up": (lambda _kit: {LATEST: hang_up}, "broke off its answer: RemoteDisconnected"),
    "says nothing": (lambda _kit: {LATEST: silent_for(1.5)}, "timeout after 0.3 s"),
}


@pytest.mark.parametrize("case", list(GARBAGE_CASES))
def test_garbage_from_the_server_is_refused_and_the_last_good_kit_kept(
    *,
    case: str,
    group: Database,
    publisher: Publisher,
    holding: Path,
    token: str,
    public_key: Ed25519PublicKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    new_patient(group, 6)
    valid_newer_kit = publisher.publish_kit("rennes").path.read_bytes()
    answers, message = GARBAGE_CASES[case]
    before = without_status(snapshot(holding))
    with ScriptedServer() as garbage:
        garbage.answers.update(answers(valid_newer_kit))
        agent = agent_at(garbage.url, holding, token, public_key, timeout=0.3)
        caplog.clear()
        assert not agent.cycle()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert message in errors[0]
    assert "keeping what is held (holding sequence 16, kit age" in errors[0]
    assert without_status(snapshot(holding)) == before
    assert message in json.loads((holding / "status.json").read_text())["last_error"]["message"]


# --- (f) a kit signed by another key ----------------------------------------------------


def test_kits_signed_by_another_key_are_refused(
    *,
    group: Database,
    other_keys: KeyStore,
    keys: KeyStore,
    holding: Path,
    token: str,
    public_key: Ed25519PublicKey,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    new_patient(group, 6)
    impostor_publisher = Publisher(group, other_keys, tmp_path / "impostor-kits")
    foreign = fingerprint(load_public_key(other_keys.public_key_path))
    expected = f"signed by key {foreign}, not the group key {keys.fingerprint()}"
    before = without_status(snapshot(holding))
    with BackgroundServer(kit_app(group, impostor_publisher)) as impostor:
        impostor_publisher.publish_kit("rennes")
        holder = agent_at(impostor.url, holding, token, public_key)
        newcomer = agent_at(impostor.url, tmp_path / "new-agent", token, public_key)
        caplog.clear()
        assert not holder.cycle()
        assert not newcomer.cycle()
    assert caplog.text.count(expected) == 2
    assert without_status(snapshot(holding)) == before
    assert sorted(p.name for p in newcomer.config.directory.iterdir()) == ["status.json"]

    # A foreign kit copied into the directory is set aside at the next start.
    (holding / "kit-17.bkit").write_bytes(impostor_publisher.kit("rennes").path.read_bytes())
    restarted = agent_at(impostor.url, holding, token, public_key)
    assert restarted.holdings.current is not None
    assert restarted.holdings.current.seq == 16
    assert (holding / "kit-17.bkit.invalid").exists()
