"""The packet: the selected parts, in their fixed order, in one PDF."""

from collections.abc import Callable, Sequence
from datetime import datetime

from bascule.errors import BasculeError
from bascule.paper.issuing import FormIssuer
from bascule.paper.model import PacketData, PacketPart
from bascule.paper.render.call_list import render_call_list
from bascule.paper.render.census import render_census
from bascule.paper.render.forms import render_forms
from bascule.paper.render.labels import render_downtime_labels, render_labels
from bascule.paper.render.options import PacketOptions
from bascule.paper.render.or_lists import render_or_lists
from bascule.paper.render.page import PacketCanvas
from bascule.paper.render.sheets import render_sheets


class NothingToPrintError(BasculeError):
    """The parts asked have no page for this site and day."""


def render_packet(
    data: PacketData,
    parts: Sequence[PacketPart],
    issuer: FormIssuer,
    *,
    printed_at: datetime,
    printed_by: str,
    options: PacketOptions = PacketOptions(),
) -> bytes:
    """The PDF of ``parts`` of a site's day, every page a form issued by ``issuer``.

    Parts follow the order of :class:`PacketPart` whatever the order asked. The same
    data, options and seeded issuer give the same bytes: a packet printed from a kit
    equals the packet printed from the database. Every part prints at least a page saying
    it has nothing to show, except forms, which may print nothing:
    :class:`NothingToPrintError` when no page at all results (as when no part is selected).
    """
    pdf = PacketCanvas(data, issuer, printed_at, printed_by)
    renderers: dict[PacketPart, Callable[[], None]] = {
        PacketPart.OR_LISTS: lambda: render_or_lists(pdf, data),
        PacketPart.CENSUS: lambda: render_census(pdf, data),
        PacketPart.SHEETS: lambda: render_sheets(pdf, data),
        PacketPart.LABELS: lambda: render_labels(pdf, data, options.labels_per_patient),
        PacketPart.FORMS: lambda: render_forms(pdf, data, options),
        PacketPart.CALL_LIST: lambda: render_call_list(pdf, data),
        PacketPart.DOWNTIME: lambda: render_downtime_labels(pdf, data),
    }
    for part in PacketPart:
        if part in parts:
            renderers[part]()
    if not pdf.page_number:
        # No part selected, or only forms with no case, no inpatient and no blank asked.
        raise NothingToPrintError(
            f"nothing to print: the parts asked have no page for {data.site_id} on {data.day}"
        )
    return pdf.finish()
