from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from bascule.crisis.roles import Role
from bascule.kit.build import build_kit_file
from bascule.paper.model import PacketPart
from bascule.paper.offline import KitSource
from bascule.paper.registry import outstanding
from bascule.store import journal
from bascule.store.database import Database
from bascule.web.app import create_app
from bascule.web.i18n import MESSAGES
from tests.kit.agent_support import SITE_PASSPHRASE, make_keys
from tests.web.conftest import ESTUAIRE, signed_in


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
    assert entry.actor == "web:crisis-lead"
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


def test_without_a_kit_directory_the_kit_page_says_how_to_get_one(client: TestClient) -> None:
    response = client.get("/paper/kit")
    assert response.status_code == 404
    assert "bascule serve --kit-dir DIR" in response.text


def test_crisis_laptop_prints_from_its_local_kit(users: Database, tmp_path: Path) -> None:
    keys = make_keys(tmp_path / "keys", ("estuaire",))
    built = build_kit_file(users, keys, "estuaire")
    kits = tmp_path / "agent"
    kits.mkdir()
    (kits / f"kit-{built.seq}.bkit").write_bytes(built.data)
    app = create_app(users)
    app.state.paper_kit_source = KitSource(
        kits, keys.signing_key().public_key(), tmp_path / "offline"
    )
    with TestClient(app) as viewer:
        signed_in(viewer, Role.VIEWER.value)
        assert 'action="/paper/kit/packet"' not in viewer.get("/paper/kit").text
        refused = viewer.post("/paper/kit/packet", data={"passphrase": SITE_PASSPHRASE})
        assert refused.status_code == 403
        assert "viewer (viewer) may not print-paper" in refused.text
    with TestClient(app) as laptop:
        signed_in(laptop, Role.SITE_MANAGER.value)
        page = laptop.get("/paper/kit").text
        assert "<code>estuaire</code>" in page
        wrong = laptop.post("/paper/kit/packet", data={"passphrase": "pas la bonne"})
        assert wrong.status_code == 400
        assert "passphrase" in wrong.text
        response = laptop.post(
            "/paper/kit/packet", data={"passphrase": SITE_PASSPHRASE, "parts": ["or-lists"]}
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        (issue_file,) = (tmp_path / "offline").glob("*.forms.json")
        assert f"kit-{built.seq}.bkit" in _text(response.content)
        assert str(issue_file) in laptop.get("/paper/kit").text


def test_printing_needs_the_permission_for_that_site(users: Database) -> None:
    day = {"day": "2026-12-01", "parts": ["or-lists"]}
    with TestClient(create_app(users)) as client:
        signed_in(client, Role.VIEWER.value)
        page = client.get("/sites/estuaire/paper")
        assert page.status_code == 200
        assert 'action="/sites/estuaire/paper/packet"' not in page.text
        refused = client.post("/sites/estuaire/paper/packet", data=day)
        assert refused.status_code == 403
        assert "Accès refusé" in refused.text
        assert "viewer (viewer) may not print-paper" in refused.text
    with TestClient(create_app(users)) as manager:
        signed_in(manager, Role.SITE_MANAGER.value)
        assert 'action="/sites/erdre/paper/packet"' not in manager.get("/sites/erdre/paper").text
        other = manager.post("/sites/erdre/paper/packet", data=day)
        assert other.status_code == 403
        assert "may not print-paper for site erdre" in other.text
        own = manager.post("/sites/estuaire/paper/packet", data=day)
        assert own.status_code == 200
        assert own.headers["content-type"] == "application/pdf"


def test_paper_needs_a_signed_in_user(anonymous: TestClient) -> None:
    page = anonymous.get(
        "/sites/estuaire/paper", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/sites/estuaire/paper"
    download = anonymous.post("/sites/estuaire/paper/packet", data={"day": "2026-12-01"})
    assert download.status_code == 401


def test_every_packet_part_has_a_label_in_both_languages() -> None:
    for lang in ("fr", "en"):
        assert {f"paper.part.{part.value}" for part in PacketPart} <= set(MESSAGES[lang])
