import dataclasses
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bascule.clock import SimulatedClock
from bascule.kit.build import build_kit_file, open_chain
from bascule.paper.codes import FormCode
from bascule.paper.model import FormType, PacketPart
from bascule.paper.packet import ALL_PARTS, parse_parts, print_from_kit, print_from_store, render
from bascule.paper.scan import scan_files, scan_image
from bascule.paper.source import packet_from_store
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.kit.agent_support import SITE_PASSPHRASE, make_keys
from tests.kit.group import build_group
from tests.paper.scan_support import rasterise, scanned

DAY = date(2026, 12, 9)
NOW = datetime(2026, 12, 9, 5, 30, tzinfo=UTC)


@pytest.fixture
def group(db_url: str) -> Database:
    db = Database(db_url, clock=SimulatedClock(NOW))
    upgrade(db)
    build_group(db)
    return db


def test_packet_from_kit_is_the_packet_from_the_store(group: Database, tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "keys", ("rennes",))
    built = build_kit_file(group, keys, "rennes", as_of=DAY)
    content = open_chain([("kit", built.data)], keys.signing_key().public_key(), SITE_PASSPHRASE)
    from_kit = print_from_kit(
        content, DAY, ALL_PARTS, source="kit", actor="ide", at=NOW, rng=random.Random(3)
    )
    with group.snapshot() as session:
        stored = packet_from_store(session, "rennes", DAY, now=NOW)
    # Same data, same provenance line, same ids: the very same PDF.
    same = dataclasses.replace(stored, source="kit", data_as_of=from_kit.data.data_as_of)
    from_store = render(same, ALL_PARTS, actor="ide", at=NOW, rng=random.Random(3))
    assert from_store.pdf == from_kit.pdf
    assert from_store.record == from_kit.record
    group.dispose()


def test_printing_from_the_store_journals_every_form(group: Database) -> None:
    printed = print_from_store(group, "rennes", DAY, ALL_PARTS, actor="ide")
    assert printed.pages == len(printed.issued)
    assert [form.page for form in printed.issued] == list(range(1, printed.pages + 1))
    types = {form.code.form_type for form in printed.issued}
    assert types == {
        FormType.OR_LIST,
        FormType.CENSUS,
        FormType.PATIENT_SHEET,
        FormType.LABELS,
        FormType.ADMISSION,
        FormType.SURGICAL_RECORD,
        FormType.MEDICATION_RECORD,
        FormType.REQUEST,
        FormType.CALL_LIST,
        FormType.DOWNTIME_LABELS,  # a page saying none are reserved yet
    }
    group.dispose()


def test_every_code_of_a_scanned_packet_reads_back(group: Database, tmp_path: Path) -> None:
    printed = print_from_store(group, "rennes", DAY, ALL_PARTS, actor="ide", rng=random.Random(8))
    group.dispose()
    path = tmp_path / "packet.pdf"
    path.write_bytes(printed.pdf)
    rng = random.Random(2)
    found: set[FormCode] = set()
    for number, page in enumerate(rasterise(path, 150), start=1):
        sheet = scanned(page, angle=rng.uniform(-2.5, 2.5), seed=number, blur=0.5, noise=8)
        codes, problems = scan_image(sheet, "packet.pdf", number)
        assert not problems, problems
        found |= {item.code for item in codes if item.code is not None}
    # Label sheets carry their form id in every label's code, not in a page code.
    assert {form.code.form_id for form in printed.issued} == {code.form_id for code in found}
    # The per-case codes of the OR list carry the case and patient.
    assert any(code.case_id == "c1" and code.patient_id == "p1" for code in found)


def test_parts_are_kept_in_packet_order() -> None:
    assert parse_parts("labels, or-lists") == (PacketPart.OR_LISTS, PacketPart.LABELS)
    assert parse_parts(None) == ALL_PARTS


@pytest.mark.parametrize("seed", [25, 33])
def test_comb_and_tick_boxes_are_not_taken_for_damaged_codes(
    group: Database, tmp_path: Path, seed: int
) -> None:
    # With these form ids zxing once saw a "code of impossible size" in a form's boxes.
    with group.snapshot() as session:
        data = packet_from_store(session, "rennes", DAY, now=NOW)
    group.dispose()
    printed = render(data, ALL_PARTS, actor="ide", at=NOW, rng=random.Random(seed))
    path = tmp_path / "packet.pdf"
    path.write_bytes(printed.pdf)
    result = scan_files([path])
    assert result.problems == ()
    assert {item.code.form_id for item in result.codes if item.code} == {
        form.code.form_id for form in printed.issued
    }
