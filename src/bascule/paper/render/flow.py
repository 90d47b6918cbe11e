"""Content flowing down the pages of one document: sections, tables, label/value grids.

A document that runs out of room continues on a new page, which is a new form of the
same kind (its own code, a "(suite)" title) so every sheet scanned alone says what it is.
"""

from collections.abc import Callable, Sequence

from bascule.paper.render.blocks import (
    Beside,
    Block,
    Column,
    draw_band,
    draw_header_row,
    draw_row,
    paragraph,
    row_height,
)
from bascule.paper.render.boxes import SignatureBox
from bascule.paper.render.page import Body
from bascule.paper.render.text import BODY_BOLD, CONDENSED_BOLD, HEADING, MM, SMALL, TextStyle

_TABLE_HEADING = TextStyle(CONDENSED_BOLD, 8)
_BAND = TextStyle(CONDENSED_BOLD, 10)
_LABEL_WIDTH = 34 * MM
_SIGNATURE_HEIGHT = 16 * MM


class Flow:
    """Places blocks one under the other, opening a continuation page when one is full."""

    def __init__(self, start: Callable[[bool], Body]) -> None:
        """``start(continued)`` opens a page of the document and returns its body."""
        self._start = start
        self.body = start(False)

    def place(self, block: Block, spacing: float = 2 * MM) -> None:
        """Draw ``block`` across the width, on a new page if it does not fit here."""
        if not self.body.fits(block.height):
            self.body = self._start(True)
        self.body.place(block, spacing)

    def heading(self, title: str, keep: float = 10 * MM) -> None:
        """A section heading, moved to a new page with the first ``keep`` points that follow."""
        block = paragraph(title, HEADING, self.body.width)
        if not self.body.fits(block.height + 1 * MM + keep):
            self.body = self._start(True)
        self.body.place(block, 1 * MM)

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Block]],
        *,
        heading: bool = True,
        band: Sequence[tuple[str, float]] = (),
        min_row: float = 0.0,
        spacing: float = 3 * MM,
    ) -> None:
        """Rows under a heading row repeated on every page the table runs onto.

        ``band`` adds titles spanning several columns above the heading row (days over
        their time slots), as ``(title, width)`` pairs.
        """
        canvas = self.body.canvas

        def draw_heading() -> None:
            if band:
                self.body.y -= draw_band(canvas, band, self.body.left, self.body.y, _BAND)
            if heading:
                self.body.y -= draw_header_row(
                    canvas, columns, self.body.left, self.body.y, _TABLE_HEADING
                )

        draw_heading()
        for cells in rows:
            height = row_height(cells, min_row)
            if not self.body.fits(height):
                self.body = self._start(True)
                canvas = self.body.canvas
                draw_heading()
            draw_row(canvas, columns, cells, self.body.left, self.body.y, height=height)
            self.body.y -= height
        self.body.y -= spacing

    def pairs(
        self, pairs: Sequence[tuple[str, str | None]], value_style: TextStyle = BODY_BOLD
    ) -> None:
        """Label/value pairs, two to a row; a missing value leaves its cell empty."""
        per_row = 2
        value_width = (self.body.width - per_row * _LABEL_WIDTH) / per_row
        columns = [
            Column("", width) for _ in range(per_row) for width in (_LABEL_WIDTH, value_width)
        ]
        rows: list[list[Block]] = []
        for start in range(0, len(pairs), per_row):
            cells: list[Block] = []
            chunk = list(pairs[start : start + per_row])
            chunk += [("", "")] * (per_row - len(chunk))
            for index, (label, value) in enumerate(chunk):
                # A missing value leaves its cell empty: the cell is the box to fill in.
                cells.append(paragraph(label, SMALL, columns[2 * index].inner))
                cells.append(paragraph(value or "", value_style, columns[2 * index + 1].inner))
            rows.append(cells)
        self.table(columns, rows, heading=False, min_row=7 * MM)


def signatures(flow: Flow, captions: tuple[str, ...]) -> None:
    """Framed signature spaces side by side across the width."""
    gap = 4 * MM
    share = (flow.body.width - gap * (len(captions) - 1)) / len(captions)
    boxes = tuple((share, SignatureBox(caption, _SIGNATURE_HEIGHT)) for caption in captions)
    flow.place(Beside(boxes, gap))
