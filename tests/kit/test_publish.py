import asyncio
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bascule.clock import SimulatedClock
from bascule.errors import BasculeError
from bascule.kit.build import build_kit_file, open_chain
from bascule.kit.container import open_content, parse
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.publish import (
    FullKitRequiredError,
    Publisher,
    rebuild_interval_minutes,
    rebuild_periodically,
)
from bascule.store import changes
from bascule.store.database import Database
from tests.factories import patient, record
from tests.kit.agent_support import SITE_PASSPHRASE, issue_token, make_keys
from tests.kit.group import build_group, case, stay


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def group(db: Database) -> Database:
    db.clock = SimulatedClock(datetime(2026, 12, 7, 6, tzinfo=UTC))
    build_group(db)
    return db


@pytest.fixture
def publisher(group: Database, keys: KeyStore, tmp_path: Path) -> Publisher:
    return Publisher(group, keys, tmp_path / "kits", keep_kits=2)


def new_patient(db: Database, number: int) -> None:
    record(db, [changes.patient_registered(patient(number), "rennes")])


def content_of(files: list[Path], keys: KeyStore) -> dict[str, object]:
    chain = [(path.name, path.read_bytes()) for path in files]
    return open_chain(chain, load_public_key(keys.public_key_path), SITE_PASSPHRASE)


def full_content(db: Database, keys: KeyStore, as_of: date | None = None) -> dict[str, object]:
    built = build_kit_file(db, keys, "rennes", as_of=as_of)
    return open_content(parse(built.data), SITE_PASSPHRASE)


def test_a_published_kit_is_stored_with_its_private_manifest(
    publisher: Publisher, group: Database
) -> None:
    kit = publisher.publish_kit("rennes")
    site_dir = publisher.site_dir("rennes")
    assert kit.path == site_dir / "kit-14.bkit"
    assert kit.seq == publisher.head() == 14
    assert parse(kit.path.read_bytes()).seq == 14
    assert stat.S_IMODE((site_dir / "manifest-14.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(site_dir.stat().st_mode) == 0o700
    assert sorted(p.name for p in site_dir.iterdir()) == ["kit-14.bkit", "manifest-14.json"]
    assert publisher.latest("rennes") == kit
    assert publisher.latest("nantes") is None


def test_deltas_chain_from_a_kit_and_from_each_other(
    publisher: Publisher, group: Database, keys: KeyStore
) -> None:
    kit = publisher.publish_kit("rennes")
    assert publisher.delta_after("rennes", kit.seq) is None  # nothing changed

    new_patient(group, 5)
    record(group, [changes.stay_admitted(stay(5, "p5", bed="B"))])
    first = publisher.delta_after("rennes", kit.seq)
    assert first is not None
    assert (first.kind, first.base_seq, first.seq) == ("delta", 14, 16)
    assert publisher.delta_after("rennes", kit.seq) == first  # cached, not rebuilt

    new_patient(group, 6)
    second = publisher.delta_after("rennes", first.seq)  # from the delta's own manifest
    assert second is not None
    assert (second.base_seq, second.seq) == (16, 17)
    assert content_of([kit.path, first.path, second.path], keys) == full_content(group, keys)


def test_a_delta_from_an_old_base_replaces_the_cached_one(
    publisher: Publisher, group: Database
) -> None:
    kit = publisher.publish_kit("rennes")
    new_patient(group, 5)
    first = publisher.delta_after("rennes", kit.seq)
    new_patient(group, 6)
    later = publisher.delta_after("rennes", kit.seq)
    assert first is not None
    assert later is not None
    assert later.seq == 16
    assert not first.path.exists()  # nobody at 14 will be served 14 -> 15 any more


def test_unknown_or_future_sequences_need_a_full_kit(publisher: Publisher, group: Database) -> None:
    publisher.publish_kit("rennes")
    new_patient(group, 5)
    with pytest.raises(FullKitRequiredError, match="no longer holds sequence 3"):
        publisher.delta_after("rennes", 3)
    with pytest.raises(FullKitRequiredError, match="beyond the server's journal"):
        publisher.delta_after("rennes", 99)


def test_pruning_keeps_the_last_kits_and_what_chains_from_them(
    publisher: Publisher, group: Database
) -> None:
    first = publisher.publish_kit("rennes")
    new_patient(group, 5)
    old_delta = publisher.delta_after("rennes", first.seq)
    second = publisher.publish_kit("rennes")
    new_patient(group, 6)
    kept_delta = publisher.delta_after("rennes", second.seq)
    new_patient(group, 7)
    third = publisher.publish_kit("rennes")
    assert old_delta is not None
    assert kept_delta is not None

    names = sorted(p.name for p in publisher.site_dir("rennes").iterdir())
    assert names == [
        "delta-15-16.bdelta",
        "kit-15.bkit",
        "kit-17.bkit",
        "manifest-15.json",
        "manifest-16.json",
        "manifest-17.json",
    ]
    assert (kept_delta.base_seq, kept_delta.seq, third.seq) == (15, 16, 17)
    with pytest.raises(FullKitRequiredError):
        publisher.delta_after("rennes", first.seq)
    new_patient(group, 8)
    assert publisher.delta_after("rennes", kept_delta.seq) is not None


def test_files_at_one_sequence_keep_the_day_of_the_first(
    group: Database, keys: KeyStore, tmp_path: Path
) -> None:
    clock = SimulatedClock(datetime(2026, 12, 7, 22, 50, tzinfo=UTC))
    group.clock = clock
    publisher = Publisher(group, keys, tmp_path / "kits")
    # Outside the horizon on 7 December, inside from the 8th: the day changes the content.
    record(group, [changes.case_booked(case(9, "p2", date(2026, 12, 21)))])
    kit = publisher.publish_kit("rennes")
    new_patient(group, 5)
    delta = publisher.delta_after("rennes", kit.seq)  # fixes sequence 16 on 7 December
    assert delta is not None

    clock.advance(timedelta(hours=2))  # past midnight, and the journal stayed quiet
    rebuilt = publisher.publish_kit("rennes")
    assert rebuilt.seq == delta.seq
    content = open_content(parse(rebuilt.path.read_bytes()), SITE_PASSPHRASE)
    assert content["as_of"] == "2026-12-07"
    # Whichever file an agent holds at 15, the next delta brings it to the same content.
    new_patient(group, 6)
    after = publisher.delta_after("rennes", delta.seq)
    assert after is not None
    expected = full_content(group, keys, date(2026, 12, 8))
    assert "c9" in expected["collections"]["cases"]  # type: ignore[index]
    assert content_of([kit.path, delta.path, after.path], keys) == expected
    assert content_of([rebuilt.path, after.path], keys) == expected


def test_refresh_publishes_only_when_the_journal_moved(
    publisher: Publisher, group: Database
) -> None:
    first = publisher.refresh("rennes")
    assert first is not None
    assert publisher.refresh("rennes") is None
    new_patient(group, 5)
    again = publisher.refresh("rennes")
    assert again is not None
    assert again.seq == first.seq + 1


def test_periodic_rebuild_covers_the_sites_with_agents(
    publisher: Publisher, group: Database
) -> None:
    issue_token(group, "nantes")

    async def two_rounds() -> None:
        task = asyncio.create_task(rebuild_periodically(publisher, 0.05))
        await asyncio.sleep(0.3)
        task.cancel()

    asyncio.run(two_rounds())
    assert publisher.latest("rennes") is None
    latest = publisher.latest("nantes")
    assert latest is not None
    assert latest.seq == publisher.head()


def test_a_site_id_cannot_leave_the_kits_directory(publisher: Publisher) -> None:
    with pytest.raises(BasculeError, match="cannot name a kit directory"):
        publisher.publish_kit("../rennes")


def test_rebuild_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BASCULE_KIT_REBUILD_MINUTES", raising=False)
    assert rebuild_interval_minutes() == 15
    monkeypatch.setenv("BASCULE_KIT_REBUILD_MINUTES", "2.5")
    assert rebuild_interval_minutes() == 2.5
    monkeypatch.setenv("BASCULE_KIT_REBUILD_MINUTES", "soon")
    with pytest.raises(BasculeError, match="not a number"):
        rebuild_interval_minutes()
