"""QR codes drawn as vector paths, one path per code.

One ``re`` operator per horizontal run of dark modules, written straight into the page
stream, is several times faster than a reportlab ``rect`` call per module and keeps the
PDF small; a sheet of labels repeats the same few codes, hence the cache.
"""

from functools import lru_cache

from reportlab.pdfgen.canvas import Canvas

from bascule.paper.codes import dark_runs, qr_modules
from bascule.paper.render.text import MM

QUIET_MODULES = 4
# 0.5 mm is three pixels per module on a 150 dpi scan, the least that still reads reliably.
LABEL_MODULE = 0.5 * MM
PAGE_MODULE = 0.55 * MM


@lru_cache(maxsize=2048)
def _code_path(payload: str) -> tuple[int, str]:
    """Side of the code in modules and its dark runs as PDF rectangles in module units."""
    modules = qr_modules(payload)
    rectangles = " ".join(
        f"{column} {row} {length} 1 re" for row, column, length in dark_runs(modules)
    )
    return int(modules.shape[0]), rectangles


def qr_side(payload: str, module: float) -> float:
    """Width (and height) of the code with its quiet zone, in points."""
    side, _ = _code_path(payload)
    return (side + 2 * QUIET_MODULES) * module


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, module: float) -> None:
    """Draw the code of ``payload`` whose quiet zone's lower left corner is at ``(x, y)``.

    The quiet zone is left unpainted: callers keep that square free of anything else.
    """
    side, rectangles = _code_path(payload)
    left = x + QUIET_MODULES * module
    top = y + (QUIET_MODULES + side) * module
    # Module units with rows going down, so each run is written as (column, row, length, 1).
    canvas.addLiteral(
        f"q 0 g {module:.4f} 0 0 {-module:.4f} {left:.3f} {top:.3f} cm {rectangles} f Q"
    )
