"""Transfer letters: one per patient redirected to another site for their operation.

The letter travels with the patient: who they are, where they come from and go to, what
is planned, and what our last copy of their record says (allergies, treatments). Where we
have no summary sheet for the patient, allergies and treatments are left to be written:
not knowing is not the same as "none".
"""

from bascule.paper.model import CallEntry, FormType, PacketData, PatientSheet
from bascule.paper.render import strings
from bascule.paper.render.blocks import paragraph
from bascule.paper.render.boxes import RuledLines, TickRow
from bascule.paper.render.flow import Flow, signatures
from bascule.paper.render.identity import allergy_block, identity_pairs
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.sheets import medications_table
from bascule.paper.render.text import BODY, BODY_BOLD, MM

REDIRECTED = "redirected"


def render_transfer_letters(pdf: PacketCanvas, data: PacketData) -> None:
    """A letter for each redirected patient of the call list."""
    sheets = {sheet.patient.patient_id: sheet for sheet in data.sheets}
    for entry in data.call_list:
        if entry.status == REDIRECTED:
            _transfer_letter(pdf, data, entry, sheets.get(entry.patient.patient_id))


def _transfer_letter(
    pdf: PacketCanvas, data: PacketData, entry: CallEntry, sheet: PatientSheet | None
) -> None:
    patient = entry.patient
    title = strings.TRANSFER_TITLE.format(name=strings.full_name(patient))

    def start(continued: bool) -> Body:
        _, body = pdf.start_page(
            FormType.TRANSFER,
            strings.CONTINUED.format(title=title) if continued else title,
            patient_id=patient.patient_id,
            case_id=entry.case_id,
        )
        return body

    flow = Flow(start)
    width = flow.body.width
    origin = data.site_label
    flow.pairs(
        [
            (strings.TRANSFER_FROM, origin),
            (strings.TRANSFER_TO, entry.new_place),
            (strings.PROCEDURE, entry.procedure),
            (strings.TRANSFER_DAY, strings.numeric_day(entry.new_day)),
            (strings.TRANSFER_CASE, entry.case_id),
            (strings.PHONE, entry.phone),
        ]
    )
    flow.heading(strings.IDENTITY)
    flow.pairs(identity_pairs(patient))
    flow.place(paragraph(strings.TRANSFER_GREETING, BODY, width), 1 * MM)
    flow.place(paragraph(strings.TRANSFER_BODY, BODY, width), 3 * MM)
    if sheet is None:
        flow.heading(strings.TRANSFER_ALLERGIES_UNKNOWN)
        flow.place(RuledLines("", 2))
        flow.heading(strings.MEDICATIONS)
        flow.place(RuledLines("", 3))
    else:
        flow.heading(strings.ALLERGIES_TITLE)
        flow.place(allergy_block(sheet.allergies, width, BODY_BOLD.at(11)), 3 * MM)
        flow.heading(strings.MEDICATIONS)
        medications_table(flow, sheet.medications)
    flow.heading(strings.TRANSFER_HISTORY)
    flow.place(RuledLines("", 4))
    flow.place(TickRow(strings.TRANSFER_DOCUMENTS, strings.TRANSFER_DOCUMENT_TYPES))
    flow.place(RuledLines(strings.TRANSFER_DOCTOR))
    signatures(flow, (strings.SIGNATURE,))
