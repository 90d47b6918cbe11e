"""Surgical records: one per case of the day, pre-filled with the patient and the booking.

The operating team writes the actual times, team, procedure, anaesthesia and implant lot
numbers on it; it comes back with the OR list for re-entry.
"""

from bascule.paper.model import CaseLine, FormType, PacketData
from bascule.paper.render import strings
from bascule.paper.render.blocks import (
    Beside,
    Block,
    Column,
    Stack,
    field,
    paragraph,
    text_or_blank,
)
from bascule.paper.render.boxes import Comb, CombRow, RuledLines, TickRow
from bascule.paper.render.flow import Flow, signatures
from bascule.paper.render.identity import Item, allergy_block, identity_block, inline_fields
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.text import BODY, BODY_BOLD, HEADING, MM, SMALL

_IMPLANT_SHARES = (0.34, 0.2, 0.18, 0.2, 0.08)
_IMPLANT_ROWS = 4
_TEAM_LABEL_WIDTH = 35 * MM


def render_surgical_records(pdf: PacketCanvas, data: PacketData) -> None:
    """A surgical record for every case of the day, theatre by theatre."""
    for case in data.cases:
        _surgical_record(pdf, case)


def _surgical_record(pdf: PacketCanvas, case: CaseLine) -> None:
    title = strings.SURGICAL_TITLE.format(name=strings.full_name(case.patient))

    def start(continued: bool) -> Body:
        _, body = pdf.start_page(
            FormType.SURGICAL_RECORD,
            strings.CONTINUED.format(title=title) if continued else title,
            patient_id=case.patient.patient_id,
            case_id=case.case_id,
        )
        return body

    flow = Flow(start)
    width = flow.body.width
    half = (width - 4 * MM) / 2
    patient = Stack(
        (identity_block(case.patient, half), allergy_block(case.allergies, half)), 1.5 * MM
    )
    flow.place(Beside(((half, patient), (half, _booking(case, half)))), 3 * MM)
    flow.heading(strings.SURGICAL_TIMES_TITLE)
    flow.place(CombRow(tuple(Comb(label, (2, 2)) for label in strings.SURGICAL_TIMES)))
    flow.heading(strings.SURGICAL_TEAM_TITLE)
    team = [Column("", _TEAM_LABEL_WIDTH), Column("", width - _TEAM_LABEL_WIDTH)]
    flow.table(
        team,
        [
            [
                paragraph(role, BODY, team[0].inner),
                paragraph(case.surgeon_name if index == 0 else "", BODY_BOLD, team[1].inner),
            ]
            for index, role in enumerate(strings.SURGICAL_TEAM)
        ],
        heading=False,
        min_row=8 * MM,
    )
    flow.heading(strings.PROCEDURE_DONE)
    if case.procedure:
        flow.place(paragraph(f"{strings.PLANNED} : {case.procedure}", SMALL, width), 0)
    flow.place(RuledLines("", 2), 4 * MM)
    flow.place(TickRow(strings.ANAESTHESIA, strings.ANAESTHESIA_TYPES))
    flow.heading(strings.IMPLANTS)
    columns = [
        Column(title, share * width)
        for title, share in zip(strings.IMPLANT_COLUMNS, _IMPLANT_SHARES, strict=True)
    ]
    flow.table(columns, [[Stack(())] * len(columns)] * _IMPLANT_ROWS, min_row=8 * MM)
    flow.heading(strings.OBSERVATIONS)
    flow.place(RuledLines("", 2))
    signatures(flow, strings.SIGNATURES)


def _booking(case: CaseLine, width: float) -> Block:
    """What was booked, as printed on the OR list."""
    blocks: list[Block] = [
        paragraph(strings.SURGICAL_CASE, HEADING, width),
        text_or_blank(case.procedure, BODY_BOLD, width, 6 * MM),
    ]
    blocks.append(field(strings.CCAM, case.ccam_code, SMALL, width))
    blocks.append(
        inline_fields(
            [
                Item(strings.DATE, strings.numeric_day(case.day), 18 * MM),
                Item(strings.THEATRE, case.theatre_name, 15 * MM),
                Item(strings.TIME, strings.minute_of_day(case.start_minute), 12 * MM),
                Item(strings.PRIORITY, case.priority, 10 * MM),
            ],
            width,
            SMALL,
            BODY_BOLD,
        )
    )
    blocks.append(field(f"{strings.SURGEON} :", case.surgeon_name, BODY, width))
    return Stack(tuple(blocks), 1 * MM)
