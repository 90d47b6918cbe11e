"""The state one FHIR import maps against: the store, this transaction's pending changes,
and the resources read so far.

Mapping a resource reads what bascule already has (pending changes of the current
transaction first, then the store), decides, and returns an :class:`Outcome`; only a
resource mapped without error has its changes kept (:meth:`Context.keep`), so a refused
resource leaves nothing behind.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.domain.cases import CaseStatus, SurgicalCase
from bascule.domain.nir import INS_OIDS
from bascule.domain.patients import Patient
from bascule.domain.sites import GenderPolicy, Room, Ward
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay
from bascule.ingest import hl7_lookup
from bascule.ingest.fhir_model import Reference
from bascule.ingest.fhir_refs import PATIENT, Indexed, RunIndex, Target, derived_id, parse_reference
from bascule.ingest.fhir_values import FhirMappingError
from bascule.store import kinds
from bascule.store.canonical import canonical_instant, parse_instant
from bascule.store.changes import decode_case, decode_patient, decode_stay
from bascule.store.journal import Change
from bascule.store.tables import (
    BedRow,
    PatientLocalIdRow,
    PatientRow,
    RoomRow,
    VisitRow,
    WardRow,
    table_of,
)

INS_SYSTEMS = frozenset(f"urn:oid:{oid}" for oid in INS_OIDS)


@dataclass(slots=True)
class Outcome:
    """What one resource did: its changes, and how the report counts it."""

    changes: list[Change] = field(default_factory=list)
    created: str | None = None
    updated: str | None = None
    skipped: str | None = None
    # Counted once every resource has been read (see Run.locations).
    deferred: bool = False
    # Made findable by later references only once the resource is kept.
    indexed: tuple[Indexed, str | None] | None = None


@dataclass(slots=True)
class Run:
    """What an import remembers from one transaction to the next."""

    index: RunIndex = field(default_factory=RunIndex)
    # Places and practitioners are reported once every resource has been read: whether
    # one becomes a ward or a surgeon may depend on resources read after it.
    locations: list[tuple[str, Indexed]] = field(default_factory=list)
    practitioners: list[tuple[str, Indexed]] = field(default_factory=list)
    surgeon_keys: set[str] = field(default_factory=set)
    wards_created: set[str] = field(default_factory=set)
    # Locations by the identity of their parent Location, as of ``children_read`` read.
    children: dict[int, list[Indexed]] = field(default_factory=dict)
    children_read: int = 0
    # The site's theatres by id and lower-case name (theatres are not imported from FHIR).
    theatres: dict[str, str] | None = None


@dataclass(slots=True)
class Context:
    """One write transaction of an import."""

    session: Session
    site_id: str
    run: Run
    now: datetime
    patients: dict[str, Patient] = field(default_factory=dict)
    local_ids: dict[str, str] = field(default_factory=dict)
    nirs: dict[str, str] = field(default_factory=dict)
    stays: dict[str, Stay] = field(default_factory=dict)
    cases: dict[str, SurgicalCase] = field(default_factory=dict)
    wards: dict[str, Ward] = field(default_factory=dict)
    surgeons: dict[str, Surgeon] = field(default_factory=dict)
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored_visits: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    stored_patients: dict[str, Patient | None] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    @property
    def index(self) -> RunIndex:
        """Resources read so far in this import."""
        return self.run.index

    def keep(self, outcome: Outcome) -> None:
        """Record a successfully mapped resource's changes and make them visible."""
        for change in outcome.changes:
            self._see(change)
        self.changes.extend(outcome.changes)
        if outcome.indexed is not None:
            self.index.add(*outcome.indexed)

    def _see(self, change: Change) -> None:
        payload = change.payload
        if change.kind in (kinds.PATIENT_REGISTERED, kinds.PATIENT_UPDATED):
            patient = decode_patient(payload)
            self.patients[patient.id] = patient
            if patient.identity.nir:
                self.nirs[patient.identity.nir] = patient.id
            local = patient.local_id_at(self.site_id)
            if local is not None:
                self.local_ids[local] = patient.id
        elif change.kind == kinds.STAY_ADMITTED:
            self.stays[change.entity_id] = decode_stay(payload)
        elif change.kind in (kinds.STAY_DISCHARGED, kinds.STAY_DISCHARGE_CANCELLED):
            stay = self.stay(change.entity_id)
            if stay is not None:
                at = payload.get("at")
                moment = None if at is None else parse_instant(at)
                self.stays[stay.id] = replace(stay, discharged_at=moment)
        elif change.kind == kinds.STAY_TRANSFERRED:
            stay = self.stay(change.entity_id)
            if stay is not None:
                place = {key: payload[key] for key in ("ward_id", "room_id", "bed")}
                self.stays[stay.id] = replace(stay, **place)
        elif change.kind in (kinds.CASE_BOOKED, kinds.CASE_UPDATED):
            self.cases[change.entity_id] = decode_case(payload)
        elif change.kind == kinds.CASE_STATUS_CHANGED:
            case = self.case(change.entity_id)
            if case is not None:
                self.cases[case.id] = replace(case, status=CaseStatus(payload["status"]))
        elif change.kind == kinds.WARD_REGISTERED:
            self.wards[change.entity_id] = _decode_ward(payload)
            self.run.wards_created.add(change.entity_id)
        elif change.kind == kinds.SURGEON_REGISTERED:
            self.surgeons[change.entity_id] = Surgeon(
                **{**payload, "site_ids": tuple(payload["site_ids"])}
            )
        elif change.kind == kinds.VISIT_RECORDED:
            self.visits[change.entity_id] = payload

    # Reads: this transaction's pending changes first, then the store.

    def patient(self, patient_id: str) -> Patient | None:
        """The person ``patient_id`` (the survivor when merged), as this import leaves them."""
        pending = self.patients.get(patient_id)
        if pending is not None:
            return pending
        if patient_id in self.stored_patients:
            return self.stored_patients[patient_id]
        row = self.session.execute(
            select(PatientRow.merged_into).where(PatientRow.id == patient_id)
        ).first()
        found = None
        if row is not None:
            survivor = patient_id
            if row.merged_into is not None:
                survivor = hl7_lookup.survivor_of(self.session, patient_id)
            found = hl7_lookup.patient_by_id(self.session, survivor)
        # Read once per transaction: what this import changes is in ``patients``.
        self.stored_patients[patient_id] = found
        return found

    def local_owner(self, local: str) -> str | None:
        """The id of the person known at this site as ``local``."""
        pending = self.local_ids.get(local)
        if pending is not None:
            return pending
        return self.session.scalar(
            select(PatientLocalIdRow.patient_id).where(
                PatientLocalIdRow.site_id == self.site_id, PatientLocalIdRow.local_id == local
            )
        )

    def patient_by_local_id(self, local: str) -> Patient | None:
        """The person known at this site as ``local``."""
        owner = self.local_owner(local)
        return None if owner is None else self.patient(owner)

    def patient_by_nir(self, nir: str) -> Patient | None:
        """The person whose INS is ``nir``."""
        pending = self.nirs.get(nir)
        if pending is not None:
            return self.patient(pending)
        return hl7_lookup.patient_by_nir(self.session, nir)

    def stay(self, stay_id: str) -> Stay | None:
        """The stay ``stay_id`` at this site."""
        return self.stays.get(stay_id) or hl7_lookup.stay_by_id(self.session, self.site_id, stay_id)

    def case(self, case_id: str) -> SurgicalCase | None:
        """The surgical case ``case_id``."""
        return self.cases.get(case_id) or hl7_lookup.case_by_id(self.session, case_id)

    def surgeon(self, surgeon_id: str) -> Surgeon | None:
        """The surgeon ``surgeon_id``."""
        return self.surgeons.get(surgeon_id) or hl7_lookup.surgeon_by_id(self.session, surgeon_id)

    def prefetch_visits(self, visit_ids: list[str]) -> None:
        """Read the visits among ``visit_ids`` in one query (encounters are most of a feed)."""
        rows = self.session.execute(
            select(table_of(VisitRow)).where(VisitRow.id.in_(visit_ids))
        ).mappings()
        self.stored_visits = dict.fromkeys(visit_ids)
        for row in rows:
            self.stored_visits[row["id"]] = {**row, "at": canonical_instant(row["at"])}

    def visit(self, visit_id: str) -> dict[str, Any] | None:
        """The recorded visit ``visit_id`` as its journal payload would show it."""
        pending = self.visits.get(visit_id)
        if pending is not None:
            return pending
        if visit_id in self.stored_visits:
            return self.stored_visits[visit_id]
        row = (
            self.session.execute(select(table_of(VisitRow)).where(VisitRow.id == visit_id))
            .mappings()
            .first()
        )
        return None if row is None else {**row, "at": canonical_instant(row["at"])}

    def ward_exists(self, ward_id: str) -> bool:
        """True when the ward is registered (or about to be, in this transaction)."""
        if ward_id in self.wards:
            return True
        return self.session.scalar(select(WardRow.id).where(WardRow.id == ward_id)) is not None

    def ward(self, ward_id: str) -> Ward | None:
        """The ward ``ward_id`` with its rooms and beds."""
        pending = self.wards.get(ward_id)
        if pending is not None:
            return pending
        row = self.session.execute(select(WardRow).where(WardRow.id == ward_id)).scalar()
        if row is None:
            return None
        rooms = []
        for room in self.session.scalars(
            select(RoomRow).where(RoomRow.ward_id == ward_id).order_by(RoomRow.id)
        ):
            beds = self.session.scalars(
                select(BedRow.label)
                .where(BedRow.ward_id == ward_id, BedRow.room_id == room.id)
                .order_by(BedRow.label)
            )
            rooms.append(Room(room.id, room.name, tuple(beds), GenderPolicy(room.gender_policy)))
        return Ward(row.id, row.site_id, row.name, row.specialty, tuple(rooms))

    # References.

    def resolve(self, reference: Reference | None, expected: str, where: str) -> Target:
        """The target of a reference the mapping needs; an error when there is none."""
        target = parse_reference(reference, expected)
        if target is None:
            raise FhirMappingError(f"{where} is missing")
        if target.resource_type not in (None, expected):
            raise FhirMappingError(
                f"{where} {target.text!r} refers to a {target.resource_type}, not a {expected}"
            )
        return target

    def patient_id(self, reference: Reference | None, where: str) -> str:
        """The bascule id of the patient ``reference`` designates."""
        target = self.resolve(reference, "Patient", where)
        found = self.index.find(target)
        if found is not None and found.entity_id is not None:
            return found.entity_id
        for key in target.candidate_keys():
            patient = self.patient(derived_id(PATIENT, self.site_id, key))
            if patient is not None:
                return patient.id
        patient = None
        if target.value and target.system in INS_SYSTEMS:
            patient = self.patient_by_nir(target.value)
        elif target.value:
            patient = self.patient_by_local_id(target.value)
        elif target.id:
            patient = self.patient_by_local_id(target.id)
        if patient is None:
            raise FhirMappingError(f"{where} {target.text!r} cannot be resolved")
        return patient.id


def _decode_ward(payload: dict[str, Any]) -> Ward:
    rooms = tuple(
        Room(room["id"], room["name"], tuple(room["beds"]), GenderPolicy(room["gender_policy"]))
        for room in payload["rooms"]
    )
    return Ward(payload["id"], payload["site_id"], payload["name"], payload["specialty"], rooms)
