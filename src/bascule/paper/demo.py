"""The paper step of ``bascule demo``: one site's packet for the first crisis day, and back."""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from rich.console import Console
from rich.table import Table

from bascule.paper import downtime, registry
from bascule.paper.model import FormType
from bascule.paper.packet import ALL_PARTS, print_from_store
from bascule.paper.scan import scan_files
from bascule.store.database import Database
from bascule.synth.group import first_monday

PAPER_SITE = "rennes"
DOWNTIME_IDS = 24
SCAN_DPI = 150


@dataclass(frozen=True, slots=True)
class PaperDemo:
    """Where the demo left its packet and the page it scanned back."""

    packet: Path
    scanned_page: Path
    pages: int
    outstanding: int


def _render_page(pdf: Path, page_number: int, out: Path) -> None:
    """Rasterise one page the way a scanner would hand it back."""
    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[page_number - 1].render(scale=SCAN_DPI / 72, grayscale=True)
        bitmap.to_pil().save(out)
    finally:
        document.close()


def run_paper_demo(db: Database, out: Path, console: Console) -> PaperDemo:
    """Reserve downtime ids, print a packet, scan its first OR list back, list what is out."""
    directory = out / "paper"
    directory.mkdir(parents=True, exist_ok=True)
    now = db.clock.now()
    with db.writing() as session:
        block = downtime.reserve(session, PAPER_SITE, DOWNTIME_IDS, actor="demo", at=now)
    console.print(
        f"reserved {block.count} downtime ids for {PAPER_SITE}: "
        f"{downtime.display_downtime_id(block.ids[0])} … "
        f"{downtime.display_downtime_id(block.ids[-1])}"
    )
    day = first_monday(now.date())
    printed = print_from_store(db, PAPER_SITE, day, ALL_PARTS, actor="demo")
    packet = directory / f"{PAPER_SITE}-{day.isoformat()}.pdf"
    packet.write_bytes(printed.pdf)
    table = Table("part", "forms", "pages from", title=f"Packet of {PAPER_SITE} for {day}")
    kinds = Counter(form.code.form_type for form in printed.issued)
    first_page: dict[FormType, int] = {}
    for form in printed.issued:
        first_page.setdefault(form.code.form_type, form.page)
    for form_type, count in kinds.items():
        table.add_row(
            form_type.name.lower().replace("_", " "), str(count), str(first_page[form_type])
        )
    console.print(table)
    console.print(f"{packet}: {printed.pages} pages, {len(printed.issued)} forms journaled")

    scanned = directory / "scanned-or-list.png"
    _render_page(packet, first_page[FormType.OR_LIST], scanned)
    with db.reading() as session:
        before = len(registry.outstanding(session, PAPER_SITE))
    result = scan_files([scanned])
    with db.writing() as session:
        report = registry.record_scan(session, result, actor="demo", at=db.clock.now())
    with db.reading() as session:
        after = len(registry.outstanding(session, PAPER_SITE))
    console.print(
        f"scanned {scanned.name} at {SCAN_DPI} dpi: {len(result.codes)} QR codes read, "
        f"{len(report.returned)} form returned; forms of {PAPER_SITE} still out: "
        f"{before} → {after}"
    )
    return PaperDemo(packet, scanned, printed.pages, after)
