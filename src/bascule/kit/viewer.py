"""The offline viewer: one HTML file that opens a site's kit in any current browser.

The site agent writes it next to the kits it keeps. The page embeds the kit and its deltas
(base64 of the raw, still encrypted and signed containers), the group public key and the
viewer's own JavaScript and CSS (``kit/viewer/``). Opened by double-click, it checks every
signature with WebCrypto before anything else, asks for the site or group passphrase,
decrypts, applies the deltas and offers patient search, patient sheets, the operating-room
schedule, the bed census, the directory and the emergency-plan sheets.

A strict Content-Security-Policy forbids every network access: the inline script and style
are allowed by their SHA-256 hashes only, so the page can neither load nor send anything.
"""

import base64
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from importlib.resources import files as package_files
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.errors import BasculeError
from bascule.kit.container import KitFile, parse, verify_signature
from bascule.kit.keys import public_key_text

# Concatenated in this order into the one inline script (each uses the ones before it).
SCRIPTS = ("kit.js", "search.js", "common.js", "patients.js", "boards.js", "viewer.js")
STYLE = "viewer.css"
TEMPLATE = "viewer.html"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_SITE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Sequences that would end or confuse an inline <script> or <style> element early.
_UNSAFE_INLINE = re.compile(r"</(script|style)|<!--", re.IGNORECASE)


def viewer_name(site: str) -> str:
    """File name of a site's viewer, e.g. ``bascule-kit-rennes.html``.

    The site id becomes part of a path, so anything but letters, digits, ``-`` and ``_``
    is refused.
    """
    if not _SITE_ID.fullmatch(site):
        raise BasculeError(f"site id {site!r} cannot name a viewer file")
    return f"bascule-kit-{site}.html"


def _asset(name: str) -> str:
    text = (package_files("bascule.kit") / "viewer" / name).read_text(encoding="utf-8")
    if name != TEMPLATE and _UNSAFE_INLINE.search(text):
        raise BasculeError(f"viewer asset {name} contains a sequence that breaks inline HTML")
    return text


def _script() -> str:
    body = "\n".join(_asset(name) for name in SCRIPTS)
    return f'(() => {{\n"use strict";\n{body}\n}})();\n'


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    """The page's policy: no network at all, only this script and this style may run."""
    return (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; "
        f"style-src {_csp_hash(style)}; "
        "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )


def check_chain(files: list[bytes], public_key: Ed25519PublicKey) -> list[KitFile]:
    """Parse and verify a kit and its deltas; refuse anything the viewer would refuse.

    The first file must be a full kit; each following one a delta of the same site whose
    base sequence number is the sequence number reached by the file before it.
    """
    if not files:
        raise BasculeError("a viewer needs a kit: no file given")
    chain: list[KitFile] = []
    for position, data in enumerate(files):
        source = "the kit" if position == 0 else f"delta {position}"
        kit = parse(data, source)
        verify_signature(kit, public_key, source)
        if position == 0 and kit.kind != "kit":
            raise BasculeError(f"{source} is a delta: a viewer starts with a full kit")
        if chain:
            previous = chain[-1]
            if kit.kind != "delta":
                raise BasculeError(f"{source} is a full kit: only deltas may follow the kit")
            if kit.site != previous.site:
                raise BasculeError(f"{source} is for site {kit.site}, the kit for {previous.site}")
            if kit.base_seq != previous.seq:
                raise BasculeError(
                    f"{source} applies to sequence {kit.base_seq}, but the files before it "
                    f"reach sequence {previous.seq}: a delta is missing or out of order"
                )
        chain.append(kit)
    return chain


def _config(site: str, public_key: Ed25519PublicKey, stale_after_minutes: int) -> str:
    document = {
        "publicKey": public_key_text(public_key),
        "site": site,
        "staleAfterMinutes": stale_after_minutes,
    }
    # Inside a <script> element, "<" must never appear raw: "</script>" would end it.
    return json.dumps(document, ensure_ascii=True).replace("<", "\\u003c")


def _pieces(
    files: list[bytes], site: str, public_key: Ed25519PublicKey, stale_after_minutes: int
) -> Iterator[bytes]:
    """The page, piece by piece, so that tens of MB of base64 are never joined in memory."""
    script, style = _script(), _asset(STYLE)
    values = {
        "csp": content_security_policy(script, style),
        "site": site,
        "style": style,
        "config": _config(site, public_key, stale_after_minutes),
        "script": script,
    }
    template = _asset(TEMPLATE)
    position = 0
    for found in _PLACEHOLDER.finditer(template):
        yield template[position : found.start()].encode("utf-8")
        if found[1] == "files":
            yield from _file_blocks(files)
        else:
            yield values[found[1]].encode("utf-8")
        position = found.end()
    yield template[position:].encode("utf-8")


def _file_blocks(files: list[bytes]) -> Iterator[bytes]:
    for position, data in enumerate(files):
        yield f'<script type="application/octet-stream" id="bascule-file-{position}">'.encode()
        yield base64.b64encode(data)
        yield b"</script>\n"


def write_viewer(
    target: Path,
    files: list[bytes],
    public_key: Ed25519PublicKey,
    *,
    stale_after_minutes: int = 15,
) -> None:
    """Write the self-contained viewer of a kit (``files[0]``) and its deltas, in order.

    Every file is checked first (layout, signature by ``public_key``, one site, deltas
    chaining by sequence number): a viewer that would refuse its own kit is never written.
    The page warns when the newest file is older than ``stale_after_minutes``. The file is
    replaced atomically, so a viewer open elsewhere or copied meanwhile is never half-written.
    """
    if stale_after_minutes < 1:
        raise BasculeError(f"stale_after_minutes must be at least 1, not {stale_after_minutes}")
    chain = check_chain(files, public_key)
    site = chain[0].site
    viewer_name(site)  # the site id is shown in the page: refuse the same ids as for names
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for piece in _pieces(files, site, public_key, stale_after_minutes):
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        # Ward PCs open the viewer under other accounts than the agent's; the content is
        # encrypted, so being readable by all is what makes it useful, not a leak.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows opening a directory (not Windows)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
