"""``bascule demo``: the main job, end to end, on the embedded SQLite default."""

import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bascule.clock import SimulatedClock
from bascule.crisis.demo import run_crisis_demo
from bascule.errors import JournalIntegrityError
from bascule.ingest.demo import run_ingest_demo
from bascule.kit.demo import AGENT_SITE, run_kit_demo
from bascule.paper.demo import PAPER_SITE, run_paper_demo
from bascule.progress import progress_bars
from bascule.recovery.demo import demo_day_start, run_recovery_demo
from bascule.replan.demo import run_replan_demo
from bascule.store import journal, queries
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import first_monday, synthesise

DEMO_DB_NAME = "bascule-demo.sqlite3"


def fresh_outputs(directory: Path) -> Path:
    """Remove an earlier demo's outputs in ``directory``; the path of the new database."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / DEMO_DB_NAME
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    for subdirectory in ("keys", "kits", f"agent-{AGENT_SITE}", "paper", "replan"):
        shutil.rmtree(directory / subdirectory, ignore_errors=True)
    return path


def _verified(db: Database) -> int:
    """Number of journal entries, after checking the whole chain."""
    with db.reading() as session:
        verdict = journal.verify(session)
    if not verdict.intact:
        raise JournalIntegrityError("demo journal broken: " + verdict.problems[0])
    return verdict.entries


def run_demo(
    out: Path, *, patients: int, seed: int, console: Console, replan_seconds: float = 30.0
) -> Path:
    """Synthesise the group into a fresh SQLite file, verify, summarise, build kits, run an agent.

    Returns the path of the demo database.
    """
    path = fresh_outputs(out)
    db = Database(f"sqlite:///{path}")
    try:
        console.rule("[bold]1. Synthetic group 'Grand Ouest'")
        upgrade(db)
        with progress_bars(console) as progress:
            report = synthesise(db, patients=patients, seed=seed, progress=progress)
        console.print(report.summary())
        console.rule("[bold]2. Journal verification")
        console.print(f"journal intact: {_verified(db):,} hash-chained entries")
        with db.reading() as session:
            summaries = queries.site_summaries(session)
        console.rule("[bold]3. Sites")
        console.print(site_table(summaries))
        console.rule("[bold]4. A live interface feed (HL7 v2 over MLLP)")
        run_ingest_demo(db, console)
        console.rule("[bold]5. Continuity kits and a site agent")
        kits = run_kit_demo(db, out, console)
        console.rule("[bold]6. Paper fallback")
        paper = run_paper_demo(db, out, console)
        console.rule("[bold]7. Re-planning the operating rooms (Rennes and Saint-Nazaire at 50 %)")
        replanned = run_replan_demo(db, out, console, time_limit=replan_seconds)
        # The crisis and its recovery play on a simulated clock from 06:40 on the first
        # crisis day, the day the paper was printed for, so that paper times make sense.
        day = first_monday(db.clock.now().date())
        clock = SimulatedClock(demo_day_start(day))
        crisis_db = Database(f"sqlite:///{path}", clock=clock)
        try:
            console.rule("[bold]8. Crisis cell: alert, incident, plan, status, logbook, SITREP")
            crisis = run_crisis_demo(crisis_db, out, console)
            console.rule("[bold]9. Recovery: Rennes's day of paper typed back, nothing left")
            recovered = run_recovery_demo(
                crisis_db, clock, console, day=day, credentials=crisis.credentials
            )
        finally:
            crisis_db.dispose()
        entries = _verified(db)
    finally:
        db.dispose()
    console.rule("[bold]Outputs")
    console.print(f"database: {path}")
    console.print(f"journal:  intact, {entries:,} entries")
    console.print(f"kits:     {kits.kits} (keys in {kits.keys})")
    console.print(f"viewer:   {kits.viewer}  (open it by double click, no network needed)")
    console.print(f"          passphrase of {AGENT_SITE}: {kits.site_passphrases[AGENT_SITE]}")
    console.print(f"          group emergency passphrase: {kits.group_passphrase}")
    console.print(
        f"explore:  BASCULE_KEYS_DIR={kits.keys} BASCULE_KITS_DIR={kits.kits} "
        f"bascule --db sqlite:///{path} serve   (then http://127.0.0.1:8000/)"
    )
    console.print(f"paper:    {paper.packet} ({paper.pages} pages)")
    console.print(
        f"          {paper.outstanding} forms of {PAPER_SITE} still out: "
        f"bascule --db sqlite:///{path} paper outstanding --site {PAPER_SITE}"
    )
    console.print(
        f"re-plan:  {replanned.directory} ({replanned.replan_id}, "
        f"{replanned.calls:,} patients to call)"
    )
    console.print(
        f"crisis:   {crisis.incident_id}: SITREP {crisis.sitrep_pdf}, logbook {crisis.logbook_pdf}"
    )
    console.print(
        f"          bascule --db sqlite:///{path} serve, then http://127.0.0.1:8000/crisis"
    )
    for account in crisis.accounts[:2]:
        console.print(
            f"          sign in as {account.username} ({account.role}), password "
            f"{account.password}",
            highlight=False,
        )
    console.print(f"          every account and password: {crisis.credentials}")
    console.print(
        f"recovery: {recovered.typed} forms typed, {recovered.voided} unused; "
        f"bascule --db sqlite:///{path} recovery status"
    )
    console.print(f"audit:    bascule --db sqlite:///{path} journal verify")
    return path


def site_table(summaries: list[queries.SiteSummary]) -> Table:
    """A Rich table of site summaries."""
    table = Table(
        "site",
        "city",
        "theatres",
        "wards",
        "beds",
        "occupied",
        "surgeons",
        "patients",
        "booked cases",
        title="Sites of the group",
    )
    for s in summaries:
        table.add_row(
            s.id,
            s.city,
            str(s.theatres),
            str(s.wards),
            str(s.beds),
            f"{s.occupied_beds} ({s.occupancy:.0%})",
            str(s.surgeons),
            f"{s.patients:,}",
            f"{s.booked_cases:,}",
        )
    return table
