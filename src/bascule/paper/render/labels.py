"""Sticky labels on standard A4 stock (3 x 8 labels of 70 x 37 mm, no gaps).

Patient labels go on tubes, forms and wristband sleeves; downtime labels give a patient
who arrives during the crisis an identifier before anyone knows who they are. Each label's
code carries the sheet's form id and the patient (or downtime id), so a label scanned on
any piece of paper says who it is and which sheet it came from.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from bascule.paper.codes import FormCode
from bascule.paper.model import FormType, PacketData, PrintedIdentity
from bascule.paper.render import strings
from bascule.paper.render.blocks import Block, Stack, paragraph
from bascule.paper.render.boxes import tick_boxes, tick_boxes_width, write_line
from bascule.paper.render.identity import Item, inline_fields
from bascule.paper.render.page import PacketCanvas
from bascule.paper.render.qr import LABEL_MODULE, draw_qr, qr_side
from bascule.paper.render.text import (
    BOLD,
    CONDENSED,
    CONDENSED_BOLD,
    LARGE,
    MM,
    TextStyle,
    fitted,
)

COLUMNS = 3
ROWS = 8
LABEL_WIDTH = 70 * MM
LABEL_HEIGHT = 37 * MM
SHEET_HEIGHT = 297 * MM
TOP_MARGIN = (SHEET_HEIGHT - ROWS * LABEL_HEIGHT) / 2
# Label stock is cut with some play; nothing is printed this close to a label's edge.
PADDING = 2.5 * MM
_INNER_WIDTH = LABEL_WIDTH - 2 * PADDING
_INNER_HEIGHT = LABEL_HEIGHT - 2 * PADDING
_PER_SHEET = COLUMNS * ROWS
_QR_GAP = 1 * MM
_NAME = TextStyle(CONDENSED_BOLD, 13)
_GIVEN = TextStyle(CONDENSED_BOLD, 11)
_FIELD_LABEL = TextStyle(CONDENSED, 8)
_FIELD_VALUE = TextStyle(CONDENSED_BOLD, 10)
_DOWNTIME_ID = TextStyle(BOLD, 14)
_WRITE = TextStyle(CONDENSED, 8)
_WRITE_LINE_HEIGHT = 5.6 * MM
# Sizes of a label's text are scaled down by these steps until everything fits.
_SCALES = (1.0, 0.9, 0.8, 0.72, 0.65)


@dataclass(frozen=True, slots=True)
class _Label:
    """What one label shows: a patient's identity, or a downtime id to write a name against."""

    patient: PrintedIdentity | None
    downtime_id: str | None


def _cell_origin(index: int) -> tuple[float, float]:
    """Lower left corner of the ``index``-th label of a sheet (row by row from the top)."""
    row, column = divmod(index, COLUMNS)
    return column * LABEL_WIDTH, SHEET_HEIGHT - TOP_MARGIN - (row + 1) * LABEL_HEIGHT


def render_labels(pdf: PacketCanvas, data: PacketData, per_patient: int) -> None:
    """``per_patient`` labels for each inpatient, then each patient operated today."""
    patients: dict[str, PrintedIdentity] = {}
    for patient in (*data.inpatients, *(case.patient for case in data.cases)):
        patients.setdefault(patient.patient_id, patient)
    labels = [_Label(patient, None) for patient in patients.values() for _ in range(per_patient)]
    if not labels:
        _, body = pdf.start_page(FormType.LABELS, strings.LABELS_TITLE)
        body.place(paragraph(strings.NO_LABELS, LARGE, body.width))
        return
    _render_sheets(pdf, FormType.LABELS, strings.LABELS_TITLE, labels)


def render_downtime_labels(pdf: PacketCanvas, data: PacketData) -> None:
    """A row of three identical labels for every downtime identifier."""
    labels = [_Label(None, downtime_id) for downtime_id in data.downtime_ids for _ in range(3)]
    if not labels:
        _, body = pdf.start_page(FormType.DOWNTIME_LABELS, strings.DOWNTIME_TITLE)
        body.place(paragraph(strings.NO_DOWNTIME_IDS, LARGE, body.width))
        return
    _render_sheets(pdf, FormType.DOWNTIME_LABELS, strings.DOWNTIME_TITLE, labels)


def _sheets(labels: list[_Label]) -> Iterator[list[_Label]]:
    for start in range(0, len(labels), _PER_SHEET):
        yield labels[start : start + _PER_SHEET]


def _render_sheets(
    pdf: PacketCanvas, form_type: FormType, title: str, labels: list[_Label]
) -> None:
    # A patient's labels repeat the same text: laid out once, drawn many times.
    texts: dict[tuple[str, float], Block] = {}
    canvas = pdf.canvas
    for sheet in _sheets(labels):
        page = pdf.start_label_sheet(form_type, title)
        for index, label in enumerate(sheet):
            x, y = _cell_origin(index)
            if label.patient is not None:
                code = FormCode(form_type, page.form_id, page.site_id, label.patient.patient_id)
                width = _INNER_WIDTH - _draw_code(canvas, x, y, code.payload()) - _QR_GAP
                key = (label.patient.patient_id, width)
                if key not in texts:
                    texts[key] = _patient_text(label.patient, width)
                texts[key].draw(canvas, x + PADDING, y + LABEL_HEIGHT - PADDING, width)
            elif label.downtime_id is not None:
                code = FormCode(form_type, page.form_id, page.site_id, label.downtime_id)
                _downtime_label(pdf.canvas, x, y, label.downtime_id, code.payload())


def _draw_code(canvas: Canvas, x: float, y: float, payload: str) -> float:
    """The label's code at its top right corner; returns its side."""
    side = qr_side(payload, LABEL_MODULE)
    draw_qr(
        canvas,
        payload,
        x + LABEL_WIDTH - PADDING - side,
        y + LABEL_HEIGHT - PADDING - side,
        LABEL_MODULE,
    )
    return side


def _patient_text(patient: PrintedIdentity, width: float) -> Block:
    """The label's text at the largest of :data:`_SCALES` that fits the label."""
    for scale in _SCALES[:-1]:
        text = _scaled_patient_text(patient, width, scale)
        if text.height <= _INNER_HEIGHT:
            return text
    return _scaled_patient_text(patient, width, _SCALES[-1])


def _scaled_patient_text(patient: PrintedIdentity, width: float, scale: float) -> Block:
    born = strings.BORN.get(patient.sex, strings.BORN_UNKNOWN_SEX)
    name = _NAME.at(_NAME.size * scale)
    blocks: list[Block] = [
        paragraph(patient.birth_family_name.upper(), name, width, max_lines=2, min_size=7),
        paragraph(
            patient.given_names, _GIVEN.at(_GIVEN.size * scale), width, max_lines=2, min_size=7
        ),
        inline_fields(
            [
                Item(born, strings.numeric_day(patient.birth_date), 17 * MM),
                Item("", strings.sex_name(patient.sex), 5 * MM),
            ],
            width,
            _FIELD_LABEL.at(_FIELD_LABEL.size * scale),
            _FIELD_VALUE.at(_FIELD_VALUE.size * scale),
        ),
        inline_fields(
            [Item(strings.LOCAL_ID, patient.local_id, 20 * MM)],
            width,
            _FIELD_LABEL.at(_FIELD_LABEL.size * scale),
            _FIELD_VALUE.at(_FIELD_VALUE.size * scale),
        ),
    ]
    return Stack(tuple(blocks), 0.5 * MM)


def _downtime_label(canvas: Canvas, x: float, y: float, downtime_id: str, payload: str) -> None:
    side = _draw_code(canvas, x, y, payload)
    left = x + PADDING
    top = y + LABEL_HEIGHT - PADDING
    bottom = y + PADDING
    beside_code = _INNER_WIDTH - side - _QR_GAP
    caption = _WRITE.at(6.5)
    canvas.setFont(caption.font, caption.size)
    canvas.drawString(left, top - caption.size, strings.DOWNTIME_ID)
    style, lines = fitted(downtime_id, _DOWNTIME_ID, beside_code, max_lines=1, min_size=8)
    baseline = top - caption.leading - style.size
    canvas.setFont(style.font, style.size)
    for line in lines:
        canvas.drawString(left, baseline, line)
        baseline -= style.leading
    name, given, born, sex = strings.DOWNTIME_LINES
    # From the bottom up: the lowest lines run under the code, across the whole label.
    baseline = bottom + 1 * MM
    ticks = tick_boxes_width(strings.SEX_CHOICES, _WRITE)
    sex_left = left + _INNER_WIDTH - ticks - _WRITE.width(sex) - 1 * MM
    write_line(canvas, left, baseline, sex_left - left - 2 * MM, label=born, style=_WRITE)
    canvas.setFont(_WRITE.font, _WRITE.size)
    canvas.drawString(sex_left, baseline, sex)
    tick_boxes(canvas, left + _INNER_WIDTH - ticks, baseline, strings.SEX_CHOICES, _WRITE)
    baseline += _WRITE_LINE_HEIGHT
    # Under the code if it leaves room (it does up to ids of some 70 characters), else beside.
    clear_of_code = baseline + _WRITE.size < top - side
    given_width = _INNER_WIDTH if clear_of_code else beside_code
    write_line(canvas, left, baseline, given_width, label=given, style=_WRITE)
    baseline += _WRITE_LINE_HEIGHT
    write_line(canvas, left, baseline, beside_code, label=name, style=_WRITE)
