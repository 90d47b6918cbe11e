import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.roles import Forbidden
from bascule.paper.codes import FormCode, display_form_id, new_form_id
from bascule.paper.model import FormType
from bascule.recovery.completeness import error_rates
from bascule.recovery.reentry import (
    ReentryError,
    confirm_form,
    decide_fields,
    mismatches,
    open_form,
    require_form,
    save_entry,
    void_form,
)
from bascule.store import journal
from bascule.store.database import Database
from tests.recovery.conftest import ALICE, BOB, CAROL, NANTES_MANAGER, VIEWER, WINDOW, Printed

Setup = tuple[Database, SimulatedClock, Printed]

ADMISSION = {
    "birth_family_name": "Le Goff",
    "first_given_name": "Maëlle",
    "birth_date": "14/03/1980",
    "sex": "F",
    "downtime_id": "D-0000123-20",
    "ward": "Chirurgie A",
    "admitted_at": "30/11/2026 09:40",
}
REQUEST = {
    "request_kind": "lab",
    "exam": "NFS",
    "requested_at": "30/11/2026 10:00",
    "urgent": "non",
    "birth_family_name": "Le Goff",
    "first_given_name": "Maëlle",
    "birth_date": "14/03/1980",
    "prescriber": "Dr Morvan",
}


def _status(db: Database, form_id: str) -> str:
    with db.reading() as session:
        return require_form(session, form_id).status


def test_a_critical_form_is_typed_twice_and_a_third_person_settles_it(printed: Setup) -> None:
    db, _, paper = printed
    form_id = open_form(db, ALICE, paper.codes[FormType.ADMISSION].payload())
    first = save_entry(db, ALICE, form_id, ADMISSION, submit=True, window=WINDOW)
    assert first.submitted
    assert first.pass_number == 1
    assert first.form_status == "second_entry"
    with pytest.raises(ReentryError, match="another clerk"):
        save_entry(db, ALICE, form_id, ADMISSION, submit=True, window=WINDOW)
    second = save_entry(
        db, BOB, form_id, ADMISSION | {"birth_date": "03/14/1980"}, submit=True, window=WINDOW
    )
    assert not second.submitted  # 03/14 is no date: kept as a draft, with the field named
    assert [p.field for p in second.problems] == ["birth_date"]
    second = save_entry(
        db, BOB, form_id, ADMISSION | {"birth_date": "14/03/1981"}, submit=True, window=WINDOW
    )
    assert second.form_status == "to_decide"
    [mismatch] = mismatches(db, form_id, WINDOW)
    assert mismatch.field == "birth_date"
    with pytest.raises(ReentryError, match="third person"):
        decide_fields(db, BOB, form_id, {"birth_date": "first"})
    decide_fields(db, CAROL, form_id, {"birth_date": "first"})
    final = confirm_form(db, CAROL, form_id, window=WINDOW)
    assert final["birth_date"] == "14/03/1980"
    assert _status(db, form_id) == "confirmed"


def test_a_form_of_another_type_is_typed_once(printed: Setup) -> None:
    db, _, paper = printed
    form_id = open_form(db, ALICE, display_form_id(paper.codes[FormType.REQUEST].form_id))
    draft = save_entry(db, ALICE, form_id, {"exam": "NFS"}, submit=False, window=WINDOW)
    assert not draft.submitted
    assert draft.problems == ()
    assert _status(db, form_id) == "typing"
    with pytest.raises(ReentryError, match="cannot be confirmed"):
        confirm_form(db, ALICE, form_id, window=WINDOW)
    with pytest.raises(ReentryError, match="already being typed by web:alice"):
        save_entry(db, BOB, form_id, REQUEST, submit=True, window=WINDOW)
    done = save_entry(db, ALICE, form_id, REQUEST, submit=True, window=WINDOW)
    assert done.form_status == "to_confirm", done.problems
    with pytest.raises(ReentryError, match="past typing"):
        save_entry(db, BOB, form_id, REQUEST, submit=True, window=WINDOW)
    confirm_form(db, BOB, form_id, window=WINDOW)
    assert _status(db, form_id) == "confirmed"


def test_an_abandoned_half_typed_form_keeps_what_was_typed(printed: Setup) -> None:
    db, _, paper = printed
    form_id = open_form(db, ALICE, paper.codes[FormType.ADMISSION].payload())
    save_entry(db, ALICE, form_id, {"birth_family_name": "Le Goff"}, submit=False, window=WINDOW)
    resumed = save_entry(db, ALICE, form_id, ADMISSION | {"sex": ""}, submit=True, window=WINDOW)
    assert not resumed.submitted
    assert [p.field for p in resumed.problems] == ["sex"]
    assert resumed.pass_number == 1


def test_bad_codes_are_refused_with_their_reason(printed: Setup) -> None:
    db, _, paper = printed
    with pytest.raises(ReentryError, match="never issued"):
        open_form(db, ALICE, new_form_id())
    with pytest.raises(ReentryError, match="refused"):
        open_form(db, ALICE, "BSC1:ADM:XXXX:rennes:::00000000")
    admission = paper.codes[FormType.ADMISSION]
    forged = FormCode(FormType.ADMISSION, admission.form_id, "rennes", patient_id="p9")
    with pytest.raises(ReentryError, match="disagrees with what was printed"):
        open_form(db, ALICE, forged.payload())
    with pytest.raises(ReentryError, match="not typed back"):
        open_form(db, ALICE, paper.codes[FormType.OR_LIST].payload())
    with pytest.raises(ReentryError, match="printed for patient nobody in particular, not p1"):
        open_form(db, ALICE, admission.payload(), expected_patient="p1")
    with pytest.raises(Forbidden):
        open_form(db, VIEWER, admission.payload())
    with pytest.raises(Forbidden, match="rennes"):
        open_form(db, NANTES_MANAGER, admission.payload())


def test_opening_twice_is_harmless(printed: Setup) -> None:
    db, _, paper = printed
    code = paper.codes[FormType.TRANSFER].payload()
    assert open_form(db, ALICE, code) == open_form(db, BOB, code)
    with db.reading() as session:
        kinds = [entry.kind for entry in journal.tail(session, 3)]
    assert kinds.count("recovery.form_opened") == 1


def test_error_rates_count_the_fields_a_third_person_did_not_keep(printed: Setup) -> None:
    db, _, paper = printed
    form_id = open_form(db, ALICE, paper.codes[FormType.ADMISSION].payload())
    save_entry(db, ALICE, form_id, ADMISSION, submit=True, window=WINDOW)
    save_entry(db, BOB, form_id, ADMISSION | {"sex": "M"}, submit=True, window=WINDOW)
    decide_fields(db, CAROL, form_id, {"sex": "first"})
    with db.reading() as session:
        rates = error_rates(session)
    fields = rates["web:alice"].fields_typed
    assert fields == rates["web:bob"].fields_typed > 0
    assert (rates["web:alice"].errors, rates["web:bob"].errors) == (0, 1)
    assert rates["web:bob"].rate == pytest.approx(1 / fields)


def test_a_blank_form_handed_back_unused_is_voided_not_typed(printed: Setup) -> None:
    db, _, paper = printed
    form_id = open_form(db, ALICE, paper.codes[FormType.TRANSFER].payload())
    with pytest.raises(ReentryError, match="reason"):
        void_form(db, ALICE, form_id, "")
    void_form(db, ALICE, form_id, "inutilisé")
    assert _status(db, form_id) == "void"
    with pytest.raises(ReentryError, match="past typing"):
        save_entry(db, ALICE, form_id, {"reason": "x"}, submit=False, window=WINDOW)
    typed = open_form(db, ALICE, paper.codes[FormType.REQUEST].payload())
    save_entry(db, ALICE, typed, {"exam": "NFS"}, submit=False, window=WINDOW)
    with pytest.raises(ReentryError, match="it is confirmed, not voided"):
        void_form(db, ALICE, typed, "inutilisé")
