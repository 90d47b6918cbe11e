"""Journal appends per second (single entries and batches of 100) and verify time.

Run: .venv/bin/python bench/journal.py [--single N] [--batches N] [--verify-entries N]
Writes bench/results/journal.json.
"""

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from bascule.domain.patients import IdentityStatus, IdentityTraits, Patient, Sex
from bascule.domain.sites import Site
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.migrate import upgrade
from common import postgres_schema, save


def _patient_change(number: int) -> Change:
    identity = IdentityTraits(
        birth_family_name=f"Le Guével-{number}",
        first_given_name="Jean-Noël",
        birth_date=date(1950 + number % 60, 1 + number % 12, 1 + number % 28),
        sex=Sex.MALE,
        given_names=("Jean-Noël", "Yann"),
        birth_place_insee="29232",
        status=IdentityStatus.PROVISIONAL,
    )
    patient = Patient(f"b{number}", identity, (("rennes", f"IPP{number}"),))
    return changes.patient_registered(patient, "rennes")


@contextmanager
def _database(backend: str) -> Iterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            db = Database(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
            yield db
            db.dispose()
    else:
        with postgres_schema() as url:
            db = Database(url)
            yield db
            db.dispose()


def _append(db: Database, items: list[Change]) -> None:
    with db.writing() as session:
        journal.append(session, items, actor="bench", at=db.clock.now())


def measure(backend: str, single: int, batches: int, verify_entries: int) -> dict[str, Any]:
    """Append rates and verification time on one backend."""
    with _database(backend) as db:
        upgrade(db)
        _append(db, [changes.site_registered(Site("rennes", "Clinique", "Rennes", 48.11, -1.68))])
        number = 0
        started = time.perf_counter()
        for _ in range(single):
            _append(db, [_patient_change(number)])
            number += 1
        single_rate = single / (time.perf_counter() - started)

        started = time.perf_counter()
        for _ in range(batches):
            _append(db, [_patient_change(number + i) for i in range(100)])
            number += 100
        batch_rate = batches * 100 / (time.perf_counter() - started)

        while number < verify_entries:
            size = min(5000, verify_entries - number)
            _append(db, [_patient_change(number + i) for i in range(size)])
            number += size
        with db.reading() as session:
            started = time.perf_counter()
            report = journal.verify(session)
            verify_seconds = time.perf_counter() - started
        assert report.intact, report.problems
    return {
        "single_appends_per_second": round(single_rate, 1),
        "batched_entries_per_second": round(batch_rate, 1),
        "verify_entries": report.entries,
        "verify_seconds_per_100k": round(verify_seconds * 100_000 / report.entries, 2),
    }


def main() -> None:
    """Measure both backends, print a table and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--verify-entries", type=int, default=100_000)
    args = parser.parse_args()
    figures = {
        backend: measure(backend, args.single, args.batches, args.verify_entries)
        for backend in ("sqlite", "postgresql")
    }
    print(f"{'backend':<12}{'single/s':>12}{'batched/s':>12}{'verify s/100k':>15}")
    for backend, row in figures.items():
        print(
            f"{backend:<12}{row['single_appends_per_second']:>12}"
            f"{row['batched_entries_per_second']:>12}{row['verify_seconds_per_100k']:>15}"
        )
    figures["sqlite_to_postgresql_single_ratio"] = round(
        figures["sqlite"]["single_appends_per_second"]
        / figures["postgresql"]["single_appends_per_second"],
        2,
    )
    path = save("journal", vars(args), figures)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
