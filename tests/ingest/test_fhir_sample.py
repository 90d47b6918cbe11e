"""The Synthea bulk sample imported whole, on SQLite and PostgreSQL, then imported again."""

from datetime import UTC, datetime
from pathlib import Path

from bascule.domain.patients import Allergy, Medication, Severity, Sex
from bascule.ingest import hl7_lookup
from bascule.ingest.fhir_import import import_fhir
from bascule.ingest.fhir_refs import PATIENT, STAY, WARD, derived_id
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import VisitRow, WardRow
from tests.factories import record, site

SAMPLE = Path(__file__).parents[1] / "fixtures" / "fhir-r4" / "smart-bulk-10-patients"


def _patient_id(fhir_id: str) -> str:
    return derived_id(PATIENT, "rennes", f"Patient/{fhir_id}")


def test_the_whole_sample_imports_then_imports_again_without_any_change(db: Database) -> None:
    record(db, [changes.site_registered(site("rennes"))])
    calls: list[tuple[int, int]] = []

    report = import_fhir(
        db, [SAMPLE], site_id="rennes", actor="fhir-import", progress=lambda *c: calls.append(c)
    )

    assert report.created == {
        "patient": 13,
        "allergy": 11,
        "medication": 5,
        "visit": 107,
        "stay": 1,
        "ward": 1,
    }
    assert report.updated == {}
    assert report.unchanged == 0
    # Two files that are not FHIR (the licence) and the export's log lines, then what
    # bascule does not keep: every item is accounted for once.
    assert report.resources == 594 == 138 + len(report.skipped) + len(report.errors)
    assert report.errors == [f"full/log.ndjson line {n}: no resourceType" for n in range(1, 5)]
    assert "LICENSE: not a .json or .ndjson file" in report.skipped
    assert (
        "subset/Condition.3patients.ndjson line 4: Condition not imported "
        "(not in the subset bascule keeps)" in report.skipped
    )
    assert calls[0] == (0, 594)
    assert calls[-1] == (594, 594)

    with db.reading() as session:
        entries = journal.count(session)
    again = import_fhir(db, [SAMPLE], site_id="rennes", actor="fhir-import")
    with db.reading() as session:
        assert journal.count(session) == entries
    assert (again.created, again.updated) == ({}, {})
    assert again.unchanged == 138
    assert (again.skipped, again.errors) == (report.skipped, report.errors)


def test_sample_people_keep_their_birth_names_essentials_and_stays(db: Database) -> None:
    record(db, [changes.site_registered(site("rennes"))])
    import_fhir(db, [SAMPLE], site_id="rennes", actor="fhir-import")

    with db.reading() as session:
        # Married: US Core's official name is the used name, the maiden name the birth name.
        yvone = hl7_lookup.patient_by_id(
            session, _patient_id("6a4160eb-a793-2f86-2302-378626f46cce")
        )
        assert yvone is not None
        assert yvone.identity.birth_family_name == "Paucek755"
        assert yvone.identity.used_name == "Cummings51"
        assert yvone.identity.given_names == ("Yvone889", "Janina163")
        assert yvone.identity.first_given_name == "Yvone889"
        assert yvone.identity.birth_date.isoformat() == "1963-07-15"
        assert yvone.identity.sex is Sex.FEMALE
        assert yvone.identity.birth_place_insee == ""  # Olathe, Kansas: no INSEE code
        assert yvone.local_ids == (("rennes", "6a4160eb-a793-2f86-2302-378626f46cce"),)

        # Deceased on 9 May 1989 at 20:35 in New York time: 10 May in Paris.
        sumiko = hl7_lookup.patient_by_id(
            session, _patient_id("129c6ac7-8d06-89de-ad63-0204a93e76c3")
        )
        assert sumiko is not None
        assert sumiko.essentials.alerts == ("Décès enregistré le 10/05/1989",)

        augustus = hl7_lookup.patient_by_id(
            session, _patient_id("cbc86e51-9eca-3855-76ec-c058f72c5761")
        )
        assert augustus is not None
        assert augustus.essentials.allergies[0] == Allergy("Aspirin", Severity.MODERATE, "")
        assert len(augustus.essentials.allergies) == 8
        assert (
            Allergy(
                "Animal dander (substance)",
                Severity.MODERATE,
                "Wheal (finding), Dyspnea (finding), Rhinoconjunctivitis (disorder)",
            )
            in augustus.essentials.allergies
        )
        assert (
            Medication("Fexofenadine hydrochloride 30 MG Oral Tablet", "", "", "Take as needed.")
            in augustus.essentials.medications
        )

        elisa_id = _patient_id("a5cb8ce9-cec6-6b23-0990-cbaf753578a4")
        elisa = hl7_lookup.patient_by_id(session, elisa_id)
        assert elisa is not None
        assert (
            Medication("Simvastatin 10 MG Oral Tablet", "1", "", "1 fois par jour")
            in elisa.essentials.medications
        )

        stay_id = derived_id(STAY, "rennes", "Encounter/cab1c886-77a7-3a8b-110d-a58c5cf2086f")
        stay = hl7_lookup.stay_by_id(session, "rennes", stay_id)
        assert stay is not None
        assert stay.patient_id == elisa_id
        assert stay.admitted_at == datetime(2018, 10, 18, 6, 16, 29, tzinfo=UTC)
        assert stay.discharged_at == datetime(2018, 11, 6, 6, 31, 29, tzinfo=UTC)
        ward_key = (
            "Location?identifier=https://github.com/synthetichealth/synthea|"
            "39d1bfd1-0503-3d59-b24a-b7f26a58004f"
        )
        assert stay.ward_id == derived_id(WARD, "rennes", ward_key)
        ward = session.get(WardRow, stay.ward_id)
        assert ward is not None
        assert ward.name == "RECOVER-CARE EMPORIA LLC"

        kinds = {row.kind for row in session.query(VisitRow).filter_by(patient_id=elisa_id)}
        assert kinds == {"consultation", "emergency"}
