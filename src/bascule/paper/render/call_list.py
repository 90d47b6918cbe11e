"""The call list: postponed and redirected patients to be told, with room to log each call."""

from bascule.paper.model import CallEntry, FormType, PacketData
from bascule.paper.render import strings
from bascule.paper.render.blocks import Block, Column, Stack, paragraph, stack, text_or_blank
from bascule.paper.render.boxes import FORM_LABEL, TickRow
from bascule.paper.render.flow import Flow
from bascule.paper.render.identity import identity_block
from bascule.paper.render.page import Body, PacketCanvas
from bascule.paper.render.text import BODY, BODY_BOLD, LARGE, MM

# Column widths in mm; "Résultat" (None) takes the rest of the page width.
_WIDTHS_MM = (64, 30, 46, 34, 38, 22, 22, None)
_ROW_HEIGHT = 20 * MM
_STATUS = BODY_BOLD


def render_call_list(pdf: PacketCanvas, data: PacketData) -> None:
    """The list, continued on as many pages as needed; a page saying so when empty."""
    title = strings.CALL_LIST_TITLE
    subtitle = strings.CALL_LIST_SUBTITLE.format(count=len(data.call_list))

    def start(continued: bool) -> Body:
        _, body = pdf.start_page(
            FormType.CALL_LIST,
            strings.CONTINUED.format(title=title) if continued else title,
            subtitle=subtitle,
            wide=True,
        )
        return body

    flow = Flow(start)
    if not data.call_list:
        flow.place(paragraph(strings.CALL_LIST_EMPTY, LARGE, flow.body.width))
        return
    fixed = sum(width or 0 for width in _WIDTHS_MM) * MM
    widths = [flow.body.width - fixed if width is None else width * MM for width in _WIDTHS_MM]
    columns = [
        Column(title, width) for title, width in zip(strings.CALL_COLUMNS, widths, strict=True)
    ]
    flow.table(
        columns, [_entry_cells(columns, entry) for entry in data.call_list], min_row=_ROW_HEIGHT
    )


def _entry_cells(columns: list[Column], entry: CallEntry) -> list[Block]:
    patient, phone, procedure, old, new, *_ = columns
    status = strings.CALL_STATUS.get(entry.status, entry.status)
    return [
        identity_block(entry.patient, patient.inner),
        text_or_blank(entry.phone, BODY_BOLD, phone.inner, 6 * MM),
        stack(
            text_or_blank(entry.procedure, BODY_BOLD, procedure.inner, 6 * MM),
            paragraph(entry.case_id, FORM_LABEL, procedure.inner),
        ),
        stack(
            text_or_blank(strings.numeric_day(entry.old_day), BODY_BOLD, old.inner, 5 * MM),
            text_or_blank(entry.old_place, BODY, old.inner, 5 * MM),
        ),
        stack(
            paragraph(status, _STATUS, new.inner, inverse=entry.status == "redirected"),
            text_or_blank(strings.numeric_day(entry.new_day), BODY_BOLD, new.inner, 5 * MM),
            text_or_blank(entry.new_place, BODY, new.inner, 5 * MM),
        ),
        Stack(()),
        Stack(()),
        Stack(tuple(TickRow("", (choice,), FORM_LABEL.at(8)) for choice in strings.CALL_RESULTS)),
    ]
