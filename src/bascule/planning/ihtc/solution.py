"""IHTC-2024 solutions: admissions (day, room, theatre) and nurse-to-room assignments.

A solution holds one entry per patient of its instance, ``None`` for a patient who is not
admitted in the horizon. Nurse assignments are kept when read so that the cost function can
evaluate the nurse terms of the competition's solutions; the planners here write none.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bascule.planning.ihtc.instance import (
    IhtcFormatError,
    Instance,
    JsonNode,
    read_json_file,
)


@dataclass(frozen=True, slots=True)
class Admission:
    """Where and when one patient is admitted and operated on."""

    day: int
    room: int
    theatre: int


@dataclass(frozen=True, slots=True)
class NurseAssignment:
    """A nurse covering a room during one shift (shift index = day × shifts per day + type)."""

    nurse: int
    shift: int
    room: int


@dataclass(frozen=True)
class Solution:
    """Admissions indexed like the instance's patients, and nurse assignments if any."""

    admissions: tuple[Admission | None, ...]
    nurse_assignments: tuple[NurseAssignment, ...] = ()

    @classmethod
    def of(cls, admissions: Sequence[Admission | None]) -> "Solution":
        """A solution with these admissions and no nurse assignment."""
        return cls(tuple(admissions))


def load_solution(path: Path, instance: Instance) -> Solution:
    """Read a solution file (``.json`` or ``.json.gz``) of ``instance``."""
    return solution_from_json(read_json_file(path), instance, str(path))


def solution_from_json(document: Any, instance: Instance, source: str = "solution") -> Solution:
    """Build a solution from its decoded JSON; unknown ids and bad days name their field."""
    root = JsonNode(document, source, "")
    admissions: list[Admission | None] = [None] * len(instance.patients)
    listed: set[int] = set()
    for node in root.get("patients").items():
        id_node = node.get("id")
        patient = instance.patient_index(id_node.text())
        if patient is None:
            raise id_node.fail(f"unknown patient {id_node.value!r}")
        if patient in listed:
            raise id_node.fail(f"patient {id_node.value!r} is listed twice")
        listed.add(patient)
        day_node = node.get("admission_day")
        if day_node.value == "none":
            continue
        day = day_node.integer(0)
        if day >= instance.days:
            raise day_node.fail(f"day {day} is outside the horizon 0..{instance.days - 1}")
        room_node = node.get("room")
        room = instance.room_index(room_node.text())
        if room is None:
            raise room_node.fail(f"unknown room {room_node.value!r}")
        theatre_node = node.get("operating_theater")
        theatre = instance.theatre_index(theatre_node.text())
        if theatre is None:
            raise theatre_node.fail(f"unknown operating theater {theatre_node.value!r}")
        admissions[patient] = Admission(day, room, theatre)

    assignments: list[NurseAssignment] = []
    shift_index = {name: i for i, name in enumerate(instance.shift_types)}
    nurses = root.get("nurses") if root.has("nurses") else JsonNode([], source, "nurses")
    for node in nurses.items():
        id_node = node.get("id")
        nurse = instance.nurse_index(id_node.text())
        if nurse is None:
            raise id_node.fail(f"unknown nurse {id_node.value!r}")
        for working in node.get("assignments").items():
            day_node = working.get("day")
            day = day_node.integer(0)
            if day >= instance.days:
                raise day_node.fail(f"day {day} is outside the horizon 0..{instance.days - 1}")
            shift = day * instance.shifts_per_day + working.get("shift").choice(
                shift_index, "shift type"
            )
            for room_node in working.get("rooms").items():
                room = instance.room_index(room_node.text())
                if room is None:
                    raise room_node.fail(f"unknown room {room_node.value!r}")
                assignments.append(NurseAssignment(nurse, shift, room))
    return Solution(tuple(admissions), tuple(assignments))


def solution_to_json(solution: Solution, instance: Instance) -> dict[str, Any]:
    """The competition's JSON form of a solution."""
    if len(solution.admissions) != len(instance.patients):
        raise IhtcFormatError(
            f"the solution has {len(solution.admissions)} patients, "
            f"{instance.source} has {len(instance.patients)}"
        )
    patients: list[dict[str, Any]] = []
    for patient, admission in zip(instance.patients, solution.admissions, strict=True):
        if admission is None:
            patients.append({"id": patient.id, "admission_day": "none"})
        else:
            patients.append(
                {
                    "id": patient.id,
                    "admission_day": admission.day,
                    "room": instance.rooms[admission.room].id,
                    "operating_theater": instance.theatres[admission.theatre].id,
                }
            )
    by_nurse: dict[int, dict[int, list[str]]] = {}
    for assignment in solution.nurse_assignments:
        shifts = by_nurse.setdefault(assignment.nurse, {})
        shifts.setdefault(assignment.shift, []).append(instance.rooms[assignment.room].id)
    nurses = [
        {
            "id": instance.nurses[nurse].id,
            "assignments": [
                {
                    "day": shift // instance.shifts_per_day,
                    "shift": instance.shift_types[shift % instance.shifts_per_day],
                    "rooms": rooms,
                }
                for shift, rooms in sorted(shifts.items())
            ],
        }
        for nurse, shifts in sorted(by_nurse.items())
    ]
    return {"patients": patients, "nurses": nurses}


def write_solution(path: Path, solution: Solution, instance: Instance) -> None:
    """Write a solution file in the competition's format."""
    text = json.dumps(solution_to_json(solution, instance), indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise IhtcFormatError(f"cannot write {path}: {exc.strerror}") from exc
