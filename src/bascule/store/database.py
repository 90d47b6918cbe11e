"""Opening the database (SQLite file or PostgreSQL) and running transactions on it."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from bascule.clock import Clock, SystemClock
from bascule.errors import DatabaseUnavailableError, DatabaseUrlError, SchemaMissingError

_IMMEDIATE = "bascule_immediate"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def parse_database_url(raw: str) -> URL:
    """Parse and normalise a database URL; PostgreSQL always goes through psycopg 3."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"malformed database URL {raw!r}: expected sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if url.drivername != "sqlite":
            raise DatabaseUrlError(f"database URL {raw!r}: use plain sqlite:///PATH")
        return url
    raise DatabaseUrlError(
        f"database URL {raw!r}: unsupported backend {backend!r} (use sqlite or postgresql)"
    )


def describe(url: URL) -> str:
    """A human description of where the data is, without any password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database or ':memory:'}"
    return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is synced at each commit, so that what was committed (and, for a
        # feed, acknowledged) survives a power loss, not only a crash of the process. With
        # group commit it costs one sync per batch (about 0.2 ms here).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock at BEGIN: upgrading a read transaction later could
        # fail with SQLITE_BUSY instead of waiting for the busy timeout.
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """An engine, a clock, and the two kinds of transactions bascule uses."""

    def __init__(self, url: str, clock: Clock | None = None, echo: bool = False) -> None:
        self.url = parse_database_url(url)
        self.clock: Clock = clock or SystemClock()
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            Path(self.url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {}
        if not self.is_sqlite:
            connect_args["connect_timeout"] = 5
        self.engine = create_engine(
            self.url, echo=echo, connect_args=connect_args, pool_pre_ping=not self.is_sqlite
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def description(self) -> str:
        """Where the data lives, for messages."""
        return describe(self.url)

    def check_reachable(self) -> None:
        """Open one connection, or raise DatabaseUnavailableError with the reason."""
        try:
            with self.engine.connect():
                pass
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailableError(f"cannot open {self.description}: {reason}") from exc

    def check_schema(self) -> None:
        """Raise SchemaMissingError unless the tables exist (never creates a file)."""
        if self.is_sqlite and not self._sqlite_file_exists():
            raise SchemaMissingError(
                f"no database at {self.description}: run 'bascule db upgrade' first"
            )
        self.check_reachable()
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("journal_head"):
                raise SchemaMissingError(
                    f"{self.description} has no bascule tables: run 'bascule db upgrade' first"
                )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read transaction, ended without writing anything.

        Closing (rather than rolling back) keeps what was loaded readable after the block.
        """
        with self._sessions() as session:
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read transaction in which every query sees the same committed state.

        SQLite in WAL mode already reads from one snapshot per transaction; PostgreSQL
        needs REPEATABLE READ for that (its default gives each statement its own).
        """
        with self.engine.connect() as plain:
            connection = (
                plain
                if self.is_sqlite
                else plain.execution_options(isolation_level="REPEATABLE READ")
            )
            with Session(bind=connection, expire_on_commit=False) as session:
                yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction holding the write lock from its start; commits on success."""
        with self.engine.connect() as plain:
            connection = plain.execution_options(**{_IMMEDIATE: True})
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    def _sqlite_file_exists(self) -> bool:
        name = self.url.database
        return not name or name == ":memory:" or Path(name).expanduser().exists()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
