"""The kit API over real HTTP: a uvicorn server on loopback, the real application."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from bascule.clock import SimulatedClock
from bascule.kit.agent_store import revoke_tokens, site_freshness
from bascule.kit.build import verified
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.publish import Publisher
from bascule.store import changes
from bascule.store.database import Database
from bascule.web.routers import kits
from bascule.web.server import BackgroundServer
from tests.factories import patient, record
from tests.kit.agent_support import issue_token, kit_app, make_keys
from tests.kit.group import build_group

START = datetime(2026, 12, 7, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def group(db: Database) -> Database:
    db.clock = SimulatedClock(START)
    build_group(db)
    return db


@pytest.fixture
def publisher(group: Database, keys: KeyStore, tmp_path: Path) -> Publisher:
    return Publisher(group, keys, tmp_path / "kits")


@pytest.fixture
def tokens(group: Database) -> dict[str, str]:
    return {site: issue_token(group, site) for site in ("rennes", "nantes")}


@pytest.fixture
def server(group: Database, publisher: Publisher, tokens: dict[str, str]) -> Iterator[str]:
    with BackgroundServer(kit_app(group, publisher)) as live:
        yield live.url


def get(url: str, token: str | None, **params: object) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.get(url, headers=headers, params=params, timeout=30)  # type: ignore[arg-type]


def test_missing_unknown_or_revoked_tokens_get_401(
    server: str, group: Database, tokens: dict[str, str]
) -> None:
    url = f"{server}/api/kits/rennes/latest"
    for headers in ({}, {"Authorization": "Bearer bsa_nope"}, {"Authorization": "Basic eDp5"}):
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json() == {
            "status": "error",
            "detail": "missing, unknown or revoked agent token",
        }
    assert get(url, tokens["rennes"]).status_code == 200
    with group.writing() as session:
        revoke_tokens(session, "rennes", actor="test", at=group.clock.now())
    assert get(url, tokens["rennes"]).status_code == 401


def test_a_replaced_token_stops_working(
    server: str, group: Database, tokens: dict[str, str]
) -> None:
    fresh = issue_token(group, "rennes", replace=True)
    assert get(f"{server}/api/kits/rennes/latest", tokens["rennes"]).status_code == 401
    assert get(f"{server}/api/kits/rennes/latest", fresh).status_code == 200


def test_another_sites_token_gets_403_whether_the_site_exists_or_not(
    server: str, tokens: dict[str, str]
) -> None:
    known = get(f"{server}/api/kits/rennes/kit", tokens["nantes"])
    unknown = get(f"{server}/api/kits/lyon/kit", tokens["nantes"])
    assert known.status_code == unknown.status_code == 403
    assert known.json() == unknown.json()
    assert "rennes" not in unknown.text
    assert "nantes" not in unknown.text


def test_kit_then_deltas_then_no_change(
    server: str, group: Database, keys: KeyStore, tokens: dict[str, str]
) -> None:
    public_key = load_public_key(keys.public_key_path)
    base = f"{server}/api/kits/rennes"
    token = tokens["rennes"]
    before = get(f"{base}/latest", token).json()
    assert before == {"site": "rennes", "kit_seq": None, "head_seq": 16, "created_at": None}

    kit = get(f"{base}/kit", token)  # built on demand
    assert kit.status_code == 200
    assert kit.headers["content-type"] == "application/octet-stream"
    assert kit.headers["x-bascule-seq"] == "16"
    parsed = verified(kit.content, public_key, "kit")
    assert (parsed.kind, parsed.site, parsed.seq) == ("kit", "rennes", 16)
    latest = get(f"{base}/latest", token).json()
    assert (latest["kit_seq"], latest["head_seq"]) == (16, 16)
    assert latest["created_at"] == parsed.created_at

    unchanged = get(f"{base}/delta", token, after=16)
    assert unchanged.status_code == 204
    assert unchanged.content == b""

    record(group, [changes.patient_registered(patient(5), "rennes")])
    delta = get(f"{base}/delta", token, after=16)
    assert delta.status_code == 200
    assert (delta.headers["x-bascule-base-seq"], delta.headers["x-bascule-seq"]) == ("16", "17")
    parsed_delta = verified(delta.content, public_key, "delta")
    assert (parsed_delta.kind, parsed_delta.base_seq, parsed_delta.seq) == ("delta", 16, 17)
    assert get(f"{base}/delta", token, after=17).status_code == 204


def test_a_sequence_the_server_cannot_start_from_gets_409(
    server: str, tokens: dict[str, str]
) -> None:
    base = f"{server}/api/kits/rennes"
    for after in (3, 99):
        answer = get(f"{base}/delta", tokens["rennes"], after=after)
        assert answer.status_code == 409
        body = answer.json()
        assert body["status"] == "error"
        assert body["action"] == "fetch-full-kit"
        assert "full kit" in body["detail"]


def test_bad_requests_get_json_errors(server: str, tokens: dict[str, str]) -> None:
    base = f"{server}/api/kits/rennes"
    for after in ("abc", "-1", "1e3", ""):
        answer = get(f"{base}/delta", tokens["rennes"], after=after)
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("query.after")
    assert get(f"{base}/delta", None, after="abc").status_code == 401  # the token comes first
    posted = httpx.post(
        f"{base}/heartbeat",
        headers={"Authorization": f"Bearer {tokens['rennes']}"},
        content=b"<html>not json</html>",
    )
    assert posted.status_code == 422
    assert posted.json()["status"] == "error"
    assert "Traceback" not in posted.text


def test_heartbeats_feed_the_freshness_of_each_site(
    server: str, group: Database, tokens: dict[str, str]
) -> None:
    url = f"{server}/api/kits/rennes/heartbeat"
    headers = {"Authorization": f"Bearer {tokens['rennes']}"}
    beat = {"agent_id": "pc-accueil-1a2b", "seq": 10, "age_seconds": 42.5, "kit_count": 2}
    assert httpx.post(url, headers=headers, json=beat).json() == {"status": "ok", "head_seq": 16}
    group.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    later = {**beat, "seq": 16, "age_seconds": 3.0, "disk_free_bytes": 10**9}
    assert httpx.post(url, headers=headers, json=later).status_code == 200

    with group.reading() as session:
        nantes, rennes = site_freshness(session)  # by site id
    assert (nantes.has_token, nantes.agents) == (True, ())
    (agent,) = rennes.agents
    assert (agent.agent_id, agent.seq, agent.entries_behind) == ("pc-accueil-1a2b", 16, 0)
    assert (agent.kit_count, agent.disk_free_bytes, agent.address) == (2, 10**9, "127.0.0.1")
    assert agent.first_seen == START
    assert agent.last_seen == START + timedelta(minutes=2)
    assert agent.data_age_seconds(START + timedelta(minutes=3)) == 63.0
    assert rennes.best_seq == 16

    status = get(f"{server}/api/kits/status", tokens["rennes"]).json()
    assert status["site"] == "rennes"
    assert [a["agent_id"] for a in status["agents"]] == ["pc-accueil-1a2b"]
    assert get(f"{server}/api/kits/status", tokens["nantes"]).json()["agents"] == []
    assert get(f"{server}/api/kits/status", None).status_code == 401


def test_a_server_without_keys_answers_503_without_details(
    group: Database, tokens: dict[str, str], tmp_path: Path
) -> None:
    publisher = Publisher(group, KeyStore(tmp_path / "no-keys"), tmp_path / "kits")
    with BackgroundServer(kit_app(group, publisher)) as live:
        answer = get(f"{live.url}/api/kits/rennes/kit", tokens["rennes"])
    assert answer.status_code == 503
    assert answer.json()["detail"] == "the server cannot provide kits right now"
    assert str(tmp_path) not in answer.text


def test_the_lifespan_rebuilds_kits_in_the_background(
    group: Database, publisher: Publisher, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASCULE_KIT_REBUILD_MINUTES", "0.001")
    app = kit_app(group, publisher)
    app.router.lifespan_context = kits.lifespan
    with TestClient(app):
        deadline = time.monotonic() + 10
        while publisher.latest("rennes") is None or publisher.latest("nantes") is None:
            assert time.monotonic() < deadline, "no kit built by the background task"
            time.sleep(0.02)
        record(group, [changes.patient_registered(patient(5), "rennes")])
        while (latest := publisher.latest("rennes")) is None or latest.seq < 17:
            assert time.monotonic() < deadline, "the kit was not rebuilt after a change"
            time.sleep(0.02)
