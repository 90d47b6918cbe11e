"""Small validation helpers shared by the domain dataclasses."""

import re

from bascule.domain.errors import DomainError

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def require_text(owner: str, field: str, value: str) -> None:
    """Refuse an empty or blank text field."""
    if not value or not value.strip():
        raise DomainError(f"{owner}: {field} must not be empty")


def require_slug(owner: str, field: str, value: str) -> None:
    """Refuse an identifier that is not lowercase words joined by hyphens."""
    if not _SLUG.match(value):
        raise DomainError(f"{owner}: {field} {value!r} must be lowercase letters, digits, hyphens")


def require_range(owner: str, field: str, value: float, low: float, high: float) -> None:
    """Refuse a number outside [low, high]."""
    if not low <= value <= high:
        raise DomainError(f"{owner}: {field} {value} is outside [{low}, {high}]")
