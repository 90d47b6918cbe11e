from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.domain.cases import SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre
from bascule.planning.candidates import may_redirect
from bascule.planning.explain import (
    Change,
    Choice,
    Deadline,
    Param,
    Reason,
    ReasonCode,
    explain,
    format_day,
    render_reason,
)
from bascule.planning.objective import decision_for
from bascule.planning.plan import Action, Decision, Plan, Slot, SolverReport
from bascule.planning.problem import Disruption, Problem
from tests.planning.instances import MONDAY, case, problems, site, surgeon

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in range(1, 5))
P1A, P1B, P2, P3, P4 = PriorityClass


def room(theatre_id: str, site_id: str, name: str, minutes: int = 480) -> OperatingTheatre:
    return OperatingTheatre(theatre_id, site_id, name, (minutes,) * 7)


def scenario(
    *cases: SurgicalCase,
    disruptions: tuple[Disruption, ...] = (),
    theatres: tuple[OperatingTheatre, ...] | None = None,
) -> Problem:
    """Rennes (Salle 1, Salle 3), Vannes and Brest, Monday to Friday, 480 minutes a day."""
    return Problem(
        start=MONDAY,
        days=5,
        sites=(site("rennes"), site("vannes"), site("brest")),
        theatres=theatres
        or (
            room("ren-1", "rennes", "Salle 1"),
            room("ren-3", "rennes", "Salle 3"),
            room("van-1", "vannes", "Bloc A"),
            room("bre-1", "brest", "Bloc B"),
        ),
        surgeons=(
            surgeon("s-ren", "rennes", max_daily_minutes=1440),
            surgeon("s-van", "vannes", max_daily_minutes=1440),
            surgeon("s-bre", "brest", max_daily_minutes=1440),
        ),
        cases=cases,
        disruptions=disruptions,
        redirect_sites=2,
    )


def booked(
    case_id: str,
    day: date,
    theatre_id: str = "ren-3",
    *,
    minutes: int = 120,
    priority: PriorityClass = P3,
    listed_on: date = MONDAY,
    release_on: date | None = None,
    surgeon_id: str | None = None,
    transferable: bool = True,
) -> SurgicalCase:
    """A case of the site of ``theatre_id``, booked there at 08:00 on ``day``."""
    return case(
        case_id,
        {"ren": "rennes", "van": "vannes", "bre": "brest"}[theatre_id[:3]],
        minutes=minutes,
        priority=priority,
        booked=(day, theatre_id, 480),
        listed_on=listed_on,
        release_on=release_on,
        surgeon_id=surgeon_id,
        transferable=transferable,
    )


def planned(problem: Problem, moves: Mapping[str, tuple[date, str] | None]) -> Plan:
    """Every case kept where it is booked (or left waiting) except those in ``moves``."""
    decisions = []
    for item in problem.cases:
        if item.id in moves:
            target = moves[item.id]
            slot = (
                None
                if target is None
                else Slot(target[0], problem.theatre(target[1]).site_id, target[1])
            )
        elif item.booking is not None:
            slot = Slot(item.booking.day, item.site_id, item.booking.theatre_id)
        else:
            slot = None
        surgeon_id = None if slot is None else problem.surgeons_for(item, slot.site_id)[0]
        decisions.append(decision_for(problem, item, slot, surgeon_id))
    return Plan(tuple(decisions), SolverReport("hand", "FEASIBLE", 0.0))


def change_of(problem: Problem, plan: Plan, case_id: str) -> Change:
    (found,) = [change for change in explain(problem, plan) if change.case_id == case_id]
    return found


def room_on(problem: Problem, plan: Plan, item: SurgicalCase, site_id: str, day: date) -> bool:
    """Recomputed from the plan's decisions, apart from the module under test: whether the
    case could have been operated at ``site_id`` on ``day`` without moving anyone else."""
    index = problem.index(day)
    if not 0 <= index < problem.days or day < item.release_on:
        return False
    others = [d for d in plan.decisions if d.slot is not None and d.case_id != item.id]
    minutes = problem.duration(item, site_id, day)

    def busy(d: Decision) -> int:
        assert d.slot is not None
        return problem.duration(problem.case(d.case_id), d.slot.site_id, d.slot.day)

    theatre = any(
        problem.accepts(t, item)
        and problem.capacity(t.id, day) > 0
        and sum(
            busy(d) for d in others if d.slot and (d.slot.theatre_id, d.slot.day) == (t.id, day)
        )
        + minutes
        <= problem.capacity(t.id, day) + problem.max_overtime_minutes
        for t in problem.theatres_of(site_id)
    )
    surgeon = any(
        sum(busy(d) for d in others if d.slot and (d.surgeon_id, d.slot.day) == (s, day)) + minutes
        <= problem.surgeon(s).max_daily_minutes
        for s in problem.surgeons_for(item, site_id)
    )
    pool = problem.bed_pool(site_id, item.specialty)

    def in_bed(d: Decision, night: int) -> bool:
        assert d.slot is not None
        first = problem.index(d.slot.day)
        return (
            d.slot.site_id == site_id
            and problem.case(d.case_id).specialty == item.specialty
            and first <= night < first + problem.length_of_stay.get(d.case_id, 0)
        )

    stay = problem.length_of_stay.get(item.id, 0)
    beds = pool is None or all(
        sum(in_bed(d, night) for d in others) < pool.beds
        for night in range(index, min(index + stay, problem.days))
    )
    return theatre and surgeon and beds


def room_until(
    problem: Problem, plan: Plan, item: SurgicalCase, sites: list[str], last: date
) -> bool:
    days = [problem.day(i) for i in range(problem.days) if problem.day(i) <= last]
    return any(room_on(problem, plan, item, s, day) for s in sites for day in days)


CLOSED_TUESDAY = Disruption("rennes", TUESDAY, TUESDAY, closed_theatres=("ren-3",))
CLOSED_WEEK = Disruption("rennes", MONDAY, FRIDAY, closed_theatres=("ren-3",))


def test_closed_theatre_is_named_in_the_reason() -> None:
    problem = scenario(booked("c1", TUESDAY), disruptions=(CLOSED_TUESDAY,))
    change = change_of(problem, planned(problem, {"c1": (TUESDAY, "ren-1")}), "c1")
    assert change.reason.code is ReasonCode.THEATRE_CLOSED
    assert change.reason.choice is Choice.SAME_DAY
    assert render_reason(change.reason, "en").startswith(
        "Theatre Salle 3 closed on Tue 4 Mar; moved to Salle 1 the same day"
    )
    assert render_reason(change.reason, "fr").startswith(
        "Salle 3 fermée le mar. 4 mars ; déplacé en Salle 1 le même jour"
    )


def test_change_records_the_booking_before_and_the_slot_after() -> None:
    problem = scenario(booked("c1", TUESDAY, priority=P2), disruptions=(CLOSED_TUESDAY,))
    change = change_of(problem, planned(problem, {"c1": (WEDNESDAY, "ren-1")}), "c1")
    assert change.before == Slot(TUESDAY, "rennes", "ren-3", 480)
    assert change.after == Slot(WEDNESDAY, "rennes", "ren-1", 0)
    assert (change.action, change.priority, change.due) == (Action.MOVE, P2, date(2025, 3, 31))
    assert change.patient_id == "p-c1"


def test_kept_cases_of_a_disrupted_theatre_day_have_no_change() -> None:
    half = Disruption("rennes", TUESDAY, TUESDAY, capacity_factor=0.5)
    problem = scenario(booked("kept", TUESDAY, "ren-1", minutes=200), disruptions=(half,))
    assert explain(problem, planned(problem, {})) == []


def test_first_day_with_capacity_is_claimed_when_no_earlier_day_room_on() -> None:
    fillers = [
        booked(f"f{n}", day, "ren-1", minutes=480) for n, day in enumerate((MONDAY, TUESDAY))
    ]
    problem = scenario(booked("c1", MONDAY), *fillers, disruptions=(CLOSED_WEEK,))
    plan = planned(problem, {"c1": (WEDNESDAY, "ren-1")})
    change = change_of(problem, plan, "c1")
    assert change.reason.choice is Choice.FIRST_WITH_ROOM
    assert not any(
        room_on(problem, plan, problem.case("c1"), "rennes", day) for day in (MONDAY, TUESDAY)
    )
    assert "moved to Salle 1 on Wed 5 Mar, the first day with capacity, before the P3 deadline" in (
        render_reason(change.reason, "en")
    )
    assert "déplacé en Salle 1 le mer. 5 mars, premier jour avec de la capacité" in (
        render_reason(change.reason, "fr")
    )


def test_first_day_is_not_claimed_when_an_earlier_day_room_on() -> None:
    problem = scenario(
        booked("c1", MONDAY), booked("f0", MONDAY, "ren-1", minutes=480), disruptions=(CLOSED_WEEK,)
    )
    plan = planned(problem, {"c1": (WEDNESDAY, "ren-1")})
    change = change_of(problem, plan, "c1")
    assert room_on(problem, plan, problem.case("c1"), "rennes", TUESDAY)
    assert change.reason.choice is Choice.LATER
    assert "first day" not in render_reason(change.reason, "en")
    assert "premier jour" not in render_reason(change.reason, "fr")


def test_a_surgeon_without_time_leaves_no_room_on_that_day() -> None:
    problem = scenario(
        booked("c1", TUESDAY, surgeon_id="s-ren"),
        booked("busy-mon", MONDAY, "ren-1", minutes=1400, surgeon_id="s-ren"),
        booked("busy-tue", TUESDAY, "ren-1", minutes=1400, surgeon_id="s-ren"),
        disruptions=(CLOSED_TUESDAY,),
        theatres=(
            room("ren-1", "rennes", "Salle 1", 1440),
            room("ren-3", "rennes", "Salle 3", 1440),
            room("van-1", "vannes", "Bloc A"),
            room("bre-1", "brest", "Bloc B"),
        ),
    )
    plan = planned(problem, {"c1": (WEDNESDAY, "ren-1")})
    # Salle 3 had the theatre time on Monday, the surgeon did not: Wednesday is the first day.
    assert change_of(problem, plan, "c1").reason.choice is Choice.FIRST_WITH_ROOM


def test_allowed_overtime_counts_as_room() -> None:
    problem = replace(
        scenario(
            booked("c1", MONDAY, minutes=60),
            booked("mon", MONDAY, "ren-1", minutes=450),
            booked("tue", TUESDAY, "ren-1", minutes=480),
            disruptions=(CLOSED_WEEK,),
        ),
        max_overtime_minutes=30,
    )
    plan = planned(problem, {"c1": (WEDNESDAY, "ren-1")})
    # Monday has 30 minutes left and 30 more of allowed overtime: room for the case.
    assert room_on(problem, plan, problem.case("c1"), "rennes", MONDAY)
    assert not room_on(problem, plan, problem.case("c1"), "rennes", TUESDAY)
    assert change_of(problem, plan, "c1").reason.choice is Choice.LATER


def test_earliest_possible_day_is_said_when_release_forbids_earlier_days() -> None:
    late = booked("c1", THURSDAY, release_on=WEDNESDAY)
    problem = scenario(late, disruptions=(CLOSED_WEEK,))
    change = change_of(problem, planned(problem, {"c1": (WEDNESDAY, "ren-1")}), "c1")
    assert change.reason.choice is Choice.EARLIEST_POSSIBLE
    assert "the earliest day possible (released on 5 Mar)" in render_reason(change.reason, "en")


def test_redirect_distance_equals_the_problem_distance() -> None:
    site_closed = Disruption("rennes", MONDAY, FRIDAY, capacity_factor=0.0)
    problem = scenario(booked("c1", TUESDAY, priority=P1B), disruptions=(site_closed,))
    change = change_of(problem, planned(problem, {"c1": (TUESDAY, "van-1")}), "c1")
    km = problem.distance_km("rennes", "vannes")
    assert change.reason.params["km"] == km
    assert (change.reason.code, change.reason.choice) == (
        ReasonCode.SITE_CLOSED,
        Choice.NEAREST_SITE,
    )
    assert render_reason(change.reason, "en") == (
        f"Rennes closed to surgery on Tue 4 Mar; redirected to Vannes ({km} km) on Tue 4 Mar, "
        "the nearest site with a surgeon and room, before the P1b deadline (6 Mar)"
    )


def test_nearest_site_is_not_claimed_when_a_nearer_site_room_on() -> None:
    site_closed = Disruption("rennes", MONDAY, FRIDAY, capacity_factor=0.0)
    problem = scenario(booked("c1", TUESDAY, priority=P1B), disruptions=(site_closed,))
    assert problem.distance_km("rennes", "vannes") < problem.distance_km("rennes", "brest")
    change = change_of(problem, planned(problem, {"c1": (TUESDAY, "bre-1")}), "c1")
    assert change.reason.choice is Choice.OTHER_SITE
    assert "nearest" not in render_reason(change.reason, "en")


def test_reduced_capacity_names_the_share_and_the_higher_priority_cases_kept() -> None:
    half = Disruption("rennes", MONDAY, TUESDAY, capacity_factor=0.5)
    problem = scenario(
        booked("monday", MONDAY, "ren-1", minutes=240, priority=P1B),
        booked("urgent", TUESDAY, "ren-1", minutes=240, priority=P1B),
        booked("c1", TUESDAY, "ren-1", minutes=240),
        disruptions=(half,),
        theatres=(room("ren-1", "rennes", "Salle 1"), room("van-1", "vannes", "Bloc A")),
    )
    change = change_of(problem, planned(problem, {"c1": (WEDNESDAY, "ren-1")}), "c1")
    assert change.reason.code is ReasonCode.CAPACITY_PRIORITY
    assert render_reason(change.reason, "en").startswith(
        "Rennes at 50 % capacity on Tue 4 Mar, higher-priority cases kept; moved to Salle 1 on "
        "Wed 5 Mar, the first day with capacity"
    )
    assert render_reason(change.reason, "fr").startswith(
        "Rennes à 50 % de capacité le mar. 4 mars, cas plus prioritaires maintenus ;"
    )


@pytest.mark.parametrize("kept", [P4, P2], ids=["less-urgent", "as-urgent"])
def test_higher_priority_is_not_claimed_unless_every_case_kept_was_more_urgent(
    kept: PriorityClass,
) -> None:
    half = Disruption("rennes", TUESDAY, TUESDAY, capacity_factor=0.5)
    problem = scenario(
        booked("long", TUESDAY, "ren-1", minutes=240, priority=kept),
        booked("c1", TUESDAY, "ren-1", minutes=240, priority=P2),
        disruptions=(half,),
        theatres=(room("ren-1", "rennes", "Salle 1"), room("van-1", "vannes", "Bloc A")),
    )
    change = change_of(problem, planned(problem, {"c1": (WEDNESDAY, "ren-1")}), "c1")
    assert change.reason.code is ReasonCode.CAPACITY_REDUCED
    assert "higher-priority" not in render_reason(change.reason, "en")


def test_paper_work_is_the_reason_when_the_list_fitted_without_it() -> None:
    paper = Disruption("rennes", TUESDAY, TUESDAY, paper_extra_minutes=30)
    problem = scenario(
        *(booked(f"c{n}", TUESDAY, "ren-1", minutes=120) for n in range(4)), disruptions=(paper,)
    )
    change = change_of(problem, planned(problem, {"c3": (WEDNESDAY, "ren-1")}), "c3")
    assert change.reason.code is ReasonCode.PAPER_SLOWDOWN
    assert render_reason(change.reason, "en").startswith(
        "Working on paper at Rennes on Tue 4 Mar adds 30 min per case, the list of Salle 1 no "
        "longer fits"
    )


def test_paper_work_is_not_blamed_for_a_list_that_was_already_too_long() -> None:
    paper = Disruption("rennes", TUESDAY, TUESDAY, paper_extra_minutes=30)
    problem = scenario(
        *(booked(f"c{n}", TUESDAY, "ren-1", minutes=120) for n in range(5)), disruptions=(paper,)
    )
    change = change_of(problem, planned(problem, {"c4": (WEDNESDAY, "ren-1")}), "c4")
    assert change.reason.code is ReasonCode.REARRANGED


def test_case_displaced_from_an_undisrupted_day_names_the_urgent_newcomer() -> None:
    problem = scenario(
        booked("c1", WEDNESDAY, "ren-1", minutes=480, priority=P3),
        booked("urgent", TUESDAY, "ren-3", minutes=480, priority=P1A, listed_on=TUESDAY),
        disruptions=(CLOSED_WEEK,),
        theatres=(room("ren-1", "rennes", "Salle 1"), room("ren-3", "rennes", "Salle 3")),
    )
    plan = planned(problem, {"urgent": (WEDNESDAY, "ren-1"), "c1": None})
    change = change_of(problem, plan, "c1")
    assert change.reason.code is ReasonCode.DISPLACED
    assert render_reason(change.reason, "en").startswith(
        "Salle 1 on Wed 5 Mar given to more urgent cases (P1a)"
    )


def test_a_case_moved_for_no_visible_cause_is_not_given_one() -> None:
    problem = scenario(booked("c1", WEDNESDAY, "ren-1"))
    change = change_of(problem, planned(problem, {"c1": (THURSDAY, "ren-1")}), "c1")
    assert change.reason.code is ReasonCode.REARRANGED


def test_postponed_without_room_names_every_site_that_was_looked_at() -> None:
    closed = tuple(
        Disruption(site_id, MONDAY, FRIDAY, capacity_factor=0.0)
        for site_id in ("rennes", "vannes", "brest")
    )
    problem = scenario(booked("c1", TUESDAY, priority=P1B), disruptions=closed)
    change = change_of(problem, planned(problem, {"c1": None}), "c1")
    assert (change.reason.choice, change.reason.deadline) == (Choice.NO_ROOM, Deadline.UNAVOIDABLE)
    assert change.postponed_to == problem.end
    assert render_reason(change.reason, "en") == (
        "Rennes closed to surgery on Tue 4 Mar; P1b deadline 6 Mar cannot be met: no capacity "
        "at Rennes, Vannes or Brest before 8 Mar; postponed to 8 Mar"
    )
    assert "aucune capacité à Rennes, Vannes ou Brest avant le 8 mars ; reporté au 8 mars" in (
        render_reason(change.reason, "fr")
    )


def test_p4_without_deadline_says_so_and_is_not_offered_other_sites() -> None:
    problem = scenario(
        booked("c1", TUESDAY, priority=P4), disruptions=(Disruption("rennes", MONDAY, FRIDAY, 0.0),)
    )
    change = change_of(problem, planned(problem, {"c1": None}), "c1")
    assert render_reason(change.reason, "en").endswith(
        "no capacity at Rennes before 8 Mar; postponed to 8 Mar (P4, no deadline)"
    )
    assert render_reason(change.reason, "fr").endswith("reporté au 8 mars (P4, sans échéance)")


def test_non_transferable_case_gives_its_reason() -> None:
    problem = scenario(
        booked("c1", TUESDAY, priority=P1B, transferable=False),
        disruptions=(Disruption("rennes", MONDAY, FRIDAY, 0.0),),
    )
    change = change_of(problem, planned(problem, {"c1": None}), "c1")
    assert change.reason.choice is Choice.NOT_TRANSFERABLE
    assert "not transferable (follow-up by the home team)" in render_reason(change.reason, "en")


def test_missed_deadline_is_not_called_unavoidable_when_there_was_room() -> None:
    problem = scenario(booked("c1", TUESDAY, priority=P1B), disruptions=(CLOSED_TUESDAY,))
    change = change_of(problem, planned(problem, {"c1": None}), "c1")
    assert (change.reason.choice, change.reason.deadline) == (Choice.POSTPONED, Deadline.MISSED)
    assert "cannot be met" not in render_reason(change.reason, "en")
    assert "after the P1b deadline (6 Mar)" in render_reason(change.reason, "en")


def test_deadline_already_passed_before_the_horizon_is_said_plainly() -> None:
    old = booked("c1", TUESDAY, priority=P2, listed_on=MONDAY - timedelta(days=40))
    problem = scenario(old, disruptions=(CLOSED_TUESDAY,))
    change = change_of(problem, planned(problem, {"c1": (TUESDAY, "ren-1")}), "c1")
    assert change.reason.deadline is Deadline.PASSED
    assert "P2 deadline 19 Feb already passed" in render_reason(change.reason, "en")


def test_waiting_list_booking_is_explained_as_such() -> None:
    problem = scenario(case("w1", priority=P3, listed_on=MONDAY))
    change = change_of(problem, planned(problem, {"w1": (MONDAY, "ren-1")}), "w1")
    assert change.before is None
    assert render_reason(change.reason, "en").startswith(
        "On the waiting list; booked in Salle 1 on Mon 3 Mar, the first day with capacity"
    )
    assert render_reason(change.reason, "fr").startswith(
        "En liste d'attente ; programmé en Salle 1 le lun. 3 mars"
    )


def test_changes_come_most_urgent_first() -> None:
    problem = scenario(
        booked("a", TUESDAY, priority=P4, minutes=60),
        booked("b", TUESDAY, priority=P1A, minutes=60, listed_on=TUESDAY),
        disruptions=(CLOSED_TUESDAY,),
    )
    plan = planned(problem, {"a": (TUESDAY, "ren-1"), "b": (TUESDAY, "ren-1")})
    assert [change.case_id for change in explain(problem, plan)] == ["b", "a"]


def test_french_dates_use_short_names_and_1er() -> None:
    assert format_day(date(2025, 3, 1), "fr") == "sam. 1er mars"
    assert format_day(date(2026, 1, 5), "fr", weekday=False) == "5 janv."
    assert format_day(date(2025, 12, 8), "en") == "Mon 8 Dec"


def test_unknown_language_is_refused() -> None:
    reason = Reason(ReasonCode.WAITING_LIST, Choice.POSTPONED, Deadline.NONE, {"target": MONDAY})
    with pytest.raises(ValueError, match="de"):
        render_reason(reason, "de")


EVERY_PARAM: dict[str, Param] = {
    "day": TUESDAY,
    "new_day": THURSDAY,
    "due": FRIDAY,
    "until": FRIDAY,
    "target": FRIDAY,
    "release": WEDNESDAY,
    "theatre": "Salle 3",
    "new_theatre": "Salle 1",
    "site": "Rennes",
    "new_site": "Vannes",
    "reach": ("Rennes", "Vannes"),
    "priority": "P2",
    "urgent": "P1a",
    "percent": 50,
    "minutes": 30,
    "km": 124,
    "why": "suivi",
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_combination_renders_in_both_languages(lang: str) -> None:
    for code, choice, deadline in product(ReasonCode, Choice, Deadline):
        text = render_reason(Reason(code, choice, deadline, EVERY_PARAM), lang)
        assert "{" not in text
        assert text[0].isupper()


def test_french_and_english_differ() -> None:
    reason = Reason(ReasonCode.THEATRE_CLOSED, Choice.FIRST_WITH_ROOM, Deadline.MET, EVERY_PARAM)
    assert render_reason(reason, "fr") != render_reason(reason, "en")
    assert render_reason(reason) == render_reason(reason, "fr")


@st.composite
def problems_and_plans(draw: st.DrawFn) -> tuple[Problem, Plan]:
    """A random problem and a random (not necessarily feasible) plan for it."""
    problem = draw(problems())
    decisions = []
    for item in problem.cases:
        options: list[Slot | None] = [None]
        options += [
            Slot(problem.day(index), theatre.site_id, theatre.id)
            for theatre in problem.theatres
            for index in range(problem.days)
        ]
        decisions.append(decision_for(problem, item, draw(st.sampled_from(options))))
    return problem, Plan(tuple(decisions), SolverReport("random", "UNKNOWN", 0.0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems_and_plans())
def test_every_change_has_a_true_cause_in_both_languages(drawn: tuple[Problem, Plan]) -> None:
    problem, plan = drawn
    changes = explain(problem, plan)
    assert {change.case_id for change in changes} == {
        decision.case_id for decision in plan.decisions if decision.action is not Action.KEEP
    }
    for change in changes:
        for lang in ("fr", "en"):
            assert "{" not in render_reason(change.reason, lang)
        params = change.reason.params
        if change.before is None:
            assert change.reason.code is ReasonCode.WAITING_LIST
            continue
        disruption = problem.disruption(change.before.site_id, change.before.day)
        if change.reason.code is ReasonCode.THEATRE_CLOSED:
            assert disruption is not None
            assert change.before.theatre_id in disruption.closed_theatres
            assert params["theatre"] == problem.theatre(change.before.theatre_id).name
        if change.reason.code in (ReasonCode.CAPACITY_PRIORITY, ReasonCode.CAPACITY_REDUCED):
            assert disruption is not None
            assert params["percent"] == round(100 * disruption.capacity_factor) < 100
        if change.action is Action.REDIRECT:
            assert change.after is not None
            assert params["km"] == problem.distance_km(change.before.site_id, change.after.site_id)
        check_choice(problem, plan, change)


def check_choice(problem: Problem, plan: Plan, change: Change) -> None:
    """What the choice and the deadline claim, checked against ``room_on``."""
    item = problem.case(change.case_id)
    reach = [item.site_id, *(problem.nearest_sites(item) if may_redirect(problem, item) else ())]
    choice, after, due = change.reason.choice, change.after, change.due
    if choice in (Choice.FIRST_WITH_ROOM, Choice.EARLIEST_POSSIBLE, Choice.LATER):
        assert after is not None
        earlier = after.day - timedelta(days=1)
        assert room_until(problem, plan, item, [item.site_id], earlier) is (choice is Choice.LATER)
    if choice is Choice.NEAREST_SITE:
        assert after is not None
        last = due if due is not None and after.day <= due else after.day
        km = problem.distance_km(item.site_id, after.site_id)
        nearer = [
            s.id
            for s in problem.sites
            if s.id != item.site_id and problem.distance_km(item.site_id, s.id) < km
        ]
        assert not room_until(problem, plan, item, [item.site_id, *nearer], last)
    if choice in (Choice.NO_ROOM, Choice.NOT_TRANSFERABLE):
        assert not room_until(problem, plan, item, reach, problem.end)
    if choice is Choice.POSTPONED:
        assert room_until(problem, plan, item, reach, problem.end)
    if change.reason.deadline is Deadline.UNAVOIDABLE:
        assert due is not None
        assert not room_until(problem, plan, item, reach, due)
