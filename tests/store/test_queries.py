import pytest

from bascule.errors import UnknownEntityError
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.queries import (
    group_totals,
    patient_count,
    require_site,
    site_summaries,
    surgeon_count,
)
from tests.factories import patient, record
from tests.kit.group import build_group


def test_site_summaries_count_each_site(db: Database) -> None:
    build_group(db)
    record(db, [changes.patient_registered(patient(8, "nantes"), "nantes")])
    with db.reading() as session:
        summaries = {s.id: s for s in site_summaries(session)}
        assert patient_count(session) == 5
        assert surgeon_count(session) == 1
    rennes, nantes = summaries["rennes"], summaries["nantes"]
    assert (rennes.theatres, rennes.wards, rennes.beds, rennes.occupied_beds) == (1, 1, 3, 1)
    assert rennes.occupancy == pytest.approx(1 / 3)
    assert (rennes.patients, nantes.patients) == (3, 2)
    assert (rennes.booked_cases, nantes.booked_cases) == (2, 0)
    assert rennes.surgeons == nantes.surgeons == 1
    with db.reading() as session:
        totals = group_totals(session, list(summaries.values()))
    # the surgeon works at both sites: counted once in the group, not twice
    assert (totals.beds, totals.surgeons, totals.patients, totals.booked_cases) == (6, 1, 5, 2)


def test_unknown_site_lists_the_known_ones(db: Database) -> None:
    build_group(db)
    with db.reading() as session, pytest.raises(UnknownEntityError, match="nantes, rennes"):
        require_site(session, "brest")
