"""The group's key store: the Ed25519 signing key and the passphrase slots per site.

Layout of the key directory (files are created mode 0600):

- ``group-signing.pem``: the Ed25519 private key (PKCS#8 PEM) that signs every kit;
- ``group-signing.pub``: its public key (raw 32 bytes, base64), given to site agents;
- ``slots.json``: the key-encryption keys of the passphrase slots, ``{"group": slot,
  "sites": {site: slot}}``. A slot keeps its salt, iteration count and derived key, never
  the passphrase, so kits can be rebuilt every minute without asking for it again.
"""

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from bascule.errors import BasculeError
from bascule.kit.container import SlotKey, fingerprint, new_slot_key

SITE_SLOT = "site"
GROUP_SLOT = "group"
SIGNING_KEY_FILE = "group-signing.pem"
PUBLIC_KEY_FILE = "group-signing.pub"
SLOTS_FILE = "slots.json"


class KeyStoreError(BasculeError):
    """A key file is missing, unreadable or malformed."""


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The raw public key in base64, as agents and viewers take it."""
    return base64.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read a public key written by :func:`public_key_text` (or a PEM public key)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise KeyStoreError(f"cannot read group public key {path}: {exc.strerror}") from exc
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise KeyStoreError(f"{path} is not a base64 Ed25519 public key") from exc


@dataclass(frozen=True, slots=True)
class KeyStore:
    """The key directory of a group server."""

    directory: Path

    @property
    def signing_key_path(self) -> Path:
        """Where the private signing key lives."""
        return self.directory / SIGNING_KEY_FILE

    @property
    def public_key_path(self) -> Path:
        """Where the public key for agents lives."""
        return self.directory / PUBLIC_KEY_FILE

    def has_signing_key(self) -> bool:
        """True once a signing key was created."""
        return self.signing_key_path.exists()

    def create_signing_key(self) -> Ed25519PrivateKey:
        """Create the group signing key; refuses to overwrite an existing one."""
        if self.has_signing_key():
            raise KeyStoreError(f"a group signing key already exists at {self.signing_key_path}")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        write_private(self.signing_key_path, pem)
        self.public_key_path.write_text(public_key_text(key.public_key()) + "\n")
        return key

    def signing_key(self) -> Ed25519PrivateKey:
        """The group signing key."""
        try:
            key = load_pem_private_key(self.signing_key_path.read_bytes(), password=None)
        except FileNotFoundError as exc:
            raise KeyStoreError(
                f"no group signing key at {self.signing_key_path}: run 'bascule kit keys init'"
            ) from exc
        except ValueError as exc:
            raise KeyStoreError(f"{self.signing_key_path} is not a PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStoreError(f"{self.signing_key_path} is not an Ed25519 key")
        return key

    def fingerprint(self) -> str:
        """Fingerprint of the group public key."""
        return fingerprint(self.signing_key().public_key())

    def _read_slots(self) -> dict[str, Any]:
        path = self.directory / SLOTS_FILE
        if not path.exists():
            return {"group": None, "sites": {}}
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise KeyStoreError(f"{path} is unreadable or not JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("sites"), dict):
            raise KeyStoreError(f"{path} is not a bascule slot file")
        return document

    def _write_slots(self, document: dict[str, Any]) -> None:
        text = json.dumps(document, indent=2, sort_keys=True)
        write_private(self.directory / SLOTS_FILE, text.encode("utf-8"))

    def set_slot(self, name: str, passphrase: str, site: str | None = None) -> SlotKey:
        """Add or rotate a slot: the group slot (``site`` None) or a site's slot."""
        slot = new_slot_key(name, passphrase)
        document = self._read_slots()
        encoded = {
            "salt": base64.b64encode(slot.salt).decode(),
            "iterations": slot.iterations,
            "kek": base64.b64encode(slot.kek).decode(),
        }
        if site is None:
            document["group"] = encoded
        else:
            document["sites"][site] = encoded
        self._write_slots(document)
        return slot

    def remove_slot(self, site: str | None = None) -> None:
        """Remove the group slot or one site's slot."""
        document = self._read_slots()
        if site is None:
            if document.get("group") is None:
                raise KeyStoreError("there is no group slot to remove")
            document["group"] = None
        elif document["sites"].pop(site, None) is None:
            raise KeyStoreError(f"there is no slot for site {site!r} to remove")
        self._write_slots(document)

    def slots_for(self, site: str) -> list[SlotKey]:
        """The slots a kit of ``site`` is sealed with: the site's, then the group's."""
        document = self._read_slots()
        slots = []
        site_slot = document["sites"].get(site)
        if site_slot is not None:
            slots.append(_decode_slot(SITE_SLOT, site_slot))
        if document.get("group") is not None:
            slots.append(_decode_slot(GROUP_SLOT, document["group"]))
        return slots

    def has_slot(self, site: str | None = None) -> bool:
        """True when the group slot (``site`` None) or the site's slot is set."""
        document = self._read_slots()
        if site is None:
            return document.get("group") is not None
        return site in document["sites"]


def _decode_slot(name: str, encoded: dict[str, Any]) -> SlotKey:
    try:
        return SlotKey(
            name=name,
            salt=base64.b64decode(encoded["salt"]),
            iterations=int(encoded["iterations"]),
            kek=base64.b64decode(encoded["kek"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyStoreError(f"slot {name!r} in {SLOTS_FILE} is malformed") from exc
