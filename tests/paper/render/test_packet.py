"""What a packet prints: parts in order, one form per page, numbering, footer, content."""

import re
from collections import Counter
from dataclasses import replace

import pytest

from bascule.paper.codes import display_form_id
from bascule.paper.model import FormType, PacketPart
from bascule.paper.render import PacketOptions
from bascule.paper.render.packet import NothingToPrintError
from tests.paper.render.packets import (
    EMPTY_PACKET,
    LONG_FAMILY_NAME,
    PACKET,
    crowded_ward,
)
from tests.paper.render.support import Rendered, flat, page_texts, render

PAGES_PER_PART = {
    # Three theatres, the last one empty.
    PacketPart.OR_LISTS: 3,
    # Two wards that fit on a page each.
    PacketPart.CENSUS: 2,
    PacketPart.SHEETS: 3,
    # Five distinct patients, a full sheet of 24 labels each.
    PacketPart.LABELS: 5,
    # 10 blank admissions, 4 surgical records, 5 MARs, 5 blank requests, 2 transfer letters.
    PacketPart.FORMS: 26,
    PacketPart.CALL_LIST: 1,
    # Three downtime ids: three rows of one sheet.
    PacketPart.DOWNTIME: 1,
}
FOOTER = (
    "Imprimé le 30/11/2026 à 03:12 par Cécile Brûlé (IDE de nuit) — données au "
    "30/11/2026 02:58 (source : kit, séquence 48213)"
)
LABEL_TYPES = {FormType.LABELS, FormType.DOWNTIME_LABELS}


def test_each_part_prints_its_pages_in_packet_part_order() -> None:
    rendered = render(PACKET, parts=list(reversed(PacketPart)))
    types = [form.code.form_type for form in rendered.issuer.issued]
    first_type = {
        PacketPart.OR_LISTS: FormType.OR_LIST,
        PacketPart.CENSUS: FormType.CENSUS,
        PacketPart.SHEETS: FormType.PATIENT_SHEET,
        PacketPart.LABELS: FormType.LABELS,
        PacketPart.FORMS: FormType.ADMISSION,
        PacketPart.CALL_LIST: FormType.CALL_LIST,
        PacketPart.DOWNTIME: FormType.DOWNTIME_LABELS,
    }
    start = 0
    for part, count in PAGES_PER_PART.items():
        assert types[start] is first_type[part], part
        start += count
    assert len(types) == sum(PAGES_PER_PART.values())


@pytest.mark.parametrize("part", list(PacketPart))
def test_a_part_alone_prints_its_pages(part: PacketPart) -> None:
    rendered = render(PACKET, parts=[part])
    assert len(rendered.document()) == PAGES_PER_PART[part]


def test_forms_part_prints_its_forms_in_order(packet: Rendered) -> None:
    forms = [
        form.code.form_type
        for form in packet.issuer.issued
        if form.code.form_type
        in {
            FormType.ADMISSION,
            FormType.SURGICAL_RECORD,
            FormType.MEDICATION_RECORD,
            FormType.REQUEST,
            FormType.TRANSFER,
        }
    ]
    assert forms == (
        [FormType.ADMISSION] * 10
        + [FormType.SURGICAL_RECORD] * 4
        + [FormType.MEDICATION_RECORD] * 5
        + [FormType.REQUEST] * 5
        + [FormType.TRANSFER] * 2
    )


def test_every_page_is_one_issued_form(packet: Rendered) -> None:
    issued = packet.issuer.issued
    assert [form.page for form in issued] == list(range(1, len(packet.document()) + 1))
    assert all(form.title for form in issued)
    assert len({form.code.form_id for form in issued}) == len(issued)


def test_forms_carry_patient_case_and_ward_as_agreed(packet: Rendered) -> None:
    by_type: dict[FormType, list[tuple[str | None, str | None, str | None]]] = {}
    for form in packet.issuer.issued:
        code = form.code
        by_type.setdefault(code.form_type, []).append((code.patient_id, code.case_id, form.ward_id))
    none = (None, None, None)
    for form_type in (
        FormType.OR_LIST,
        FormType.LABELS,
        FormType.ADMISSION,
        FormType.REQUEST,
        FormType.CALL_LIST,
        FormType.DOWNTIME_LABELS,
    ):
        assert set(by_type[form_type]) == {none}, form_type
    assert by_type[FormType.CENSUS] == [
        (None, None, "ward-ortho"),
        (None, None, "ward-med"),
    ]
    assert by_type[FormType.PATIENT_SHEET] == [
        ("pat-eleonore", None, "ward-ortho"),
        ("pat-francois", None, "ward-ortho"),
        ("pat-long", None, None),
    ]
    assert by_type[FormType.SURGICAL_RECORD] == [
        (case.patient.patient_id, case.case_id, None) for case in PACKET.cases
    ]
    assert by_type[FormType.MEDICATION_RECORD] == [
        ("pat-eleonore", None, "ward-ortho"),
        ("pat-long", None, "ward-ortho"),
        ("pat-francois", None, "ward-ortho"),
        ("pat-loetitia", None, "ward-med"),
        ("pat-noel", None, "ward-med"),
    ]
    assert by_type[FormType.TRANSFER] == [
        ("pat-loetitia", "case-9", None),
        ("pat-long", "case-11", None),
    ]


def test_pages_are_numbered_over_the_whole_packet(packet: Rendered) -> None:
    texts = page_texts(packet.pdf)
    total = len(texts)
    for form, text in zip(packet.issuer.issued, texts, strict=True):
        if form.code.form_type in LABEL_TYPES:
            continue
        assert re.search(rf"page {form.page} /\s*{total}\b", text), form.page


def test_every_framed_page_has_the_footer_and_its_form_id(packet: Rendered) -> None:
    texts = page_texts(packet.pdf)
    for form, text in zip(packet.issuer.issued, texts, strict=True):
        if form.code.form_type in LABEL_TYPES:
            continue
        assert flat(FOOTER) in flat(text)
        assert display_form_id(form.code.form_id) in text
        assert ("À RENDRE pour ressaisie" in text) is form.code.form_type.returnable


def test_headers_name_the_site_and_the_day(packet: Rendered) -> None:
    texts = page_texts(packet.pdf)
    framed = [
        text
        for form, text in zip(packet.issuer.issued, texts, strict=True)
        if form.code.form_type not in LABEL_TYPES
    ]
    assert all("Clinique Saint-Éloi — Rennes" in text for text in framed)
    assert all("lundi 30 novembre 2026" in text for text in framed)


def test_french_characters_come_out_as_written(packet: Rendered) -> None:
    text = flat("".join(page_texts(packet.pdf)))
    for word in (
        "Éléonore",
        "Lœtitia",
        "François",
        "BŒUF-LÉGARÉ",
        "Prothèse",
        "œdème",
        "« risque hémorragique »",
        "Réorientée",
        "Hôpital privé Sévigné",
        "Pièce d'identité vue",
        "Chère consœur",
    ):
        assert flat(word) in text, word


def test_allergies_stand_on_every_document_of_the_patient(packet: Rendered) -> None:
    banner = flat("ALLERGIES : pénicilline (SÉVÈRE : œdème de Quincke) ; latex (modérée)")
    texts = page_texts(packet.pdf)
    pages_with_banner = {
        form.code.form_type
        for form, text in zip(packet.issuer.issued, texts, strict=True)
        if banner in flat(text)
    }
    assert pages_with_banner == {
        FormType.OR_LIST,
        FormType.CENSUS,
        FormType.PATIENT_SHEET,
        FormType.SURGICAL_RECORD,
        FormType.MEDICATION_RECORD,
    }


def test_an_empty_allergy_list_prints_no_known_allergy(packet: Rendered) -> None:
    texts = page_texts(packet.pdf)
    francois_sheet = next(
        text
        for form, text in zip(packet.issuer.issued, texts, strict=True)
        if form.code.patient_id == "pat-francois" and form.code.form_type is FormType.PATIENT_SHEET
    )
    assert "Aucune allergie connue" in francois_sheet
    assert "ALLERGIE" not in francois_sheet


def test_transfer_without_a_sheet_leaves_allergies_to_be_written(packet: Rendered) -> None:
    texts = page_texts(packet.pdf)
    letters = {
        form.code.patient_id: text
        for form, text in zip(packet.issuer.issued, texts, strict=True)
        if form.code.form_type is FormType.TRANSFER
    }
    # No sheet for Lœtitia: nobody knows, so nobody prints "none".
    assert "Allergies (à compléter)" in letters["pat-loetitia"]
    assert "Aucune allergie connue" not in letters["pat-loetitia"]
    assert "ALLERGIE : iode (urticaire)" in letters["pat-long"]


def test_missing_values_never_print_none(packet: Rendered) -> None:
    for text in page_texts(packet.pdf):
        assert "None" not in text


def test_a_sixty_character_name_is_printed_whole(packet: Rendered) -> None:
    texts = page_texts(packet.pdf)
    with_name = Counter(
        form.code.form_type
        for form, text in zip(packet.issuer.issued, texts, strict=True)
        if flat(LONG_FAMILY_NAME) in flat(text)
    )
    assert set(with_name) >= {
        FormType.OR_LIST,
        FormType.CENSUS,
        FormType.PATIENT_SHEET,
        FormType.LABELS,
        FormType.SURGICAL_RECORD,
        FormType.MEDICATION_RECORD,
        FormType.TRANSFER,
        FormType.CALL_LIST,
    }


def test_empty_theatre_and_empty_call_list_say_so() -> None:
    theatre_pages = page_texts(render(PACKET, parts=[PacketPart.OR_LISTS]).pdf)
    assert "Aucune intervention prévue dans cette salle ce jour." in theatre_pages[2]
    empty = page_texts(render(EMPTY_PACKET, parts=[PacketPart.CALL_LIST]).pdf)
    assert len(empty) == 1
    assert "Aucun patient à rappeler." in empty[0]


def test_a_site_with_nothing_prints_one_notice_page_per_part() -> None:
    options = PacketOptions(blank_admissions=0, blank_requests=0)
    parts = [part for part in PacketPart if part is not PacketPart.FORMS]
    rendered = render(EMPTY_PACKET, parts=parts, options=options)
    texts = page_texts(rendered.pdf)
    assert len(texts) == len(parts)
    for notice, text in zip(
        (
            "Aucune salle d'opération programmée ce jour.",
            "Aucun service d'hospitalisation enregistré pour ce site.",
            "Aucune fiche patient à imprimer.",
            "Aucun patient à étiqueter.",
            "Aucun patient à rappeler.",
            "Aucun identifiant de secours à imprimer.",
        ),
        texts,
        strict=True,
    ):
        assert notice in text


def test_nothing_to_print_is_refused() -> None:
    options = PacketOptions(blank_admissions=0, blank_requests=0)
    with pytest.raises(NothingToPrintError, match="nothing to print"):
        render(EMPTY_PACKET, parts=[PacketPart.FORMS], options=options)
    with pytest.raises(NothingToPrintError, match="nothing to print"):
        render(PACKET, parts=[])


def test_a_long_census_continues_with_a_new_form_per_page() -> None:
    data = replace(PACKET, wards=(crowded_ward(40),))
    rendered = render(data, parts=[PacketPart.CENSUS])
    texts = page_texts(rendered.pdf)
    issued = rendered.issuer.issued
    assert len(texts) > 1
    assert all(form.ward_id == "ward-big" for form in issued)
    assert "(suite)" not in texts[0]
    assert all("État des lits — Soins de suite (suite)" in text for text in texts[1:])
    # Every bed is printed once, room numbers 300 to 319.
    assert all(any(f"{room}" in text for text in texts) for room in range(300, 320))


def test_options_set_the_quantities() -> None:
    options = PacketOptions(
        blank_admissions=2, blank_requests=1, medication_days=7, labels_per_patient=30
    )
    rendered = render(PACKET, parts=[PacketPart.FORMS, PacketPart.LABELS], options=options)
    counts = Counter(form.code.form_type for form in rendered.issuer.issued)
    assert counts[FormType.ADMISSION] == 2
    assert counts[FormType.REQUEST] == 1
    # Seven days do not fit one landscape page: five, then two, for each of 5 inpatients.
    assert counts[FormType.MEDICATION_RECORD] == 10
    # 5 patients x 30 labels = 150 labels on sheets of 24.
    assert counts[FormType.LABELS] == 7


def test_same_inputs_give_the_same_bytes() -> None:
    first = render(PACKET)
    second = render(PACKET)
    assert first.pdf == second.pdf
    assert render(PACKET, seed=8).pdf != first.pdf


def test_document_dates_come_from_the_printing_time(packet: Rendered) -> None:
    assert b"D:20261130031200+01'00'" in packet.pdf
