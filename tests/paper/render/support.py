"""Rendering a test packet and reading it back: text, character boxes, QR codes."""

import random
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp

from bascule.paper.codes import FormCode
from bascule.paper.issuing import FormIssuer
from bascule.paper.model import PacketData, PacketPart
from bascule.paper.render import PacketOptions, render_packet
from tests.paper.render.packets import PRINTED_AT, PRINTED_BY, SITE_ID

SCAN_DPI = 150


@dataclass(frozen=True)
class Rendered:
    """A rendered packet and what its issuer handed out."""

    pdf: bytes
    issuer: FormIssuer

    def document(self) -> pdfium.PdfDocument:
        """The PDF opened with pdfium."""
        return pdfium.PdfDocument(self.pdf)


def render(
    data: PacketData,
    parts: Sequence[PacketPart] = tuple(PacketPart),
    options: PacketOptions = PacketOptions(),
    seed: int = 7,
) -> Rendered:
    """Render ``parts`` of ``data`` with a seeded issuer."""
    issuer = FormIssuer(SITE_ID, rng=random.Random(seed))
    pdf = render_packet(
        data, parts, issuer, printed_at=PRINTED_AT, printed_by=PRINTED_BY, options=options
    )
    return Rendered(pdf, issuer)


def page_texts(pdf: bytes) -> list[str]:
    """The text of every page, as pdfium extracts it."""
    document = pdfium.PdfDocument(pdf)
    return [page.get_textpage().get_text_range() for page in document]


def flat(text: str) -> str:
    """``text`` without any white space, to compare across line breaks.

    pdfium reports a hyphen that ends a line as U+FFFE (it takes it for a soft hyphen).
    """
    return "".join(text.replace("\ufffe", "-").split())


def char_boxes(page: pdfium.PdfPage) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every printed character of a page and its box (left, bottom, right, top) in points."""
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    boxes = []
    for index in range(textpage.count_chars()):
        char = text[index] if index < len(text) else ""
        if char.strip():
            boxes.append((char, textpage.get_charbox(index)))
    return boxes


def decode_pages(pdf: bytes) -> list[list[FormCode]]:
    """The form codes read from every page scanned at :data:`SCAN_DPI`."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        image = page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil()
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        pages.append([FormCode.parse(barcode.text) for barcode in found])
    return pages
