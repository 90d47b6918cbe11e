from dataclasses import asdict, replace

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bascule.errors import JournalIntegrityError, UnknownEntityError
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.journal import Change, JournalEntry, entry_hash
from bascule.store.tables import JournalEntryRow, PatientRow
from tests.factories import patient, record, seeded, site


def verify(db: Database) -> journal.VerifyReport:
    with db.reading() as session:
        return journal.verify(session)


def test_appends_get_consecutive_numbers_and_chain(db: Database) -> None:
    first = record(db, [changes.site_registered(site())])
    rest = record(db, [changes.patient_registered(patient(n)) for n in range(3)])
    assert first + rest == [1, 2, 3, 4]
    with db.reading() as session:
        entries = journal.tail(session, 10)
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert entries[0].prev_hash == journal.GENESIS_HASH
    assert verify(db).intact


def test_projection_is_written_with_the_entry(db: Database) -> None:
    seeded(db, patients=3)
    with db.reading() as session:
        names = sorted(session.scalars(select(PatientRow.birth_family_name)))
        payload = journal.tail(session, 1)[0].payload
    assert names == ["Le Goff-0", "Le Goff-1", "Le Goff-2"]
    assert "pénicilline" in payload  # canonical JSON keeps UTF-8 as is


def test_fresh_database_verifies_as_empty_and_intact(db: Database) -> None:
    report = verify(db)
    assert report.intact
    assert report.entries == 0


def test_tampered_entry_breaks_chain(db: Database) -> None:
    seeded(db)
    with db.engine.begin() as connection:
        connection.execute(
            update(JournalEntryRow)
            .where(JournalEntryRow.seq == 5)
            .values(payload=JournalEntryRow.payload + " ")
        )
    report = verify(db)
    assert not report.intact
    assert report.problems[0].startswith("entry 5 was modified")


def test_tampered_actor_breaks_chain(db: Database) -> None:
    seeded(db)
    with db.engine.begin() as connection:
        connection.execute(
            update(JournalEntryRow).where(JournalEntryRow.seq == 2).values(actor="intruder")
        )
    assert verify(db).problems[0].startswith("entry 2 was modified")


def test_rehashed_tampering_is_caught_at_the_next_entry(db: Database) -> None:
    seeded(db)
    with db.reading() as session:
        entry = next(e for e in journal.entries_after(session, 3) if e.seq == 4)
    forged = replace(entry, payload='{"x":1}')
    with db.engine.begin() as connection:
        connection.execute(
            update(JournalEntryRow)
            .where(JournalEntryRow.seq == 4)
            .values(payload=forged.payload, hash=entry_hash(forged))
        )
    assert verify(db).problems[0].startswith("entry 5 does not follow entry 4")


def _forge(db: Database, after: JournalEntry, seq: int) -> None:
    """Insert an entry that chains correctly to ``after`` but bypasses the journal."""
    forged = JournalEntry(
        seq=seq,
        recorded_at=after.recorded_at,
        actor="intruder",
        site_id=None,
        kind="patient.registered",
        entity_type="patient",
        entity_id="ghost",
        payload="{}",
        prev_hash=after.hash,
        hash="",
    )
    with db.engine.begin() as connection:
        connection.execute(
            insert(JournalEntryRow).values(**{**asdict(forged), "hash": entry_hash(forged)})
        )


def test_deleted_entry_is_named(db: Database) -> None:
    seeded(db)
    with db.engine.begin() as connection:
        connection.execute(delete(JournalEntryRow).where(JournalEntryRow.seq == 6))
    assert verify(db).problems[0].startswith("entry 6 is missing (deleted)")


def test_deleted_last_entry_is_named(db: Database) -> None:
    seeded(db)
    with db.engine.begin() as connection:
        connection.execute(delete(JournalEntryRow).where(JournalEntryRow.seq == 11))
    assert verify(db).problems[0].startswith("entries 11..11 are missing")


def test_swapped_entries_are_named(db: Database) -> None:
    seeded(db)
    with db.engine.begin() as connection:
        connection.execute(update(JournalEntryRow).where(JournalEntryRow.seq == 4).values(seq=-4))
        connection.execute(update(JournalEntryRow).where(JournalEntryRow.seq == 7).values(seq=4))
        connection.execute(update(JournalEntryRow).where(JournalEntryRow.seq == -4).values(seq=7))
    assert verify(db).problems[0].startswith("entry 4 does not follow entry 3")


def test_inserted_entry_is_named(db: Database) -> None:
    seeded(db)
    with db.reading() as session:
        third = next(e for e in journal.entries_after(session, 2))
    with db.engine.begin() as connection:
        for seq in range(11, 3, -1):  # make room after entry 3
            connection.execute(
                update(JournalEntryRow).where(JournalEntryRow.seq == seq).values(seq=seq + 1)
            )
    _forge(db, third, 4)
    assert verify(db).problems[0].startswith("entry 5 does not follow entry 4")


def test_entry_appended_outside_the_journal_is_named(db: Database) -> None:
    seeded(db, patients=2)
    with db.reading() as session:
        last = journal.tail(session, 1)[0]
    _forge(db, last, last.seq + 1)
    assert "added outside the journal" in verify(db).problems[0]


def _journal_length(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(JournalEntryRow)) or 0)


def test_unknown_site_is_refused_and_nothing_written(db: Database) -> None:
    seeded(db, patients=1)
    before = _journal_length(db)
    with pytest.raises(UnknownEntityError, match=r"unknown site id 'brest'.*rennes"):
        record(
            db,
            [
                changes.patient_registered(patient(50), "rennes"),
                changes.patient_registered(patient(51, "rennes"), "brest"),
            ],
        )
    assert _journal_length(db) == before
    assert verify(db).intact


def test_failed_projection_rolls_back_the_entry(db: Database) -> None:
    seeded(db, patients=1)
    before = _journal_length(db)
    with pytest.raises(IntegrityError):
        record(
            db, [changes.patient_registered(patient(7)), changes.patient_registered(patient(0))]
        )  # p0 exists already
    assert _journal_length(db) == before
    with db.reading() as session:
        assert session.get(PatientRow, "p7") is None
        assert journal.head(session)[0] == before
    assert verify(db).intact


def test_unknown_kind_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="no projector"):
        record(db, [Change("nonsense.kind", "x", "1", {})])


def test_append_on_the_locked_head_chains_as_usual(db: Database) -> None:
    seeded(db, patients=1)
    with db.writing() as session:
        head = journal.lock(session)
        seqs = journal.append(
            session,
            [changes.patient_registered(patient(8), "rennes")],
            actor="test",
            at=db.clock.now(),
            head=head,
        )
    assert seqs == [head[0] + 1]
    assert verify(db).intact


def _append_on_a_stale_head(db: Database) -> None:
    with db.writing() as session:
        stale = journal.lock(session)
        journal.append(
            session, [changes.patient_registered(patient(8))], actor="test", at=db.clock.now()
        )
        journal.append(
            session,
            [changes.patient_registered(patient(9))],
            actor="test",
            at=db.clock.now(),
            head=stale,
        )


def test_append_on_a_head_that_moved_is_refused_and_nothing_written(db: Database) -> None:
    seeded(db, patients=1)
    before = _journal_length(db)
    with pytest.raises(JournalIntegrityError, match="head moved"):
        _append_on_a_stale_head(db)
    assert _journal_length(db) == before
    assert verify(db).intact


def _record_with_known(db: Database, items: list[Change], known: set[str]) -> None:
    with db.writing() as session:
        journal.append(session, items, actor="test", at=db.clock.now(), known_sites=known)


def test_known_sites_spare_the_check_of_those_sites_only(db: Database) -> None:
    seeded(db, patients=1)
    before = _journal_length(db)
    to_brest = [
        changes.patient_registered(patient(50), "rennes"),
        changes.patient_registered(patient(51, "rennes"), "brest"),
    ]
    with pytest.raises(UnknownEntityError, match="unknown site id 'brest'"):
        _record_with_known(db, to_brest, {"rennes"})
    assert _journal_length(db) == before
    _record_with_known(db, [changes.patient_registered(patient(52), "rennes")], {"rennes"})
    assert _journal_length(db) == before + 1
    assert verify(db).intact
