"""Journal changes built from domain objects, and domain objects read back from payloads.

The payload of each kind is the domain object's canonical encoding, so that the journal
alone can rebuild every projection (and, later, a site's kit).
"""

from datetime import date, datetime
from typing import Any

from bascule.domain.activity import OnCallShift, Visit
from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.patients import (
    CONTACT_FIELDS,
    Allergy,
    ClinicalEssentials,
    ContactDetails,
    IdentityStatus,
    IdentityTraits,
    Medication,
    Patient,
    Severity,
    Sex,
)
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre, Site, Ward
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay
from bascule.store.canonical import canonical_instant, parse_instant
from bascule.store.journal import Change
from bascule.store.kinds import (
    CASE_BOOKED,
    CASE_STATUS_CHANGED,
    CASE_UPDATED,
    INGEST_MESSAGE_LOGGED,
    ONCALL_ASSIGNED,
    PATIENT_REGISTERED,
    PATIENT_UPDATED,
    PATIENTS_MERGED,
    PLAN_APPLIED,
    SITE_REGISTERED,
    STAY_ADMISSION_CANCELLED,
    STAY_ADMITTED,
    STAY_DISCHARGE_CANCELLED,
    STAY_DISCHARGED,
    STAY_TRANSFERRED,
    SURGEON_REGISTERED,
    THEATRE_REGISTERED,
    VISIT_RECORDED,
    WARD_REGISTERED,
)


def site_registered(site: Site) -> Change:
    """A new site of the group."""
    payload = {
        "id": site.id,
        "name": site.name,
        "city": site.city,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "specialties": list(site.specialties),
    }
    return Change(SITE_REGISTERED, "site", site.id, payload, site.id)


def theatre_registered(theatre: OperatingTheatre) -> Change:
    """A new operating theatre."""
    payload = {
        "id": theatre.id,
        "site_id": theatre.site_id,
        "name": theatre.name,
        "opening_minutes": list(theatre.opening_minutes),
        "specialties": list(theatre.specialties),
    }
    return Change(THEATRE_REGISTERED, "theatre", theatre.id, payload, theatre.site_id)


def ward_registered(ward: Ward) -> Change:
    """A new ward with its rooms and beds."""
    payload = {
        "id": ward.id,
        "site_id": ward.site_id,
        "name": ward.name,
        "specialty": ward.specialty,
        "rooms": [
            {
                "id": room.id,
                "name": room.name,
                "beds": list(room.beds),
                "gender_policy": room.gender_policy.value,
            }
            for room in ward.rooms
        ],
    }
    return Change(WARD_REGISTERED, "ward", ward.id, payload, ward.site_id)


def surgeon_registered(surgeon: Surgeon) -> Change:
    """A new surgeon."""
    payload = {
        "id": surgeon.id,
        "family_name": surgeon.family_name,
        "given_name": surgeon.given_name,
        "specialty": surgeon.specialty,
        "site_ids": list(surgeon.site_ids),
        "max_daily_minutes": surgeon.max_daily_minutes,
        "phone": surgeon.phone,
    }
    return Change(SURGEON_REGISTERED, "surgeon", surgeon.id, payload, surgeon.site_ids[0])


def encode_patient(patient: Patient) -> dict[str, Any]:
    """A patient as a JSON-ready dict."""
    identity, essentials = patient.identity, patient.essentials
    return {
        "id": patient.id,
        "birth_family_name": identity.birth_family_name,
        "used_name": identity.used_name,
        "first_given_name": identity.first_given_name,
        "given_names": list(identity.given_names),
        "birth_date": identity.birth_date.isoformat(),
        "sex": identity.sex.value,
        "birth_place_insee": identity.birth_place_insee,
        "nir": identity.nir,
        "identity_status": identity.status.value,
        "local_ids": dict(patient.local_ids),
        "blood_group": essentials.blood_group,
        "allergies": [
            {"substance": a.substance, "severity": a.severity.value, "reaction": a.reaction}
            for a in essentials.allergies
        ],
        "medications": [
            {"name": m.name, "dose": m.dose, "route": m.route, "frequency": m.frequency}
            for m in essentials.medications
        ],
        "alerts": list(essentials.alerts),
        "emergency_contact_phone": essentials.emergency_contact_phone,
        "contact": {name: getattr(patient.contact, name) for name in CONTACT_FIELDS},
    }


def decode_patient(payload: dict[str, Any]) -> Patient:
    """Inverse of :func:`encode_patient`."""
    identity = IdentityTraits(
        birth_family_name=payload["birth_family_name"],
        used_name=payload["used_name"],
        first_given_name=payload["first_given_name"],
        given_names=tuple(payload["given_names"]),
        birth_date=date.fromisoformat(payload["birth_date"]),
        sex=Sex(payload["sex"]),
        birth_place_insee=payload["birth_place_insee"],
        nir=payload["nir"],
        status=IdentityStatus(payload["identity_status"]),
    )
    essentials = ClinicalEssentials(
        blood_group=payload["blood_group"],
        allergies=tuple(
            Allergy(a["substance"], Severity(a["severity"]), a["reaction"])
            for a in payload["allergies"]
        ),
        medications=tuple(
            Medication(m["name"], m["dose"], m["route"], m["frequency"])
            for m in payload["medications"]
        ),
        alerts=tuple(payload["alerts"]),
        emergency_contact_phone=payload["emergency_contact_phone"],
    )
    return Patient(
        id=payload["id"],
        identity=identity,
        local_ids=tuple(sorted(payload["local_ids"].items())),
        essentials=essentials,
        # Entries journaled before contact details were kept have none.
        contact=ContactDetails(**payload.get("contact", {})),
    )


def patient_registered(patient: Patient, site_id: str | None = None) -> Change:
    """A new person in the patient index, registered by ``site_id`` (or centrally)."""
    return Change(PATIENT_REGISTERED, "patient", patient.id, encode_patient(patient), site_id)


def patient_updated(patient: Patient, site_id: str | None = None) -> Change:
    """New traits or essentials of a known person: the payload replaces the old one whole."""
    return Change(PATIENT_UPDATED, "patient", patient.id, encode_patient(patient), site_id)


def patients_merged(survivor_id: str, absorbed_id: str, site_id: str | None) -> Change:
    """Two records found to be one person: ``absorbed_id``'s stays, cases, visits, local ids,
    allergies and medications move to ``survivor_id``; the absorbed record stays, marked,
    so that the merge can be traced and undone."""
    payload = {"patient_id": survivor_id, "absorbed_id": absorbed_id}
    return Change(PATIENTS_MERGED, "patient", absorbed_id, payload, site_id)


def stay_transferred(
    stay_id: str, site_id: str, *, ward_id: str, room_id: str, bed: str, at: datetime
) -> Change:
    """An inpatient moved to another bed of the same site."""
    payload = {
        "id": stay_id,
        "ward_id": ward_id,
        "room_id": room_id,
        "bed": bed,
        "at": canonical_instant(at),
    }
    return Change(STAY_TRANSFERRED, "stay", stay_id, payload, site_id)


def stay_discharged(stay_id: str, site_id: str, at: datetime) -> Change:
    """An inpatient discharged."""
    payload = {"id": stay_id, "at": canonical_instant(at)}
    return Change(STAY_DISCHARGED, "stay", stay_id, payload, site_id)


def stay_admission_cancelled(stay_id: str, site_id: str) -> Change:
    """An admission recorded in error: the stay leaves the census."""
    return Change(STAY_ADMISSION_CANCELLED, "stay", stay_id, {"id": stay_id}, site_id)


def stay_discharge_cancelled(stay_id: str, site_id: str) -> Change:
    """A discharge recorded in error: the patient is back in the census."""
    return Change(STAY_DISCHARGE_CANCELLED, "stay", stay_id, {"id": stay_id}, site_id)


def stay_admitted(stay: Stay) -> Change:
    """An inpatient admitted to a bed."""
    payload = {
        "id": stay.id,
        "patient_id": stay.patient_id,
        "site_id": stay.site_id,
        "ward_id": stay.ward_id,
        "room_id": stay.room_id,
        "bed": stay.bed,
        "admitted_at": canonical_instant(stay.admitted_at),
        "expected_discharge": _optional_instant(stay),
    }
    return Change(STAY_ADMITTED, "stay", stay.id, payload, stay.site_id)


def _optional_instant(stay: Stay) -> str | None:
    moment = stay.expected_discharge
    return None if moment is None else canonical_instant(moment)


def decode_stay(payload: dict[str, Any]) -> Stay:
    """A stay from its ``stay.admitted`` payload."""
    expected = payload["expected_discharge"]
    return Stay(
        id=payload["id"],
        patient_id=payload["patient_id"],
        site_id=payload["site_id"],
        ward_id=payload["ward_id"],
        room_id=payload["room_id"],
        bed=payload["bed"],
        admitted_at=parse_instant(payload["admitted_at"]),
        expected_discharge=None if expected is None else parse_instant(expected),
    )


def encode_case(case: SurgicalCase) -> dict[str, Any]:
    """A surgical case as a JSON-ready dict."""
    booking = case.booking
    due = case.due_on
    return {
        "id": case.id,
        "patient_id": case.patient_id,
        "site_id": case.site_id,
        "specialty": case.specialty,
        "procedure": case.procedure,
        "ccam_code": case.ccam_code,
        "surgeon_id": case.surgeon_id,
        "expected_minutes": case.expected_minutes,
        "priority": case.priority.value,
        "listed_on": case.listed_on.isoformat(),
        "release_on": case.release_on.isoformat(),
        "due_on": None if due is None else due.isoformat(),
        "booking": None
        if booking is None
        else {
            "day": booking.day.isoformat(),
            "theatre_id": booking.theatre_id,
            "start_minute": booking.start_minute,
        },
        "status": case.status.value,
        "transferable": case.transferable,
        "not_transferable_reason": case.not_transferable_reason,
    }


def decode_case(payload: dict[str, Any]) -> SurgicalCase:
    """Inverse of :func:`encode_case`."""
    booking = payload["booking"]
    return SurgicalCase(
        id=payload["id"],
        patient_id=payload["patient_id"],
        site_id=payload["site_id"],
        specialty=payload["specialty"],
        procedure=payload["procedure"],
        ccam_code=payload["ccam_code"],
        surgeon_id=payload["surgeon_id"],
        expected_minutes=payload["expected_minutes"],
        priority=PriorityClass(payload["priority"]),
        listed_on=date.fromisoformat(payload["listed_on"]),
        release_on=date.fromisoformat(payload["release_on"]),
        booking=None
        if booking is None
        else Booking(
            day=date.fromisoformat(booking["day"]),
            theatre_id=booking["theatre_id"],
            start_minute=booking["start_minute"],
        ),
        status=CaseStatus(payload["status"]),
        transferable=payload["transferable"],
        not_transferable_reason=payload["not_transferable_reason"],
    )


def case_booked(case: SurgicalCase) -> Change:
    """A surgical case put on a site's list (with its booking when it has one)."""
    return Change(CASE_BOOKED, "case", case.id, encode_case(case), case.site_id)


def case_updated(case: SurgicalCase) -> Change:
    """A case rebooked or modified: the payload replaces the old one whole."""
    return Change(CASE_UPDATED, "case", case.id, encode_case(case), case.site_id)


def case_status_changed(case_id: str, site_id: str, status: CaseStatus, reason: str) -> Change:
    """A case cancelled, done, postponed or redirected, and why."""
    payload = {"id": case_id, "status": status.value, "reason": reason}
    return Change(CASE_STATUS_CHANGED, "case", case_id, payload, site_id)


def visit_recorded(visit: Visit) -> Change:
    """A patient seen at a site."""
    payload = {
        "id": visit.id,
        "patient_id": visit.patient_id,
        "site_id": visit.site_id,
        "at": canonical_instant(visit.at),
        "kind": visit.kind.value,
        "specialty": visit.specialty,
    }
    return Change(VISIT_RECORDED, "visit", visit.id, payload, visit.site_id)


def oncall_assigned(shift: OnCallShift) -> Change:
    """A surgeon put on call (replacing whoever held that shift)."""
    payload = {
        "site_id": shift.site_id,
        "day": shift.day.isoformat(),
        "specialty": shift.specialty,
        "surgeon_id": shift.surgeon_id,
    }
    return Change(ONCALL_ASSIGNED, "oncall", shift.key, payload, shift.site_id)


def ingest_message_logged(
    *,
    source: str,
    control_id: str,
    message_type: str,
    site_id: str | None,
    received_at: datetime,
    status: str,
    ack: str,
    error: str | None,
    raw: str | None,
) -> Change:
    """A message received from an interface and what was answered (AA, AE or AR).

    Journaled with the changes it caused, so that a repeated message is recognised and
    answered the same way, and a refused one is kept (``raw``) for review.
    """
    payload = {
        "source": source,
        "control_id": control_id,
        "message_type": message_type,
        "site_id": site_id,
        "received_at": canonical_instant(received_at),
        "status": status,
        "ack": ack,
        "error": error,
        "raw": raw,
    }
    # The journal names a site only when it knows it: a refused message may name none.
    return Change(
        INGEST_MESSAGE_LOGGED, "ingest_message", f"{source}/{control_id}", payload, site_id
    )


def plan_applied(
    replan_id: str,
    *,
    applied_at: datetime,
    first_day: date,
    days: int,
    scenario: dict[str, Any],
    solver: str,
    kpis: dict[str, Any],
) -> Change:
    """A re-plan accepted by a human; the case changes it makes are journaled beside it."""
    payload = {
        "id": replan_id,
        "applied_at": canonical_instant(applied_at),
        "first_day": first_day.isoformat(),
        "days": days,
        "scenario": scenario,
        "solver": solver,
        "kpis": kpis,
    }
    return Change(PLAN_APPLIED, "replan", replan_id, payload, None)
