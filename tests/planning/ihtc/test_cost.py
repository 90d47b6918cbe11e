import csv
from functools import cache

import pytest

from bascule.planning.ihtc.cost import CONSTRAINTS, TERMS, Evaluation, evaluate
from bascule.planning.ihtc.instance import Instance, load_instance
from bascule.planning.ihtc.solution import Admission, NurseAssignment, Solution, load_solution
from tests.planning.ihtc.support import FIXTURES, competition_instance, tiny_document, tiny_instance

with (FIXTURES / "validator_costs_public.csv").open(encoding="utf-8") as _handle:
    VALIDATOR_ROWS = list(csv.DictReader(_handle))


@cache
def _instance(name: str) -> Instance:
    return load_instance(competition_instance(name))


@pytest.mark.parametrize(
    "row", VALIDATOR_ROWS, ids=[f"{r['instance']}-{r['solution']}" for r in VALIDATOR_ROWS]
)
def test_every_term_equals_the_official_validator_on_best_known_solutions(
    row: dict[str, str],
) -> None:
    instance = _instance(row["instance"])
    solution = load_solution(FIXTURES / "best_solutions" / f"{row['solution']}.gz", instance)
    evaluation = evaluate(instance, solution)
    assert {term: evaluation.weighted(term) for term in TERMS} == {
        term: int(row[term]) for term in TERMS
    }
    assert sum(evaluation.violation_totals().values()) == int(row["violations"])
    assert evaluation.total == int(row["total"])
    assert evaluation.core_total == int(row["core_total_no_nurse_terms"])


def test_all_thirty_instances_and_both_solution_sets_are_checked() -> None:
    assert len({row["instance"] for row in VALIDATOR_ROWS}) == 30
    assert len(VALIDATOR_ROWS) == 60


def test_toy_solution_costs_and_its_gender_mix() -> None:
    instance = load_instance(FIXTURES / "toy.json")
    evaluation = evaluate(instance, load_solution(FIXTURES / "toy_solution.json", instance))
    # Worked by hand from the files: p0..p6 wait 1+2+0+3+3+0+2 days; t0 opens on days 1
    # and 4; room r0 holds an adult and an elderly patient on day 1; room r2 holds three A
    # patients and p3 (B) on days 4-6.
    assert evaluation.counts["PatientDelay"] == 11
    assert evaluation.counts["OpenOperatingTheater"] == 2
    assert evaluation.counts["RoomAgeMix"] == 1
    assert evaluation.counts["SurgeonTransfer"] == 0
    assert evaluation.counts["ElectiveUnscheduledPatients"] == 0
    assert evaluation.violation_totals()["RoomGenderMix"] == 3
    assert all(v.constraint == "RoomGenderMix" for v in evaluation.violations)
    assert "room r2" in evaluation.violations[0].message
    assert "patient p3" in evaluation.violations[0].message


def _feasible_tiny() -> Solution:
    # p0 with the occupant in r0 from day 0, p1 in r1 from day 2, p2 in r0 on day 3.
    return Solution.of([Admission(0, 0, 0), Admission(2, 1, 0), Admission(3, 0, 0)])


def _violations(evaluation: Evaluation, constraint: str) -> list[str]:
    return [v.message for v in evaluation.violations if v.constraint == constraint]


def test_feasible_plan_has_no_violation_and_its_costs() -> None:
    evaluation = evaluate(tiny_instance(), _feasible_tiny())
    assert evaluation.feasible
    assert set(evaluation.violation_totals()) == set(CONSTRAINTS) - {
        "NursePresence",
        "UncoveredRoom",
    }
    assert not evaluation.nurses_assessed
    assert evaluation.counts["PatientDelay"] == 0 + 1 + 1
    assert evaluation.counts["OpenOperatingTheater"] == 3
    assert evaluation.core_total == 10 * 2 + 50 * 3


def test_gender_mix_in_room_is_a_violation() -> None:
    # p1 (B) comes into r0 on day 2, the last day of p0 (A) there.
    plan = Solution.of([Admission(1, 0, 0), Admission(2, 0, 0), Admission(3, 1, 0)])
    evaluation = evaluate(tiny_instance(), plan)
    assert _violations(evaluation, "RoomGenderMix") == [
        "room r0 mixes genders on day 2 (A: patient p0; B: patient p1)"
    ]
    assert evaluation.violation_totals()["RoomGenderMix"] == 1


def test_incompatible_room_is_a_violation() -> None:
    plan = Solution.of([Admission(0, 1, 0), Admission(2, 0, 0), Admission(3, 1, 0)])
    evaluation = evaluate(tiny_instance(), plan)
    assert [v.constraint for v in evaluation.violations] == ["PatientRoomCompatibility"]
    assert _violations(evaluation, "PatientRoomCompatibility") == [
        "patient p0 is in room r1, which is incompatible with them"
    ]


def test_surgeon_overtime_is_a_violation() -> None:
    # p0 (120) and p1 (200) on day 2: 320 minutes, the surgeon has 300.
    plan = Solution.of([Admission(2, 0, 0), Admission(2, 1, 0), Admission(3, 0, 0)])
    evaluation = evaluate(tiny_instance(), plan)
    assert _violations(evaluation, "SurgeonOvertime") == [
        "surgeon s0 operates 320 minutes on day 2, 300 allowed"
    ]
    assert evaluation.violation_totals()["SurgeonOvertime"] == 20


def test_theatre_overtime_is_a_violation() -> None:
    # Day 4 has the theatre closed (0 minutes).
    plan = Solution.of([Admission(0, 0, 0), Admission(2, 1, 0), Admission(4, 0, 0)])
    evaluation = evaluate(tiny_instance(), plan)
    assert _violations(evaluation, "OperatingTheaterOvertime") == [
        "theatre t0 has 60 minutes of surgery on day 4, 0 available"
    ]
    assert evaluation.violation_totals()["OperatingTheaterOvertime"] == 60


def test_mandatory_patient_left_out_is_a_violation_optional_one_a_cost() -> None:
    plan = Solution.of([None, None, Admission(3, 0, 0)])
    evaluation = evaluate(tiny_instance(), plan)
    assert _violations(evaluation, "MandatoryUnscheduledPatients") == [
        "mandatory patient p0 is not admitted"
    ]
    assert evaluation.counts["ElectiveUnscheduledPatients"] == 1


def test_admission_after_due_day_is_a_violation() -> None:
    plan = Solution.of([Admission(3, 0, 0), Admission(1, 1, 0), None])
    evaluation = evaluate(tiny_instance(), plan)
    assert _violations(evaluation, "AdmissionDay") == [
        "patient p0 admitted on day 3, after its last possible day 2"
    ]


def test_admission_before_release_day_is_a_violation() -> None:
    plan = Solution.of([Admission(0, 0, 0), Admission(0, 1, 0), Admission(3, 0, 0)])
    evaluation = evaluate(tiny_instance(), plan)
    assert _violations(evaluation, "AdmissionDay") == [
        "patient p1 admitted on day 0, before its release day 1"
    ]


def test_room_over_capacity_counting_occupants_is_a_violation() -> None:
    # With p2 released on day 1, the occupant, p0 and p2 share r0 (2 beds) on day 1.
    document = tiny_document()
    document["patients"][2]["surgery_release_day"] = 1
    plan = Solution.of([Admission(0, 0, 0), Admission(2, 1, 0), Admission(1, 0, 0)])
    evaluation = evaluate(tiny_instance(document), plan)
    assert _violations(evaluation, "RoomCapacity") == [
        "room r0 holds 3 patients on day 1, capacity 2"
    ]


def test_nurse_in_a_shift_they_do_not_work_is_a_violation() -> None:
    document = tiny_document()
    document["nurses"][0]["working_shifts"] = [{"day": 0, "shift": "early", "max_load": 10}]
    instance = tiny_instance(document)
    plan = Solution(
        _feasible_tiny().admissions,
        (NurseAssignment(0, 0, 0), NurseAssignment(0, 1, 0)),
    )
    evaluation = evaluate(instance, plan)
    assert _violations(evaluation, "NursePresence") == [
        "nurse n0 covers room r0 on day 0 late, a shift they do not work"
    ]


def test_occupied_room_without_a_nurse_is_a_violation() -> None:
    instance = tiny_instance()
    every_shift_of_r0 = tuple(NurseAssignment(0, shift, 0) for shift in range(15))
    plan = Solution(_feasible_tiny().admissions, every_shift_of_r0)
    evaluation = evaluate(instance, plan)
    # p1 is alone in r1 on days 2-4: nine shifts uncovered.
    uncovered = _violations(evaluation, "UncoveredRoom")
    assert len(uncovered) == 9
    assert uncovered[0] == "room r1 has no nurse on day 2 early"
    assert evaluation.nurses_assessed
