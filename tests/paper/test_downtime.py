import re
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.errors import UnknownEntityError
from bascule.kit.content import Window, build_content
from bascule.paper.downtime import (
    MAX_SERIAL,
    DowntimeIdError,
    display_downtime_id,
    downtime_id,
    parse_downtime_id,
    ranges_from_kit,
    reserve,
    site_ranges,
)
from bascule.store import changes, journal
from bascule.store.database import Database
from tests.factories import record, site

AT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
SERIALS = st.integers(min_value=1, max_value=MAX_SERIAL)
NORMAL_IDS = re.compile(r"^(?:\d+|P\d+)$")


def _group(db: Database) -> None:
    record(db, [changes.site_registered(site(name)) for name in ("rennes", "nantes", "quimper")])


@given(SERIALS)
def test_display_and_parse_round_trip(serial: int) -> None:
    identifier = downtime_id(serial)
    assert parse_downtime_id(identifier) == serial
    assert parse_downtime_id(display_downtime_id(identifier).lower()) == serial
    assert not NORMAL_IDS.match(identifier)


@given(SERIALS, st.integers(min_value=1, max_value=9), st.data())
def test_check_digits_catch_every_single_wrong_digit(
    serial: int, shift: int, data: st.DataObject
) -> None:
    identifier = downtime_id(serial)
    position = data.draw(st.integers(min_value=1, max_value=len(identifier) - 1))
    wrong = str((int(identifier[position]) + shift) % 10)
    typo = identifier[:position] + wrong + identifier[position + 1 :]
    with pytest.raises(DowntimeIdError):
        parse_downtime_id(typo)


@given(SERIALS, st.data())
def test_check_digits_catch_every_swap_of_neighbours(serial: int, data: st.DataObject) -> None:
    identifier = downtime_id(serial)
    position = data.draw(st.integers(min_value=1, max_value=len(identifier) - 2))
    a, b = identifier[position], identifier[position + 1]
    if a == b:
        return
    swapped = identifier[:position] + b + a + identifier[position + 2 :]
    with pytest.raises(DowntimeIdError):
        parse_downtime_id(swapped)


@pytest.mark.parametrize("text", ["", "D12", "X000012320", "D00001232O", "D000000000"])
def test_malformed_ids_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(DowntimeIdError, match="downtime id"):
        parse_downtime_id(text)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(["rennes", "nantes", "quimper"]), st.integers(1, 300))))
def test_ranges_never_overlap_across_sites(db: Database, requests: list[tuple[str, int]]) -> None:
    with db.reading() as session:
        if not site_ranges(session, "rennes") and journal.count(session) == 0:
            _group(db)
    for site_id, count in requests:
        with db.writing() as session:
            reserve(session, site_id, count, actor="test", at=AT)
    owner: dict[int, str] = {}
    with db.reading() as session:
        for site_id in ("rennes", "nantes", "quimper"):
            for block in site_ranges(session, site_id):
                for serial in range(block.first, block.first + block.count):
                    assert serial not in owner, f"serial {serial} given twice"
                    owner[serial] = site_id


def test_concurrent_reservations_do_not_overlap(db: Database) -> None:
    _group(db)
    errors: list[BaseException] = []

    def take(site_id: str) -> None:
        try:
            for _ in range(5):
                with db.writing() as session:
                    reserve(session, site_id, 50, actor=site_id, at=AT)
        except BaseException as exc:  # reported below, with the thread's site
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(name,)) for name in ("rennes", "nantes")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.reading() as session:
        blocks = site_ranges(session, "rennes") + site_ranges(session, "nantes")
    serials = [s for block in blocks for s in range(block.first, block.first + block.count)]
    assert sorted(serials) == list(range(1, 501))


def test_reservation_is_journaled_and_carried_by_the_kit(db: Database) -> None:
    _group(db)
    with db.writing() as session:
        first = reserve(session, "nantes", 3, actor="test", at=AT)
        block = reserve(session, "rennes", 4, actor="dsi", at=AT)
    assert (first.first, block.first) == (1, 4)
    with db.reading() as session:
        entry = journal.tail(session, 1)[0]
        assert entry.kind == "downtime_ids.reserved"
        assert (entry.site_id, entry.actor) == ("rennes", "dsi")
    with db.snapshot() as session:
        content = build_content(session, "rennes", Window(AT.date()), AT).content
    carried = ranges_from_kit("rennes", content["downtime_ids"])
    assert [b.ids for b in carried] == [block.ids]
    assert carried[0].ids[0] == downtime_id(4)


@pytest.mark.parametrize("count", [0, -1, 10_001])
def test_reservation_size_is_bounded(db: Database, count: int) -> None:
    _group(db)
    with db.writing() as session, pytest.raises(DowntimeIdError, match="--count"):
        reserve(session, "rennes", count, actor="test", at=AT)


def test_reservation_for_an_unknown_site_is_refused(db: Database) -> None:
    _group(db)
    with db.writing() as session, pytest.raises(UnknownEntityError, match="brest"):
        reserve(session, "brest", 5, actor="test", at=AT)
