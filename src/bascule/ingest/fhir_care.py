"""Encounter, Procedure and Appointment: stays, visits and surgical cases.

Encounter. Class IMP, ACUTE or NONAC (inpatient) is a stay in the ward, room and bed of
its latest location (the most precise when several start together; see
:mod:`bascule.ingest.fhir_places`), admitted at ``period.start``; ``finished`` discharges
it at ``period.end``; ``in-progress`` and ``onleave`` keep it current; ``cancelled`` or
``entered-in-error`` cancel a stay bascule has; planned or merely arrived ones are
skipped. A later import moves the stay (transfer), discharges it or cancels the
discharge; a different patient or admission time is refused (bascule cannot correct an
admission yet). Class AMB is a consultation, EMER an emergency visit, SS day hospital,
at ``period.start``, specialty from ``serviceType``; other classes (home, virtual...)
are not at the site and are skipped.

Procedure. Only a completed procedure of category surgical (SNOMED 387713003) is a case,
done, on the (Paris) day it started, lasting ``performedPeriod``: without a start and end
there is no duration and the resource is refused. Others (assessments, screenings...)
are skipped: they are not surgical cases.

Appointment. A surgical booking is an appointment one of whose Locations is an
operating theatre of the site; others are skipped. booked, arrived, checked-in: a booked
case in that theatre at its Paris start time, for ``minutesDuration`` (else end - start);
fulfilled: done; cancelled, noshow, entered-in-error: the case bascule has is cancelled.
The procedure is the description (else the service type), the CCAM code a service type
coding of system CCAM.

Priority and listing. FHIR carries no surgical priority class: it is read from the
extension ``urn:bascule:fhir:surgical-priority`` (valueCode P1a to P4), else appointment
type EMERGENCY is P1a, else the case keeps the class it had, else P3 — the same default
as the HL7 SIU mapping, to be confirmed by the OR scheduler. A case is listed on the day
the appointment was created (else its day); a done procedure on its day. The surgeon is a
practitioner participant or performer bascule knows as a surgeon (none otherwise); the
specialty the surgeon's, else the appointment's, else the theatre's, else ``unknown``.
"""

from dataclasses import replace
from datetime import datetime

from bascule.clock import GROUP_TIME_ZONE
from bascule.domain.activity import Visit, VisitKind
from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.stays import Stay
from bascule.ingest import fhir_model as fm
from bascule.ingest import hl7_lookup
from bascule.ingest.fhir_context import Context, Outcome
from bascule.ingest.fhir_places import placement, surgeon_of, theatre_of
from bascule.ingest.fhir_read import SourcedResource
from bascule.ingest.fhir_refs import CASE, STAY, VISIT, derived_id, parse_reference, resource_key
from bascule.ingest.fhir_values import (
    FhirMappingError,
    clipped,
    local_day,
    parse_instant,
)
from bascule.store.changes import (
    case_booked,
    case_status_changed,
    case_updated,
    encode_case,
    stay_admission_cancelled,
    stay_admitted,
    stay_discharge_cancelled,
    stay_discharged,
    stay_transferred,
    visit_recorded,
)
from bascule.store.journal import Change

SURGICAL_PRIORITY = "urn:bascule:fhir:surgical-priority"
SURGICAL_CATEGORY = "387713003"
DEFAULT_PRIORITY = PriorityClass.P3
_INPATIENT = frozenset({"IMP", "ACUTE", "NONAC"})
_VISITS = {"AMB": VisitKind.CONSULTATION, "EMER": VisitKind.EMERGENCY}
_VISITS["SS"] = VisitKind.DAY_HOSPITAL
_HAPPENING = frozenset({"in-progress", "onleave", "finished"})
_VOID = frozenset({"cancelled", "entered-in-error"})
_BOOKED = frozenset({"booked", "arrived", "checked-in"})
_CANCELLED = frozenset({"cancelled", "noshow", "entered-in-error"})
_PRIORITIES = {priority.value.upper(): priority for priority in PriorityClass}
_CCAM_OID = "urn:oid:1.2.250.1.213.2.5"
# Column widths of the store.
_SPECIALTY, _PROCEDURE, _CCAM = 60, 200, 13
_MAX_MINUTES = 24 * 60


def map_encounter(ctx: Context, item: SourcedResource, model: fm.Encounter) -> Outcome:
    """A stay for an inpatient encounter, a visit for a consultation or an emergency."""
    code = model.class_.code if model.class_ else None
    if code in _INPATIENT:
        return _stay(ctx, item, model)
    if code in _VISITS:
        return _visit(ctx, item, model, _VISITS[code])
    return Outcome(
        skipped=f"Encounter not imported: class {code or 'missing'} is neither a stay nor a "
        "visit at the site"
    )


def _stay(ctx: Context, item: SourcedResource, model: fm.Encounter) -> Outcome:
    stay_id = derived_id(STAY, ctx.site_id, resource_key(model, item.full_url))
    existing = ctx.stay(stay_id)
    status = model.status or "missing"
    if status in _VOID:
        if existing is None:
            return Outcome(skipped=f"Encounter not imported: status {status} (no stay to cancel)")
        return Outcome(changes=[stay_admission_cancelled(stay_id, ctx.site_id)], updated="stay")
    if status not in _HAPPENING:
        return Outcome(skipped=f"Encounter not imported: status {status} (not admitted)")
    patient_id = ctx.patient_id(model.subject, "Encounter.subject")
    period = model.period or fm.Period()
    admitted_at = parse_instant(period.start, "Encounter.period.start")
    discharged_at = None
    if status == "finished":
        discharged_at = parse_instant(period.end, "Encounter.period.end")
    ward_id, room_id, bed, moved_at, changes = _where(ctx, model)
    stay = Stay(
        stay_id, patient_id, ctx.site_id, ward_id, room_id, bed, admitted_at, None, discharged_at
    )
    if existing is None:
        changes.append(stay_admitted(stay))
        if discharged_at is not None:
            changes.append(stay_discharged(stay_id, ctx.site_id, discharged_at))
        return Outcome(changes=changes, created="stay")
    if existing.patient_id != patient_id or existing.admitted_at != admitted_at:
        raise FhirMappingError(
            f"Encounter: stay {stay_id} was admitted for another patient or at another time; "
            "bascule cannot correct an admission yet"
        )
    if (existing.ward_id, existing.room_id, existing.bed) != (ward_id, room_id, bed):
        changes.append(
            stay_transferred(
                stay_id, ctx.site_id, ward_id=ward_id, room_id=room_id, bed=bed, at=moved_at
            )
        )
    if existing.discharged_at != discharged_at:
        if existing.discharged_at is not None:
            changes.append(stay_discharge_cancelled(stay_id, ctx.site_id))
        if discharged_at is not None:
            changes.append(stay_discharged(stay_id, ctx.site_id, discharged_at))
    return Outcome(changes=changes, updated="stay" if changes else None)


Placement = tuple[str, str, str, list[Change]]


def _where(ctx: Context, model: fm.Encounter) -> tuple[str, str, str, datetime, list[Change]]:
    """Ward, room, bed, since when, and the ward registration needed: the latest location."""
    entries = [
        (number, entry) for number, entry in enumerate(model.location) if entry.status != "planned"
    ]
    if not entries:
        raise FhirMappingError("Encounter.location is missing: an inpatient stay needs a ward")
    best: tuple[tuple[bool, float, int], datetime | None, Placement] | None = None
    for number, entry in entries:
        where = f"Encounter.location[{number}].location"
        start = (entry.period or fm.Period()).start
        since = (
            parse_instant(start, f"Encounter.location[{number}].period.start") if start else None
        )
        place = placement(ctx, entry.location, where)
        # Latest first, then the most precise (bed, then room) among those starting together.
        rank = (
            since is not None,
            since.timestamp() if since else 0.0,
            bool(place[1]) + bool(place[2]),
        )
        if best is None or rank >= best[0]:
            best = (rank, since, place)
    assert best is not None  # entries is not empty
    _, since, (ward_id, room_id, bed, changes) = best
    return ward_id, room_id, bed, since or ctx.now, changes


def _visit(ctx: Context, item: SourcedResource, model: fm.Encounter, kind: VisitKind) -> Outcome:
    status = model.status or "missing"
    if status not in _HAPPENING | {"arrived", "triaged"}:
        return Outcome(skipped=f"Encounter not imported: status {status} (not seen)")
    visit = Visit(
        id=derived_id(VISIT, ctx.site_id, resource_key(model, item.full_url)),
        patient_id=ctx.patient_id(model.subject, "Encounter.subject"),
        site_id=ctx.site_id,
        at=parse_instant((model.period or fm.Period()).start, "Encounter.period.start"),
        kind=kind,
        specialty=clipped(model.serviceType.label if model.serviceType else "", _SPECIALTY),
    )
    change = visit_recorded(visit)
    existing = ctx.visit(visit.id)
    if existing is None:
        return Outcome(changes=[change], created="visit")
    if existing == change.payload:
        return Outcome()
    raise FhirMappingError(
        f"Encounter: visit {visit.id} is recorded with other details; "
        "bascule cannot update a visit yet"
    )


def map_procedure(ctx: Context, item: SourcedResource, model: fm.Procedure) -> Outcome:
    """A completed surgical procedure as a done case."""
    category = model.category
    surgical = category is not None and (
        SURGICAL_CATEGORY in category.codes() or "surg" in category.label.casefold()
    )
    if not surgical:
        return Outcome(
            skipped="Procedure not imported: not categorised as surgical "
            f"(SNOMED {SURGICAL_CATEGORY})"
        )
    if model.status != "completed":
        return Outcome(
            skipped=f"Procedure not imported: status {model.status or 'missing'} "
            "(only completed surgical procedures are kept, as done cases)"
        )
    period = model.performedPeriod
    if period is None or not period.start or not period.end:
        raise FhirMappingError(
            "Procedure.performedPeriod needs a start and an end: the case's duration"
        )
    start = parse_instant(period.start, "Procedure.performedPeriod.start")
    end = parse_instant(period.end, "Procedure.performedPeriod.end")
    surgeon_id = surgeon_of(ctx, [p.actor for p in model.performer], "Procedure.performer")
    day = local_day(start)
    case = SurgicalCase(
        id=derived_id(CASE, ctx.site_id, resource_key(model, item.full_url)),
        patient_id=ctx.patient_id(model.subject, "Procedure.subject"),
        site_id=ctx.site_id,
        specialty=_specialty(ctx, surgeon_id, None, None),
        procedure=_procedure(model.code.label if model.code else "", "Procedure.code"),
        ccam_code=_ccam([model.code] if model.code else []),
        surgeon_id=surgeon_id,
        expected_minutes=_minutes(start, end, "Procedure.performedPeriod"),
        priority=DEFAULT_PRIORITY,
        listed_on=day,
        release_on=day,
        status=CaseStatus.DONE,
    )
    existing = ctx.case(case.id)
    if existing is not None:
        case = replace(case, priority=existing.priority)
    return _case_outcome(case, existing)


def map_appointment(ctx: Context, item: SourcedResource, model: fm.Appointment) -> Outcome:
    """A surgical booking as a booked (or done, or cancelled) case."""
    case_id = derived_id(CASE, ctx.site_id, resource_key(model, item.full_url))
    existing = ctx.case(case_id)
    status = model.status or "missing"
    actors = [participant.actor for participant in model.participant]
    theatre = next((t for t in (theatre_of(ctx, actor) for actor in actors) if t), None)
    if theatre is None:
        return Outcome(
            skipped=f"Appointment not imported: none of its locations is an operating theatre "
            f"of {ctx.site_id} (not a surgical booking)"
        )
    if status in _CANCELLED:
        if existing is None:
            return Outcome(skipped=f"Appointment not imported: status {status} (no case to cancel)")
        if existing.status is CaseStatus.CANCELLED:
            return Outcome()
        change = case_status_changed(case_id, ctx.site_id, CaseStatus.CANCELLED, status)
        return Outcome(changes=[change], updated="case")
    if status not in _BOOKED and status != "fulfilled":
        return Outcome(skipped=f"Appointment not imported: status {status} (not booked)")
    patient_id = ctx.patient_id(_patient_actor(ctx, actors), "Appointment.participant (Patient)")
    start = parse_instant(model.start, "Appointment.start").astimezone(GROUP_TIME_ZONE)
    if model.minutesDuration is not None:
        minutes = model.minutesDuration
        if not 1 <= minutes <= _MAX_MINUTES:
            raise FhirMappingError(f"Appointment.minutesDuration {minutes} is not 1 to 1440")
    else:
        end = parse_instant(model.end, "Appointment.end (or minutesDuration)")
        minutes = _minutes(start, end, "Appointment.start/end")
    surgeon_id = surgeon_of(ctx, actors, "Appointment.participant")
    day = start.date()
    listed = (
        local_day(parse_instant(model.created, "Appointment.created")) if model.created else day
    )
    listed_on = min(existing.listed_on if existing else listed, day)
    label = model.description or next((s.label for s in model.serviceType if s.label), "")
    case = SurgicalCase(
        id=case_id,
        patient_id=patient_id,
        site_id=ctx.site_id,
        specialty=_specialty(ctx, surgeon_id, model.specialty, theatre),
        procedure=_procedure(label, "Appointment.description"),
        ccam_code=_ccam(model.serviceType),
        surgeon_id=surgeon_id,
        expected_minutes=minutes,
        priority=_priority(model, existing),
        listed_on=listed_on,
        release_on=min(existing.release_on if existing else listed_on, day),
        booking=Booking(day, theatre, start.hour * 60 + start.minute),
        status=CaseStatus.BOOKED if status in _BOOKED else CaseStatus.DONE,
    )
    if existing is not None:
        case = replace(
            case,
            transferable=existing.transferable,
            not_transferable_reason=existing.not_transferable_reason,
        )
    return _case_outcome(case, existing)


def _patient_actor(ctx: Context, actors: list[fm.Reference | None]) -> fm.Reference | None:
    for actor in actors:
        target = parse_reference(actor, "")
        if target is None:
            continue
        if target.resource_type == "Patient":
            return actor
        found = ctx.index.find(target) if target.resource_type is None else None
        if found is not None and found.model.resourceType == "Patient":
            return actor
    return None


def _case_outcome(case: SurgicalCase, existing: SurgicalCase | None) -> Outcome:
    if existing is None:
        return Outcome(changes=[case_booked(case)], created="case")
    if encode_case(case) == encode_case(existing):
        return Outcome()
    return Outcome(changes=[case_updated(case)], updated="case")


def _priority(model: fm.Appointment, existing: SurgicalCase | None) -> PriorityClass:
    for extension in model.extension:
        if extension.url == SURGICAL_PRIORITY:
            code = extension.valueCoding.code if extension.valueCoding else extension.valueCode
            found = _PRIORITIES.get((code or "").upper())
            if found is None:
                raise FhirMappingError(
                    f"Appointment.extension {SURGICAL_PRIORITY} {code!r} is not one of "
                    + ", ".join(priority.value for priority in PriorityClass)
                )
            return found
    if model.appointmentType is not None and "EMERGENCY" in model.appointmentType.codes():
        return PriorityClass.P1A
    return existing.priority if existing else DEFAULT_PRIORITY


def _specialty(
    ctx: Context,
    surgeon_id: str | None,
    concepts: list[fm.CodeableConcept] | None,
    theatre: str | None,
) -> str:
    surgeon = ctx.surgeon(surgeon_id) if surgeon_id else None
    if surgeon is not None:
        return surgeon.specialty
    label = next((c.label for c in concepts or [] if c.label), "")
    if label:
        return clipped(label, _SPECIALTY)
    specialties = hl7_lookup.theatre_specialties(ctx.session, theatre) if theatre else []
    return specialties[0] if specialties else "unknown"


def _procedure(label: str, where: str) -> str:
    text = clipped(label, _PROCEDURE)
    if not text:
        raise FhirMappingError(f"{where} is missing: the case needs its procedure")
    return text


def _ccam(concepts: list[fm.CodeableConcept]) -> str | None:
    for concept in concepts:
        for coding in concept.coding:
            system = (coding.system or "").lower()
            if coding.code and (system == _CCAM_OID or "ccam" in system):
                return coding.code[:_CCAM]
    return None


def _minutes(start: datetime, end: datetime, where: str) -> int:
    minutes = round((end - start).total_seconds() / 60)
    if not 1 <= minutes <= _MAX_MINUTES:
        raise FhirMappingError(f"{where} lasts {minutes} minutes, not 1 to 1440")
    return minutes
