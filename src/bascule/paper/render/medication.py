"""Medication administration records: one per inpatient, landscape, days by time slots.

Rows are the patient's current treatments and a few blank rows for new prescriptions;
each slot of each day is a box for the initials of the nurse who gave the dose.
"""

from collections.abc import Callable
from datetime import date, timedelta

from reportlab.lib.pagesizes import A4, landscape

from bascule.paper.model import (
    CensusBed,
    FormType,
    PacketData,
    PatientSheet,
    PrintedIdentity,
    WardCensus,
)
from bascule.paper.render import strings
from bascule.paper.render.blocks import GRID_WIDTH, Beside, Block, Column, Stack, paragraph, stack
from bascule.paper.render.flow import Flow
from bascule.paper.render.identity import allergy_block, identity_block
from bascule.paper.render.page import MARGIN, Body, PacketCanvas
from bascule.paper.render.text import BODY_BOLD, MM, SMALL

_MEDICATION_WIDTH = 75 * MM
# Narrower than this, initials no longer fit in a slot: further days go on another page.
_SLOT_MIN_WIDTH = 10 * MM
_BLANK_ROWS = 4
_ROW_HEIGHT = 11 * MM
_DAY_RULE = 1.8


def render_medication_records(pdf: PacketCanvas, data: PacketData, days: int) -> None:
    """A record of ``days`` days from the packet's day for every occupied bed."""
    sheets = {sheet.patient.patient_id: sheet for sheet in data.sheets}
    all_days = [data.day + timedelta(days=offset) for offset in range(days)]
    for ward in data.wards:
        for bed in ward.beds:
            if bed.patient is not None:
                sheet = sheets.get(bed.patient.patient_id)
                _medication_record(
                    pdf, ward=ward, bed=bed, patient=bed.patient, sheet=sheet, days=all_days
                )


def _medication_record(
    pdf: PacketCanvas,
    *,
    ward: WardCensus,
    bed: CensusBed,
    patient: PrintedIdentity,
    sheet: PatientSheet | None,
    days: list[date],
) -> None:
    title = strings.MAR_TITLE.format(name=strings.full_name(patient))

    def start(continued: bool) -> Body:
        _, body = pdf.start_page(
            FormType.MEDICATION_RECORD,
            strings.CONTINUED.format(title=title) if continued else title,
            subtitle=strings.bed_place(ward.name, bed.room_name, bed.bed),
            wide=True,
            patient_id=patient.patient_id,
            ward_id=ward.ward_id,
        )
        return body

    allergies = sheet.allergies if sheet is not None else bed.allergies
    medications = sheet.medications if sheet is not None else ()
    slots = len(strings.MAR_SLOTS)

    def starter(later: bool) -> Callable[[bool], Body]:
        return lambda continued: start(continued or later)

    for index, chunk in enumerate(_day_chunks(days, slots)):
        # Days that do not fit on the first page continue the same record on the next.
        flow = Flow(starter(index > 0))
        width = flow.body.width
        half = (width - 4 * MM) / 2
        flow.place(
            Beside(((half, identity_block(patient, half)), (half, allergy_block(allergies, half))))
        )
        slot_width = (width - _MEDICATION_WIDTH) / (len(chunk) * slots)
        columns = [Column(strings.MAR_MEDICATION, _MEDICATION_WIDTH)]
        # A heavier rule before each day's first slot keeps the eye in the right day.
        columns += [
            Column(slot, slot_width, _DAY_RULE if index == 0 else GRID_WIDTH)
            for _ in chunk
            for index, slot in enumerate(strings.MAR_SLOTS)
        ]
        band = [("", _MEDICATION_WIDTH)]
        band += [(strings.short_day(day), slot_width * slots) for day in chunk]
        empty: list[Block] = [Stack(())] * (len(columns) - 1)
        rows: list[list[Block]] = []
        for medication in medications:
            details = " · ".join(
                part for part in (medication.dose, medication.route, medication.frequency) if part
            )
            name = stack(
                paragraph(medication.name, BODY_BOLD, columns[0].inner),
                paragraph(details, SMALL, columns[0].inner),
            )
            rows.append([name, *empty])
        rows.extend([Stack(()), *empty] for _ in range(_BLANK_ROWS))
        flow.table(columns, rows, band=band, min_row=_ROW_HEIGHT)
        flow.place(paragraph(strings.MAR_HINT, SMALL, width))


def _day_chunks(days: list[date], slots: int) -> list[list[date]]:
    """Days grouped so that every slot keeps room for initials on an A4 landscape page."""
    available = landscape(A4)[0] - 2 * MARGIN - _MEDICATION_WIDTH
    per_page = max(1, int(available // (slots * _SLOT_MIN_WIDTH)))
    return [days[start : start + per_page] for start in range(0, len(days), per_page)]
