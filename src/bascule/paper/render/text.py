"""Fonts and text measurement: DejaVu Sans shipped with the package, wrapping that cuts nothing.

DejaVu covers every French character (é è ê à ç œ Œ « ») and ships with the package, so
a packet prints the same on the group server and on a crisis laptop with no fonts.
"""

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

MM = 72 / 25.4

REGULAR = "BasculeSans"
BOLD = "BasculeSans-Bold"
CONDENSED = "BasculeSansCondensed"
CONDENSED_BOLD = "BasculeSansCondensed-Bold"
_FONT_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    CONDENSED: "DejaVuSansCondensed.ttf",
    CONDENSED_BOLD: "DejaVuSansCondensed-Bold.ttf",
}
# Below this nobody reads a printout in a dim corridor; text wraps instead of shrinking more.
MIN_SIZE = 6.0
_SHRINK_STEP = 0.5


@cache
def register_fonts() -> None:
    """Load the vendored fonts into reportlab, once per process."""
    folder = files("bascule.paper") / "fonts"
    for name, file_name in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file_name)))


@dataclass(frozen=True, slots=True)
class TextStyle:
    """A font at a size."""

    font: str
    size: float

    @property
    def leading(self) -> float:
        """Distance between baselines of consecutive lines."""
        return self.size * 1.2

    def width(self, text: str) -> float:
        """Width of ``text`` in points."""
        return pdfmetrics.stringWidth(text, self.font, self.size)

    def at(self, size: float) -> "TextStyle":
        """The same font at another size."""
        return TextStyle(self.font, size)


SMALL = TextStyle(CONDENSED, 7.5)
BODY = TextStyle(REGULAR, 9)
BODY_BOLD = TextStyle(BOLD, 9)
NAME = TextStyle(BOLD, 10.5)
HEADING = TextStyle(BOLD, 11)
TITLE = TextStyle(BOLD, 15)
LARGE = TextStyle(BOLD, 13)


def _break_word(word: str, style: TextStyle, width: float) -> list[str]:
    """Pieces of a word too wide for one line: after its hyphens, else between characters."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and style.width(current + char) > width:
            cut = current.rfind("-") + 1
            if 0 < cut < len(current) and style.width(current[cut:] + char) <= width:
                pieces.append(current[:cut])
                current = current[cut:]
            else:
                pieces.append(current)
                current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, style: TextStyle, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width``; nothing is dropped."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if style.width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if style.width(word) <= width:
            current = word
        else:
            *full, current = _break_word(word, style, width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def fitted(
    text: str, style: TextStyle, width: float, max_lines: int = 1, min_size: float = MIN_SIZE
) -> tuple[TextStyle, list[str]]:
    """The largest size (down to ``min_size``) that sets ``text`` in ``max_lines`` lines.

    When even the smallest size needs more lines, every line is kept: a taller block is
    better than a name cut short.
    """
    size = style.size
    while True:
        current = style.at(size)
        lines = wrap(text, current, width)
        if len(lines) <= max_lines or size - _SHRINK_STEP < min_size:
            return current, lines
        size -= _SHRINK_STEP
