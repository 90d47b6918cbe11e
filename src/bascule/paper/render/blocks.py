"""Measured blocks of content and the table rows made of them.

A block knows its height before it is drawn, so a part can decide whether a row still fits
on the page (or starts a new one) before anything is painted.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from reportlab.pdfgen.canvas import Canvas

from bascule.paper.render.qr import draw_qr, qr_side
from bascule.paper.render.text import MIN_SIZE, MM, SMALL, TextStyle, fitted, wrap

# Baseline of a line sits this far (in font sizes) below the top of its line box.
_ASCENT = 0.95
_INVERSE_PAD = 1.0 * MM
CELL_PAD = 1.2 * MM
_HEADER_GREY = 0.85
GRID_WIDTH = 0.6


class Block(Protocol):
    """Something drawn top-down in a column of a given width."""

    @property
    def height(self) -> float:
        """Height in points, known before drawing."""
        ...

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Paint the block with its top left corner at ``(x, top)``."""
        ...


@dataclass(frozen=True, slots=True)
class Lines:
    """Lines of text in one style; ``inverse`` sets them white on black (allergies, P1)."""

    lines: tuple[str, ...]
    style: TextStyle
    inverse: bool = False
    grey: float = 0.0

    @property
    def height(self) -> float:
        """Line boxes, plus the black margin of an inverse block."""
        padding = 2 * _INVERSE_PAD if self.inverse else 0.0
        return len(self.lines) * self.style.leading + padding

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Paint the lines, left aligned."""
        if not self.lines:
            return
        canvas.saveState()
        if self.inverse:
            canvas.setFillGray(0)
            canvas.rect(x, top - self.height, width, self.height, stroke=0, fill=1)
            canvas.setFillGray(1)
            x += _INVERSE_PAD
            top -= _INVERSE_PAD
        else:
            canvas.setFillGray(self.grey)
        canvas.setFont(self.style.font, self.style.size)
        baseline = top - _ASCENT * self.style.size
        for line in self.lines:
            canvas.drawString(x, baseline, line)
            baseline -= self.style.leading
        canvas.restoreState()


def paragraph(
    text: str,
    style: TextStyle,
    width: float,
    *,
    inverse: bool = False,
    max_lines: int = 0,
    min_size: float = MIN_SIZE,
    grey: float = 0.0,
) -> Lines:
    """``text`` wrapped to ``width``; with ``max_lines``, shrunk (to ``min_size``) to fit them."""
    inner = width - 2 * _INVERSE_PAD if inverse else width
    if max_lines:
        style, lines = fitted(text, style, inner, max_lines, min_size)
    else:
        lines = wrap(text, style, inner)
    return Lines(tuple(lines), style, inverse, grey)


@dataclass(frozen=True, slots=True)
class Blank:
    """An empty box for a missing value, to be filled by hand."""

    height: float

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Outline the box across the width."""
        canvas.saveState()
        canvas.setLineWidth(0.5)
        canvas.rect(x, top - self.height, width, self.height)
        canvas.restoreState()


@dataclass(frozen=True, slots=True)
class LabelledBlank:
    """``label`` followed by an empty box over the rest of the width."""

    label: str
    style: TextStyle

    @property
    def height(self) -> float:
        """One line of the label's style, and a bit of room to write."""
        return self.style.leading + 1.5

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Label, then the box."""
        canvas.setFont(self.style.font, self.style.size)
        canvas.drawString(x, top - _ASCENT * self.style.size - 0.75, self.label)
        start = x + self.style.width(self.label) + 2
        canvas.saveState()
        canvas.setLineWidth(0.5)
        canvas.rect(start, top - self.height, max(x + width - start, 4 * MM), self.height)
        canvas.restoreState()


def field(label: str, value: str | None, style: TextStyle, width: float) -> Block:
    """``label value``, or ``label`` and an empty box when the value is missing."""
    if not value:
        return LabelledBlank(label, style)
    return paragraph(f"{label} {value}".strip(), style, width)


def text_or_blank(value: str | None, style: TextStyle, width: float, height: float = 0) -> Block:
    """The value wrapped to ``width``, or an empty box when it is missing."""
    if not value:
        return Blank(height or style.leading)
    return paragraph(value, style, width)


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code with its quiet zone, left aligned."""

    payload: str
    module: float

    @property
    def height(self) -> float:
        """Side of the code with its quiet zone."""
        return qr_side(self.payload, self.module)

    def draw(self, canvas: Canvas, x: float, top: float, _width: float, /) -> None:
        """Paint the code."""
        draw_qr(canvas, self.payload, x, top - self.height, self.module)


@dataclass(frozen=True, slots=True)
class WriteIn:
    """A small label and a box to write a value by hand (a time, initials)."""

    label: str
    box_width: float
    box_height: float = 5.5 * MM

    @property
    def height(self) -> float:
        """The box and a little space under it."""
        return self.box_height + 1.0

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Label on the left, box on the right of the column."""
        canvas.setFont(SMALL.font, SMALL.size)
        canvas.drawString(x, top - self.box_height / 2 - SMALL.size / 3, self.label)
        canvas.saveState()
        canvas.setLineWidth(0.6)
        canvas.rect(
            x + width - self.box_width, top - self.box_height, self.box_width, self.box_height
        )
        canvas.restoreState()


@dataclass(frozen=True, slots=True)
class Stack:
    """Blocks one under the other."""

    blocks: tuple[Block, ...]
    spacing: float = 0.8 * MM

    @property
    def height(self) -> float:
        """Sum of the blocks and the space between them."""
        if not self.blocks:
            return 0.0
        return sum(block.height for block in self.blocks) + self.spacing * (len(self.blocks) - 1)

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Paint each block in turn."""
        for block in self.blocks:
            block.draw(canvas, x, top, width)
            top -= block.height + self.spacing


def stack(*blocks: Block, spacing: float = 0.8 * MM) -> Stack:
    """A :class:`Stack` of the given blocks."""
    return Stack(blocks, spacing)


@dataclass(frozen=True, slots=True)
class Beside:
    """Blocks side by side, each in its own width; ``gap`` between them."""

    parts: tuple[tuple[float, Block], ...]
    gap: float = 4 * MM

    @property
    def height(self) -> float:
        """Height of the tallest part."""
        return max((block.height for _, block in self.parts), default=0.0)

    def draw(self, canvas: Canvas, x: float, top: float, _width: float, /) -> None:
        """Each part at its place; widths are fixed at construction."""
        for part_width, block in self.parts:
            block.draw(canvas, x, top, part_width)
            x += part_width + self.gap


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its heading, width in points and the weight of its left rule."""

    title: str
    width: float
    left_rule: float = GRID_WIDTH

    @property
    def inner(self) -> float:
        """Width available to a cell's content."""
        return self.width - 2 * CELL_PAD


def row_height(cells: Sequence[Block], minimum: float = 0.0) -> float:
    """Height of a table row holding ``cells``."""
    return max(minimum, max((cell.height for cell in cells), default=0.0) + 2 * CELL_PAD)


def draw_row(
    canvas: Canvas,
    columns: Sequence[Column],
    cells: Sequence[Block],
    x: float,
    top: float,
    *,
    height: float,
    rule_above: float = GRID_WIDTH,
) -> None:
    """Paint one row: the cells and the grid around them (a heavier rule above if asked)."""
    canvas.saveState()
    left = x
    for column, cell in zip(columns, cells, strict=True):
        canvas.setLineWidth(column.left_rule)
        canvas.line(left, top, left, top - height)
        cell.draw(canvas, left + CELL_PAD, top - CELL_PAD, column.inner)
        left += column.width
    canvas.setLineWidth(GRID_WIDTH)
    canvas.line(left, top, left, top - height)
    canvas.line(x, top - height, left, top - height)
    canvas.setLineWidth(rule_above)
    canvas.line(x, top, left, top)
    canvas.restoreState()


def _header_cells(columns: Sequence[Column], style: TextStyle) -> list[Block]:
    """Column headings as cells."""
    return [paragraph(column.title, style, column.inner, max_lines=2) for column in columns]


def draw_header_row(
    canvas: Canvas, columns: Sequence[Column], x: float, top: float, style: TextStyle
) -> float:
    """Paint the heading row on a grey band; returns its height."""
    cells = _header_cells(columns, style)
    height = row_height(cells)
    canvas.saveState()
    canvas.setFillGray(_HEADER_GREY)
    canvas.rect(x, top - height, sum(column.width for column in columns), height, stroke=0, fill=1)
    canvas.restoreState()
    draw_row(canvas, columns, cells, x, top, height=height)
    return height


def draw_band(
    canvas: Canvas, spans: Sequence[tuple[str, float]], x: float, top: float, style: TextStyle
) -> float:
    """Titles centred over groups of columns, as ``(title, width)``; returns the band's height.

    A span with no title is left open (no frame), e.g. above a first column of names.
    """
    height = style.leading + 2 * CELL_PAD
    canvas.saveState()
    canvas.setLineWidth(GRID_WIDTH)
    left = x
    for title, width in spans:
        if title:
            canvas.setFillGray(_HEADER_GREY)
            canvas.rect(left, top - height, width, height, stroke=1, fill=1)
            canvas.setFillGray(0)
            title_style, _ = fitted(title, style, width - 2 * CELL_PAD)
            canvas.setFont(title_style.font, title_style.size)
            baseline = top - CELL_PAD - _ASCENT * title_style.size
            canvas.drawCentredString(left + width / 2, baseline, title)
        left += width
    canvas.restoreState()
    return height
