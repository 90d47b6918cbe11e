"""The values a packet prints, read from the store or from a continuity kit.

Both paths gather records in the kit's own format (:mod:`bascule.kit.content`) and hand
them to :func:`packet_from_records`, so a packet printed from a kit on a laptop with no
database is the packet the server prints at the same journal sequence number.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.errors import BasculeError
from bascule.kit.content import HORIZON_DAYS, load_records, site_record
from bascule.paper.downtime import DowntimeRange, ranges_from_kit, site_ranges
from bascule.paper.model import (
    AllergyLine,
    CallEntry,
    CaseLine,
    CensusBed,
    MedicationLine,
    PacketData,
    PatientSheet,
    PrintedIdentity,
    StayLine,
    TheatreList,
    WardCensus,
)
from bascule.store import journal
from bascule.store.canonical import parse_instant
from bascule.store.tables import StayRow, SurgicalCaseRow, TheatreRow, WardRow

Record = dict[str, Any]
Collections = Mapping[str, Mapping[str, Record]]
_ON_THE_LIST = ("booked", "done")
_TO_CALL = ("postponed", "redirected")


class PacketSourceError(BasculeError):
    """The store or kit cannot give a packet for the site and day asked."""


def _day(text: str | None) -> date | None:
    return None if not text else date.fromisoformat(text)


def _instant(text: str | None) -> datetime | None:
    return None if not text else parse_instant(text)


def _identity(patient: Record | None, patient_id: str) -> PrintedIdentity:
    if patient is None:
        # A case or stay whose patient is missing from the data still prints, with
        # empty boxes, so that nobody is left off the list.
        return PrintedIdentity(patient_id, "", "", "", None, "", None, None, "")
    return PrintedIdentity(
        patient_id=patient_id,
        birth_family_name=patient.get("family") or "",
        used_name=patient.get("used") or "",
        given_names=patient.get("given") or "",
        birth_date=_day(patient.get("birth")),
        sex=patient.get("sex") or "",
        local_id=patient.get("local_id"),
        nir=patient.get("nir"),
        identity_status=patient.get("status") or "",
    )


def _allergies(patient: Record | None) -> tuple[AllergyLine, ...]:
    return tuple(
        AllergyLine(
            item.get("substance") or "", item.get("severity") or "", item.get("reaction") or ""
        )
        for item in (patient or {}).get("allergies", [])
    )


def _surgeon_name(staff: Mapping[str, Record], surgeon_id: str | None) -> str:
    surgeon = staff.get(surgeon_id or "")
    if surgeon is None:
        return ""
    return f"{surgeon.get('given_name', '')} {str(surgeon.get('family_name', '')).upper()}".strip()


def _case_line(case: Record, collections: Collections) -> CaseLine:
    patient = collections["patients"].get(case["patient_id"])
    theatre = collections["theatres"].get(case.get("theatre_id") or "")
    return CaseLine(
        case_id=case["id"],
        patient=_identity(patient, case["patient_id"]),
        day=_day(case.get("day")),
        theatre_id=case.get("theatre_id"),
        theatre_name=theatre["name"] if theatre else "",
        start_minute=case.get("start_minute"),
        expected_minutes=case.get("expected_minutes"),
        procedure=case.get("procedure") or "",
        ccam_code=case.get("ccam_code"),
        specialty=case.get("specialty") or "",
        surgeon_name=_surgeon_name(collections["staff"], case.get("surgeon_id")),
        priority=case.get("priority") or "",
        status=case.get("status") or "",
        allergies=_allergies(patient),
        remarks=case.get("not_transferable_reason") or "",
    )


def _by_start(case: Record) -> tuple[int, str]:
    start = case.get("start_minute")
    return (start if start is not None else 24 * 60, case["id"])


def _theatre_lists(day: date, collections: Collections) -> tuple[TheatreList, ...]:
    iso = day.isoformat()
    todays = [
        case
        for case in collections["cases"].values()
        if case.get("day") == iso and case.get("status") in _ON_THE_LIST
    ]
    lists = []
    for theatre in sorted(collections["theatres"].values(), key=lambda t: (t["name"], t["id"])):
        cases = sorted((c for c in todays if c.get("theatre_id") == theatre["id"]), key=_by_start)
        lists.append(
            TheatreList(
                theatre["id"], theatre["name"], tuple(_case_line(c, collections) for c in cases)
            )
        )
    return tuple(lists)


def _census(collections: Collections) -> tuple[WardCensus, ...]:
    occupants = {
        (stay.get("ward_id"), stay.get("room_id"), stay.get("bed")): stay
        for stay in collections["stays"].values()
    }
    patients = collections["patients"]
    wards = []
    for ward in sorted(collections["wards"].values(), key=lambda w: (w["name"], w["id"])):
        beds = []
        for room in ward.get("rooms", []):
            for bed in room.get("beds", []):
                stay = occupants.get((ward["id"], room["id"], bed))
                patient = patients.get(stay["patient_id"]) if stay else None
                beds.append(
                    CensusBed(
                        room_name=room.get("name") or room["id"],
                        bed=bed,
                        patient=_identity(patient, stay["patient_id"]) if stay else None,
                        admitted_at=_instant(stay.get("admitted_at")) if stay else None,
                        allergies=_allergies(patient),
                        alerts=tuple((patient or {}).get("alerts", [])),
                    )
                )
        wards.append(WardCensus(ward["id"], ward["name"], ward.get("specialty") or "", tuple(beds)))
    return tuple(wards)


def _stay_line(stay: Record, wards: Mapping[str, Record]) -> StayLine:
    ward = wards.get(stay.get("ward_id") or "", {})
    rooms = {room["id"]: room for room in ward.get("rooms", [])}
    room = rooms.get(stay.get("room_id") or "", {})
    return StayLine(
        ward_id=stay.get("ward_id") or "",
        ward_name=ward.get("name", ""),
        room_name=room.get("name") or stay.get("room_id") or "",
        bed=stay.get("bed") or "",
        admitted_at=_instant(stay.get("admitted_at")),
        expected_discharge=_instant(stay.get("expected_discharge")),
    )


def _sheets(
    day: date, collections: Collections, theatres: tuple[TheatreList, ...]
) -> tuple[PatientSheet, ...]:
    stays_by_patient = {stay["patient_id"]: stay for stay in collections["stays"].values()}
    order = [
        stay["patient_id"]
        for stay in sorted(
            collections["stays"].values(),
            key=lambda s: (s.get("ward_id") or "", s.get("room_id") or "", s.get("bed") or ""),
        )
    ]
    order += [case.patient.patient_id for theatre in theatres for case in theatre.cases]
    upcoming: dict[str, Record] = {}
    iso = day.isoformat()
    for case in sorted(
        collections["cases"].values(), key=lambda c: (c.get("day") or "", *_by_start(c))
    ):
        if case.get("status") == "booked" and (case.get("day") or "") >= iso:
            upcoming.setdefault(case["patient_id"], case)
    sheets, seen = [], set()
    for patient_id in order:
        if patient_id in seen:
            continue
        seen.add(patient_id)
        patient = collections["patients"].get(patient_id)
        stay = stays_by_patient.get(patient_id)
        next_case = upcoming.get(patient_id)
        sheets.append(
            PatientSheet(
                patient=_identity(patient, patient_id),
                blood_group=(patient or {}).get("blood_group"),
                allergies=_allergies(patient),
                medications=tuple(
                    MedicationLine(
                        m.get("name") or "",
                        m.get("dose") or "",
                        m.get("route") or "",
                        m.get("frequency") or "",
                    )
                    for m in (patient or {}).get("medications", [])
                ),
                alerts=tuple((patient or {}).get("alerts", [])),
                emergency_contact_phone=(patient or {}).get("emergency_contact_phone"),
                stay=_stay_line(stay, collections["wards"]) if stay else None,
                next_case=_case_line(next_case, collections) if next_case else None,
            )
        )
    return tuple(sheets)


def _call_list(day: date, site_name: str, collections: Collections) -> tuple[CallEntry, ...]:
    iso = day.isoformat()
    entries = []
    for case in sorted(
        collections["cases"].values(), key=lambda c: (c.get("day") or "", *_by_start(c))
    ):
        if case.get("status") not in _TO_CALL or (case.get("day") or "") < iso:
            continue
        line = _case_line(case, collections)
        patient = collections["patients"].get(case["patient_id"]) or {}
        entries.append(
            CallEntry(
                patient=line.patient,
                phone=patient.get("emergency_contact_phone"),
                case_id=line.case_id,
                procedure=line.procedure,
                status=line.status,
                old_day=line.day,
                old_place=f"{site_name} — {line.theatre_name}".strip(" —"),
                new_day=None,
                new_place="",
            )
        )
    return tuple(entries)


def packet_from_records(
    site: Record,
    day: date,
    *,
    seq: int,
    source: str,
    data_as_of: datetime,
    collections: Collections,
    downtime: list[DowntimeRange],
) -> PacketData:
    """What the packet of ``site`` for ``day`` prints, from records in the kit's format."""
    theatres = _theatre_lists(day, collections)
    return PacketData(
        site_id=site["id"],
        site_name=site["name"],
        site_city=site.get("city") or "",
        day=day,
        seq=seq,
        source=source,
        data_as_of=data_as_of,
        theatres=theatres,
        wards=_census(collections),
        sheets=_sheets(day, collections, theatres),
        call_list=_call_list(day, site["name"], collections),
        downtime_ids=tuple(identifier for block in downtime for identifier in block.ids),
    )


def packet_from_store(session: Session, site: str, day: date, *, now: datetime) -> PacketData:
    """The packet of ``site`` for ``day`` from the store; run it in ``Database.snapshot``.

    Cases are read over the kit's horizon from ``day`` (the upcoming case on each sheet
    and the call list look ahead), stays as they are now.
    """
    record = site_record(session, site)
    seq, _ = journal.head(session)
    last = day + timedelta(days=HORIZON_DAYS - 1)
    ids: dict[str, set[str]] = {
        "cases": set(
            session.scalars(
                select(SurgicalCaseRow.id).where(
                    SurgicalCaseRow.site_id == site,
                    SurgicalCaseRow.booked_day >= day,
                    SurgicalCaseRow.booked_day <= last,
                )
            )
        ),
        "stays": set(
            session.scalars(
                select(StayRow.id).where(StayRow.site_id == site, StayRow.discharged_at.is_(None))
            )
        ),
        "theatres": set(session.scalars(select(TheatreRow.id).where(TheatreRow.site_id == site))),
        "wards": set(session.scalars(select(WardRow.id).where(WardRow.site_id == site))),
    }
    collections = {name: load_records(session, site, name, chosen) for name, chosen in ids.items()}
    patient_ids = {c["patient_id"] for c in collections["cases"].values()} | {
        s["patient_id"] for s in collections["stays"].values()
    }
    collections["patients"] = load_records(session, site, "patients", patient_ids)
    surgeon_ids = {c["surgeon_id"] for c in collections["cases"].values() if c["surgeon_id"]}
    collections["staff"] = load_records(session, site, "staff", surgeon_ids)
    return packet_from_records(
        record,
        day,
        seq=seq,
        source="base de données du groupe",
        data_as_of=now,
        collections=collections,
        downtime=site_ranges(session, site),
    )


def packet_from_kit(content: Mapping[str, Any], day: date, *, source: str) -> PacketData:
    """The packet for ``day`` from an opened continuity kit (deltas already applied)."""
    horizon = content.get("horizon") or {}
    first, last = _day(horizon.get("from")), _day(horizon.get("to"))
    if first is None or last is None or not first <= day <= last:
        raise PacketSourceError(
            f"{source}: day {day.isoformat()} is outside the kit's horizon "
            f"({horizon.get('from')} to {horizon.get('to')})"
        )
    site = content["site"]
    collections = {
        name: content["collections"].get(name, {})
        for name in ("cases", "stays", "theatres", "wards", "patients", "staff")
    }
    return packet_from_records(
        site,
        day,
        seq=int(content["seq"]),
        source=source,
        data_as_of=parse_instant(content["built_at"]),
        collections=collections,
        downtime=ranges_from_kit(site["id"], content.get("downtime_ids")),
    )
