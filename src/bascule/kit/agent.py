"""The site agent: keeps a site's latest verified kits on local disk, and the offline viewer.

Each cycle asks the group server for the delta after the newest sequence number held (or
for the full kit when it holds none, when the server has a newer full kit, or when the
server cannot start from there), verifies the file against the group public key given at
installation, stores it atomically, regenerates the viewer, and reports a heartbeat. When
the server is gone, answers garbage or offers something older, the agent logs one line,
keeps what it has, and tries again later with capped, jittered exponential backoff. It
never holds a passphrase and never decrypts anything.
"""

import errno
import hashlib
import json
import logging
import random
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.clock import Clock, SystemClock
from bascule.errors import BasculeError
from bascule.kit.agent_files import remove_temporaries, write_atomically
from bascule.kit.agent_holdings import Held, Holdings, RefusedError, check_incoming
from bascule.kit.agent_http import FullKitNeededError, KitServer, ServerError
from bascule.kit.viewer import viewer_name, write_viewer
from bascule.store.canonical import canonical_instant, parse_instant

log = logging.getLogger("bascule.agent")

STATUS_FILE = "status.json"


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """How one agent runs."""

    site: str
    server: str
    directory: Path
    token: str
    public_key: Ed25519PublicKey
    interval: float = 30.0
    keep: int = 5
    max_backoff: float = 300.0
    timeout: float = 30.0
    stale_after_minutes: int = 15


def agent_id(directory: Path) -> str:
    """This host and directory: two agents on one PC (say, disk and USB) stay apart."""
    digest = hashlib.sha256(str(directory.resolve()).encode("utf-8")).hexdigest()[:8]
    return f"{socket.gethostname()}-{digest}"


def describe_age(seconds: float) -> str:
    """An age for a log line: seconds, minutes or hours."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _disk_problem(exc: OSError, directory: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full in {directory}: the new file was not stored"
    return f"cannot write in {directory}: {exc.strerror or exc}"


class Agent:
    """One site agent; :meth:`cycle` does one round, :meth:`run` loops."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if config.interval <= 0 or config.keep < 1 or config.max_backoff < config.interval:
            raise BasculeError(
                "the interval must be positive, keep at least 1, max backoff ≥ interval"
            )
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.server = KitServer(config.server, config.site, config.token, timeout=config.timeout)
        self.holdings = Holdings(config.directory, config.site, config.public_key)
        self.agent_id = agent_id(config.directory)
        self.failures = 0
        self.last_success: datetime | None = None
        self.last_error: tuple[datetime, str] | None = None
        self._sleep = sleep
        self._jitter = jitter
        self._viewer_outdated = False
        self._said_up_to_date = False

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Prepare the directory and read back (and re-verify) what it holds."""
        directory = self.config.directory
        viewer_leftovers = f".{viewer_name(self.config.site)}.*.tmp"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            leftovers = remove_temporaries(directory) + remove_temporaries(
                directory, viewer_leftovers
            )
            problems = self.holdings.load()
        except OSError as exc:
            raise BasculeError(f"cannot use {directory}: {exc.strerror or exc}") from exc
        for name in leftovers:
            log.info("removed %s, left by an interrupted write", name)
        for problem in problems:
            log.warning("%s", problem)
        scheme, host = urlsplit(self.config.server).scheme, urlsplit(self.config.server).hostname
        if scheme == "http" and host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("the agent token travels unencrypted to %s: use https://", host)
        # A viewer made from files since set aside must not outlive them.
        self._viewer_outdated = bool(self.holdings.chains) and (
            bool(problems) or not self._viewer_path().exists()
        )
        self._read_previous_status()
        log.info("agent %s for %s started %s", self.agent_id, self.config.site, self._holding())

    def run(self, cycles: int | None = None) -> None:
        """Start, then cycle forever (or ``cycles`` times), sleeping between cycles."""
        self.start()
        done = 0
        while True:
            try:
                self.cycle()
            except Exception:  # a bug must not stop the agent: what it holds stays served
                self.failures += 1
                log.exception("unexpected failure; keeping what is held %s", self._holding())
            done += 1
            if cycles is not None and done >= cycles:
                return
            self._sleep(self.next_delay())

    def next_delay(self) -> float:
        """The interval after a success; after failures, capped exponential backoff.

        The jitter (half to all of the ceiling) keeps a site's agents from all knocking at
        once when the server comes back.
        """
        if self.failures == 0:
            return self.config.interval
        ceiling = min(self.config.max_backoff, self.config.interval * 2.0 ** min(self.failures, 30))
        return ceiling * (0.5 + 0.5 * self._jitter())

    # --- one cycle -------------------------------------------------------------------

    def cycle(self) -> bool:
        """Fetch, verify and store what is new; report; True when it all went well."""
        heartbeat_possible = True
        try:
            if self._viewer_outdated:
                self._write_viewer()
            self._sync()
        except ServerError as exc:
            heartbeat_possible = exc.heartbeat_possible
            self._failed(str(exc))
        except RefusedError as exc:
            self._failed(f"refused: {exc}")
        except OSError as exc:
            self._failed(_disk_problem(exc, self.config.directory))
        except BasculeError as exc:
            self._failed(str(exc))
        else:
            if self.failures:
                log.info(
                    "back to normal after %d failed attempts %s", self.failures, self._holding()
                )
            self.failures = 0
            self.last_success = self.clock.now()
        if heartbeat_possible:
            self._heartbeat()
        self._write_status()
        return self.failures == 0

    def _failed(self, message: str) -> None:
        self.failures += 1
        self._said_up_to_date = False
        self.last_error = (self.clock.now(), message)
        log.error("%s; keeping what is held %s", message, self._holding())

    def _sync(self) -> None:
        latest = self.server.latest()
        current = self.holdings.current
        if current is None or (latest.kit_seq is not None and latest.kit_seq > current.seq):
            self._take_kit()
            return
        data = None
        if latest.head_seq != current.seq:  # else nothing changed: spare the request
            try:
                data = self.server.delta_after(current.seq)
            except FullKitNeededError as exc:
                log.info("server: %s", exc)
                self._take_kit()
                return
        if data is None:
            # Said once after starting or recovering, not every half minute.
            level = logging.DEBUG if self._said_up_to_date else logging.INFO
            log.log(
                level, "up to date: no change since sequence %d %s", current.seq, self._holding()
            )
            self._said_up_to_date = True
            return
        self._accept(data, "delta", f"delta after {current.seq}")

    def _take_kit(self) -> None:
        self._accept(self.server.kit(), "kit", "full kit")
        for name in self.holdings.prune(self.config.keep):
            log.info("removed %s (keeping the last %d kits)", name, self.config.keep)

    def _accept(self, data: bytes, kind: str, source: str) -> None:
        kit = check_incoming(
            data,
            kind=kind,
            site=self.config.site,
            public_key=self.config.public_key,
            current=self.holdings.current,
            source=source,
        )
        held = self.holdings.add(kit, data)
        log.info("accepted %s %s (%d bytes) %s", kind, held.path.name, len(data), self._holding())
        self._viewer_outdated = True
        self._write_viewer()

    def _viewer_path(self) -> Path:
        return self.config.directory / viewer_name(self.config.site)

    def _write_viewer(self) -> None:
        # write_viewer verifies the chain again and replaces the page atomically itself.
        write_viewer(
            self._viewer_path(),
            self.holdings.current_chain(),
            self.config.public_key,
            stale_after_minutes=self.config.stale_after_minutes,
        )
        self._viewer_outdated = False

    # --- reporting -------------------------------------------------------------------

    def _age_seconds(self, held: Held | None) -> float:
        if held is None:
            return 0.0
        return max(0.0, (self.clock.now() - held.created_at).total_seconds())

    def _holding(self) -> str:
        held = self.holdings.current
        if held is None:
            return "(holding no kit yet)"
        age = describe_age(self._age_seconds(held))
        return f"(holding sequence {held.seq}, kit age {age})"

    def _heartbeat(self) -> None:
        held = self.holdings.current
        report: dict[str, Any] = {
            "agent_id": self.agent_id,
            "seq": 0 if held is None else held.seq,
            "age_seconds": round(self._age_seconds(held), 1),
            "kit_count": self.holdings.kit_count,
        }
        try:
            report["disk_free_bytes"] = shutil.disk_usage(self.config.directory).free
            self.server.heartbeat(report)
        except (BasculeError, OSError) as exc:
            log.warning("heartbeat not delivered: %s", exc)

    def status(self) -> dict[str, Any]:
        """What ``status.json`` says: the newest file held and how the last cycles went."""
        held = self.holdings.current
        return {
            "site": self.config.site,
            "server": self.config.server,
            "agent_id": self.agent_id,
            "seq": None if held is None else held.seq,
            "created_at": None if held is None else canonical_instant(held.created_at),
            "kits": self.holdings.kit_count,
            "last_success": None
            if self.last_success is None
            else canonical_instant(self.last_success),
            "last_error": None
            if self.last_error is None
            else {"at": canonical_instant(self.last_error[0]), "message": self.last_error[1]},
            "updated_at": canonical_instant(self.clock.now()),
        }

    def _read_previous_status(self) -> None:
        """Carry the last success and error of a previous run over a restart."""
        try:
            previous = json.loads((self.config.directory / STATUS_FILE).read_text("utf-8"))
            if previous.get("last_success"):
                self.last_success = parse_instant(previous["last_success"])
            error = previous.get("last_error")
            if error:
                self.last_error = (parse_instant(error["at"]), str(error["message"]))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # no usable status from before: this run starts afresh

    def _write_status(self) -> None:
        text = json.dumps(self.status(), indent=2, ensure_ascii=False) + "\n"
        try:
            write_atomically(self.config.directory / STATUS_FILE, text.encode("utf-8"))
        except OSError as exc:
            log.warning("status.json not updated: %s", _disk_problem(exc, self.config.directory))
