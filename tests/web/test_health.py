from pathlib import Path

from fastapi.testclient import TestClient

from bascule.store.database import Database
from bascule.store.migrate import head_revision
from bascule.web.app import create_app


def test_health_reports_database_journal_and_schema(
    anonymous: TestClient, group_db: Database
) -> None:
    # No sign-in: monitoring probes call it.
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": group_db.description,
        "journal_seq": 19,
        "schema": head_revision(),
    }


def test_health_is_503_on_a_database_never_migrated(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    response = TestClient(create_app(db)).get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert "bascule db upgrade" in body["detail"]
    assert "Traceback" not in response.text


def test_health_is_503_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    # A directory where the database file should be: SQLite cannot open it.
    db = Database(f"sqlite:///{tmp_path}")
    response = TestClient(create_app(db)).get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["detail"].startswith(f"cannot open {db.description}")
