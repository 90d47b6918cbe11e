"""The one clock of bascule, injectable so tests and exercises can run in simulated time."""

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# Instants are stored in UTC; people read the group's wall time (the tzdata package
# provides the zone where the system has no time-zone database, as on Windows).
GROUP_TIME_ZONE = ZoneInfo("Europe/Paris")


def as_utc(moment: datetime) -> datetime:
    """A stored instant as an aware datetime: SQLite hands them back without their UTC zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(moment: datetime) -> datetime:
    """``moment`` as the group's wall time (a naive value is read as UTC)."""
    return as_utc(moment).astimezone(GROUP_TIME_ZONE)


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        """The current instant from the operating system."""
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to (tests, exercises, replays)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The simulated instant."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move simulated time forward by ``delta``."""
        if delta < timedelta(0):
            raise ValueError("a clock never goes backwards")
        self._now += delta
