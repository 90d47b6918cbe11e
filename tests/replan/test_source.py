from datetime import timedelta

import pytest

from bascule.domain.cases import CaseStatus
from bascule.errors import UnknownEntityError
from bascule.replan.scenario import Scenario, one_site
from bascule.replan.source import problem_from_store
from bascule.store.database import Database
from tests.replan.group import MONDAY, TUESDAY, build_replan_group


@pytest.fixture
def group(db: Database) -> Database:
    build_replan_group(db)
    return db


def _closure(days: int = 2) -> Scenario:
    return one_site("rennes", 0.0, MONDAY, days, horizon=5)


def test_problem_holds_booked_waiting_and_done_cases_of_the_horizon(group: Database) -> None:
    with group.reading() as session:
        source = problem_from_store(session, _closure())
    problem = source.problem
    assert {case.id for case in problem.cases} == {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}
    assert problem.case("c6").status is CaseStatus.POSTPONED
    assert problem.frozen == {"c5"}
    assert {t.id for t in problem.theatres} == {"rennes-bloc-1", "rennes-bloc-2", "nantes-bloc-1"}
    assert problem.capacity("rennes-bloc-1", MONDAY) == 0
    assert problem.capacity("nantes-bloc-1", MONDAY) == 600


def test_cases_booked_after_the_horizon_are_left_out(group: Database) -> None:
    scenario = one_site("rennes", 0.5, TUESDAY, 1, horizon=1)
    with group.reading() as session:
        problem = problem_from_store(session, scenario).problem
    assert {case.id for case in problem.cases} == {"c4", "c6"}


def test_cases_before_frozen_until_keep_their_booking(group: Database) -> None:
    base = _closure()
    scenario = Scenario(
        start=base.start,
        horizon=base.horizon,
        disruptions=base.disruptions,
        frozen_until=TUESDAY,
    )
    with group.reading() as session:
        problem = problem_from_store(session, scenario).problem
    assert problem.frozen == {"c1", "c2", "c3", "c5", "c7"}


def test_contacts_carry_the_patients_names(group: Database) -> None:
    with group.reading() as session:
        contacts = problem_from_store(session, _closure()).contacts
    assert contacts["p1"].name == "Le Goff-1 Maëlle"


def test_unknown_site_is_refused_with_the_known_ones(group: Database) -> None:
    scenario = one_site("brest", 0.5, MONDAY + timedelta(days=1), 1)
    with group.reading() as session, pytest.raises(UnknownEntityError, match="brest"):
        problem_from_store(session, scenario)
