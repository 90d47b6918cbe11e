"""Patient summary sheets: allergies first, then identity, stay, next operation, treatments."""

from bascule.paper.model import (
    CaseLine,
    FormType,
    MedicationLine,
    PacketData,
    PatientSheet,
    StayLine,
)
from bascule.paper.render import strings
from bascule.paper.render.blocks import Column, paragraph
from bascule.paper.render.flow import Flow
from bascule.paper.render.identity import identity_pairs
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.text import BODY, BODY_BOLD, LARGE, MM, TextStyle

_ALLERGY = LARGE
_BIG_VALUE = TextStyle(BODY_BOLD.font, 16)
_ALERT = LARGE.at(11)
_MEDICATION_WIDTHS = (0.45, 0.17, 0.15, 0.23)


def render_sheets(pdf: PacketCanvas, data: PacketData) -> None:
    """One sheet per patient (on more pages when the treatments need them)."""
    if not data.sheets:
        _, body = pdf.start_page(FormType.PATIENT_SHEET, strings.SHEETS_TITLE)
        body.place(paragraph(strings.NO_SHEETS, LARGE, body.width))
    for sheet in data.sheets:
        _render_sheet(pdf, sheet)


def _render_sheet(pdf: PacketCanvas, sheet: PatientSheet) -> None:
    patient = sheet.patient
    title = strings.SHEET_TITLE.format(name=strings.full_name(patient))
    ward_id = sheet.stay.ward_id if sheet.stay else None

    def start(continued: bool) -> Body:
        _, body = pdf.start_page(
            FormType.PATIENT_SHEET,
            strings.CONTINUED.format(title=title) if continued else title,
            patient_id=patient.patient_id,
            ward_id=ward_id,
        )
        return body

    flow = Flow(start)
    width = flow.body.width
    if sheet.allergies:
        flow.place(
            paragraph(strings.allergies_banner(sheet.allergies), _ALLERGY, width, inverse=True)
        )
    else:
        flow.table(
            [Column("", width)],
            [[paragraph(strings.NO_KNOWN_ALLERGY, _ALLERGY, width - 3 * MM)]],
            heading=False,
        )
    flow.heading(strings.IDENTITY)
    flow.pairs(identity_pairs(patient))
    flow.pairs(
        [
            (strings.BLOOD_GROUP, sheet.blood_group),
            (strings.EMERGENCY_CONTACT, sheet.emergency_contact_phone),
        ],
        value_style=_BIG_VALUE,
    )
    _alerts(flow, sheet.alerts)
    _stay(flow, sheet.stay)
    _next_case(flow, sheet.next_case)
    _medications(flow, sheet)


def _alerts(flow: Flow, alerts: tuple[str, ...]) -> None:
    width = flow.body.width
    flow.heading(strings.ALERTS)
    if not alerts:
        flow.place(paragraph(strings.NO_ALERTS, BODY, width))
        return
    for alert in alerts:
        flow.place(paragraph(f"• {alert}", _ALERT, width), 1 * MM)
    flow.body.y -= 1 * MM


def _stay(flow: Flow, stay: StayLine | None) -> None:
    flow.heading(strings.CURRENT_STAY)
    if stay is None:
        flow.place(paragraph(strings.NO_STAY, BODY, flow.body.width))
        return
    flow.pairs(
        [
            (strings.WARD, stay.ward_name),
            (strings.ROOM, stay.room_name),
            (strings.BED, stay.bed),
            (strings.ADMITTED, strings.numeric_moment(stay.admitted_at)),
            (strings.EXPECTED_DISCHARGE, strings.numeric_moment(stay.expected_discharge)),
        ]
    )


def _next_case(flow: Flow, case: CaseLine | None) -> None:
    flow.heading(strings.NEXT_CASE)
    if case is None:
        flow.place(paragraph(strings.NO_NEXT_CASE, BODY, flow.body.width))
        return
    procedure = case.procedure
    if procedure and case.ccam_code:
        procedure = f"{procedure} ({strings.CCAM} {case.ccam_code})"
    flow.pairs(
        [
            (strings.DATE, strings.numeric_day(case.day)),
            (strings.TIME, strings.minute_of_day(case.start_minute)),
            (strings.THEATRE, case.theatre_name),
            (strings.SURGEON, case.surgeon_name),
            (strings.PROCEDURE, procedure),
            (strings.PRIORITY, case.priority),
        ]
    )


def _medications(flow: Flow, sheet: PatientSheet) -> None:
    flow.heading(strings.MEDICATIONS, keep=16 * MM)
    medications_table(flow, sheet.medications)


def medications_table(flow: Flow, medications: tuple[MedicationLine, ...]) -> None:
    """Current treatments as a table, or a line saying none is recorded."""
    width = flow.body.width
    if not medications:
        flow.place(paragraph(strings.NO_MEDICATIONS, BODY, width))
        return
    columns = [
        Column(title, share * width)
        for title, share in zip(strings.MEDICATION_COLUMNS, _MEDICATION_WIDTHS, strict=True)
    ]
    rows = [
        [
            paragraph(medication.name, BODY_BOLD, columns[0].inner),
            paragraph(medication.dose, BODY, columns[1].inner),
            paragraph(medication.route, BODY, columns[2].inner),
            paragraph(medication.frequency, BODY, columns[3].inner),
        ]
        for medication in medications
    ]
    flow.table(columns, rows, min_row=7 * MM)
