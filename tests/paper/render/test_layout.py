"""Nothing printed off the page, into the margins, or across the edge of a label."""

from dataclasses import replace

import pytest

from bascule.paper.model import FormType, PacketPart
from tests.paper.render.packets import LONG_FAMILY_NAME, LONG_NAME, MEDICINE_WARD, PACKET, bed
from tests.paper.render.support import Rendered, char_boxes, flat, page_texts, render

MM = 72 / 25.4
PAGE_MARGIN = 10 * MM
# Glyph boxes are measured by pdfium; allow a hair for rounding.
TOLERANCE = 0.3
LABEL_WIDTH = 70 * MM
LABEL_HEIGHT = 37 * MM
LABEL_TOP = 297 * MM - 0.5 * MM
LABEL_PADDING = 2 * MM
LABEL_TYPES = {FormType.LABELS, FormType.DOWNTIME_LABELS}


def _inside(
    box: tuple[float, float, float, float], area: tuple[float, float, float, float]
) -> bool:
    left, bottom, right, top = box
    area_left, area_bottom, area_right, area_top = area
    return (
        left >= area_left - TOLERANCE
        and bottom >= area_bottom - TOLERANCE
        and right <= area_right + TOLERANCE
        and top <= area_top + TOLERANCE
    )


def _label_cell(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The inner area (padding excluded) of the label the centre of ``box`` falls in."""
    left, bottom, right, top = box
    column = int(((left + right) / 2) // LABEL_WIDTH)
    row = int((LABEL_TOP - (bottom + top) / 2) // LABEL_HEIGHT)
    cell_left = column * LABEL_WIDTH
    cell_top = LABEL_TOP - row * LABEL_HEIGHT
    return (
        cell_left + LABEL_PADDING,
        cell_top - LABEL_HEIGHT + LABEL_PADDING,
        cell_left + LABEL_WIDTH - LABEL_PADDING,
        cell_top - LABEL_PADDING,
    )


@pytest.fixture(scope="module")
def stressed() -> Rendered:
    """The test packet with a long site name, city and printer name."""
    data = replace(
        PACKET,
        site_name="Centre hospitalier privé Saint-Éloi-et-Sainte-Thérèse de la Côte d'Émeraude",
        site_city="Saint-Jacques-de-la-Lande",
        source="kit clinique-rennes-2026-11-30T02:58",
    )
    return render(data)


def test_framed_pages_keep_every_character_within_the_margins(stressed: Rendered) -> None:
    document = stressed.document()
    for form, page in zip(stressed.issuer.issued, document, strict=True):
        if form.code.form_type in LABEL_TYPES:
            continue
        width, height = page.get_size()
        area = (PAGE_MARGIN, PAGE_MARGIN, width - PAGE_MARGIN, height - PAGE_MARGIN)
        outside = [char for char, box in char_boxes(page) if not _inside(box, area)]
        assert not outside, (form.page, "".join(outside))


def test_label_text_stays_inside_its_label(stressed: Rendered) -> None:
    document = stressed.document()
    for form, page in zip(stressed.issuer.issued, document, strict=True):
        if form.code.form_type not in LABEL_TYPES:
            continue
        boxes = char_boxes(page)
        assert boxes
        outside = [char for char, box in boxes if not _inside(box, _label_cell(box))]
        assert not outside, (form.page, "".join(outside))


def test_label_drawings_stay_inside_their_label(stressed: Rendered) -> None:
    document = stressed.document()
    for form, page in zip(stressed.issuer.issued, document, strict=True):
        if form.code.form_type not in LABEL_TYPES:
            continue
        bounds = [obj.get_bounds() for obj in page.get_objects()]
        assert bounds
        for box in bounds:
            assert _inside(box, _label_cell(box)), (form.page, box)


def test_long_header_and_footer_wrap_instead_of_running_off(stressed: Rendered) -> None:
    texts = [page.get_textpage().get_text_range() for page in stressed.document()]
    assert "Côte d'Émeraude" in texts[0]
    assert "séquence 48213" in texts[0]


def test_extreme_identities_still_fit_their_labels() -> None:
    extreme = replace(
        LONG_NAME,
        patient_id="pat-extreme",
        given_names="Marie-Bénédicte-Ghislaine Amélie-Éléonore Françoise-Lœtitia Zoé",
        local_id="IPP-2026-000000123456789",
        birth_date=None,
    )
    ward = replace(MEDICINE_WARD, beds=(bed("201", "A", extreme),))
    data = replace(
        PACKET,
        theatres=(),
        wards=(ward,),
        downtime_ids=("SECOURS-RENNES-SAINT-ÉLOI-2026-000001",),
    )
    rendered = render(data, parts=[PacketPart.LABELS, PacketPart.DOWNTIME])
    texts = page_texts(rendered.pdf)
    assert flat(LONG_FAMILY_NAME) in flat(texts[0])
    assert "SECOURS-RENNES-SAINT-ÉLOI-2026-000001" in flat(texts[1])
    for page in rendered.document():
        for _, box in char_boxes(page):
            assert _inside(box, _label_cell(box)), box
        for obj in page.get_objects():
            assert _inside(obj.get_bounds(), _label_cell(obj.get_bounds()))
