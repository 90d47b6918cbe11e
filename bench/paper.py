"""Paper fallback at scale: a large site's packet, and scanning rendered pages back.

Run: .venv/bin/python bench/paper.py [--patients 50000] [--scan-pages 100]
Writes bench/results/paper.json. Targets (issue): a 1,000-page packet in ≤ 20 s;
100 scanned pages in ≤ 10 s, 100 % decoded. In the same run, the QR encoder and PDF
library the design proposed (segno, fpdf2) are timed on the same work as the ones used
(zxing-cpp, reportlab), which is why they were chosen.
"""

import argparse
import io
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import segno
from fpdf import FPDF
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from bascule.clock import SimulatedClock
from bascule.paper.codes import FormCode, dark_runs, new_form_id, qr_modules
from bascule.paper.model import FormType
from bascule.paper.packet import ALL_PARTS, render
from bascule.paper.render import PacketOptions
from bascule.paper.render.text import BOLD, REGULAR, register_fonts
from bascule.paper.scan import scan_files
from bascule.paper.source import packet_from_store
from bascule.store import queries
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from common import save

TARGETS = {"packet_seconds": 20, "scan_seconds": 10, "decoded_share": 1.0}
DAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
MM = 72 / 25.4


def _largest_site(db: Database) -> str:
    with db.reading() as session:
        summaries = queries.site_summaries(session)
    return max(summaries, key=lambda s: (s.beds, s.theatres)).id


def _perturb(image: Image.Image, rng: random.Random) -> Image.Image:
    """What a sheet fed through an office scanner looks like: skew, blur, noise, JPEG."""
    skewed = image.rotate(rng.uniform(-3, 3), expand=True, fillcolor=255)
    blurred = skewed.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(blurred, dtype=np.float32)
    noisy = np.clip(
        pixels + np.random.default_rng(rng.randrange(2**32)).normal(0, 12, pixels.shape), 0, 255
    )
    buffer = io.BytesIO()
    Image.fromarray(noisy.astype(np.uint8)).save(buffer, "JPEG", quality=75)
    return Image.open(io.BytesIO(buffer.getvalue()))


def _scanned_pages(pdf: bytes, pages: list[int], directory: Path) -> list[Path]:
    rng = random.Random(5)
    document = pdfium.PdfDocument(pdf)
    paths = []
    for number in pages:
        image = document[number - 1].render(scale=150 / 72, grayscale=True).to_pil()
        path = directory / f"page-{number:04d}.jpg"
        _perturb(image, rng).save(path, "JPEG", quality=90)
        paths.append(path)
    document.close()
    return paths


def _qr_encoders(count: int) -> dict[str, Any]:
    payloads = [
        FormCode(
            FormType.OR_LIST, new_form_id(), "saint-nazaire", f"P{i:07d}", f"C{i:07d}"
        ).payload()
        for i in range(count)
    ]
    timings = {}
    for name, encode in (
        ("zxing_cpp", lambda text: list(dark_runs(qr_modules(text)))),
        ("segno", lambda text: segno.make(text, error="m", micro=False).matrix),
    ):
        started = time.perf_counter()
        for payload in payloads:
            encode(payload)
        timings[name] = (time.perf_counter() - started) / count * 1000
    return {
        "codes": count,
        "ms_per_code": {name: round(value, 3) for name, value in timings.items()},
        "segno_over_zxing": round(timings["segno"] / timings["zxing_cpp"], 1),
    }


_LINE = "Prothèse totale de hanche droite par voie antérieure — allergie : pénicilline (œdème)"


def _pdf_libraries(pages: int) -> dict[str, Any]:
    """The same text-heavy page (40 lines, two fonts) written by reportlab and by fpdf2."""
    register_fonts()
    regular, bold = REGULAR, BOLD
    fonts = files("bascule.paper") / "fonts"

    def with_reportlab() -> int:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, invariant=1)
        for page in range(pages):
            canvas.setFont(bold, 14)
            canvas.drawString(15 * MM, 280 * MM, f"Bloc opératoire — salle 3 — page {page + 1}")
            canvas.setFont(regular, 9)
            for line in range(40):
                canvas.drawString(
                    15 * MM, (270 - line * 6) * MM, f"{line:02d} DUPONT-LÉGER Éléonore {_LINE}"
                )
            canvas.showPage()
        canvas.save()
        return len(buffer.getvalue())

    def with_fpdf2() -> int:
        document = FPDF(unit="mm", format="A4")
        document.add_font("body", "", str(fonts / "DejaVuSans.ttf"))
        document.add_font("body", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        document.set_auto_page_break(False)
        for page in range(pages):
            document.add_page()
            document.set_font("body", "B", 14)
            document.text(15, 17, f"Bloc opératoire — salle 3 — page {page + 1}")
            document.set_font("body", "", 9)
            for line in range(40):
                document.text(15, 27 + line * 6, f"{line:02d} DUPONT-LÉGER Éléonore {_LINE}")
        return len(document.output())

    figures = {}
    for name, run in (("reportlab", with_reportlab), ("fpdf2", with_fpdf2)):
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            size = run()
            timings.append(time.perf_counter() - started)
        figures[name] = {"median_seconds": round(statistics.median(timings), 3), "bytes": size}
    figures["fpdf2_over_reportlab"] = round(
        figures["fpdf2"]["median_seconds"] / figures["reportlab"]["median_seconds"], 2
    )
    return {"pages": pages, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--scan-pages", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{scratch}/bench.sqlite3", clock=SimulatedClock(NOW))
        upgrade(db)
        synthesise(db, patients=args.patients, seed=1, start=DAY)
        site = _largest_site(db)
        started = time.perf_counter()
        with db.snapshot() as session:
            data = packet_from_store(session, site, DAY, now=NOW)
        read_seconds = time.perf_counter() - started
        # Enough blank forms for a large site's day on paper: one admission per bed turnover.
        options = PacketOptions(blank_admissions=60, blank_requests=40)
        timings, printed = [], None
        for repeat in range(args.repeats):
            started = time.perf_counter()
            printed = render(
                data, ALL_PARTS, actor="bench", at=NOW, options=options, rng=random.Random(repeat)
            )
            timings.append(time.perf_counter() - started)
        assert printed is not None
        packet_seconds = statistics.median(timings)
        per_page = packet_seconds / printed.pages
        kinds = Counter(form.code.form_type.value for form in printed.issued)

        step = max(1, printed.pages // args.scan_pages)
        chosen = list(range(1, printed.pages + 1, step))[: args.scan_pages]
        expected = {form.code.form_id for form in printed.issued if form.page in set(chosen)}
        images = _scanned_pages(printed.pdf, chosen, Path(scratch))
        started = time.perf_counter()
        result = scan_files(images)
        scan_seconds = time.perf_counter() - started
        found = {item.code.form_id for item in result.codes if item.code is not None}
        db.dispose()

    figures = {
        "site": site,
        "cases": len(data.cases),
        "inpatients": len(data.inpatients),
        "sheets": len(data.sheets),
        "read_seconds": round(read_seconds, 2),
        "pages": printed.pages,
        "forms": dict(kinds),
        "packet_seconds_median": round(packet_seconds, 2),
        "packet_seconds_runs": [round(t, 2) for t in timings],
        "seconds_per_1000_pages": round(per_page * 1000, 2),
        "packet_mb": round(len(printed.pdf) / 1e6, 2),
        "scan_pages": len(chosen),
        "scan_seconds": round(scan_seconds, 2),
        "scan_pages_per_second": round(len(chosen) / scan_seconds, 1),
        "forms_expected_on_scanned_pages": len(expected),
        "forms_decoded": len(expected & found),
        "decoded_share": round(len(expected & found) / len(expected), 4),
        "codes_read": len(result.codes),
        "scan_problems": len(result.problems),
        "qr_encoders": _qr_encoders(2000),
        "pdf_libraries": _pdf_libraries(200),
        "targets": TARGETS,
    }
    inputs = {
        "patients": args.patients,
        "day": DAY.isoformat(),
        "repeats": args.repeats,
        "options": {"blank_admissions": 60, "blank_requests": 40},
        "scan_dpi": 150,
        "scan_perturbation": "rotation ±3°, blur 0.6 px, Gaussian noise σ 12, JPEG q75",
    }
    path = save("paper", inputs, figures)
    for key, value in figures.items():
        print(f"{key:>34}: {value}")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
