from dataclasses import replace

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.incidents import change_phase, declare_incident, timeline
from bascule.crisis.roles import Actor, Forbidden, Role
from bascule.domain.cases import CaseStatus
from bascule.domain.priority import PriorityClass
from bascule.errors import BasculeError
from bascule.paper.model import FormType
from bascule.recovery.completeness import OutstandingError, completeness, waive_closure
from bascule.recovery.reentry import confirm_form, open_form, save_entry
from bascule.store import changes
from bascule.store.database import Database
from tests.factories import patient, record
from tests.recovery.conftest import ALICE, WINDOW, Printed
from tests.recovery.test_reentry import REQUEST
from tests.replan.group import case

Setup = tuple[Database, SimulatedClock, Printed]
LEAD = Actor("claire", "Claire", Role.CRISIS_LEAD, ())


def _state(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return completeness(session).outstanding()


def test_forms_count_from_issued_to_confirmed(printed: Setup) -> None:
    db, _, paper = printed
    with db.reading() as session:
        [ward] = completeness(session).forms
    assert (ward.site_id, ward.ward_id, ward.issued, ward.confirmed) == ("rennes", "chir-a", 4, 0)
    form_id = open_form(db, ALICE, paper.codes[FormType.REQUEST].payload())
    save_entry(db, ALICE, form_id, REQUEST, submit=True, window=WINDOW)
    confirm_form(db, ALICE, form_id, window=WINDOW)
    with db.reading() as session:
        [ward] = completeness(session).forms
    assert (ward.typed, ward.confirmed, ward.outstanding) == (1, 1, 3)
    assert _state(db) == {
        "forms": 3,
        "identities": 0,
        "conflicts": 0,
        "patients_without_date": 0,
    }


def test_a_postponed_patient_without_a_new_date_is_outstanding(printed: Setup) -> None:
    db, _, _ = printed
    record(db, [changes.patient_registered(patient(6), "rennes")])
    postponed = replace(
        case(6, PriorityClass.P3, 60, None, status=CaseStatus.POSTPONED), surgeon_id=None
    )
    record(db, [changes.case_booked(postponed)])
    assert _state(db)["patients_without_date"] == 1


def test_the_incident_closes_only_when_nothing_is_left_or_with_a_waiver(printed: Setup) -> None:
    db, _, _ = printed
    incident_id = declare_incident(
        db, LEAD, title="t", severity="major", sites=["rennes"], systems=[]
    )
    with pytest.raises(OutstandingError, match="forms 4"):
        change_phase(db, LEAD, incident_id, "closed")
    with pytest.raises(Forbidden):
        waive_closure(db, ALICE, incident_id, "les formulaires restants sont des doublons")
    with pytest.raises(BasculeError, match="field 'reason'"):
        waive_closure(db, LEAD, incident_id, "ok")
    waive_closure(db, LEAD, incident_id, "quatre formulaires détruits, consigné au CHSCT")
    with pytest.raises(BasculeError, match="already has a closure waiver"):
        waive_closure(db, LEAD, incident_id, "une seconde dérogation, refusée")
    change_phase(db, LEAD, incident_id, "closed")
    with db.reading() as session:
        [waiver] = [e for e in timeline(session, incident_id) if e.kind == "waiver"]
    assert waiver.summary["outstanding"]["forms"] == 4
