"""HL7 v2 acknowledgements (original mode): ACK messages with MSA and, when refused, ERR.

The ACK answers with the delimiters the sender used, swaps sending and receiving
application and facility, and keeps the sender's version (MSH-12) and character set
(MSH-18). Its header is read leniently by :func:`read_header`, without the HL7 parser:
a message the parser refuses still deserves an ACK that names it. A message whose MSH
cannot be read at all gets the minimal ACK of HL7 practice: standard delimiters,
MSA-1 ``AR`` and an empty MSA-2.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from bascule.ingest.hl7_message import escape

ACCEPTED = "AA"
ERROR = "AE"
REJECTED = "AR"

STANDARD_FIELD_SEPARATOR = "|"
STANDARD_ENCODING_CHARACTERS = "^~\\&"
# HL7 gives no version for a message it cannot read; 2.5 is the one French interfaces use.
DEFAULT_VERSION = "2.5"

# HL7 table 0357, message error condition codes.
ERROR_CODES = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}

# HL7 table 0211 names of the character sets bascule reads, and their Python codecs.
_CODECS = {
    "ASCII": "ascii",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "8859/1": "iso-8859-1",
    "8859/15": "iso-8859-15",
}

# Versions before 2.5 carry the error in ERR-1 only (ERR-2 onwards did not exist).
_ERR1_VERSIONS = ("2.1", "2.2", "2.3", "2.4")


@dataclass(frozen=True, slots=True)
class Header:
    """The MSH fields an ACK needs, as raw field text in the sender's delimiters."""

    field_separator: str
    encoding_characters: str
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_type: str
    control_id: str
    processing_id: str
    version: str
    charset: str

    def component(self, field_text: str, index: int = 0) -> str:
        """Component ``index`` (0-based) of a field, in this message's delimiters."""
        parts = field_text.split(self.encoding_characters[:1] or "^")
        return parts[index] if index < len(parts) else ""

    @property
    def trigger(self) -> str:
        """The trigger event (MSH-9.2), empty when absent."""
        return self.component(self.message_type, 1)

    @property
    def type_code(self) -> str:
        """``ADT^A01`` style: MSH-9.1 and MSH-9.2 in standard delimiters."""
        code = self.component(self.message_type, 0)
        return f"{code}^{self.trigger}" if self.trigger else code


@dataclass(frozen=True, slots=True)
class AckError:
    """Why a message was not accepted: HL7 table 0357 code, human text, and where."""

    code: str
    text: str
    segment: str | None = None
    sequence: int | None = None
    field: int | None = None

    @property
    def location(self) -> str:
        """``PID^1^3`` style location (ERR-2), empty when unknown."""
        if not self.segment:
            return ""
        parts = [self.segment, str(self.sequence or 1)]
        if self.field is not None:
            parts.append(str(self.field))
        return "^".join(parts)


def read_header(text: str) -> Header | None:
    """The MSH of ``text`` read without parsing the rest, or None when there is none.

    Tolerates a byte-order mark and blank lines before MSH, and any segment terminator
    (CR, LF or CRLF). Delimiters an ACK could not be written with (letters, digits,
    spaces, repeated characters) make the MSH unreadable.
    """
    start = text.lstrip("\ufeff \t\r\n")
    if not start.startswith("MSH") or len(start) < 4:
        return None
    separator = start[3]
    segment = start.split("\r", 1)[0].split("\n", 1)[0]
    fields = segment.split(separator)
    # fields[0] is "MSH" and MSH-1 is the separator itself, so MSH-n is fields[n - 1].

    def msh(number: int) -> str:
        return fields[number - 1] if number - 1 < len(fields) else ""

    encoding = msh(2)
    delimiters = separator + encoding
    if (
        len(encoding) not in (4, 5)
        or len(set(delimiters)) != len(delimiters)
        or any(char.isalnum() or char.isspace() or char < " " for char in delimiters)
    ):
        return None
    return Header(
        field_separator=separator,
        encoding_characters=encoding,
        sending_application=msh(3),
        sending_facility=msh(4),
        receiving_application=msh(5),
        receiving_facility=msh(6),
        message_type=msh(9),
        control_id=msh(10),
        processing_id=msh(11),
        version=msh(12),
        charset=msh(18),
    )


def new_control_id() -> str:
    """A fresh message control id for an ACK (20 characters, the HL7 2.5 maximum)."""
    return uuid.uuid4().hex[:20].upper()


def timestamp(at: datetime) -> str:
    """An HL7 DTM in UTC with an explicit offset, so no reader guesses the time zone."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def build_ack(
    header: Header | None,
    status: str,
    *,
    at: datetime,
    error: AckError | None = None,
    control_id: str | None = None,
) -> str:
    """The ACK for a message whose header is ``header`` (None: the MSH was unreadable).

    ``status`` is ``AA``, ``AE`` or ``AR``; ``error`` adds an ERR segment and is
    expected unless the status is ``AA``. Segments end with CR, the last one too.
    """
    if status not in (ACCEPTED, ERROR, REJECTED):
        raise ValueError(f"unknown acknowledgement code {status!r}")
    if header is None:
        header = Header("|", "^~\\&", "", "", "", "", "", "", "P", DEFAULT_VERSION, "")
        status = REJECTED
    sep = header.field_separator
    comp = header.encoding_characters[:1] or "^"
    trigger = f"{comp}{header.trigger}{comp}ACK" if header.trigger else ""
    msh = [
        "MSH",
        header.encoding_characters,
        header.receiving_application,
        header.receiving_facility,
        header.sending_application,
        header.sending_facility,
        timestamp(at),
        "",
        f"ACK{trigger}",
        control_id or new_control_id(),
        header.processing_id or "P",
        header.version or DEFAULT_VERSION,
    ]
    if header.charset:
        msh += [""] * 5 + [header.charset]
    segments = [sep.join(msh), sep.join(["MSA", status, header.control_id])]
    if error is not None and status != ACCEPTED:
        segments.append(_err_segment(header, error))
    return "\r".join(segments) + "\r"


def _err_segment(header: Header, error: AckError) -> str:
    sep, encoding = header.field_separator, header.encoding_characters
    comp = encoding[:1] or "^"
    sub = encoding[3:4] or "&"
    name = ERROR_CODES.get(error.code, "")
    location = error.location.replace("^", comp)
    if header.version.startswith(_ERR1_VERSIONS):
        # ERR-1 (ELD): segment^sequence^field^code&text&HL70357.
        code = sub.join([error.code, name, "HL70357"])
        return sep.join(["ERR", comp.join([*[*location.split(comp), "", "", ""][:3], code])])
    fields = [
        "ERR",
        "",
        location,
        comp.join([error.code, name, "HL70357"]),
        "E",
        "",
        "",
        "",
        escape(error.text, sep, encoding),
    ]
    return sep.join(fields)


def codec_for(charset: str) -> str | None:
    """The Python codec for an MSH-18 value (its first repetition), None when unknown."""
    name = charset.split("~", 1)[0].split("^", 1)[0].strip().upper()
    return _CODECS.get(name)


def encode(text: str, codec: str) -> bytes:
    """``text`` in ``codec``; a character the codec lacks becomes ``?`` rather than an error."""
    return text.encode(codec, errors="replace")


def batch(acks: list[str], *, at: datetime, header: Header | None = None) -> str:
    """ACKs for a frame that carried an HL7 batch, wrapped as a batch themselves (BHS/BTS).

    HL7 answers a batch with a batch of acknowledgements; BTS-1 counts them.
    """
    sep = header.field_separator if header else STANDARD_FIELD_SEPARATOR
    encoding = header.encoding_characters if header else STANDARD_ENCODING_CHARACTERS
    bhs = sep.join(["BHS", encoding, "", "", "", "", timestamp(at)])
    return bhs + "\r" + "".join(acks) + sep.join(["BTS", str(len(acks))]) + "\r"
