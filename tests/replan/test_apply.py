import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bascule.domain.cases import Booking, CaseStatus
from bascule.planning.cpsat import CpSatOptions
from bascule.planning.plan import Action
from bascule.replan.apply import StalePlanError, apply_plan
from bascule.replan.run import ReplanResult, replan
from bascule.replan.scenario import one_site
from bascule.replan.source import problem_from_store
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import ReplanRow, SurgicalCaseRow
from tests.factories import record
from tests.replan.group import MONDAY, build_replan_group, cases

NOW = datetime(2026, 12, 6, 18, tzinfo=UTC)
SCENARIO = one_site("rennes", 0.0, MONDAY, 2, horizon=5)
OPTIONS = CpSatOptions(time_limit=10.0, workers=1)


@pytest.fixture
def group(db: Database) -> Database:
    build_replan_group(db)
    return db


def _result(db: Database) -> ReplanResult:
    with db.reading() as session:
        source = problem_from_store(session, SCENARIO)
    return replan(source, options=OPTIONS, lang="en")


def test_applied_plan_rebooks_cases_and_records_its_figures(group: Database) -> None:
    result = _result(group)
    with group.writing() as session:
        replan_id = apply_plan(session, result, SCENARIO, actor="regulateur", at=NOW)
    with group.reading() as session:
        rows = {row.id: row for row in session.scalars(select(SurgicalCaseRow))}
        stored = session.get(ReplanRow, replan_id)
        verdict = journal.verify(session)
    assert verdict.intact
    assert stored is not None
    assert stored.solver == "cp-sat"
    figures = json.loads(stored.kpis)
    assert {c["case"] for c in figures["changes"]} == {
        d.case_id for d in result.plan.decisions if d.action is not Action.KEEP
    }
    urgent = result.plan.decision("c1")
    assert urgent.action is Action.REDIRECT
    assert urgent.slot is not None
    assert rows["c1"].status == CaseStatus.REDIRECTED.value
    assert rows["c1"].booked_theatre_id == "nantes-bloc-1"
    assert rows["c1"].surgeon_id == "s-nantes"
    for decision in result.plan.decisions:
        row = rows[decision.case_id]
        if decision.action is Action.POSTPONE:
            assert row.status == CaseStatus.POSTPONED.value
            assert row.booked_day is None
        elif decision.slot is not None:
            assert (row.booked_day, row.booked_theatre_id) == (
                decision.slot.day,
                decision.slot.theatre_id,
            )
    assert rows["c5"].status == CaseStatus.DONE.value


def test_nothing_is_applied_when_a_case_changed_meanwhile(group: Database) -> None:
    result = _result(group)
    c2 = next(c for c in cases() if c.id == "c2")
    rebooked = replace(c2, booking=Booking(MONDAY.replace(day=10), "rennes-bloc-2", 480))
    record(group, [changes.case_updated(rebooked)])
    with group.reading() as session:
        before = journal.count(session)
    with group.writing() as session, pytest.raises(StalePlanError, match="case c2 changed"):
        apply_plan(session, result, SCENARIO, actor="regulateur", at=NOW)
    with group.reading() as session:
        assert journal.count(session) == before
        assert session.scalars(select(ReplanRow)).first() is None
