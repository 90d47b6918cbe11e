"""A hand-written French transaction Bundle whose entries refer to each other by urn:uuid."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bascule.domain.cases import Booking, CaseStatus
from bascule.domain.patients import (
    Allergy,
    ContactDetails,
    IdentityStatus,
    Medication,
    Severity,
    Sex,
)
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre
from bascule.ingest import hl7_lookup
from bascule.ingest.fhir_import import import_fhir
from bascule.ingest.fhir_refs import CASE, PATIENT, ROOM, STAY, SURGEON, WARD, derived_id
from bascule.store import changes, journal
from bascule.store.database import Database
from tests.factories import record, site

BUNDLE = Path(__file__).parents[1] / "fixtures" / "fhir-r4" / "bundle-fr-transaction.json"
URN = "urn:uuid:8c5c2f4e-0a51-4a53-9a7e-3d1f6f0a0"
WARD_KEY = "Location?identifier=urn:oid:1.2.250.1.999.35.2|UF-4120"
SURGEON_KEY = "Practitioner?identifier=urn:oid:1.2.250.1.71.4.2.1|810002345678"


@pytest.fixture
def rennes(db: Database) -> Database:
    """Rennes with its first operating theatre."""
    theatre = OperatingTheatre(
        "rennes-or1", "rennes", "Bloc 1", (480, 480, 480, 480, 480, 0, 0), ("orthopaedics",)
    )
    record(db, [changes.site_registered(site("rennes")), changes.theatre_registered(theatre)])
    return db


def _entries(db: Database) -> int:
    with db.reading() as session:
        return journal.count(session)


def _edited(tmp_path: Path, edit: Any) -> Path:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    edit({entry["fullUrl"][-3:]: entry["resource"] for entry in bundle["entry"]})
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path


def test_bundle_entries_become_a_patient_a_stay_a_surgeon_and_cases(rennes: Database) -> None:
    report = import_fhir(rennes, [BUNDLE], site_id="rennes", actor="fhir-import")

    assert report.errors == []
    assert report.created == {
        "patient": 1,
        "surgeon": 1,
        "stay": 1,
        "ward": 1,
        "room": 1,
        "bed": 2,
        "allergy": 1,
        "medication": 1,
        "case": 2,
    }
    assert report.unchanged == 1  # the Location of the theatre bascule already has
    assert report.skipped == [
        "bundle-fr-transaction.json entry 13: Condition not imported "
        "(not in the subset bascule keeps)"
    ]
    patient_id = derived_id(PATIENT, "rennes", f"{URN}100")
    with rennes.reading() as session:
        patient = hl7_lookup.patient_by_id(session, patient_id)
        assert patient is not None
        identity = patient.identity
        assert identity.birth_family_name == "Le Guévénoux"
        assert identity.used_name == "Kerbrat"
        assert identity.first_given_name == "Maëlle"
        assert identity.given_names == ("Maëlle", "Anne-Sophie", "Éloïse")
        assert identity.birth_date == date(1984, 7, 14)
        assert identity.sex is Sex.FEMALE
        assert identity.birth_place_insee == "35238"
        assert identity.nir == "284073523812307"
        assert identity.status is IdentityStatus.QUALIFIED
        assert patient.local_ids == (("rennes", "IPP-000451"),)
        essentials = patient.essentials
        assert essentials.allergies == (
            Allergy("Pénicillines", Severity.SEVERE, "Œdème de Quincke"),
        )
        assert essentials.medications == (
            Medication("Apixaban (Eliquis)", "2,5 mg", "per os", "2 fois par jour"),
        )
        assert essentials.emergency_contact_phone == "02 99 00 11 22"
        # Her own mobile, not her contact's; the bundle gives no address.
        assert patient.contact == ContactDetails(phone="06 12 34 56 78")

        stay = hl7_lookup.stay_by_id(session, "rennes", derived_id(STAY, "rennes", f"{URN}001"))
        assert stay is not None
        assert stay.is_current
        assert (stay.patient_id, stay.ward_id, stay.room_id, stay.bed) == (
            patient_id,
            derived_id(WARD, "rennes", WARD_KEY),
            derived_id(ROOM, "rennes", f"{URN}301"),
            "12A",
        )
        assert stay.admitted_at == datetime(2025, 3, 10, 8, 30, tzinfo=UTC)

        surgeon = hl7_lookup.surgeon_by_id(session, derived_id(SURGEON, "rennes", SURGEON_KEY))
        assert surgeon is not None
        assert (surgeon.family_name, surgeon.given_name, surgeon.phone) == (
            "Morvan",
            "Yann",
            "02 99 28 43 21",
        )
        assert surgeon.specialty == "Chirurgie orthopédique et traumatologique"

        booked = hl7_lookup.case_by_id(session, derived_id(CASE, "rennes", f"{URN}700"))
        assert booked is not None
        assert booked.status is CaseStatus.BOOKED
        assert booked.booking == Booking(date(2025, 3, 12), "rennes-or1", 8 * 60 + 30)
        assert (booked.procedure, booked.ccam_code) == (
            "Prothèse totale de hanche droite",
            "NEKA020",
        )
        assert (booked.expected_minutes, booked.priority) == (90, PriorityClass.P2)
        assert booked.listed_on == date(2025, 2, 20)
        assert booked.surgeon_id == surgeon.id
        assert booked.specialty == surgeon.specialty

        done = hl7_lookup.case_by_id(session, derived_id(CASE, "rennes", f"{URN}600"))
        assert done is not None
        assert (done.status, done.procedure, done.ccam_code) == (
            CaseStatus.DONE,
            "Arthroscopie du genou gauche",
            "NFFC004",
        )
        assert (done.expected_minutes, done.listed_on) == (70, date(2025, 3, 5))


def test_the_same_bundle_again_writes_nothing(rennes: Database) -> None:
    import_fhir(rennes, [BUNDLE], site_id="rennes", actor="fhir-import")
    before = _entries(rennes)

    again = import_fhir(rennes, [BUNDLE], site_id="rennes", actor="fhir-import")

    assert _entries(rennes) == before
    assert (again.created, again.updated, again.errors) == ({}, {}, [])
    assert again.unchanged == 12


def test_changed_resources_update_what_bascule_has(rennes: Database, tmp_path: Path) -> None:
    import_fhir(rennes, [BUNDLE], site_id="rennes", actor="fhir-import")

    def edit(resources: dict[str, dict[str, Any]]) -> None:
        resources["001"]["status"] = "finished"
        resources["001"]["period"]["end"] = "2025-03-15T11:00:00+01:00"
        resources["001"]["location"][0]["location"]["reference"] = f"{URN}303"
        resources["400"]["reaction"][0]["severity"] = "moderate"
        resources["700"]["start"] = "2025-03-13T13:00:00+01:00"
        resources["700"]["end"] = "2025-03-13T14:00:00+01:00"

    before = _entries(rennes)
    report = import_fhir(rennes, [_edited(tmp_path, edit)], site_id="rennes", actor="fhir")

    assert report.errors == []
    assert report.updated == {"stay": 1, "allergy": 1, "case": 1}
    # Moved to bed 12B then discharged; the allergy's person; the case rebooked.
    assert _entries(rennes) == before + 4
    with rennes.reading() as session:
        stay = hl7_lookup.stay_by_id(session, "rennes", derived_id(STAY, "rennes", f"{URN}001"))
        assert stay is not None
        assert (stay.bed, stay.discharged_at) == ("12B", datetime(2025, 3, 15, 10, 0, tzinfo=UTC))
        patient = hl7_lookup.patient_by_id(session, derived_id(PATIENT, "rennes", f"{URN}100"))
        assert patient is not None
        assert patient.essentials.allergies[0].severity is Severity.MODERATE
        case = hl7_lookup.case_by_id(session, derived_id(CASE, "rennes", f"{URN}700"))
        assert case is not None
        assert case.booking is not None
        assert (case.booking.day, case.booking.start_minute, case.expected_minutes) == (
            date(2025, 3, 13),
            13 * 60,
            60,
        )


def test_home_address_and_email_become_contact_details(rennes: Database, tmp_path: Path) -> None:
    def edit(resources: dict[str, dict[str, Any]]) -> None:
        resources["100"]["address"] = [
            {"use": "old", "city": "Brest", "postalCode": "29200"},
            {"use": "home", "line": ["3 rue de Brest"], "city": "Rennes", "postalCode": "35000"},
        ]
        resources["100"]["telecom"].append({"system": "email", "value": " anne@orange.fr "})

    import_fhir(rennes, [_edited(tmp_path, edit)], site_id="rennes", actor="fhir-import")
    with rennes.reading() as session:
        patient = hl7_lookup.patient_by_id(session, derived_id(PATIENT, "rennes", f"{URN}100"))
    assert patient is not None
    assert patient.contact == ContactDetails("35000", "Rennes", "06 12 34 56 78", "anne@orange.fr")


def test_a_cancelled_appointment_cancels_its_case(rennes: Database, tmp_path: Path) -> None:
    import_fhir(rennes, [BUNDLE], site_id="rennes", actor="fhir-import")

    def cancel(resources: dict[str, dict[str, Any]]) -> None:
        resources["700"]["status"] = "cancelled"

    report = import_fhir(rennes, [_edited(tmp_path, cancel)], site_id="rennes", actor="fhir")

    assert report.updated == {"case": 1}
    with rennes.reading() as session:
        case = hl7_lookup.case_by_id(session, derived_id(CASE, "rennes", f"{URN}700"))
        assert case is not None
        assert case.status is CaseStatus.CANCELLED


def test_an_appointment_outside_a_theatre_is_not_a_surgical_booking(db: Database) -> None:
    record(db, [changes.site_registered(site("rennes"))])

    report = import_fhir(db, [BUNDLE], site_id="rennes", actor="fhir-import")

    assert (
        "bundle-fr-transaction.json entry 12: Appointment not imported: none of its locations "
        "is an operating theatre of rennes (not a surgical booking)" in report.skipped
    )
    assert (
        "bundle-fr-transaction.json entry 8: Location not imported: no inpatient stay there, "
        "and not typed as a ward (physicalType wa)" in report.skipped
    )
