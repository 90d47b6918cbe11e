import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bascule.errors import BasculeError, UnknownEntityError
from bascule.paper.codes import FormCode
from bascule.paper.issuing import FormIssuer
from bascule.paper.model import FormType, PacketData, PacketPart
from bascule.paper.packet import read_issue_file, write_issue_file
from bascule.paper.registry import (
    RegistryError,
    issue_record,
    outstanding,
    record_scan,
    register,
)
from bascule.paper.scan import ScannedCode, ScanProblem, ScanResult
from bascule.store import changes, journal
from bascule.store.database import Database
from tests.factories import record, site

AT = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 9, 18, 0, tzinfo=UTC)


def _data(site_id: str = "rennes") -> PacketData:
    return PacketData(
        site_id, "Clinique", "Rennes", date(2026, 12, 7), 12, "test", AT, (), (), (), (), ()
    )


def _issued(seed: int = 1) -> tuple[FormIssuer, dict[str, object]]:
    issuer = FormIssuer("rennes", random.Random(seed))
    issuer.issue(FormType.OR_LIST, page=1, title="Salle 1")
    issuer.issue(FormType.PATIENT_SHEET, page=2, title="Fiche", patient_id="p1", ward_id="w1")
    issuer.issue(FormType.SURGICAL_RECORD, page=3, title="Dossier", patient_id="p1", case_id="c1")
    issuer.issue(FormType.MEDICATION_RECORD, page=4, title="MAR", patient_id="p1", ward_id="w1")
    parts = (PacketPart.OR_LISTS, PacketPart.SHEETS, PacketPart.FORMS)
    packet = issue_record(
        f"packet-{seed}",
        _data(),
        parts,
        issuer.issued,
        pages=4,
        pdf_sha256="0" * 64,
        actor="ide",
        at=AT,
    )
    return issuer, packet


@pytest.fixture
def registered(db: Database) -> tuple[Database, FormIssuer]:
    record(db, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))])
    issuer, packet = _issued()
    with db.writing() as session:
        register(session, packet, actor="ide", at=AT, where="test")
    return db, issuer


def _seen(code: FormCode, source: str = "scan.pdf", page: int = 1) -> ScannedCode:
    return ScannedCode(source, page, code, code.payload(), None)


def test_registered_returnable_forms_are_outstanding(
    registered: tuple[Database, FormIssuer],
) -> None:
    db, issuer = registered
    with db.reading() as session:
        out = outstanding(session, "rennes")
        entry = journal.tail(session, 1)[0]
    # The patient sheet stays on the ward; the three others come back.
    assert [form.form_type for form in out] == ["ORL", "SUR", "MAR"]
    assert {form.form_id for form in out} == {
        f.code.form_id for f in issuer.issued if f.code.form_type.returnable
    }
    assert out[2].ward_id == "w1"
    assert out[1].case_id == "c1"
    assert (entry.kind, entry.actor, entry.site_id) == ("paper.packet_issued", "ide", "rennes")


def test_scanning_returns_forms_and_reports_duplicates_once(
    registered: tuple[Database, FormIssuer],
) -> None:
    db, issuer = registered
    or_list, _, surgical, _ = (form.code for form in issuer.issued)
    case_line = FormCode(FormType.OR_LIST, or_list.form_id, "rennes", "p9", "c9")
    scan = ScanResult(
        (_seen(or_list), _seen(case_line), _seen(surgical, page=2), _seen(surgical, page=3)),
        (),
        3,
    )
    with db.writing() as session:
        report = record_scan(session, scan, actor="clerk", at=LATER)
    assert [f.form_id for f in report.returned] == [or_list.form_id, surgical.form_id]
    assert [f.page for f in report.duplicates] == [3]
    with db.reading() as session:
        left = [form.form_type for form in outstanding(session, "rennes")]
    assert left == ["MAR"]

    with db.writing() as session:
        again = record_scan(
            session, ScanResult((_seen(or_list, "second.pdf"),), (), 1), actor="clerk", at=LATER
        )
    assert not again.returned
    assert "scan.pdf page 1" in again.duplicates[0].detail
    with db.reading() as session:
        kinds = [entry.kind for entry in journal.tail(session, 3)]
    assert kinds.count("paper.forms_returned") == 1


def test_unknown_unreadable_and_mismatched_codes_are_reported(
    registered: tuple[Database, FormIssuer],
) -> None:
    db, issuer = registered
    sheet = issuer.issued[1].code
    stranger = FormIssuer("rennes", random.Random(99)).issue(FormType.ADMISSION, page=1, title="x")
    wrong_patient = FormCode(FormType.PATIENT_SHEET, sheet.form_id, "rennes", "p2")
    scan = ScanResult(
        (
            _seen(stranger),
            _seen(wrong_patient, page=2),
            ScannedCode("scan.pdf", 3, None, "https://example.org", "not a bascule form code"),
        ),
        (ScanProblem("blank.png", 1, "no QR code found on this page"),),
        4,
    )
    with db.writing() as session:
        report = record_scan(session, scan, actor="clerk", at=LATER)
    assert not report.returned
    assert [f.form_id for f in report.unknown] == [stranger.form_id]
    assert [f.form_id for f in report.mismatched] == [sheet.form_id]
    assert {f.source for f in report.unreadable} == {"scan.pdf", "blank.png"}
    with db.reading() as session:
        assert journal.tail(session, 1)[0].kind == "paper.packet_issued"


def test_an_issue_file_registers_once(db: Database, tmp_path: Path) -> None:
    record(db, [changes.site_registered(site("rennes"))])
    _, packet = _issued(seed=4)
    path = tmp_path / "packet.forms.json"
    write_issue_file(path, packet)
    loaded = read_issue_file(path)
    with db.writing() as session:
        assert register(session, loaded, actor="dsi", at=LATER, where=str(path)) == 4
    with db.writing() as session, pytest.raises(RegistryError, match="already registered"):
        register(session, loaded, actor="dsi", at=LATER, where=str(path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "other"}, "not a bascule issue record"),
        ({"pages": "4"}, "field 'pages' is missing or not a int"),
        ({"day": "2026-13-01"}, "month must be in 1..12"),
        ({"forms": [["BAD", "ORL", None, None, None, 1, "x", True]]}, r"forms\[0\]: form id"),
        ({"forms": [["0000000000000", "XXX", None, None, None, 1, "x", True]]}, r"forms\[0\]"),
    ],
)
def test_malformed_issue_records_are_refused_with_the_field(
    db: Database, change: dict[str, object], message: str
) -> None:
    record(db, [changes.site_registered(site("rennes"))])
    _, packet = _issued(seed=5)
    with db.writing() as session, pytest.raises(RegistryError, match=message):
        register(session, {**packet, **change}, actor="dsi", at=LATER, where="f.json")
    with db.reading() as session:
        assert journal.count(session) == 1


def test_an_issue_file_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.forms.json"
    path.write_text('{\n "id": "x",\n oops\n}', encoding="utf-8")
    with pytest.raises(BasculeError, match=r"broken.forms.json: line 3"):
        read_issue_file(path)


def test_outstanding_for_an_unknown_site_is_refused(
    registered: tuple[Database, FormIssuer],
) -> None:
    db, _ = registered
    with db.reading() as session, pytest.raises(UnknownEntityError):
        outstanding(session, "brest")
