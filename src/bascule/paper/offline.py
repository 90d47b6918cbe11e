"""Printing from the kits a crisis laptop holds, when the group server is out of reach.

``bascule serve --kit-dir DIR`` points the web application at a directory of one site's
kits and deltas (a site agent's directory or a copy on a USB stick). Packets printed from
it are the packets the server would print at the same sequence number; the forms they
carry are written as issue files in ``issue_dir``, to register on the server later.
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.errors import BasculeError
from bascule.kit.agent_holdings import KIT_NAME, Holdings
from bascule.kit.build import open_chain
from bascule.kit.container import parse
from bascule.paper.model import PacketPart
from bascule.paper.packet import PrintedPacket, print_from_kit, write_issue_file


class NoKitError(BasculeError):
    """The kit directory holds no kit that verifies."""


def _sequence(path: Path) -> int:
    match = KIT_NAME.fullmatch(path.name)
    return int(match.group(1)) if match else -1


@dataclass(frozen=True, slots=True)
class KitSource:
    """A directory of one site's kits, the key that signs them, and where issue files go."""

    directory: Path
    public_key: Ed25519PublicKey
    issue_dir: Path

    def site(self) -> str:
        """The site whose kits the directory holds (read from the newest kit's header)."""
        kits = sorted(
            (path for path in self.directory.glob("kit-*.bkit") if KIT_NAME.fullmatch(path.name)),
            key=_sequence,
        )
        if not kits:
            raise NoKitError(f"{self.directory}: no kit here (kit-<sequence>.bkit)")
        return parse(kits[-1].read_bytes(), kits[-1].name).site

    def open(self, passphrase: str) -> tuple[dict[str, Any], str]:
        """The newest verified chain's content, and the name of its newest file."""
        holdings = Holdings(self.directory, self.site(), self.public_key)
        holdings.load()
        if holdings.current is None:
            raise NoKitError(f"{self.directory}: no kit that verifies with the group key")
        files = [(held.path.name, held.path.read_bytes()) for held in holdings.chains[-1].files]
        return open_chain(files, self.public_key, passphrase), files[-1][0]

    def print_packet(
        self,
        passphrase: str,
        day: date | None,
        parts: tuple[PacketPart, ...],
        *,
        actor: str,
        at: datetime,
    ) -> tuple[PrintedPacket, Path]:
        """Print from the newest kit; returns the packet and the issue file written."""
        content, newest = self.open(passphrase)
        printed = print_from_kit(
            content,
            day or date.fromisoformat(content["as_of"]),
            parts,
            source=f"kit {newest}",
            actor=actor,
            at=at,
        )
        self.issue_dir.mkdir(parents=True, exist_ok=True)
        path = self.issue_dir / f"{printed.record['id']}.forms.json"
        write_issue_file(path, printed.record)
        return printed, path

    def pending_issue_files(self) -> list[Path]:
        """Issue files written here and not yet registered (``bascule paper register``
        renames what it registered)."""
        if not self.issue_dir.exists():
            return []
        return sorted(self.issue_dir.glob("*.forms.json"))
