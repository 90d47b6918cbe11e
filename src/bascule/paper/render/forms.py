"""The forms part: blank and pre-filled forms that come back for re-entry.

In this order: blank admission forms, a surgical record per case of the day, a medication
administration record per inpatient, blank lab/imaging requests, and a transfer letter
per redirected patient.
"""

from bascule.paper.model import FormType, PacketData
from bascule.paper.render import strings
from bascule.paper.render.blocks import Beside, paragraph, stack
from bascule.paper.render.boxes import (
    FORM_LABEL,
    Comb,
    CombRow,
    RuledLines,
    SignatureBox,
    TickRow,
    filling_comb,
)
from bascule.paper.render.flow import Flow, signatures
from bascule.paper.render.medication import render_medication_records
from bascule.paper.render.options import PacketOptions
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.surgical import render_surgical_records
from bascule.paper.render.text import MM
from bascule.paper.render.transfer import render_transfer_letters

# Room for one downtime or patient label (70 x 37 mm) with a little play around it.
STICKER_WIDTH = 72 * MM
STICKER_HEIGHT = 39 * MM
_DATE = (2, 2, 4)
_TIME = (2, 2)
_NIR = (1, 2, 2, 2, 3, 3, 2)
_PHONE = (2, 2, 2, 2, 2)
_ROW_GAP = 2.5 * MM


def render_forms(pdf: PacketCanvas, data: PacketData, options: PacketOptions) -> None:
    """Every form of the forms part, in the order staff sort them."""
    for _ in range(options.blank_admissions):
        _admission_form(pdf)
    render_surgical_records(pdf, data)
    render_medication_records(pdf, data, options.medication_days)
    for _ in range(options.blank_requests):
        _request_form(pdf)
    render_transfer_letters(pdf, data)


def _blank_form(pdf: PacketCanvas, form_type: FormType, title: str) -> Flow:
    def start(continued: bool) -> Body:
        _, body = pdf.start_page(
            form_type, strings.CONTINUED.format(title=title) if continued else title
        )
        return body

    return Flow(start)


def _admission_form(pdf: PacketCanvas) -> None:
    flow = _blank_form(pdf, FormType.ADMISSION, strings.ADMISSION_TITLE)
    width = flow.body.width
    fields = strings.ADMISSION_FIELDS
    flow.place(paragraph(strings.ADMISSION_INTRO, FORM_LABEL.at(8.5), width))
    flow.heading(strings.IDENTITY)
    for key in ("birth_name", "first_given_name", "other_given_names", "used_name"):
        flow.place(CombRow((filling_comb(fields[key], width),)), _ROW_GAP)
    flow.place(
        CombRow(
            (
                Comb(fields["birth_date"], _DATE),
                Comb(fields["sex"], (1,)),
                Comb(fields["birth_place"], (5,)),
            )
        ),
        _ROW_GAP,
    )
    flow.place(RuledLines(fields["birth_town"]), _ROW_GAP)
    flow.place(CombRow((Comb(fields["nir"], _NIR),)), _ROW_GAP)
    flow.place(TickRow(fields["document"], strings.IDENTITY_DOCUMENTS))
    flow.heading(strings.CONTACT)
    flow.place(RuledLines(fields["address"], 2), 1 * MM)
    flow.place(CombRow((Comb(fields["postcode"], (5,)), Comb(fields["phone"], _PHONE))), 1 * MM)
    flow.place(RuledLines(fields["town"]), 0)
    flow.place(RuledLines(fields["contact"]))
    flow.heading(strings.ADMISSION, keep=STICKER_HEIGHT)
    left = width - STICKER_WIDTH - 4 * MM
    flow.place(
        Beside(
            (
                (
                    left,
                    stack(
                        RuledLines(strings.WARD),
                        Beside(
                            (
                                (left / 2 - 2 * MM, RuledLines(strings.ROOM)),
                                (left / 2 - 2 * MM, RuledLines(strings.BED)),
                            )
                        ),
                        CombRow((Comb(fields["admitted_at"], (*_DATE, *_TIME)),)),
                        RuledLines(fields["reason"], 2),
                        RuledLines(fields["doctor"]),
                    ),
                ),
                (STICKER_WIDTH, SignatureBox(strings.DOWNTIME_BOX, STICKER_HEIGHT)),
            )
        )
    )
    signatures(flow, (strings.ENTERED_BY, strings.SIGNATURE))


def _request_form(pdf: PacketCanvas) -> None:
    flow = _blank_form(pdf, FormType.REQUEST, strings.REQUEST_TITLE)
    width = flow.body.width
    left = width - STICKER_WIDTH - 4 * MM
    fields = strings.ADMISSION_FIELDS
    flow.heading(strings.REQUEST_PATIENT, keep=STICKER_HEIGHT)
    flow.place(
        Beside(
            (
                (
                    left,
                    stack(
                        RuledLines(fields["birth_name"]),
                        RuledLines(fields["first_given_name"]),
                        CombRow((Comb(fields["birth_date"], _DATE), Comb(fields["sex"], (1,)))),
                        RuledLines(strings.LOCAL_ID_OR_DOWNTIME),
                    ),
                ),
                (STICKER_WIDTH, SignatureBox(strings.STICKER_BOX, STICKER_HEIGHT)),
            )
        )
    )
    flow.place(
        Beside(
            (
                (width / 2 - 2 * MM, RuledLines(strings.WARD)),
                (width / 2 - 2 * MM, RuledLines(f"{strings.ROOM} / {strings.BED}")),
            )
        )
    )
    flow.place(RuledLines(strings.REQUEST_PRESCRIBER))
    flow.place(
        Beside(
            (
                (left, CombRow((Comb(strings.REQUEST_DATE, (*_DATE, *_TIME)),))),
                (STICKER_WIDTH, TickRow("", strings.REQUEST_URGENCY)),
            )
        )
    )
    _tick_grid(flow, strings.REQUEST_LAB, strings.REQUEST_LAB_TESTS)
    flow.place(RuledLines(strings.REQUEST_OTHER))
    _tick_grid(flow, strings.REQUEST_IMAGING, strings.REQUEST_IMAGING_TESTS)
    flow.place(RuledLines(strings.REQUEST_REGION))
    flow.place(TickRow(strings.REQUEST_CONTRAST, strings.YES_NO))
    flow.heading(strings.REQUEST_CLINICAL)
    flow.place(RuledLines("", 3))
    flow.place(RuledLines(strings.REQUEST_SAMPLE))
    signatures(flow, (strings.REQUEST_PRESCRIBER, strings.REQUEST_SAMPLER))


def _tick_grid(flow: Flow, title: str, choices: tuple[str, ...], per_row: int = 4) -> None:
    """A heading and its choices, ``per_row`` tick boxes to a row, in aligned columns."""
    flow.heading(title)
    share = flow.body.width / per_row
    for start in range(0, len(choices), per_row):
        row = choices[start : start + per_row]
        flow.place(Beside(tuple((share, TickRow("", (choice,))) for choice in row), 0), 0.5 * MM)
