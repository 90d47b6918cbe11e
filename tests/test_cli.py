import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from bascule import __version__
from bascule.cli import app
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.store.tables import JournalEntryRow
from tests.factories import seeded

runner = CliRunner()


def bascule(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "bascule.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def seeded_url(db_url: str) -> str:
    db = Database(db_url)
    upgrade(db)
    seeded(db, patients=5)
    db.dispose()
    return db_url


def test_version() -> None:
    result = bascule("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"bascule {__version__}"


def test_malformed_url_is_one_line_and_nonzero() -> None:
    result = bascule("--db", "nonsense", "db", "status")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: malformed database URL 'nonsense': expected sqlite:///PATH or "
        "postgresql://USER@HOST:PORT/DB"
    ]


def test_unreachable_postgresql_is_one_line_and_nonzero() -> None:
    result = bascule("--db", "postgresql://postgres@127.0.0.1:1/test", "journal", "verify")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot open PostgreSQL 127.0.0.1:1/test")


def test_database_url_from_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/env.sqlite3"
    result = runner.invoke(app, ["db", "upgrade"], env={"BASCULE_DB_URL": url})
    assert result.exit_code == 0, result.output
    assert "env.sqlite3" in result.output


def test_db_upgrade_twice_is_harmless(db_url: str) -> None:
    first = runner.invoke(app, ["--db", db_url, "db", "upgrade"])
    second = runner.invoke(app, ["--db", db_url, "db", "upgrade"])
    assert first.exit_code == second.exit_code == 0
    assert "already at revision" in second.output


def test_commands_on_unmigrated_database_ask_for_upgrade(tmp_path: Path) -> None:
    result = bascule("--db", f"sqlite:///{tmp_path}/new.sqlite3", "journal", "verify")
    assert result.returncode == 1
    assert "run 'bascule db upgrade' first" in result.stderr


def test_journal_verify_intact_then_broken(seeded_url: str) -> None:
    ok = runner.invoke(app, ["--db", seeded_url, "journal", "verify"])
    assert ok.exit_code == 0
    assert "journal intact: 6 entries" in ok.output
    db = Database(seeded_url)
    with db.engine.begin() as connection:
        connection.execute(
            update(JournalEntryRow).where(JournalEntryRow.seq == 3).values(actor="x")
        )
    db.dispose()
    broken = bascule("--db", seeded_url, "journal", "verify")
    assert broken.returncode == 2
    assert "entry 3 was modified" in broken.stderr


def test_journal_tail_shows_latest(seeded_url: str) -> None:
    result = runner.invoke(app, ["--db", seeded_url, "journal", "tail", "-n", "2"])
    assert result.exit_code == 0
    assert "patient.registered" in result.output
    assert "site.registered" not in result.output


def test_unknown_site_is_named(seeded_url: str) -> None:
    result = bascule("--db", seeded_url, "sites", "show", "brest")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: unknown site id 'brest' (known sites: rennes)"


def test_patient_with_wrong_nir_key_is_refused_without_writing(seeded_url: str) -> None:
    args = [
        "--db",
        seeded_url,
        "patient",
        "add",
        "--site",
        "rennes",
        "--family-name",
        "Le Bihan",
        "--given-name",
        "Yann",
        "--birth-date",
        "1969-05-03",
        "--sex",
        "M",
    ]
    bad = bascule(*args, "--nir", "169052923215781")
    assert bad.returncode == 1
    assert "wrong key 81" in bad.stderr
    verify = runner.invoke(app, ["--db", seeded_url, "journal", "verify"])
    assert "6 entries" in verify.output
    good = runner.invoke(app, [*args, "--nir", "1 69 05 29 232 157 01"])
    assert good.exit_code == 0, good.output
    assert "registered LE BIHAN Yann" in good.output


def add_tanguy(url: str, site: str, birth_date: str) -> subprocess.CompletedProcess[str]:
    """``bascule patient add`` for Loïc Tanguy."""
    return bascule(
        "--db", url, "patient", "add", "--site", site, "--family-name", "Tanguy",
        "--given-name", "Loïc", "--birth-date", birth_date, "--sex", "M",
    )  # fmt: skip


def test_patient_at_unknown_site_is_refused(seeded_url: str) -> None:
    result = add_tanguy(seeded_url, "brest", "1990-02-03")
    assert result.returncode == 1
    assert "unknown site id 'brest' (known sites: rennes)" in result.stderr


def test_impossible_birth_date_is_refused(seeded_url: str) -> None:
    result = add_tanguy(seeded_url, "rennes", "1990-02-30")
    assert result.returncode == 1
    assert "--birth-date '1990-02-30' is not a date" in result.stderr
