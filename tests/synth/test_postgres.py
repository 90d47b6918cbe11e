"""The synthetic group on PostgreSQL: same journal as on SQLite, projections filled."""

from pathlib import Path

import pytest

from bascule.clock import SimulatedClock
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.store.queries import site_summaries
from bascule.synth.group import synthesise
from tests.synth.conftest import NOW, fresh_database, payload_digests


@pytest.mark.postgres
def test_a_small_group_on_postgresql_matches_sqlite(pg_url: str, tmp_path: Path) -> None:
    db = Database(pg_url, clock=SimulatedClock(NOW))
    upgrade(db)
    try:
        report = synthesise(db, patients=600)
        with db.reading() as session:
            assert journal.verify(session).intact
            summaries = site_summaries(session)
        assert sum(s.occupied_beds for s in summaries) == report.stays
        assert sum(s.booked_cases for s in summaries) == report.cases
        sqlite = fresh_database(tmp_path / "g.sqlite3")
        synthesise(sqlite, patients=600)
        assert payload_digests(db) == payload_digests(sqlite)
        sqlite.dispose()
    finally:
        db.dispose()
