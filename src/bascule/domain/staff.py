"""Clinical staff known to the planning and continuity functions."""

from dataclasses import dataclass

from bascule.domain._checks import require_range, require_slug, require_text
from bascule.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Surgeon:
    """A surgeon, the sites where they operate and their daily operating limit."""

    id: str
    family_name: str
    given_name: str
    specialty: str
    site_ids: tuple[str, ...]
    max_daily_minutes: int = 480
    phone: str = ""

    def __post_init__(self) -> None:
        owner = f"surgeon {self.id}"
        require_text(owner, "id", self.id)
        require_text(owner, "family_name", self.family_name)
        require_text(owner, "specialty", self.specialty)
        if not self.site_ids:
            raise DomainError(f"{owner}: operates at no site")
        for site_id in self.site_ids:
            require_slug(owner, "site_ids", site_id)
        require_range(owner, "max_daily_minutes", self.max_daily_minutes, 1, 24 * 60)

    @property
    def display_name(self) -> str:
        """``Dr GIVEN FAMILY`` as printed on lists."""
        return f"Dr {self.given_name} {self.family_name.upper()}"
