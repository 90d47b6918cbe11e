import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bascule.clock import SimulatedClock
from bascule.kit.build import build_kit_file, open_chain
from bascule.kit.keys import KeyStore
from bascule.paper.downtime import reserve
from bascule.paper.model import PacketData
from bascule.paper.source import (
    PacketSourceError,
    packet_from_kit,
    packet_from_records,
    packet_from_store,
)
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from tests.kit.agent_support import SITE_PASSPHRASE, make_keys

DAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)


@pytest.fixture
def group(db_url: str) -> Database:
    db = Database(db_url, clock=SimulatedClock(NOW))
    upgrade(db)
    synthesise(db, patients=600, seed=3, start=DAY)
    with db.writing() as session:
        reserve(session, "rennes", 6, actor="test", at=NOW)
    return db


def _without_provenance(data: PacketData) -> PacketData:
    return dataclasses.replace(data, source="", data_as_of=NOW)


def _from_kit(db: Database, keys: KeyStore, site: str) -> PacketData:
    built = build_kit_file(db, keys, site, as_of=DAY)
    content = open_chain([("kit", built.data)], keys.signing_key().public_key(), SITE_PASSPHRASE)
    return packet_from_kit(content, DAY, source="kit rennes.kit")


def test_packet_from_kit_equals_packet_from_store(group: Database, tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "keys", ("rennes",))
    with group.snapshot() as session:
        stored = packet_from_store(session, "rennes", DAY, now=NOW)
    from_kit = _from_kit(group, keys, "rennes")
    assert from_kit.seq == stored.seq
    assert from_kit.source == "kit rennes.kit"
    assert _without_provenance(from_kit) == _without_provenance(stored)
    # The comparison means something only if the day has real content.
    assert len(stored.cases) > 10
    assert len(stored.inpatients) > 50
    assert any(sheet.allergies for sheet in stored.sheets)
    assert len(stored.downtime_ids) == 6
    group.dispose()


def test_every_case_of_the_day_is_on_its_theatre_list_in_time_order(group: Database) -> None:
    with group.snapshot() as session:
        data = packet_from_store(session, "rennes", DAY, now=NOW)
    for theatre in data.theatres:
        starts = [case.start_minute for case in theatre.cases]
        assert starts == sorted(s for s in starts if s is not None)
        assert all(
            case.theatre_id == theatre.theatre_id and case.day == DAY for case in theatre.cases
        )
    sheet_ids = {sheet.patient.patient_id for sheet in data.sheets}
    assert {case.patient.patient_id for case in data.cases} <= sheet_ids
    assert {patient.patient_id for patient in data.inpatients} <= sheet_ids
    group.dispose()


def test_kit_refuses_a_day_outside_its_horizon(group: Database, tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "keys", ("rennes",))
    built = build_kit_file(group, keys, "rennes", as_of=DAY)
    content = open_chain([("kit", built.data)], keys.signing_key().public_key(), SITE_PASSPHRASE)
    with pytest.raises(PacketSourceError, match=r"2027-01-04 is outside the kit's horizon"):
        packet_from_kit(content, date(2027, 1, 4), source="kit rennes.kit")
    group.dispose()


def test_missing_patient_record_prints_empty_identity() -> None:
    site = {"id": "rennes", "name": "Clinique", "city": "Rennes"}
    collections = {
        "cases": {
            "c1": {
                "id": "c1",
                "patient_id": "ghost",
                "day": DAY.isoformat(),
                "theatre_id": "t1",
                "start_minute": None,
                "status": "booked",
            }
        },
        "theatres": {"t1": {"id": "t1", "name": "Salle 1"}},
        "stays": {},
        "wards": {},
        "patients": {},
        "staff": {},
    }
    data = packet_from_records(
        site, DAY, seq=1, source="test", data_as_of=NOW, collections=collections, downtime=[]
    )
    (case,) = data.cases
    assert case.patient.patient_id == "ghost"
    assert case.patient.birth_family_name == ""
    assert case.patient.birth_date is None
    assert case.surgeon_name == ""
    assert case.procedure == ""
