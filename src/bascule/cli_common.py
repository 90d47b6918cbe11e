"""What every sub-command group of the CLI shares: consoles, settings, the database."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console

from bascule.config import Settings
from bascule.errors import BasculeError
from bascule.store.database import Database

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command built from ``--db`` and the environment."""
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):
        raise RuntimeError("the bascule root command did not run")
    return settings


@contextmanager
def open_database(ctx: typer.Context, *, migrated: bool = True) -> Iterator[Database]:
    """The database named by ``--db``, checked reachable (and migrated unless told not)."""
    db = Database(settings_of(ctx).db_url)
    try:
        if migrated:
            db.check_schema()
        else:
            db.check_reachable()
        yield db
    finally:
        db.dispose()


def parse_day(option: str, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option value, or a one-line error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BasculeError(f"{option} {value!r} is not a date YYYY-MM-DD") from exc
