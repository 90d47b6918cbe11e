"""Reading FHIR R4 files: Bundles, bulk NDJSON, and directories of them.

Every resource comes out with its origin (``Patient.000.ndjson line 7``, ``stay.json
entry 3``) so that problems can be reported where a person will look for them. Files of
a directory (searched recursively) are read Patients first, then practitioners, places,
and what refers to them; the entries of a Bundle are ordered the same way, so that a
reference finds a resource read earlier. Lines and entries that are not resources become
problems at their place and reading goes on.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bascule.errors import BasculeError

# What other resources refer to comes first.
_RANK = {
    "Patient": 0,
    "Practitioner": 1,
    "PractitionerRole": 2,
    "Organization": 3,
    "Location": 4,
    "Medication": 5,
}
_LAST = len(_RANK)
_LINE_FORMATS = (".ndjson", ".jsonl")


class FhirInputError(BasculeError):
    """An input path that cannot be read at all."""


@dataclass(frozen=True, slots=True)
class SourcedResource:
    """A resource as read, where it was read, and the ``fullUrl`` of its Bundle entry."""

    origin: str
    data: dict[str, Any]
    full_url: str | None = None

    @property
    def resource_type(self) -> str:
        """The ``resourceType`` (always a non-empty string once read)."""
        return str(self.data["resourceType"])


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """Something read that is not a resource: an error, or a deliberate skip."""

    origin: str
    message: str
    skipped: bool = False


Item = SourcedResource | ReadProblem


def rank(resource_type: str) -> int:
    """Reading order of a resource type (smaller first)."""
    return _RANK.get(resource_type, _LAST)


@dataclass(slots=True)
class _Source:
    path: Path
    label: str
    items: list[Item] | None = None  # a JSON document, read once while planning
    lines: int = 0
    first_type: str = ""

    @property
    def count(self) -> int:
        return self.lines if self.items is None else len(self.items)

    @property
    def rank(self) -> int:
        if self.items is not None:
            ranks = [rank(i.resource_type) for i in self.items if isinstance(i, SourcedResource)]
            return min(ranks, default=_LAST)
        return rank(self.first_type)


class FhirInput:
    """The files to import, in reading order, and how many items they hold."""

    def __init__(self, paths: Sequence[Path]) -> None:
        sources: list[_Source] = []
        self.ignored: list[ReadProblem] = []
        for path in paths:
            if path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    label = file.relative_to(path).as_posix()
                    if file.suffix.lower() in (*_LINE_FORMATS, ".json"):
                        sources.append(_plan(file, label))
                    else:
                        self.ignored.append(
                            ReadProblem(label, "not a .json or .ndjson file", skipped=True)
                        )
            elif path.is_file():
                sources.append(_plan(path, path.name))
            else:
                raise FhirInputError(f"no such file or directory: {path}")
        self.sources = sorted(sources, key=lambda source: source.rank)

    @property
    def total(self) -> int:
        """Resources and problems that :meth:`items` will yield."""
        return len(self.ignored) + sum(source.count for source in self.sources)

    def items(self) -> Iterator[Item]:
        """Every resource and problem, in reading order."""
        yield from self.ignored
        for source in self.sources:
            if source.items is not None:
                yield from source.items
            else:
                yield from _ndjson(source)


def _plan(path: Path, label: str) -> _Source:
    if path.suffix.lower() in _LINE_FORMATS:
        lines = 0
        first_type = ""
        with path.open(encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if line.strip():
                    lines += 1
                    if lines == 1:
                        first_type = _peek_type(line)
        return _Source(path, label, lines=lines, first_type=first_type)
    return _Source(path, label, items=list(_document(path, label)))


def _peek_type(line: str) -> str:
    try:
        data = json.loads(line)
    except ValueError:
        return ""
    value = data.get("resourceType") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _ndjson(source: _Source) -> Iterator[Item]:
    with source.path.open(encoding="utf-8", errors="replace") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield from _from_text(line, f"{source.label} line {number}")


def _document(path: Path, label: str) -> Iterator[Item]:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise FhirInputError(f"cannot read {path}: {exc.strerror}") from exc
    yield from _from_text(text, label)


def _from_text(text: str, origin: str) -> Iterator[Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}"
            if "\n" in text.strip()
            else (f"column {exc.colno}")
        )
        yield ReadProblem(origin, f"not valid JSON ({exc.msg} at {where})")
        return
    except RecursionError:
        yield ReadProblem(origin, "not valid JSON (nested too deeply)")
        return
    yield from _from_value(data, origin, None)


def _from_value(data: Any, origin: str, full_url: str | None) -> Iterator[Item]:
    if not isinstance(data, dict):
        yield ReadProblem(origin, "not a JSON object")
        return
    resource_type = data.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type.strip():
        yield ReadProblem(origin, "no resourceType")
        return
    if resource_type != "Bundle":
        yield SourcedResource(origin, data, full_url)
        return
    if full_url is not None:
        yield ReadProblem(origin, "Bundle inside a Bundle not imported", skipped=True)
        return
    yield from _entries(data, origin)


def _entries(bundle: dict[str, Any], origin: str) -> Iterator[Item]:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        yield ReadProblem(origin, "Bundle.entry is not a list")
        return
    if not entries:
        yield ReadProblem(origin, "Bundle without entries", skipped=True)
        return
    read: list[Item] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{origin} entry {number}"
        if not isinstance(entry, dict):
            read.append(ReadProblem(where, "not a JSON object"))
            continue
        full_url = entry.get("fullUrl")
        if "resource" not in entry:
            read.append(_without_resource(entry, where))
            continue
        read.extend(_from_value(entry["resource"], where, full_url if _text(full_url) else None))
    # Problems first; resources stably ordered so that what is referred to comes first.
    read.sort(
        key=lambda item: rank(item.resource_type) if isinstance(item, SourcedResource) else -1
    )
    yield from read


def _without_resource(entry: dict[str, Any], where: str) -> ReadProblem:
    request = entry.get("request")
    method = request.get("method") if isinstance(request, dict) else None
    if method == "DELETE":
        return ReadProblem(where, "DELETE not applied (bascule does not delete from feeds)", True)
    return ReadProblem(where, "entry without a resource")


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
