"""The durable core: one transaction per batch, mapped together, ACK only once committed."""

import itertools
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text

from bascule.clock import SimulatedClock
from bascule.domain.patients import Allergy, ClinicalEssentials, Medication, Severity
from bascule.domain.sites import Ward
from bascule.errors import UnknownEntityError
from bascule.ingest import ack, processing
from bascule.ingest.hl7_message import ParsedMessage
from bascule.ingest.hl7_overlay import BatchReads, OverlayUnsureError
from bascule.ingest.processing import Processor
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.kinds import INGEST_MESSAGE_LOGGED
from bascule.store.migrate import upgrade
from bascule.store.tables import (
    AllergyRow,
    FeedSourceRow,
    IngestMessageRow,
    JournalEntryRow,
    MedicationRow,
    PatientLocalIdRow,
    PatientRow,
    StayRow,
    SurgicalCaseRow,
    WardRow,
    table_of,
)
from bascule.synth.group import synthesise
from bascule.synth.hl7feed import feed_messages
from tests.conftest import PG_SERVER_URL
from tests.factories import patient, record
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
from tests.ingest.test_hl7_adt import adt, pid, pv1
from tests.kit.group import build_group

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
SAMPLES = Path(__file__).parent.parent / "fixtures" / "hl7v2"


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


# --- a batch mapped together -------------------------------------------------------------


@pytest.fixture
def group_processor(db: Database) -> Processor:
    """rennes (ward rennes-ortho, theatre rennes-bloc-1, surgeon s1) and its processor."""
    build_group(db)
    return Processor(db, site_id=SITE)


def codes(replies: list[bytes]) -> list[str]:
    return [ack_fields(reply)[0] for reply in replies]


def test_a_message_sees_what_an_earlier_message_of_its_batch_did(
    db: Database, group_processor: Processor
) -> None:
    replies = group_processor.process_batch(
        [
            encoded(adt("A28", "B1", pid("IPP3001"))),
            encoded(adt("A01", "B2", pid("IPP3001"), pv1("V30", "CARDIO^12^A"))),
            encoded(adt("A02", "B3", pid("IPP3001"), pv1("V30", "CARDIO^14^B"))),
            encoded(adt("A03", "B4", pid("IPP3001"), pv1("V30", "CARDIO^14^B"))),
        ],
        NOW,
    )
    assert codes(replies) == ["AA"] * 4
    with db.reading() as session:
        stay = session.get(StayRow, "rennes-V30")
        assert stay is not None
        assert (stay.ward_id, stay.room_id, stay.bed) == ("rennes-hl7-cardio", "14", "B")
        assert stay.discharged_at is not None
        wards = session.scalars(select(WardRow.id).where(WardRow.id.like("%cardio%"))).all()
    assert wards == ["rennes-hl7-cardio"]
    assert "IPP3001" in ipps(db)
    assert journal_intact(db)


def test_a_refused_message_in_the_middle_of_a_batch_is_unseen_by_the_others(
    db: Database, group_processor: Processor
) -> None:
    replies = group_processor.process_batch(
        [
            encoded(adt("A01", "R1", pid("IPP3002"), pv1("V31", "rennes-ortho^101^B"))),
            # Refused: admits to a visit the next message would then find.
            encoded(adt("A01", "R2", pid("IPP3003", birth=""), pv1("V32", "rennes-ortho^102^A"))),
            encoded(adt("A03", "R3", pid("IPP3003"), pv1("V32", "rennes-ortho^102^A"))),
            encoded(adt("A03", "R4", pid("IPP3002"), pv1("V31", "rennes-ortho^101^B"))),
        ],
        NOW,
    )
    assert codes(replies) == ["AA", "AE", "AE", "AA"]
    assert b"PID^1^7" in replies[1]
    assert b"PV1^1^19" in replies[2]
    assert row(db, "R2").raw == adt(
        "A01", "R2", pid("IPP3003", birth=""), pv1("V32", "rennes-ortho^102^A")
    )
    assert "IPP3003" not in ipps(db)
    with db.reading() as session:
        assert session.get(StayRow, "rennes-V32") is None
        discharged = session.get(StayRow, "rennes-V31")
        assert discharged is not None
        assert discharged.discharged_at is not None
    assert journal_intact(db)


def test_a_batch_mixing_repeats_and_new_messages_writes_each_message_once(
    db: Database, processor: Processor
) -> None:
    first, second, third = (encoded(person_message(f"X{n}", f"70{n}")) for n in range(3))
    [before] = processor.process_batch([first], NOW)
    replies = processor.process_batch([second, first, second, third, first], NOW)
    assert replies[1] == replies[4] == before
    assert replies[2] == replies[0]
    assert codes(replies) == ["AA"] * 5
    assert log_entries(db) == {f"{SOURCE}/X0": 1, f"{SOURCE}/X1": 1, f"{SOURCE}/X2": 1}
    assert {"700", "701", "702"} <= ipps(db)
    assert journal_intact(db)


def test_a_batch_the_overlay_cannot_vouch_for_is_applied_message_by_message(
    db: Database, group_processor: Processor
) -> None:
    merge = "\r".join(
        [
            adt("A40", "M1", pid("IPP1", ins="")).replace("ADT_A01", "ADT_A39"),
            "MRG|IPP2^^^RENNES&&L^PI",
        ]
    )
    replies = group_processor.process_batch(
        [
            encoded(merge),
            encoded(adt("A08", "M2", pid("IPP2", ins="", phone="07 11 11 11 11"))),
        ],
        NOW,
    )
    assert codes(replies) == ["AA", "AA"]
    with db.reading() as session:
        owners = dict(
            session.execute(
                select(PatientLocalIdRow.local_id, PatientLocalIdRow.patient_id).where(
                    PatientLocalIdRow.local_id.in_(["IPP1", "IPP2"])
                )
            ).all()
        )
    # The update about IPP2 found the survivor of the merge made just before it.
    assert owners["IPP2"] == owners["IPP1"]
    assert journal_intact(db)


@pytest.fixture
def twins(db_url: str, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two databases of one backend holding the same small synthetic group."""
    if db_url.startswith("sqlite"):
        urls = [db_url, f"sqlite:///{tmp_path / 'twin.sqlite3'}"]
        schema = None
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_SERVER_URL, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        urls = [db_url, f"{PG_SERVER_URL}?options=-csearch_path%3D{schema}"]
    databases = [Database(url, clock=SimulatedClock(NOW)) for url in urls]
    try:
        for database in databases:
            upgrade(database)
            synthesise(database, patients=120, seed=1, start=NOW.date())
        yield databases[0], databases[1]
    finally:
        for database in databases:
            database.dispose()
        if schema is not None:
            with psycopg.connect(PG_SERVER_URL, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


class _NeverSure(BatchReads):
    """An overlay that vouches for nothing: every batch goes message by message."""

    def prefetch(self, messages: Iterable[tuple[ParsedMessage, str]]) -> None:
        raise OverlayUnsureError(f"{len(list(messages))} messages")


def test_batches_write_the_same_journal_as_messages_applied_one_by_one(
    twins: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    together, one_by_one = twins
    with together.reading() as session:
        feed = feed_messages(session, SITE, 160, seed=7, start=NOW)
    samples = [path.read_bytes() for path in sorted(SAMPLES.glob("*.hl7"))]
    # Real-world oddities between the feed's messages, and resends of some of them.
    frames = [message.encode("utf-8") for message in feed]
    for index, sample in enumerate(samples):
        frames.insert(7 * index + 3, sample)
    frames += frames[10:30:3]

    def run(db: Database) -> list[bytes]:
        acks = itertools.count()
        monkeypatch.setattr(ack, "new_control_id", lambda: f"ACK{next(acks):017d}")
        processor = Processor(db, site_id=SITE)
        return [
            reply
            for start in range(0, len(frames), 8)
            for reply in processor.process_batch(frames[start : start + 8], NOW)
        ]

    replies = run(together)
    with monkeypatch.context() as patched:
        patched.setattr(processing, "BatchReads", _NeverSure)
        assert run(one_by_one) == replies
    assert {"AA", "AE", "AR"} <= set(codes(replies))
    heads = []
    for db in twins:
        with db.reading() as session:
            assert journal.verify(session).intact
            heads.append(journal.head(session))
    # Every entry (and so the hash of the last one) is the same either way...
    assert heads[0] == heads[1]
    # ... and so is every table it projects to.
    assert projected(together) == projected(one_by_one)


def projected(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """The rows of the tables HL7 messages change, sorted, without surrogate keys (the
    order of a patient's allergies and medications kept)."""
    tables = {}
    with db.reading() as session:
        for model in (PatientRow, PatientLocalIdRow, StayRow, SurgicalCaseRow, WardRow):
            table = table_of(model)
            rows = session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
        for model in (AllergyRow, MedicationRow):
            table = table_of(model)
            rows = session.execute(select(table).order_by(table.c.patient_id, table.c.id))
            tables[table.name] = [tuple(row)[1:] for row in rows]
        for model in (IngestMessageRow, FeedSourceRow):
            table = table_of(model)
            rows = session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
    return tables


def test_a_ward_another_writer_registers_between_batches_is_seen_by_the_next(
    db: Database, group_processor: Processor
) -> None:
    admit = adt("A01", "W1", pid("IPP3010"), pv1("V40", "rennes-ortho^101^B"))
    assert codes(group_processor.process_batch([encoded(admit)], NOW)) == ["AA"]
    neuro = Ward("rennes-neuro", SITE, "Neurologie", "neurology", ())
    record(db, [changes.ward_registered(neuro)])
    transfer = adt("A02", "W2", pid("IPP3010"), pv1("V40", "neuro^1^A"))
    assert codes(group_processor.process_batch([encoded(transfer)], NOW)) == ["AA"]
    with db.reading() as session:
        stay = session.get(StayRow, "rennes-V40")
        assert stay is not None
        assert stay.ward_id == "rennes-neuro"
        assert session.get(WardRow, "rennes-hl7-neuro") is None


def test_a_known_patients_allergies_and_medications_are_kept_in_order(
    db: Database, processor: Processor
) -> None:
    essentials = ClinicalEssentials(
        allergies=(
            Allergy("Pénicilline", Severity.SEVERE, "Œdème"),
            Allergy("Latex", Severity.MILD, "Eczéma"),
        ),
        medications=(
            Medication("Rivaroxaban", "20 mg", "per os", "1 fois par jour"),
            Medication("Amlodipine", "5 mg"),
        ),
    )
    known = replace(patient(1), local_ids=((SITE, "5001"),), essentials=essentials)
    record(db, [changes.patient_registered(known, SITE)])
    [reply] = processor.process_batch([encoded(person_message("U1", "5001", family="Autre"))], NOW)
    assert ack_fields(reply) == ("AA", "U1")
    with db.reading() as session:
        family = session.scalar(select(PatientRow.birth_family_name).where(PatientRow.id == "p1"))
        allergies = list(session.scalars(select(AllergyRow.substance).order_by(AllergyRow.id)))
        medications = session.execute(
            select(MedicationRow.name, MedicationRow.dose).order_by(MedicationRow.id)
        ).all()
    assert family == "Autre"
    assert allergies == ["Pénicilline", "Latex"]
    assert [tuple(medication) for medication in medications] == [
        ("Rivaroxaban", "20 mg"),
        ("Amlodipine", "5 mg"),
    ]
