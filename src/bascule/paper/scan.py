"""Reading form codes back from scanned paper: every QR code of every page of PDFs and images.

Pure reading, no database: the result says which form codes each page carries and which
pages or files gave nothing usable, and the caller decides what to mark as returned.

PDFs are rasterised with PDFium (pypdfium2) and images read with Pillow, so nothing
outside the Python packages is needed; zxing-cpp finds and decodes the codes. A page where
zxing-cpp sees a code it cannot decode is read a second time at twice the size, which
recovers most codes blurred by a poor scanner; whatever stays unreadable is reported so
that a clerk types the form id instead of the form staying "out" unnoticed.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, UnidentifiedImageError

from bascule.paper.codes import FormCode, FormCodeError

TEXT_LIMIT = 200
IMAGE_FORMATS = ("PNG", "JPEG", "TIFF", "BMP")
NO_CODE = "no QR code found on this page"
UNREADABLE_CODE = (
    "a QR code on this page could not be read (damaged, smudged or scanned blurred): "
    "enter its form id by hand"
)
_PDF_MAGIC = b"%PDF-"
# PDF readers accept the header anywhere in the first kilobyte; so does this sniffing.
_HEAD_BYTES = 1024
_POINTS_PER_INCH = 72
_RETRY_SCALE = 2


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """One QR code found on a page, read as a form code when it is one."""

    source: str
    page: int
    code: FormCode | None
    text: str
    problem: str | None


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """A file or page that gave nothing usable, or a code on a page that could not be read."""

    source: str
    page: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything one scan found: the codes, the problems, and how many pages were looked at."""

    codes: tuple[ScannedCode, ...]
    problems: tuple[ScanProblem, ...]
    pages: int


class _UnreadableFileError(Exception):
    """A whole file gave nothing: missing, empty, corrupt, encrypted or of another kind."""


def scan_files(paths: Sequence[Path], dpi: int = 200) -> ScanResult:
    """Every QR code of every page of ``paths`` (PDFs rendered at ``dpi``, images as they are).

    Nothing in the input makes this fail: a file that cannot be read, a page that cannot be
    rendered, a page without any code each add a :class:`ScanProblem` and the scan goes on.
    ``pages`` counts every page looked at, including those that could not be rendered.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, not {dpi}")
    codes: list[ScannedCode] = []
    problems: list[ScanProblem] = []
    pages = 0
    for path in paths:
        source = str(path)
        try:
            for page, content in _pages(path, source, dpi):
                pages += 1
                if isinstance(content, ScanProblem):
                    problems.append(content)
                    continue
                found, trouble = scan_image(content, source, page)
                codes.extend(found)
                problems.extend(trouble)
        except _UnreadableFileError as exc:
            problems.append(ScanProblem(source, None, str(exc)))
    return ScanResult(tuple(codes), tuple(problems), pages)


def scan_image(
    image: Image.Image, source: str, page: int
) -> tuple[list[ScannedCode], list[ScanProblem]]:
    """The QR codes of one page image, each payload once, and what went wrong on the page."""
    if image.width == 0 or image.height == 0:
        return [], [ScanProblem(source, page, "empty image (no pixels)")]
    grey = _greyscale(image)
    texts, unreadable = _decode(grey)
    if unreadable:
        larger = grey.resize(
            (grey.width * _RETRY_SCALE, grey.height * _RETRY_SCALE), Image.Resampling.BICUBIC
        )
        more, unreadable = _decode(larger)
        texts |= more
    problems: list[ScanProblem] = []
    if unreadable:
        problems.append(ScanProblem(source, page, UNREADABLE_CODE))
    elif not texts:
        problems.append(ScanProblem(source, page, NO_CODE))
    return [_read_code(text, source, page) for text in texts], problems


def _decode(image: Image.Image) -> tuple[dict[str, None], bool]:
    """Distinct decoded texts in the order found (an ordered set); whether any failed."""
    barcodes = zxingcpp.read_barcodes(
        image,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        # Codes are printed dark on light paper; looking for inverted ones only costs time.
        try_invert=False,
        # A page carries many codes and text around them: not a "pure" symbol.
        is_pure=False,
        # The default (HRI) writes control characters as "<BS>" and the like.
        text_mode=zxingcpp.TextMode.Plain,
        return_errors=True,
    )
    texts: dict[str, None] = {}
    for barcode in barcodes:
        if barcode.valid:
            texts.setdefault(barcode.text)
    return texts, any(_damaged_code(barcode) for barcode in barcodes)


def _damaged_code(barcode: zxingcpp.Barcode) -> bool:
    """A code seen but not read; not the finder-like squares of comb boxes and tick
    boxes, which zxing reports as a symbol of impossible size."""
    return not barcode.valid and "Invalid symbol size" not in str(barcode.error)


def _read_code(text: str, source: str, page: int) -> ScannedCode:
    try:
        code = FormCode.parse(text)
    except FormCodeError as exc:
        return ScannedCode(source, page, None, text[:TEXT_LIMIT], str(exc))
    return ScannedCode(source, page, code, text[:TEXT_LIMIT], None)


def _greyscale(image: Image.Image) -> Image.Image:
    """An 8-bit grey copy of ``image``, transparency laid on white paper."""
    if image.mode.startswith("I") or image.mode == "F":
        # Pillow clips 16- and 32-bit values to 255 when converting, which would turn a
        # 16-bit scan white; stretch the levels instead.
        levels = np.asarray(image, dtype=np.float32)
        low, high = float(levels.min()), float(levels.max())
        scaled = (levels - low) * (255.0 / ((high - low) or 1.0))
        return Image.fromarray(scaled.astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, "white")
        return Image.alpha_composite(paper, image.convert("RGBA")).convert("L")
    return image.convert("L")


def _pages(path: Path, source: str, dpi: int) -> Iterator[tuple[int, Image.Image | ScanProblem]]:
    """Each page of the file as an image, or the reason that page cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise _UnreadableFileError(f"cannot read file: {exc.strerror or exc}") from None
    if not head:
        raise _UnreadableFileError("cannot read file: the file is empty")
    if _PDF_MAGIC in head:
        return _pdf_pages(path, source, dpi)
    return _image_pages(path, source)


def _pdf_pages(
    path: Path, source: str, dpi: int
) -> Iterator[tuple[int, Image.Image | ScanProblem]]:
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise _UnreadableFileError(_pdf_open_problem(str(exc))) from None
    # PDFium refuses to open a PDF without pages, so every open document yields a page.
    try:
        for index in range(len(document)):
            try:
                pdf_page = document[index]
                try:
                    bitmap = pdf_page.render(scale=dpi / _POINTS_PER_INCH, grayscale=True)
                finally:
                    pdf_page.close()
            except pdfium.PdfiumError as exc:
                yield index + 1, ScanProblem(source, index + 1, f"cannot render page: {exc}")
                continue
            yield index + 1, cast(Image.Image, bitmap.to_pil())
    finally:
        document.close()


def _pdf_open_problem(reason: str) -> str:
    if "password" in reason.lower():
        return "PDF is password-protected: save it without a password and scan it again"
    return f"cannot read PDF (damaged or incomplete file): {reason}"


def _image_pages(path: Path, source: str) -> Iterator[tuple[int, Image.Image | ScanProblem]]:
    try:
        image = Image.open(path, formats=IMAGE_FORMATS)
    except UnidentifiedImageError:
        raise _UnreadableFileError(
            f"not a PDF or image: {path.name} is none of PDF, {', '.join(IMAGE_FORMATS)}"
        ) from None
    except (OSError, Image.DecompressionBombError) as exc:
        raise _UnreadableFileError(f"cannot read image: {exc}") from None
    with image:
        # Multi-page TIFFs have one frame per page; other formats have one.
        for index in range(getattr(image, "n_frames", 1)):
            try:
                image.seek(index)
                image.load()
            except (OSError, EOFError, ValueError) as exc:
                yield index + 1, ScanProblem(source, index + 1, f"cannot read image: {exc}")
                continue
            yield index + 1, image
