"""Helpers for the scanning tests (no tests of its own): printed pages and what a scanner does.

Pages are drawn with reportlab the way packets are, one vector rectangle per run of dark
modules, then rasterised with PDFium and spoiled the way a tired office scanner spoils
them: a skewed sheet, a blurred lens, sensor noise and JPEG compression.
"""

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bascule.paper.codes import FormCode, dark_runs, new_form_id, qr_modules
from bascule.paper.model import FormType

QUIET_MODULES = 4
PAGE_WIDTH, PAGE_HEIGHT = A4


@dataclass(frozen=True, slots=True)
class Sheet:
    """One printed page: codes in a grid of ``columns``, modules of ``module`` points.

    ``foreign`` are other QR codes on the page (a supplier's, a web address).
    """

    codes: tuple[FormCode, ...]
    columns: int
    module: float
    foreign: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        """Everything printed as a QR code on the page, in layout order."""
        return tuple(code.payload() for code in self.codes) + self.foreign


def form_codes(count: int, rng: random.Random, form_type: FormType) -> list[FormCode]:
    """``count`` codes of one site, with patients and cases as an OR list would carry."""
    return [
        FormCode(form_type, new_form_id(rng), "rennes-hu", f"P{rng.randrange(10**6):06d}", f"C{n}")
        for n in range(count)
    ]


def label_sheet(rng: random.Random) -> Sheet:
    """24 labels, three across and eight down, at the smallest module packets use."""
    return Sheet(tuple(form_codes(24, rng, FormType.LABELS)), 3, 0.5 * mm)


def or_list(rng: random.Random) -> Sheet:
    """An OR list page: its own code and one per case."""
    return Sheet(tuple(form_codes(7, rng, FormType.OR_LIST)), 2, 0.6 * mm)


def single_form(rng: random.Random, form_type: FormType = FormType.ADMISSION) -> Sheet:
    """A form with one large code in its corner."""
    return Sheet(tuple(form_codes(1, rng, form_type)), 1, 0.8 * mm)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, module: float) -> float:
    """Draw the code of ``text`` with its quiet zone from ``(x, y)`` upwards; return its side."""
    modules = qr_modules(text)
    side: float = (len(modules) + 2 * QUIET_MODULES) * module
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    top = y + side - QUIET_MODULES * module
    left = x + QUIET_MODULES * module
    rectangles = "\n".join(
        f"{left + column * module:.3f} {top - (row + 1) * module:.3f} "
        f"{length * module:.3f} {module:.3f} re"
        for row, column, length in dark_runs(modules)
    )
    canvas.addLiteral(f"q 0 g\n{rectangles}\nf\nQ")
    return side


def write_pdf(path: Path, sheets: Sequence[Sheet]) -> None:
    """A PDF with one page per sheet: codes in a grid, with form text beside each."""
    canvas = Canvas(str(path), pagesize=A4)
    margin = 12 * mm
    for sheet in sheets:
        rows = -(-len(sheet.texts) // sheet.columns)
        cell_width = (PAGE_WIDTH - 2 * margin) / sheet.columns
        cell_height = (PAGE_HEIGHT - 2 * margin) / max(rows, 1)
        for index, text in enumerate(sheet.texts):
            row, column = divmod(index, sheet.columns)
            x = margin + column * cell_width
            y = PAGE_HEIGHT - margin - (row + 1) * cell_height
            side = draw_qr(canvas, text, x, y, sheet.module)
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont("Helvetica", 7)
            for line in range(4):
                canvas.drawString(
                    x + side + 2 * mm,
                    y + side - (line + 1) * 3.5 * mm,
                    f"DUPONT Marie ligne {line}",
                )
        canvas.showPage()
    canvas.save()


def rasterise(path: Path, dpi: int) -> list[Image.Image]:
    """Every page of the PDF as a grey image, as a scanner at ``dpi`` would see clean paper."""
    document = pdfium.PdfDocument(path)
    try:
        return [
            cast(Image.Image, document[index].render(scale=dpi / 72, grayscale=True).to_pil())
            for index in range(len(document))
        ]
    finally:
        document.close()


def scanned(
    image: Image.Image,
    *,
    angle: float,
    seed: int,
    blur: float = 0.6,
    noise: float = 10.0,
    jpeg_quality: int | None = 70,
) -> Image.Image:
    """``image`` skewed by ``angle`` degrees, blurred, noisy and JPEG-compressed."""
    skewed = image.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    ).filter(ImageFilter.GaussianBlur(blur))
    levels = np.asarray(skewed, dtype=np.float32)
    levels += np.random.default_rng(seed).standard_normal(levels.shape, np.float32) * noise
    noisy = Image.fromarray(np.clip(levels, 0, 255).astype(np.uint8))
    if jpeg_quality is None:
        return noisy
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=jpeg_quality)
    buffer.seek(0)
    return Image.open(buffer)


def qr_image(text: str, pixels_per_module: int = 4) -> Image.Image:
    """A plain grey image of one code with its quiet zone, as a screenshot would have it."""
    modules = np.pad(qr_modules(text), QUIET_MODULES)
    pixels = np.where(modules, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels).resize(
        (pixels.shape[1] * pixels_per_module, pixels.shape[0] * pixels_per_module),
        Image.Resampling.NEAREST,
    )
