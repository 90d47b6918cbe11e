import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from bascule.errors import BasculeError
from bascule.planning.ihtc.instance import IhtcFormatError, load_instance
from bascule.planning.ihtc.solution import (
    Admission,
    Solution,
    load_solution,
    solution_from_json,
    write_solution,
)
from tests.planning.ihtc.support import FIXTURES, tiny_document, tiny_instance


def _write(tmp_path: Path, document: Any, name: str = "bad.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(IhtcFormatError) as caught:
        load_instance(path)
    return str(caught.value)


def test_format_errors_are_bascule_errors() -> None:
    assert issubclass(IhtcFormatError, BasculeError)


def test_missing_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    document = tiny_document()
    del document["patients"][2]["surgeon_id"]
    path = _write(tmp_path, document)
    assert _error(path) == f"{path}: patients[2].surgeon_id: missing"


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    document = tiny_document()
    document["days"] = "five"
    assert _error(_write(tmp_path, document)).endswith("days: expected an integer, got str")


def test_unknown_reference_names_the_field(tmp_path: Path) -> None:
    document = tiny_document()
    document["patients"][0]["incompatible_room_ids"] = ["r9"]
    message = _error(_write(tmp_path, document))
    assert message.endswith("patients[0].incompatible_room_ids[0]: unknown room 'r9'")


def test_array_of_the_wrong_length_names_the_field(tmp_path: Path) -> None:
    document = tiny_document()
    document["operating_theaters"][0]["availability"] = [400, 400]
    message = _error(_write(tmp_path, document))
    assert message.endswith("operating_theaters[0].availability: expected 5 values, got 2")


def test_workload_profile_must_cover_the_stay(tmp_path: Path) -> None:
    document = tiny_document()
    document["patients"][1]["workload_produced"] = [1, 1, 1]
    message = _error(_write(tmp_path, document))
    assert message.endswith("patients[1].workload_produced: expected 9 values, got 3")


def test_mandatory_patient_needs_a_due_day_not_before_release(tmp_path: Path) -> None:
    document = tiny_document()
    document["patients"][2]["surgery_due_day"] = 1
    message = _error(_write(tmp_path, document))
    assert message.endswith("patients[2].surgery_due_day: due day 1 is before the release day 2")


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    document = tiny_document()
    document["rooms"][1]["id"] = "r0"
    assert _error(_write(tmp_path, document)).endswith("rooms[1].id: duplicate id 'r0'")


def test_unknown_gender_is_refused(tmp_path: Path) -> None:
    document = tiny_document()
    document["occupants"][0]["gender"] = "X"
    assert _error(_write(tmp_path, document)).endswith("occupants[0].gender: unknown gender 'X'")


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"days": 5,\n "rooms": [}', encoding="utf-8")
    assert _error(path).startswith(f"{path}: not valid JSON (line 2, column")


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    assert _error(tmp_path / "absent.json").startswith("cannot read")


def test_gzip_instance_reads_like_plain_json(tmp_path: Path) -> None:
    plain = _write(tmp_path, tiny_document(), "tiny.json")
    packed = tmp_path / "tiny.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_instance(packed).patients == load_instance(plain).patients


def test_competition_instance_is_read_completely() -> None:
    instance = load_instance(FIXTURES / "toy.json")
    assert (instance.days, len(instance.patients), len(instance.occupants)) == (7, 7, 2)
    assert instance.weights.unscheduled_optional == 300
    assert instance.patients[0].incompatible_rooms == frozenset({1})
    assert instance.patients[0].due_day is None
    assert instance.last_day(0) == 6


def test_solution_with_unknown_room_names_the_field() -> None:
    instance = tiny_instance()
    document = {"patients": [{"id": "p0", "admission_day": 0, "room": "r7"}]}
    with pytest.raises(IhtcFormatError, match=r"sol.json: patients\[0\].room: unknown room 'r7'"):
        solution_from_json(document, instance, "sol.json")


def test_solution_listing_a_patient_twice_is_refused() -> None:
    instance = tiny_instance()
    document = {
        "patients": [{"id": "p1", "admission_day": "none"}, {"id": "p1", "admission_day": "none"}]
    }
    with pytest.raises(IhtcFormatError, match="listed twice"):
        solution_from_json(document, instance)


def test_solution_day_outside_the_horizon_is_refused() -> None:
    instance = tiny_instance()
    document = {
        "patients": [
            {"id": "p0", "admission_day": 5, "room": "r0", "operating_theater": "t0"},
        ]
    }
    with pytest.raises(IhtcFormatError, match=r"patients\[0\].admission_day: day 5 is outside"):
        solution_from_json(document, instance)


def test_written_solution_reads_back_and_unlisted_patients_are_left_out(tmp_path: Path) -> None:
    instance = tiny_instance()
    solution = Solution.of([Admission(0, 0, 0), None, Admission(3, 1, 0)])
    path = tmp_path / "out" / "sol.json"
    write_solution(path, solution, instance)
    assert load_solution(path, instance) == solution
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["patients"][1] == {"id": "p1", "admission_day": "none"}
    assert document["nurses"] == []
    only_first = {"patients": [document["patients"][0]]}
    assert solution_from_json(only_first, instance).admissions == (Admission(0, 0, 0), None, None)
