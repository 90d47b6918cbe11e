"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from BASCULE_TEST_PG_URL (default: the local server, database ``test``).
Each test gets its own schema, dropped afterwards. With CI=true an unreachable server
fails the run instead of skipping the PostgreSQL half.
"""

import os
import uuid
from collections.abc import Iterator
from functools import cache

import psycopg
import pytest

from bascule.store.database import Database
from bascule.store.migrate import upgrade

# Rich wraps tables at the terminal width; the tests read whole rows.
os.environ.setdefault("COLUMNS", "200")

PG_SERVER_URL = os.environ.get("BASCULE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    """True when running under continuous integration, where nothing may be skipped."""
    return os.environ.get("CI", "").lower() == "true"


@cache
def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(PG_SERVER_URL, connect_timeout=5):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_SERVER_URL} unreachable: {exc}".strip()


def require_postgres() -> None:
    """Fail under CI, skip elsewhere, when PostgreSQL cannot be reached."""
    problem = _postgres_problem()
    if problem is not None:
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty, un-migrated schema on the test PostgreSQL server."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_SERVER_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_SERVER_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A URL to an empty database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'bascule.sqlite3'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    database = Database(db_url)
    upgrade(database)
    try:
        yield database
    finally:
        database.dispose()
