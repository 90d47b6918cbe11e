"""Sites of the group and their physical resources: theatres, wards, rooms and beds."""

from dataclasses import dataclass, field
from enum import StrEnum

from bascule.domain._checks import require_range, require_slug, require_text
from bascule.domain.errors import DomainError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Site:
    """One establishment of the group (a clinic or hospital)."""

    id: str
    name: str
    city: str
    latitude: float
    longitude: float
    specialties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_slug("site", "id", self.id)
        require_text(f"site {self.id}", "name", self.name)
        require_text(f"site {self.id}", "city", self.city)
        require_range(f"site {self.id}", "latitude", self.latitude, -90, 90)
        require_range(f"site {self.id}", "longitude", self.longitude, -180, 180)


@dataclass(frozen=True, slots=True)
class OperatingTheatre:
    """A theatre with its opening minutes for each weekday (Monday first)."""

    id: str
    site_id: str
    name: str
    opening_minutes: tuple[int, int, int, int, int, int, int]
    specialties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        owner = f"theatre {self.id}"
        require_text(owner, "id", self.id)
        require_slug(owner, "site_id", self.site_id)
        if len(self.opening_minutes) != 7:
            raise DomainError(f"{owner}: opening_minutes needs 7 weekdays")
        for day, minutes in zip(WEEKDAYS, self.opening_minutes, strict=True):
            require_range(owner, f"opening_minutes[{day}]", minutes, 0, 24 * 60)

    def minutes_on(self, weekday: int) -> int:
        """Opening minutes on ``weekday`` (0 = Monday, as ``date.weekday()``)."""
        return self.opening_minutes[weekday]


class GenderPolicy(StrEnum):
    """Who may share a room."""

    MIXED = "mixed"
    SAME_GENDER = "same-gender"
    SINGLE = "single"


@dataclass(frozen=True, slots=True)
class Room:
    """A room of a ward with its beds (bed labels, e.g. ``A`` and ``B``)."""

    id: str
    name: str
    beds: tuple[str, ...]
    gender_policy: GenderPolicy = GenderPolicy.SAME_GENDER

    def __post_init__(self) -> None:
        require_text(f"room {self.id}", "id", self.id)
        if not self.beds:
            raise DomainError(f"room {self.id}: needs at least one bed")
        if len(set(self.beds)) != len(self.beds):
            raise DomainError(f"room {self.id}: bed labels must be distinct")
        if self.gender_policy is GenderPolicy.SINGLE and len(self.beds) != 1:
            raise DomainError(f"room {self.id}: a single room has exactly one bed")

    @property
    def capacity(self) -> int:
        """Number of beds in the room."""
        return len(self.beds)


@dataclass(frozen=True, slots=True)
class Ward:
    """A ward (unité de soins) of a site."""

    id: str
    site_id: str
    name: str
    specialty: str
    rooms: tuple[Room, ...] = field(default=())

    def __post_init__(self) -> None:
        require_text(f"ward {self.id}", "id", self.id)
        require_slug(f"ward {self.id}", "site_id", self.site_id)
        room_ids = [room.id for room in self.rooms]
        if len(set(room_ids)) != len(room_ids):
            raise DomainError(f"ward {self.id}: room ids must be distinct")

    @property
    def bed_count(self) -> int:
        """Total beds over all rooms."""
        return sum(room.capacity for room in self.rooms)
