"""IHTC-2024 instances: typed, immutable, read from the competition's JSON format.

Everything after parsing is index-based (patients, rooms, theatres, surgeons and nurses are
numbered in file order) so that the cost function, the greedy planner and the CP-SAT models
share one view of the data. The parser checks what the validator silently assumes (array
lengths, references between sections) and names the file and JSON field of the first
problem it finds.
"""

import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bascule.errors import BasculeError

GENDERS = ("A", "B")


class IhtcFormatError(BasculeError):
    """An IHTC instance or solution file is unreadable or not in the competition format."""


@dataclass(frozen=True, slots=True)
class Weights:
    """The instance's weight of each soft cost term."""

    room_mixed_age: int
    room_nurse_skill: int
    continuity_of_care: int
    nurse_excessive_workload: int
    open_operating_theater: int
    surgeon_transfer: int
    patient_delay: int
    unscheduled_optional: int


@dataclass(frozen=True, slots=True)
class Room:
    """A ward room and its number of beds."""

    id: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Theatre:
    """An operating theatre and its minutes available on each day (0 = closed)."""

    id: str
    availability: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Surgeon:
    """A surgeon and their maximum minutes of surgery on each day."""

    id: str
    max_surgery_time: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Occupant:
    """A patient already in a room on day 0, staying ``length_of_stay`` days."""

    id: str
    gender: str
    age_group: int
    length_of_stay: int
    workload: tuple[int, ...]
    skill_required: tuple[int, ...]
    room: int


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient to admit (mandatory) or possibly postpone (optional), operated on admission."""

    id: str
    mandatory: bool
    gender: str
    age_group: int
    length_of_stay: int
    release_day: int
    due_day: int | None
    surgery_duration: int
    surgeon: int
    incompatible_rooms: frozenset[int]
    workload: tuple[int, ...]
    skill_required: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Nurse:
    """A nurse, their skill level and the maximum load of each shift they work."""

    id: str
    skill_level: int
    max_load: Mapping[int, int]


@dataclass(frozen=True)
class Instance:
    """One IHTC-2024 instance; ``source`` names where it was read from, for messages."""

    days: int
    skill_levels: int
    shift_types: tuple[str, ...]
    age_groups: tuple[str, ...]
    weights: Weights
    occupants: tuple[Occupant, ...]
    patients: tuple[Patient, ...]
    surgeons: tuple[Surgeon, ...]
    theatres: tuple[Theatre, ...]
    rooms: tuple[Room, ...]
    nurses: tuple[Nurse, ...]
    source: str = "instance"
    _room_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _theatre_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _patient_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _nurse_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A frozen dataclass sets its derived fields through object.__setattr__.
        object.__setattr__(self, "_room_index", {r.id: i for i, r in enumerate(self.rooms)})
        object.__setattr__(self, "_theatre_index", {t.id: i for i, t in enumerate(self.theatres)})
        object.__setattr__(self, "_patient_index", {p.id: i for i, p in enumerate(self.patients)})
        object.__setattr__(self, "_nurse_index", {n.id: i for i, n in enumerate(self.nurses)})

    @property
    def shifts_per_day(self) -> int:
        """Number of nurse shifts in a day."""
        return len(self.shift_types)

    def last_day(self, patient: int) -> int:
        """Latest admission day allowed by H6: the due day, or the horizon's last day."""
        due = self.patients[patient].due_day
        return self.days - 1 if due is None else min(due, self.days - 1)

    def stay_days(self, patient: int, admission_day: int) -> range:
        """Days of the horizon a patient admitted on ``admission_day`` is in a bed."""
        return range(
            admission_day, min(self.days, admission_day + self.patients[patient].length_of_stay)
        )

    def room_index(self, room_id: str) -> int | None:
        """Index of a room id, or None when the instance has no such room."""
        return self._room_index.get(room_id)

    def theatre_index(self, theatre_id: str) -> int | None:
        """Index of an operating theatre id, or None."""
        return self._theatre_index.get(theatre_id)

    def patient_index(self, patient_id: str) -> int | None:
        """Index of a patient id, or None."""
        return self._patient_index.get(patient_id)

    def nurse_index(self, nurse_id: str) -> int | None:
        """Index of a nurse id, or None."""
        return self._nurse_index.get(nurse_id)

    def with_closed_theatre_days(self, closed: Sequence[tuple[int, int]]) -> "Instance":
        """The same instance with each (theatre, day) of ``closed`` at capacity 0."""
        availability = [list(theatre.availability) for theatre in self.theatres]
        for theatre, day in closed:
            availability[theatre][day] = 0
        theatres = tuple(
            replace(theatre, availability=tuple(minutes))
            for theatre, minutes in zip(self.theatres, availability, strict=True)
        )
        return replace(self, theatres=theatres)


def read_json_file(path: Path) -> Any:
    """The JSON document in ``path`` (gzip-compressed when its name ends in ``.gz``)."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IhtcFormatError(f"cannot read {path}: {exc}") from exc
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise IhtcFormatError(f"{path}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise IhtcFormatError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc


class JsonNode:
    """A JSON value with the path that led to it, whose accessors name that path on error."""

    def __init__(self, value: Any, source: str, path: str) -> None:
        self.value = value
        self.source = source
        self.path = path

    def fail(self, message: str) -> IhtcFormatError:
        """An error naming the file and this node's field."""
        return IhtcFormatError(f"{self.source}: {self.path or 'document'}: {message}")

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """Whether this object has the field ``key``."""
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str) -> "JsonNode":
        """The field ``key`` of this object, which must be present."""
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object, got {type(self.value).__name__}")
        if key not in self.value:
            raise JsonNode(None, self.source, self._child_path(key)).fail("missing")
        return JsonNode(self.value[key], self.source, self._child_path(key))

    def items(self) -> list["JsonNode"]:
        """The elements of this array."""
        if not isinstance(self.value, list):
            raise self.fail(f"expected an array, got {_kind(self.value)}")
        return [JsonNode(v, self.source, self._child_path(i)) for i, v in enumerate(self.value)]

    def integer(self, minimum: int | None = None) -> int:
        """This value as an integer, at least ``minimum`` when given."""
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail(f"expected an integer, got {_kind(self.value)}")
        if minimum is not None and self.value < minimum:
            raise self.fail(f"{self.value} is below the minimum {minimum}")
        return self.value

    def boolean(self) -> bool:
        """This value as a boolean."""
        if not isinstance(self.value, bool):
            raise self.fail(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def text(self) -> str:
        """This value as a string."""
        if not isinstance(self.value, str):
            raise self.fail(f"expected a string, got {_kind(self.value)}")
        return self.value

    def integers(self, length: int | None = None, minimum: int = 0) -> tuple[int, ...]:
        """This array of integers, of exactly ``length`` elements when given."""
        values = tuple(item.integer(minimum) for item in self.items())
        if length is not None and len(values) != length:
            raise self.fail(f"expected {length} values, got {len(values)}")
        return values

    def choice(self, names: Mapping[str, int], what: str) -> int:
        """The index of this string among ``names``."""
        name = self.text()
        if name not in names:
            raise self.fail(f"unknown {what} {name!r}")
        return names[name]


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _unique_ids(nodes: list[JsonNode]) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    for node in nodes:
        identifier = node.get("id")
        text = identifier.text()
        if text in seen:
            raise identifier.fail(f"duplicate id {text!r}")
        seen.add(text)
        ids.append(text)
    return ids


def load_instance(path: Path) -> Instance:
    """Read an instance file (``.json`` or ``.json.gz``)."""
    return instance_from_json(read_json_file(path), str(path))


def instance_from_json(document: Any, source: str = "instance") -> Instance:
    """Build an instance from its decoded JSON, naming ``source`` in errors."""
    root = JsonNode(document, source, "")
    days = root.get("days").integer(1)
    shift_types = tuple(node.text() for node in root.get("shift_types").items())
    if not shift_types:
        raise root.get("shift_types").fail("no shift type")
    age_groups = tuple(node.text() for node in root.get("age_groups").items())
    if not age_groups:
        raise root.get("age_groups").fail("no age group")
    ages = {name: i for i, name in enumerate(age_groups)}
    genders = {name: i for i, name in enumerate(GENDERS)}
    weights_node = root.get("weights")
    weights = Weights(
        *(
            weights_node.get(name).integer(0)
            for name in (
                "room_mixed_age",
                "room_nurse_skill",
                "continuity_of_care",
                "nurse_eccessive_workload",
                "open_operating_theater",
                "surgeon_transfer",
                "patient_delay",
                "unscheduled_optional",
            )
        )
    )
    room_nodes = root.get("rooms").items()
    rooms = tuple(
        Room(identifier, node.get("capacity").integer(0))
        for identifier, node in zip(_unique_ids(room_nodes), room_nodes, strict=True)
    )
    room_index = {room.id: i for i, room in enumerate(rooms)}
    theatre_nodes = root.get("operating_theaters").items()
    theatres = tuple(
        Theatre(identifier, node.get("availability").integers(days))
        for identifier, node in zip(_unique_ids(theatre_nodes), theatre_nodes, strict=True)
    )
    surgeon_nodes = root.get("surgeons").items()
    surgeons = tuple(
        Surgeon(identifier, node.get("max_surgery_time").integers(days))
        for identifier, node in zip(_unique_ids(surgeon_nodes), surgeon_nodes, strict=True)
    )
    surgeon_index = {surgeon.id: i for i, surgeon in enumerate(surgeons)}
    shifts = len(shift_types)

    occupant_nodes = root.get("occupants").items()
    occupants = []
    for identifier, node in zip(_unique_ids(occupant_nodes), occupant_nodes, strict=True):
        stay = node.get("length_of_stay").integer(1)
        occupants.append(
            Occupant(
                id=identifier,
                gender=GENDERS[node.get("gender").choice(genders, "gender")],
                age_group=node.get("age_group").choice(ages, "age group"),
                length_of_stay=stay,
                workload=node.get("workload_produced").integers(stay * shifts),
                skill_required=node.get("skill_level_required").integers(stay * shifts),
                room=node.get("room_id").choice(room_index, "room"),
            )
        )

    patient_nodes = root.get("patients").items()
    patients = [
        _patient(
            identifier,
            node,
            ages=ages,
            genders=genders,
            room_index=room_index,
            surgeon_index=surgeon_index,
            shifts=shifts,
        )
        for identifier, node in zip(_unique_ids(patient_nodes), patient_nodes, strict=True)
    ]

    nurse_nodes = root.get("nurses").items()
    shift_index = {name: i for i, name in enumerate(shift_types)}
    nurses = []
    for identifier, node in zip(_unique_ids(nurse_nodes), nurse_nodes, strict=True):
        max_load: dict[int, int] = {}
        for working in node.get("working_shifts").items():
            day_node = working.get("day")
            day = day_node.integer(0)
            if day >= days:
                raise day_node.fail(f"day {day} is outside the horizon 0..{days - 1}")
            shift = working.get("shift").choice(shift_index, "shift type")
            max_load[day * shifts + shift] = working.get("max_load").integer(0)
        nurses.append(Nurse(identifier, node.get("skill_level").integer(0), max_load))

    return Instance(
        days=days,
        skill_levels=root.get("skill_levels").integer(1),
        shift_types=shift_types,
        age_groups=age_groups,
        weights=weights,
        occupants=tuple(occupants),
        patients=tuple(patients),
        surgeons=surgeons,
        theatres=theatres,
        rooms=rooms,
        nurses=tuple(nurses),
        source=source,
    )


def _patient(
    identifier: str,
    node: JsonNode,
    *,
    ages: Mapping[str, int],
    genders: Mapping[str, int],
    room_index: Mapping[str, int],
    surgeon_index: Mapping[str, int],
    shifts: int,
) -> Patient:
    mandatory = node.get("mandatory").boolean()
    release = node.get("surgery_release_day").integer(0)
    due: int | None = None
    if mandatory:
        due_node = node.get("surgery_due_day")
        due = due_node.integer(0)
        if due < release:
            raise due_node.fail(f"due day {due} is before the release day {release}")
    stay = node.get("length_of_stay").integer(1)
    incompatible: frozenset[int] = frozenset()
    if node.has("incompatible_room_ids") and node.get("incompatible_room_ids").value is not None:
        incompatible = frozenset(
            item.choice(room_index, "room") for item in node.get("incompatible_room_ids").items()
        )
    return Patient(
        id=identifier,
        mandatory=mandatory,
        gender=GENDERS[node.get("gender").choice(genders, "gender")],
        age_group=node.get("age_group").choice(ages, "age group"),
        length_of_stay=stay,
        release_day=release,
        due_day=due,
        surgery_duration=node.get("surgery_duration").integer(1),
        surgeon=node.get("surgeon_id").choice(surgeon_index, "surgeon"),
        incompatible_rooms=incompatible,
        workload=node.get("workload_produced").integers(stay * shifts),
        skill_required=node.get("skill_level_required").integers(stay * shifts),
    )
