from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bascule.clock import SimulatedClock
from bascule.kit.content import Window, build_content, decode_index
from bascule.kit.delta import DeltaMismatchError, apply_delta, build_delta
from bascule.store import changes
from bascule.store.checkpoint import checkpoint_if_quiet
from bascule.store.database import Database
from tests.factories import patient, record
from tests.kit.group import AS_OF, build_group, case, on_call, stay, visit


def full(db: Database, site: str, window: Window) -> tuple[dict[str, Any], dict[str, Any]]:
    with db.snapshot() as session:
        built = build_content(session, site, window, db.clock.now())
    return built.content, built.manifest


def delta(db: Database, base: dict[str, Any], window: Window) -> dict[str, Any]:
    with db.snapshot() as session:
        return build_delta(session, base, window, db.clock.now()).content


@pytest.fixture
def group(db: Database) -> Database:
    db.clock = SimulatedClock(datetime(2026, 12, 7, 6, tzinfo=UTC))
    build_group(db)
    return db


def test_full_kit_holds_the_site_essentials_and_the_whole_index(group: Database) -> None:
    content, manifest = full(group, "rennes", Window(AS_OF))
    collections = content["collections"]
    assert set(collections["patients"]) == {"p0", "p1"}  # inpatient, case within 14 days
    assert set(collections["cases"]) == {"c1"}
    assert set(collections["stays"]) == {"st0"}
    assert set(collections["staff"]) == {"s1"}
    assert collections["wards"]["rennes-ortho"]["rooms"][0]["beds"] == ["A", "B"]
    assert collections["patients"]["p0"]["allergies"][0]["substance"] == "pénicilline"
    assert collections["patients"]["p0"]["local_id"] == "IPP0"
    index = decode_index(content["index"])
    assert sorted(index) == ["p0", "p1", "p2", "p3"]  # the group's index, nantes included
    assert index["p3"][8] == "nantes:IPP3"
    assert manifest["ids"]["patients"] == ["p0", "p1"]
    assert content["seq"] == manifest["seq"] == 14  # one entry per change


def test_delta_applied_to_a_kit_equals_the_full_kit_at_the_new_sequence(group: Database) -> None:
    before, manifest = full(group, "rennes", Window(AS_OF))
    # Journal changes: a new patient admitted, a nantes patient booked at rennes, and
    # time moves on so that p2's case enters the horizon and p1's leaves it.
    record(group, [changes.patient_registered(patient(5), "rennes")])
    record(
        group,
        [
            changes.stay_admitted(stay(5, "p5", bed="B")),
            changes.case_booked(case(7, "p3", AS_OF + timedelta(days=12))),
        ],
    )
    record(group, [changes.patient_registered(patient(9, "nantes"), "nantes")])
    record(group, [changes.oncall_assigned(on_call(AS_OF + timedelta(days=d))) for d in range(20)])
    record(group, [changes.visit_recorded(visit(1, "p9", datetime(2026, 12, 8, 10, tzinfo=UTC)))])
    assert checkpoint_if_quiet(group, quiet_for=timedelta(0)) is not None
    group.clock.advance(timedelta(days=10))  # type: ignore[attr-defined]
    later = Window(AS_OF + timedelta(days=10))

    patched = apply_delta(before, delta(group, manifest, later))
    expected, _ = full(group, "rennes", later)
    assert patched == expected
    assert set(expected["collections"]["cases"]) == {"c2", "c7"}
    assert "p9" in expected["collections"]["patients"]  # seen in consultation
    assert len(expected["collections"]["oncall"]) == 10  # the part of the roster in horizon
    assert "p9" in decode_index(expected["index"])


def test_empty_delta_keeps_the_content(group: Database) -> None:
    before, manifest = full(group, "rennes", Window(AS_OF))
    change = delta(group, manifest, Window(AS_OF))
    assert change["entries"] == []
    assert apply_delta(before, change) == before


def test_delta_refuses_another_base(group: Database) -> None:
    before, manifest = full(group, "rennes", Window(AS_OF))
    record(group, [changes.patient_registered(patient(5), "rennes")])
    first = delta(group, manifest, Window(AS_OF))
    with pytest.raises(DeltaMismatchError, match="cannot apply to a kit at"):
        apply_delta(apply_delta(before, first), first)


def test_delta_refuses_another_site(group: Database) -> None:
    rennes, _ = full(group, "rennes", Window(AS_OF))
    _, nantes_manifest = full(group, "nantes", Window(AS_OF))
    with pytest.raises(DeltaMismatchError, match="site nantes"):
        apply_delta(rennes, delta(group, nantes_manifest, Window(AS_OF)))


def test_checkpoint_alone_moves_the_kit_forward(group: Database) -> None:
    before, manifest = full(group, "rennes", Window(AS_OF))
    checkpoint_if_quiet(group, quiet_for=timedelta(0))
    change = delta(group, manifest, Window(AS_OF))
    assert change["seq"] == before["seq"] + 1
    assert [entry["kind"] for entry in change["entries"]] == ["journal.checkpoint"]
    assert apply_delta(before, change) == full(group, "rennes", Window(AS_OF))[0]
