"""Surgical priority classes used for backlog management and their clinical deadlines."""

from datetime import date, timedelta
from enum import StrEnum


class PriorityClass(StrEnum):
    """How soon a surgical case must be done once listed."""

    P1A = "P1a"
    P1B = "P1b"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def max_wait(self) -> timedelta | None:
        """Longest clinically acceptable wait; None for P4 (may wait beyond three months)."""
        return _MAX_WAIT[self]

    @property
    def rank(self) -> int:
        """0 for the most urgent class, 4 for the least."""
        return _ORDER.index(self)

    def due_date(self, listed_on: date) -> date | None:
        """Date by which a case listed on ``listed_on`` must be done (None for P4)."""
        wait = self.max_wait
        return None if wait is None else listed_on + wait


_ORDER = [
    PriorityClass.P1A,
    PriorityClass.P1B,
    PriorityClass.P2,
    PriorityClass.P3,
    PriorityClass.P4,
]
_MAX_WAIT: dict[PriorityClass, timedelta | None] = {
    PriorityClass.P1A: timedelta(hours=24),
    PriorityClass.P1B: timedelta(hours=72),
    PriorityClass.P2: timedelta(weeks=4),
    PriorityClass.P3: timedelta(days=91),
    PriorityClass.P4: None,
}
