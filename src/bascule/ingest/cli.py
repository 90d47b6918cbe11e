"""``bascule mllp``, ``bascule import fhir`` and ``bascule feeds``: the interfaces."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bascule.cli_common import console, err_console, open_database, settings_of
from bascule.errors import BasculeError
from bascule.ingest.fhir_import import import_fhir
from bascule.ingest.mllp import run
from bascule.ingest.monitor import check_feeds, feed_statuses, load_rules
from bascule.ingest.processing import Processor
from bascule.progress import progress_bars
from bascule.store.canonical import canonical_instant
from bascule.store.queries import require_site

import_app = typer.Typer(help="Import data from other systems.", no_args_is_help=True)


def mllp(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site whose systems send on this listener.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 2575,
    source: Annotated[
        str | None, typer.Option(help="Feed name (default: MSH-3/MSH-4 of each message).")
    ] = None,
    max_message_bytes: Annotated[int, typer.Option(min=1024)] = 1_000_000,
    idle_timeout: Annotated[float, typer.Option(min=1, help="Seconds.")] = 300.0,
    max_connections: Annotated[int, typer.Option(min=1)] = 200,
) -> None:
    """Receive HL7 v2 messages over MLLP; acknowledge each once it is in the journal."""
    settings = settings_of(ctx)
    with open_database(ctx) as db:
        with db.reading() as session:
            require_site(session, site)
        processor = Processor(db, site_id=site, source=source, actor=settings.actor)
        err_console.print(f"MLLP listener for {site} on {host}:{port} ({db.description})")
        try:
            run(
                processor,
                host,
                port,
                max_message_bytes=max_message_bytes,
                idle_timeout=idle_timeout,
                max_connections=max_connections,
            )
        except OSError as exc:
            raise BasculeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


@import_app.command("fhir")
def fhir(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Bundles (JSON), NDJSON files or folders.")],
    site: Annotated[str, typer.Option(help="Site the data belongs to.")],
) -> None:
    """Import FHIR R4 resources; importing the same data again changes nothing."""
    settings = settings_of(ctx)
    with open_database(ctx) as db, progress_bars(err_console) as progress:
        report = import_fhir(
            db,
            paths,
            site_id=site,
            actor=settings.actor,
            progress=lambda done, total: progress("resources", done, total),
        )
    created = ", ".join(f"{kind} {count}" for kind, count in sorted(report.created.items()))
    updated = ", ".join(f"{kind} {count}" for kind, count in sorted(report.updated.items()))
    console.print(
        f"{report.resources} resources in {report.seconds:.1f} s: created {created or 'none'}; "
        f"updated {updated or 'none'}; unchanged {report.unchanged}; "
        f"skipped {len(report.skipped)}; errors {len(report.errors)}"
    )
    for line in report.errors:
        console.print(f"error: {line}")
    if report.errors:
        raise typer.Exit(1)


def feeds(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Journal feeds gone silent now.")] = False,
) -> None:
    """Each interface feed: when it last spoke and whether it has gone silent."""
    rules = load_rules()
    with open_database(ctx) as db:
        if check:
            for change in check_feeds(db, rules, actor=settings_of(ctx).actor):
                console.print(f"{change.kind}: {change.entity_id}")
        with db.reading() as session:
            statuses = feed_statuses(session, rules)
    table = Table("site", "source", "last message (UTC)", "threshold", "status")
    for status in statuses:
        table.add_row(
            status.site_id,
            status.source,
            canonical_instant(status.last_message_at)[:19].replace("T", " "),
            f"{status.threshold_minutes:g} min",
            "silent since " + canonical_instant(status.silent_since)[:16].replace("T", " ")
            if status.silent_since
            else "ok",
        )
    console.print(table)
