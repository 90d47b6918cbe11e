import pytest
from sqlalchemy import text

from bascule.errors import DatabaseUnavailableError, DatabaseUrlError, SchemaMissingError
from bascule.store.database import Database, parse_database_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "malformed database URL"),
        ("mysql://root@localhost/x", "unsupported backend 'mysql'"),
        ("sqlite+aiosqlite:///x.db", "use plain sqlite"),
    ],
)
def test_bad_urls_are_named(url: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError, match=message):
        parse_database_url(url)


def test_postgresql_urls_use_psycopg3() -> None:
    assert parse_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_unreachable_postgresql_is_a_one_line_error() -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(
        DatabaseUnavailableError, match=r"cannot open PostgreSQL 127\.0\.0\.1:1/test"
    ):
        db.check_reachable()


def test_unmigrated_database_asks_for_upgrade(db_url: str) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(SchemaMissingError, match="bascule db upgrade"):
            db.check_schema()
    finally:
        db.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_synced_commits(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.sqlite3")
    with db.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # FULL (2): a commit, hence an acknowledgement, survives a power loss.
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2
    db.dispose()
