"""Gantt charts of a site's theatres over the horizon, before and after re-planning.

One row per theatre, one block per day. A day block is as wide as the longest opening (or
use) of any theatre of the site that day, so both views of a site share one layout and can
be compared side by side. Cases are drawn end to end from the opening in start order, as
wide as their minutes: solvers need not fix clock times, and what matters in a crisis is
what fits. The drawing is laid out once as boxes and texts, then written as SVG by hand or
painted with Pillow in the vendored DejaVu font, so the two outputs cannot drift apart.
"""

import io
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

from bascule.domain.cases import SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.planning.explain import DEFAULT_LANGUAGE, format_day
from bascule.planning.plan import Action, Plan
from bascule.planning.problem import Problem

View = Literal["before", "after"]
Outline = Literal["", "leaving", "moved", "redirected"]
"""How a case bar is outlined: not at all, or as leaving, moved in or redirected in."""

WIDTH = 2000
"""Pixels across: 14 days of 12 theatres stay readable when zoomed."""
_MARGIN = 16
_LABELS = 150
_TITLE = 44
_DAY_HEADER = 30
_ROW = 36
_LEGEND = 64
_MIN_DAY = 46
_GAP = 4

PRIORITY_COLOURS = {
    PriorityClass.P1A: "#d55e00",
    PriorityClass.P1B: "#e69f00",
    PriorityClass.P2: "#f0e442",
    PriorityClass.P3: "#56b4e9",
    PriorityClass.P4: "#009e73",
}
"""Okabe-Ito colours: told apart with the common colour-vision deficiencies."""
_NOT_OPEN = "#f0f0f0"
_OPEN = "#ffffff"
_LOST = "#bdbdbd"
_HATCH = "#c62828"
_GRID = "#e6e6e6"
_INK = "#000000"
_REDIRECTED = "#6a3d9a"

_ARRIVALS: dict[Action, Outline] = {Action.MOVE: "moved", Action.REDIRECT: "redirected"}
_OUTLINES = {"leaving": _INK, "moved": _INK, "redirected": _REDIRECTED}

_WORDS = {
    "fr": {
        "before": "avant re-planification (programme initial sous la perturbation)",
        "after": "après re-planification",
        "dates": "du {first} au {last}",
        "closed": "salle fermée",
        "lost": "capacité perdue",
        "not_open": "hors ouverture",
        "leaving": "quitte ce créneau",
        "moved": "déplacé ici ou programmé",
        "redirected": "réorienté ici",
        "note": "Cas mis bout à bout depuis l'ouverture ; largeur = durée ; 1 h = {hour} px.",
    },
    "en": {
        "before": "before re-planning (original bookings under the disruption)",
        "after": "after re-planning",
        "dates": "{first} to {last}",
        "closed": "theatre closed",
        "lost": "lost capacity",
        "not_open": "not open",
        "leaving": "leaves this slot",
        "moved": "moved in or booked",
        "redirected": "redirected in",
        "note": "Cases end to end from opening; width = duration; 1 h = {hour} px.",
    },
}


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str = ""
    stroke_width: float = 0.0
    hatch: bool = False
    case_id: str = ""
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class _Text:
    x: float
    y: float
    """Vertical middle of the text."""
    text: str
    size: int
    bold: bool = False
    anchor: Literal["start", "middle"] = "start"


@dataclass(frozen=True, slots=True)
class _Bar:
    case: SurgicalCase
    minutes: int
    outline: Outline


@dataclass(frozen=True, slots=True)
class _Drawing:
    width: int
    height: int
    items: tuple[_Box | _Text, ...]


def gantt_svg(
    problem: Problem,
    plan: Plan,
    site_id: str,
    which: View = "after",
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """The chart of ``site_id`` as a standalone SVG document."""
    drawing = _layout(problem, plan, site_id, which, lang)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{drawing.width}" '
        f'height="{drawing.height}" viewBox="0 0 {drawing.width} {drawing.height}" '
        'font-family="DejaVu Sans, Verdana, sans-serif">',
        '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{_HATCH}" stroke-width="3"/>'
        "</pattern></defs>",
    ]
    for item in drawing.items:
        out.append(_svg_text(item) if isinstance(item, _Text) else _svg_box(item))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_box(box: _Box) -> str:
    fill = "url(#hatch)" if box.hatch else box.fill
    stroke, inset = "", 0.0
    if box.stroke:
        # SVG centres a stroke on the edge; inset it to stay inside, as Pillow draws it.
        stroke = f' stroke="{box.stroke}" stroke-width="{box.stroke_width:g}"'
        inset = min(box.stroke_width / 2, box.w / 2, box.h / 2)
    x, y, w, h = box.x + inset, box.y + inset, box.w - 2 * inset, box.h - 2 * inset
    rect = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
    rect += f'fill="{fill}"{stroke}/>'
    if not box.case_id:
        return rect
    return (
        f'<g class="case" data-case={quoteattr(box.case_id)}>'
        f"<title>{escape(box.tooltip)}</title>{rect}</g>"
    )


def _svg_text(text: _Text) -> str:
    weight = ' font-weight="bold"' if text.bold else ""
    return (
        f'<text x="{text.x:.1f}" y="{text.y:.1f}" font-size="{text.size}"{weight} '
        f'text-anchor="{text.anchor}" dominant-baseline="central">{escape(text.text)}</text>'
    )


def gantt_png(
    problem: Problem,
    plan: Plan,
    site_id: str,
    which: View = "after",
    lang: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The same chart as ``gantt_svg``, painted as a PNG image."""
    drawing = _layout(problem, plan, site_id, which, lang)
    image = Image.new("RGB", (drawing.width, drawing.height), _OPEN)
    draw = ImageDraw.Draw(image)
    for item in drawing.items:
        if isinstance(item, _Text):
            anchor = "mm" if item.anchor == "middle" else "lm"
            draw.text((item.x, item.y), item.text, _INK, _font(item.size, item.bold), anchor)
            continue
        left, top = round(item.x), round(item.y)
        right, bottom = round(item.x + item.w), round(item.y + item.h)
        if right <= left or bottom <= top:
            continue
        if item.hatch:
            image.paste(_hatch(right - left, bottom - top), (left, top))
        else:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=item.fill)
        if item.stroke:
            draw.rectangle(
                (left, top, right - 1, bottom - 1),
                outline=item.stroke,
                width=max(1, round(item.stroke_width)),
            )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    with (files("bascule.paper") / "fonts" / name).open("rb") as stream:
        return ImageFont.truetype(io.BytesIO(stream.read()), size)


def _hatch(width: int, height: int) -> Image.Image:
    tile = Image.new("RGB", (width, height), _OPEN)
    draw = ImageDraw.Draw(tile)
    for offset in range(-height, width, 8):
        draw.line((offset, height, offset + height, 0), fill=_HATCH, width=3)
    return tile


def _fit(text: str, size: int, room: float, bold: bool = False, keep_end: bool = False) -> str:
    """``text`` cut with an ellipsis to ``room`` pixels (its end kept if ``keep_end``, as
    case ids differ by their last characters); empty when nothing readable fits."""
    font = _font(size, bold)
    if font.getlength(text) <= room:
        return text
    for keep in range(len(text) - 1, 1, -1):
        cut = "…" + text[-keep:] if keep_end else text[:keep] + "…"
        if font.getlength(cut) <= room:
            return cut
    return ""


def _bars(
    problem: Problem, plan: Plan, site_id: str, which: View
) -> dict[tuple[str, int], list[_Bar]]:
    """Cases per (theatre, day index) of the site, in start order."""
    placed: defaultdict[tuple[str, int], list[tuple[int, str, _Bar]]] = defaultdict(list)
    for case in problem.cases:
        decision = plan.decision(case.id)
        if which == "before":
            booking = case.booking
            if booking is None or case.site_id != site_id:
                continue
            day, theatre_id, start = booking.day, booking.theatre_id, booking.start_minute
            outline: Outline = "" if decision.action is Action.KEEP else "leaving"
        else:
            slot = decision.slot
            if slot is None or slot.site_id != site_id:
                continue
            day, theatre_id, start = slot.day, slot.theatre_id, slot.start_minute
            outline = _ARRIVALS.get(decision.action, "")
        bar = _Bar(case, problem.duration(case, site_id, day), outline)
        placed[theatre_id, problem.index(day)].append((start, case.id, bar))
    return {key: [bar for *_, bar in sorted(bars)] for key, bars in placed.items()}


def _layout(problem: Problem, plan: Plan, site_id: str, which: View, lang: str) -> _Drawing:
    if lang not in _WORDS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(sorted(_WORDS))}")
    if which not in ("before", "after"):
        raise ValueError(f"view {which!r}: expected 'before' or 'after'")
    words = _WORDS[lang]
    site = problem.site(site_id)
    theatres = problem.theatres_of(site_id)
    views = {view: _bars(problem, plan, site_id, view) for view in ("before", "after")}
    bars = views[which]
    # Both views get the same day widths, so that they can be compared side by side.
    spans = [
        max(
            [problem.nominal_minutes(theatre.id, problem.day(index)) for theatre in theatres]
            + [
                sum(bar.minutes for bar in view.get((theatre.id, index), ()))
                for view in views.values()
                for theatre in theatres
            ]
            + [0]
        )
        for index in range(problem.days)
    ]
    room = WIDTH - 2 * _MARGIN - _LABELS - _GAP * problem.days - _MIN_DAY * problem.days
    scale = room / sum(spans) if sum(spans) else 0.0
    items: list[_Box | _Text] = []
    first, last = problem.start, problem.day(problem.days - 1)
    dates = words["dates"].format(
        first=format_day(first, lang), last=f"{format_day(last, lang)} {last.year}"
    )
    title = _fit(f"{site.name} — {words[which]} — {dates}", 20, WIDTH - 2 * _MARGIN, bold=True)
    items.append(_Text(_MARGIN, _MARGIN + 12, title, 20, bold=True))
    top = _MARGIN + _TITLE
    rows_top = top + _DAY_HEADER
    for row, theatre in enumerate(theatres):
        y = rows_top + row * _ROW
        items.append(_Text(_MARGIN, y + _ROW / 2, _fit(theatre.name, 13, _LABELS - 8), 13))
    x = float(_MARGIN + _LABELS)
    for index, span in enumerate(spans):
        day = problem.day(index)
        width = _MIN_DAY + span * scale
        label = _day_label(day, lang, width - 4)
        items.append(replace(label, x=x + width / 2, y=top + _DAY_HEADER / 2))
        for row, theatre in enumerate(theatres):
            items.extend(
                _cell(
                    problem,
                    theatre.id,
                    day,
                    bars.get((theatre.id, index), []),
                    x=x,
                    y=rows_top + row * _ROW,
                    width=width,
                    scale=scale,
                )
            )
        x += width + _GAP
    items.extend(_legend(words, which, rows_top + len(theatres) * _ROW + 12, scale))
    height = rows_top + len(theatres) * _ROW + 12 + _LEGEND
    return _Drawing(WIDTH, height, tuple(items))


def _day_label(day: date, lang: str, room: float) -> _Text:
    """The whole date, else without its month, else smaller, else the day of the month (the
    text is placed at the origin; the caller moves it)."""
    full = format_day(day, lang)
    short = full.rsplit(" ", 1)[0]
    for text, size, bold in ((full, 13, True), (short, 13, True), (short, 10, False)):
        if _fit(text, size, room, bold) == text:
            return _Text(0, 0, text, size, bold, "middle")
    return _Text(0, 0, str(day.day), 13, True, "middle")


def _cell(
    problem: Problem,
    theatre_id: str,
    day: date,
    bars: list[_Bar],
    *,
    x: float,
    y: float,
    width: float,
    scale: float,
) -> list[_Box | _Text]:
    """One theatre-day: opening, lost capacity or closure, hour marks and the cases."""
    nominal = problem.nominal_minutes(theatre_id, day)
    capacity = problem.capacity(theatre_id, day)
    items: list[_Box | _Text] = [_Box(x, y + 1, width, _ROW - 2, _NOT_OPEN)]
    if nominal:
        items.append(_Box(x, y + 1, nominal * scale, _ROW - 2, _OPEN))
        if capacity == 0:
            items.append(_Box(x, y + 1, nominal * scale, _ROW - 2, _OPEN, hatch=True))
        elif capacity < nominal:
            lost = (nominal - capacity) * scale
            items.append(_Box(x + capacity * scale, y + 1, lost, _ROW - 2, _LOST))
        items.extend(
            _Box(x + minute * scale, y + 1, 1, _ROW - 2, _GRID)
            for minute in range(60, capacity, 60)
        )
    left = x
    for bar in bars:
        w = bar.minutes * scale
        stroke = _OUTLINES.get(bar.outline, "")
        # A thick outline would swallow a short case whole.
        stroke_width = min(3.0, max(1.0, w / 5)) if stroke else 1.0
        tip = f"{bar.case.id} · {bar.case.priority.value} · {bar.minutes} min"
        items.append(
            _Box(
                left,
                y + 5,
                w,
                _ROW - 10,
                PRIORITY_COLOURS[bar.case.priority],
                stroke or _OPEN,
                stroke_width,
                case_id=bar.case.id,
                tooltip=tip,
            )
        )
        for size, padding in ((11, 6), (8, 3)):
            label = _fit(bar.case.id, size, w - padding, keep_end=True)
            if label:
                items.append(_Text(left + w / 2, y + _ROW / 2, label, size, anchor="middle"))
                break
        left += w
    return items


def _legend(words: dict[str, str], which: View, y: float, scale: float) -> list[_Box | _Text]:
    entries: list[tuple[_Box, str]] = [
        (_Box(0, 0, 28, 16, colour), priority.value)
        for priority, colour in PRIORITY_COLOURS.items()
    ]
    entries += [
        (_Box(0, 0, 28, 16, _OPEN, hatch=True), words["closed"]),
        (_Box(0, 0, 28, 16, _LOST), words["lost"]),
        (_Box(0, 0, 28, 16, _NOT_OPEN, _INK, 1.0), words["not_open"]),
    ]
    if which == "before":
        entries.append((_Box(0, 0, 28, 16, _OPEN, _INK, 3.0), words["leaving"]))
    else:
        entries.append((_Box(0, 0, 28, 16, _OPEN, _INK, 3.0), words["moved"]))
        entries.append((_Box(0, 0, 28, 16, _OPEN, _REDIRECTED, 3.0), words["redirected"]))
    items: list[_Box | _Text] = []
    x = float(_MARGIN)
    for swatch, label in entries:
        items.append(
            _Box(
                x,
                y,
                swatch.w,
                swatch.h,
                swatch.fill,
                swatch.stroke,
                swatch.stroke_width,
                swatch.hatch,
            )
        )
        items.append(_Text(x + swatch.w + 6, y + swatch.h / 2, label, 12))
        x += swatch.w + 18 + _font(12, False).getlength(label)
    items.append(_Text(_MARGIN, y + 36, words["note"].format(hour=round(60 * scale)), 12))
    return items
