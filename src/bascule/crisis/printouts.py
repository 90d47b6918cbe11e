"""PDF printouts of the crisis cell: the logbook, and each SITREP as issued.

Both print the SHA-256 of what they show, so a printed copy can be checked against the
store later; both use the vendored fonts, so accents print on any machine.
"""

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from bascule.crisis.logbook import LogbookEntry
from bascule.paper.render.text import BOLD, REGULAR, register_fonts
from bascule.store.canonical import parse_instant

Translate = Callable[..., str]
Moment = Callable[[datetime], str]

_BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=11.5)
_SMALL = ParagraphStyle("small", fontName=REGULAR, fontSize=7.5, leading=9.5)
_HEADING = ParagraphStyle("heading", fontName=BOLD, fontSize=11, leading=14, spaceBefore=6)
_TITLE = ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=18)
_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), BOLD, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ("REPEATROWS", (0, 0), (-1, 0)),
    ]
)


@cache
def _register_family() -> None:
    register_fonts()
    # Paragraph looks fonts up by family: without one it cannot place a bold run.
    registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    _register_family()
    # Paragraph reads a small markup language: user text must not be taken for tags.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(header: Sequence[str], rows: list[list[str]], widths: Sequence[float]) -> LongTable:
    cells = [[_p(cell, _SMALL) for cell in header]] + [[_p(c, _SMALL) for c in r] for r in rows]
    table = LongTable(cells, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(_GRID)
    return table


def _document(story: list[Flowable], footer: str) -> bytes:
    buffer = io.BytesIO()

    def draw_footer(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.drawString(15 * mm, 8 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, str(document.page))
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        invariant=True,
    )
    document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()


def logbook_pdf(
    items: list[LogbookEntry],
    *,
    title: str,
    digest: str,
    printed: str,
    t: Translate,
    moment: Moment,
) -> bytes:
    """The main courante as a table, corrections pointing at the entries they correct."""
    numbers = {item.id: item.number for item in items}
    rows = [
        [
            str(item.number),
            moment(item.at),
            item.author,
            t(f"crisis.category.{item.category}"),
            item.text
            if item.corrects is None
            else f"{t('crisis.logbook.corrects', number=numbers.get(item.corrects, '?'))} "
            f"{item.text}",
        ]
        for item in items
    ]
    header = [
        t("crisis.col.number"),
        t("crisis.col.at"),
        t("crisis.col.author"),
        t("crisis.col.category"),
        t("crisis.col.text"),
    ]
    story: list[Flowable] = [
        _p(title, _TITLE),
        _p(t("crisis.pdf.printed", printed=printed), _SMALL),
        _p(t("crisis.pdf.digest", digest=digest), _SMALL),
        Spacer(1, 4 * mm),
        _table(header, rows, (10, 32, 30, 22, 86)) if rows else _p(t("crisis.logbook.empty")),
    ]
    return _document(story, f"{title} · SHA-256 {digest}")


def sitrep_pdf(
    content: dict[str, Any], *, digest: str, issued: str, t: Translate, moment: Moment
) -> bytes:
    """A SITREP as issued: status, re-plan, decisions, events, tasks, next meeting."""
    incident = content["incident"]
    title = t("crisis.sitrep.heading", number=content["number"], incident=incident["id"])
    story: list[Flowable] = [
        _p(title, _TITLE),
        _p(incident["title"], _HEADING),
        _p(
            t(
                "crisis.sitrep.summary",
                phase=t(f"crisis.phase.{incident['phase']}"),
                severity=t(f"crisis.severity.{incident['severity']}"),
                declared=moment(parse_instant(incident["declared_at"])),
            )
        ),
        _p(issued, _SMALL),
        _p(t("crisis.pdf.digest", digest=digest), _SMALL),
    ]
    story.append(_p(t("crisis.sitrep.status"), _HEADING))
    for site in content["status"]:
        rows = [
            [
                t(f"crisis.system.{system}"),
                t(f"crisis.state.{cell['state']}"),
                moment(parse_instant(cell["since"])),
                "" if cell["capacity"] is None else f"{round(cell['capacity'] * 100)} %",
                t("crisis.overdue") if cell["overdue"] else "",
                cell["note"],
            ]
            for system, cell in site["systems"].items()
            if cell is not None
        ]
        unreported = [
            t(f"crisis.system.{system}") for system, cell in site["systems"].items() if cell is None
        ]
        if unreported:
            rows.append([t("crisis.state.unknown"), ", ".join(unreported), "", "", "", ""])
        header = [
            site["name"],
            t("crisis.col.state"),
            t("crisis.col.since"),
            t("crisis.col.capacity"),
            t("crisis.col.confirmed"),
            t("crisis.col.note"),
        ]
        story.append(
            KeepTogether([_table(header, rows, (38, 22, 32, 18, 22, 48)), Spacer(1, 3 * mm)])
        )
    replan = content["replan"]
    story.append(_p(t("crisis.sitrep.replan"), _HEADING))
    if replan is None:
        story.append(_p(t("crisis.sitrep.no_replan")))
    else:
        outcomes = ", ".join(
            f"{t('crisis.outcome.' + name)} {count}" for name, count in replan["outcomes"].items()
        )
        story.append(
            _p(
                t(
                    "crisis.sitrep.replan_line",
                    applied=moment(parse_instant(replan["applied_at"])),
                    outcomes=outcomes,
                    breaches=replan["breaches"],
                    km=replan["patient_km"],
                )
            )
        )
    for key, items in (("decisions", content["decisions"]), ("events", content["events"])):
        story.append(_p(t(f"crisis.sitrep.{key}"), _HEADING))
        rows = [
            [
                moment(parse_instant(i["at"])),
                i["author"],
                t(f"crisis.category.{i['category']}"),
                i["text"],
            ]
            for i in items
        ]
        header = [
            t("crisis.col.at"),
            t("crisis.col.author"),
            t("crisis.col.category"),
            t("crisis.col.text"),
        ]
        story.append(_table(header, rows, (32, 30, 22, 96)) if rows else _p(t("crisis.none")))
    tasks = content["tasks"]
    story.append(_p(t("crisis.sitrep.tasks"), _HEADING))
    story.append(
        _p(
            t(
                "crisis.sitrep.task_counts",
                **{k: tasks[k] for k in ("total", "done", "open", "overdue")},
            )
        )
    )
    rows = [
        [
            moment(parse_instant(task["due_at"])),
            task["title"],
            task["role"],
            task["site_id"] or "",
            t("crisis.overdue") if task["overdue"] else "",
        ]
        for task in tasks["current_phase"]
    ]
    header = [
        t("crisis.col.due"),
        t("crisis.col.task"),
        t("crisis.col.role"),
        t("crisis.col.site"),
        "",
    ]
    if rows:
        story.append(_table(header, rows, (30, 90, 28, 18, 14)))
    story.append(_p(t("crisis.sitrep.next_meeting"), _HEADING))
    meeting = content["next_meeting_at"]
    story.append(_p(t("crisis.none") if meeting is None else moment(parse_instant(meeting))))
    return _document(story, f"{title} · SHA-256 {digest}")
