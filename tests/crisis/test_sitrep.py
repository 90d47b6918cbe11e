import hashlib
from datetime import timedelta

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.incidents import declare_incident
from bascule.crisis.logbook import write_entry
from bascule.crisis.roles import Forbidden
from bascule.crisis.sitrep import SitrepError, issue_sitrep, sitrep
from bascule.crisis.status import report_status
from bascule.crisis.tasks import update_task
from bascule.ingest.monitor import load_rules
from bascule.store import kinds
from bascule.store.canonical import canonical_json
from bascule.store.database import Database
from bascule.store.journal import Change
from tests.crisis.conftest import CLERK, LEAD
from tests.factories import record

CrisisDb = tuple[Database, SimulatedClock]


def test_each_sitrep_reports_what_happened_since_the_previous_one(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    rules = load_rules()
    incident_id = declare_incident(
        db, LEAD, title="t", severity="critical", sites=["rennes"], systems=["ehr"]
    )
    report_status(db, LEAD, site_id="rennes", system="ehr", state="down")
    write_entry(db, LEAD, text="Passage au papier", category="decision", incident_id=incident_id)
    write_entry(db, CLERK, text="Appel ARS", category="communication", incident_id=incident_id)
    update_task(db, LEAD, f"{incident_id}/isolate-network", status="done")
    clock.advance(timedelta(minutes=40))
    meeting = clock.now() + timedelta(hours=2)
    assert issue_sitrep(db, LEAD, incident_id, feed_rules=rules, next_meeting_at=meeting) == 1
    clock.advance(timedelta(minutes=5))
    write_entry(db, LEAD, text="Bloc gelé", category="decision", incident_id=incident_id)
    assert issue_sitrep(db, LEAD, incident_id, feed_rules=rules, next_meeting_at=None) == 2
    with db.reading() as session:
        first, second = sitrep(session, incident_id, 1), sitrep(session, incident_id, 2)
        first_content = dict(first.content)
        first_digest = first.content_sha256
        second_content = dict(second.content)
    assert [d["text"] for d in first_content["decisions"]] == ["Passage au papier"]
    assert [e["text"] for e in first_content["events"]] == ["Appel ARS"]
    assert first_content["status"][0]["systems"]["ehr"]["state"] == "down"
    assert first_content["tasks"]["done"] == 1
    assert first_content["tasks"]["overdue"] > 0
    assert all(task["overdue"] for task in first_content["tasks"]["current_phase"][:1])
    assert [d["text"] for d in second_content["decisions"]] == ["Bloc gelé"]
    digest = hashlib.sha256(canonical_json(first_content).encode()).hexdigest()
    assert digest == first_digest


def test_only_the_crisis_lead_issues_and_the_meeting_must_be_ahead(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    rules = load_rules()
    incident_id = declare_incident(
        db, LEAD, title="t", severity="minor", sites=["rennes"], systems=[]
    )
    with pytest.raises(Forbidden):
        issue_sitrep(db, CLERK, incident_id, feed_rules=rules, next_meeting_at=None)
    with pytest.raises(SitrepError, match="next_meeting_at"):
        issue_sitrep(db, LEAD, incident_id, feed_rules=rules, next_meeting_at=clock.now())


def _replan_applied(first_day: str, days: int) -> Change:
    kpis = {
        "outcomes": {"P1": {"kept": 3, "moved": 1}, "P3": {"postponed": 4, "redirected": 2}},
        "breaches": {"P1": 0, "P3": 1},
        "site_days": [],
        "patient_km": 420,
        "soft_costs": {},
        "solver": {},
    }
    payload = {
        "id": "RP-1",
        "applied_at": "2026-11-30T06:00:00Z",
        "first_day": first_day,
        "days": days,
        "scenario": {},
        "solver": "cp-sat",
        "kpis": kpis,
    }
    return Change(kinds.PLAN_APPLIED, "replan", "RP-1", payload)


@pytest.mark.parametrize(
    ("first_day", "days", "shown"), [("2026-11-30", 10, True), ("2026-11-20", 5, False)]
)
def test_sitrep_carries_the_replan_in_force(
    crisis_db: CrisisDb, first_day: str, days: int, shown: bool
) -> None:
    db, _ = crisis_db
    record(db, [_replan_applied(first_day, days)])
    incident_id = declare_incident(
        db, LEAD, title="t", severity="minor", sites=["rennes"], systems=[]
    )
    issue_sitrep(db, LEAD, incident_id, feed_rules=load_rules(), next_meeting_at=None)
    with db.reading() as session:
        replan = sitrep(session, incident_id, 1).content["replan"]
    if not shown:
        assert replan is None
        return
    assert replan["outcomes"] == {
        "kept": 3,
        "moved": 1,
        "redirected": 2,
        "postponed": 4,
        "waiting": 0,
    }
    assert replan["breaches"] == 1
    assert replan["patient_km"] == 420
