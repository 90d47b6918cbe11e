"""Form codes: the identity every printed page or form carries, as text and as a QR code.

A form id is eleven random characters of Crockford's base-32 alphabet (no I, L, O, U, so
nothing reads as a digit by mistake) and a check character from the same alphabet. The
check is Damm's algorithm over the quasigroup ``x * y = 2x + y`` in GF(32), which is
totally anti-symmetric, so it catches every single wrong character and every swap of
neighbours when the id is typed by hand (ISO 7064 MOD 37-36, a hybrid system, lets
about one swap in 700 through). Eleven random characters (55 bits) keep ids printed from
a kit on an isolated laptop distinct from every other id without asking anyone.

The QR payload is ``BSC1:TYPE:FORMID:SITE:PATIENT:CASE:CRC`` with ``%``-escaped fields
and a CRC-32 of everything before it, so that a code typed by hand or pieced together
from another form is refused rather than misread.
"""

import random
import secrets
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

import numpy as np
import zxingcpp

from bascule.errors import BasculeError
from bascule.paper.model import FormType

PAYLOAD_PREFIX = "BSC1"
FORM_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FORM_ID_RANDOM_LENGTH = 11
_GF32_MODULUS = 0b100101  # x^5 + x^2 + 1, irreducible over GF(2)
_FIELDS = 7


class FormCodeError(BasculeError):
    """A form id or QR payload that is not one bascule printed."""


def _double(value: int) -> int:
    """``2 * value`` in GF(32)."""
    value <<= 1
    return value ^ _GF32_MODULUS if value & 0b100000 else value


def _damm(text: str) -> int:
    """The interim value after ``text`` (Crockford characters); 0 for a valid id."""
    interim = 0
    for char in text:
        interim = _double(interim) ^ FORM_ID_ALPHABET.index(char)
    return interim


def _check_character(body: str) -> str:
    """The character that brings Damm's interim value of ``body`` back to 0."""
    return FORM_ID_ALPHABET[_double(_damm(body))]


def new_form_id(rng: random.Random | None = None) -> str:
    """A fresh form id; ``rng`` makes ids reproducible (tests, benchmarks)."""
    if rng is None:
        body = "".join(secrets.choice(FORM_ID_ALPHABET) for _ in range(FORM_ID_RANDOM_LENGTH))
    else:
        body = "".join(rng.choice(FORM_ID_ALPHABET) for _ in range(FORM_ID_RANDOM_LENGTH))
    return body + _check_character(body)


def normalise_form_id(text: str) -> str:
    """A form id as typed (any case, spaces or hyphens), or :class:`FormCodeError`."""
    candidate = "".join(text.split()).replace("-", "").upper()
    if len(candidate) != FORM_ID_RANDOM_LENGTH + 1:
        raise FormCodeError(
            f"form id {text!r} has {len(candidate)} characters, expected "
            f"{FORM_ID_RANDOM_LENGTH + 1}"
        )
    body, check = candidate[:-1], candidate[-1]
    wrong = [char for char in body if char not in FORM_ID_ALPHABET]
    if wrong:
        raise FormCodeError(f"form id {text!r}: {wrong[0]!r} is not a form id character")
    if check not in FORM_ID_ALPHABET or _damm(candidate) != 0:
        raise FormCodeError(f"form id {text!r}: check character does not match (mistyped?)")
    return candidate


def display_form_id(form_id: str) -> str:
    """The id as printed for people: groups of four, ``K7Q4-M2XD-9R5B``."""
    return "-".join(form_id[start : start + 4] for start in range(0, len(form_id), 4))


# Printable ASCII except the separator and the escape: everything else travels as UTF-8
# %XX, so that any QR reader (a phone, a scanner's own software) reads the same text.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ":%")


def _escape(value: str) -> str:
    return quote(value, safe=_SAFE)


def _unescape(value: str) -> str:
    return unquote(value, errors="strict")


def _crc(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08X}"


@dataclass(frozen=True, slots=True)
class FormCode:
    """What a QR code on paper says: which form, which site, which patient and case."""

    form_type: FormType
    form_id: str
    site_id: str
    patient_id: str | None = None
    case_id: str | None = None

    def payload(self) -> str:
        """The text encoded in the QR code."""
        body = ":".join(
            [
                PAYLOAD_PREFIX,
                self.form_type.value,
                self.form_id,
                _escape(self.site_id),
                _escape(self.patient_id or ""),
                _escape(self.case_id or ""),
            ]
        )
        return f"{body}:{_crc(body)}"

    @classmethod
    def parse(cls, text: str) -> "FormCode":
        """Read a payload back; :class:`FormCodeError` says why one is refused."""
        fields = text.split(":")
        if len(fields) != _FIELDS or fields[0] != PAYLOAD_PREFIX:
            raise FormCodeError(f"not a bascule form code: {text[:60]!r}")
        body, crc = text.rsplit(":", 1)
        if _crc(body) != crc:
            raise FormCodeError(f"form code checksum does not match: {text[:60]!r}")
        _, type_text, form_id, site, patient, case, _ = fields
        try:
            form_type = FormType(type_text)
        except ValueError:
            raise FormCodeError(f"unknown form type {type_text!r} in {text[:60]!r}") from None
        try:
            site_id, patient_id, case_id = (_unescape(field) for field in (site, patient, case))
        except UnicodeDecodeError:
            raise FormCodeError(f"form code with a broken %-escape: {text[:60]!r}") from None
        return cls(
            form_type, normalise_form_id(form_id), site_id, patient_id or None, case_id or None
        )


def qr_modules(text: str) -> np.ndarray:
    """The QR code of ``text`` (error correction M) as a square boolean array, dark = True."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False), dtype=np.uint8)
    dark: np.ndarray = image == 0
    return dark


def dark_runs(modules: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(row, first column, length)``.

    Drawing one rectangle per run instead of per module keeps a packet of thousands of
    codes small and fast to render and to print.
    """
    rows, columns = modules.shape
    padded = np.zeros((rows, columns + 2), dtype=np.int8)
    padded[:, 1:-1] = modules
    edges = np.diff(padded, axis=1)
    # Row-major order pairs every run's start with its end.
    starts = np.argwhere(edges == 1).tolist()
    ends = np.argwhere(edges == -1).tolist()
    for (row, start), (_, end) in zip(starts, ends, strict=True):
        yield row, start, end - start
