"""A recovery database: Rennes, a printed packet of blank forms, clerks, the incident window."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.roles import Actor, Role
from bascule.paper.codes import FormCode, new_form_id
from bascule.paper.model import FormType
from bascule.recovery.reentry import Window
from bascule.store import changes, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.migrate import upgrade
from tests.factories import record, site

INCIDENT_START = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
WINDOW = Window(INCIDENT_START, INCIDENT_START + timedelta(days=3))

ALICE = Actor("alice", "Alice Le Gall", Role.CLERK, ())
BOB = Actor("bob", "Bob Kerjean", Role.CLERK, ())
CAROL = Actor("carol", "Carol Tanguy", Role.IDENTITY_VIGILANCE, ())
VIEWER = Actor("vic", "Vic Viewer", Role.VIEWER, ())
NANTES_MANAGER = Actor("nina", "Nina Nantes", Role.SITE_MANAGER, ("nantes",))


@dataclass(frozen=True, slots=True)
class Printed:
    """The forms of the test packet by type, as their QR codes read."""

    codes: dict[FormType, FormCode]


def packet(codes: list[FormCode], packet_id: str = "packet-1") -> Change:
    """The journal entry of a packet of blank forms printed for Rennes."""
    payload = {
        "schema": 1,
        "id": packet_id,
        "site_id": "rennes",
        "day": "2026-11-30",
        "issued_at": canonical_instant(INCIDENT_START),
        "issued_by": "test",
        "source": "store",
        "seq": 1,
        "parts": ["forms"],
        "pages": len(codes),
        "pdf_sha256": "0" * 64,
        "forms": [
            [
                code.form_id,
                code.form_type.value,
                code.patient_id,
                code.case_id,
                "chir-a",
                n,
                "t",
                code.form_type.returnable,
            ]
            for n, code in enumerate(codes, start=1)
        ],
    }
    return Change(kinds.PAPER_PACKET_ISSUED, "paper_packet", packet_id, payload, "rennes")


@pytest.fixture
def printed(db_url: str) -> Iterator[tuple[Database, SimulatedClock, Printed]]:
    """Rennes with one printed form of each typed kind (and an OR list), the clock after."""
    clock = SimulatedClock(INCIDENT_START + timedelta(days=1))
    db = Database(db_url, clock=clock)
    upgrade(db)
    record(db, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))])
    codes = {
        form_type: FormCode(form_type, new_form_id(), "rennes")
        for form_type in (
            FormType.ADMISSION,
            FormType.MEDICATION_RECORD,
            FormType.REQUEST,
            FormType.TRANSFER,
            FormType.OR_LIST,
        )
    }
    record(db, [packet(list(codes.values()))])
    try:
        yield db, clock, Printed(codes)
    finally:
        db.dispose()
