"""Publishing kits and deltas from the group server to the site agents.

One directory per site under ``Settings.kits_dir``:

- ``kit-<seq>.bkit``: the last few full kits;
- ``manifest-<seq>.json`` (mode 0600: patient ids): what the content at ``seq`` holds, for
  every kit and every delta built, so that an agent at any of those sequence numbers can
  be brought to the journal head by a delta;
- ``delta-<base>-<seq>.bdelta``: the delta last built from each base, reused while the
  journal head has not moved.

A kit's content depends on its sequence number and on the day it is built for (the
horizon). Two files reaching the same sequence number must describe the same content, or
a delta built from one manifest would not apply to the other file's content: whoever
writes a sequence number's manifest first fixes that day for every later file at it.
"""

import asyncio
import json
import logging
import os
import re
import struct
import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bascule.config import Settings
from bascule.errors import BasculeError
from bascule.kit.agent_files import write_atomically
from bascule.kit.agent_store import sites_with_tokens
from bascule.kit.build import BuiltFile, build_delta_file, build_kit_file
from bascule.kit.container import MAGIC
from bascule.kit.keys import KeyStore
from bascule.store import journal
from bascule.store.checkpoint import checkpoint_if_quiet
from bascule.store.database import Database

log = logging.getLogger("bascule.kit.publish")

KIT_FILE = re.compile(r"kit-(\d+)\.bkit")
DELTA_FILE = re.compile(r"delta-(\d+)-(\d+)\.bdelta")
MANIFEST_FILE = re.compile(r"manifest-(\d+)\.json")
# Site ids become directory names: nothing that could climb out of the kits directory.
SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
DEFAULT_KEEP_KITS = 3
DEFAULT_REBUILD_MINUTES = 15.0
REBUILD_ENV = "BASCULE_KIT_REBUILD_MINUTES"
_PINNING_ATTEMPTS = 3


class FullKitRequiredError(BasculeError):
    """The server cannot bring that sequence number forward: the agent needs a full kit."""


@dataclass(frozen=True, slots=True)
class Published:
    """A kit or delta file ready to be served."""

    path: Path
    kind: str
    seq: int
    base_seq: int | None
    created_at: str


def header_of(data: bytes, source: str) -> dict[str, Any]:
    """The JSON header at the start of a kit or delta file's bytes."""
    start = len(MAGIC) + 4
    if len(data) < start or not data.startswith(MAGIC):
        raise BasculeError(f"{source}: not a bascule kit")
    (length,) = struct.unpack_from(">I", data, len(MAGIC))
    header = json.loads(data[start : start + length].decode("utf-8"))
    if not isinstance(header, dict):
        raise BasculeError(f"{source}: malformed header")
    return header


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of a kit or delta file, read without loading the whole file."""
    with path.open("rb") as handle:
        prefix = handle.read(len(MAGIC) + 4)
        length = struct.unpack(">I", prefix[len(MAGIC) :])[0] if len(prefix) == 12 else 0
        return header_of(prefix + handle.read(length), str(path))


def _check_site(site: str) -> None:
    if not SITE_ID.fullmatch(site):
        raise BasculeError(f"site id {site!r} cannot name a kit directory")


class Publisher:
    """The group server's store of published kits, deltas and manifests.

    Thread-safe within one process: request handlers and the periodic rebuild share it.
    """

    def __init__(
        self, db: Database, keys: KeyStore, directory: Path, *, keep_kits: int = DEFAULT_KEEP_KITS
    ) -> None:
        if keep_kits < 1:
            raise ValueError("keep at least one kit")
        self.db = db
        self.keys = keys
        self.directory = directory
        self.keep_kits = keep_kits
        self._locks: defaultdict[tuple[str, ...], threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> "Publisher":
        """The publisher of an installation: its key store and kits directory."""
        return cls(db, KeyStore(settings.keys_dir), settings.kits_dir)

    def _lock(self, *key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[key]

    def site_dir(self, site: str) -> Path:
        """The directory of ``site``'s files (not created)."""
        _check_site(site)
        return self.directory / site

    def _ensure_dir(self, site: str) -> Path:
        directory = self.site_dir(site)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return directory

    def head(self) -> int:
        """The journal head's sequence number."""
        with self.db.reading() as session:
            return journal.head(session)[0]

    # --- full kits -------------------------------------------------------------------

    def _kit_seqs(self, site: str) -> list[int]:
        directory = self.site_dir(site)
        if not directory.is_dir():
            return []
        found = (KIT_FILE.fullmatch(path.name) for path in directory.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def latest(self, site: str) -> Published | None:
        """The newest full kit of ``site``, or None when none was published."""
        directory = self.site_dir(site)
        for seq in reversed(self._kit_seqs(site)):
            path = directory / f"kit-{seq}.bkit"
            try:
                created_at = str(read_header(path)["created_at"])
            except FileNotFoundError:
                continue  # pruned since the listing
            return Published(path, "kit", seq, None, created_at)
        return None

    def publish_kit(self, site: str) -> Published:
        """Build a full kit of ``site`` at the journal head, store it, prune old files."""
        with self._lock("kit", site):
            return self._publish(site)

    def _publish(self, site: str) -> Published:
        directory = self._ensure_dir(site)
        built = self._pinned(
            site, lambda as_of: build_kit_file(self.db, self.keys, site, as_of=as_of)
        )
        path = directory / f"kit-{built.seq}.bkit"
        write_atomically(path, built.data)
        self.prune(site)
        log.info("published kit of %s at sequence %d (%d bytes)", site, built.seq, len(built.data))
        created_at = str(header_of(built.data, path.name)["created_at"])
        return Published(path, "kit", built.seq, None, created_at)

    def kit(self, site: str) -> Published:
        """The newest full kit of ``site``, built now when there is none yet."""
        latest = self.latest(site)
        if latest is not None:
            return latest
        with self._lock("kit", site):
            # The site's agents tend to ask together: the first one builds for all.
            return self.latest(site) or self._publish(site)

    def refresh(self, site: str) -> Published | None:
        """Publish a new full kit when the journal moved past the newest one."""
        latest = self.latest(site)
        if latest is not None and latest.seq >= self.head():
            return None
        return self.publish_kit(site)

    # --- deltas ----------------------------------------------------------------------

    def delta_after(self, site: str, seq: int) -> Published | None:
        """The delta from ``seq`` to the journal head; None when nothing changed since.

        Raises FullKitRequiredError when the server holds no manifest for ``seq`` (too old,
        pruned, or never produced by this server).
        """
        head = self.head()
        if seq == head:
            return None
        if seq > head:
            raise FullKitRequiredError(
                f"sequence {seq} is beyond the server's journal (head {head}): take a full kit"
            )
        directory = self.site_dir(site)
        cached = self._cached_delta(site, seq, head)
        if cached is not None:
            return cached
        base = self.manifest(site, seq)
        if base is None:
            raise FullKitRequiredError(
                f"the server no longer holds sequence {seq} of {site} (too old or pruned): "
                "take a full kit"
            )
        with self._lock("delta", site, str(seq)):
            # Another request may have built it while this one waited for the lock.
            cached = self._cached_delta(site, seq, head)
            if cached is not None:
                return cached
            built = self._pinned(
                site, lambda as_of: build_delta_file(self.db, self.keys, base, as_of=as_of)
            )
            path = directory / f"delta-{seq}-{built.seq}.bdelta"
            write_atomically(path, built.data)
            self._drop_superseded(site, seq, built.seq)
        created_at = str(header_of(built.data, path.name)["created_at"])
        return Published(path, "delta", built.seq, seq, created_at)

    def _cached_delta(self, site: str, base: int, head: int) -> Published | None:
        """A stored delta from ``base`` that reaches ``head`` (or beyond)."""
        directory = self.site_dir(site)
        if not directory.is_dir():
            return None
        best: int | None = None
        for path in directory.iterdir():
            match = DELTA_FILE.fullmatch(path.name)
            if match and int(match.group(1)) == base and int(match.group(2)) >= head:
                best = max(best or 0, int(match.group(2)))
        if best is None:
            return None
        path = directory / f"delta-{base}-{best}.bdelta"
        try:
            created_at = str(read_header(path)["created_at"])
        except FileNotFoundError:
            return None
        return Published(path, "delta", best, base, created_at)

    def _drop_superseded(self, site: str, base: int, seq: int) -> None:
        """Deltas from ``base`` to an earlier head: nobody will be served them again."""
        for path in self.site_dir(site).iterdir():
            match = DELTA_FILE.fullmatch(path.name)
            if match and int(match.group(1)) == base and int(match.group(2)) < seq:
                with suppress(FileNotFoundError):
                    path.unlink()

    # --- manifests -------------------------------------------------------------------

    def _manifest_path(self, site: str, seq: int) -> Path:
        return self.site_dir(site) / f"manifest-{seq}.json"

    def manifest(self, site: str, seq: int) -> dict[str, Any] | None:
        try:
            text = self._manifest_path(site, seq).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        manifest = json.loads(text)
        if not isinstance(manifest, dict) or manifest.get("seq") != seq:
            raise BasculeError(f"manifest {seq} of {site} is corrupt")
        return manifest

    def _pinned(self, site: str, build: Callable[[date | None], BuiltFile]) -> BuiltFile:
        """Build with today's horizon, or with the day already fixed for that sequence."""
        as_of: date | None = None
        for _ in range(_PINNING_ATTEMPTS):
            built = build(as_of)
            with self._lock("manifest", site):
                existing = self.manifest(site, built.seq)
                if existing is None:
                    write_atomically(
                        self._manifest_path(site, built.seq),
                        json.dumps(built.manifest, separators=(",", ":")).encode("utf-8"),
                        mode=0o600,
                    )
                    return built
                if existing["as_of"] == built.manifest["as_of"]:
                    return built
            as_of = date.fromisoformat(existing["as_of"])
        raise BasculeError(f"the journal of {site} moved on too fast to build a consistent file")

    # --- pruning ---------------------------------------------------------------------

    def prune(self, site: str) -> None:
        """Keep the last few kits; drop manifests and deltas older than the oldest kept kit."""
        seqs = self._kit_seqs(site)
        if not seqs:
            return
        kept = seqs[-self.keep_kits :]
        oldest = kept[0]
        for path in self.site_dir(site).iterdir():
            kit = KIT_FILE.fullmatch(path.name)
            manifest = MANIFEST_FILE.fullmatch(path.name)
            delta = DELTA_FILE.fullmatch(path.name)
            stale = (
                (kit is not None and int(kit.group(1)) not in kept)
                or (manifest is not None and int(manifest.group(1)) < oldest)
                or (delta is not None and int(delta.group(1)) < oldest)
            )
            if stale:
                # An agent still downloading the file keeps its open handle.
                with suppress(FileNotFoundError):
                    path.unlink()

    # --- periodic rebuild ------------------------------------------------------------

    def refresh_all(self) -> None:
        """Refresh the full kit of every site that has agents; log, never raise, failures."""
        try:
            with self.db.reading() as session:
                sites = sites_with_tokens(session)
        except (SQLAlchemyError, BasculeError) as exc:
            log.warning("kit rebuild skipped: cannot read the agent tokens: %s", exc)
            return
        for site in sites:
            try:
                self.refresh(site)
            except (SQLAlchemyError, BasculeError, OSError) as exc:
                log.warning("kit rebuild of %s failed: %s", site, exc)


def rebuild_interval_minutes() -> float:
    """Minutes between full-kit rebuilds: BASCULE_KIT_REBUILD_MINUTES, else 15."""
    text = os.environ.get(REBUILD_ENV)
    if not text:
        return DEFAULT_REBUILD_MINUTES
    try:
        minutes = float(text)
    except ValueError as exc:
        raise BasculeError(f"{REBUILD_ENV}={text!r} is not a number of minutes") from exc
    if not minutes > 0:
        raise BasculeError(f"{REBUILD_ENV} must be positive, not {text}")
    return minutes


async def rebuild_periodically(publisher: Publisher, every_seconds: float) -> None:
    """Refresh every site's full kit now, then every ``every_seconds``, until cancelled.

    Fresh full kits keep the agents' delta chains (and the manifests kept for them) short.
    """
    while True:
        try:
            await asyncio.to_thread(publisher.refresh_all)
        except Exception:  # the rebuild must outlive any one failure; the next may succeed
            log.exception("kit rebuild failed")
        await asyncio.sleep(every_seconds)


async def checkpoint_periodically(db: Database, every_seconds: float = 60) -> None:
    """Keep a quiet journal moving while the server runs (see :mod:`bascule.store.checkpoint`)."""
    while True:
        try:
            await asyncio.to_thread(checkpoint_if_quiet, db)
        except Exception:  # a failed checkpoint must not stop the next one
            log.exception("journal checkpoint failed")
        await asyncio.sleep(every_seconds)
