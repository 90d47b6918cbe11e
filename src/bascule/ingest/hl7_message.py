"""Reading HL7 v2 messages as interfaces really send them, and refusing the rest precisely.

Real feeds end segments with CR, LF or CRLF, start with a byte-order mark, pad lines
with spaces and leave blank lines between segments. :func:`parse_message` accepts all of
that, splits the normalised text into the nested lists python-hl7 would build, and
refuses (with an :class:`Hl7Error` that names the place) what cannot be read as one
message. Fields are then read through :class:`Segment`, a typed view that hides that
uneven nesting and unescapes text.

The split is python-hl7's (``hl7.parse``), rewritten over plain lists: its container
objects made it most of the cost of receiving a message. The tests check that both
nest every message the same way.
"""

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

from bascule.clock import GROUP_TIME_ZONE
from bascule.errors import BasculeError

ACK_ERROR = "AE"
ACK_REJECT = "AR"
# HL7 table 0357 codes used here.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT_CODE = "201"
UNKNOWN_KEY_IDENTIFIER = "204"
APPLICATION_INTERNAL_ERROR = "207"


class Hl7Error(BasculeError):
    """A message refused; says what and where."""

    def __init__(
        self,
        message: str,
        *,
        ack_code: str,
        error_code: str,
        segment: str | None = None,
        sequence: int | None = None,
        field: int | None = None,
    ) -> None:
        super().__init__(message)
        self.text = message
        self.ack_code = ack_code
        self.error_code = error_code
        self.segment = segment
        self.sequence = sequence
        self.field = field

    def located(self, segment: str, sequence: int, field: int) -> "Hl7Error":
        """The same error, placed at ``segment`` (its ``sequence``-th occurrence), ``field``."""
        where = f"{segment}-{field}" if sequence == 1 else f"{segment}({sequence})-{field}"
        return Hl7Error(
            f"{where}: {self.text}",
            ack_code=self.ack_code,
            error_code=self.error_code,
            segment=segment,
            sequence=sequence,
            field=field,
        )


def _rejected(message: str, code: str, segment: str | None = None, **where: int) -> Hl7Error:
    return Hl7Error(message, ack_code=ACK_REJECT, error_code=code, segment=segment, **where)


def _header_rejected(field: int, message: str, code: str) -> Hl7Error:
    """A rejection located at MSH-``field``; ``message`` already names the field."""
    return _rejected(message, code, "MSH", sequence=1, field=field)


# --- bytes to text -------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
# HL7 table 0211 names (MSH-18) and the codecs that read them.
_CHARSETS = {
    "ASCII": "ascii",
    "8859/1": "iso-8859-1",
    "8859/15": "iso-8859-15",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
}


def _declared_charset(data: bytes) -> str:
    """MSH-18 (first repetition) read from the raw bytes, before knowing the charset.

    Every supported charset is ASCII-compatible, so the MSH line reads the same in all.
    """
    start = data.lstrip(b" \t\r\n")
    if not start.startswith(b"MSH") or len(start) < 5:
        return ""
    separator = start[3:4]
    line = re.split(rb"\r|\n", start, maxsplit=1)[0]
    fields = line.split(separator)
    # fields[0] is "MSH" and MSH-1 is the separator itself: MSH-n is fields[n - 1].
    if len(fields) < 18:
        return ""
    encoding_characters = fields[1]
    value = fields[17]
    for delimiter in encoding_characters[:2]:
        value = value.split(bytes([delimiter]))[0]
    return value.decode("ascii", errors="replace").strip().upper()


def decode(data: bytes) -> str:
    """``data`` as text, in the character set MSH-18 declares.

    Supports ASCII, 8859/1, 8859/15 and UNICODE UTF-8 (a UTF-8 byte-order mark wins over
    the declaration). Without MSH-18, UTF-8 is tried, then ISO-8859-15. Bytes that the
    declared charset cannot read raise :class:`Hl7Error` naming the first bad byte.
    """
    if data.startswith(_BOM):
        return _decode_as(data[len(_BOM) :], "utf-8", "UTF-8 byte-order mark", len(_BOM))
    declared = _declared_charset(data)
    if not declared:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            # Older French interfaces send Latin-9 without saying so.
            return data.decode("iso-8859-15")
    codec = _CHARSETS.get(declared)
    if codec is None:
        known = ", ".join(_CHARSETS)
        raise _header_rejected(
            18,
            f"MSH-18: character set {declared!r} is not supported (supported: {known})",
            TABLE_VALUE_NOT_FOUND,
        )
    return _decode_as(data, codec, f"MSH-18 {declared}", 0)


def _decode_as(data: bytes, codec: str, why: str, offset: int) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        raise _header_rejected(
            18,
            f"byte {offset + exc.start} (0x{bad:02X}) cannot be read as {codec} ({why})",
            DATA_TYPE_ERROR,
        ) from None


# --- text to messages ----------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")


def _lines(text: str) -> list[str]:
    """Segments of ``text``: any line break, BOM, padding spaces and blank lines removed."""
    stripped = (line.strip() for line in _LINE_BREAK.split(text.lstrip("\ufeff")))
    return [line for line in stripped if line]


def split_messages(text: str) -> list[str]:
    """The messages of ``text``, each with CR-separated segments.

    Batch files (FHS/BHS ... BTS/FTS) give their MSH messages, envelope segments
    dropped; a BTS-1 message count that disagrees with the batch is refused. A single
    message gives a list of one.
    """
    messages: list[list[str]] = []
    in_current_batch = 0
    batch_count = 0
    for number, line in enumerate(_lines(text), start=1):
        segment_id = line[:3]
        if segment_id == "MSH":
            messages.append([line])
            in_current_batch += 1
        elif segment_id in ("FHS", "BHS"):
            in_current_batch = 0
        elif segment_id == "BTS":
            batch_count += 1
            _check_batch_count(line, in_current_batch, batch_count)
        elif segment_id == "FTS":
            continue
        elif not messages:
            raise _rejected(
                f"line {number} ({line[:20]!r}) comes before any MSH segment",
                SEGMENT_SEQUENCE_ERROR,
                segment_id if _SEGMENT_ID.fullmatch(segment_id) else None,
            )
        else:
            messages[-1].append(line)
    if not messages:
        raise _rejected("no MSH segment: this is not an HL7 v2 message", SEGMENT_SEQUENCE_ERROR)
    return ["\r".join(segments) for segments in messages]


def _check_batch_count(line: str, counted: int, batch: int) -> None:
    separator = line[3:4]
    fields = line.split(separator) if separator else [line]
    declared = fields[1].strip() if len(fields) > 1 else ""
    if declared and declared != str(counted):
        raise _rejected(
            f"batch {batch}: BTS-1 announces {declared} messages but the batch holds {counted}",
            SEGMENT_SEQUENCE_ERROR,
            "BTS",
            sequence=batch,
            field=1,
        )


def _leaf(node: object, index: int) -> object:
    """Child ``index`` (1-based) of a python-hl7 node, '' when absent.

    python-hl7 stops nesting as soon as no delimiter remains, so a plain string stands
    for a whole subtree whose first child at every level is that string.
    """
    if isinstance(node, str):
        return node if index == 1 else ""
    children = cast(list[object], node)
    return children[index - 1] if 0 < index <= len(children) else ""


def escape(text: str, field_separator: str = "|", encoding_characters: str = "^~\\&") -> str:
    """``text`` made safe inside one HL7 field: delimiters become escape sequences.

    ``encoding_characters`` are MSH-2 (four, or five from HL7 2.7).

    Line breaks and other control characters would end the segment; they become spaces.
    """
    escape_char = encoding_characters[2]
    sequences = {
        escape_char: "E",
        field_separator: "F",
        encoding_characters[0]: "S",
        encoding_characters[3]: "T",
        encoding_characters[1]: "R",
    }
    # HL7 2.7 adds a fifth encoding character, the truncation character.
    if len(encoding_characters) > 4:
        sequences[encoding_characters[4]] = "P"
    out = []
    for char in text:
        if char in sequences:
            out.append(f"{escape_char}{sequences[char]}{escape_char}")
        elif char < " " or char == "\x7f":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def unescape(text: str, delimiters: str) -> str:
    """``text`` with HL7 escape sequences replaced (``delimiters``: MSH-1 then MSH-2).

    Delimiters (F S T R E, and P from v2.7) and hexadecimal data (X) are decoded,
    formatting (H N) dropped, a line break (.br) kept; any other or unterminated
    sequence stays as written, so nothing the sender typed is lost. python-hl7's own
    unescape is not used: it logs an error with a stray traceback for every odd
    sequence and drops it.
    """
    escape = delimiters[3:4]
    if not escape or escape not in text:
        return text
    meaning = dict(zip("FSRET", delimiters[:5], strict=False))
    if len(delimiters) > 5:
        meaning["P"] = delimiters[5]
    meaning |= {"H": "", "N": "", ".br": "\n"}
    out: list[str] = []
    position = 0
    while position < len(text):
        start = text.find(escape, position)
        end = text.find(escape, start + 1) if start >= 0 else -1
        if end < 0:
            out.append(text[position:])
            break
        replacement = _escaped(text[start + 1 : end], meaning)
        out.append(text[position:start])
        out.append(text[start : end + 1] if replacement is None else replacement)
        position = end + 1
    return "".join(out)


def _escaped(sequence: str, meaning: dict[str, str]) -> str | None:
    if sequence in meaning:
        return meaning[sequence]
    if sequence[:1] == "X" and re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", sequence[1:]):
        data = bytes.fromhex(sequence[1:])
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("iso-8859-15")
    return None


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment of a message, read with HL7's 1-based positions (field 0 is the id)."""

    id: str
    occurrence: int
    raw: object
    delimiters: str

    def value(
        self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 1
    ) -> str:
        """Unescaped text at ``field``.``component``.``subcomponent`` of a repetition."""
        node = _leaf(_leaf(_leaf(self.raw, field + 1), repetition), component)
        text = _leaf(node, subcomponent)
        if not isinstance(text, str):
            return ""
        if self.id == "MSH" and field in (1, 2):
            return text
        return unescape(text, self.delimiters).strip()

    def repetitions(self, field: int) -> list["Repetition"]:
        """The repetitions of ``field`` (one empty repetition when the field is empty)."""
        node = _leaf(self.raw, field + 1)
        count = 1 if isinstance(node, str) else len(cast(list[object], node))
        return [Repetition(self, field, index) for index in range(1, count + 1)]

    def error(self, field: int, message: str, *, code: str = DATA_TYPE_ERROR) -> Hl7Error:
        """An application error (AE) located at ``field`` of this segment."""
        error = Hl7Error(message, ack_code=ACK_ERROR, error_code=code)
        return error.located(self.id, self.occurrence, field)

    def within(self, field: int, text: str, limit: int) -> str:
        """``text`` (read from ``field``), refused with AE 102 when longer than ``limit``:
        the store keeps no more, and cutting a name or an identifier would change it."""
        if len(text) > limit:
            raise self.error(field, f"{text[:30]!r}... is longer than {limit} characters")
        return text

    def timestamp(self, field: int, component: int = 1) -> datetime | None:
        """The timestamp at ``field`` (None when empty); AE 102 here when unreadable."""
        try:
            return parse_hl7_datetime(self.value(field, component))
        except Hl7Error as exc:
            raise exc.located(self.id, self.occurrence, field) from None


@dataclass(frozen=True, slots=True)
class Repetition:
    """One repetition of a field."""

    segment: Segment
    field: int
    index: int

    def value(self, component: int = 1, subcomponent: int = 1) -> str:
        """Unescaped text of ``component``.``subcomponent``."""
        return self.segment.value(self.field, component, subcomponent, self.index)


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A message accepted by :func:`parse_message`, with its header fields."""

    message: list[object]
    text: str
    control_id: str
    sending_application: str
    sending_facility: str
    receiving_facility: str
    message_type: str
    version: str
    sent_at: datetime | None
    # Segments by id ("" for all), built on first use: mapping asks for them many times.
    _index: dict[str, list[Segment]] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def delimiters(self) -> str:
        """The field separator followed by the encoding characters (MSH-1, MSH-2)."""
        return _delimiters(self.text)

    def all_segments(self) -> list[Segment]:
        """Every segment in order, each knowing its occurrence among its namesakes."""
        found = self._index.get("")
        if found is None:
            delimiters = self.delimiters
            seen: dict[str, int] = {}
            found = []
            for raw in self.message:
                segment_id = cast(str, _leaf(_leaf(raw, 1), 1))
                seen[segment_id] = seen.get(segment_id, 0) + 1
                found.append(Segment(segment_id, seen[segment_id], raw, delimiters))
            self._index[""] = found
        return list(found)

    def segments(self, segment_id: str) -> list[Segment]:
        """The segments named ``segment_id``, in order."""
        found = self._index.get(segment_id)
        if found is None:
            found = [segment for segment in self.all_segments() if segment.id == segment_id]
            self._index[segment_id] = found
        return list(found)

    def segment(self, segment_id: str) -> Segment | None:
        """The first segment named ``segment_id``, if any."""
        found = self.segments(segment_id)
        return found[0] if found else None


def _delimiters(text: str) -> str:
    """MSH-1 and MSH-2 of a message whose text starts with its MSH."""
    return text[3] + text[4:].split(text[3], 1)[0]


def _check_encoding_characters(header: str) -> None:
    separator = header[3:4]
    if not separator or separator.isalnum() or separator.isspace():
        raise _header_rejected(
            1,
            f"MSH-1: field separator {separator!r} is not a punctuation character",
            DATA_TYPE_ERROR,
        )
    encoding = header[4:].split(separator, 1)[0]
    problem = ""
    if len(encoding) not in (4, 5):
        problem = f"has {len(encoding)} characters, expected 4 (or 5 from v2.7)"
    elif len(set(encoding + separator)) != len(encoding) + 1:
        problem = "repeats a delimiter"
    elif any(char.isalnum() or char.isspace() for char in encoding):
        problem = "holds a letter, digit or space"
    if problem:
        raise _header_rejected(
            2, f"MSH-2: encoding characters {encoding!r} {problem}", DATA_TYPE_ERROR
        )


def _check_segments(lines: list[str], separator: str) -> None:
    for number, line in enumerate(lines, start=1):
        segment_id = line[:3]
        if not _SEGMENT_ID.fullmatch(segment_id) or line[3:4] not in ("", separator):
            raise _rejected(
                f"line {number} ({line[:20]!r}) does not start with a segment id "
                f"(3 capitals or digits) followed by {separator!r}",
                SEGMENT_SEQUENCE_ERROR,
            )
        nul = line.find("\x00")
        if nul >= 0:
            # No database keeps a NUL in text, and no HL7 data type allows one.
            raise _rejected(
                f"line {number} ({segment_id}) holds a NUL character at column {nul + 1}",
                DATA_TYPE_ERROR,
                segment_id,
            )
        if segment_id == "MSH" and number > 1:
            raise _rejected(
                f"line {number}: a second MSH; split batches with split_messages first",
                SEGMENT_SEQUENCE_ERROR,
                "MSH",
                sequence=2,
            )


def split(text: str) -> list[object]:
    """``text`` (one message, segments ended by CR) nested as ``hl7.parse`` nests it.

    Segments, fields, repetitions, components, subcomponents: each level a list, down to
    strings; a part holding none of the delimiters still to split is a list of its one
    string; MSH-1 and MSH-2 are fields of their own, never split.
    """
    stripped = text.strip()
    separator = stripped[3]
    encoding = stripped[3 : stripped.find(separator, 4)]
    # python-hl7's order and defaults: field, repetition, component, subcomponent.
    repetition = encoding[2] if len(encoding) > 2 else "~"
    component = encoding[1] if len(encoding) > 1 else "^"
    subcomponent = encoding[4] if len(encoding) > 4 else "&"

    # One function per level (the hot path of every message): each checks only the
    # delimiters below it, as python-hl7 does before splitting.
    def in_repetition(part: str) -> list[object]:
        if component not in part and subcomponent not in part:
            return [part]
        return [piece.split(subcomponent) for piece in part.split(component)]

    def in_field(part: str) -> list[object]:
        if repetition not in part and component not in part and subcomponent not in part:
            return [part]
        return [in_repetition(piece) for piece in part.split(repetition)]

    def in_segment(part: str) -> list[object]:
        if all(d not in part for d in (separator, repetition, component, subcomponent)):
            return [part]
        fields: list[object] = []
        if part[:3] in ("MSH", "BHS", "FHS"):
            end = part.find(part[3], 4)
            fields = [[part[:3]], [part[3]], [part[4:end]]]
            part = part[end + 1 :]
        if part:
            fields += [in_field(piece) for piece in part.split(separator)]
        return fields

    return [in_segment(line) for line in stripped.split("\r")]


def parse_message(text: str) -> ParsedMessage:
    """One HL7 v2 message parsed, or :class:`Hl7Error` (AR) saying why it cannot be.

    Accepts CR, LF or CRLF segment terminators, a byte-order mark, trailing spaces and
    blank lines; keeps Z-segments. Refuses a first segment other than MSH, bad
    delimiters, a line that is not a segment, several messages, and a missing MSH-9 or
    MSH-10. A MSH-7 that is not a timestamp is refused with AE 102.
    """
    lines = _lines(text)
    if not lines:
        raise _rejected("empty message", SEGMENT_SEQUENCE_ERROR)
    if not lines[0].startswith("MSH"):
        first = lines[0][:3]
        raise _rejected(
            f"first segment is {first!r}, expected MSH",
            SEGMENT_SEQUENCE_ERROR,
            first if _SEGMENT_ID.fullmatch(first) else None,
            sequence=1,
        )
    _check_encoding_characters(lines[0])
    _check_segments(lines, lines[0][3])
    normalised = "\r".join(lines)
    message = split(normalised)
    msh = Segment("MSH", 1, message[0], _delimiters(normalised))
    message_code, trigger = msh.value(9, 1), msh.value(9, 2)
    if not message_code:
        raise _header_rejected(9, "MSH-9: message type missing", REQUIRED_FIELD_MISSING)
    control_id = msh.value(10)
    if not control_id:
        raise _header_rejected(10, "MSH-10: message control id missing", REQUIRED_FIELD_MISSING)
    return ParsedMessage(
        message=message,
        text=normalised,
        control_id=control_id,
        sending_application=msh.value(3),
        sending_facility=msh.value(4),
        receiving_facility=msh.value(6),
        message_type=f"{message_code}^{trigger}" if trigger else message_code,
        version=msh.value(12),
        sent_at=msh.timestamp(7),
    )


# --- timestamps ----------------------------------------------------------------------------

_DTM = re.compile(
    r"(?P<year>\d{4})(?:(?P<month>\d{2})(?:(?P<day>\d{2})(?:(?P<hour>\d{2})"
    r"(?:(?P<minute>\d{2})(?:(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?)?)?)?)?"
    r"(?P<offset>[+-]\d{4})?",
    re.ASCII,
)


def parse_hl7_datetime(value: str) -> datetime | None:
    """An HL7 DTM/TS (``YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]``) as an aware datetime.

    Empty gives None. The offset is honoured; without one the time is read as
    Europe/Paris wall time. Anything else raises :class:`Hl7Error` AE 102.
    """
    text = value.strip()
    if not text:
        return None
    match = _DTM.fullmatch(text)
    if match is None:
        raise Hl7Error(
            f"{text[:40]!r} is not an HL7 timestamp (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ])",
            ack_code=ACK_ERROR,
            error_code=DATA_TYPE_ERROR,
        )
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    try:
        zone = GROUP_TIME_ZONE if parts["offset"] is None else _offset(parts["offset"])
        return datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=zone,
        )
    except ValueError as exc:
        raise Hl7Error(
            f"{text!r} is not a valid date and time ({exc})",
            ack_code=ACK_ERROR,
            error_code=DATA_TYPE_ERROR,
        ) from None


def _offset(text: str) -> timezone:
    hours, minutes = int(text[1:3]), int(text[3:5])
    if minutes > 59:
        raise ValueError(f"offset {text} has {minutes} minutes")
    delta = timedelta(hours=hours, minutes=minutes)
    return UTC if not delta else timezone(-delta if text[0] == "-" else delta)
