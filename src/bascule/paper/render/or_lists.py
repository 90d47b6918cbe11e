"""Operating-room lists: one per theatre for the day, landscape, one row per case.

Each row carries its own QR code (the page's form id with the patient and case) so the
list, annotated by hand with the actual times, can be re-entered case by case.
"""

from bascule.paper.codes import FormCode
from bascule.paper.model import CaseLine, FormType, PacketData, TheatreList
from bascule.paper.render import strings
from bascule.paper.render.blocks import (
    Blank,
    Block,
    Column,
    QrCode,
    Stack,
    WriteIn,
    draw_header_row,
    draw_row,
    field,
    paragraph,
    row_height,
    stack,
    text_or_blank,
)
from bascule.paper.render.identity import allergy_block, identity_block
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.qr import LABEL_MODULE, qr_side
from bascule.paper.render.text import BODY, BODY_BOLD, CONDENSED_BOLD, LARGE, MM, SMALL, TextStyle

# Column widths in mm; "Remarques" (None) takes what the others and the codes leave.
_WIDTHS_MM = (19, 62, 58, 30, 17, None, 33)
_HEADING = TextStyle(CONDENSED_BOLD, 8)
_TIME = LARGE.at(14)
_STATUS = TextStyle(BODY_BOLD.font, 9)


def render_or_lists(pdf: PacketCanvas, data: PacketData) -> None:
    """One list per theatre (continued on as many pages as it needs)."""
    if not data.theatres:
        _, body = pdf.start_page(FormType.OR_LIST, strings.OR_LISTS_TITLE, wide=True)
        body.place(paragraph(strings.NO_THEATRES, LARGE, body.width))
    for theatre in data.theatres:
        _render_theatre(pdf, data, theatre)


def _start(pdf: PacketCanvas, theatre: TheatreList, continued: bool) -> tuple[FormCode, Body]:
    title = strings.OR_LIST_TITLE.format(theatre=theatre.name or theatre.theatre_id)
    if continued:
        title = strings.CONTINUED.format(title=title)
    subtitle = strings.OR_LIST_SUBTITLE.format(count=len(theatre.cases))
    return pdf.start_page(FormType.OR_LIST, title, subtitle=subtitle, wide=True)


def _columns(body: Body, code_width: float) -> list[Column]:
    remarks = body.width - code_width - sum(width or 0 for width in _WIDTHS_MM) * MM
    widths = [remarks if width is None else width * MM for width in _WIDTHS_MM]
    return [
        Column(title, width)
        for title, width in zip(strings.OR_COLUMNS, [*widths, code_width], strict=True)
    ]


def _render_theatre(pdf: PacketCanvas, data: PacketData, theatre: TheatreList) -> None:
    code, body = _start(pdf, theatre, continued=False)
    if not theatre.cases:
        body.place(paragraph(strings.OR_LIST_EMPTY, LARGE, body.width))
        return
    # Wide enough for the largest case code of the theatre, so every row uses one layout.
    code_width = (
        max(
            qr_side(_case_code(code, data.site_id, case).payload(), LABEL_MODULE)
            for case in theatre.cases
        )
        + 2.6 * MM
    )
    columns = _columns(body, code_width)
    body.y -= draw_header_row(pdf.canvas, columns, body.left, body.y, _HEADING)
    for case in theatre.cases:
        cells = _case_cells(columns, _case_code(code, data.site_id, case), case)
        height = row_height(cells)
        if not body.fits(height):
            code, body = _start(pdf, theatre, continued=True)
            body.y -= draw_header_row(pdf.canvas, columns, body.left, body.y, _HEADING)
            cells = _case_cells(columns, _case_code(code, data.site_id, case), case)
        draw_row(pdf.canvas, columns, cells, body.left, body.y, height=height, rule_above=1.5)
        body.y -= height


def _case_code(page: FormCode, site_id: str, case: CaseLine) -> FormCode:
    """The code of one case: the page's form id with the patient and the case."""
    return FormCode(FormType.OR_LIST, page.form_id, site_id, case.patient.patient_id, case.case_id)


def _case_cells(columns: list[Column], code: FormCode, case: CaseLine) -> list[Block]:
    time, patient, procedure, surgeon, priority, remarks, _, _ = columns
    return [
        stack(
            _start_time(case.start_minute, time.inner),
            paragraph(strings.duration(case.expected_minutes), BODY, time.inner),
        ),
        stack(
            identity_block(case.patient, patient.inner),
            allergy_block(case.allergies, patient.inner),
            spacing=1.2 * MM,
        ),
        _procedure_cell(case, procedure.inner),
        text_or_blank(case.surgeon_name, BODY_BOLD, surgeon.inner, 6 * MM),
        _priority_cell(case.priority, priority.inner),
        _remarks_cell(case, remarks.inner),
        Stack(tuple(WriteIn(label, 15 * MM) for label in strings.ACTUAL_TIMES), 1.2 * MM),
        QrCode(code.payload(), LABEL_MODULE),
    ]


def _start_time(start_minute: int | None, width: float) -> Block:
    if start_minute is None:
        return Blank(7 * MM)
    return paragraph(strings.minute_of_day(start_minute), _TIME, width, max_lines=1)


def _procedure_cell(case: CaseLine, width: float) -> Block:
    blocks: list[Block] = [text_or_blank(case.procedure, BODY_BOLD, width, 6 * MM)]
    blocks.append(field(strings.CCAM, case.ccam_code, SMALL, width))
    if case.specialty:
        blocks.append(paragraph(case.specialty, SMALL, width, grey=0.3))
    return Stack(tuple(blocks), 0.8 * MM)


def _priority_cell(priority: str, width: float) -> Block:
    if not priority:
        return text_or_blank(None, LARGE, width, 7 * MM)
    urgent = priority in strings.URGENT_PRIORITIES
    return stack(
        paragraph(priority, LARGE, width, inverse=urgent, max_lines=1),
        paragraph(strings.priority_deadline(priority), SMALL, width),
    )


def _remarks_cell(case: CaseLine, width: float) -> Block:
    blocks: list[Block] = []
    status = strings.CASE_STATUS.get(case.status, "")
    if status:
        blocks.append(paragraph(status, _STATUS, width, inverse=True))
    if case.remarks:
        blocks.append(paragraph(case.remarks, BODY, width))
    return Stack(tuple(blocks), 0.8 * MM)
