"""What an HL7 message refers to, found in the store as it stands inside the write transaction.

Reads go through Core selects of whole rows on the session's connection rather than ORM
entities: the projectors update tables with Core statements, which would leave ORM
objects loaded earlier in the same transaction stale, and the ORM's execution path costs
several times more per query. Each lookup has a bulk form (one query for a whole batch of
messages) that builds its answers with the same code, so both always agree.

:class:`Reads` is what the mapping asks; :class:`StoreReads` answers it from the store,
one query at a time.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    CursorResult,
    Executable,
    RowMapping,
    bindparam,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from bascule.domain.cases import SurgicalCase
from bascule.domain.patients import CONTACT_FIELDS, Patient
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

_ALLERGY_COLUMNS = (AllergyRow.substance, AllergyRow.severity, AllergyRow.reaction)
_MEDICATION_COLUMNS = (
    MedicationRow.name,
    MedicationRow.dose,
    MedicationRow.route,
    MedicationRow.frequency,
)
_ALLERGY_KEYS = tuple(column.key for column in _ALLERGY_COLUMNS)
_MEDICATION_KEYS = tuple(column.key for column in _MEDICATION_COLUMNS)


def _keys() -> BindParameter[Any]:
    return bindparam("keys", expanding=True)


# The bulk reads, built once: building a statement costs as much as running it.
_PATIENTS = select(table_of(PatientRow)).where(PatientRow.id.in_(_keys()))
_LOCAL_IDS_OF = (
    select(PatientLocalIdRow.site_id, PatientLocalIdRow.local_id, PatientLocalIdRow.patient_id)
    .where(PatientLocalIdRow.patient_id.in_(_keys()))
    .order_by(PatientLocalIdRow.local_id.desc())
)
# Allergies, then medications, each in the order entered, in one statement: one round
# trip less per batch. An allergy fills three of the four value columns.
_ESSENTIALS: Executable = union_all(
    select(
        literal(False).label("is_medication"),
        AllergyRow.id,
        AllergyRow.patient_id,
        *_ALLERGY_COLUMNS,
        null(),
    ).where(AllergyRow.patient_id.in_(_keys())),
    select(literal(True), MedicationRow.id, MedicationRow.patient_id, *_MEDICATION_COLUMNS).where(
        MedicationRow.patient_id.in_(_keys())
    ),
).order_by("is_medication", "id")
# One site per statement: SQLite scans the table for a row-value IN of several pairs.
_LOCAL_OWNERS = select(PatientLocalIdRow.local_id, PatientLocalIdRow.patient_id).where(
    PatientLocalIdRow.site_id == bindparam("site"), PatientLocalIdRow.local_id.in_(_keys())
)
_NIR_HOLDERS = (
    select(PatientRow.nir, func.min(PatientRow.id))
    .where(PatientRow.nir.in_(_keys()), PatientRow.merged_into.is_(None))
    .group_by(PatientRow.nir)
)
_MERGED = select(PatientRow.id).where(
    PatientRow.id.in_(_keys()), PatientRow.merged_into.is_not(None)
)
_STAYS = select(table_of(StayRow)).where(StayRow.id.in_(_keys()))
_CASES = select(table_of(SurgicalCaseRow)).where(SurgicalCaseRow.id.in_(_keys()))
_SURGEONS = select(table_of(SurgeonRow)).where(SurgeonRow.id.in_(_keys()))
_SURGEON_SITES = (
    select(SurgeonSiteRow.surgeon_id, SurgeonSiteRow.site_id)
    .where(SurgeonSiteRow.surgeon_id.in_(_keys()))
    .order_by(SurgeonSiteRow.site_id)
)
_RESOURCES = {
    model: select(table_of(model)).where(table_of(model).c.site_id.in_(_keys()))
    for model in (WardRow, TheatreRow)
}


def _read(
    session: Session, statement: Executable, keys: Iterable[str]
) -> CursorResult[*tuple[Any, ...]]:
    return session.connection().execute(statement, {"keys": list(keys)})


def site_exists(session: Session, site_id: str) -> bool:
    """True when ``site_id`` names a site of the group."""
    return session.connection().scalar(select(SiteRow.id).where(SiteRow.id == site_id)) is not None


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored instant is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _patient(
    row: RowMapping,
    local_ids: Iterable[tuple[str, str]],
    allergies: list[dict[str, Any]],
    medications: list[dict[str, Any]],
) -> Patient:
    # A merge leaves the survivor with two local ids at a site; ``local_ids`` comes largest
    # first (in the store's collation), so the smallest one is kept.
    by_site = dict(local_ids)
    payload: dict[str, Any] = {
        **row,
        "birth_date": row["birth_date"].isoformat(),
        "local_ids": by_site,
        "allergies": allergies,
        "medications": medications,
        "contact": {key: row[key] for key in CONTACT_FIELDS},
    }
    return decode_patient(payload)


def patient_by_id(session: Session, patient_id: str) -> Patient | None:
    """The patient ``patient_id`` with local ids, allergies and medications."""
    return patients_by_id(session, [patient_id]).get(patient_id)


def patients_by_id(session: Session, patient_ids: Collection[str]) -> dict[str, Patient]:
    """The patients among ``patient_ids`` that exist (as :func:`patient_by_id` reads them)."""
    found = patients_with_local_ids(session, patient_ids)
    return {patient_id: patient for patient_id, (patient, _) in found.items()}


def patients_with_local_ids(
    session: Session, patient_ids: Collection[str]
) -> dict[str, tuple[Patient, list[tuple[str, str]]]]:
    """The patients among ``patient_ids`` that exist, each with every (site, local id) pair
    naming them (a merge can leave several at one site; the patient shows the smallest)."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    found = {row["id"]: row for row in _read(session, _PATIENTS, ids).mappings()}
    if not found:
        return {}
    local_ids = local_ids_of(session, found)
    allergies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    medications: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for is_medication, _, patient_id, *values in _read(session, _ESSENTIALS, found):
        if is_medication:
            medications[patient_id].append(dict(zip(_MEDICATION_KEYS, values, strict=True)))
        else:
            allergies[patient_id].append(dict(zip(_ALLERGY_KEYS, values[:3], strict=True)))
    return {
        patient_id: (
            _patient(row, local_ids[patient_id], allergies[patient_id], medications[patient_id]),
            local_ids[patient_id],
        )
        for patient_id, row in found.items()
    }


def local_ids_of(
    session: Session, patient_ids: Collection[str]
) -> dict[str, list[tuple[str, str]]]:
    """Every (site, local id) pair that names each of ``patient_ids``, largest local id first."""
    pairs: dict[str, list[tuple[str, str]]] = {patient_id: [] for patient_id in patient_ids}
    for site_id, local_id, patient_id in _read(session, _LOCAL_IDS_OF, pairs):
        pairs[patient_id].append((site_id, local_id))
    return pairs


def patient_by_local_id(session: Session, site_id: str, local_id: str) -> Patient | None:
    """The patient known at ``site_id`` as ``local_id`` (after a merge: the survivor)."""
    patient_id = session.connection().scalar(
        select(PatientLocalIdRow.patient_id).where(
            PatientLocalIdRow.site_id == site_id, PatientLocalIdRow.local_id == local_id
        )
    )
    return None if patient_id is None else patient_by_id(session, patient_id)


def local_id_owners(
    session: Session, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """Which patient each (site, local id) pair names, for the pairs that name one."""
    by_site: dict[str, list[str]] = defaultdict(list)
    for site_id, local_id in pairs:
        by_site[site_id].append(local_id)
    owners: dict[tuple[str, str], str] = {}
    for site_id, local_ids in by_site.items():
        rows = session.connection().execute(_LOCAL_OWNERS, {"site": site_id, "keys": local_ids})
        owners.update({(site_id, local_id): patient_id for local_id, patient_id in rows})
    return owners


def patient_by_nir(session: Session, nir: str) -> Patient | None:
    """The patient (not merged away) whose INS is ``nir``; the oldest id when several."""
    patient_id = session.connection().scalar(
        select(PatientRow.id)
        .where(PatientRow.nir == nir, PatientRow.merged_into.is_(None))
        .order_by(PatientRow.id)
        .limit(1)
    )
    return None if patient_id is None else patient_by_id(session, patient_id)


def nir_owners(session: Session, nirs: Collection[str]) -> dict[str, str]:
    """For each of ``nirs`` that a patient holds, the id :func:`patient_by_nir` would find."""
    if not nirs:
        return {}
    return {str(nir): str(holder) for nir, holder in _read(session, _NIR_HOLDERS, nirs)}


def stay_by_id(session: Session, site_id: str, stay_id: str) -> Stay | None:
    """The stay ``stay_id`` if it is at ``site_id``, with its discharge time."""
    stay = stays_by_id(session, [stay_id]).get(stay_id)
    return stay if stay is not None and stay.site_id == site_id else None


def stays_by_id(session: Session, stay_ids: Collection[str]) -> dict[str, Stay]:
    """The stays among ``stay_ids`` that exist, whatever their site."""
    if not stay_ids:
        return {}
    return {row["id"]: _stay(row) for row in _read(session, _STAYS, stay_ids).mappings()}


def _stay(row: RowMapping) -> Stay:
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
    return cases_by_id(session, [case_id]).get(case_id)


def cases_by_id(session: Session, case_ids: Collection[str]) -> dict[str, SurgicalCase]:
    """The surgical cases among ``case_ids`` that exist."""
    if not case_ids:
        return {}
    return {row["id"]: _case(row) for row in _read(session, _CASES, case_ids).mappings()}


def _case(row: RowMapping) -> SurgicalCase:
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


Resource = type[WardRow] | type[TheatreRow]


def _resource_id(session: Session, model: Resource, site_id: str, code: str) -> str | None:
    if not code:
        return None
    table = table_of(model)
    # The exact id first: a code may also be the suffix of another id of the site.
    for candidate in (code, f"{site_id}-{code}"):
        found = session.connection().scalar(
            select(table.c.id).where(table.c.site_id == site_id, table.c.id == candidate)
        )
        if found is not None:
            return str(found)
    return resource_by_name(session, model, site_id, code)


def resource_by_name(session: Session, model: Resource, site_id: str, code: str) -> str | None:
    """The ward or theatre of ``site_id`` named ``code`` (the database's ``lower()`` compares)."""
    table = table_of(model)
    by_name = session.connection().scalar(
        select(table.c.id)
        .where(table.c.site_id == site_id, func.lower(table.c.name) == code.lower())
        .order_by(table.c.id)
        .limit(1)
    )
    return None if by_name is None else str(by_name)


def resources_of(
    session: Session, model: Resource, site_ids: Collection[str]
) -> dict[str, dict[str, RowMapping]]:
    """Every ward or theatre of ``site_ids``: site, then id, then the row."""
    found: dict[str, dict[str, RowMapping]] = {site_id: {} for site_id in site_ids}
    for row in _read(session, _RESOURCES[model], found).mappings():
        found[row["site_id"]][row["id"]] = row
    return found


def theatre_specialties(session: Session, theatre: str) -> list[str]:
    """The specialties a theatre is equipped for (first: its main one)."""
    specialties = session.connection().scalar(
        select(TheatreRow.specialties).where(TheatreRow.id == theatre)
    )
    return [str(specialty) for specialty in specialties or []]


def survivor_of(session: Session, patient_id: str) -> str:
    """The record ``patient_id`` was merged into, following chains of merges."""
    seen = {patient_id}
    current = patient_id
    while True:
        merged_into = session.connection().scalar(
            select(PatientRow.merged_into).where(PatientRow.id == current)
        )
        if merged_into is None or merged_into in seen:
            return current
        seen.add(merged_into)
        current = merged_into


def merged_among(session: Session, patient_ids: Collection[str]) -> list[str]:
    """Those of ``patient_ids`` that were merged into another record."""
    if not patient_ids:
        return []
    return list(_read(session, _MERGED, patient_ids).scalars())


def surgeon_by_id(session: Session, surgeon_id: str) -> Surgeon | None:
    """The surgeon ``surgeon_id`` with the sites where they operate."""
    return surgeons_by_id(session, [surgeon_id]).get(surgeon_id)


def surgeons_by_id(session: Session, surgeon_ids: Collection[str]) -> dict[str, Surgeon]:
    """The surgeons among ``surgeon_ids`` that exist, with the sites where they operate."""
    if not surgeon_ids:
        return {}
    rows = list(_read(session, _SURGEONS, surgeon_ids).mappings())
    sites: dict[str, list[str]] = defaultdict(list)
    for surgeon_id, site_id in _read(session, _SURGEON_SITES, [row["id"] for row in rows]):
        sites[surgeon_id].append(site_id)
    return {row["id"]: Surgeon(site_ids=tuple(sites[row["id"]]), **row) for row in rows}


class Reads(Protocol):
    """What mapping a message needs to know of the store."""

    def site_exists(self, site_id: str) -> bool:
        """True when ``site_id`` names a site of the group."""

    def patient_by_id(self, patient_id: str) -> Patient | None:
        """The patient ``patient_id``."""

    def patient_by_local_id(self, site_id: str, local_id: str) -> Patient | None:
        """The patient known at ``site_id`` as ``local_id``."""

    def patient_by_nir(self, nir: str) -> Patient | None:
        """The patient (not merged away) whose INS is ``nir``."""

    def survivor_of(self, patient_id: str) -> str:
        """The record ``patient_id`` was merged into, following chains of merges."""

    def stay_by_id(self, site_id: str, stay_id: str) -> Stay | None:
        """The stay ``stay_id`` if it is at ``site_id``."""

    def case_by_id(self, case_id: str) -> SurgicalCase | None:
        """The surgical case ``case_id``."""

    def ward_id(self, site_id: str, code: str) -> str | None:
        """The ward of ``site_id`` that ``code`` names."""

    def theatre_id(self, site_id: str, code: str) -> str | None:
        """The theatre of ``site_id`` that ``code`` names."""

    def theatre_specialties(self, theatre: str) -> list[str]:
        """The specialties a theatre is equipped for (first: its main one)."""

    def surgeon_by_id(self, surgeon_id: str) -> Surgeon | None:
        """The surgeon ``surgeon_id``."""


class StoreReads:
    """:class:`Reads` answered by the store in ``session``, one lookup at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def site_exists(self, site_id: str) -> bool:
        """True when ``site_id`` names a site of the group."""
        return site_exists(self.session, site_id)

    def patient_by_id(self, patient_id: str) -> Patient | None:
        """The patient ``patient_id``."""
        return patient_by_id(self.session, patient_id)

    def patient_by_local_id(self, site_id: str, local_id: str) -> Patient | None:
        """The patient known at ``site_id`` as ``local_id``."""
        return patient_by_local_id(self.session, site_id, local_id)

    def patient_by_nir(self, nir: str) -> Patient | None:
        """The patient (not merged away) whose INS is ``nir``."""
        return patient_by_nir(self.session, nir)

    def survivor_of(self, patient_id: str) -> str:
        """The record ``patient_id`` was merged into, following chains of merges."""
        return survivor_of(self.session, patient_id)

    def stay_by_id(self, site_id: str, stay_id: str) -> Stay | None:
        """The stay ``stay_id`` if it is at ``site_id``."""
        return stay_by_id(self.session, site_id, stay_id)

    def case_by_id(self, case_id: str) -> SurgicalCase | None:
        """The surgical case ``case_id``."""
        return case_by_id(self.session, case_id)

    def ward_id(self, site_id: str, code: str) -> str | None:
        """The ward of ``site_id`` that ``code`` names."""
        return ward_id(self.session, site_id, code)

    def theatre_id(self, site_id: str, code: str) -> str | None:
        """The theatre of ``site_id`` that ``code`` names."""
        return theatre_id(self.session, site_id, code)

    def theatre_specialties(self, theatre: str) -> list[str]:
        """The specialties a theatre is equipped for (first: its main one)."""
        return theatre_specialties(self.session, theatre)

    def surgeon_by_id(self, surgeon_id: str) -> Surgeon | None:
        """The surgeon ``surgeon_id``."""
        return surgeon_by_id(self.session, surgeon_id)
