from datetime import timedelta

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from bascule.paper.registry import outstanding
from bascule.store import journal
from bascule.store.database import Database
from tests.web.conftest import ESTUAIRE


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_paper_page_offers_the_packet_and_lists_nothing_out(client: TestClient) -> None:
    html = client.get("/sites/estuaire/paper").text
    assert 'action="/sites/estuaire/paper/packet"' in html
    assert 'value="or-lists" checked' in html
    assert "Aucun formulaire en circulation." in html
    assert "/sites/estuaire/paper" in client.get("/sites/estuaire").text


def test_downloaded_packet_is_journaled_and_listed_as_outstanding(
    client: TestClient, group_db: Database
) -> None:
    day = (group_db.clock.now().date() + timedelta(days=2)).isoformat()
    response = client.post(
        "/sites/estuaire/paper/packet", data={"day": day, "parts": ["or-lists", "forms"]}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="bascule-estuaire-{day}.pdf"' in response.headers["content-disposition"]
    text = _text(response.content)
    assert "Prothèse totale de hanche" in text
    assert ESTUAIRE.split(" – ")[0] in text
    with group_db.reading() as session:
        entry = journal.tail(session, 1)[0]
        out = outstanding(session, "estuaire")
    assert entry.kind == "paper.packet_issued"
    assert entry.actor == "web:testclient"
    assert {form.form_type for form in out} >= {"ORL", "SUR", "ADM"}
    html = client.get("/sites/estuaire/paper").text
    assert f"Formulaires à rendre ({len(out)})" in html


def test_bad_day_part_and_site_are_refused_by_name(client: TestClient, group_db: Database) -> None:
    with group_db.reading() as session:
        before = journal.count(session)
    bad_day = client.post("/sites/estuaire/paper/packet", data={"day": "31/12/2026"})
    assert bad_day.status_code == 400
    assert "day &#39;31/12/2026&#39; is not a date YYYY-MM-DD" in bad_day.text
    bad_part = client.post(
        "/sites/estuaire/paper/packet", data={"day": "2026-12-01", "parts": ["menus"]}
    )
    assert bad_part.status_code == 400
    assert "unknown part &#39;menus&#39;" in bad_part.text
    unknown = client.post("/sites/brest/paper/packet", data={"day": "2026-12-01"})
    assert unknown.status_code == 404
    assert client.get("/sites/brest/paper").status_code == 404
    with group_db.reading() as session:
        assert journal.count(session) == before
