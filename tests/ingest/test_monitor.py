from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bascule.clock import SimulatedClock
from bascule.crisis.accounts import add_user
from bascule.ingest.monitor import FeedRule, FeedRules, FeedRulesError, check_feeds, load_rules
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.web.app import create_app
from tests.factories import record, site
from tests.web.conftest import password_for, signed_in

# 10:00 in Paris (UTC+1 in winter).
START = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def clocked(db_url: str) -> Iterator[tuple[Database, SimulatedClock]]:
    clock = SimulatedClock(START)
    db = Database(db_url, clock=clock)
    upgrade(db)
    record(db, [changes.site_registered(site("rennes"))])
    yield db, clock
    db.dispose()


def _message(db: Database, number: int, source: str = "PAS/RENNES") -> None:
    record(
        db,
        [
            changes.ingest_message_logged(
                source=source,
                control_id=f"M{number}",
                message_type="ADT^A08",
                site_id="rennes",
                received_at=db.clock.now(),
                status="AA",
                ack="MSH|^~\\&|...",
                error=None,
                raw=None,
            )
        ],
    )


def test_a_silent_feed_is_journaled_and_shown_then_resumes(
    clocked: tuple[Database, SimulatedClock],
) -> None:
    db, clock = clocked
    rules = FeedRules(FeedRule(threshold_minutes=15))
    _message(db, 1)
    clock.advance(timedelta(minutes=10))
    assert check_feeds(db, rules) == []
    clock.advance(timedelta(minutes=10))
    (silent,) = check_feeds(db, rules)
    assert (silent.kind, silent.entity_id) == ("feed.silent", "rennes/PAS/RENNES")
    assert check_feeds(db, rules) == []  # reported once, not at every check
    add_user(
        db,
        username="viewer",
        display_name="Viewer",
        role="viewer",
        sites=[],
        password=password_for("viewer"),
        actor="test",
    )
    with TestClient(create_app(db)) as client:
        assert client.get("/api/feeds").status_code == 401
        (feed,) = signed_in(client, "viewer").get("/api/feeds").json()
    assert feed["status"] == "silent"
    assert feed["silent_since"] == "2026-12-08T09:20:00.000000Z"
    clock.advance(timedelta(minutes=5))
    _message(db, 2)
    (resumed,) = check_feeds(db, rules)
    assert resumed.kind == "feed.resumed"
    with db.reading() as session:
        kinds = [entry.kind for entry in journal.tail(session, 10)]
    assert kinds.count("feed.silent") == 1
    assert kinds[-1] == "feed.resumed"


def test_silence_outside_active_hours_is_not_an_alarm(
    clocked: tuple[Database, SimulatedClock],
) -> None:
    db, clock = clocked
    night_shift_off = FeedRules(
        FeedRule(threshold_minutes=5, active_from_hour=7, active_until_hour=10)
    )
    _message(db, 1)
    clock.advance(timedelta(hours=2))  # 12:00 in Paris, after the active hours
    assert check_feeds(db, night_shift_off) == []


def test_rules_file_per_source_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "feeds.yaml"
    good.write_text(
        "default: {threshold_minutes: 30}\n"
        "sources:\n"
        "  - {site: rennes, source: PAS/RENNES, threshold_minutes: 5, active_hours: [7, 20]}\n",
        encoding="utf-8",
    )
    rules = load_rules(good)
    assert rules.rule_for("rennes", "PAS/RENNES") == FeedRule(5, 7, 20)
    assert rules.rule_for("nantes", "PAS/NANTES").threshold_minutes == 30
    bad_hours = tmp_path / "hours.yaml"
    bad_hours.write_text("sources:\n  - {site: rennes, source: X, active_hours: [20, 7]}\n")
    with pytest.raises(FeedRulesError, match=r"sources\[0\]: active_hours"):
        load_rules(bad_hours)
    broken = tmp_path / "broken.yaml"
    broken.write_text("default: {threshold_minutes: 5\nsources: [\n")
    with pytest.raises(FeedRulesError, match=r"broken.yaml line \d+: not valid YAML"):
        load_rules(broken)
