"""Slowing down password guessing: failed sign-ins counted per username and per client.

The counts live in the application process only: a restart forgets them, which is
acceptable for a limit meant to make guessing slow, not impossible (argon2 does the rest).
"""

import math
import threading
from collections import deque
from datetime import datetime, timedelta

from bascule.clock import Clock

# Past this many tracked keys, stale ones are swept at the next failure, so that a flood
# of made-up usernames cannot grow the process without bound.
_SWEEP_ABOVE = 10_000


class LoginThrottle:
    """Failed sign-ins within a sliding window, per username and per client address."""

    def __init__(
        self,
        clock: Clock,
        *,
        per_username: int = 5,
        per_client: int = 20,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clock = clock
        self.per_username = per_username
        self.per_client = per_client
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        # Sign-ins are handled in the server's thread pool.
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def _wait(self, key: tuple[str, str], limit: int, now: datetime) -> float:
        failures = self._recent(key, now)
        if len(failures) < limit:
            return 0.0
        # The attempt becomes possible again when the oldest failure that keeps the
        # count at the limit leaves the window.
        return (failures[-limit] + self.window - now).total_seconds()

    def retry_after(self, username: str, client: str) -> int | None:
        """Whole seconds to wait before ``username`` may be tried from ``client``, or None."""
        now = self.clock.now()
        with self._lock:
            wait = max(
                self._wait(("user", username), self.per_username, now),
                self._wait(("client", client), self.per_client, now),
            )
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, username: str, client: str) -> None:
        """Count one failed sign-in of ``username`` from ``client``."""
        now = self.clock.now()
        with self._lock:
            if len(self._failures) > _SWEEP_ABOVE:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in (("user", username), ("client", client)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        """Forget ``username``'s failures: its owner just proved who they are."""
        with self._lock:
            self._failures.pop(("user", username), None)
