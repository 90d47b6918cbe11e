"""Time to create the synthetic demo group on a fresh SQLite file.

Run: .venv/bin/python bench/synth.py [--patients N] [--seed S]
Writes bench/results/synth.json.
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import synthesise
from common import save


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 1)


def measure(patients: int, seed: int) -> dict[str, Any]:
    """Synthesise once and return the figures, with the time spent in each stage."""
    stage_started: dict[str, float] = {}
    stage_seconds: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stage_started.setdefault(stage, now)
        if done == total:
            stage_seconds[stage] = round(now - stage_started[stage], 2)

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "synth.sqlite3"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        report = synthesise(db, patients=patients, seed=seed, progress=progress)
        db.dispose()
        size = sum(f.stat().st_size for f in Path(directory).iterdir())
    return {
        "seconds": round(report.seconds, 2),
        "patients_per_second": round(report.patients / report.seconds),
        "journal_entries": report.journal_entries,
        "entries_per_second": round(report.journal_entries / report.seconds),
        "database_mb": round(size / 1e6, 1),
        "stage_seconds": stage_seconds,
        # CPU time next to wall time tells a busy machine from a slow program.
        "cpu_seconds": {
            "writer": _cpu(resource.RUSAGE_SELF),
            "worker": _cpu(resource.RUSAGE_CHILDREN),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "created": {
            "sites": report.sites,
            "theatres": report.theatres,
            "wards": report.wards,
            "beds": report.beds,
            "surgeons": report.surgeons,
            "stays": report.stays,
            "cases": report.cases,
        },
    }


def main() -> None:
    """Parse the arguments, measure, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    figures = measure(arguments.patients, arguments.seed)
    path = save("synth", {"patients": arguments.patients, "seed": arguments.seed}, figures)
    for name, value in figures.items():
        print(f"{name:>20}: {value}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
