"""Day-to-day activity that decides who a site must know about: visits and on-call duty."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bascule.domain._checks import require_slug, require_text
from bascule.domain.errors import DomainError


class VisitKind(StrEnum):
    """How a patient was seen at a site without being admitted to a bed."""

    CONSULTATION = "consultation"
    EMERGENCY = "emergency"
    DAY_HOSPITAL = "day-hospital"
    IMAGING = "imaging"
    LABORATORY = "laboratory"


@dataclass(frozen=True, slots=True)
class Visit:
    """A patient seen at a site (outpatient consultation, emergency, day hospital...)."""

    id: str
    patient_id: str
    site_id: str
    at: datetime
    kind: VisitKind
    specialty: str = ""

    def __post_init__(self) -> None:
        owner = f"visit {self.id}"
        require_text(owner, "id", self.id)
        require_text(owner, "patient_id", self.patient_id)
        require_slug(owner, "site_id", self.site_id)
        if self.at.tzinfo is None:
            raise DomainError(f"{owner}: at must carry a time zone")


@dataclass(frozen=True, slots=True)
class OnCallShift:
    """The surgeon on call for a specialty at a site on a day (24 h from 08:00)."""

    site_id: str
    day: date
    specialty: str
    surgeon_id: str

    def __post_init__(self) -> None:
        owner = f"on-call {self.site_id} {self.day} {self.specialty}"
        require_slug(owner, "site_id", self.site_id)
        require_text(owner, "specialty", self.specialty)
        require_text(owner, "surgeon_id", self.surgeon_id)

    @property
    def key(self) -> str:
        """``site/day/specialty``: one surgeon per specialty and day at a site."""
        return f"{self.site_id}/{self.day.isoformat()}/{self.specialty}"
