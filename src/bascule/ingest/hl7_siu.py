"""SIU events (scheduling) as surgical cases and their bookings.

A case is keyed by the filler appointment id (SCH-2, else the placer's SCH-1) as
``{site}-{id}``. Its slot comes from the first service with a start time (AIS-4), else
the timing (TQ1-7, then the withdrawn SCH-11.4); the booking day and start minute are
Europe/Paris wall time. The theatre (AIL-3) must be one of the site's; the surgeon
(AIP-3) is linked when bascule knows them and never invented.
"""

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bascule.clock import GROUP_TIME_ZONE
from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.ingest.hl7_message import (
    ACK_ERROR,
    REQUIRED_FIELD_MISSING,
    TABLE_VALUE_NOT_FOUND,
    Hl7Error,
    ParsedMessage,
    Segment,
)
from bascule.ingest.hl7_patient import MAX_ID, Workspace, required_segment, who
from bascule.store.changes import case_booked, case_status_changed, case_updated, encode_case

DEFAULT_MINUTES = 60
_MAX_CCAM = 13
_MAX_PROCEDURE = 200
# Duration units (CE component 1, lower case) in minutes.
_UNITS = {"": 1.0, "min": 1.0, "mn": 1.0, "minutes": 1.0, "s": 1 / 60, "sec": 1 / 60}
_UNITS |= {"h": 60.0, "hr": 60.0, "hours": 60.0}
# Appointment reasons (HL7 table 0276) that say how urgent the case is.
_URGENT_REASONS = {"EMERGENCY": PriorityClass.P1A}
_PRIORITIES = {priority.value.upper(): priority for priority in PriorityClass}


def _case_key(ws: Workspace, sch: Segment) -> str:
    key = sch.value(2, 1) or sch.value(1, 1)
    if not key:
        raise sch.error(2, "appointment id missing (SCH-2 or SCH-1)", code=REQUIRED_FIELD_MISSING)
    return sch.within(2, key, MAX_ID - len(ws.site_id) - 1)


def _existing(ws: Workspace, key: str) -> SurgicalCase | None:
    for case_id in (f"{ws.site_id}-{key}", key):
        case = ws.store.case_by_id(case_id)
        if case is not None and case.site_id == ws.site_id:
            return case
    return None


def _start(parsed: ParsedMessage, sch: Segment) -> datetime:
    for ais in parsed.segments("AIS"):
        start = ais.timestamp(4)
        if start is not None:
            return start
    tq1 = parsed.segment("TQ1")
    start = (tq1.timestamp(7) if tq1 else None) or sch.timestamp(11, 4)
    if start is None:
        first = parsed.segment("AIS")
        where, field = (first, 4) if first else (sch, 11)
        raise where.error(field, "start time missing", code=REQUIRED_FIELD_MISSING)
    return start


def _minutes(segment: Segment, amount_field: int) -> int | None:
    """A duration field and the units field after it, in minutes (None when empty)."""
    amount = segment.value(amount_field)
    if not amount:
        return None
    unit = segment.value(amount_field + 1).lower()
    factor = _UNITS.get(unit)
    if factor is None:
        raise segment.error(amount_field + 1, f"unknown duration unit {unit!r}")
    try:
        minutes = math.ceil(float(amount) * factor)
    except ValueError:
        raise segment.error(amount_field, f"duration {amount!r} is not a number") from None
    if not 1 <= minutes <= 24 * 60:
        raise segment.error(amount_field, f"duration {amount} {unit} is not within a day")
    return minutes


def _duration(parsed: ParsedMessage, sch: Segment, start: datetime) -> int:
    ais = parsed.segment("AIS")
    for found in (_minutes(ais, 7) if ais else None, _minutes(sch, 9)):
        if found is not None:
            return found
    tq1 = parsed.segment("TQ1")
    end = (tq1.timestamp(8) if tq1 else None) or sch.timestamp(11, 5)
    if end is not None and 0 < (end - start).total_seconds() <= 24 * 3600:
        return math.ceil((end - start).total_seconds() / 60)
    return DEFAULT_MINUTES


def _procedure(parsed: ParsedMessage, sch: Segment) -> tuple[str, str | None]:
    """The procedure's label and, when its coding system is CCAM, its CCAM code."""
    ais = parsed.segment("AIS")
    for segment, field in ((ais, 3), (sch, 7)):
        if segment is None:
            continue
        code, label = segment.value(field, 1), segment.value(field, 2)
        if code or label:
            ccam = code if "CCAM" in segment.value(field, 3).upper() else None
            if ccam is not None:
                segment.within(field, ccam, _MAX_CCAM)
            # A long label is only cut: what remains still says what the operation is.
            return (label or code)[:_MAX_PROCEDURE], ccam
    where = ais or sch
    raise where.error(3 if ais else 7, "procedure missing", code=REQUIRED_FIELD_MISSING)


def _theatre(ws: Workspace) -> str:
    locations = ws.parsed.segments("AIL")
    if not locations:
        raise Hl7Error(
            "AIL-3: no AIL segment, the booking names no theatre",
            ack_code=ACK_ERROR,
            error_code=REQUIRED_FIELD_MISSING,
            segment="AIL",
            field=3,
        )
    for ail in locations:
        for code in (ail.value(3, 1), ail.value(3, 2)):
            found = ws.store.theatre_id(ws.site_id, code)
            if found is not None:
                return found
    first = locations[0]
    named = first.value(3, 1) or first.value(3, 2)
    raise first.error(
        3, f"theatre {named!r} is not a theatre of {ws.site_id}", code=TABLE_VALUE_NOT_FOUND
    )


def _surgeon(ws: Workspace) -> tuple[str | None, str]:
    """The id of a surgeon bascule knows among the AIP resources, and a name to show."""
    people = ws.parsed.segments("AIP")
    for aip in people:
        surgeon = ws.store.surgeon_by_id(aip.value(3, 1))
        if surgeon is not None:
            return surgeon.id, surgeon.display_name
    if not people:
        return None, ""
    first = people[0]
    name = " ".join(part for part in (first.value(3, 3), first.value(3, 2)) if part)
    return None, name or first.value(3, 1)


def _priority(sch: Segment, previous: PriorityClass | None) -> PriorityClass:
    for field in (6, 7, 8):
        code = sch.value(field, 1).upper()
        found = _PRIORITIES.get(code) or _URGENT_REASONS.get(code)
        if found is not None:
            return found
    return previous or PriorityClass.P3


def _specialty(ws: Workspace, surgeon_id: str | None, theatre: str, previous: str | None) -> str:
    surgeon = ws.store.surgeon_by_id(surgeon_id) if surgeon_id else None
    if surgeon is not None:
        return surgeon.specialty
    specialties = ws.store.theatre_specialties(theatre)
    return specialties[0] if specialties else previous or "unknown"


def _book(ws: Workspace) -> str:
    """S12, S13, S14: the case booked, or its booking and details replaced."""
    sch = required_segment(ws.parsed, "SCH")
    key = _case_key(ws, sch)
    patient, _ = ws.find_or_register(required_segment(ws.parsed, "PID"))
    start = _start(ws.parsed, sch).astimezone(GROUP_TIME_ZONE)
    minutes = _duration(ws.parsed, sch, start)
    procedure, ccam = _procedure(ws.parsed, sch)
    theatre = _theatre(ws)
    surgeon_id, surgeon_name = _surgeon(ws)
    previous = _existing(ws, key)
    listed_on = (
        previous.listed_on if previous else ws.event_time().astimezone(GROUP_TIME_ZONE).date()
    )
    day = start.date()
    release_on = previous.release_on if previous else listed_on
    case = SurgicalCase(
        id=previous.id if previous else f"{ws.site_id}-{key}",
        patient_id=patient.id,
        site_id=ws.site_id,
        specialty=_specialty(ws, surgeon_id, theatre, previous.specialty if previous else None),
        procedure=procedure,
        ccam_code=ccam,
        surgeon_id=surgeon_id,
        expected_minutes=minutes,
        priority=_priority(sch, previous.priority if previous else None),
        # A booking sent after its day (a late feed, a back-dated entry) still stands.
        listed_on=min(listed_on, day),
        release_on=min(release_on, day),
        booking=Booking(day, theatre, start.hour * 60 + start.minute),
        status=CaseStatus.BOOKED,
    )
    if previous is not None:
        case = replace(
            case,
            transferable=previous.transferable,
            not_transferable_reason=previous.not_transferable_reason,
        )
    slot = f"{theatre} {day.isoformat()} {start:%H:%M} ({minutes} min)"
    by = f", {surgeon_name}" if surgeon_name else ""
    if previous is None:
        ws.changes.append(case_booked(case))
        return f"booked {case.id} for {who(patient)}: {procedure} in {slot}{by}"
    if encode_case(case) == encode_case(previous):
        return f"{case.id} unchanged"
    ws.changes.append(case_updated(case))
    return f"rebooked {case.id} for {who(patient)}: {procedure} in {slot}{by}"


def _cancel(reason: str | None) -> Callable[[Workspace], str]:
    """S15, S17, S26: the case cancelled (``reason`` None: the one SCH-6 gives)."""

    def cancel(ws: Workspace) -> str:
        sch = required_segment(ws.parsed, "SCH")
        key = _case_key(ws, sch)
        case = _existing(ws, key)
        if case is None:
            return f"no case {ws.site_id}-{key}: nothing to cancel"
        if case.status is CaseStatus.CANCELLED:
            return f"{case.id} already cancelled"
        why = reason or sch.value(6, 2) or sch.value(6, 1) or "cancelled"
        ws.changes.append(case_status_changed(case.id, ws.site_id, CaseStatus.CANCELLED, why))
        return f"cancelled {case.id} ({why})"

    return cancel


EVENTS: dict[str, Callable[[Workspace], str]] = {
    "S12": _book,
    "S13": _book,
    "S14": _book,
    "S15": _cancel(None),
    "S17": _cancel("deleted"),
    "S26": _cancel("no-show"),
}
