"""The crisis cell's pages through the HTTP interface, one role at a time."""

import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdfium2 import PdfDocument

from bascule.crisis import incidents, logbook, status, tasks
from bascule.crisis.plans import PHASES
from bascule.crisis.roles import Role
from bascule.planning.report import OUTCOMES
from bascule.store.database import Database
from bascule.web.app import create_app
from bascule.web.i18n import MESSAGES
from tests.web.conftest import signed_in
from tests.web.htmltext import table_rows

DECLARATION = {
    "title": "Rançongiciel : DPI chiffré",
    "severity": "critical",
    "sites": ["estuaire", "erdre"],
    "systems": ["ehr", "network"],
}


@pytest.fixture
def as_role(users: Database) -> Iterator[dict[Role, TestClient]]:
    """One signed-in client per role, on the same application."""
    app = create_app(users)
    clients = {role: TestClient(app) for role in Role}
    for role, client in clients.items():
        client.__enter__()
        signed_in(client, role.value)
    try:
        yield clients
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)


def _declare(client: TestClient) -> str:
    response = client.post("/incidents", data=DECLARATION, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).rsplit("/", 1)[-1]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_board_lists_every_site_unreported_until_someone_reports(client: TestClient) -> None:
    page = client.get("/crisis")
    assert page.status_code == 200
    rows = table_rows(page.text)
    assert [row[0].split(" Kits de continuité")[0] for row in rows[1:]] == [
        "Centre de chirurgie ambulatoire du Bocage",
        "Polyclinique des Bords de l'Erdre",
        "Clinique de l'Estuaire – Saint-Nazaire",
    ]
    assert all(cell == "—" for cell in rows[1][1:10])
    assert rows[1][0].endswith("Kits de continuité : aucun agent Flux : aucun flux")
    assert 'title="Non renseigné"' in page.text
    reported = client.post(
        "/crisis/status",
        data={"site_id": "erdre", "system": "site", "state": "degraded", "capacity": "50"},
        follow_redirects=False,
    )
    assert reported.status_code == 303
    erdre = table_rows(client.get("/crisis").text)[2]
    assert re.fullmatch(r"Dégradé 50,0 % depuis \d\d:\d\d", erdre[1]), erdre[1]


def test_declaring_opens_the_incident_with_the_plan_tasks(client: TestClient) -> None:
    incident_id = _declare(client)
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Isoler du réseau les systèmes touchés, sans les éteindre" in text
    assert "Alerte" in text
    board = client.get("/crisis").text
    assert incident_id in board


def test_phase_tasks_logbook_and_sitrep_round_trip(client: TestClient) -> None:
    incident_id = _declare(client)
    base = f"/incidents/{incident_id}"
    assert client.post(f"{base}/phase", data={"phase": "containment"}).status_code == 200
    task = f"{base}/tasks/{incident_id}/isolate-network"
    assert client.post(task, data={"checked": ["0", "2"], "status": "done"}).status_code == 200
    written = client.post(
        f"{base}/logbook", data={"category": "decision", "text": "Passage au papier"}
    )
    assert written.status_code == 200
    page = _text(client.get(base).text)
    assert "Confinement" in page
    assert "Passage au papier" in page
    assert "Fait par web:crisis-lead" in page
    issued = client.post(f"{base}/sitreps", data={"next_meeting_at": "2099-01-01T09:30"})
    assert issued.status_code == 200
    assert str(issued.url).endswith(f"{base}/sitreps/1")
    sitrep = _text(issued.text)
    assert "Point de situation n° 1" in sitrep
    assert "Passage au papier" in sitrep
    assert "01/01/2099 à 09:30" in sitrep
    pdf = client.get(f"{base}/sitreps/1.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-sha256"] == hashlib.sha256(pdf.content).hexdigest()
    document = PdfDocument(pdf.content)
    first_page = document[0].get_textpage().get_text_range()
    assert "Passage au papier" in first_page


def test_logbook_export_carries_the_digest_of_its_entries(client: TestClient) -> None:
    incident_id = _declare(client)
    client.post(f"/incidents/{incident_id}/logbook", data={"category": "event", "text": "Un"})
    pdf = client.get(f"/incidents/{incident_id}/logbook.pdf")
    assert pdf.status_code == 200
    text = PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    found = re.search(r"SHA-256[^:]*: ([0-9a-f]{64})", text)
    assert found is not None, text
    client.post(f"/incidents/{incident_id}/logbook", data={"category": "event", "text": "Deux"})
    again = PdfDocument(client.get(f"/incidents/{incident_id}/logbook.pdf").content)
    assert found.group(1) not in again[0].get_textpage().get_text_range()


def test_html_in_user_text_is_escaped_everywhere(client: TestClient) -> None:
    attack = "<img src=x onerror=alert(1)>"
    incident_id = _declare(client)
    client.post(f"/incidents/{incident_id}/logbook", data={"category": "event", "text": attack})
    client.post(
        "/crisis/status",
        data={"site_id": "erdre", "system": "ehr", "state": "down", "note": attack},
    )
    client.post(f"/incidents/{incident_id}/phase", data={"phase": "containment", "note": attack})
    for path in (f"/incidents/{incident_id}", "/crisis", "/crisis/history"):
        html = client.get(path).text
        assert attack not in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path


def test_each_role_is_refused_what_it_may_not_do(as_role: dict[Role, TestClient]) -> None:
    lead = as_role[Role.CRISIS_LEAD]
    incident_id = _declare(lead)
    base = f"/incidents/{incident_id}"
    for role in (Role.CLERK, Role.VIEWER, Role.AUDITOR, Role.OR_SCHEDULER, Role.SITE_MANAGER):
        refused = as_role[role].post("/incidents", data=DECLARATION, follow_redirects=False)
        assert refused.status_code == 403, role
        assert "may not declare-incident" in refused.text
        assert as_role[role].post(f"{base}/phase", data={"phase": "closed"}).status_code == 403
        assert as_role[role].post(f"{base}/sitreps", data={}).status_code == 403
    manager = as_role[Role.SITE_MANAGER]
    own = {"site_id": "estuaire", "system": "ehr", "state": "down"}
    other = own | {"site_id": "erdre"}
    assert manager.post("/crisis/status", data=own, follow_redirects=False).status_code == 303
    refused = manager.post("/crisis/status", data=other, follow_redirects=False)
    assert refused.status_code == 403
    assert "erdre" in refused.text
    assert as_role[Role.CLERK].post("/crisis/status", data=own).status_code == 403
    viewer_log = as_role[Role.VIEWER].post(
        f"{base}/logbook", data={"category": "event", "text": "x"}
    )
    assert viewer_log.status_code == 403
    clerk_log = as_role[Role.CLERK].post(
        f"{base}/logbook",
        data={"category": "event", "text": "Appel ARS"},
        follow_redirects=False,
    )
    assert clerk_log.status_code == 303
    isolate = f"{base}/tasks/{incident_id}/isolate-network"
    assert as_role[Role.CLERK].post(isolate, data={"status": "done"}).status_code == 403
    assert manager.post(isolate, data={"status": "done"}).status_code == 403
    # Site tasks of their own site are the site manager's, whatever the plan role.
    other_site_task = f"{base}/tasks/{incident_id}/switch-to-paper/erdre"
    own_site_task = f"{base}/tasks/{incident_id}/switch-to-paper/estuaire"
    assert manager.post(other_site_task, data={"status": "done"}).status_code == 403
    assert manager.post(own_site_task, data={"status": "done"}).status_code == 200
    page = manager.get(base).text
    assert "Déclarer l'incident" not in manager.get("/crisis").text
    assert "Établir le point de situation" not in page


def test_signed_out_and_cross_site_requests_are_refused(
    anonymous: TestClient, client: TestClient
) -> None:
    page = anonymous.get("/crisis", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/crisis"
    assert anonymous.post("/incidents", data=DECLARATION).status_code == 401
    no_token = client.post(
        "/incidents", data=DECLARATION, headers={"X-CSRF-Token": ""}, follow_redirects=False
    )
    assert no_token.status_code == 403
    foreign = client.post(
        "/incidents",
        data=DECLARATION,
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403


def test_bad_form_values_name_the_field(client: TestClient) -> None:
    incident_id = _declare(client)
    bad = client.post(
        "/crisis/status",
        data={"site_id": "erdre", "system": "site", "state": "down", "capacity": "x"},
    )
    assert bad.status_code == 400
    assert "capacity" in bad.text
    meeting = client.post(f"/incidents/{incident_id}/sitreps", data={"next_meeting_at": "demain"})
    assert meeting.status_code == 400
    assert "next_meeting_at" in meeting.text
    missing = client.get("/incidents/INC-19990101-1")
    assert missing.status_code == 404


def test_pages_read_in_english(client: TestClient) -> None:
    incident_id = _declare(client)
    page = _text(client.get(f"/incidents/{incident_id}?lang=en").text)
    assert "Emergency plan tasks" in page
    assert "Status board" in _text(client.get("/crisis?lang=en").text)


def test_a_correction_names_the_entry_by_its_number(client: TestClient) -> None:
    incident_id = _declare(client)
    base = f"/incidents/{incident_id}"
    client.post(f"{base}/logbook", data={"category": "event", "text": "Bloc 3 fermé"})
    corrected = client.post(
        f"{base}/logbook",
        data={"category": "event", "text": "Bloc 2 fermé, pas le 3", "corrects": "1"},
    )
    assert "[rectifie le n° 1] Bloc 2 fermé, pas le 3" in _text(corrected.text)
    unknown = client.post(
        f"{base}/logbook", data={"category": "event", "text": "x", "corrects": "99"}
    )
    assert unknown.status_code == 400
    assert "no logbook entry no. 99" in unknown.text


def test_a_long_logbook_shows_its_latest_entries_and_links_to_all(client: TestClient) -> None:
    incident_id = _declare(client)
    base = f"/incidents/{incident_id}"
    for number in range(1, 56):
        client.post(f"{base}/logbook", data={"category": "event", "text": f"entrée {number}"})
    page = client.get(base).text
    rows = [row for row in table_rows(page) if row and row[0].isdigit()]
    assert [row[0] for row in rows] == [str(n) for n in range(6, 56)]
    assert "Les 50 dernières entrées sur 55." in _text(page)
    whole = client.get(f"{base}/logbook")
    assert len([row for row in table_rows(whole.text) if row and row[0].isdigit()]) == 55
    assert re.search(r"SHA-256 du contenu : [0-9a-f]{64}", _text(whole.text))


def test_every_name_the_crisis_pages_build_has_its_words() -> None:
    families = {
        "crisis.system.": status.BOARD_SYSTEMS,
        "crisis.state.": (*status.STATES, "unknown"),
        "crisis.phase.": PHASES,
        "crisis.severity.": incidents.SEVERITIES,
        "crisis.category.": logbook.CATEGORIES,
        "crisis.task_status.": tasks.STATUSES,
        "crisis.outcome.": OUTCOMES,
        "crisis.timeline.": ("declared", "phase", "status", "logbook", "task", "sitrep", "alert"),
        "auth.role.": tuple(role.value for role in Role),
    }
    for language in ("fr", "en"):
        missing = [
            prefix + name
            for prefix, names in families.items()
            for name in names
            if prefix + name not in MESSAGES[language]
        ]
        assert missing == [], language


def test_only_the_auditor_reads_the_audit_trail(as_role: dict[Role, TestClient]) -> None:
    _declare(as_role[Role.CRISIS_LEAD])
    auditor = as_role[Role.AUDITOR]
    page = auditor.get("/audit?actor=web:crisis-lead")
    assert page.status_code == 200
    rows = [row for row in table_rows(page.text) if row and row[0].isdigit()]
    assert rows
    assert {row[2] for row in rows} == {"web:crisis-lead"}
    assert "incident.declared" in {row[4] for row in rows}
    assert 'href="/audit"' in page.text
    for role in (Role.CRISIS_LEAD, Role.VIEWER, Role.CLERK, Role.SITE_MANAGER):
        assert as_role[role].get("/audit").status_code == 403, role
        assert 'href="/audit"' not in as_role[role].get("/crisis").text
