from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bascule.clock import SimulatedClock
from bascule.ingest.background import BackgroundMllp
from bascule.ingest.processing import Processor
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.store.tables import StayRow, SurgicalCaseRow, WardRow
from bascule.synth.group import synthesise
from bascule.synth.hl7feed import feed_messages
from bascule.synth.hl7send import ack_code, send_messages

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.fixture
def group(db_url: str) -> Iterator[Database]:
    db = Database(db_url, clock=SimulatedClock(NOW))
    upgrade(db)
    synthesise(db, patients=800, seed=2, start=date(2026, 12, 7))
    yield db
    db.dispose()


def _state(db: Database) -> tuple[int, int, int]:
    with db.reading() as session:
        inpatients = session.scalar(
            select(func.count())
            .select_from(StayRow)
            .where(StayRow.site_id == "rennes", StayRow.discharged_at.is_(None))
        )
        booked = session.scalar(
            select(func.count())
            .select_from(SurgicalCaseRow)
            .where(SurgicalCaseRow.site_id == "rennes", SurgicalCaseRow.status == "booked")
        )
        wards = session.scalar(select(func.count()).select_from(WardRow))
    return inpatients or 0, booked or 0, wards or 0


def _events(messages: list[str]) -> Counter[str]:
    return Counter(message.split("|")[8].split("^")[1] for message in messages)


def test_every_feed_message_is_accepted_and_moves_the_store_as_it_says(group: Database) -> None:
    with group.reading() as session:
        messages = feed_messages(session, "rennes", 250, seed=4, start=NOW)
    events = _events(messages)
    assert set(events) == {"A01", "A02", "A03", "A08", "A28", "S12", "S13", "S15"}
    inpatients, booked, wards = _state(group)
    acks = Processor(group, site_id="rennes").process_batch(
        [message.encode() for message in messages], NOW
    )
    assert Counter(ack_code(ack) for ack in acks) == {"AA": 250}
    assert _state(group) == (
        inpatients + events["A01"] - events["A03"],
        booked + events["S12"] - events["S15"],
        wards,  # every location the feed names is a known ward
    )


def test_the_same_seed_gives_the_same_feed(group: Database) -> None:
    with group.reading() as session:
        first = feed_messages(session, "rennes", 50, seed=9, start=NOW)
        second = feed_messages(session, "rennes", 50, seed=9, start=NOW)
    assert first == second


def test_sent_over_mllp_by_several_connections_everything_is_acknowledged(
    group: Database,
) -> None:
    with group.reading() as session:
        messages = feed_messages(session, "nantes", 120, seed=5, start=NOW)
        before = journal.count(session)
    with BackgroundMllp(Processor(group, site_id="nantes")) as listener:
        report = send_messages(messages, "127.0.0.1", listener.port, senders=4)
    assert report.codes == {"AA": 120}
    assert not report.failures
    with group.reading() as session:
        # Each message: its changes plus the log entry.
        assert journal.count(session) - before >= 240
