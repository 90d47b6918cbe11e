"""FHIR primitive values read strictly, and the error that names the element at fault."""

import re
from datetime import date, datetime

from bascule.clock import GROUP_TIME_ZONE
from bascule.errors import BasculeError

# Bookings and calendar days of the group are Europe/Paris wall time.

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?", re.ASCII)
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


class FhirMappingError(BasculeError):
    """A resource bascule cannot take as it is; the text names the element and the value."""


def parse_date(text: str | None, where: str) -> date:
    """A full FHIR date; partial dates (year, year-month) are refused."""
    if text is None or not text.strip():
        raise FhirMappingError(f"{where} is missing")
    if not _DATE.fullmatch(text):
        raise FhirMappingError(f"{where} {text!r} is not a date")
    if len(text) < 10:
        raise FhirMappingError(f"{where} {text!r} is not a full date (year-month-day)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FhirMappingError(f"{where} {text!r} is not a date") from None


def parse_instant(text: str | None, where: str) -> datetime:
    """A FHIR dateTime with its time zone; a bare date is midnight, Paris time."""
    if text is None or not text.strip():
        raise FhirMappingError(f"{where} is missing")
    if len(text) <= 10:
        return datetime.combine(parse_date(text, where), datetime.min.time(), GROUP_TIME_ZONE)
    if not _INSTANT.fullmatch(text):
        raise FhirMappingError(f"{where} {text!r} is not a date and time with a time zone")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirMappingError(f"{where} {text!r} is not a date and time") from None


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in the group's time zone."""
    return moment.astimezone(GROUP_TIME_ZONE).date()


def required_text(value: str | None, where: str, limit: int) -> str:
    """Stripped text that must be there and fit its column (identity data is never cut)."""
    text = (value or "").strip()
    if not text:
        raise FhirMappingError(f"{where} is missing")
    if len(text) > limit:
        raise FhirMappingError(f"{where} {text[:40]!r}... is longer than {limit} characters")
    return text


def clipped(value: str | None, limit: int) -> str:
    """Free text cut to its column, the cut shown by an ellipsis."""
    text = (value or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
