"""``bascule synth``: the synthetic demo group, and its interface feed over MLLP."""

from typing import Annotated

import typer

from bascule.cli_common import console, err_console, open_database, parse_day
from bascule.errors import BasculeError
from bascule.progress import progress_bars
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from bascule.synth.hl7feed import feed_messages
from bascule.synth.hl7send import send_messages

synth_app = typer.Typer(
    help="The synthetic 'Grand Ouest' group and its interface feed.",
    invoke_without_command=True,
)


@synth_app.callback()
def synth(
    ctx: typer.Context,
    patients: Annotated[int, typer.Option(min=1, help="People in the patient index.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same group).")] = 1,
    start: Annotated[
        str | None, typer.Option(help="First day of booked cases (default: next Monday).")
    ] = None,
) -> None:
    """Create the synthetic 'Grand Ouest' group of five sites in an empty database."""
    if ctx.invoked_subcommand is not None:
        return
    first_day = parse_day("--start", start)
    with open_database(ctx, migrated=False) as db:
        upgrade(db)
        with progress_bars(err_console) as progress:
            report = synthesise(
                db, patients=patients, seed=seed, start=first_day, progress=progress
            )
    console.print(f"created {report.summary()}")


@synth_app.command("feed")
def feed(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site whose systems the feed plays.")],
    count: Annotated[int, typer.Option(min=1, help="Messages to send.")] = 1000,
    host: Annotated[str, typer.Option(help="MLLP listener.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="MLLP port.")] = 2575,
    senders: Annotated[int, typer.Option(min=1, max=64, help="Concurrent connections.")] = 4,
    rate: Annotated[
        float | None,
        typer.Option(min=0.1, help="Messages per second (default: as fast as ACKs come)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the feed.")] = 1,
) -> None:
    """Replay the site's activity as HL7 ADT and SIU messages over MLLP."""
    with open_database(ctx) as db, db.reading() as session:
        messages = feed_messages(session, site, count, seed=seed, start=db.clock.now())
    report = send_messages(messages, host, port, senders=senders, rate=rate)
    codes = ", ".join(f"{code} {number}" for code, number in sorted(report.codes.items()))
    console.print(
        f"sent {report.sent} of {count} messages in {report.seconds:.1f} s "
        f"({report.rate:.0f}/s; ACK p50 {report.percentile(0.5) * 1000:.1f} ms, "
        f"p99 {report.percentile(0.99) * 1000:.1f} ms): {codes or 'no ACK'}"
    )
    if report.failures:
        raise BasculeError(f"{len(report.failures)} senders failed: {report.failures[0]}")
