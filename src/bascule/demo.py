"""``bascule demo``: the main job, end to end, on the embedded SQLite default."""

from pathlib import Path

from rich.console import Console
from rich.table import Table

from bascule.errors import JournalIntegrityError
from bascule.progress import progress_bars
from bascule.store import journal, queries
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise

DEMO_DB_NAME = "bascule-demo.sqlite3"


def fresh_database(directory: Path) -> Path:
    """Remove an earlier demo database in ``directory`` and return the path of a new one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / DEMO_DB_NAME
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path


def run_demo(out: Path, *, patients: int, seed: int, console: Console) -> Path:
    """Synthesise the group into a fresh SQLite file, verify the journal, summarise each site.

    Returns the path of the demo database.
    """
    path = fresh_database(out)
    db = Database(f"sqlite:///{path}")
    try:
        console.rule("[bold]1. Synthetic group 'Grand Ouest'")
        upgrade(db)
        with progress_bars(console) as progress:
            report = synthesise(db, patients=patients, seed=seed, progress=progress)
        console.print(report.summary())
        console.rule("[bold]2. Journal verification")
        with db.reading() as session:
            verdict = journal.verify(session)
            summaries = queries.site_summaries(session)
        if not verdict.intact:
            raise JournalIntegrityError("demo journal broken: " + verdict.problems[0])
        console.print(f"journal intact: {verdict.entries:,} hash-chained entries")
        console.rule("[bold]3. Sites")
        console.print(site_table(summaries))
    finally:
        db.dispose()
    console.rule("[bold]Outputs")
    console.print(f"database: {path}")
    console.print(f"explore:  bascule --db sqlite:///{path} serve   (then http://127.0.0.1:8000/)")
    console.print(f"audit:    bascule --db sqlite:///{path} journal verify")
    return path


def site_table(summaries: list[queries.SiteSummary]) -> Table:
    """A Rich table of site summaries."""
    table = Table(
        "site",
        "name",
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
            s.name,
            str(s.theatres),
            str(s.wards),
            str(s.beds),
            f"{s.occupied_beds} ({s.occupancy:.0%})",
            str(s.surgeons),
            f"{s.patients:,}",
            f"{s.booked_cases:,}",
        )
    return table
