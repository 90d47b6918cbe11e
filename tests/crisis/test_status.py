from datetime import timedelta

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.incidents import declare_incident, timeline
from bascule.crisis.roles import Forbidden
from bascule.crisis.status import StatusError, board, history, report_status
from bascule.ingest.monitor import load_rules
from bascule.store.database import Database
from tests.crisis.conftest import CLERK, LEAD, RENNES_MANAGER

CrisisDb = tuple[Database, SimulatedClock]


def test_a_transition_is_kept_and_a_confirmation_is_not_one(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    report_status(db, RENNES_MANAGER, site_id="rennes", system="ehr", state="down", note="DPI")
    clock.advance(timedelta(minutes=30))
    report_status(db, RENNES_MANAGER, site_id="rennes", system="ehr", state="down")
    clock.advance(timedelta(minutes=30))
    report_status(db, LEAD, site_id="rennes", system="ehr", state="degraded")
    with db.reading() as session:
        changes = history(session, "rennes")
        [rennes] = [line for line in board(session, load_rules()) if line.site_id == "rennes"]
    assert [(t.from_state, t.to_state) for t in changes] == [("down", "degraded"), (None, "down")]
    cell = rennes.cells["ehr"]
    assert cell is not None
    assert cell.state == "degraded"
    assert cell.since == clock.now()


def test_an_unconfirmed_status_becomes_overdue(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    report_status(
        db,
        LEAD,
        site_id="nantes",
        system="site",
        state="degraded",
        capacity=0.5,
        confirm_minutes=30,
    )
    with db.reading() as session:
        cell = next(line for line in board(session, load_rules()) if line.site_id == "nantes").site
    assert cell is not None
    assert cell.capacity == 0.5
    assert not cell.overdue(clock.now() + timedelta(minutes=29))
    assert cell.overdue(clock.now() + timedelta(minutes=31))


def test_a_site_manager_cannot_touch_another_site(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    with pytest.raises(Forbidden, match="nantes"):
        report_status(db, RENNES_MANAGER, site_id="nantes", system="ehr", state="down")
    with pytest.raises(Forbidden):
        report_status(db, CLERK, site_id="rennes", system="ehr", state="down")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("system", {"system": "fax"}),
        ("state", {"state": "on fire"}),
        ("capacity", {"system": "site", "capacity": 1.5}),
        ("capacity", {"system": "ehr", "capacity": 0.5}),
        ("confirm_minutes", {"confirm_minutes": 1}),
    ],
)
def test_bad_status_names_the_field(crisis_db: CrisisDb, field: str, values: dict) -> None:
    db, _ = crisis_db
    request = {"site_id": "rennes", "system": "ehr", "state": "down"}
    with pytest.raises(StatusError, match=f"field '{field}'"):
        report_status(db, LEAD, **(request | values))


def test_status_of_an_affected_site_joins_the_incident_timeline(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    incident_id = declare_incident(
        db, LEAD, title="t", severity="major", sites=["rennes"], systems=["ehr"]
    )
    report_status(db, LEAD, site_id="rennes", system="ehr", state="down")
    report_status(db, LEAD, site_id="nantes", system="ehr", state="degraded")
    with db.reading() as session:
        kinds = [
            (event.kind, event.summary.get("site_id")) for event in timeline(session, incident_id)
        ]
    assert kinds == [("declared", None), ("status", "rennes")]
