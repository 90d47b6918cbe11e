"""Printing a packet: read the data, render the PDF, and register every form it carries."""

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from bascule.errors import BasculeError
from bascule.kit.content import site_record
from bascule.paper.downtime import DowntimeRange
from bascule.paper.issuing import FormIssuer, IssuedForm
from bascule.paper.model import PacketData, PacketPart
from bascule.paper.registry import issue_record, new_packet_id, register
from bascule.paper.render import PacketOptions, render_packet
from bascule.paper.source import packet_from_kit, packet_from_store
from bascule.store import journal
from bascule.store.database import Database

ALL_PARTS: tuple[PacketPart, ...] = tuple(PacketPart)


def parse_parts(text: str | None, field: str = "--what") -> tuple[PacketPart, ...]:
    """Parts as given (comma-separated) in ``field``, in packet order; every part when None."""
    if text is None or not text.strip():
        return ALL_PARTS
    wanted = [item.strip() for item in text.split(",") if item.strip()]
    known = {part.value: part for part in PacketPart}
    for item in wanted:
        if item not in known:
            raise BasculeError(f"{field}: unknown part {item!r} (choose from {', '.join(known)})")
    return tuple(part for part in PacketPart if part.value in wanted)


@dataclass(frozen=True, slots=True)
class PrintedPacket:
    """A rendered packet, what it printed, and the record of its forms."""

    pdf: bytes
    data: PacketData
    issued: tuple[IssuedForm, ...]
    record: dict[str, Any]

    @property
    def pages(self) -> int:
        """Number of pages of the PDF."""
        return int(self.record["pages"])


def page_count(pdf: bytes) -> int:
    """Pages of a PDF held in memory."""
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def render(
    data: PacketData,
    parts: Sequence[PacketPart],
    *,
    actor: str,
    at: datetime,
    options: PacketOptions | None = None,
    rng: random.Random | None = None,
) -> PrintedPacket:
    """Render ``data`` and build its issue record (nothing is journaled here)."""
    issuer = FormIssuer(data.site_id, rng)
    pdf = render_packet(
        data, parts, issuer, printed_at=at, printed_by=actor, options=options or PacketOptions()
    )
    record = issue_record(
        new_packet_id() if rng is None else f"{rng.getrandbits(128):032x}",
        data,
        parts,
        issuer.issued,
        pages=page_count(pdf),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        actor=actor,
        at=at,
    )
    return PrintedPacket(pdf, data, tuple(issuer.issued), record)


def print_from_store(
    db: Database,
    site: str,
    day: date,
    parts: Sequence[PacketPart],
    *,
    actor: str,
    options: PacketOptions | None = None,
    rng: random.Random | None = None,
) -> PrintedPacket:
    """Print ``site``'s packet for ``day`` from the store and journal every form it carries."""
    at = db.clock.now()
    with db.snapshot() as session:
        data = packet_from_store(session, site, day, now=at)
    printed = render(data, parts, actor=actor, at=at, options=options, rng=rng)
    with db.writing() as session:
        register(session, printed.record, actor=actor, at=at, where=f"packet {data.site_id}")
    return printed


def print_downtime_labels(
    db: Database, block: DowntimeRange, *, actor: str, rng: random.Random | None = None
) -> PrintedPacket:
    """Print the label sheets of a freshly reserved range and journal them."""
    at = db.clock.now()
    with db.reading() as session:
        site = site_record(session, block.site_id)
        seq, _ = journal.head(session)
    data = PacketData(
        site_id=site["id"],
        site_name=site["name"],
        site_city=site["city"],
        day=at.date(),
        seq=seq,
        source="réservation d'identifiants",
        data_as_of=at,
        theatres=(),
        wards=(),
        sheets=(),
        call_list=(),
        downtime_ids=tuple(block.ids),
    )
    printed = render(data, (PacketPart.DOWNTIME,), actor=actor, at=at, rng=rng)
    with db.writing() as session:
        register(session, printed.record, actor=actor, at=at, where="downtime labels")
    return printed


def print_from_kit(
    content: dict[str, Any],
    day: date,
    parts: Sequence[PacketPart],
    *,
    source: str,
    actor: str,
    at: datetime,
    options: PacketOptions | None = None,
    rng: random.Random | None = None,
) -> PrintedPacket:
    """Print from an opened kit; the caller keeps :attr:`PrintedPacket.record` for later."""
    data = packet_from_kit(content, day, source=source)
    return render(data, parts, actor=actor, at=at, options=options, rng=rng)


def issue_file_for(pdf_path: Path) -> Path:
    """Where the issue record of a kit-printed PDF is written: ``NAME.forms.json``."""
    return pdf_path.with_name(pdf_path.stem + ".forms.json")


def write_issue_file(path: Path, record: dict[str, Any]) -> None:
    """Write an issue record for ``bascule paper register``."""
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")


def read_issue_file(path: Path) -> dict[str, Any]:
    """Read an issue record, or a :class:`BasculeError` naming the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BasculeError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise BasculeError(f"{path}: not a UTF-8 text file") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BasculeError(f"{path}: line {exc.lineno}: {exc.msg}") from None
    if not isinstance(record, dict):
        raise BasculeError(f"{path}: expected a JSON object")
    return record
