"""Surgical cases: what must be operated, by whom, how urgently, and where it is booked."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bascule.domain._checks import require_range, require_slug, require_text
from bascule.domain.errors import DomainError
from bascule.domain.priority import PriorityClass


class CaseStatus(StrEnum):
    """Lifecycle of a surgical case."""

    BOOKED = "booked"
    DONE = "done"
    POSTPONED = "postponed"
    REDIRECTED = "redirected"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Booking:
    """A slot: day, theatre and start minute after midnight."""

    day: date
    theatre_id: str
    start_minute: int

    def __post_init__(self) -> None:
        require_text("booking", "theatre_id", self.theatre_id)
        require_range("booking", "start_minute", self.start_minute, 0, 24 * 60 - 1)


@dataclass(frozen=True, slots=True)
class SurgicalCase:
    """A surgical case on a site's list."""

    id: str
    patient_id: str
    site_id: str
    specialty: str
    procedure: str
    expected_minutes: int
    priority: PriorityClass
    listed_on: date
    release_on: date
    surgeon_id: str | None = None
    ccam_code: str | None = None
    booking: Booking | None = None
    status: CaseStatus = CaseStatus.BOOKED
    transferable: bool = True
    not_transferable_reason: str = ""

    def __post_init__(self) -> None:
        owner = f"case {self.id}"
        require_text(owner, "id", self.id)
        require_text(owner, "patient_id", self.patient_id)
        require_slug(owner, "site_id", self.site_id)
        require_text(owner, "procedure", self.procedure)
        require_range(owner, "expected_minutes", self.expected_minutes, 1, 24 * 60)
        if self.release_on < self.listed_on:
            raise DomainError(f"{owner}: release_on {self.release_on} is before listed_on")
        if not self.transferable and not self.not_transferable_reason.strip():
            raise DomainError(f"{owner}: a non-transferable case needs its reason")
        if self.status is CaseStatus.BOOKED and self.booking is None:
            raise DomainError(f"{owner}: a booked case needs a booking")
        if self.booking is not None and self.booking.day < self.release_on:
            raise DomainError(f"{owner}: booked on {self.booking.day}, before release")

    @property
    def due_on(self) -> date | None:
        """Clinical deadline derived from the priority class and the listing date."""
        return self.priority.due_date(self.listed_on)
