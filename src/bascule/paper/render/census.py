"""Ward census: every bed of a ward, room by room, with its occupant and alerts."""

from bascule.paper.codes import FormCode
from bascule.paper.model import CensusBed, FormType, PacketData, WardCensus
from bascule.paper.render import strings
from bascule.paper.render.blocks import (
    GRID_WIDTH,
    Blank,
    Block,
    Column,
    Stack,
    draw_header_row,
    draw_row,
    paragraph,
    row_height,
    stack,
    text_or_blank,
)
from bascule.paper.render.identity import allergy_block, identity_block
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.text import BODY, BODY_BOLD, CONDENSED_BOLD, LARGE, MM, SMALL, TextStyle

_HEADING = TextStyle(CONDENSED_BOLD, 8)
_ROOM = LARGE
_WIDTHS_MM = (18, 12, 78, 24)
_ROOM_RULE = 1.8


def render_census(pdf: PacketCanvas, data: PacketData) -> None:
    """One census per ward, continued on as many pages as the ward needs."""
    if not data.wards:
        _, body = pdf.start_page(FormType.CENSUS, strings.CENSUS_TITLE_SITE)
        body.place(paragraph(strings.NO_WARDS, LARGE, body.width))
    for ward in data.wards:
        _render_ward(pdf, ward)


def _start(pdf: PacketCanvas, ward: WardCensus, continued: bool) -> tuple[FormCode, Body]:
    title = strings.CENSUS_TITLE.format(ward=ward.name or ward.ward_id)
    if continued:
        title = strings.CONTINUED.format(title=title)
    occupied = sum(1 for bed in ward.beds if bed.patient)
    subtitle = strings.CENSUS_SUBTITLE.format(occupied=occupied, beds=len(ward.beds))
    return pdf.start_page(FormType.CENSUS, title, subtitle=subtitle, ward_id=ward.ward_id)


def _columns(body: Body) -> list[Column]:
    widths = [width * MM for width in _WIDTHS_MM]
    widths.append(body.width - sum(widths))
    return [
        Column(title, width) for title, width in zip(strings.CENSUS_COLUMNS, widths, strict=True)
    ]


def _render_ward(pdf: PacketCanvas, ward: WardCensus) -> None:
    _, body = _start(pdf, ward, continued=False)
    if not ward.beds:
        body.place(paragraph(strings.NO_BEDS, LARGE, body.width))
        return
    columns = _columns(body)
    body.y -= draw_header_row(pdf.canvas, columns, body.left, body.y, _HEADING)
    previous_room: str | None = None
    for bed in ward.beds:
        cells = _bed_cells(columns, bed)
        height = row_height(cells, minimum=9 * MM)
        if not body.fits(height):
            _, body = _start(pdf, ward, continued=True)
            body.y -= draw_header_row(pdf.canvas, columns, body.left, body.y, _HEADING)
            previous_room = None
        new_room = bed.room_name != previous_room
        rule = _ROOM_RULE if new_room and previous_room is not None else GRID_WIDTH
        draw_row(pdf.canvas, columns, cells, body.left, body.y, height=height, rule_above=rule)
        body.y -= height
        previous_room = bed.room_name


def _bed_cells(columns: list[Column], bed: CensusBed) -> list[Block]:
    room, bed_column, patient, admitted, alerts = columns
    cells: list[Block] = [
        text_or_blank(bed.room_name, _ROOM, room.inner, 6 * MM),
        text_or_blank(bed.bed, _ROOM, bed_column.inner, 6 * MM),
    ]
    if bed.patient is None:
        cells.append(paragraph(strings.FREE_BED, BODY, patient.inner, grey=0.4))
        cells.extend([Stack(()), Stack(())])
        return cells
    cells.append(identity_block(bed.patient, patient.inner))
    if bed.admitted_at is None:
        cells.append(Blank(5 * MM))
    else:
        cells.append(
            stack(
                paragraph(
                    strings.numeric_day(bed.admitted_at.date()),
                    BODY_BOLD,
                    admitted.inner,
                    max_lines=1,
                ),
                paragraph(strings.clock_time(bed.admitted_at), SMALL, admitted.inner),
            )
        )
    alert_blocks: list[Block] = [allergy_block(bed.allergies, alerts.inner)]
    alert_blocks.extend(paragraph(f"• {alert}", BODY_BOLD, alerts.inner) for alert in bed.alerts)
    cells.append(Stack(tuple(alert_blocks), 1 * MM))
    return cells
