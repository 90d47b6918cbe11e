"""The durable core: one transaction per batch, savepoint per message, ACK only once committed."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from bascule.errors import UnknownEntityError
from bascule.ingest.processing import Processor
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.kinds import INGEST_MESSAGE_LOGGED
from bascule.store.tables import IngestMessageRow, JournalEntryRow, PatientLocalIdRow
from tests.ingest.mllp_support import (
    SITE,
    SOURCE,
    ack_fields,
    failing_commit,
    journal_intact,
    log_entries,
    person_message,
    refused_message,
    seeded_site,
)

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.fixture
def processor(db: Database) -> Processor:
    seeded_site(db)
    return Processor(db, site_id=SITE)


def encoded(message: str) -> bytes:
    return message.encode("utf-8")


def row(db: Database, control_id: str) -> IngestMessageRow:
    with db.reading() as session:
        found = session.scalars(
            select(IngestMessageRow).where(IngestMessageRow.control_id == control_id)
        ).one()
        session.expunge(found)
        return found


def kinds(db: Database) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(JournalEntryRow.kind).order_by(JournalEntryRow.seq)))


def ipps(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(PatientLocalIdRow.local_id)))


def test_accepted_message_is_journaled_with_its_log_entry(
    db: Database, processor: Processor
) -> None:
    before = kinds(db)
    [reply] = processor.process_batch([encoded(person_message("C1", "1001"))], NOW)
    assert ack_fields(reply) == ("AA", "C1")
    assert reply.startswith(b"MSH|^~\\&|BASCULE|rennes|PAS|RENNES|")
    added = kinds(db)[len(before) :]
    assert added[-1] == INGEST_MESSAGE_LOGGED
    assert len(added) >= 2  # the message's own changes come first
    assert "1001" in ipps(db)
    logged = row(db, "C1")
    assert (logged.source, logged.status, logged.message_type) == (SOURCE, "AA", "ADT^A28")
    assert logged.ack.encode("utf-8") == reply
    assert logged.raw is None
    assert logged.site_id == SITE
    assert journal_intact(db)


def test_repeated_control_id_gets_the_same_ack_and_writes_nothing(
    db: Database, processor: Processor
) -> None:
    message = encoded(person_message("C2", "1002"))
    [first] = processor.process_batch([message], NOW)
    with db.reading() as session:
        entries = journal.count(session)
    [again] = processor.process_batch([message], NOW)
    # Within one batch too: the second copy is answered from the first.
    twice = processor.process_batch([message, message], NOW)
    assert again == first
    assert twice == [first, first]
    with db.reading() as session:
        assert journal.count(session) == entries
    assert log_entries(db) == {f"{SOURCE}/C2": 1}


def test_the_same_control_id_from_another_source_is_another_message(
    db: Database, processor: Processor
) -> None:
    replies = processor.process_batch(
        [
            encoded(person_message("C3", "1003")),
            encoded(person_message("C3", "1004", facility="BREST")),
        ],
        NOW,
    )
    assert [ack_fields(reply)[0] for reply in replies] == ["AA", "AA"]
    assert set(log_entries(db)) == {f"{SOURCE}/C3", "PAS/BREST/C3"}


def test_refused_message_keeps_its_raw_text_and_error(db: Database, processor: Processor) -> None:
    message = refused_message("C4")
    before = kinds(db)
    [reply] = processor.process_batch([encoded(message)], NOW)
    assert ack_fields(reply) == ("AE", "C4")
    [err] = [line for line in reply.decode().split("\r") if line.startswith("ERR")]
    assert err.startswith("ERR||MSH^1^7|102^Data type error^HL70357|E|")
    logged = row(db, "C4")
    assert logged.status == "AE"
    assert logged.raw == message
    assert logged.error is not None
    assert logged.error.startswith("AE 102")
    assert kinds(db)[len(before) :] == [INGEST_MESSAGE_LOGGED]
    assert processor.process_batch([encoded(message)], NOW) == [reply]


def test_one_bad_message_does_not_affect_the_others(db: Database, processor: Processor) -> None:
    frames = [
        encoded(person_message("D1", "2001")),
        encoded(refused_message("D2")),
        encoded(person_message("D3", "2003")),
        b"not HL7 at all",
        encoded(person_message("D5", "2005", family="")),
        encoded(person_message("D6", "2006")),
    ]
    replies = processor.process_batch(frames, NOW)
    assert [ack_fields(reply) for reply in replies] == [
        ("AA", "D1"),
        ("AE", "D2"),
        ("AA", "D3"),
        ("AR", ""),
        ("AE", "D5"),
        ("AA", "D6"),
    ]
    assert b"ERR||PID^1^5|101^Required field missing^HL70357|E|" in replies[4]
    assert {"2001", "2003", "2006"} <= ipps(db)
    assert "2005" not in ipps(db)
    assert journal_intact(db)


def test_unreadable_frame_gets_the_minimal_ar_and_is_kept(
    db: Database, processor: Processor
) -> None:
    [reply] = processor.process_batch([b"hello\x00world"], NOW)
    assert ack_fields(reply) == ("AR", "")
    with db.reading() as session:
        found = session.scalars(select(IngestMessageRow)).one()
    assert found.source == "unknown"
    assert found.control_id.startswith("sha256:")
    assert len(found.control_id) == 39
    assert found.raw == "hello\\x00world"
    assert processor.process_batch([b"hello\x00world"], NOW) == [reply]


def test_bytes_the_declared_charset_cannot_read_are_refused(
    db: Database, processor: Processor
) -> None:
    message = encoded(person_message("E1", "3001")).replace("Maëlle".encode(), b"Ma\xebll\xff")
    [reply] = processor.process_batch([message], NOW)
    assert ack_fields(reply) == ("AR", "E1")
    assert b"102^Data type error^HL70357" in reply
    assert "Ma\\xebll\\xff" in (row(db, "E1").raw or "")


def test_the_ack_is_encoded_like_the_message(db: Database, processor: Processor) -> None:
    # An identifier too long for the store: the error text quotes it, accents included.
    latin = person_message("E2", "é" * 60).replace("UNICODE UTF-8", "8859/15")
    [reply] = processor.process_batch([latin.encode("iso-8859-15")], NOW)
    assert reply.split(b"\r")[0].endswith(b"|8859/15")
    assert ack_fields(reply) == ("AE", "E2")
    assert b"\xe9\xe9\xe9" in reply
    assert "é".encode() not in reply


def test_a_batch_file_is_answered_with_a_batch_of_acks(db: Database, processor: Processor) -> None:
    messages = [person_message("F1", "4001"), refused_message("F2")]
    batch = "\r".join(["FHS|^~\\&|PAS", "BHS|^~\\&|PAS", *messages, "BTS|2", "FTS|1"])
    [reply] = processor.process_batch([encoded(batch)], NOW)
    lines = reply.decode().rstrip("\r").split("\r")
    assert lines[0].startswith("BHS|")
    assert lines[-1] == "BTS|2"
    msas = [line for line in lines if line.startswith("MSA")]
    assert msas == ["MSA|AA|F1", "MSA|AE|F2"]


def test_a_batch_whose_count_is_wrong_is_refused_whole(db: Database, processor: Processor) -> None:
    batch = "\r".join(["BHS|^~\\&|PAS", person_message("F3", "4003"), "BTS|5"])
    [reply] = processor.process_batch([encoded(batch)], NOW)
    assert ack_fields(reply)[0] == "AR"
    assert "4003" not in ipps(db)


@contextmanager
def refusing_patient(db: Database, family: str) -> Iterator[None]:
    """A database trigger refusing one patient: a real failure inside one message."""
    with db.engine.begin() as connection:
        if db.is_sqlite:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON patients "
                    f"WHEN NEW.birth_family_name = '{family}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.birth_family_name = '{family}' THEN "
                    "RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON patients "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    yield


def test_any_other_failure_inside_a_message_is_ae_207(db: Database, processor: Processor) -> None:
    with refusing_patient(db, "Trapped"):
        replies = processor.process_batch(
            [
                encoded(person_message("G1", "5001")),
                encoded(person_message("G2", "5002", family="Trapped")),
                encoded(person_message("G3", "5003")),
            ],
            NOW,
        )
    assert [ack_fields(reply)[0] for reply in replies] == ["AA", "AE", "AA"]
    assert b"207^Application internal error^HL70357" in replies[1]
    assert row(db, "G2").raw == person_message("G2", "5002", family="Trapped")
    assert ipps(db) >= {"5001", "5003"}
    assert "5002" not in ipps(db)
    assert journal_intact(db)


def test_a_failing_commit_raises_and_acknowledges_nothing(
    db: Database, processor: Processor
) -> None:
    frames = [encoded(person_message("H1", "6001")), encoded(refused_message("H2"))]
    with db.reading() as session:
        entries = journal.count(session)
    with failing_commit(db), pytest.raises(Exception, match=r"(?i)foreign key|commit refused"):
        processor.process_batch(frames, NOW)
    with db.reading() as session:
        assert journal.count(session) == entries
        assert session.scalars(select(IngestMessageRow)).all() == []
    assert "6001" not in ipps(db)
    # The sender resends; now it goes through, once.
    replies = processor.process_batch(frames, NOW)
    assert [ack_fields(reply)[0] for reply in replies] == ["AA", "AE"]
    assert journal_intact(db)


def test_the_processor_needs_a_known_site(db: Database) -> None:
    with pytest.raises(UnknownEntityError, match="nowhere"):
        Processor(db, site_id="nowhere")


def test_a_given_source_names_every_message(db: Database) -> None:
    seeded_site(db)
    processor = Processor(db, site_id=SITE, source="pas-rennes")
    processor.process_batch([encoded(person_message("J1", "7001"))], NOW)
    assert set(log_entries(db)) == {"pas-rennes/J1"}


def test_oversized_message_is_refused_and_kept_for_review(
    db: Database, processor: Processor
) -> None:
    head = encoded(person_message("K1", "8001"))[:120]
    reply = processor.refuse(head, "message larger than 100 bytes", NOW)
    assert ack_fields(reply) == ("AR", "K1")
    assert b"message larger than 100 bytes" in reply
    assert row(db, "K1").raw == head.decode()
    assert processor.refuse(head, "message larger than 100 bytes", NOW) == reply


def test_a_control_id_reused_for_another_message_type_is_not_taken_for_a_repeat(
    db: Database, processor: Processor
) -> None:
    registration = person_message("V1", "9001")
    update = registration.replace("ADT^A28^ADT_A05", "ADT^A31^ADT_A05").replace(
        "EVN|A28", "EVN|A31"
    )
    [first] = processor.process_batch([encoded(registration)], NOW)
    [second] = processor.process_batch([encoded(update)], NOW)
    assert ack_fields(first) == ("AA", "V1")
    assert ack_fields(second) == ("AA", "V1")
    assert second != first
    keys = set(log_entries(db))
    assert f"{SOURCE}/V1" in keys
    assert len(keys) == 2
    # A resend of the second is still recognised as such.
    assert processor.process_batch([encoded(update)], NOW) == [second]
    assert len(log_entries(db)) == 2


def test_long_sources_and_control_ids_still_fit_the_store(
    db: Database, processor: Processor
) -> None:
    control_id = "L" * 70
    message = person_message(control_id, "9101").replace("|PAS|RENNES|", f"|{'A' * 60}|{'B' * 60}|")
    [reply] = processor.process_batch([encoded(message)], NOW)
    assert ack_fields(reply) == ("AA", control_id)
    [key] = log_entries(db)
    assert len(key) <= 80
    assert processor.process_batch([encoded(message)], NOW) == [reply]
    assert journal_intact(db)
