from datetime import timedelta

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.incidents import declare_incident, timeline
from bascule.crisis.roles import Forbidden
from bascule.crisis.tasks import TaskError, require_task, tasks_of, update_task
from bascule.errors import UnknownEntityError
from bascule.store.database import Database
from tests.crisis.conftest import CLERK, LEAD, RENNES_MANAGER, SCHEDULER

CrisisDb = tuple[Database, SimulatedClock]


def _incident(db: Database) -> str:
    return declare_incident(
        db, LEAD, title="t", severity="major", sites=["rennes", "nantes"], systems=["ehr"]
    )


def test_ticking_and_finishing_a_task_is_journaled(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = _incident(db)
    task_id = f"{incident_id}/isolate-network"
    update_task(db, LEAD, task_id, checked=[0, 1], owner="DSI d'astreinte")
    update_task(db, LEAD, task_id, status="done", note="fait")
    with db.reading() as session:
        task = require_task(session, task_id)
        kinds = [event.kind for event in timeline(session, incident_id)]
    assert task.checked == {0, 1}
    assert task.owner == "DSI d'astreinte"
    assert task.status == "done"
    assert task.done_by == "web:claire"
    assert kinds == ["declared", "task", "task"]


def test_an_unchanged_update_journals_nothing(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = _incident(db)
    task_id = f"{incident_id}/isolate-network"
    update_task(db, LEAD, task_id, status="open")
    with db.reading() as session:
        assert [e.kind for e in timeline(session, incident_id)] == ["declared"]


def test_open_tasks_past_due_are_overdue(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    incident_id = _incident(db)
    later = clock.now() + timedelta(minutes=16)
    with db.reading() as session:
        tasks = tasks_of(session, incident_id)
    overdue = {task.action_id for task in tasks if task.overdue(later)}
    assert "isolate-network" in overdue
    assert all(task.due_at <= later for task in tasks if task.action_id in overdue)


def test_who_may_update_which_task(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = _incident(db)
    with db.reading() as session:
        tasks = tasks_of(session, incident_id)
    rennes_site_task = next(t for t in tasks if t.site_id == "rennes" and t.role == "site-manager")
    nantes_site_task = next(t for t in tasks if t.site_id == "nantes" and t.role == "site-manager")
    scheduler_task = next(t for t in tasks if t.role == "or-scheduler")
    update_task(db, RENNES_MANAGER, rennes_site_task.id, status="done")
    with pytest.raises(Forbidden):
        update_task(db, RENNES_MANAGER, nantes_site_task.id, status="done")
    update_task(db, SCHEDULER, scheduler_task.id, status="done")
    with pytest.raises(Forbidden):
        update_task(db, SCHEDULER, f"{incident_id}/isolate-network", status="done")
    with pytest.raises(Forbidden):
        update_task(db, CLERK, scheduler_task.id, status="done")


def test_bad_updates_name_the_field(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = _incident(db)
    task_id = f"{incident_id}/isolate-network"
    with pytest.raises(TaskError, match="field 'status'"):
        update_task(db, LEAD, task_id, status="maybe")
    with pytest.raises(TaskError, match="field 'checked'"):
        update_task(db, LEAD, task_id, checked=[99])
    with pytest.raises(UnknownEntityError, match="no task"):
        update_task(db, LEAD, "INC-0/none", status="done")
