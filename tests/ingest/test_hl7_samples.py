"""Every public sample message is either applied to a real database or refused precisely.

The samples (tests/fixtures/hl7v2, from microsoft/FHIR-Converter, MIT) are American
test messages: LF separators, byte-order marks, versions 2.3 to 2.8, odd offsets. Each
runs on its own database holding only the site ``rennes``.
"""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bascule.domain.sites import OperatingTheatre
from bascule.ingest.hl7_mapping import Mapped, map_message
from bascule.ingest.hl7_message import Hl7Error, decode, parse_message, split_messages
from bascule.ingest.hl7_patient import group_patient_id
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import (
    AllergyRow,
    PatientLocalIdRow,
    PatientRow,
    StayRow,
    SurgicalCaseRow,
    WardRow,
)
from tests.factories import record, site

SAMPLES = Path(__file__).parent.parent / "fixtures" / "hl7v2"
RECEIVED = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)

# file -> (ack code, table 0357 code, segment, occurrence, field, words of the message)
REFUSED = {
    # The merged-away record (MRG-1 56789) was never sent to this site.
    "ADT-A40-01.hl7": ("AE", "204", "MRG", 1, 1, "no patient known as '56789'"),
    "ADT-A40-02.hl7": ("AE", "204", "MRG", 1, 1, "no patient known as '56789'"),
    # An admission without a visit number (PV1-19) cannot be found again to discharge it.
    "ADT01-28.hl7": ("AE", "101", "PV1", 1, 19, "visit number missing"),
    # The site has no theatres: the booked location cannot be one of them.
    "SIU-S12-01.hl7": ("AE", "103", "AIL", 1, 3, "theatre '055' is not a theatre of rennes"),
    "SIU-S12-02.hl7": ("AE", "103", "AIL", 1, 3, "theatre 'LabUnit101'"),
    "SIU-S12_1.hl7": ("AE", "103", "AIL", 1, 3, "theatre '4E'"),
    "SIU-S13-01.hl7": ("AE", "103", "AIL", 1, 3, "theatre '055'"),
    "SIU-S14-01.hl7": ("AE", "103", "AIL", 1, 3, "theatre '055'"),
    # Named SIU but really an ADT^A60 (adverse reaction information), not handled.
    "SIU_12.hl7": ("AR", "201", "MSH", 1, 9, "event ADT^A60 is not supported"),
}
ACCEPTED = {
    "ADT-A01-01.hl7": "ADT^A01: admitted",
    "ADT-A01-02.hl7": "ADT^A01: admitted",
    "ADT-A04-01.hl7": "ADT^A04: registered",
    "ADT-A04-02.hl7": "ADT^A04: registered",
    "ADT-A08-01.hl7": "ADT^A08: registered",
    "ADT-A08-02.hl7": "ADT^A08: registered",
    "ADT01-23.hl7": "ADT^A01: admitted",
    "ADT04-23.hl7": "ADT^A04: registered",
    "ADT04-251.hl7": "ADT^A04: registered",
    "ADT04-28.hl7": "ADT^A04: registered",
    # Cancelling an appointment the site never heard of changes nothing.
    "SIU-S15-01.hl7": "SIU^S15: no case rennes-36996: nothing to cancel",
}


def apply(db: Database, data: bytes) -> list[Mapped]:
    """Read, map and journal every message of ``data`` in one transaction."""
    done = []
    with db.writing() as session:
        for text in split_messages(decode(data)):
            mapped = map_message(
                parse_message(text), session, site_id="rennes", received_at=RECEIVED
            )
            journal.append(session, mapped.changes, actor="hl7-test", at=RECEIVED)
            done.append(mapped)
    return done


@pytest.fixture
def rennes(db: Database) -> Database:
    record(db, [changes.site_registered(site("rennes"))])
    return db


def test_every_sample_is_classified() -> None:
    assert {path.name for path in SAMPLES.glob("*.hl7")} == set(REFUSED) | set(ACCEPTED)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_odd_samples_are_refused_precisely(rennes: Database, name: str) -> None:
    ack_code, error_code, segment, sequence, field, words = REFUSED[name]
    with pytest.raises(Hl7Error) as caught:
        apply(rennes, (SAMPLES / name).read_bytes())
    error = caught.value
    assert (error.ack_code, error.error_code) == (ack_code, error_code)
    assert (error.segment, error.sequence, error.field) == (segment, sequence, field)
    assert words in str(error)
    with rennes.reading() as session:
        assert journal.count(session) == 1


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_samples_are_accepted(rennes: Database, name: str) -> None:
    (mapped,) = apply(rennes, (SAMPLES / name).read_bytes())
    assert mapped.summary.startswith(ACCEPTED[name])
    assert mapped.site_id == "rennes"
    with rennes.reading() as session:
        assert journal.count(session) == 1 + len(mapped.changes)
        assert journal.verify(session).intact


def local_patient(db: Database, local_id: str) -> PatientRow:
    with db.reading() as session:
        return session.scalars(
            select(PatientRow)
            .join(PatientLocalIdRow, PatientLocalIdRow.patient_id == PatientRow.id)
            .where(PatientLocalIdRow.site_id == "rennes", PatientLocalIdRow.local_id == local_id)
        ).one()


def test_full_admission_sample_lands_in_the_tables(rennes: Database) -> None:
    apply(rennes, (SAMPLES / "ADT-A01-01.hl7").read_bytes())
    patient = local_patient(rennes, "PATID1234")
    # Name type L is the birth name, D the used one; the L name gives the given names.
    assert (patient.birth_family_name, patient.used_name) == ("Josh", "EVERYMAN")
    assert (patient.first_given_name, patient.given_names) == ("stanley", ["stanley"])
    assert patient.birth_date == date(1988, 8, 18)
    assert (patient.sex, patient.identity_status, patient.nir) == ("M", "PROV", None)
    assert patient.emergency_contact_phone == "78788788"
    with rennes.reading() as session:
        allergies = session.execute(
            select(AllergyRow.substance, AllergyRow.severity, AllergyRow.reaction)
        ).all()
        stay = session.scalars(select(StayRow)).one()
        ward = session.get(WardRow, stay.ward_id)
    assert [tuple(a) for a in allergies] == [("PENICILLIN", "mild", "CODE16")]
    assert (stay.id, stay.patient_id) == ("rennes-40007716", patient.id)
    assert (stay.ward_id, stay.room_id, stay.bed) == ("rennes-hl7-huh-ae-omu", "OMU B", "Bed 03")
    # PV1-44 20150208113419+0110.
    assert stay.admitted_at.replace(tzinfo=UTC) == datetime(2015, 2, 8, 10, 24, 19, tzinfo=UTC)
    assert ward is not None
    assert (ward.name, ward.specialty) == ("HUH AE OMU (hors référentiel)", "unknown")


def test_version_23_sample_with_bom_and_trailing_spaces(rennes: Database) -> None:
    apply(rennes, (SAMPLES / "ADT01-23.hl7").read_bytes())
    patient = local_patient(rennes, "10006579")
    assert (patient.birth_family_name, patient.first_given_name) == ("DUCK", "DONALD")
    assert patient.given_names == ["DONALD", "D"]
    with rennes.reading() as session:
        stay = session.scalars(select(StayRow)).one()
    assert (stay.ward_id, stay.room_id, stay.bed) == ("rennes-hl7-preop", "101", "1")


def test_resending_the_same_admission_adds_no_stay(rennes: Database) -> None:
    apply(rennes, (SAMPLES / "ADT-A01-01.hl7").read_bytes())
    (again,) = apply(rennes, (SAMPLES / "ADT-A01-02.hl7").read_bytes())
    assert "already admitted" in again.summary
    with rennes.reading() as session:
        assert len(session.scalars(select(StayRow)).all()) == 1
        assert len(session.scalars(select(WardRow)).all()) == 1


def test_scheduling_samples_book_update_and_cancel_once_theatres_exist(rennes: Database) -> None:
    record(
        rennes,
        [
            changes.theatre_registered(
                OperatingTheatre("rennes-055", "rennes", "Room01", (600,) * 5 + (0, 0), ("gi",))
            )
        ],
    )
    (booked,) = apply(rennes, (SAMPLES / "SIU-S12-01.hl7").read_bytes())
    assert booked.summary.startswith("SIU^S12: booked rennes-36996")
    with rennes.reading() as session:
        case = session.get(SurgicalCaseRow, "rennes-36996")
        assert case is not None
        # AIS-4 20210924093000+0215 is 09:15 in Paris; 50 minutes (AIS-7/8).
        assert (case.booked_day, case.booked_theatre_id) == (date(2021, 9, 24), "rennes-055")
        assert (case.booked_start_minute, case.expected_minutes) == (9 * 60 + 15, 50)
        assert (case.procedure, case.ccam_code, case.surgeon_id) == (
            "Biopsy of colon (procedure)",
            None,
            None,
        )
        # SCH-7 appointment reason EMERGENCY; the theatre's specialty.
        assert (case.priority, case.specialty, case.status) == ("P1a", "gi", "booked")
        assert case.listed_on == date(2021, 9, 14)
    for name in ("SIU-S13-01.hl7", "SIU-S14-01.hl7"):
        (same,) = apply(rennes, (SAMPLES / name).read_bytes())
        assert same.summary.endswith("rennes-36996 unchanged")
    (cancelled,) = apply(rennes, (SAMPLES / "SIU-S15-01.hl7").read_bytes())
    assert cancelled.summary == "SIU^S15: cancelled rennes-36996 (Add)"
    with rennes.reading() as session:
        case = session.get(SurgicalCaseRow, "rennes-36996")
        assert case is not None
        assert case.status == "cancelled"


def test_theatre_found_by_its_name_in_ail_3_2(rennes: Database) -> None:
    theatre = OperatingTheatre("rennes-bloc-2", "rennes", "Lab Room 01", (600,) * 7, ())
    record(rennes, [changes.theatre_registered(theatre)])
    apply(rennes, (SAMPLES / "SIU-S12-02.hl7").read_bytes())
    with rennes.reading() as session:
        case = session.get(SurgicalCaseRow, "rennes-36996")
        assert case is not None
        # No AIS-4: TQ1-7 202108181130+0215 is 11:15 in Paris; SCH-9/10 70 Min.
        assert (case.booked_theatre_id, case.booked_day) == ("rennes-bloc-2", date(2021, 8, 18))
        assert (case.booked_start_minute, case.expected_minutes) == (11 * 60 + 15, 70)
        assert (case.priority, case.specialty) == ("P3", "unknown")


def test_merge_samples_apply_once_both_records_are_known(rennes: Database) -> None:
    for local in ("12345", "56789", "145", "569"):
        a28 = (
            f"MSH|^~\\&|PAS|R|B|rennes|20190423||ADT^A28|R{local}|P|2.5\r"
            f"PID|1||{local}^^^BCBS^MR||Test^Test^A||20180205|F"
        )
        apply(rennes, a28.encode())
    (mapped,) = apply(rennes, (SAMPLES / "ADT-A40-02.hl7").read_bytes())
    assert mapped.summary.count("merged") == 2
    survivor_first, survivor_second = (local_patient(rennes, n).id for n in ("12345", "145"))
    # The absorbed local ids now lead to the survivors; the absorbed records are marked.
    assert local_patient(rennes, "56789").id == survivor_first
    assert local_patient(rennes, "569").id == survivor_second
    with rennes.reading() as session:
        for absorbed, survivor in (("56789", survivor_first), ("569", survivor_second)):
            row = session.get(PatientRow, group_patient_id("rennes", absorbed))
            assert row is not None
            assert row.merged_into == survivor
