"""A crisis-cell database: two sites on a simulated clock, one user of each kind."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bascule.clock import SimulatedClock
from bascule.crisis.roles import Actor, Role
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.factories import record, site

START = datetime(2026, 11, 30, 6, 40, tzinfo=UTC)

LEAD = Actor("claire", "Claire Le Bihan", Role.CRISIS_LEAD, ())
RENNES_MANAGER = Actor("yann", "Yann Morvan", Role.SITE_MANAGER, ("rennes",))
CLERK = Actor("lena", "Léna Guillou", Role.CLERK, ())
SCHEDULER = Actor("erwan", "Erwan Tanguy", Role.OR_SCHEDULER, ())
VIEWER = Actor("anne", "Anne Riou", Role.VIEWER, ())


@pytest.fixture
def crisis_db(db_url: str) -> Iterator[tuple[Database, SimulatedClock]]:
    """Rennes and Nantes registered, on a clock that tests move by hand."""
    clock = SimulatedClock(START)
    database = Database(db_url, clock=clock)
    upgrade(database)
    record(
        database, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))]
    )
    try:
        yield database, clock
    finally:
        database.dispose()
