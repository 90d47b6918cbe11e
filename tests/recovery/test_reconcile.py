from dataclasses import replace
from datetime import date, timedelta

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.roles import Actor, Forbidden, Role
from bascule.domain.cases import Booking, CaseStatus
from bascule.domain.priority import PriorityClass
from bascule.paper.codes import FormCode, new_form_id
from bascule.paper.model import FormType
from bascule.recovery.completeness import completeness
from bascule.recovery.reconcile import ConflictError, open_conflicts, resolve_conflict
from bascule.recovery.reentry import confirm_form, open_form, save_entry
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.tables import SurgicalCaseRow
from tests.factories import patient, record
from tests.recovery.conftest import ALICE, WINDOW, Printed, packet
from tests.replan.group import case, theatre

Setup = tuple[Database, SimulatedClock, Printed]
OPERATED = date(2026, 11, 30)
RECORD = {
    "theatre": "Salle 1",
    "in_room_at": "30/11/2026 08:10",
    "out_of_room_at": "30/11/2026 09:30",
    "surgeon": "Dr Morvan",
    "procedure": "Ostéosynthèse",
}
SCHEDULER = Actor("erwan", "Erwan Tanguy", Role.OR_SCHEDULER, ())


def _booked(db: Database) -> None:
    record(db, [changes.patient_registered(patient(7), "rennes")])
    booked = replace(
        case(7, PriorityClass.P3, 60, Booking(OPERATED, "rennes-bloc-1", 480)), surgeon_id=None
    )
    record(db, [changes.theatre_registered(theatre("rennes", 1)), changes.case_booked(booked)])


def _typed_record(db: Database) -> str:
    code = FormCode(FormType.SURGICAL_RECORD, new_form_id(), "rennes", "p7", "c7")
    record(db, [packet([code], packet_id=code.form_id)])
    form_id = open_form(db, ALICE, code.payload())
    saved = save_entry(
        db, ALICE, form_id, RECORD | {"case_reference": "c7"}, submit=True, window=WINDOW
    )
    assert saved.submitted, saved.problems
    confirm_form(db, ALICE, form_id, window=WINDOW)
    return form_id


def _status(db: Database) -> str:
    with db.reading() as session:
        row = session.get(SurgicalCaseRow, "c7")
        assert row is not None
        return row.status


def test_a_record_the_centre_did_not_touch_marks_the_case_done(printed: Setup) -> None:
    db, _, _ = printed
    _booked(db)
    _typed_record(db)
    assert _status(db) == CaseStatus.DONE.value
    with db.reading() as session:
        assert open_conflicts(session) == []


def test_a_case_replanned_centrally_meanwhile_is_a_conflict_to_decide(printed: Setup) -> None:
    db, _, _ = printed
    _booked(db)
    moved = replace(
        case(7, PriorityClass.P3, 60, Booking(OPERATED + timedelta(days=3), "rennes-bloc-1", 480)),
        surgeon_id=None,
    )
    record(db, [changes.case_updated(moved)], actor="replan:claire")
    form_id = _typed_record(db)
    assert _status(db) == CaseStatus.BOOKED.value  # nothing overwritten silently
    with db.reading() as session:
        [conflict] = open_conflicts(session)
        assert completeness(session).conflicts_pending == 1
    assert conflict.form_id == form_id
    assert conflict.paper_value == "operated 2026-11-30 Salle 1"
    assert conflict.central_value == "booked 2026-12-03 rennes-bloc-1"
    assert conflict.central_by == "replan:claire"
    assert conflict.paper_by == "web:alice"
    with pytest.raises(Forbidden):
        resolve_conflict(db, ALICE, conflict.id, "paper")
    with pytest.raises(ConflictError, match="resolution"):
        resolve_conflict(db, SCHEDULER, conflict.id, "both")
    resolve_conflict(db, SCHEDULER, conflict.id, "paper", note="opéré le 30, confirmé par le bloc")
    assert _status(db) == CaseStatus.DONE.value
    with pytest.raises(ConflictError, match="already resolved"):
        resolve_conflict(db, SCHEDULER, conflict.id, "central")
    with db.reading() as session:
        assert completeness(session).conflicts_pending == 0
