import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.incidents import declare_incident
from bascule.crisis.logbook import LogbookError, content_digest, entries, write_entry
from bascule.crisis.roles import Forbidden
from bascule.store import journal
from bascule.store.database import Database
from tests.crisis.conftest import CLERK, LEAD, RENNES_MANAGER, VIEWER

CrisisDb = tuple[Database, SimulatedClock]


def test_a_correction_is_a_new_entry_and_the_old_one_stays(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = declare_incident(
        db, LEAD, title="t", severity="major", sites=["rennes"], systems=[]
    )
    first = write_entry(db, CLERK, text="Bloc 3 fermé", category="event", incident_id=incident_id)
    second = write_entry(
        db,
        CLERK,
        text="Correction : bloc 2 fermé, pas le 3",
        category="event",
        incident_id=incident_id,
        corrects=first.id,
    )
    with db.reading() as session:
        items = entries(session, incident_id)
    assert [(e.number, e.text, e.corrects) for e in items] == [
        (1, "Bloc 3 fermé", None),
        (2, "Correction : bloc 2 fermé, pas le 3", first.id),
    ]
    assert second.author == "web:lena"


def test_digest_changes_with_any_entry(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    write_entry(db, LEAD, text="a", category="decision")
    with db.reading() as session:
        before = content_digest(entries(session))
    write_entry(db, LEAD, text="b", category="decision")
    with db.reading() as session:
        after = content_digest(entries(session))
        assert content_digest(entries(session)) == after
    assert before != after


def test_refusals_name_the_problem_and_journal_nothing(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    with db.reading() as session:
        before = journal.count(session)
    with pytest.raises(LogbookError, match="field 'text'"):
        write_entry(db, LEAD, text="   ", category="event")
    with pytest.raises(LogbookError, match="field 'category'"):
        write_entry(db, LEAD, text="x", category="gossip")
    with pytest.raises(LogbookError, match="field 'corrects'"):
        write_entry(db, LEAD, text="x", category="event", corrects="nope")
    with pytest.raises(Forbidden):
        write_entry(db, VIEWER, text="x", category="event")
    with pytest.raises(Forbidden, match="nantes"):
        write_entry(db, RENNES_MANAGER, text="x", category="event", site_id="nantes")
    with db.reading() as session:
        assert journal.count(session) == before


def test_user_text_is_kept_verbatim(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    text = "<script>alert('x')</script> & « guillemets »"
    write_entry(db, LEAD, text=text, category="communication")
    with db.reading() as session:
        assert entries(session)[0].text == text
