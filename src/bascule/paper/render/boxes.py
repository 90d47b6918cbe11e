"""Places to write by hand: comb boxes (one character each), tick boxes, ruled lines.

Comb boxes make handwriting legible to the clerk who types it back in: one capital
per box, no guessing where a name ends or whether a stroke is a 1 or a 7.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from bascule.paper.render.text import CONDENSED, MM, REGULAR, TextStyle

FORM_LABEL = TextStyle(CONDENSED, 7.5)
FORM_TEXT = TextStyle(REGULAR, 9)

COMB_WIDTH = 5 * MM
COMB_HEIGHT = 6.5 * MM
TICK_SIDE = 3.2 * MM
_GROUP_GAP = 2.5 * MM
_TICK_LABEL_GAP = 1.2 * MM
_TICK_GAP = 4 * MM
_COMB_ROW_GAP = 6 * MM
_LINE_WIDTH = 0.6
# Handwriting needs about 7 mm between lines.
_RULED_SPACING = 7 * MM


def _comb_width(groups: Sequence[int]) -> float:
    """Width of a comb made of ``groups`` of boxes separated by small gaps."""
    return sum(groups) * COMB_WIDTH + _GROUP_GAP * (len(groups) - 1)


def draw_comb(canvas: Canvas, x: float, top: float, groups: Sequence[int]) -> None:
    """Draw ``groups`` of character boxes, e.g. ``(2, 2, 4)`` for a date."""
    canvas.saveState()
    canvas.setLineWidth(_LINE_WIDTH)
    left = x
    for count in groups:
        canvas.rect(left, top - COMB_HEIGHT, count * COMB_WIDTH, COMB_HEIGHT)
        for index in range(1, count):
            # Short separators keep the comb open at the top: easier to write in.
            divider = left + index * COMB_WIDTH
            canvas.line(divider, top - COMB_HEIGHT, divider, top - COMB_HEIGHT * 0.45)
        left += count * COMB_WIDTH + _GROUP_GAP
    canvas.restoreState()


def _tick_width(label: str, style: TextStyle) -> float:
    return TICK_SIDE + _TICK_LABEL_GAP + style.width(label)


def tick_boxes_width(labels: Sequence[str], style: TextStyle) -> float:
    """Width :func:`tick_boxes` takes for ``labels``."""
    return sum(_tick_width(label, style) for label in labels) + _TICK_GAP * (len(labels) - 1)


def tick_boxes(
    canvas: Canvas, x: float, baseline: float, labels: Sequence[str], style: TextStyle
) -> None:
    """Squares to tick, each followed by its label, side by side."""
    left = x
    canvas.setFont(style.font, style.size)
    for label in labels:
        canvas.saveState()
        canvas.setLineWidth(_LINE_WIDTH)
        canvas.rect(left, baseline - 0.5, TICK_SIDE, TICK_SIDE)
        canvas.restoreState()
        canvas.drawString(left + TICK_SIDE + _TICK_LABEL_GAP, baseline, label)
        left += _tick_width(label, style) + _TICK_GAP


def write_line(
    canvas: Canvas, x: float, baseline: float, width: float, *, label: str, style: TextStyle
) -> None:
    """``label`` then a ruled line to write on, up to ``x + width``."""
    canvas.setFont(style.font, style.size)
    canvas.drawString(x, baseline, label)
    start = x + style.width(label) + 1 * MM if label else x
    canvas.saveState()
    canvas.setLineWidth(0.4)
    canvas.setDash(1, 1.5)
    canvas.line(start, baseline - 0.8, x + width, baseline - 0.8)
    canvas.restoreState()


@dataclass(frozen=True, slots=True)
class Comb:
    """A labelled comb: the label above, the character boxes under it."""

    label: str
    groups: tuple[int, ...]

    @property
    def width(self) -> float:
        """Width of the boxes (the label may be wider)."""
        return _comb_width(self.groups)


@dataclass(frozen=True, slots=True)
class CombRow:
    """Labelled combs side by side."""

    combs: tuple[Comb, ...]

    @property
    def height(self) -> float:
        """Label line and boxes."""
        return FORM_LABEL.leading + COMB_HEIGHT + 0.5 * MM

    def draw(self, canvas: Canvas, x: float, top: float, _width: float, /) -> None:
        """Each label above its comb, left to right."""
        left = x
        canvas.setFont(FORM_LABEL.font, FORM_LABEL.size)
        for comb in self.combs:
            canvas.drawString(left, top - FORM_LABEL.size, comb.label)
            draw_comb(canvas, left, top - FORM_LABEL.leading - 0.5 * MM, comb.groups)
            left += max(comb.width, FORM_LABEL.width(comb.label)) + _COMB_ROW_GAP


def filling_comb(label: str, width: float) -> Comb:
    """A comb with as many boxes as fit in ``width`` (a name, an address)."""
    return Comb(label, (int(width // COMB_WIDTH),))


@dataclass(frozen=True, slots=True)
class TickRow:
    """A label followed by choices to tick."""

    label: str
    choices: tuple[str, ...]
    style: TextStyle = FORM_TEXT

    @property
    def height(self) -> float:
        """One line with room around the boxes."""
        return self.style.leading + 1.5 * MM

    def draw(self, canvas: Canvas, x: float, top: float, _width: float, /) -> None:
        """Label, then the boxes."""
        baseline = top - self.style.size - 0.75 * MM
        left = x
        if self.label:
            canvas.setFont(self.style.font, self.style.size)
            canvas.drawString(x, baseline, self.label)
            left += self.style.width(self.label) + 3 * MM
        tick_boxes(canvas, left, baseline, self.choices, self.style)


@dataclass(frozen=True, slots=True)
class RuledLines:
    """A label and ``count`` dotted lines to write on."""

    label: str
    count: int = 1

    @property
    def height(self) -> float:
        """The lines, evenly spaced."""
        return self.count * _RULED_SPACING

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """The label starts the first line."""
        baseline = top - _RULED_SPACING + 1.5 * MM
        for index in range(self.count):
            label = self.label if index == 0 else ""
            write_line(canvas, x, baseline, width, label=label, style=FORM_TEXT)
            baseline -= _RULED_SPACING


@dataclass(frozen=True, slots=True)
class SignatureBox:
    """A framed space to sign or stick a label in, its caption at the top left."""

    caption: str
    height: float

    def draw(self, canvas: Canvas, x: float, top: float, width: float, /) -> None:
        """Frame and caption."""
        canvas.saveState()
        canvas.setLineWidth(0.8)
        canvas.rect(x, top - self.height, width, self.height)
        canvas.restoreState()
        canvas.setFont(FORM_LABEL.font, FORM_LABEL.size)
        canvas.drawString(x + 1 * MM, top - FORM_LABEL.size - 0.8 * MM, self.caption)
