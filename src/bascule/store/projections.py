"""Projectors: how each kind of journal entry updates the tables.

Every projector takes the payloads of consecutive entries of its kind and writes them in
bulk, which keeps large imports (the synthetic group, HL7 backlogs) fast.
"""

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Delete, Insert, Update, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from bascule.domain.patients import CONTACT_FIELDS
from bascule.store import kinds
from bascule.store.canonical import parse_instant
from bascule.store.tables import (
    AgentTokenRow,
    AllergyRow,
    Base,
    BedRow,
    DowntimeRangeRow,
    FeedSourceRow,
    IngestMessageRow,
    MedicationRow,
    OnCallRow,
    PaperFormRow,
    PaperPacketRow,
    PatientLocalIdRow,
    PatientRow,
    ReplanRow,
    RoomRow,
    SiteRow,
    StayRow,
    SurgeonRow,
    SurgeonSiteRow,
    SurgicalCaseRow,
    TheatreRow,
    VisitRow,
    WardRow,
    table_of,
)

Projector = Callable[[Session, list[dict[str, Any]]], None]
PROJECTORS: dict[str, Projector] = {}


def projector(kind: str) -> Callable[[Projector], Projector]:
    """Register the function that applies entries of ``kind`` to the projection tables."""

    def register(function: Projector) -> Projector:
        if kind in PROJECTORS:
            raise RuntimeError(f"two projectors for journal kind {kind!r}")
        PROJECTORS[kind] = function
        return function

    return register


def _bulk(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if rows:
        # Core insert: the ORM bulk path costs several times more per row.
        session.connection().execute(_insert(model), rows)


# Statements used on every batch are built once: building one costs about as much as
# running it.
@cache
def _insert(model: type[Base]) -> Insert:
    return insert(table_of(model))


@cache
def _of_patients(model: type[Base]) -> Delete:
    table = table_of(model)
    return delete(table).where(table.c.patient_id.in_(bindparam("ids", expanding=True)))


_DELETE_CASES = delete(table_of(SurgicalCaseRow)).where(
    table_of(SurgicalCaseRow).c.id.in_(bindparam("ids", expanding=True))
)
_LOCAL_IDS_OF_PATIENTS = select(PatientLocalIdRow.site_id, PatientLocalIdRow.local_id).where(
    PatientLocalIdRow.patient_id.in_(bindparam("ids", expanding=True))
)
_FEED_HEARD = (
    update(table_of(FeedSourceRow))
    .where(
        table_of(FeedSourceRow).c.site_id == bindparam("site"),
        table_of(FeedSourceRow).c.source == bindparam("feed"),
    )
    .values(last_message_at=bindparam("moment"))
)


def _bulk_update(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Set columns of rows found by id, in one executemany; in order, so the last wins.

    Each row gives ``new_id`` and ``new_<column>`` for every column to set (bound
    parameters may not share a column's name).
    """
    if rows:
        columns = tuple(key.removeprefix("new_") for key in rows[0] if key != "new_id")
        session.connection().execute(_update_by_id(model, columns), rows)


@cache
def _update_by_id(model: type[Base], columns: tuple[str, ...]) -> Update:
    # Built once per shape: building a statement costs about as much as running it.
    table = table_of(model)
    return (
        update(table)
        .where(table.c.id == bindparam("new_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@projector(kinds.SITE_REGISTERED)
def _sites(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk(session, SiteRow, payloads)


@projector(kinds.THEATRE_REGISTERED)
def _theatres(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk(session, TheatreRow, payloads)


@projector(kinds.WARD_REGISTERED)
def _wards(session: Session, payloads: list[dict[str, Any]]) -> None:
    wards: list[dict[str, Any]] = []
    rooms: list[dict[str, Any]] = []
    beds: list[dict[str, Any]] = []
    for ward in payloads:
        wards.append({key: ward[key] for key in ("id", "site_id", "name", "specialty")})
        for room in ward["rooms"]:
            rooms.append(
                {
                    "ward_id": ward["id"],
                    "id": room["id"],
                    "name": room["name"],
                    "gender_policy": room["gender_policy"],
                }
            )
            beds.extend(
                {"ward_id": ward["id"], "room_id": room["id"], "label": label}
                for label in room["beds"]
            )
    _bulk(session, WardRow, wards)
    _bulk(session, RoomRow, rooms)
    _bulk(session, BedRow, beds)


@projector(kinds.SURGEON_REGISTERED)
def _surgeons(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk(session, SurgeonRow, [{k: v for k, v in p.items() if k != "site_ids"} for p in payloads])
    _bulk(
        session,
        SurgeonSiteRow,
        [{"surgeon_id": p["id"], "site_id": site} for p in payloads for site in p["site_ids"]],
    )


_PATIENT_COLUMNS = (
    "id",
    "birth_family_name",
    "used_name",
    "first_given_name",
    "given_names",
    "sex",
    "birth_place_insee",
    "nir",
    "identity_status",
    "blood_group",
    "alerts",
    "emergency_contact_phone",
)


def _contact_columns(payload: dict[str, Any]) -> dict[str, str]:
    """The contact columns of a patient payload (empty for entries journaled before them)."""
    contact = payload.get("contact", {})
    return {key: contact.get(key, "") for key in CONTACT_FIELDS}


@projector(kinds.PATIENT_REGISTERED)
def _patients(session: Session, payloads: list[dict[str, Any]]) -> None:
    patients: list[dict[str, Any]] = []
    for p in payloads:
        row = {key: p[key] for key in _PATIENT_COLUMNS}
        row["birth_date"] = date.fromisoformat(p["birth_date"])
        row.update(_contact_columns(p))
        patients.append(row)
    _bulk(session, PatientRow, patients)
    _bulk(
        session,
        PatientLocalIdRow,
        [
            {"site_id": site, "local_id": local, "patient_id": p["id"]}
            for p in payloads
            for site, local in p["local_ids"].items()
        ],
    )
    _patient_essentials(session, payloads)


def _patient_essentials(session: Session, payloads: list[dict[str, Any]]) -> None:
    """Allergies and medications of freshly written patients."""
    allergies: list[dict[str, Any]] = []
    medications: list[dict[str, Any]] = []
    for p in payloads:
        allergies.extend({"patient_id": p["id"], **allergy} for allergy in p["allergies"])
        medications.extend({"patient_id": p["id"], **medication} for medication in p["medications"])
    _bulk(session, AllergyRow, allergies)
    _bulk(session, MedicationRow, medications)


@projector(kinds.PATIENT_UPDATED)
def _patients_updated(session: Session, payloads: list[dict[str, Any]]) -> None:
    # The last version of a patient within the batch is the one that stands.
    latest = {p["id"]: p for p in payloads}
    ids = list(latest)
    for model in (AllergyRow, MedicationRow):
        session.connection().execute(_of_patients(model), {"ids": ids})
    # Updated in place (stays, cases and visits point at the row), in one executemany.
    rows = []
    for p in latest.values():
        row = {f"new_{key}": p[key] for key in _PATIENT_COLUMNS}
        row["new_birth_date"] = date.fromisoformat(p["birth_date"])
        row.update({f"new_{key}": value for key, value in _contact_columns(p).items()})
        rows.append(row)
    _bulk_update(session, PatientRow, rows)
    # Local ids are only ever added: an IPP taken over in a merge, or replaced at its
    # site, must keep finding the patient when an old form or message quotes it.
    known = {
        (site, local)
        for site, local in session.connection().execute(_LOCAL_IDS_OF_PATIENTS, {"ids": ids})
    }
    _bulk(
        session,
        PatientLocalIdRow,
        [
            {"site_id": site, "local_id": local, "patient_id": p["id"]}
            for p in latest.values()
            for site, local in p["local_ids"].items()
            if (site, local) not in known
        ],
    )
    _patient_essentials(session, list(latest.values()))


@projector(kinds.PATIENTS_MERGED)
def _patients_merged(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        survivor, absorbed = p["patient_id"], p["absorbed_id"]
        for model in (
            StayRow,
            SurgicalCaseRow,
            VisitRow,
            PatientLocalIdRow,
            AllergyRow,
            MedicationRow,
        ):
            table = table_of(model)
            session.execute(
                update(table).where(table.c.patient_id == absorbed).values(patient_id=survivor)
            )
        session.execute(
            update(table_of(PatientRow))
            .where(PatientRow.id == absorbed)
            .values(merged_into=survivor)
        )


@projector(kinds.STAY_TRANSFERRED)
def _stays_transferred(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk_update(
        session,
        StayRow,
        [
            {
                "new_id": p["id"],
                "new_ward_id": p["ward_id"],
                "new_room_id": p["room_id"],
                "new_bed": p["bed"],
            }
            for p in payloads
        ],
    )


@projector(kinds.STAY_DISCHARGED)
def _stays_discharged(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk_update(
        session,
        StayRow,
        [{"new_id": p["id"], "new_discharged_at": parse_instant(p["at"])} for p in payloads],
    )


@projector(kinds.STAY_ADMISSION_CANCELLED)
def _admissions_cancelled(session: Session, payloads: list[dict[str, Any]]) -> None:
    ids = [p["id"] for p in payloads]
    session.execute(delete(table_of(StayRow)).where(StayRow.id.in_(ids)))


@projector(kinds.STAY_DISCHARGE_CANCELLED)
def _discharges_cancelled(session: Session, payloads: list[dict[str, Any]]) -> None:
    ids = [p["id"] for p in payloads]
    session.execute(update(table_of(StayRow)).where(StayRow.id.in_(ids)).values(discharged_at=None))


@projector(kinds.STAY_ADMITTED)
def _stays(session: Session, payloads: list[dict[str, Any]]) -> None:
    rows = []
    for p in payloads:
        expected = p["expected_discharge"]
        rows.append(
            {
                **p,
                "admitted_at": parse_instant(p["admitted_at"]),
                "expected_discharge": None if expected is None else parse_instant(expected),
                "discharged_at": None,
            }
        )
    _bulk(session, StayRow, rows)


@projector(kinds.CASE_BOOKED)
def _cases(session: Session, payloads: list[dict[str, Any]]) -> None:
    rows = []
    for p in payloads:
        booking = p["booking"] or {}
        row = {key: value for key, value in p.items() if key != "booking"}
        row.update(
            listed_on=date.fromisoformat(p["listed_on"]),
            release_on=date.fromisoformat(p["release_on"]),
            due_on=_day(p["due_on"]),
            booked_day=_day(booking.get("day")),
            booked_theatre_id=booking.get("theatre_id"),
            booked_start_minute=booking.get("start_minute"),
        )
        rows.append(row)
    _bulk(session, SurgicalCaseRow, rows)


@projector(kinds.CASE_UPDATED)
def _cases_updated(session: Session, payloads: list[dict[str, Any]]) -> None:
    latest = {p["id"]: p for p in payloads}
    session.connection().execute(_DELETE_CASES, {"ids": list(latest)})
    _cases(session, list(latest.values()))


@projector(kinds.CASE_STATUS_CHANGED)
def _case_statuses(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk_update(
        session, SurgicalCaseRow, [{"new_id": p["id"], "new_status": p["status"]} for p in payloads]
    )


@projector(kinds.VISIT_RECORDED)
def _visits(session: Session, payloads: list[dict[str, Any]]) -> None:
    _bulk(session, VisitRow, [{**p, "at": parse_instant(p["at"])} for p in payloads])


@projector(kinds.ONCALL_ASSIGNED)
def _on_call(session: Session, payloads: list[dict[str, Any]]) -> None:
    # The last assignment of a shift wins, also within one batch.
    latest = {(p["site_id"], p["day"], p["specialty"]): p for p in payloads}
    keys = [(site, date.fromisoformat(day), specialty) for site, day, specialty in latest]
    session.execute(
        delete(OnCallRow).where(
            tuple_(OnCallRow.site_id, OnCallRow.day, OnCallRow.specialty).in_(keys)
        )
    )
    _bulk(session, OnCallRow, [{**p, "day": date.fromisoformat(p["day"])} for p in latest.values()])


@projector(kinds.AGENT_TOKEN_CREATED)
def _tokens_created(session: Session, payloads: list[dict[str, Any]]) -> None:
    rows = [
        {
            "token_sha256": p["token_sha256"],
            "site_id": p["site_id"],
            "created_at": parse_instant(p["created_at"]),
            "revoked_at": None,
        }
        for p in payloads
    ]
    _bulk(session, AgentTokenRow, rows)


@projector(kinds.AGENT_TOKEN_REVOKED)
def _tokens_revoked(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.connection().execute(
            update(table_of(AgentTokenRow))
            .where(AgentTokenRow.token_sha256 == p["token_sha256"])
            .values(revoked_at=parse_instant(p["revoked_at"]))
        )


@projector(kinds.PAPER_PACKET_ISSUED)
def _packets(session: Session, payloads: list[dict[str, Any]]) -> None:
    packet_columns = ("id", "site_id", "issued_by", "source", "parts", "pages", "pdf_sha256")
    packets = [
        {
            **{key: p[key] for key in packet_columns},
            "day": date.fromisoformat(p["day"]),
            "issued_at": parse_instant(p["issued_at"]),
            "data_seq": p["seq"],
        }
        for p in payloads
    ]
    _bulk(session, PaperPacketRow, packets)
    forms = [
        {
            "form_id": form_id,
            "packet_id": p["id"],
            "form_type": form_type,
            "site_id": p["site_id"],
            "patient_id": patient_id,
            "case_id": case_id,
            "ward_id": ward_id,
            "page": page,
            "title": title,
            "returnable": returnable,
            "returned_at": None,
            "returned_in": None,
        }
        for p in payloads
        for form_id, form_type, patient_id, case_id, ward_id, page, title, returnable in p["forms"]
    ]
    _bulk(session, PaperFormRow, forms)


@projector(kinds.PAPER_FORMS_RETURNED)
def _forms_returned(session: Session, payloads: list[dict[str, Any]]) -> None:
    table = table_of(PaperFormRow)
    for p in payloads:
        returned_at = parse_instant(p["returned_at"])
        for form_id, where in p["forms"]:
            session.connection().execute(
                update(table)
                .where(PaperFormRow.form_id == form_id)
                .values(returned_at=returned_at, returned_in=where)
            )


@projector(kinds.DOWNTIME_IDS_RESERVED)
def _downtime_ranges(session: Session, payloads: list[dict[str, Any]]) -> None:
    rows = [{**p, "reserved_at": parse_instant(p["reserved_at"])} for p in payloads]
    _bulk(session, DowntimeRangeRow, rows)


@projector(kinds.INGEST_MESSAGE_LOGGED)
def _ingest_messages(session: Session, payloads: list[dict[str, Any]]) -> None:
    rows = [{**p, "received_at": parse_instant(p["received_at"])} for p in payloads]
    _bulk(session, IngestMessageRow, rows)
    latest: dict[tuple[str, str], datetime] = {}
    for row in rows:
        if row["site_id"] is not None:
            key = (row["site_id"], row["source"])
            latest[key] = max(row["received_at"], latest.get(key, row["received_at"]))
    table = table_of(FeedSourceRow)
    for (site_id, source), moment in latest.items():
        found = session.connection().execute(
            _FEED_HEARD, {"site": site_id, "feed": source, "moment": moment}
        )
        if not found.rowcount:
            session.execute(
                insert(table).values(
                    site_id=site_id, source=source, last_message_at=moment, silent_since=None
                )
            )


@projector(kinds.FEED_SILENT)
def _feeds_silent(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(FeedSourceRow))
            .where(FeedSourceRow.site_id == p["site_id"], FeedSourceRow.source == p["source"])
            .values(silent_since=parse_instant(p["silent_since"]))
        )


@projector(kinds.FEED_RESUMED)
def _feeds_resumed(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(FeedSourceRow))
            .where(FeedSourceRow.site_id == p["site_id"], FeedSourceRow.source == p["source"])
            .values(silent_since=None)
        )


@projector(kinds.JOURNAL_CHECKPOINT)
def _checkpoints(_session: Session, _payloads: list[dict[str, Any]]) -> None:
    """A checkpoint changes no table: it only moves the journal forward."""


@projector(kinds.PLAN_APPLIED)
def _replans(session: Session, payloads: list[dict[str, Any]]) -> None:
    rows = [
        {
            "id": p["id"],
            "applied_at": parse_instant(p["applied_at"]),
            "first_day": date.fromisoformat(p["first_day"]),
            "days": p["days"],
            "scenario": json.dumps(p["scenario"], ensure_ascii=False, sort_keys=True),
            "solver": p["solver"],
            "kpis": json.dumps(p["kpis"], ensure_ascii=False, sort_keys=True),
        }
        for p in payloads
    ]
    _bulk(session, ReplanRow, rows)
