"""The overlay a batch is mapped against answers as the store will, or says it cannot."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bascule.domain.sites import OperatingTheatre, Ward
from bascule.ingest import hl7_lookup
from bascule.ingest.hl7_mapping import map_message
from bascule.ingest.hl7_message import parse_message
from bascule.ingest.hl7_overlay import BatchReads, OverlayUnsureError, ReferenceCache
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.journal import Change
from tests.ingest.test_hl7_adt import adt, pid, pv1
from tests.kit.group import build_group

RECEIVED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def siu(event: str, control: str, appointment: str, ipp: str) -> str:
    return "\r".join(
        [
            f"MSH|^~\\&|ORBIS|RENNES|BASCULE|rennes|20261207081500+0100||SIU^{event}^SIU_S12"
            f"|{control}|P|2.5|||AL|NE|FRA|UNICODE UTF-8",
            f"SCH||{appointment}|||||NEKA020^Prothèse de hanche^CCAM",
            pid(ipp, ins=""),
            "AIS|1||NEKA020^Prothèse de hanche^CCAM|20261209083000+0100|||90|min",
            "AIL|1||rennes-bloc-1",
            "AIP|1||s1",
        ]
    )


FEED = [
    adt("A28", "O1", pid("IPP2001")),
    adt("A01", "O2", pid("IPP2001"), pv1("V1", "CARDIO^12^A", admitted="20261207080000+0100")),
    adt("A02", "O3", pid("IPP2001"), pv1("V1", "CARDIO^14^B")),
    adt("A08", "O4", pid("IPP2001", phone="07 00 00 00 01")),
    adt("A01", "O5", pid("IPP0", ins=""), pv1("V2", "rennes-ortho^102^A")),
    siu("S12", "O6", "APPT1", "IPP2001"),
    siu("S15", "O7", "APPT1", "IPP2001"),
    adt("A03", "O8", pid("IPP2001"), pv1("V1", "CARDIO^14^B", left="20261207120000+0100")),
]


@pytest.fixture
def group(db: Database) -> Database:
    build_group(db)
    return db


@pytest.fixture
def reads(group: Database) -> Iterator[BatchReads]:
    with group.reading() as session:
        yield BatchReads(session)


def test_the_overlay_answers_as_the_store_does_once_the_changes_are_written(
    group: Database,
) -> None:
    with group.writing() as session:
        overlay = BatchReads(session)
        parsed = [parse_message(message) for message in FEED]
        overlay.prefetch((message, "rennes") for message in parsed)
        written: list[Change] = []
        for message in parsed:
            mapped = map_message(message, overlay, site_id="rennes", received_at=RECEIVED)
            overlay.apply(mapped.changes)
            written += mapped.changes
        journal.append(session, written, actor="test", at=RECEIVED, project_by_kind=True)
        store = hl7_lookup.StoreReads(session)
        for ipp in ("IPP2001", "IPP0", "IPP1"):
            assert overlay.patient_by_local_id("rennes", ipp) == store.patient_by_local_id(
                "rennes", ipp
            )
        for stay_id in ("rennes-V1", "rennes-V2", "st0"):
            assert overlay.stay_by_id("rennes", stay_id) == store.stay_by_id("rennes", stay_id)
        assert overlay.case_by_id("rennes-APPT1") == store.case_by_id("rennes-APPT1")
        for code in ("CARDIO", "rennes-hl7-cardio", "ortho", "nowhere"):
            assert overlay.ward_id("rennes", code) == store.ward_id("rennes", code)
    discharged = overlay.stay_by_id("rennes", "rennes-V1")
    assert discharged is not None
    assert (discharged.ward_id, discharged.room_id, discharged.bed) == (
        "rennes-hl7-cardio",
        "14",
        "B",
    )
    assert discharged.discharged_at is not None


def test_a_merge_leaves_the_overlay_unsure(reads: BatchReads) -> None:
    with pytest.raises(OverlayUnsureError):
        reads.apply([changes.patients_merged("p0", "p1", "rennes")])


def test_a_change_the_overlay_does_not_model_leaves_it_unsure(reads: BatchReads) -> None:
    ward = Ward("rennes-cardio", "rennes", "Cardiologie", "cardiology", ())
    theatre = OperatingTheatre("rennes-bloc-9", "rennes", "Salle 9", (600,) * 7, ("cardiology",))
    with pytest.raises(OverlayUnsureError):
        reads.apply([changes.theatre_registered(theatre)])
    reads.apply([changes.ward_registered(ward)])
    assert reads.ward_id("rennes", "cardio") == "rennes-cardio"


def test_a_ward_name_only_the_database_can_compare_leaves_the_overlay_unsure(
    reads: BatchReads,
) -> None:
    reads.apply([changes.ward_registered(Ward("rennes-x", "rennes", "ÉTAGE 3", "unknown", ()))])
    with pytest.raises(OverlayUnsureError):
        reads.ward_id("rennes", "étage 3")
    assert reads.ward_id("rennes", "étage 4") is None


def test_one_local_id_claimed_by_two_patients_leaves_the_overlay_unsure(
    reads: BatchReads,
) -> None:
    first = reads.patient_by_id("p1")
    assert first is not None
    rennes_id = first.local_id_at("rennes")
    assert rennes_id is not None
    other = reads.patient_by_id("p2")
    assert other is not None
    claimed = replace(other, local_ids=(("rennes", rennes_id),))
    with pytest.raises(OverlayUnsureError):
        reads.apply([changes.patient_updated(claimed, "rennes")])


def test_a_patient_registered_twice_leaves_the_overlay_unsure(reads: BatchReads) -> None:
    known = reads.patient_by_id("p0")
    assert known is not None
    with pytest.raises(OverlayUnsureError):
        reads.apply([changes.patient_registered(known, "rennes")])


def test_reference_data_is_reused_only_while_nothing_else_was_journaled(
    group: Database,
) -> None:
    cache = ReferenceCache()
    with group.reading() as session:
        reads = BatchReads(session)
        cache.keep(reads.reference, 10)
        assert cache.take(11) is None
        cache.keep(reads.reference, 10)
        assert cache.take(10) is reads.reference
        assert cache.take(10) is None  # never handed out twice
        reads.apply([changes.ward_registered(Ward("rennes-x", "rennes", "X", "unknown", ()))])
    cache.keep(reads.reference, 12)
    assert cache.take(12) is None  # a ward registered on top of what was read: read again
