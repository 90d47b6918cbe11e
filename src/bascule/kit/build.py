"""Building, verifying and opening kit and delta files."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.errors import BasculeError
from bascule.kit.container import KitFile, open_content, parse, seal, verify_signature
from bascule.kit.content import Window, build_content
from bascule.kit.delta import apply_delta, build_delta
from bascule.kit.keys import GROUP_SLOT, SITE_SLOT, KeyStore
from bascule.store.database import Database
from bascule.store.queries import require_site


@dataclass(frozen=True, slots=True)
class BuiltFile:
    """A sealed kit or delta file and the manifest of the content it leads to."""

    data: bytes
    seq: int
    manifest: dict[str, Any]


def _slots(keys: KeyStore, site: str) -> list[Any]:
    slots = keys.slots_for(site)
    names = {slot.name for slot in slots}
    missing = [name for name in (SITE_SLOT, GROUP_SLOT) if name not in names]
    if missing:
        raise BasculeError(
            f"no {' and no '.join(missing)} passphrase slot for site {site!r}: "
            f"run 'bascule kit slot set --site {site}' and 'bascule kit slot set --group'"
        )
    return slots


def build_kit_file(
    db: Database, keys: KeyStore, site: str, *, as_of: date | None = None
) -> BuiltFile:
    """Seal a full kit of ``site`` at the current journal head."""
    now = db.clock.now()
    window = Window(as_of or now.date())
    slots = _slots(keys, site)
    with db.snapshot() as session:
        require_site(session, site)
        built = build_content(session, site, window, now)
    data = seal(
        built.content,
        kind="kit",
        site=site,
        seq=built.content["seq"],
        created_at=now,
        slots=slots,
        signing_key=keys.signing_key(),
    )
    return BuiltFile(data, built.content["seq"], built.manifest)


def build_delta_file(
    db: Database, keys: KeyStore, base_manifest: dict[str, Any], *, as_of: date | None = None
) -> BuiltFile:
    """Seal the delta from the kit described by ``base_manifest`` to the journal head."""
    now = db.clock.now()
    site = str(base_manifest["site"])
    window = Window(as_of or now.date())
    slots = _slots(keys, site)
    with db.snapshot() as session:
        built = build_delta(session, base_manifest, window, now)
    data = seal(
        built.content,
        kind="delta",
        site=site,
        seq=built.content["seq"],
        base_seq=built.content["base_seq"],
        created_at=now,
        slots=slots,
        signing_key=keys.signing_key(),
    )
    return BuiltFile(data, built.content["seq"], built.manifest)


def verified(data: bytes, public_key: Ed25519PublicKey, source: str) -> KitFile:
    """Parse a kit or delta and check its signature."""
    kit = parse(data, source)
    verify_signature(kit, public_key, source)
    return kit


def open_chain(
    files: list[tuple[str, bytes]], public_key: Ed25519PublicKey, passphrase: str
) -> dict[str, Any]:
    """Content of a full kit with its deltas applied in order; every file is verified."""
    if not files:
        raise BasculeError("no kit to open")
    source, data = files[0]
    kit = verified(data, public_key, source)
    if kit.kind != "kit":
        raise BasculeError(f"{source}: is a delta, not a full kit")
    content = open_content(kit, passphrase, source)
    at, site = kit.seq, kit.site
    for source, data in files[1:]:
        delta = verified(data, public_key, source)
        if delta.kind != "delta":
            raise BasculeError(f"{source}: is a full kit, expected a delta")
        if delta.site != site or delta.base_seq != at:
            raise BasculeError(
                f"{source}: delta of {delta.site} from {delta.base_seq} does not follow "
                f"{site} at {at}"
            )
        content = apply_delta(content, open_content(delta, passphrase, source))
        at = delta.seq
    return content


def created(kit: KitFile) -> datetime:
    """Creation instant of a parsed kit."""
    return datetime.fromisoformat(kit.created_at.replace("Z", "+00:00"))
