import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bascule.domain.cases import CaseStatus
from bascule.domain.patients import Allergy, Severity
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import (
    AllergyRow,
    FeedSourceRow,
    IngestMessageRow,
    PatientLocalIdRow,
    PatientRow,
    StayRow,
    SurgicalCaseRow,
)
from tests.factories import patient, record
from tests.kit.group import AS_OF, build_group, case

AT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def test_patient_update_replaces_traits_and_essentials_in_place(db: Database) -> None:
    build_group(db)
    before = patient(1)
    essentials = dataclasses.replace(
        before.essentials, allergies=(Allergy("latex", Severity.MODERATE, "urticaire"),)
    )
    identity = dataclasses.replace(before.identity, used_name="Kerhervé")
    after = dataclasses.replace(
        before,
        identity=identity,
        essentials=essentials,
        local_ids=(("nantes", "N77"), ("rennes", "IPP1")),
    )
    record(db, [changes.patient_updated(after, "rennes")])
    with db.reading() as session:
        row = session.get(PatientRow, "p1")
        assert row is not None
        assert row.used_name == "Kerhervé"
        allergies = session.scalars(
            select(AllergyRow.substance).where(AllergyRow.patient_id == "p1")
        )
        assert list(allergies) == ["latex"]
        local = session.execute(
            select(PatientLocalIdRow.site_id, PatientLocalIdRow.local_id).where(
                PatientLocalIdRow.patient_id == "p1"
            )
        )
        assert sorted(tuple(row) for row in local) == [("nantes", "N77"), ("rennes", "IPP1")]
        # The booked case still points at the updated row.
        assert session.get(SurgicalCaseRow, "c1") is not None


def test_merge_moves_everything_to_the_survivor_and_marks_the_absorbed(db: Database) -> None:
    build_group(db)
    record(db, [changes.patients_merged("p2", "p1", "rennes")])
    with db.reading() as session:
        absorbed = session.get(PatientRow, "p1")
        assert absorbed is not None
        assert absorbed.merged_into == "p2"
        moved = session.get(SurgicalCaseRow, "c1")
        assert moved is not None
        assert moved.patient_id == "p2"
        ids = session.scalars(
            select(PatientLocalIdRow.local_id).where(PatientLocalIdRow.patient_id == "p2")
        )
        assert sorted(ids) == ["IPP1", "IPP2"]
        entry = journal.tail(session, 1)[0]
        assert (entry.entity_type, entry.entity_id) == ("patient", "p1")


def test_stay_lifecycle_transfer_discharge_and_cancellations(db: Database) -> None:
    build_group(db)
    record(
        db,
        [
            changes.stay_transferred(
                "st0", "rennes", ward_id="rennes-ortho", room_id="102", bed="A", at=AT
            )
        ],
    )
    with db.reading() as session:
        stay = session.get(StayRow, "st0")
        assert stay is not None
        assert (stay.room_id, stay.bed) == ("102", "A")
    record(db, [changes.stay_discharged("st0", "rennes", AT + timedelta(hours=2))])
    with db.reading() as session:
        stay = session.get(StayRow, "st0")
        assert stay is not None
        assert stay.discharged_at is not None
    record(db, [changes.stay_discharge_cancelled("st0", "rennes")])
    with db.reading() as session:
        stay = session.get(StayRow, "st0")
        assert stay is not None
        assert stay.discharged_at is None
    record(db, [changes.stay_admission_cancelled("st0", "rennes")])
    with db.reading() as session:
        assert session.get(StayRow, "st0") is None


def test_case_update_and_status_change(db: Database) -> None:
    build_group(db)
    moved = case(1, "p1", AS_OF + timedelta(days=5))
    record(db, [changes.case_updated(moved)])
    with db.reading() as session:
        row = session.get(SurgicalCaseRow, "c1")
        assert row is not None
        assert row.booked_day == AS_OF + timedelta(days=5)
    record(db, [changes.case_status_changed("c1", "rennes", CaseStatus.CANCELLED, "no-show")])
    with db.reading() as session:
        row = session.get(SurgicalCaseRow, "c1")
        assert row is not None
        assert row.status == "cancelled"


def test_logged_messages_feed_the_source_table(db: Database) -> None:
    build_group(db)
    logged = [
        changes.ingest_message_logged(
            source="PAS/RENNES",
            control_id=f"M{n}",
            message_type="ADT^A01",
            site_id="rennes",
            received_at=AT + timedelta(minutes=n),
            status="AA",
            ack="MSH|...",
            error=None,
            raw=None,
        )
        for n in range(3)
    ]
    record(db, logged)
    with db.reading() as session:
        assert len(list(session.scalars(select(IngestMessageRow)))) == 3
        source = session.get(FeedSourceRow, ("rennes", "PAS/RENNES"))
        assert source is not None
        assert source.last_message_at.replace(tzinfo=UTC) == AT + timedelta(minutes=2)


def test_an_ipp_taken_over_in_a_merge_survives_the_next_update(db: Database) -> None:
    build_group(db)
    record(db, [changes.patients_merged("p2", "p1", "rennes")])
    record(db, [changes.patient_updated(patient(2), "rennes")])
    with db.reading() as session:
        ids = session.scalars(
            select(PatientLocalIdRow.local_id).where(PatientLocalIdRow.patient_id == "p2")
        )
        assert sorted(ids) == ["IPP1", "IPP2"]
