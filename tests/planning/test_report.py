import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bascule.domain.cases import CaseStatus
from bascule.domain.priority import PriorityClass
from bascule.planning.explain import explain, render_reason
from bascule.planning.objective import decision_for, soft_costs
from bascule.planning.plan import Action, Plan, SolverReport
from bascule.planning.problem import Problem
from bascule.planning.report import Contact, call_list, kpis, write_call_list_csv
from tests.planning.instances import MONDAY, case
from tests.planning.test_explain import (
    CLOSED_TUESDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    booked,
    planned,
    scenario,
)

P1A, P1B, P2, P3, P4 = PriorityClass


def crisis() -> tuple[Problem, Plan]:
    """Salle 3 of Rennes closed on Tuesday: one case kept, one moved, one redirected, one
    postponed, one swapped to Salle 1 the same day; one booked and one left on the waiting list."""
    problem = scenario(
        booked("kept", TUESDAY, "ren-1", priority=P2),
        booked("moved", TUESDAY, priority=P3),
        booked("redirected", TUESDAY, priority=P1B),
        booked("postponed", TUESDAY, priority=P1B, minutes=60),
        booked("swapped", TUESDAY, priority=P4),
        case("from-list", priority=P2, listed_on=MONDAY),
        case("waiting", priority=P4, listed_on=MONDAY),
        disruptions=(CLOSED_TUESDAY,),
    )
    plan = planned(
        problem,
        {
            "moved": (THURSDAY, "ren-1"),
            "redirected": (TUESDAY, "van-1"),
            "postponed": None,
            "swapped": (TUESDAY, "ren-1"),
            "from-list": (WEDNESDAY, "ren-1"),
        },
    )
    report = SolverReport("cp-sat", "OPTIMAL", 1.5, 0.2, {"breach": 1000}, {"breach": 1000}, 0.0)
    return problem, Plan(plan.decisions, report)


def test_outcomes_are_counted_by_priority_class() -> None:
    problem, plan = crisis()
    outcomes = kpis(problem, plan).outcomes
    assert outcomes["P1b"] == {
        "kept": 0,
        "moved": 0,
        "redirected": 1,
        "postponed": 1,
        "waiting": 0,
    }
    assert outcomes["P2"]["kept"] == 1
    assert outcomes["P2"]["moved"] == 1  # booked from the waiting list
    assert outcomes["P3"]["moved"] == 1
    assert outcomes["P4"] == {"kept": 0, "moved": 1, "redirected": 0, "postponed": 0, "waiting": 1}
    assert sum(sum(counts.values()) for counts in outcomes.values()) == len(problem.cases)


def test_patient_kilometres_sum_the_redirect_distances() -> None:
    problem, plan = crisis()
    figures = kpis(problem, plan)
    assert figures.patient_km == problem.distance_km("rennes", "vannes") > 0
    assert figures.soft_costs == soft_costs(problem, plan)


def test_breaches_are_counted_by_class() -> None:
    problem, plan = crisis()
    # The postponed P1b case was due on Thursday 6 March, inside the horizon.
    assert kpis(problem, plan).breaches == {"P1a": 0, "P1b": 1, "P2": 0, "P3": 0, "P4": 0}


def test_site_day_minutes_compare_use_with_capacity() -> None:
    problem, plan = crisis()
    rennes_tuesday = next(
        row
        for row in kpis(problem, plan).site_days
        if (row.site_id, row.day) == ("rennes", TUESDAY)
    )
    assert (rennes_tuesday.nominal, rennes_tuesday.capacity) == (960, 480)
    assert rennes_tuesday.booked == 5 * 120 - 60
    assert rennes_tuesday.used == 120 + 120  # kept and swapped
    assert rennes_tuesday.overtime == 0


def test_overtime_is_counted_theatre_by_theatre() -> None:
    problem = scenario(booked("a", MONDAY, "ren-1", minutes=400), booked("b", MONDAY, "ren-3"))
    plan = planned(problem, {"b": (MONDAY, "ren-1")})
    row = next(r for r in kpis(problem, plan).site_days if (r.site_id, r.day) == ("rennes", MONDAY))
    assert (row.used, row.capacity, row.overtime) == (520, 960, 40)


def test_kpis_json_carries_the_solver_report_and_iso_dates() -> None:
    problem, plan = crisis()
    data = json.loads(kpis(problem, plan).to_json())
    assert data["solver"]["solver"] == "cp-sat"
    assert data["solver"]["status"] == "OPTIMAL"
    assert data["solver"]["first_feasible_seconds"] == 0.2
    assert data["solver"]["gap"] == 0.0
    assert data["site_days"][0]["day"] == MONDAY.isoformat()
    assert data["patient_km"] == problem.distance_km("rennes", "vannes")
    assert set(data) == {"outcomes", "breaches", "site_days", "patient_km", "soft_costs", "solver"}


def test_call_list_names_everyone_whose_date_or_place_changed() -> None:
    problem, plan = crisis()
    calls = call_list(problem, plan, {})
    assert {call.case_id for call in calls} == {"moved", "redirected", "postponed", "from-list"}


def test_call_list_is_ordered_by_urgency_then_new_date() -> None:
    problem, plan = crisis()
    assert [call.case_id for call in call_list(problem, plan, {})] == [
        "redirected",  # P1b, Tuesday
        "postponed",  # P1b, after the horizon
        "from-list",  # P2
        "moved",  # P3
    ]


def test_call_carries_old_and_new_slots_and_the_reason() -> None:
    problem, plan = crisis()
    contacts = {"p-redirected": Contact("Maëlle LE GOFF", "02 99 00 00 00")}
    (call,) = [c for c in call_list(problem, plan, contacts, "en") if c.case_id == "redirected"]
    assert (call.name, call.phone, call.priority) == ("Maëlle LE GOFF", "02 99 00 00 00", P1B)
    assert (call.old_day, call.old_time, call.old_site, call.old_theatre) == (
        TUESDAY,
        "08:00",
        "Clinique de Rennes",
        "Salle 3",
    )
    assert (call.new_day, call.new_site, call.new_theatre) == (
        TUESDAY,
        "Clinique de Vannes",
        "Bloc A",
    )
    (change,) = [c for c in explain(problem, plan) if c.case_id == "redirected"]
    assert call.reason == render_reason(change.reason, "en")
    assert call.reason.startswith("Theatre Salle 3 closed on Tue 4 Mar; redirected to Vannes")


def test_postponed_call_gives_the_target_date_and_no_new_slot() -> None:
    problem, plan = crisis()
    (call,) = [c for c in call_list(problem, plan, {}) if c.case_id == "postponed"]
    assert (call.new_day, call.new_time, call.new_site) == (None, "", "")
    assert call.postponed_to == problem.end
    assert call.action is Action.POSTPONE


def test_missing_contact_falls_back_to_the_patient_id() -> None:
    problem, plan = crisis()
    call = call_list(problem, plan, {})[0]
    assert (call.name, call.phone) == (call.patient_id, "")


def test_waiting_list_booking_has_no_old_slot() -> None:
    problem, plan = crisis()
    (call,) = [c for c in call_list(problem, plan, {}) if c.case_id == "from-list"]
    assert (call.old_day, call.old_time, call.old_site, call.old_theatre) == (None, "", "", "")
    assert call.new_day == WEDNESDAY


def read_back(path: Path, delimiter: str) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream, delimiter=delimiter))


def test_csv_round_trips_in_french_with_semicolons_and_day_first_dates(tmp_path: Path) -> None:
    problem, plan = crisis()
    tricky = {"p-moved": Contact('LE GOFF; "Zoé", née Ñ', "+33 6 00 00 00 00")}
    calls = call_list(problem, plan, tricky)
    path = tmp_path / "calls.csv"
    write_call_list_csv(path, calls)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    header, *rows = read_back(path, ";")
    assert header[:3] == ["Priorité", "Patient", "Téléphone"]
    assert len(rows) == len(calls)
    moved = next(row for row in rows if row[3] == "moved")
    assert moved[:5] == ["P3", 'LE GOFF; "Zoé", née Ñ', "+33 6 00 00 00 00", "moved", "déplacé"]
    assert moved[5] == "04/03/2025"
    assert moved[9] == "06/03/2025"
    assert moved[-1] == next(c.reason for c in calls if c.case_id == "moved")


def test_csv_in_english_uses_commas_and_iso_dates(tmp_path: Path) -> None:
    problem, plan = crisis()
    calls = call_list(problem, plan, {}, "en")
    path = tmp_path / "calls.csv"
    write_call_list_csv(path, calls, "en")
    header, *rows = read_back(path, ",")
    assert header[0] == "Priority"
    postponed = next(row for row in rows if row[3] == "postponed")
    assert postponed[4] == "postponed"
    assert postponed[9] == ""
    assert postponed[13] == problem.end.isoformat()
    from_list = next(row for row in rows if row[3] == "from-list")
    assert (from_list[4], from_list[5], from_list[9]) == ("booked", "", WEDNESDAY.isoformat())


def test_csv_refuses_an_unknown_language(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xx"):
        write_call_list_csv(tmp_path / "calls.csv", [], "xx")


def test_same_day_theatre_swap_is_not_a_call() -> None:
    problem = scenario(booked("c1", TUESDAY), disruptions=(CLOSED_TUESDAY,))
    plan = planned(problem, {"c1": (TUESDAY, "ren-1")})
    assert [change.case_id for change in explain(problem, plan)] == ["c1"]
    assert call_list(problem, plan, {}) == []


def test_done_case_without_booking_counts_as_kept() -> None:
    done = replace(case("done", listed_on=MONDAY), status=CaseStatus.DONE)
    problem = scenario(done)
    plan = Plan((decision_for(problem, done, None),), SolverReport("hand", "FEASIBLE", 0.0))
    assert kpis(problem, plan).outcomes["P3"]["kept"] == 1


def test_unaffected_site_days_show_no_use_outside_the_plan() -> None:
    problem, plan = crisis()
    brest = [row for row in kpis(problem, plan).site_days if row.site_id == "brest"]
    assert len(brest) == problem.days
    assert all(row.used == row.booked == 0 for row in brest)
    assert all(row.capacity == row.nominal == 480 for row in brest)


def test_call_list_cells_cannot_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    from bascule.planning.report import spreadsheet_safe

    assert spreadsheet_safe('=HYPERLINK("http://x")').startswith("'=")
    assert spreadsheet_safe("@SUM(A1)").startswith("'@")
    assert spreadsheet_safe("-2+3").startswith("'-")
    assert spreadsheet_safe("+33 6 12 34 56 78") == "+33 6 12 34 56 78"
    assert spreadsheet_safe("Le Goff Maëlle") == "Le Goff Maëlle"
