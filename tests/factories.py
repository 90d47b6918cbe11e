"""Small, valid domain objects for tests, and a one-call way to journal them."""

from datetime import date

from bascule.domain.patients import (
    Allergy,
    ClinicalEssentials,
    IdentityStatus,
    IdentityTraits,
    Patient,
    Severity,
    Sex,
)
from bascule.domain.sites import Site
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.journal import Change

CITIES = {
    "rennes": ("Rennes", 48.1147, -1.6794),
    "nantes": ("Nantes", 47.2184, -1.5536),
    "quimper": ("Quimper", 47.9960, -4.1020),
}


def site(site_id: str = "rennes") -> Site:
    """A site at one of a few real cities."""
    city, latitude, longitude = CITIES[site_id]
    return Site(
        site_id, f"Clinique de l'Odet – {city}", city, latitude, longitude, ("orthopaedics",)
    )


def patient(number: int, site_id: str = "rennes") -> Patient:
    """A provisional patient with an allergy, known at ``site_id``."""
    identity = IdentityTraits(
        birth_family_name=f"Le Goff-{number}",
        first_given_name="Maëlle",
        birth_date=date(1980 + number % 20, 1 + number % 12, 1 + number % 28),
        sex=Sex.FEMALE,
        status=IdentityStatus.PROVISIONAL,
    )
    essentials = ClinicalEssentials(
        blood_group="O+", allergies=(Allergy("pénicilline", Severity.SEVERE, "œdème"),)
    )
    return Patient(f"p{number}", identity, ((site_id, f"IPP{number}"),), essentials)


def record(db: Database, items: list[Change], actor: str = "test") -> list[int]:
    """Journal ``items`` in one transaction."""
    with db.writing() as session:
        return journal.append(session, items, actor=actor, at=db.clock.now())


def seeded(db: Database, patients: int = 10) -> None:
    """A site and ``patients`` patients, one journal entry each."""
    record(db, [changes.site_registered(site("rennes"))])
    for number in range(patients):
        record(db, [changes.patient_registered(patient(number), "rennes")])
