"""Downtime identifiers: patient ids reserved in advance for registrations made on paper.

An id is ``D`` + a seven-digit serial + two ISO 7064 MOD 97-10 check digits, e.g.
``D000012345``. Normal identifiers are all digits (IPPs) or start with ``P`` (group ids),
so a downtime id can never be mistaken for one; serials are handed out group-wide in
disjoint ranges, so two sites can never give the same id. The check digits catch every
single wrong digit and every swap of neighbours when an id is copied by hand.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bascule.errors import BasculeError
from bascule.store import journal
from bascule.store.canonical import canonical_instant, parse_instant
from bascule.store.journal import Change
from bascule.store.kinds import DOWNTIME_IDS_RESERVED
from bascule.store.queries import downtime_ranges, require_site
from bascule.store.tables import DowntimeRangeRow

PREFIX = "D"
SERIAL_DIGITS = 7
MAX_SERIAL = 10**SERIAL_DIGITS - 1
MAX_RESERVATION = 10_000


class DowntimeIdError(BasculeError):
    """A downtime id that is malformed or fails its check digits, or a refused reservation."""


def _check_digits(serial_digits: str) -> str:
    return f"{98 - int(serial_digits + '00') % 97:02d}"


def downtime_id(serial: int) -> str:
    """The downtime id of ``serial`` (1 … 9,999,999)."""
    if not 1 <= serial <= MAX_SERIAL:
        raise DowntimeIdError(f"downtime serial {serial} is outside 1…{MAX_SERIAL}")
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{PREFIX}{digits}{_check_digits(digits)}"


def parse_downtime_id(text: str) -> int:
    """The serial of a downtime id as typed (spaces and hyphens ignored)."""
    candidate = "".join(text.split()).replace("-", "").upper()
    digits = candidate[1:]
    if (
        not candidate.startswith(PREFIX)
        or len(digits) != SERIAL_DIGITS + 2
        or not digits.isascii()
        or not digits.isdigit()
    ):
        raise DowntimeIdError(
            f"{text!r} is not a downtime id ({PREFIX} followed by {SERIAL_DIGITS + 2} digits)"
        )
    if int(digits) % 97 != 1:
        raise DowntimeIdError(f"downtime id {text!r}: check digits do not match (mistyped?)")
    serial = int(digits[:SERIAL_DIGITS])
    if serial == 0:
        raise DowntimeIdError(f"downtime id {text!r}: serial 0 is never issued")
    return serial


def display_downtime_id(identifier: str) -> str:
    """The id as printed for people: ``D-0000123-45``."""
    return f"{identifier[0]}-{identifier[1:-2]}-{identifier[-2:]}"


@dataclass(frozen=True, slots=True)
class DowntimeRange:
    """Serials ``first`` … ``first + count - 1`` reserved for one site."""

    site_id: str
    first: int
    count: int
    reserved_at: datetime

    @property
    def ids(self) -> list[str]:
        """Every id of the range, in order."""
        return [downtime_id(serial) for serial in range(self.first, self.first + self.count)]


def reserve(
    session: Session, site_id: str, count: int, *, actor: str, at: datetime
) -> DowntimeRange:
    """Reserve the next ``count`` serials for ``site_id`` and journal the reservation.

    Run it in :meth:`Database.writing`; the journal lock is taken before the highest
    serial is read, so concurrent reservations never overlap.
    """
    if not 1 <= count <= MAX_RESERVATION:
        raise DowntimeIdError(f"--count {count}: reserve between 1 and {MAX_RESERVATION} ids")
    require_site(session, site_id)
    journal.lock(session)
    last = session.scalar(select(func.max(DowntimeRangeRow.first_serial + DowntimeRangeRow.count)))
    first = last if last is not None else 1
    if first + count - 1 > MAX_SERIAL:
        raise DowntimeIdError(f"only {MAX_SERIAL - first + 1} downtime ids are left in the group")
    payload = {
        "site_id": site_id,
        "first_serial": first,
        "count": count,
        "reserved_at": canonical_instant(at),
        "reserved_by": actor,
    }
    change = Change(DOWNTIME_IDS_RESERVED, "downtime_range", str(first), payload, site_id)
    journal.append(session, [change], actor=actor, at=at)
    return DowntimeRange(site_id, first, count, at)


def site_ranges(session: Session, site_id: str) -> list[DowntimeRange]:
    """Every range reserved for ``site_id``, oldest first."""
    return [
        DowntimeRange(row.site_id, row.first_serial, row.count, row.reserved_at)
        for row in downtime_ranges(session, site_id)
    ]


def ranges_from_kit(site_id: str, record: dict[str, Any] | None) -> list[DowntimeRange]:
    """The ranges a kit carries (none for a kit built before any reservation)."""
    if not record:
        return []
    return [
        DowntimeRange(
            site_id,
            int(block["first"]),
            int(block["count"]),
            parse_instant(str(block["reserved_at"])),
        )
        for block in record.get("ranges", [])
    ]
