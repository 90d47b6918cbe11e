"""Every QR code of a packet scans back, at 150 dpi, to what the issuer handed out."""

from collections import Counter
from dataclasses import replace

from bascule.paper.codes import FormCode
from bascule.paper.model import FormType, PacketPart, TheatreList
from tests.paper.render.packets import CASES_ROOM_1, PACKET, SITE_ID, case
from tests.paper.render.support import Rendered, decode_pages, render

LABELS_PER_SHEET = 24


def _expected(packet: Rendered) -> list[Counter[FormCode]]:
    """What each page of the test packet must carry, code by code."""
    issued = packet.issuer.issued
    expected: list[Counter[FormCode]] = []
    or_pages = iter(PACKET.theatres)
    label_patients = iter(
        patient_id
        for patient_id in dict.fromkeys(
            [patient.patient_id for patient in PACKET.inpatients]
            + [line.patient.patient_id for line in PACKET.cases]
        )
        for _ in range(LABELS_PER_SHEET)
    )
    for form in issued:
        code = form.code
        if code.form_type is FormType.LABELS:
            expected.append(
                Counter(
                    FormCode(FormType.LABELS, code.form_id, SITE_ID, next(label_patients))
                    for _ in range(LABELS_PER_SHEET)
                )
            )
        elif code.form_type is FormType.DOWNTIME_LABELS:
            expected.append(
                Counter(
                    FormCode(FormType.DOWNTIME_LABELS, code.form_id, SITE_ID, downtime_id)
                    for downtime_id in PACKET.downtime_ids
                    for _ in range(3)
                )
            )
        elif code.form_type is FormType.OR_LIST:
            theatre = next(or_pages)
            page = Counter([code])
            page.update(
                FormCode(
                    FormType.OR_LIST, code.form_id, SITE_ID, line.patient.patient_id, line.case_id
                )
                for line in theatre.cases
            )
            expected.append(page)
        else:
            expected.append(Counter([code]))
    return expected


def test_every_code_of_the_packet_scans_back_to_what_was_issued(packet: Rendered) -> None:
    scanned = [Counter(codes) for codes in decode_pages(packet.pdf)]
    expected = _expected(packet)
    assert scanned == expected
    # 35 framed pages, 4 cases, 5 sheets of 24 labels, 3 downtime ids x 3 labels.
    assert sum(page.total() for page in scanned) == 35 + 4 + 5 * 24 + 9


def test_case_codes_carry_the_form_id_of_the_page_they_are_on() -> None:
    cases = tuple(
        case(f"long-{index}", CASES_ROOM_1[index % 3].patient, "or-9", 7 * 60 + 30 * index)
        for index in range(14)
    )
    data = replace(PACKET, theatres=(TheatreList("or-9", "Salle 9", cases),))
    rendered = render(data, parts=[PacketPart.OR_LISTS])
    pages = decode_pages(rendered.pdf)
    assert len(pages) > 1
    seen: list[str] = []
    for form, codes in zip(rendered.issuer.issued, pages, strict=True):
        assert form.code in codes
        case_codes = [code for code in codes if code.case_id]
        assert {code.form_id for code in case_codes} == {form.code.form_id}
        seen.extend(code.case_id or "" for code in case_codes)
    assert seen == [line.case_id for line in cases]
