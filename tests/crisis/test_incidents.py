from datetime import timedelta

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.incidents import (
    IncidentError,
    change_phase,
    declare_incident,
    incidents,
    timeline,
)
from bascule.crisis.plans import PHASES, default_plan
from bascule.crisis.roles import Forbidden
from bascule.crisis.tasks import tasks_of
from bascule.store import journal
from bascule.store.database import Database
from tests.crisis.conftest import CLERK, LEAD, RENNES_MANAGER, START

CrisisDb = tuple[Database, SimulatedClock]


def _declare(db: Database) -> str:
    return declare_incident(
        db,
        LEAD,
        title="Rançongiciel : DPI chiffré",
        severity="critical",
        sites=["rennes", "nantes"],
        systems=["ehr", "network"],
    )


def test_declaring_instantiates_every_plan_action_with_due_times(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = _declare(db)
    plan = default_plan()
    with db.reading() as session:
        tasks = tasks_of(session, incident_id)
        [incident] = incidents(session)
    per_site = sum(action.scope == "site" for action in plan.actions)
    per_group = len(plan.actions) - per_site
    assert len(tasks) == per_group + 2 * per_site
    assert {task.phase for task in tasks} == set(PHASES)
    isolate = next(task for task in tasks if task.action_id == "isolate-network")
    assert isolate.due_at == START + timedelta(minutes=15)
    assert incident.id == "INC-20261130-1"
    assert incident.phase == "alert"
    assert incident.declared_by == "web:claire"


def test_a_clerk_cannot_declare_an_incident(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    with pytest.raises(Forbidden, match="lena"):
        declare_incident(db, CLERK, title="x", severity="minor", sites=["rennes"], systems=[])
    with pytest.raises(Forbidden):
        declare_incident(
            db, RENNES_MANAGER, title="x", severity="minor", sites=["rennes"], systems=[]
        )


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("title", {"title": "  "}),
        ("severity", {"severity": "apocalyptic"}),
        ("sites", {"sites": []}),
        ("systems", {"systems": ["fax"]}),
    ],
)
def test_bad_declaration_names_the_field(crisis_db: CrisisDb, field: str, values: dict) -> None:
    db, _ = crisis_db
    request = {"title": "t", "severity": "major", "sites": ["rennes"], "systems": ["ehr"]}
    with pytest.raises(IncidentError, match=f"field '{field}'"):
        declare_incident(db, LEAD, **(request | values))


def test_unknown_site_is_refused_and_nothing_is_journaled(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    with db.reading() as session:
        before = journal.count(session)
    with pytest.raises(Exception, match="brest"):
        declare_incident(db, LEAD, title="t", severity="major", sites=["brest"], systems=[])
    with db.reading() as session:
        assert journal.count(session) == before


def test_phases_move_close_and_reopen_with_a_timeline(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    incident_id = _declare(db)
    for phase in ("containment", "degraded", "recovery", "closed"):
        clock.advance(timedelta(hours=1))
        change_phase(db, LEAD, incident_id, phase)
    change_phase(db, LEAD, incident_id, "recovery", note="reprise : fichiers non réintégrés")
    with pytest.raises(IncidentError, match="already"):
        change_phase(db, LEAD, incident_id, "recovery")
    with pytest.raises(Forbidden):
        change_phase(db, CLERK, incident_id, "closed")
    with db.reading() as session:
        events = timeline(session, incident_id)
        [incident] = incidents(session)
    assert [event.kind for event in events] == ["declared"] + ["phase"] * 5
    assert events[-1].summary["from"] == "closed"
    assert incident.phase == "recovery"
    assert incident.open


def test_ids_count_up_within_a_day(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    assert _declare(db) == "INC-20261130-1"
    assert _declare(db) == "INC-20261130-2"
