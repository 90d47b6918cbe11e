import multiprocessing
from multiprocessing.synchronize import Event

from sqlalchemy import select

from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import JournalEntryRow
from tests.factories import patient, record, site

WRITERS = 4
SINGLE_APPENDS = 40
BATCHES = 5
BATCH_SIZE = 10


def _writer(url: str, writer: int, start: Event) -> None:
    db = Database(url)
    start.wait()
    number = writer * 10_000
    for _ in range(SINGLE_APPENDS):
        record(db, [changes.patient_registered(patient(number), "rennes")], actor=f"w{writer}")
        number += 1
    for _ in range(BATCHES):
        batch = [
            changes.patient_registered(patient(number + i), "rennes") for i in range(BATCH_SIZE)
        ]
        record(db, batch, actor=f"w{writer}")
        number += BATCH_SIZE
    db.dispose()


def test_concurrent_writers_keep_one_unbroken_chain(db: Database, db_url: str) -> None:
    record(db, [changes.site_registered(site())])
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_writer, args=(db_url, writer, start)) for writer in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0, f"writer exited with {worker.exitcode}"

    expected = 1 + WRITERS * (SINGLE_APPENDS + BATCHES * BATCH_SIZE)
    with db.reading() as session:
        report = journal.verify(session)
        sequence = list(session.scalars(select(JournalEntryRow.seq).order_by(JournalEntryRow.seq)))
        actors = set(session.scalars(select(JournalEntryRow.actor)))
    assert report.intact, report.problems
    assert sequence == list(range(1, expected + 1))
    assert actors == {"test"} | {f"w{w}" for w in range(WRITERS)}
