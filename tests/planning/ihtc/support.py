"""IHTC-2024 test data: the stored competition files, a tiny instance, random small ones."""

import copy
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from bascule.planning.ihtc.instance import GENDERS, Instance, instance_from_json
from bascule.planning.ihtc.rules import PlanRules
from bascule.planning.ihtc.solution import Admission

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ihtc2024"
SHIFTS = ["early", "late", "night"]
WEIGHTS = {
    "room_mixed_age": 5,
    "room_nurse_skill": 1,
    "continuity_of_care": 1,
    "nurse_eccessive_workload": 1,
    "open_operating_theater": 50,
    "surgeon_transfer": 5,
    "patient_delay": 10,
    "unscheduled_optional": 300,
}


def competition_instance(name: str) -> Path:
    """Path of a stored public instance, e.g. ``i07``."""
    return FIXTURES / "instances" / f"{name}.json.gz"


def _person(identifier: str, gender: str, age: str, stay: int) -> dict[str, Any]:
    return {
        "id": identifier,
        "gender": gender,
        "age_group": age,
        "length_of_stay": stay,
        "workload_produced": [1] * 3 * stay,
        "skill_level_required": [0] * 3 * stay,
    }


def tiny_document() -> dict[str, Any]:
    """Five days, two rooms (r0: 2 beds, r1: 1 bed), one theatre, one surgeon, one occupant
    (a woman, ``A``, in r0 on days 0-1), three patients, and a nurse on every shift."""
    patients = [
        {
            **_person("p0", "A", "adult", 2),
            "mandatory": True,
            "surgery_release_day": 0,
            "surgery_due_day": 2,
            "surgery_duration": 120,
            "surgeon_id": "s0",
            "incompatible_room_ids": ["r1"],
        },
        {
            **_person("p1", "B", "elderly", 3),
            "mandatory": False,
            "surgery_release_day": 1,
            "surgery_duration": 200,
            "surgeon_id": "s0",
            "incompatible_room_ids": [],
        },
        {
            **_person("p2", "A", "adult", 1),
            "mandatory": True,
            "surgery_release_day": 2,
            "surgery_due_day": 4,
            "surgery_duration": 60,
            "surgeon_id": "s0",
            "incompatible_room_ids": [],
        },
    ]
    return {
        "days": 5,
        "skill_levels": 2,
        "shift_types": SHIFTS,
        "age_groups": ["infant", "adult", "elderly"],
        "weights": dict(WEIGHTS),
        "occupants": [{**_person("a0", "A", "adult", 2), "room_id": "r0"}],
        "patients": patients,
        "surgeons": [{"id": "s0", "max_surgery_time": [300, 300, 300, 300, 300]}],
        "operating_theaters": [{"id": "t0", "availability": [400, 400, 400, 400, 0]}],
        "rooms": [{"id": "r0", "capacity": 2}, {"id": "r1", "capacity": 1}],
        "nurses": [
            {
                "id": "n0",
                "skill_level": 1,
                "working_shifts": [
                    {"day": d, "shift": s, "max_load": 10} for d in range(5) for s in SHIFTS
                ],
            }
        ],
    }


def tiny_instance(document: dict[str, Any] | None = None) -> Instance:
    """The tiny instance, or a variant of its document."""
    return instance_from_json(copy.deepcopy(document or tiny_document()), "tiny.json")


@st.composite
def planted_instances(draw: st.DrawFn) -> tuple[Instance, list[tuple[int, int, int] | None]]:
    """A random small instance built around a hidden feasible plan, returned with it.

    Each room gets one gender for the planted plan; capacities, theatre minutes and surgeon
    minutes are what the plan uses plus random slack, so every mandatory patient fits.
    """
    days = draw(st.integers(4, 7))
    room_count = draw(st.integers(1, 3))
    theatre_count = draw(st.integers(1, 2))
    surgeon_count = draw(st.integers(1, 2))
    ages = ["young", "adult", "old"]
    room_gender = [draw(st.sampled_from(GENDERS)) for _ in range(room_count)]
    beds = [[0] * days for _ in range(room_count)]
    theatre_load = [[0] * days for _ in range(theatre_count)]
    surgeon_load = [[0] * days for _ in range(surgeon_count)]

    occupants = []
    for index in range(draw(st.integers(0, 2))):
        room = draw(st.integers(0, room_count - 1))
        stay = draw(st.integers(1, days))
        occupants.append(
            {
                **_person(f"a{index}", room_gender[room], draw(st.sampled_from(ages)), stay),
                "room_id": f"r{room}",
            }
        )
        for day in range(stay):
            beds[room][day] += 1

    patients = []
    plan: list[tuple[int, int, int] | None] = []
    for index in range(draw(st.integers(1, 8))):
        gender = draw(st.sampled_from(GENDERS))
        rooms_of_gender = [r for r in range(room_count) if room_gender[r] == gender]
        stay = draw(st.integers(1, 4))
        duration = draw(st.integers(30, 240))
        surgeon = draw(st.integers(0, surgeon_count - 1))
        mandatory = bool(rooms_of_gender) and draw(st.booleans())
        planted = None
        if mandatory or (rooms_of_gender and draw(st.booleans())):
            day = draw(st.integers(0, days - 1))
            room = draw(st.sampled_from(rooms_of_gender))
            theatre = draw(st.integers(0, theatre_count - 1))
            planted = (day, room, theatre)
            for stay_day in range(day, min(days, day + stay)):
                beds[room][stay_day] += 1
            theatre_load[theatre][day] += duration
            surgeon_load[surgeon][day] += duration
        release = draw(st.integers(0, planted[0] if planted else days - 1))
        patient = {
            **_person(f"p{index}", gender, draw(st.sampled_from(ages)), stay),
            "mandatory": mandatory,
            "surgery_release_day": release,
            "surgery_duration": duration,
            "surgeon_id": f"s{surgeon}",
            "incompatible_room_ids": [
                f"r{r}"
                for r in range(room_count)
                if (planted is None or r != planted[1]) and draw(st.booleans())
            ],
        }
        if mandatory:
            assert planted is not None
            patient["surgery_due_day"] = draw(st.integers(planted[0], days - 1))
        patients.append(patient)
        plan.append(planted)

    def slack(used: int) -> int:
        return used + draw(st.sampled_from([0, 0, 60, 120, 480]))

    document = {
        "days": days,
        "skill_levels": 1,
        "shift_types": SHIFTS,
        "age_groups": ages,
        "weights": {**WEIGHTS, "patient_delay": draw(st.integers(1, 20))},
        "occupants": occupants,
        "patients": patients,
        "surgeons": [
            {"id": f"s{s}", "max_surgery_time": [slack(m) for m in surgeon_load[s]]}
            for s in range(surgeon_count)
        ],
        "operating_theaters": [
            {"id": f"t{t}", "availability": [slack(m) for m in theatre_load[t]]}
            for t in range(theatre_count)
        ],
        "rooms": [
            {"id": f"r{r}", "capacity": max(1, max(beds[r]) + draw(st.integers(0, 1)))}
            for r in range(room_count)
        ],
        "nurses": [],
    }
    return instance_from_json(document, "planted.json"), plan


WardPatient = tuple[str, str, int, int, int | None, list[str]]
"""(gender, age group, stay, release day, due day or None for an optional patient, rooms
barred)."""


def ward_instance(rooms: dict[str, int], patients: list[WardPatient]) -> Instance:
    """Three days, one theatre and one surgeon with time to spare, no occupants: an instance
    whose difficulty is all in the rooms."""
    people = [
        {
            **_person(f"p{index}", gender, age, stay),
            "mandatory": due is not None,
            "surgery_release_day": release,
            **({} if due is None else {"surgery_due_day": due}),
            "surgery_duration": 30,
            "surgeon_id": "s0",
            "incompatible_room_ids": barred,
        }
        for index, (gender, age, stay, release, due, barred) in enumerate(patients)
    ]
    document = {
        "days": 3,
        "skill_levels": 1,
        "shift_types": SHIFTS,
        "age_groups": ["young", "adult", "old"],
        "weights": dict(WEIGHTS),
        "occupants": [],
        "patients": people,
        "surgeons": [{"id": "s0", "max_surgery_time": [600] * 3}],
        "operating_theaters": [{"id": "t0", "availability": [600] * 3}],
        "rooms": [{"id": room, "capacity": beds} for room, beds in rooms.items()],
        "nurses": [],
    }
    return instance_from_json(document, "ward.json")


def planted_plan(
    case: tuple[Instance, list[tuple[int, int, int] | None]],
) -> tuple[Instance, PlanRules, list[Admission | None]]:
    """A planted case as its instance, the core problem's rules and the planted plan."""
    instance, planted = case
    plan = [None if p is None else Admission(*p) for p in planted]
    return instance, PlanRules.core(instance), plan
