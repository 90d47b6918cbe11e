"""What every sub-command group of the CLI shares: consoles, settings, the database."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from bascule.config import Settings
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
