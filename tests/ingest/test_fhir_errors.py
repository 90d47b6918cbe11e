"""Bad FHIR input: each problem reported at its file and line or entry, the rest imported."""

import json
from pathlib import Path
from typing import Any

import pytest

from bascule.errors import UnknownEntityError
from bascule.ingest import fhir_import, hl7_lookup
from bascule.ingest.fhir_import import import_fhir
from bascule.ingest.fhir_read import FhirInputError
from bascule.ingest.fhir_refs import PATIENT, derived_id
from bascule.store import changes, journal
from bascule.store.database import Database
from tests.factories import record, site


def _patient(fhir_id: str, **overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": fhir_id,
        "name": [{"use": "official", "family": "Le Bihan", "given": ["Loïc"]}],
        "gender": "male",
        "birthDate": "1971-02-03",
    }
    return {**resource, **overrides}


def _lines(path: Path, *lines: Any) -> Path:
    text = (
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    )
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def _entries(db: Database) -> int:
    with db.reading() as session:
        return journal.count(session)


@pytest.fixture
def rennes(db: Database) -> Database:
    record(db, [changes.site_registered(site("rennes"))])
    return db


def test_every_bad_line_is_reported_at_its_place_and_the_rest_imported(
    rennes: Database, tmp_path: Path
) -> None:
    path = _lines(
        tmp_path / "Patient.000.ndjson",
        _patient("ok-1"),
        '{"resourceType": "Patient" "id": "x"}',
        {"id": "no-type"},
        [1, 2],
        "",
        _patient(
            "bad-nir",
            identifier=[{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "284073523812399"}],
        ),
        _patient("bad-date", birthDate="19x"),
        _patient("partial-date", birthDate="1980"),
        _patient("bad-type", name=[{"family": "Le Bihan", "given": [5]}]),
        _patient("no-name", name=[{"use": "nickname", "family": "Lolo"}]),
        _patient("ok-2"),
    )
    before = _entries(rennes)

    report = import_fhir(rennes, [path], site_id="rennes", actor="fhir")

    assert report.errors == [
        "Patient.000.ndjson line 2: not valid JSON (Expecting ',' delimiter at column 28)",
        "Patient.000.ndjson line 3: no resourceType",
        "Patient.000.ndjson line 4: not a JSON object",
        "Patient.000.ndjson line 6: Patient.identifier[0]: NIR '284073523812399': wrong key 99, "
        "expected 07",
        "Patient.000.ndjson line 7: Patient.birthDate '19x' is not a date",
        "Patient.000.ndjson line 8: Patient.birthDate '1980' is not a full date (year-month-day)",
        "Patient.000.ndjson line 9: Patient.name[0].given[0] 5 is not a string",
        "Patient.000.ndjson line 10: Patient.name has no family name",
    ]
    assert report.created == {"patient": 2}
    assert report.resources == 10
    assert _entries(rennes) == before + 2


def test_bundle_problems_are_reported_by_entry(rennes: Database, tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": _patient("p1")},
            {"fullUrl": "urn:uuid:p2", "request": {"method": "POST", "url": "Patient"}},
            {"request": {"method": "DELETE", "url": "Patient/p9"}},
            "not an entry",
            {"resource": {"id": "typeless"}},
            {
                "resource": {
                    "resourceType": "AllergyIntolerance",
                    "code": {"text": "Iode"},
                    "patient": {"reference": "urn:uuid:nobody"},
                }
            },
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    report = import_fhir(rennes, [path], site_id="rennes", actor="fhir")

    assert report.errors == [
        "bundle.json entry 2: entry without a resource",
        "bundle.json entry 4: not a JSON object",
        "bundle.json entry 5: no resourceType",
        "bundle.json entry 6: AllergyIntolerance.patient 'urn:uuid:nobody' cannot be resolved",
    ]
    assert report.skipped == [
        "bundle.json entry 3: DELETE not applied (bascule does not delete from feeds)"
    ]
    assert report.created == {"patient": 1}


def test_a_malformed_bundle_file_is_one_error(rennes: Database, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "resourceType": "Bundle",\n  "entry": [,]\n}\n', encoding="utf-8")

    report = import_fhir(rennes, [path], site_id="rennes", actor="fhir")

    assert report.errors == ["broken.json: not valid JSON (Expecting value at line 3 column 13)"]
    assert report.resources == 1


def test_a_refused_resource_leaves_nothing_behind(rennes: Database, tmp_path: Path) -> None:
    # A unit without physical type becomes a ward only for a stay there: refusing the stay
    # (its patient is unknown) must not register the ward for nothing.
    unit = {"resourceType": "Location", "id": "uf-2", "name": "Unité de chirurgie ambulatoire"}
    ward = {
        "resourceType": "Location",
        "id": "uf-1",
        "name": "Chirurgie digestive",
        "physicalType": {"coding": [{"code": "wa"}]},
    }
    stay: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "in-progress",
        "class": {"code": "IMP"},
        "subject": {"reference": "Patient/ghost"},
        "period": {"start": "2025-05-02T08:00:00+02:00"},
        "location": [{"location": {"reference": "Location/uf-2"}}],
    }
    nowhere = {
        **stay,
        "id": "e2",
        "subject": {"reference": "Patient/p1"},
        "location": [{"location": {"reference": "Location/nowhere"}}],
    }
    path = _lines(tmp_path / "all.ndjson", _patient("p1"), ward, unit, stay, nowhere)

    report = import_fhir(rennes, [path], site_id="rennes", actor="fhir")

    assert report.errors == [
        "all.ndjson line 4: Encounter.subject 'Patient/ghost' cannot be resolved",
        "all.ndjson line 5: Encounter.location[0].location 'Location/nowhere' cannot be resolved",
    ]
    assert report.created == {"patient": 1, "ward": 1}
    assert report.skipped == [
        "all.ndjson line 3: Location not imported: no inpatient stay there, and not typed as a "
        "ward (physicalType wa)"
    ]
    assert _entries(rennes) == 1 + 2


def test_references_resolve_across_transactions_and_imports(
    rennes: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fhir_import, "BATCH", 2)
    people = _lines(
        tmp_path / "Patient.ndjson",
        _patient("p1"),
        _patient(
            "p2",
            identifier=[
                {"type": {"coding": [{"code": "PI"}]}, "value": "IPP-2"},
                {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "171023512345645"},
            ],
        ),
        _patient("p3"),
    )
    calls: list[tuple[int, int]] = []
    import_fhir(
        rennes, [people], site_id="rennes", actor="fhir", progress=lambda *c: calls.append(c)
    )
    assert calls == [(0, 3), (2, 3), (3, 3)]

    allergy: dict[str, Any] = {"resourceType": "AllergyIntolerance", "code": {"text": "Latex"}}
    later = _lines(
        tmp_path / "AllergyIntolerance.ndjson",
        {**allergy, "patient": {"reference": "Patient/p1"}},
        {**allergy, "patient": {"reference": "Patient?identifier=|IPP-2"}},
        {
            **allergy,
            "patient": {
                "reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|171023512345645"
            },
        },
        {**allergy, "patient": {"identifier": {"value": "p3"}}},
        {**allergy, "patient": {"reference": "Practitioner/p3"}},
    )
    report = import_fhir(rennes, [later], site_id="rennes", actor="fhir")

    assert report.errors == [
        "AllergyIntolerance.ndjson line 5: AllergyIntolerance.patient 'Practitioner/p3' refers "
        "to a Practitioner, not a Patient"
    ]
    # p2 twice (by IPP, by INS): one allergy per substance.
    assert report.created == {"allergy": 3}
    assert report.unchanged == 1
    with rennes.reading() as session:
        p2 = hl7_lookup.patient_by_id(session, derived_id(PATIENT, "rennes", "Patient/p2"))
        assert p2 is not None
        assert [a.substance for a in p2.essentials.allergies] == ["Latex"]


def test_an_unknown_site_or_path_stops_before_reading(rennes: Database, tmp_path: Path) -> None:
    with pytest.raises(UnknownEntityError, match="unknown site id 'brest'"):
        import_fhir(rennes, [tmp_path], site_id="brest", actor="fhir")
    with pytest.raises(FhirInputError, match="no such file or directory"):
        import_fhir(rennes, [tmp_path / "missing.ndjson"], site_id="rennes", actor="fhir")
