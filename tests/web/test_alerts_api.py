"""The sensors' alert intake API and the crisis cell's alerts page, role by role."""

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bascule.crisis.alert_rules import parse_rules
from bascule.crisis.alerts import pending_alerts, recent_alerts
from bascule.crisis.roles import Role
from bascule.store.database import Database
from bascule.web.app import create_app
from bascule.web.auth import CSRF_HEADER
from bascule.web.routers.alerts import MAX_BODY_BYTES
from tests.crisis.test_alert_formats import eve_alert, lines, wazuh_alert
from tests.web.conftest import signed_in

TOKEN = "sensor-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
RULES = """\
sites:
  - {cidr: 10.44.0.0/16, site: estuaire}
  - {cidr: 10.49.0.0/16, site: erdre}
rules:
  - id: ransomware
    match: {signature_regex: ransom}
    action: propose
"""
RANSOMWARE = "ET MALWARE LockBit Ransomware Checkin"


@pytest.fixture
def app(users: Database, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """The application with an alert token (from the environment) and the test rules."""
    monkeypatch.setenv("BASCULE_ALERT_TOKEN", TOKEN)
    application = create_app(users)
    application.state.alert_rules = parse_rules(RULES, "test-rules.yaml")
    return application


@pytest.fixture
def sensor(app: FastAPI) -> Iterator[TestClient]:
    """A client that is not signed in, as a sensor is."""
    with TestClient(app) as client:
        yield client


def as_role(app: FastAPI, role: Role) -> TestClient:
    return signed_in(TestClient(app), role.value)


def _post_alert(client: TestClient, src: str = "10.44.1.7") -> None:
    response = client.post(
        "/api/alerts/suricata", content=lines(eve_alert(RANSOMWARE, src=src)), headers=BEARER
    )
    assert response.status_code == 200, response.text


def test_intake_is_closed_until_a_token_is_configured(users: Database) -> None:
    with TestClient(create_app(users)) as client:
        response = client.post("/api/alerts/suricata", content=lines(eve_alert()), headers=BEARER)
    assert response.status_code == 503
    assert response.json()["detail"] == ("alert intake is not configured (set BASCULE_ALERT_TOKEN)")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}]
)
def test_a_missing_or_wrong_token_is_refused(sensor: TestClient, headers: dict[str, str]) -> None:
    response = sensor.post("/api/alerts/suricata", content=lines(eve_alert()), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_good_lines_are_taken_in_and_bad_ones_rejected_by_line(
    sensor: TestClient, users: Database
) -> None:
    body = lines(
        eve_alert(RANSOMWARE, src="10.44.1.7"),
        '{"event_type": "alert", "alert": {"severity": 1}}',
        {"event_type": "dns", "timestamp": "2026-11-30T03:12:45+0000"},
        eve_alert(RANSOMWARE, src="10.44.1.7"),
        "garbage",
    )
    response = sensor.post("/api/alerts/suricata", content=body, headers=BEARER)
    assert response.status_code == 200, response.text
    result = response.json()
    assert {key: result[key] for key in ("accepted", "folded", "ignored", "skipped")} == {
        "accepted": 2,
        "folded": 1,
        "ignored": 0,
        "skipped": 1,
    }
    assert result["errors"] == [
        {"line": 2, "message": "missing field 'alert.signature'"},
        {"line": 5, "message": "not JSON (Expecting value)"},
    ]
    [alert] = recent_alerts(users)
    assert (alert.signature, alert.site_id, alert.count, alert.status) == (
        RANSOMWARE,
        "estuaire",
        2,
        "proposed",
    )


def test_a_body_of_bad_lines_is_refused_and_nothing_stored(
    sensor: TestClient, users: Database
) -> None:
    no_signature = eve_alert()
    del no_signature["alert"]["signature"]
    body = lines(no_signature, "[1]")
    response = sensor.post("/api/alerts/suricata", content=body, headers=BEARER)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 1, "message": "missing field 'alert.signature'"},
        {"line": 2, "message": "not a JSON object but list"},
    ]
    assert sensor.post("/api/alerts/wazuh", content=b"", headers=BEARER).status_code == 400
    assert recent_alerts(users) == []


def test_a_body_too_large_is_refused(sensor: TestClient) -> None:
    body = b" " * (MAX_BODY_BYTES + 1)
    response = sensor.post("/api/alerts/suricata", content=body, headers=BEARER)
    assert response.status_code == 413


def test_wazuh_alerts_arrive_as_an_array(sensor: TestClient, users: Database) -> None:
    agent = {"id": "007", "name": "erdre-pc-12", "ip": "10.49.3.3"}
    body = json.dumps([wazuh_alert(agent=agent), wazuh_alert(level=3, agent=agent)])
    response = sensor.post("/api/alerts/wazuh", content=body, headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    [alert] = pending_alerts(users)
    assert (alert.host, alert.site_id, alert.source) == ("erdre-pc-12", "erdre", "wazuh")


def test_the_page_requires_signing_in(sensor: TestClient) -> None:
    page = sensor.get("/alerts", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/alerts"
    assert sensor.post(f"/alerts/{'0' * 64}/dismiss").status_code in (401, 403)


def test_a_clerk_sees_alerts_but_may_not_decide(app: FastAPI, users: Database) -> None:
    with TestClient(app) as sensor:
        _post_alert(sensor)
    [alert] = pending_alerts(users)
    clerk = as_role(app, Role.CLERK)
    page = clerk.get("/alerts")
    assert page.status_code == 200
    assert RANSOMWARE in page.text
    assert "Écarter l'alerte" not in page.text
    assert "Déclarer un incident" not in page.text
    assert clerk.post(f"/alerts/{alert.id}/dismiss").status_code == 403
    declared = clerk.post(f"/alerts/{alert.id}/declare", data={"title": "x", "sites": ["estuaire"]})
    assert declared.status_code == 403
    assert pending_alerts(users)[0].status == "proposed"


def test_the_crisis_lead_declares_an_incident_from_an_alert(app: FastAPI, users: Database) -> None:
    with TestClient(app) as sensor:
        _post_alert(sensor)
    [alert] = pending_alerts(users)
    lead = as_role(app, Role.CRISIS_LEAD)
    page = lead.get("/alerts")
    assert "Déclarer un incident" in page.text
    assert f'value="{RANSOMWARE} — 10.44.1.7"' in page.text
    assert 'name="sites" value="estuaire" checked' in page.text
    assert lead.get("/alerts?lang=en").text.count("Dismiss") >= 1
    response = lead.post(
        f"/alerts/{alert.id}/declare",
        data={
            "title": "Rançongiciel à l'Estuaire",
            "severity": "critical",
            "sites": ["estuaire"],
            "systems": ["ehr", "network"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    incident_id = response.headers["location"].rsplit("/", 1)[-1]
    assert incident_id.startswith("INC-")
    decided = recent_alerts(users)[0]
    assert (decided.status, decided.incident_id, decided.decided_by) == (
        "declared",
        incident_id,
        "web:crisis-lead",
    )
    again = lead.post(f"/alerts/{alert.id}/dismiss", follow_redirects=False)
    assert again.status_code == 400
    assert "already declared" in again.text


def test_the_crisis_lead_dismisses_with_the_csrf_token_only(app: FastAPI, users: Database) -> None:
    with TestClient(app) as sensor:
        _post_alert(sensor)
    [alert] = pending_alerts(users)
    lead = as_role(app, Role.CRISIS_LEAD)
    token = lead.headers.pop(CSRF_HEADER)
    forged = lead.post(f"/alerts/{alert.id}/dismiss", follow_redirects=False)
    assert forged.status_code == 403
    response = lead.post(
        f"/alerts/{alert.id}/dismiss", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts"
    assert pending_alerts(users) == []
    assert "écartée" in lead.get("/alerts").text
