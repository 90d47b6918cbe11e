from datetime import date

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.roles import Forbidden
from bascule.domain.patients import ContactDetails, IdentityTraits, Patient, Sex
from bascule.paper.codes import FormCode, new_form_id
from bascule.paper.model import FormType
from bascule.recovery.completeness import completeness
from bascule.recovery.identities import (
    IdentityError,
    decide_identity,
    match_confirmed,
    queue,
)
from bascule.recovery.reentry import confirm_form, open_form, save_entry
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.tables import IdentityMatchRow, PatientLocalIdRow, PatientRow
from tests.factories import record
from tests.recovery.conftest import ALICE, BOB, CAROL, WINDOW, Printed, packet
from tests.recovery.test_reentry import ADMISSION

Setup = tuple[Database, SimulatedClock, Printed]

KNOWN = ADMISSION | {"birth_date": "02/02/1981"}
PEOPLE = (
    ("p1", "Le Goff", "Maëlle", date(1981, 2, 2), Sex.FEMALE),
    ("p2", "Le Goff", "Yann", date(1981, 2, 2), Sex.MALE),
    ("p3", "Morvan", "Anne", date(1970, 5, 5), Sex.FEMALE),
    ("p4", "Tanguy", "Erwan", date(1962, 11, 30), Sex.MALE),
)


def _admitted(db: Database, values: dict[str, str]) -> str:
    code = FormCode(FormType.ADMISSION, new_form_id(), "rennes")
    record(db, [packet([code], packet_id=code.form_id)])
    form_id = open_form(db, ALICE, code.payload())
    for clerk in (ALICE, BOB):
        saved = save_entry(db, clerk, form_id, values, submit=True, window=WINDOW)
        assert saved.submitted, saved.problems
    confirm_form(db, CAROL, form_id, window=WINDOW)
    return form_id


def _row(db: Database, form_id: str) -> IdentityMatchRow:
    with db.reading() as session:
        row = session.get(IdentityMatchRow, form_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.fixture
def indexed(printed: Setup) -> Database:
    db, _, _ = printed
    people = [
        Patient(pid, IdentityTraits(family, given, born, sex), (("rennes", f"IPP-{pid}"),))
        for pid, family, given, born, sex in PEOPLE
    ]
    record(db, [changes.patient_registered(person, "rennes") for person in people])
    return db


def test_an_exact_identity_is_linked_and_a_stranger_becomes_new(indexed: Database) -> None:
    known = _admitted(indexed, KNOWN)
    stranger = _admitted(
        indexed,
        ADMISSION
        | {"birth_family_name": "Quéméneur", "first_given_name": "Yves", "sex": "M"}
        | {"birth_date": "01/07/1955", "downtime_id": "D-0000124-17"},
    )
    report = match_confirmed(indexed, CAROL)
    assert (report.linked, report.new) == (1, 1)
    linked, new = _row(indexed, known), _row(indexed, stranger)
    assert (linked.status, linked.patient_id) == ("linked", "p1")
    assert new.status == "new"
    with indexed.reading() as session:
        created = session.get(PatientRow, new.patient_id)
        assert created is not None
        assert created.identity_status == "PROV"
        local = session.get(PatientLocalIdRow, ("rennes", "D000012417"))
    assert match_confirmed(indexed, CAROL).linked == 0  # each form is matched once
    assert local is not None
    assert local.patient_id == new.patient_id


def test_a_doubtful_identity_waits_for_a_human_who_links_and_can_undo(indexed: Database) -> None:
    doubtful = _admitted(
        indexed, KNOWN | {"birth_family_name": "Le Gof", "birth_date": "02/02/1984"}
    )
    match_confirmed(indexed, CAROL)
    row = _row(indexed, doubtful)
    assert (row.outcome, row.status) == ("possible", "queued")
    with indexed.reading() as session:
        assert [r.form_id for r in queue(session)] == [doubtful]
        assert completeness(session).identities_pending == 1
    assert row.candidates[0]["patient_id"] == "p1"
    with pytest.raises(Forbidden):
        decide_identity(indexed, ALICE, doubtful, "link", patient_id="p1")
    with pytest.raises(IdentityError, match="no patient"):
        decide_identity(indexed, CAROL, doubtful, "link", patient_id="p99")
    assert decide_identity(indexed, CAROL, doubtful, "link", patient_id="p1") == "p1"
    assert decide_identity(indexed, CAROL, doubtful, "unlink") is None
    assert _row(indexed, doubtful).status == "queued"
    created = decide_identity(indexed, CAROL, doubtful, "new")
    assert created is not None
    assert _row(indexed, doubtful).status == "new"


def test_the_town_and_phone_typed_from_paper_weigh_in_and_stay_with_new_people(
    indexed: Database,
) -> None:
    home = ContactDetails(city="Rennes", phone="0612345678")
    anne = Patient(
        "p5", IdentityTraits("Kerjean", "Anne", date(1970, 5, 5), Sex.FEMALE), contact=home
    )
    record(indexed, [changes.patient_registered(anne, "rennes")])
    # One digit of the year wrong: alone, a doubt; with her town and phone, surely her.
    typo = {"birth_family_name": "Kerjean", "first_given_name": "Anne", "birth_date": "05/05/1971"}
    bare = _admitted(indexed, ADMISSION | typo)
    reached = _admitted(
        indexed,
        ADMISSION
        | typo
        | {"town": "RENNES", "phone": "06 12 34 56 78", "downtime_id": "D-0000124-17"},
    )
    stranger = _admitted(
        indexed,
        ADMISSION
        | {"birth_family_name": "Quéméneur", "first_given_name": "Yves", "sex": "M"}
        | {"birth_date": "01/07/1955", "downtime_id": "D-0000125-14"}
        | {"town": "Vitré", "postcode": "35500", "phone": "02 99 12 34 56"},
    )
    match_confirmed(indexed, CAROL)
    assert _row(indexed, bare).status == "queued"
    linked = _row(indexed, reached)
    assert (linked.status, linked.patient_id) == ("linked", "p5")
    evidence = {item["trait"]: item["level"] for item in linked.candidates[0]["evidence"]}
    assert (evidence["residence"], evidence["phone or e-mail"]) == ("equal", "equal")
    new = _row(indexed, stranger)
    with indexed.reading() as session:
        created = session.get(PatientRow, new.patient_id)
        assert created is not None
        assert (created.city, created.postcode, created.phone) == ("Vitré", "35500", "0299123456")
