"""Hospital stays: where an inpatient is and until when."""

from dataclasses import dataclass
from datetime import datetime

from bascule.domain._checks import require_slug, require_text
from bascule.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Stay:
    """An inpatient stay in a bed of a ward."""

    id: str
    patient_id: str
    site_id: str
    ward_id: str
    room_id: str
    bed: str
    admitted_at: datetime
    expected_discharge: datetime | None = None
    discharged_at: datetime | None = None

    def __post_init__(self) -> None:
        owner = f"stay {self.id}"
        require_text(owner, "id", self.id)
        require_text(owner, "patient_id", self.patient_id)
        require_slug(owner, "site_id", self.site_id)
        if self.admitted_at.tzinfo is None:
            raise DomainError(f"{owner}: admitted_at must carry a time zone")
        for name, moment in (
            ("expected_discharge", self.expected_discharge),
            ("discharged_at", self.discharged_at),
        ):
            if moment is not None and moment < self.admitted_at:
                raise DomainError(f"{owner}: {name} {moment} is before admission")

    @property
    def is_current(self) -> bool:
        """True while the patient has not been discharged."""
        return self.discharged_at is None
