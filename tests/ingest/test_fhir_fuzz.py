"""Random JSON lines never crash the importer: problems are reported, nothing else written."""

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.domain.sites import OperatingTheatre
from bascule.ingest.fhir_import import FhirImportReport, import_fhir
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.factories import record, site

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fhir-r4"
SAMPLE = FIXTURES / "smart-bulk-10-patients"
BUNDLE = FIXTURES / "bundle-fr-transaction.json"
TYPES = [
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "Encounter",
    "Procedure",
    "AllergyIntolerance",
    "MedicationRequest",
    "MedicationStatement",
    "Medication",
    "Appointment",
    "Bundle",
    "Organization",
]
ELEMENTS = [
    "id",
    "identifier",
    "name",
    "birthDate",
    "gender",
    "extension",
    "status",
    "class",
    "subject",
    "patient",
    "period",
    "location",
    "code",
    "category",
    "reaction",
    "dosageInstruction",
    "participant",
    "start",
    "entry",
    "resource",
    "physicalType",
    "partOf",
    "reference",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(ELEMENTS) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
fhir_like = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(TYPES)},
    optional=dict.fromkeys(ELEMENTS, json_values),
)


@cache
def _sample_resources() -> list[dict[str, Any]]:
    lines = []
    for path in sorted((SAMPLE / "full").glob("[A-Z]*.ndjson")):
        lines += path.read_text(encoding="utf-8").splitlines()[:3]
    for path in sorted((SAMPLE / "subset").glob("*.ndjson")):
        lines += path.read_text(encoding="utf-8").splitlines()[:3]
    return [json.loads(line) for line in lines]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A real resource with some of its elements replaced by random JSON."""
    resource = dict(draw(st.sampled_from(_sample_resources())))
    for key in draw(st.lists(st.sampled_from(sorted(resource)), max_size=3)):
        resource[key] = draw(json_values)
    return resource


lines = st.lists(
    st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t)
    | json_values.map(json.dumps)
    | fhir_like.map(json.dumps)
    | mutated().map(json.dumps),
    min_size=1,
    max_size=8,
)


@pytest.fixture(scope="module")
def rennes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'bascule.sqlite3'}")
    upgrade(db)
    theatre = OperatingTheatre("rennes-or1", "rennes", "Bloc 1", (480,) * 5 + (0, 0), ())
    record(db, [changes.site_registered(site("rennes")), changes.theatre_registered(theatre)])
    yield db
    db.dispose()


def _accounted(report: FhirImportReport) -> int:
    return (
        sum(report.created.values())
        + sum(report.updated.values())
        + report.unchanged
        + len(report.skipped)
        + len(report.errors)
    )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=lines)
def test_random_lines_never_crash_the_import(
    rennes: Database, tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("lines") / "random.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    with rennes.reading() as session:
        before = journal.count(session)

    report = import_fhir(rennes, [path], site_id="rennes", actor="fuzz")

    with rennes.reading() as session:
        after = journal.count(session)
    assert _accounted(report) == report.resources
    if not report.created and not report.updated:
        assert after == before


@st.composite
def mutated_bundle(draw: st.DrawFn) -> dict[str, Any]:
    """The hand-written Bundle with elements of some of its resources replaced."""
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    for entry in draw(st.lists(st.sampled_from(bundle["entry"]), min_size=1, max_size=3)):
        resource = entry["resource"]
        for key in draw(st.lists(st.sampled_from(sorted(resource)), min_size=1, max_size=3)):
            resource[key] = draw(json_values)
    return bundle


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bundle=mutated_bundle())
def test_damaged_bundles_never_crash_the_import(
    rennes: Database, tmp_path_factory: pytest.TempPathFactory, bundle: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    report = import_fhir(rennes, [path], site_id="rennes", actor="fuzz")

    assert _accounted(report) == report.resources
