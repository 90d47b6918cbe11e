"""One small synthetic group, built once and read back from its journal by many tests."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bascule.clock import SimulatedClock
from bascule.domain.cases import SurgicalCase
from bascule.domain.patients import Patient
from bascule.domain.stays import Stay
from bascule.store import journal
from bascule.store.changes import decode_case, decode_patient, decode_stay
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.synth.group import SynthReport, synthesise

NOW = datetime(2025, 6, 4, 9, 30, tzinfo=UTC)
"""A Wednesday: the first Monday after it, 9 June 2025, is Whit Monday, a public holiday."""
PATIENTS = 2_000


def fresh_database(path: Path, now: datetime = NOW) -> Database:
    """A migrated, empty SQLite database whose clock stands still at ``now``."""
    db = Database(f"sqlite:///{path}", clock=SimulatedClock(now))
    upgrade(db)
    return db


def payloads(db: Database) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, payload) of every journal entry, in order."""
    with db.reading() as session:
        for entry in journal.entries_after(session, 0):
            yield entry.kind, json.loads(entry.payload)


def payload_digests(db: Database) -> list[str]:
    """SHA-256 of each entry's kind and payload, in journal order (timestamps left out)."""
    with db.reading() as session:
        return [
            hashlib.sha256(f"{entry.kind}\n{entry.payload}".encode()).hexdigest()
            for entry in journal.entries_after(session, 0)
        ]


@dataclass
class Group:
    """A synthesised group and everything in its journal, decoded."""

    db: Database
    report: SynthReport
    sites: dict[str, dict[str, Any]]
    theatres: dict[str, dict[str, Any]]
    wards: dict[str, dict[str, Any]]
    surgeons: dict[str, dict[str, Any]]
    patients: dict[str, Patient]
    stays: list[Stay]
    cases: list[SurgicalCase]
    progress: list[tuple[str, int, int]]

    @property
    def today(self) -> date:
        return NOW.date()


@pytest.fixture(scope="package")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Group]:
    """The default group with a small patient index, seed 1."""
    db = fresh_database(tmp_path_factory.mktemp("synth") / "group.sqlite3")
    progress: list[tuple[str, int, int]] = []
    report = synthesise(db, patients=PATIENTS, progress=lambda *step: progress.append(step))
    found = Group(db, report, {}, {}, {}, {}, {}, [], [], progress)
    by_kind: dict[str, dict[str, dict[str, Any]]] = {
        "site.registered": found.sites,
        "theatre.registered": found.theatres,
        "ward.registered": found.wards,
        "surgeon.registered": found.surgeons,
    }
    for kind, payload in payloads(db):
        if kind in by_kind:
            by_kind[kind][payload["id"]] = payload
        elif kind == "patient.registered":
            found.patients[payload["id"]] = decode_patient(payload)
        elif kind == "stay.admitted":
            found.stays.append(decode_stay(payload))
        elif kind == "case.booked":
            found.cases.append(decode_case(payload))
    yield found
    db.dispose()
