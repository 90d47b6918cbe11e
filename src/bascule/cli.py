"""The ``bascule`` command line; each area adds its own sub-command group."""

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from bascule import __version__
from bascule.cli_common import console, err_console, open_database, settings_of
from bascule.config import Settings
from bascule.crisis.alert_cli import alerts_app
from bascule.crisis.user_cli import user_app
from bascule.demo import run_demo, site_table
from bascule.domain.errors import DomainError
from bascule.domain.nir import validate_nir
from bascule.domain.patients import IdentityStatus, IdentityTraits, Patient, Sex
from bascule.errors import BasculeError
from bascule.ingest.cli import feeds, import_app, mllp
from bascule.kit.agent_cli import agent, token_app
from bascule.kit.cli import kit_app
from bascule.paper.cli import paper_app
from bascule.planning.ihtc.cli import ihtc_app
from bascule.recovery.cli import recovery_app
from bascule.replan.cli import replan_command
from bascule.store import changes, journal, queries
from bascule.store.migrate import current_revision, head_revision, upgrade
from bascule.synth.cli import synth_app


class BasculeGroup(TyperGroup):
    """Turns every expected error into one line on stderr and a non-zero exit status."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command, reporting bascule, domain and database errors without traceback."""
        try:
            return super().invoke(ctx)
        except (BasculeError, DomainError) as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            err_console.print(
                f"[bold red]database error:[/] {reason}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=BasculeGroup,
    no_args_is_help=True,
    help="bascule: keep a hospital group working through an IT outage.",
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
journal_app = typer.Typer(help="The hash-chained journal.", no_args_is_help=True)
sites_app = typer.Typer(help="Sites of the group.", no_args_is_help=True)
patient_app = typer.Typer(help="The patient index.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(journal_app, name="journal")
app.add_typer(sites_app, name="sites")
app.add_typer(patient_app, name="patient")
app.add_typer(kit_app, name="kit")
app.add_typer(paper_app, name="paper")
app.add_typer(ihtc_app, name="ihtc")
app.add_typer(synth_app, name="synth")
app.add_typer(import_app, name="import")
app.add_typer(user_app, name="user")
app.add_typer(alerts_app, name="alerts")
app.command("mllp")(mllp)
app.command("feeds")(feeds)
app.command("replan")(replan_command)
kit_app.add_typer(token_app, name="token")
app.add_typer(recovery_app, name="recovery")
app.command("agent")(agent)


def _version(value: bool) -> None:
    if value:
        console.print(f"bascule {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="BASCULE_DB_URL",
            help="Database URL (sqlite:///PATH or postgresql://USER@HOST:PORT/DB). "
            "Default: a SQLite file in the per-user data directory.",
        ),
    ] = None,
    _version_flag: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """bascule: keep a multi-site hospital group working when its IT is down."""
    ctx.obj = Settings.from_environment(db_url=db_url)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the schema to the newest revision (safe to run again)."""
    with open_database(ctx, migrated=False) as db:
        before, after = upgrade(db)
        if before == after:
            console.print(f"{db.description}: schema already at revision {after}")
        else:
            console.print(f"{db.description}: schema {before or 'empty'} -> {after}")


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show where the data is, its schema revision and journal length."""
    with open_database(ctx, migrated=False) as db:
        revision = current_revision(db)
        console.print(f"database: {db.description}")
        console.print(f"schema:   {revision or 'none'} (newest: {head_revision()})")
        if revision is not None:
            with db.reading() as session:
                seq, digest = journal.head(session)
            console.print(f"journal:  {seq} entries, head {digest[:16]}…")


@journal_app.command("verify")
def journal_verify(ctx: typer.Context) -> None:
    """Walk the hash chain; exit 0 only when every entry is intact."""
    with open_database(ctx) as db, db.reading() as session:
        report = journal.verify(session)
    if not report.intact:
        err_console.print(f"[bold red]journal broken:[/] {report.problems[0]}", highlight=False)
        raise typer.Exit(2)
    console.print(f"journal intact: {report.entries} entries, last {report.last_seq}")


@journal_app.command("tail")
def journal_tail(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", "--count", min=1, help="How many entries.")] = 20,
    site: Annotated[str | None, typer.Option(help="Only entries of this site.")] = None,
) -> None:
    """Show the latest journal entries."""
    with open_database(ctx) as db, db.reading() as session:
        if site is not None:
            queries.require_site(session, site)
        entries = journal.tail(session, count, site)
    table = Table("seq", "time (UTC)", "actor", "site", "kind", "entity", "hash")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor,
            entry.site_id or "",
            entry.kind,
            f"{entry.entity_type} {entry.entity_id}",
            entry.hash[:12],
        )
    console.print(table)


@sites_app.command("list")
def sites_list(ctx: typer.Context) -> None:
    """List the sites with their theatres, beds, patients and booked cases."""
    with open_database(ctx) as db, db.reading() as session:
        console.print(site_table(queries.site_summaries(session)))


@sites_app.command("show")
def sites_show(ctx: typer.Context, site_id: str) -> None:
    """Show one site."""
    with open_database(ctx) as db, db.reading() as session:
        queries.require_site(session, site_id)
        summary = next(s for s in queries.site_summaries(session) if s.id == site_id)
    console.print(site_table([summary]))


@patient_app.command("add")
def patient_add(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site registering the patient.")],
    family_name: Annotated[str, typer.Option(help="Birth family name.")],
    given_name: Annotated[str, typer.Option(help="First given name.")],
    birth_date: Annotated[str, typer.Option(help="Birth date, YYYY-MM-DD.")],
    sex: Annotated[Sex, typer.Option(help="M, F or U.")],
    used_name: Annotated[str, typer.Option(help="Used name when different.")] = "",
    nir: Annotated[str | None, typer.Option(help="NIR (15 characters).")] = None,
    birth_place: Annotated[str, typer.Option(help="INSEE code of the birth place.")] = "",
    local_id: Annotated[str | None, typer.Option(help="Identifier at the site (IPP).")] = None,
) -> None:
    """Register a person with a provisional identity (validated later by identity vigilance)."""
    try:
        born = date.fromisoformat(birth_date)
    except ValueError as exc:
        raise BasculeError(f"--birth-date {birth_date!r} is not a date YYYY-MM-DD") from exc
    identity = IdentityTraits(
        birth_family_name=family_name,
        used_name=used_name,
        first_given_name=given_name,
        given_names=(given_name,),
        birth_date=born,
        sex=sex,
        birth_place_insee=birth_place,
        nir=None if nir is None else validate_nir(nir),
        status=IdentityStatus.PROVISIONAL,
    )
    patient_id = f"pat-{uuid.uuid4().hex[:12]}"
    patient = Patient(id=patient_id, identity=identity, local_ids=((site, local_id or patient_id),))
    with open_database(ctx) as db, db.writing() as session:
        (seq,) = journal.append(
            session,
            [changes.patient_registered(patient, site)],
            actor=settings_of(ctx).actor,
            at=db.clock.now(),
        )
    console.print(f"registered {identity.display_name} as {patient_id} (journal entry {seq})")


@app.command("demo")
def demo(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="Directory for the demo outputs (default: data dir).")
    ] = None,
    patients: Annotated[int, typer.Option(min=100, help="People in the patient index.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    replan_seconds: Annotated[
        float, typer.Option(min=1, help="Seconds CP-SAT may search in the re-planning step.")
    ] = 30.0,
) -> None:
    """Run the main job on the embedded default: synthesise, verify, summarise."""
    run_demo(
        out or settings_of(ctx).data_dir / "demo",
        patients=patients,
        seed=seed,
        console=console,
        replan_seconds=replan_seconds,
    )


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    kit_dir: Annotated[
        Path | None,
        typer.Option(help="Crisis laptop: print paper packets from the kits in this directory."),
    ] = None,
    group_key: Annotated[
        Path | None, typer.Option(help="Group public key for --kit-dir (default: key store).")
    ] = None,
) -> None:
    """Start the web application (crisis cell, status, health)."""
    from bascule.kit.keys import KeyStore, load_public_key
    from bascule.paper.offline import KitSource
    from bascule.web.server import serve as run_server

    settings = settings_of(ctx)
    kit_source = None
    if kit_dir is not None:
        if not kit_dir.is_dir():
            raise BasculeError(f"--kit-dir {kit_dir}: not a directory")
        public_key = load_public_key(group_key or KeyStore(settings.keys_dir).public_key_path)
        kit_source = KitSource(kit_dir, public_key, settings.data_dir / "paper-offline")
        kit_source.site()
    with open_database(ctx) as db:
        console.print(f"serving {db.description} on http://{host}:{port}/")
        if kit_source is not None:
            console.print(
                f"paper from the kits of {kit_source.site()} in {kit_dir}: "
                f"http://{host}:{port}/paper/kit"
            )
        run_server(db, host, port, kit_source=kit_source)


if __name__ == "__main__":
    app()
