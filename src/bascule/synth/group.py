"""Writing the synthetic group into a database, through the journal like any other change."""

import gc
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from bascule.domain.patients import Sex
from bascule.errors import BasculeError
from bascule.store import journal
from bascule.store.changes import (
    case_booked,
    decode_patient,
    oncall_assigned,
    patient_registered,
    site_registered,
    stay_admitted,
    surgeon_registered,
    theatre_registered,
    visit_recorded,
    ward_registered,
)
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import SiteRow
from bascule.synth.activity import on_call_roster, record_visits
from bascule.synth.cases import book_cases
from bascule.synth.estate import Estate, build_estate
from bascule.synth.feed import patient_change_chunks
from bascule.synth.people import NirLedger
from bascule.synth.pools import PatientPools, age_band
from bascule.synth.stays import admit_inpatients

Progress = Callable[[str, int, int], None]
BATCH = 10_000
"""Changes per transaction: large enough for bulk inserts, small enough to bound memory."""


@dataclass(frozen=True)
class SynthReport:
    """What :func:`synthesise` created, and how long it took."""

    sites: int
    theatres: int
    wards: int
    beds: int
    surgeons: int
    patients: int
    stays: int
    cases: int
    visits: int
    oncall_shifts: int
    journal_entries: int
    seconds: float

    def summary(self) -> str:
        """One sentence saying what was created and how fast."""
        return (
            f"{self.sites} sites, {self.theatres} theatres, {self.beds:,} beds, "
            f"{self.surgeons} surgeons, {self.patients:,} patients, {self.stays:,} inpatient "
            f"stays, {self.cases:,} booked cases, {self.visits:,} visits in the last 30 days, "
            f"{self.oncall_shifts:,} on-call shifts: {self.journal_entries:,} journal entries "
            f"in {self.seconds:.1f} s"
        )


def first_monday(day: date) -> date:
    """``day`` if it is a Monday, else the next Monday."""
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    """Progress sink when nobody watches."""


class _Writer:
    """Appends changes to the journal in batches, one transaction each, reporting progress."""

    def __init__(self, db: Database, actor: str, progress: Progress) -> None:
        self.db, self.actor, self.progress = db, actor, progress
        self.entries = 0

    def append(self, changes: Sequence[Change]) -> None:
        with self.db.writing() as session:
            journal.append(session, changes, actor=self.actor, at=self.db.clock.now())
        self.entries += len(changes)

    def write(self, stage: str, changes: Sequence[Change]) -> None:
        self.progress(stage, 0, len(changes))
        for first in range(0, len(changes), BATCH):
            batch = changes[first : first + BATCH]
            self.append(batch)
            self.progress(stage, first + len(batch), len(changes))


def _require_empty(db: Database) -> None:
    with db.reading() as session:
        sites = session.scalar(select(func.count()).select_from(SiteRow)) or 0
    if sites:
        raise BasculeError(
            f"{db.description} already holds a group ({sites} sites); use a fresh database"
        )


def _estate_changes(estate: Estate) -> list[Change]:
    return [
        *map(site_registered, estate.sites),
        *map(theatre_registered, estate.theatres),
        *map(ward_registered, estate.wards),
        *map(surgeon_registered, estate.surgeons),
    ]


def _register_patients(
    writer: _Writer, seed: int, count: int, today: date, progress: Progress
) -> PatientPools:
    """Write the patient index chunk by chunk and return who is known at which site."""
    pools, ledger, done = PatientPools(), NirLedger(), 0
    progress("patients", 0, count)
    for changes in patient_change_chunks(seed, count, today):
        for position, change in enumerate(changes):
            nir = change.payload["nir"]
            if nir is not None and not ledger.take(nir):
                patient = ledger.reissue(decode_patient(change.payload))
                changes[position] = patient_registered(patient, change.site_id)
            payload = changes[position].payload
            age = (today - date.fromisoformat(payload["birth_date"])).days // 365
            pools.add(done + position + 1, Sex(payload["sex"]), age_band(age), payload["local_ids"])
        writer.append(changes)
        done += len(changes)
        progress("patients", done, count)
    pools.shuffle(random.Random(f"bascule-synth:{seed}:pools"))
    return pools


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk load.

    A large run allocates tens of millions of short-lived dicts, lists and rows that
    reference counting frees; the collector's passes over them find nothing and cost a
    sixth of the run. The few cycles made meanwhile are collected at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def synthesise(
    db: Database,
    *,
    patients: int = 50_000,
    seed: int = 1,
    start: date | None = None,
    actor: str = "synth",
    progress: Progress | None = None,
) -> SynthReport:
    """Create the synthetic demo group in the empty, migrated database ``db``.

    Five sites with their theatres, wards and surgeons, a patient index of ``patients``
    people, current inpatients filling about 85 % of the beds, and four weeks of booked
    cases from ``start`` (default: the Monday on or after today by ``db.clock``). The same
    seed and the same clock give the same journal. ``progress(stage, done, total)`` is
    called as each stage advances.
    """
    began = time.perf_counter()
    if patients < 0:
        raise BasculeError(f"cannot create {patients} patients: give zero or more")
    _require_empty(db)
    report = progress or _no_progress
    now = db.clock.now()
    today = now.date()
    writer = _Writer(db, actor, report)
    with _cyclic_gc_paused():
        estate = build_estate(seed)
        writer.write("estate", _estate_changes(estate))
        pools = _register_patients(writer, seed, patients, today, report)
        stays = admit_inpatients(seed, estate, pools, now)
        writer.write("stays", [stay_admitted(stay) for stay in stays])
        first_day = start or first_monday(today)
        cases = book_cases(seed, estate, pools, first_day, today)
        writer.write("cases", [case_booked(case) for case in cases])
        visits = record_visits(seed, estate, pools, now)
        writer.write("visits", [visit_recorded(visit) for visit in visits])
        roster = on_call_roster(estate, today - timedelta(days=1), first_day + timedelta(weeks=4))
        writer.write("on-call", [oncall_assigned(shift) for shift in roster])
    return SynthReport(
        sites=len(estate.sites),
        theatres=len(estate.theatres),
        wards=len(estate.wards),
        beds=estate.beds,
        surgeons=len(estate.surgeons),
        patients=patients,
        stays=len(stays),
        cases=len(cases),
        visits=len(visits),
        oncall_shifts=len(roster),
        journal_entries=writer.entries,
        seconds=time.perf_counter() - began,
    )
