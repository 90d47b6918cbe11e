"""The site agent against the real server: kits, deltas, the viewer, heartbeats, restarts."""

import base64
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.errors import BasculeError
from bascule.kit.agent import Agent, AgentConfig
from bascule.kit.agent_store import site_freshness
from bascule.kit.build import build_kit_file, open_chain
from bascule.kit.container import open_content, parse
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.publish import Publisher
from bascule.kit.viewer import viewer_name
from bascule.store import changes
from bascule.store.database import Database
from bascule.web.server import BackgroundServer
from tests.factories import patient, record
from tests.kit.agent_support import (
    SITE_PASSPHRASE,
    issue_token,
    kit_app,
    make_keys,
)
from tests.kit.group import build_group

VIEWER = viewer_name("rennes")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def public_key(keys: KeyStore) -> Ed25519PublicKey:
    return load_public_key(keys.public_key_path)


@pytest.fixture
def group(db: Database) -> Database:
    build_group(db)
    return db


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


AgentFactory = Callable[..., Agent]


@pytest.fixture
def make_agent(
    server: BackgroundServer, token: str, public_key: Ed25519PublicKey, tmp_path: Path
) -> AgentFactory:
    def make(**options: Any) -> Agent:
        config = AgentConfig(
            site="rennes",
            server=server.url,
            directory=tmp_path / "agent",
            token=token,
            public_key=public_key,
            interval=0.01,
            max_backoff=0.16,
            timeout=5,
            **options,
        )
        agent = Agent(config, sleep=lambda _seconds: None, jitter=lambda: 1.0)
        agent.start()
        return agent

    return make


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def new_patient(db: Database, number: int) -> None:
    record(db, [changes.patient_registered(patient(number), "rennes")])


def without_build_time(content: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in content.items() if key != "built_at"}


def test_the_agent_takes_the_kit_then_deltas_and_keeps_the_viewer_current(
    make_agent: AgentFactory, group: Database, keys: KeyStore, public_key: Ed25519PublicKey
) -> None:
    agent = make_agent()
    directory = agent.config.directory
    assert agent.cycle()
    assert names(directory) == [VIEWER, "kit-15.bkit", "status.json"]
    kit = (directory / "kit-15.bkit").read_bytes()
    viewer = directory / VIEWER
    assert base64.b64encode(kit) in viewer.read_bytes()
    status = json.loads((directory / "status.json").read_text())
    assert (status["site"], status["seq"], status["kits"]) == ("rennes", 15, 1)
    assert status["last_success"] is not None
    assert status["last_error"] is None

    written = viewer.stat().st_mtime_ns
    assert agent.cycle()  # nothing changed: nothing rewritten
    assert viewer.stat().st_mtime_ns == written

    new_patient(group, 5)
    assert agent.cycle()
    assert names(directory) == [VIEWER, "delta-15-16.bdelta", "kit-15.bkit", "status.json"]
    assert b'id="bascule-file-1"' in viewer.read_bytes()

    chain = [
        (p.name, p.read_bytes())
        for p in (directory / "kit-15.bkit", directory / "delta-15-16.bdelta")
    ]
    held = open_chain(chain, public_key, SITE_PASSPHRASE)
    fresh = open_content(parse(build_kit_file(group, keys, "rennes").data), SITE_PASSPHRASE)
    assert without_build_time(held) == without_build_time(fresh)

    with group.reading() as session:
        (rennes,) = [site for site in site_freshness(session) if site.site_id == "rennes"]
    (beat,) = rennes.agents
    assert (beat.agent_id, beat.seq, beat.entries_behind, beat.kit_count) == (
        agent.agent_id,
        16,
        0,
        1,
    )
    assert beat.disk_free_bytes is not None


def test_a_newer_full_kit_starts_a_chain_and_the_oldest_chains_go(
    make_agent: AgentFactory, group: Database, publisher: Publisher
) -> None:
    agent = make_agent(keep=2)
    directory = agent.config.directory
    assert agent.cycle()
    for number in (5, 7, 9):
        new_patient(group, number)
        assert agent.cycle()  # a delta
        new_patient(group, number + 1)
        publisher.publish_kit("rennes")
        assert agent.cycle()  # the server's newer full kit
    assert names(directory) == [
        VIEWER,
        "delta-19-20.bdelta",
        "kit-19.bkit",
        "kit-21.bkit",
        "status.json",
    ]
    assert [chain.kit.seq for chain in agent.holdings.chains] == [19, 21]


def test_a_restart_verifies_again_and_sets_aside_what_was_altered(
    make_agent: AgentFactory, group: Database, caplog: pytest.LogCaptureFixture
) -> None:
    agent = make_agent()
    assert agent.cycle()
    new_patient(group, 5)
    assert agent.cycle()
    delta = agent.config.directory / "delta-15-16.bdelta"
    altered = bytearray(delta.read_bytes())
    altered[-1] ^= 0x01
    delta.write_bytes(bytes(altered))

    with caplog.at_level(logging.WARNING, logger="bascule.agent"):
        restarted = make_agent()
    assert "signature does not verify: the file was altered" in caplog.text
    assert (agent.config.directory / "delta-15-16.bdelta.invalid").exists()
    assert restarted.holdings.current is not None
    assert restarted.holdings.current.seq == 15
    assert restarted.cycle()  # fetches the delta again, rewrites the viewer from good files
    assert restarted.holdings.current.seq == 16
    assert delta.read_bytes() != bytes(altered)


def test_status_survives_a_restart(make_agent: AgentFactory, server: BackgroundServer) -> None:
    agent = make_agent()
    assert agent.cycle()
    server.stop()
    assert not agent.cycle()
    restarted = make_agent()
    status = restarted.status()
    assert status["seq"] == 15
    assert status["last_success"] is not None
    assert "unreachable" in status["last_error"]["message"]


def test_an_unexpected_failure_does_not_stop_the_loop(
    make_agent: AgentFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    agent = make_agent()
    real_sync = agent._sync
    calls: list[int] = []

    def flaky_sync() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        real_sync()

    monkeypatch.setattr(agent, "_sync", flaky_sync)
    with caplog.at_level(logging.ERROR, logger="bascule.agent"):
        agent.run(cycles=2)
    assert "unexpected failure; keeping what is held (holding no kit yet)" in caplog.text
    assert agent.failures == 0
    assert agent.holdings.current is not None


def test_an_unusable_directory_is_one_clear_error(
    server: BackgroundServer, token: str, public_key: Ed25519PublicKey, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = AgentConfig("rennes", server.url, blocker / "agent", token, public_key)
    with pytest.raises(BasculeError, match=f"cannot use {blocker / 'agent'}: Not a directory"):
        Agent(config).start()
