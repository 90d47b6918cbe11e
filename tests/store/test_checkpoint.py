from datetime import UTC, datetime, timedelta

from bascule.clock import SimulatedClock
from bascule.store import journal
from bascule.store.checkpoint import QUIET_AFTER, checkpoint_if_quiet
from bascule.store.database import Database
from tests.factories import seeded


def test_quiet_journal_gets_a_checkpoint_that_anchors_its_head(db: Database) -> None:
    clock = SimulatedClock(datetime(2026, 12, 7, 3, tzinfo=UTC))
    db.clock = clock
    seeded(db, patients=2)
    with db.reading() as session:
        head_seq, head_hash = journal.head(session)
    clock.advance(QUIET_AFTER - timedelta(seconds=1))
    assert checkpoint_if_quiet(db) is None
    clock.advance(timedelta(seconds=2))
    assert checkpoint_if_quiet(db) == head_seq + 1
    with db.reading() as session:
        entry = journal.tail(session, 1)[0]
        assert journal.verify(session).intact
    assert entry.kind == "journal.checkpoint"
    assert f'"head_hash":"{head_hash}"' in entry.payload
    assert checkpoint_if_quiet(db) is None  # the checkpoint itself is recent


def test_empty_journal_needs_no_checkpoint(db: Database) -> None:
    assert checkpoint_if_quiet(db, quiet_for=timedelta(0)) is None
