"""What a site agent holds on disk: chains of a full kit and the deltas that follow it.

Layout of the agent's directory: ``kit-<seq>.bkit`` and ``delta-<base>-<seq>.bdelta``.
Each chain is a full kit and the deltas applied after it, in order; the newest file of the
newest chain is the agent's current sequence number. Only files that passed
:func:`check_incoming` are written, and each is written atomically, so the directory is
always a set of valid chains, whatever instant the agent was killed at.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.errors import BasculeError
from bascule.kit.agent_files import write_atomically
from bascule.kit.build import created, verified
from bascule.kit.container import KitFile

KIT_NAME = re.compile(r"kit-(\d+)\.bkit")
DELTA_NAME = re.compile(r"delta-(\d+)-(\d+)\.bdelta")
REJECTED_SUFFIX = ".invalid"


class RefusedError(BasculeError):
    """A kit or delta the agent will not take: unsigned, foreign, out of order or older."""


class RollbackError(RefusedError):
    """A file older than (or as old as) what the agent holds: a replay or a rollback."""


@dataclass(frozen=True, slots=True)
class Held:
    """One accepted file on disk."""

    path: Path
    kind: str
    seq: int
    base_seq: int | None
    created_at: datetime


@dataclass(slots=True)
class Chain:
    """A full kit and the deltas that follow it."""

    kit: Held
    deltas: list[Held] = field(default_factory=list)

    @property
    def newest(self) -> Held:
        """The last file of the chain."""
        return self.deltas[-1] if self.deltas else self.kit

    @property
    def files(self) -> list[Held]:
        """The kit, then its deltas in order."""
        return [self.kit, *self.deltas]


def file_name(kit: KitFile) -> str:
    """Where an accepted file is stored in the agent's directory."""
    if kit.kind == "kit":
        return f"kit-{kit.seq}.bkit"
    return f"delta-{kit.base_seq}-{kit.seq}.bdelta"


def check_incoming(
    data: bytes,
    *,
    kind: str,
    site: str,
    public_key: Ed25519PublicKey,
    current: Held | None,
    source: str,
) -> KitFile:
    """The parsed file when the agent may take it as its next one; RefusedError otherwise.

    The signature is checked before anything in the header is believed.
    """
    try:
        kit = verified(data, public_key, source)
        created(kit)
    except (BasculeError, ValueError) as exc:
        raise RefusedError(str(exc)) from exc
    if kit.site != site:
        raise RefusedError(f"{source}: is for site {kit.site}, this agent keeps {site}")
    if kit.kind != kind:
        raise RefusedError(f"{source}: is a {kit.kind}, a {kind} was asked for")
    if current is None:
        if kind == "delta":
            raise RefusedError(f"{source}: a delta, but no kit is held to apply it to")
        return kit
    if kit.seq <= current.seq:
        raise RollbackError(
            f"{source}: {kit.kind} at sequence {kit.seq} is not newer than the held "
            f"sequence {current.seq} (replayed or rolled back)"
        )
    if kind == "delta" and kit.base_seq != current.seq:
        raise RefusedError(
            f"{source}: delta from sequence {kit.base_seq} does not follow the held "
            f"sequence {current.seq}"
        )
    return kit


def _held(path: Path, kit: KitFile) -> Held:
    return Held(path, kit.kind, kit.seq, kit.base_seq, created(kit))


class Holdings:
    """The chains in an agent's directory, oldest kit first."""

    def __init__(self, directory: Path, site: str, public_key: Ed25519PublicKey) -> None:
        self.directory = directory
        self.site = site
        self.public_key = public_key
        self.chains: list[Chain] = []

    @property
    def current(self) -> Held | None:
        """The newest file held, or None when the agent holds nothing yet."""
        return self.chains[-1].newest if self.chains else None

    @property
    def kit_count(self) -> int:
        """Number of full kits held."""
        return len(self.chains)

    def load(self) -> list[str]:
        """Read and verify the directory; set aside files that fail; return the problems.

        A file that no longer verifies (altered on disk, or signed by another key than the
        one given) is renamed ``*.invalid`` so that neither the viewer nor the agent uses it.
        """
        problems: list[str] = []
        kits: list[Held] = []
        deltas: dict[int, Held] = {}
        for path in sorted(self.directory.iterdir()):
            if not (KIT_NAME.fullmatch(path.name) or DELTA_NAME.fullmatch(path.name)):
                continue
            try:
                kit = verified(path.read_bytes(), self.public_key, path.name)
                if kit.site != self.site or file_name(kit) != path.name:
                    raise RefusedError(f"{path.name}: header says {kit.kind} of {kit.site}")
                if kit.kind == "delta" and kit.seq <= (kit.base_seq or 0):
                    raise RefusedError(f"{path.name}: a delta that does not move forward")
                held = _held(path, kit)
            except (BasculeError, ValueError) as exc:
                path.rename(path.with_name(path.name + REJECTED_SUFFIX))
                problems.append(f"{exc} (set aside as {path.name}{REJECTED_SUFFIX})")
                continue
            if held.kind == "kit":
                kits.append(held)
            else:
                assert held.base_seq is not None
                deltas[held.base_seq] = held
        self.chains = []
        claimed: set[Path] = set()
        for kit_held in sorted(kits, key=lambda held: held.seq):
            chain = Chain(kit_held)
            # Each delta moves forward (checked above), so this walk ends.
            while (following := deltas.get(chain.newest.seq)) and following.path not in claimed:
                chain.deltas.append(following)
                claimed.add(following.path)
            self.chains.append(chain)
        self.chains.sort(key=lambda chain: chain.newest.seq)
        for orphan in {held.path for held in deltas.values()} - claimed:
            # Left by a prune that was interrupted: its kit is already gone.
            orphan.unlink()
        return problems

    def add(self, kit: KitFile, data: bytes) -> Held:
        """Store an accepted file: a kit starts a chain, a delta extends the newest one."""
        path = self.directory / file_name(kit)
        write_atomically(path, data)
        held = _held(path, kit)
        if kit.kind == "kit":
            self.chains.append(Chain(held))
        else:
            self.chains[-1].deltas.append(held)
        return held

    def prune(self, keep: int) -> list[str]:
        """Delete the chains beyond the newest ``keep``; the names of the files removed."""
        removed: list[str] = []
        while len(self.chains) > keep:
            chain = self.chains.pop(0)
            # Newest first: an interrupted prune leaves a shorter chain, still valid.
            for held in reversed(chain.files):
                held.path.unlink(missing_ok=True)
                removed.append(held.path.name)
        return removed

    def current_chain(self) -> list[bytes]:
        """The bytes of the newest chain's files, kit first (what the viewer opens)."""
        return [held.path.read_bytes() for held in self.chains[-1].files] if self.chains else []
