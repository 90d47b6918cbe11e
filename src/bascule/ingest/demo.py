"""The interface step of ``bascule demo``: a live HL7 feed updating the store."""

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from bascule.ingest.background import BackgroundMllp
from bascule.ingest.processing import Processor
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.tables import IngestMessageRow, PatientRow, StayRow, SurgicalCaseRow
from bascule.synth.hl7feed import feed_messages
from bascule.synth.hl7send import send_messages

FEED_SITE = "rennes"
FEED_MESSAGES = 400
FEED_SENDERS = 4


@dataclass(frozen=True, slots=True)
class IngestDemo:
    """What the feed did."""

    acknowledged: int
    rate: float


def _counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {
            "journal entries": journal.count(session),
            "patients": session.scalar(select(func.count()).select_from(PatientRow)) or 0,
            f"inpatients at {FEED_SITE}": session.scalar(
                select(func.count())
                .select_from(StayRow)
                .where(StayRow.site_id == FEED_SITE, StayRow.discharged_at.is_(None))
            )
            or 0,
            f"booked cases at {FEED_SITE}": session.scalar(
                select(func.count())
                .select_from(SurgicalCaseRow)
                .where(SurgicalCaseRow.site_id == FEED_SITE, SurgicalCaseRow.status == "booked")
            )
            or 0,
            "messages logged": session.scalar(select(func.count()).select_from(IngestMessageRow))
            or 0,
        }


def run_ingest_demo(db: Database, console: Console) -> IngestDemo:
    """Start an MLLP listener, stream a burst of the site's feed into it, show what changed."""
    with db.reading() as session:
        messages = feed_messages(session, FEED_SITE, FEED_MESSAGES, seed=1, start=db.clock.now())
    before = _counts(db)
    with BackgroundMllp(Processor(db, site_id=FEED_SITE, actor="mllp")) as listener:
        console.print(
            f"MLLP listener for {FEED_SITE} on 127.0.0.1:{listener.port}; "
            f"{FEED_SENDERS} senders stream {len(messages)} ADT and SIU messages"
        )
        report = send_messages(messages, "127.0.0.1", listener.port, senders=FEED_SENDERS)
    after = _counts(db)
    codes = ", ".join(f"{code} {count}" for code, count in sorted(report.codes.items()))
    p50, p99 = (report.percentile(share) * 1000 for share in (0.5, 0.99))
    console.print(
        f"{report.sent} acknowledged ({codes}) in {report.seconds:.1f} s, {report.rate:.0f}/s; "
        f"ACK p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )
    table = Table("", "before", "after", "change", title="What the feed changed")
    for name, value in before.items():
        table.add_row(name, f"{value:,}", f"{after[name]:,}", f"{after[name] - value:+,}")
    console.print(table)
    return IngestDemo(report.sent, report.rate)
