"""The packet being written: pages, their form codes, the header and footer of every page.

Each page is one form with its own code: a page scanned back on its own says what it is,
and a stack of pages can be re-sorted without knowing how they were stapled.
"""

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from bascule.clock import local_time
from bascule.paper.codes import FormCode, display_form_id
from bascule.paper.issuing import FormIssuer
from bascule.paper.model import FormType, PacketData
from bascule.paper.render import strings
from bascule.paper.render.blocks import Block
from bascule.paper.render.qr import PAGE_MODULE, QUIET_MODULES, draw_qr, qr_side
from bascule.paper.render.text import (
    BOLD,
    CONDENSED,
    MM,
    REGULAR,
    TITLE,
    TextStyle,
    fitted,
    register_fonts,
)

MARGIN = 10 * MM
_TOTAL_FORM = "bascule-page-total"
_PAGE_NUMBER = TextStyle(BOLD, 10)
_SITE = TextStyle(BOLD, 10)
_DAY = TextStyle(BOLD, 12)
_SUBTITLE = TextStyle(REGULAR, 10)
_FOOTER = TextStyle(CONDENSED, 7.5)
_FORM_ID = TextStyle(BOLD, 9)
# The printed-by line shrinks this far to stay on one line before it takes two.
_FOOTER_ONE_LINE = 6.5
# A title that needs two lines is set smaller than one that fits on one.
_TWO_LINE_TITLE = TITLE.at(12)
_RULE_GAP = 2.5 * MM
# How far below the baseline DejaVu's descenders reach, in font sizes.
_DESCENT = 0.24


@dataclass(slots=True)
class Body:
    """The writable part of a page between header and footer; ``y`` is how far down it is used."""

    canvas: Canvas
    left: float
    right: float
    bottom: float
    y: float

    @property
    def width(self) -> float:
        """Width between the side margins."""
        return self.right - self.left

    @property
    def room(self) -> float:
        """Height still free above the footer."""
        return self.y - self.bottom

    def fits(self, height: float) -> bool:
        """Whether ``height`` more points fit on this page."""
        return height <= self.room

    def place(self, block: Block, spacing: float = 2 * MM) -> None:
        """Draw ``block`` across the width at the current height and move down past it."""
        block.draw(self.canvas, self.left, self.y, self.width)
        self.y -= block.height + spacing


class PacketCanvas:
    """One PDF packet: starts pages, issues their form codes, draws header and footer."""

    def __init__(
        self, data: PacketData, issuer: FormIssuer, printed_at: datetime, printed_by: str
    ) -> None:
        register_fonts()
        self.data = data
        self.issuer = issuer
        self.page_number = 0
        self._buffer = io.BytesIO()
        # invariant=1 drops the random document id and subset names: same inputs, same bytes.
        self.canvas = Canvas(self._buffer, pagesize=A4, invariant=1, pageCompression=1)
        self.canvas.setDateFormatter(lambda *_: _pdf_date(local_time(printed_at)))
        self.canvas.setTitle(
            strings.PDF_TITLE.format(site=data.site_name, day=strings.long_day(data.day))
        )
        self.canvas.setAuthor(printed_by)
        self.canvas.setSubject(strings.PDF_SUBJECT)
        self.canvas.setCreator("bascule")
        self._printed = strings.PRINTED.format(
            day=strings.numeric_day(local_time(printed_at).date()),
            time=strings.clock_time(printed_at),
            who=printed_by,
            as_of=strings.numeric_moment(data.data_as_of),
            source=data.source,
            seq=data.seq,
        )
        self._site = data.site_label
        self._printed_lines: dict[float, tuple[TextStyle, list[str]]] = {}

    def _next_page(self, size: tuple[float, float]) -> None:
        if self.page_number:
            self.canvas.showPage()
        self.page_number += 1
        self.canvas.setPageSize(size)

    def start_page(
        self,
        form_type: FormType,
        title: str,
        *,
        subtitle: str = "",
        wide: bool = False,
        patient_id: str | None = None,
        case_id: str | None = None,
        ward_id: str | None = None,
    ) -> tuple[FormCode, Body]:
        """Open a new page as a new form (landscape when ``wide``); returns its code and body."""
        size = landscape(A4) if wide else A4
        self._next_page(size)
        code = self.issuer.issue(
            form_type,
            page=self.page_number,
            title=title,
            patient_id=patient_id,
            case_id=case_id,
            ward_id=ward_id,
        )
        width, height = size
        body_top = self._draw_header(code, title, subtitle, width, height)
        body_bottom = self._draw_footer(code, width)
        return code, Body(self.canvas, MARGIN, width - MARGIN, body_bottom, body_top)

    def start_label_sheet(self, form_type: FormType, title: str) -> FormCode:
        """Open a new page of label stock as a new form.

        The label grid leaves half a millimetre at the top and bottom of the sheet, too
        little for any page identity: every label's code carries the sheet's form id.
        """
        self._next_page(A4)
        return self.issuer.issue(form_type, page=self.page_number, title=title)

    def _draw_header(
        self, code: FormCode, title: str, subtitle: str, width: float, height: float
    ) -> float:
        """Site, title, day and the page's code; returns where the body starts."""
        canvas = self.canvas
        payload = code.payload()
        side = qr_side(payload, PAGE_MODULE)
        quiet = QUIET_MODULES * PAGE_MODULE
        top = height - MARGIN
        # The quiet zone lies in the page margin, which is blank paper anyway.
        draw_qr(canvas, payload, width - MARGIN - side + quiet, top - side + quiet, PAGE_MODULE)
        text_width = width - 2 * MARGIN - side - 2 * MM
        site_style, site_lines = fitted(self._site, _SITE, text_width)
        title_style, title_lines = fitted(title, TITLE, text_width)
        if len(title_lines) > 1 or title_style.size < _TWO_LINE_TITLE.size:
            title_style, title_lines = fitted(title, _TWO_LINE_TITLE, text_width, max_lines=2)
        baseline = top - site_style.size
        canvas.setFont(site_style.font, site_style.size)
        for line in site_lines:
            canvas.drawString(MARGIN, baseline, line)
            baseline -= site_style.leading
        baseline -= title_style.size * 0.5
        canvas.setFont(title_style.font, title_style.size)
        for line in title_lines:
            canvas.drawString(MARGIN, baseline, line)
            baseline -= title_style.leading
        baseline -= _DAY.size * 0.3
        day = strings.long_day(self.data.day)
        canvas.setFont(_DAY.font, _DAY.size)
        canvas.drawString(MARGIN, baseline, day)
        if subtitle:
            offset = _DAY.width(day) + 6 * MM
            style, lines = fitted(subtitle, _SUBTITLE, text_width - offset)
            canvas.setFont(style.font, style.size)
            for line in lines:
                canvas.drawString(MARGIN + offset, baseline, line)
                baseline -= style.leading
        rule = min(baseline - _DAY.size * 0.5, top - side + quiet - 1 * MM)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, rule, width - MARGIN, rule)
        return rule - _RULE_GAP

    def _footer_text(self, width: float) -> tuple[TextStyle, list[str]]:
        """The printed-by line set for a page width (the same on every page of that width)."""
        if width not in self._printed_lines:
            room = width - 2 * MARGIN - _PAGE_NUMBER.width(strings.PAGE + " 00000") - 4 * MM
            style, lines = fitted(self._printed, _FOOTER, room, min_size=_FOOTER_ONE_LINE)
            if len(lines) > 1:
                style, lines = fitted(self._printed, _FOOTER, room, max_lines=2)
            self._printed_lines[width] = style, lines
        return self._printed_lines[width]

    def _draw_footer(self, code: FormCode, width: float) -> float:
        """Printed-by line, page number and form id; returns where the body must stop."""
        canvas = self.canvas
        right = width - MARGIN
        form_id = strings.FORM_ID.format(form_id=display_form_id(code.form_id))
        if code.form_type.returnable:
            form_id = f"{form_id} · {strings.RETURN_FORM}"
        canvas.setFont(_FORM_ID.font, _FORM_ID.size)
        # Raised by the descent so that no descender dips into the margin.
        form_id_baseline = MARGIN + _DESCENT * _FORM_ID.size
        canvas.drawString(MARGIN, form_id_baseline, form_id)
        style, lines = self._footer_text(width)
        baseline = form_id_baseline + _FORM_ID.leading + style.leading * (len(lines) - 1)
        top_line = baseline
        canvas.setFont(style.font, style.size)
        for line in lines:
            canvas.drawString(MARGIN, baseline, line)
            baseline -= style.leading
        number = strings.PAGE.format(number=self.page_number)
        total_left = right - _PAGE_NUMBER.width("00000")
        canvas.setFont(_PAGE_NUMBER.font, _PAGE_NUMBER.size)
        canvas.drawRightString(total_left - _PAGE_NUMBER.width(" "), top_line, number)
        canvas.saveState()
        canvas.translate(total_left, top_line)
        canvas.doForm(_TOTAL_FORM)
        canvas.restoreState()
        rule = top_line + style.size + 1.5 * MM
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, rule, right, rule)
        return rule + _RULE_GAP

    def finish(self) -> bytes:
        """Close the last page, write the page total every footer refers to; the PDF bytes."""
        canvas = self.canvas
        canvas.showPage()
        canvas.beginForm(_TOTAL_FORM)
        canvas.setFont(_PAGE_NUMBER.font, _PAGE_NUMBER.size)
        canvas.drawString(0, 0, str(self.page_number))
        canvas.endForm()
        canvas.save()
        return self._buffer.getvalue()


def _pdf_date(moment: datetime) -> str:
    """A PDF date string (``D:20261130031200+01'00'``) for ``moment``."""
    text = f"D:{moment:%Y%m%d%H%M%S}"
    offset = moment.utcoffset()
    if offset is None:
        return text
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}'{rest:02d}'"
