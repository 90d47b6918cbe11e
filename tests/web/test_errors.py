from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bascule.errors import BasculeError, JournalIntegrityError
from bascule.store.database import Database
from bascule.web.app import create_app
from bascule.web.auth import SESSION_COOKIE
from bascule.web.security import SECURITY_HEADERS


class RefusedError(BasculeError):
    """A request bascule refuses, with no status of its own."""


def failing_app(db: Database) -> FastAPI:
    app = create_app(db)

    def broken_journal() -> None:
        raise JournalIntegrityError("journal broken: entry 7 was modified")

    def refused() -> None:
        raise RefusedError("nothing to re-plan on site estuaire")

    def crash() -> None:
        raise RuntimeError("secret internals at 0xdeadbeef")

    def beds(count: int) -> int:
        return count

    for path, endpoint in (
        ("/broken", broken_journal),
        ("/api/broken", broken_journal),
        ("/refused", refused),
        ("/crash", crash),
        ("/api/crash", crash),
        ("/api/beds", beds),
    ):
        app.add_api_route(path, endpoint)
    return app


@pytest.fixture
def failing(group_db: Database) -> TestClient:
    return TestClient(failing_app(group_db), raise_server_exceptions=False)


def test_bascule_error_becomes_a_page_with_its_one_line_message(failing: TestClient) -> None:
    response = failing.get("/broken")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "journal broken: entry 7 was modified" in response.text
    assert "Traceback" not in response.text


def test_bascule_error_under_api_is_json(failing: TestClient) -> None:
    response = failing.get("/api/broken")
    assert response.status_code == 500
    assert response.json() == {"status": "error", "detail": "journal broken: entry 7 was modified"}


def test_unclassified_bascule_error_is_a_refused_request(failing: TestClient) -> None:
    response = failing.get("/refused")
    assert response.status_code == 400
    assert "Demande refusée" in response.text
    assert "nothing to re-plan on site estuaire" in response.text


@pytest.mark.parametrize("path", ["/crash", "/api/crash"])
def test_unexpected_error_shows_no_internals(failing: TestClient, path: str) -> None:
    response = failing.get(path)
    assert response.status_code == 500
    assert "0xdeadbeef" not in response.text
    assert "Traceback" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_invalid_parameter_names_the_parameter(failing: TestClient) -> None:
    response = failing.get("/api/beds?count=plenty")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("query.count: ")


def test_pages_on_a_database_never_migrated_say_what_to_do(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    # A browser still holding its session cookie: looking the session up finds no schema.
    client = TestClient(create_app(db), cookies={SESSION_COOKIE: "left-from-before"})
    page = client.get("/")
    assert page.status_code == 503
    assert "Service indisponible" in page.text
    assert "run &#39;bascule db upgrade&#39; first" in page.text
    api = client.get("/api/sites")
    assert api.status_code == 503
    assert "bascule db upgrade" in api.json()["detail"]


def test_unknown_path_is_a_404_page_or_json(client: TestClient) -> None:
    page = client.get("/nulle-part")
    assert page.status_code == 404
    assert "Aucune page à l&#39;adresse /nulle-part." in page.text
    api = client.get("/api/nothing")
    assert api.status_code == 404
    assert api.json() == {"status": "error", "detail": "Aucune page à l'adresse /api/nothing."}


def test_wrong_method_keeps_its_status(client: TestClient) -> None:
    response = client.post("/api/sites")
    assert response.status_code == 405
    assert response.json()["status"] == "error"
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize(
    "path",
    ["/", "/sites/estuaire", "/sites/nowhere", "/api/sites", "/health", "/static/bascule.css"],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"].startswith("default-src 'self';")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_interactive_docs_that_need_a_cdn_are_not_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
