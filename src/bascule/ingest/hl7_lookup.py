"""What an HL7 message refers to, found in the store as it stands inside the write transaction.

Reads go through Core selects of whole rows rather than ORM entities: the projectors
update tables with Core statements, which would leave ORM objects loaded earlier in the
same transaction stale.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bascule.domain.cases import SurgicalCase
from bascule.domain.patients import Patient
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay
from bascule.store.changes import decode_case, decode_patient
from bascule.store.tables import (
    AllergyRow,
    MedicationRow,
    PatientLocalIdRow,
    PatientRow,
    SiteRow,
    StayRow,
    SurgeonRow,
    SurgeonSiteRow,
    SurgicalCaseRow,
    TheatreRow,
    WardRow,
    table_of,
)


def site_exists(session: Session, site_id: str) -> bool:
    """True when ``site_id`` names a site of the group."""
    return session.scalar(select(SiteRow.id).where(SiteRow.id == site_id)) is not None


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored instant is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def patient_by_id(session: Session, patient_id: str) -> Patient | None:
    """The patient ``patient_id`` with local ids, allergies and medications."""
    row = (
        session.execute(select(table_of(PatientRow)).where(PatientRow.id == patient_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    local_ids: dict[str, str] = {}
    # A merge leaves the survivor with two local ids at a site; the smallest one is kept.
    for site_id, local_id in session.execute(
        select(PatientLocalIdRow.site_id, PatientLocalIdRow.local_id)
        .where(PatientLocalIdRow.patient_id == patient_id)
        .order_by(PatientLocalIdRow.local_id.desc())
    ):
        local_ids[site_id] = local_id
    payload: dict[str, Any] = {
        **row,
        "birth_date": row["birth_date"].isoformat(),
        "local_ids": local_ids,
        "allergies": [
            dict(allergy)
            for allergy in session.execute(
                select(AllergyRow.substance, AllergyRow.severity, AllergyRow.reaction)
                .where(AllergyRow.patient_id == patient_id)
                .order_by(AllergyRow.id)
            ).mappings()
        ],
        "medications": [
            dict(medication)
            for medication in session.execute(
                select(
                    MedicationRow.name,
                    MedicationRow.dose,
                    MedicationRow.route,
                    MedicationRow.frequency,
                )
                .where(MedicationRow.patient_id == patient_id)
                .order_by(MedicationRow.id)
            ).mappings()
        ],
    }
    return decode_patient(payload)


def patient_by_local_id(session: Session, site_id: str, local_id: str) -> Patient | None:
    """The patient known at ``site_id`` as ``local_id`` (after a merge: the survivor)."""
    patient_id = session.scalar(
        select(PatientLocalIdRow.patient_id).where(
            PatientLocalIdRow.site_id == site_id, PatientLocalIdRow.local_id == local_id
        )
    )
    return None if patient_id is None else patient_by_id(session, patient_id)


def patient_by_nir(session: Session, nir: str) -> Patient | None:
    """The patient (not merged away) whose INS is ``nir``; the oldest id when several."""
    patient_id = session.scalar(
        select(PatientRow.id)
        .where(PatientRow.nir == nir, PatientRow.merged_into.is_(None))
        .order_by(PatientRow.id)
        .limit(1)
    )
    return None if patient_id is None else patient_by_id(session, patient_id)


def stay_by_id(session: Session, site_id: str, stay_id: str) -> Stay | None:
    """The stay ``stay_id`` if it is at ``site_id``, with its discharge time."""
    row = (
        session.execute(
            select(table_of(StayRow)).where(StayRow.id == stay_id, StayRow.site_id == site_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    admitted_at = _aware(row["admitted_at"])
    assert admitted_at is not None  # the column is not nullable
    return Stay(
        id=row["id"],
        patient_id=row["patient_id"],
        site_id=row["site_id"],
        ward_id=row["ward_id"],
        room_id=row["room_id"],
        bed=row["bed"],
        admitted_at=admitted_at,
        expected_discharge=_aware(row["expected_discharge"]),
        discharged_at=_aware(row["discharged_at"]),
    )


def case_by_id(session: Session, case_id: str) -> SurgicalCase | None:
    """The surgical case ``case_id`` as it currently stands."""
    row = (
        session.execute(select(table_of(SurgicalCaseRow)).where(SurgicalCaseRow.id == case_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    booking = None
    if row["booked_day"] is not None:
        booking = {
            "day": row["booked_day"].isoformat(),
            "theatre_id": row["booked_theatre_id"],
            "start_minute": row["booked_start_minute"],
        }
    return decode_case(
        {
            **row,
            "listed_on": row["listed_on"].isoformat(),
            "release_on": row["release_on"].isoformat(),
            "booking": booking,
        }
    )


def ward_id(session: Session, site_id: str, code: str) -> str | None:
    """The ward of ``site_id`` that ``code`` names: its id, ``{site}-{code}``, or its name."""
    return _resource_id(session, WardRow, site_id, code)


def theatre_id(session: Session, site_id: str, code: str) -> str | None:
    """The theatre of ``site_id`` that ``code`` names: its id, ``{site}-{code}``, or its name."""
    return _resource_id(session, TheatreRow, site_id, code)


def _resource_id(
    session: Session, model: type[WardRow] | type[TheatreRow], site_id: str, code: str
) -> str | None:
    if not code:
        return None
    table = table_of(model)
    # The exact id first: a code may also be the suffix of another id of the site.
    for candidate in (code, f"{site_id}-{code}"):
        found = session.scalar(
            select(table.c.id).where(table.c.site_id == site_id, table.c.id == candidate)
        )
        if found is not None:
            return str(found)
    by_name = session.scalar(
        select(table.c.id)
        .where(table.c.site_id == site_id, func.lower(table.c.name) == code.lower())
        .order_by(table.c.id)
        .limit(1)
    )
    return None if by_name is None else str(by_name)


def theatre_specialties(session: Session, theatre: str) -> list[str]:
    """The specialties a theatre is equipped for (first: its main one)."""
    specialties = session.scalar(select(TheatreRow.specialties).where(TheatreRow.id == theatre))
    return [str(specialty) for specialty in specialties or []]


def survivor_of(session: Session, patient_id: str) -> str:
    """The record ``patient_id`` was merged into, following chains of merges."""
    seen = {patient_id}
    current = patient_id
    while True:
        merged_into = session.scalar(select(PatientRow.merged_into).where(PatientRow.id == current))
        if merged_into is None or merged_into in seen:
            return current
        seen.add(merged_into)
        current = merged_into


def surgeon_by_id(session: Session, surgeon_id: str) -> Surgeon | None:
    """The surgeon ``surgeon_id`` with the sites where they operate."""
    row = (
        session.execute(select(table_of(SurgeonRow)).where(SurgeonRow.id == surgeon_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    sites = tuple(
        session.scalars(
            select(SurgeonSiteRow.site_id)
            .where(SurgeonSiteRow.surgeon_id == surgeon_id)
            .order_by(SurgeonSiteRow.site_id)
        )
    )
    return Surgeon(site_ids=sites, **row)
