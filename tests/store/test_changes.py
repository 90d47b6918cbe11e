"""Patient payloads: contact details round-trip, and entries journaled before them still read."""

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from bascule.domain.patients import ContactDetails
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.tables import PatientRow
from tests.factories import patient, record
from tests.kit.group import build_group

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(st.builds(ContactDetails, TEXT, TEXT, TEXT, TEXT))
def test_contact_details_round_trip_through_the_payload(contact: ContactDetails) -> None:
    person = dataclasses.replace(patient(1), contact=contact)
    assert changes.decode_patient(changes.encode_patient(person)) == person


def test_a_patient_journaled_before_contact_details_reads_without_them() -> None:
    payload = changes.encode_patient(patient(1))
    del payload["contact"]
    assert changes.decode_patient(payload).contact == ContactDetails()


def test_contact_details_are_projected_and_updated(db: Database) -> None:
    build_group(db)
    home = ContactDetails("35000", "Rennes", "06 12 34 56 78", "anne@orange.fr")
    record(db, [changes.patient_updated(dataclasses.replace(patient(1), contact=home), "rennes")])
    with db.reading() as session:
        row = session.get(PatientRow, "p1")
        assert row is not None
        assert (row.postcode, row.city, row.phone, row.email) == dataclasses.astuple(home)
    moved = dataclasses.replace(home, postcode="29200", city="Brest")
    record(db, [changes.patient_updated(dataclasses.replace(patient(1), contact=moved), "rennes")])
    with db.reading() as session:
        row = session.get(PatientRow, "p1")
        assert row is not None
        assert (row.postcode, row.city) == ("29200", "Brest")
