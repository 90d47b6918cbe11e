"""IDS alerts as sensors write them: Suricata EVE JSON lines and Wazuh alert JSON.

Severity is normalised to Suricata's scale: 1 high, 2 medium, 3 low. Suricata's own
values above 3 (rare classification priorities) count as 3; Wazuh rule levels 12-15 are
1, 7-11 are 2, 0-6 are 3.

A batch never fails as a whole: each bad line becomes an :class:`AlertFormatError`
naming its line, and the good lines around it are kept. What is kept has been made safe
for the journal (no NaN, no NUL or unpaired surrogate characters, bounded nesting), so a
malformed alert cannot break a later write.
"""

import ipaddress
import json
from bisect import bisect_right
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from bascule.errors import BasculeError

SOURCES = ("suricata", "wazuh")
MAX_LINE_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_HOST_CHARS = 120
MAX_SIGNATURE_CHARS = 1000
_REPLACEMENT = "\ufffd"


class AlertFormatError(BasculeError):
    """An event that cannot be read, with the line it starts on."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One alert from a sensor.

    ``host_name`` is the machine's own name when the sensor knows it (the Wazuh agent);
    ``addresses`` are the IP addresses involved, in the sensor's order (Suricata: source
    then destination; Wazuh: the agent's address).
    """

    source: str
    signature: str
    severity: int
    host_name: str | None
    addresses: tuple[str, ...]
    at: datetime
    raw: dict[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """What a batch of sensor output held: alerts, errors, and events that are not alerts."""

    events: tuple[SecurityEvent, ...]
    errors: tuple[AlertFormatError, ...]
    skipped: int

    @property
    def lines_with_content(self) -> int:
        """Events read, good or bad."""
        return len(self.events) + len(self.errors) + self.skipped


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _clean(value: Any, depth: int = 0) -> Any:
    """``value`` with text the journal can store; ValueError when nested too deeply."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(key): _clean(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    return value


def _clean_text(text: str) -> str:
    # PostgreSQL text cannot hold NUL, and unpaired surrogates cannot be encoded as UTF-8.
    if "\x00" not in text and text.isascii():
        return text
    cleaned = text.replace("\x00", _REPLACEMENT)
    return cleaned.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _decode_object(text: str, line: int) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise AlertFormatError(line, f"not JSON ({_reason(exc)})") from None
    return _as_event_object(value, line)


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def _as_event_object(value: Any, line: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AlertFormatError(line, f"not a JSON object but {type(value).__name__}")
    try:
        cleaned: dict[str, Any] = _clean(value)
    except (ValueError, RecursionError) as exc:
        raise AlertFormatError(line, _reason(exc)) from None
    return cleaned


def _get(raw: dict[str, Any], path: str, line: int, kind: type | tuple[type, ...]) -> Any:
    value: Any = raw
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise AlertFormatError(line, f"missing field {path!r}")
        value = value[part]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise AlertFormatError(line, f"field {path!r} has the wrong type ({type(value).__name__})")
    return value


def _optional(raw: dict[str, Any], path: str, line: int) -> str | None:
    parent: Any = raw
    *parents, name = path.split(".")
    for part in parents:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or parent.get(name) is None:
        return None
    value = parent[name]
    if not isinstance(value, str):
        raise AlertFormatError(line, f"field {path!r} is not text")
    return value


def _instant(raw: dict[str, Any], line: int) -> datetime:
    text = _get(raw, "timestamp", line, str)
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise AlertFormatError(line, f"bad timestamp {text[:40]!r}: no time zone")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise AlertFormatError(line, f"bad timestamp {text[:40]!r}") from None
    # Instants outside this range cannot round-trip through the journal's text form.
    if not 1970 <= moment.year <= 9998:
        raise AlertFormatError(line, f"bad timestamp {text[:40]!r}: year out of range")
    return moment


def _signature(raw: dict[str, Any], path: str, line: int) -> str:
    signature = " ".join(_get(raw, path, line, str).split())
    if not signature:
        raise AlertFormatError(line, f"field {path!r} is empty")
    if len(signature) > MAX_SIGNATURE_CHARS:
        raise AlertFormatError(line, f"field {path!r} is longer than {MAX_SIGNATURE_CHARS}")
    return signature


def _address(raw: dict[str, Any], path: str, line: int) -> str | None:
    text = _optional(raw, path, line)
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise AlertFormatError(line, f"field {path!r} is not an IP address") from None


def suricata_event(raw: dict[str, Any], line: int) -> SecurityEvent | None:
    """The alert an EVE record carries; None for other event types (flow, dns, stats...)."""
    event_type = _get(raw, "event_type", line, str)
    if event_type != "alert":
        return None
    severity = _get(raw, "alert.severity", line, int)
    if severity < 1:
        raise AlertFormatError(line, f"field 'alert.severity' must be 1 or more, not {severity}")
    addresses = (_address(raw, "src_ip", line), _address(raw, "dest_ip", line))
    return SecurityEvent(
        source="suricata",
        signature=_signature(raw, "alert.signature", line),
        severity=min(severity, 3),
        host_name=None,
        addresses=tuple(address for address in addresses if address is not None),
        at=_instant(raw, line),
        raw=raw,
        line=line,
    )


def wazuh_severity(level: int) -> int:
    """A Wazuh rule level (0-15) on the 1 (high) to 3 (low) scale."""
    if level >= 12:
        return 1
    if level >= 7:
        return 2
    return 3


def wazuh_event(raw: dict[str, Any], line: int) -> SecurityEvent:
    """The alert a Wazuh alert object describes."""
    level = _get(raw, "rule.level", line, int)
    if not 0 <= level <= 15:
        raise AlertFormatError(line, f"field 'rule.level' must be 0 to 15, not {level}")
    name = _optional(raw, "agent.name", line)
    if name is not None:
        name = name.strip() or None
    if name is not None and len(name) > MAX_HOST_CHARS:
        raise AlertFormatError(line, f"field 'agent.name' is longer than {MAX_HOST_CHARS}")
    address = _address(raw, "agent.ip", line)
    return SecurityEvent(
        source="wazuh",
        signature=_signature(raw, "rule.description", line),
        severity=wazuh_severity(level),
        host_name=name,
        addresses=() if address is None else (address,),
        at=_instant(raw, line),
        raw=raw,
        line=line,
    )


def _text_lines(data: bytes | str) -> list[str | AlertFormatError]:
    """Line ``n`` at index ``n - 1``: its text, or the error that makes it unreadable."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    lines: list[str | AlertFormatError] = []
    for number, chunk in enumerate(data.split(b"\n"), start=1):
        if len(chunk) > MAX_LINE_BYTES:
            lines.append(AlertFormatError(number, f"line longer than {MAX_LINE_BYTES} bytes"))
            continue
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            lines.append(AlertFormatError(number, f"not UTF-8 text (byte {exc.start + 1})"))
            continue
        lines.append(text.removeprefix("\ufeff").removesuffix("\r"))
    return lines


class _Collector:
    def __init__(self) -> None:
        self.events: list[SecurityEvent] = []
        self.errors: list[AlertFormatError] = []
        self.skipped = 0

    def batch(self) -> ParsedBatch:
        return ParsedBatch(tuple(self.events), tuple(self.errors), self.skipped)


def parse_suricata(data: bytes | str, *, first_line: int = 1) -> ParsedBatch:
    """Read EVE JSON lines; ``first_line`` numbers the first line (for a tailed file)."""
    found = _Collector()
    offset = first_line - 1
    for number, text in enumerate(_text_lines(data), start=1):
        try:
            if isinstance(text, AlertFormatError):
                raise text
            if not text.strip():
                continue
            event = suricata_event(_decode_object(text, number), number)
        except AlertFormatError as exc:
            found.errors.append(AlertFormatError(exc.line + offset, exc.problem))
            continue
        if event is None:
            found.skipped += 1
        else:
            found.events.append(_renumbered(event, offset))
    return found.batch()


def _renumbered(event: SecurityEvent, offset: int) -> SecurityEvent:
    if offset == 0:
        return event
    return SecurityEvent(
        event.source,
        event.signature,
        event.severity,
        event.host_name,
        event.addresses,
        event.at,
        event.raw,
        event.line + offset,
    )


def parse_wazuh(data: bytes | str, *, first_line: int = 1) -> ParsedBatch:
    """Read Wazuh alerts: one object (possibly indented), a JSON array, or JSON lines."""
    found = _Collector()
    offset = first_line - 1
    lines: list[str] = []
    for text in _text_lines(data):
        if isinstance(text, AlertFormatError):
            found.errors.append(text)
            lines.append("")
        else:
            lines.append(text)
    for value_or_error in _json_values(lines):
        if isinstance(value_or_error, AlertFormatError):
            found.errors.append(value_or_error)
            continue
        value, number = value_or_error
        try:
            found.events.append(wazuh_event(_as_event_object(value, number), number))
        except AlertFormatError as exc:
            found.errors.append(exc)
    found.errors.sort(key=lambda error: error.line)
    if offset:
        found.errors = [AlertFormatError(e.line + offset, e.problem) for e in found.errors]
        found.events = [_renumbered(event, offset) for event in found.events]
    return found.batch()


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class _Document:
    """Lines joined into one text, able to say which line a position falls on."""

    def __init__(self, lines: list[str]) -> None:
        self.text = "\n".join(lines)
        self._starts = [0, *accumulate(len(line) + 1 for line in lines)]

    def line_at(self, position: int) -> int:
        return bisect_right(self._starts, position)


def _json_values(lines: list[str]) -> Iterator[tuple[Any, int] | AlertFormatError]:
    """Every top-level JSON value in ``lines`` (arrays opened) with the line it starts on.

    After a syntax error reading resumes at the next line starting a new value in its
    first column, as JSON-lines records and the top level of an indented document do.
    """
    document = _Document(lines)
    text = document.text
    position = _skip_blank(text, 0)
    while position < len(text):
        try:
            if text[position] == "[":
                position = yield from _array_items(document, position + 1)
            else:
                value, end = _DECODER.raw_decode(text, position)
                yield value, document.line_at(position)
                position = end
        except (ValueError, RecursionError) as exc:
            where = exc.pos if isinstance(exc, json.JSONDecodeError) else position
            yield AlertFormatError(document.line_at(where), f"not JSON ({_reason(exc)})")
            position = _next_record(text, where)
        position = _skip_blank(text, position)


def _array_items(document: _Document, position: int) -> Generator[tuple[Any, int], None, int]:
    """Items of the array opened just before ``position``; returns the position after it."""
    text = document.text
    position = _skip_blank(text, position)
    if text.startswith("]", position):
        return position + 1
    while True:
        start = _skip_blank(text, position)
        value, position = _DECODER.raw_decode(text, start)
        yield value, document.line_at(start)
        position = _skip_blank(text, position)
        if text.startswith("]", position):
            return position + 1
        if not text.startswith(",", position):
            raise json.JSONDecodeError("expected ',' or ']' in the array", text, position)
        position += 1


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _next_record(text: str, position: int) -> int:
    """The start of the first line after ``position`` that opens an object or an array."""
    while True:
        newline = text.find("\n", position)
        if newline < 0:
            return len(text)
        position = newline + 1
        if text.startswith(("{", "["), position):
            return position


def parse(source: str, data: bytes | str, *, first_line: int = 1) -> ParsedBatch:
    """Read a batch written by ``source`` ('suricata' or 'wazuh')."""
    if source == "suricata":
        return parse_suricata(data, first_line=first_line)
    if source == "wazuh":
        return parse_wazuh(data, first_line=first_line)
    raise BasculeError(f"unknown alert format {source!r} (formats: {', '.join(SOURCES)})")
