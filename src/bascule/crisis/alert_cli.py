"""``bascule alerts``: take in IDS alerts from files, follow a sensor's output, list them."""

import signal
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bascule.cli_common import console, err_console, open_database, settings_of
from bascule.clock import local_time
from bascule.crisis.alert_formats import ParsedBatch, parse
from bascule.crisis.alert_rules import AlertRules, default_rules, load_rules
from bascule.crisis.alerts import (
    FollowedBatch,
    IntakeReport,
    follow,
    intake,
    pending_alerts,
    recent_alerts,
)
from bascule.errors import BasculeError

alerts_app = typer.Typer(
    help="IDS alerts (Suricata EVE, Wazuh) for the crisis cell.", no_args_is_help=True
)

# How many unreadable lines to print before summarising the rest.
ERRORS_SHOWN = 20


class Format(StrEnum):
    """The sensors whose output bascule reads."""

    SURICATA = "suricata"
    WAZUH = "wazuh"


FormatOption = Annotated[Format, typer.Option("--format", help="What wrote the file.")]
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Alert rules YAML (default: the shipped rules).")
]


def _rules(path: Path | None) -> AlertRules:
    return default_rules() if path is None else load_rules(path)


def _print_errors(parsed: ParsedBatch, name: str) -> None:
    for error in parsed.errors[:ERRORS_SHOWN]:
        err_console.print(f"{name}:{error.line}: {error.problem}", highlight=False, markup=False)
    hidden = len(parsed.errors) - ERRORS_SHOWN
    if hidden > 0:
        err_console.print(f"{name}: {hidden} more unreadable lines", highlight=False)


def _summary(parsed: ParsedBatch, report: IntakeReport) -> str:
    text = (
        f"{len(parsed.events)} alerts ({report.accepted} kept, {report.ignored} ignored), "
        f"{parsed.skipped} other events skipped, {len(parsed.errors)} unreadable; "
        f"{report.alerts} distinct alerts of which {report.new} new "
        f"({report.proposed} proposed to the crisis cell)"
    )
    if report.declared:
        text += f"; incidents declared: {', '.join(report.declared)}"
    return text


@alerts_app.command("ingest")
def ingest(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Sensor output (EVE JSON lines, Wazuh JSON).")],
    source: FormatOption = Format.SURICATA,
    rules: RulesOption = None,
) -> None:
    """Take in the alerts of a file; unreadable lines are reported, the others kept."""
    chosen = _rules(rules)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise BasculeError(f"cannot read {file}: {exc.strerror}") from exc
    parsed = parse(source.value, data)
    _print_errors(parsed, str(file))
    with open_database(ctx) as db:
        report = intake(db, parsed.events, chosen, actor=settings_of(ctx).actor)
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", highlight=False, markup=False)
    console.print(f"{file}: {_summary(parsed, report)}", highlight=False, markup=False)
    if parsed.errors and not parsed.events and not parsed.skipped:
        raise typer.Exit(1)


# Typer reads a command's options from its signature.
@alerts_app.command("follow")
def follow_command(  # noqa: PLR0917
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The file the sensor appends to.")],
    source: FormatOption = Format.SURICATA,
    rules: RulesOption = None,
    poll_seconds: Annotated[
        float, typer.Option("--poll", min=0.1, help="Seconds between reads.")
    ] = 2.0,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="Also take in what the file holds already.")
    ] = False,
) -> None:
    """Take in what a sensor appends to a file, through rotation, until interrupted."""
    chosen = _rules(rules)
    stop = threading.Event()

    def on_batch(batch: FollowedBatch) -> None:
        if batch.restarted:
            console.print(f"{file}: rotated or truncated, read from its start", markup=False)
        _print_errors(batch.parsed, str(file))
        for warning in batch.report.warnings:
            err_console.print(f"warning: {warning}", highlight=False, markup=False)
        console.print(
            f"{file}: {_summary(batch.parsed, batch.report)}", highlight=False, markup=False
        )

    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    with open_database(ctx) as db:
        console.print(
            f"following {file} ({source.value}) into {db.description}; Ctrl-C stops",
            markup=False,
        )
        try:
            follow(
                db,
                file,
                chosen,
                actor=settings_of(ctx).actor,
                source=source.value,
                poll_seconds=poll_seconds,
                stop=stop,
                from_start=from_start,
                on_batch=on_batch,
            )
        except KeyboardInterrupt:
            console.print("stopped")


@alerts_app.command("list")
def list_alerts(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option("-n", "--count", min=1, help="How many recent alerts.")
    ] = 20,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only those awaiting a decision.")
    ] = False,
) -> None:
    """Show the alerts seen most recently (or those awaiting a decision)."""
    with open_database(ctx) as db:
        alerts = pending_alerts(db) if pending else recent_alerts(db, count)
    table = Table("id", "sev", "signature", "host", "site", "count", "last seen", "status")
    for alert in alerts:
        table.add_row(
            alert.id[:12],
            str(alert.severity),
            escape(alert.signature),
            escape(alert.host or ""),
            alert.site_id or "",
            str(alert.count),
            local_time(alert.last_seen).strftime("%Y-%m-%d %H:%M"),
            alert.status if alert.incident_id is None else f"{alert.status} {alert.incident_id}",
        )
    console.print(table)
