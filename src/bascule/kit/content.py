"""What a site's continuity kit contains, read from the store at one journal sequence number.

Every collection is a map from id to record. A :class:`Window` fixes which records are
*present* (the site's active patients, the cases within the horizon, current stays...);
a full kit loads every present record, a delta only those touched by the journal since
its base or newly present (see :mod:`bascule.kit.delta`).
"""

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Text, cast, select
from sqlalchemy.orm import Session

from bascule.crisis.plans import default_plan, role_sheets
from bascule.store import journal
from bascule.store.canonical import canonical_instant
from bascule.store.queries import downtime_ranges, require_site
from bascule.store.tables import (
    AllergyRow,
    BedRow,
    MedicationRow,
    OnCallRow,
    PatientLocalIdRow,
    PatientRow,
    RoomRow,
    StayRow,
    SurgeonRow,
    SurgeonSiteRow,
    SurgicalCaseRow,
    TheatreRow,
    VisitRow,
    WardRow,
)

CONTENT_SCHEMA = "bascule-kit-content/1"
HORIZON_DAYS = 14
SEEN_DAYS = 30
_CHUNK = 2000
_STATUS_LETTER = {"PROV": "P", "VALI": "V", "QUAL": "Q"}
Record = dict[str, Any]
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Window:
    """The days that decide what a kit holds."""

    as_of: date
    horizon_days: int = HORIZON_DAYS
    seen_days: int = SEEN_DAYS

    @property
    def first_day(self) -> date:
        """First day of the operating-room schedule."""
        return self.as_of

    @property
    def last_day(self) -> date:
        """Last day of the operating-room schedule."""
        return self.as_of + timedelta(days=self.horizon_days - 1)

    @property
    def seen_since(self) -> date:
        """Patients seen at the site since this day are active."""
        return self.as_of - timedelta(days=self.seen_days)

    def describe(self) -> dict[str, str]:
        """The horizon as written in the content."""
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def _chunks(ids: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _in_chunks(
    connection: Connection, query: Callable[[list[str]], AnySelect], ids: Collection[str] | None
) -> Iterator[Any]:
    """Run ``query`` for every chunk of ``ids`` (or once with no filter when None)."""
    # fetchall per statement: iterating a result fetches row by row, far slower.
    if ids is None:
        yield from connection.execute(query([])).all()
        return
    for chunk in _chunks(ids):
        yield from connection.execute(query(chunk)).all()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return canonical_instant(value if value.tzinfo else value.replace(tzinfo=UTC))


# --- identity index -------------------------------------------------------------------


def index_rows(session: Session, ids: Collection[str] | None = None) -> list[list[Any]]:
    """Index rows ``[id, family, used, given, birth, sex, nir, status, local]`` by id.

    Read with Core statements and raw text columns: for the whole group (hundreds of
    thousands of people) the ORM's per-row work would cost most of a kit's build time.
    """
    connection = session.connection()
    local: dict[str, list[str]] = defaultdict(list)

    def local_query(chunk: list[str]) -> AnySelect:
        query = select(
            PatientLocalIdRow.patient_id, PatientLocalIdRow.site_id, PatientLocalIdRow.local_id
        ).order_by(PatientLocalIdRow.patient_id, PatientLocalIdRow.site_id)
        return query.where(PatientLocalIdRow.patient_id.in_(chunk)) if chunk else query

    for patient_id, site_id, local_id in _in_chunks(connection, local_query, ids):
        local[patient_id].append(f"{site_id}:{local_id}")

    def patient_query(chunk: list[str]) -> AnySelect:
        query = select(
            PatientRow.id,
            PatientRow.birth_family_name,
            PatientRow.used_name,
            cast(PatientRow.given_names, Text),
            PatientRow.first_given_name,
            cast(PatientRow.birth_date, Text),
            PatientRow.sex,
            PatientRow.nir,
            PatientRow.identity_status,
        ).order_by(PatientRow.id)
        return query.where(PatientRow.id.in_(chunk)) if chunk else query

    no_local: list[str] = []
    loads = json.loads
    rows = [
        [
            pid,
            family,
            used,
            " ".join(loads(given)) or first,
            born,
            sex,
            nir,
            _STATUS_LETTER[status],
            " ".join(local.get(pid, no_local)),
        ]
        for pid, family, used, given, first, born, sex, nir, status in _in_chunks(
            connection, patient_query, ids
        )
    ]
    if ids is not None:
        rows.sort(key=lambda row: row[0])  # chunks are ordered, not the whole
    return rows


def encode_index(rows: Iterable[list[Any]]) -> dict[str, Any]:
    """Columnar, dictionary-encoded form of index rows (docs/kit-format.md)."""
    names: dict[str, int] = {}

    def code(name: str) -> int:
        found = names.get(name)
        if found is None:
            found = names[name] = len(names)
        return found

    columns: dict[str, list[Any]] = {
        key: [] for key in ("id", "family", "used", "given", "birth", "nir", "local")
    }
    sexes, statuses = [], []
    for pid, family, used, given, birth, sex, nir, status, local in rows:
        columns["id"].append(pid)
        columns["family"].append(code(family))
        columns["used"].append(code(used) if used else -1)
        columns["given"].append(code(given))
        columns["birth"].append(birth)
        columns["nir"].append(nir)
        columns["local"].append(local)
        sexes.append(sex)
        statuses.append(status)
    return {"names": list(names), **columns, "sex": "".join(sexes), "status": "".join(statuses)}


def decode_index(index: dict[str, Any]) -> dict[str, list[Any]]:
    """Index rows by patient id, from the columnar form."""
    names = index["names"]
    return {
        pid: [
            pid,
            names[index["family"][i]],
            names[used] if (used := index["used"][i]) >= 0 else "",
            names[index["given"][i]],
            index["birth"][i],
            index["sex"][i],
            index["nir"][i],
            index["status"][i],
            index["local"][i],
        ]
        for i, pid in enumerate(index["id"])
    }


# --- which records are present ----------------------------------------------------------


def _ids(session: Session, query: AnySelect) -> set[str]:
    return set(session.scalars(query))


def present_ids(session: Session, site: str, window: Window) -> dict[str, set[str]]:
    """Ids of every record the site's kit holds, per collection."""
    cases_in_horizon = (
        SurgicalCaseRow.site_id == site,
        SurgicalCaseRow.booked_day >= window.first_day,
        SurgicalCaseRow.booked_day <= window.last_day,
    )
    current_stay = (StayRow.site_id == site, StayRow.discharged_at.is_(None))
    seen_since = datetime.combine(window.seen_since, datetime.min.time(), UTC)
    active = (
        _ids(session, select(StayRow.patient_id).where(*current_stay))
        | _ids(
            session,
            select(StayRow.patient_id).where(
                StayRow.site_id == site, StayRow.discharged_at >= seen_since
            ),
        )
        | _ids(session, select(SurgicalCaseRow.patient_id).where(*cases_in_horizon))
        | _ids(
            session,
            select(SurgicalCaseRow.patient_id).where(
                SurgicalCaseRow.site_id == site,
                SurgicalCaseRow.booked_day >= window.seen_since,
                SurgicalCaseRow.booked_day < window.first_day,
            ),
        )
        | _ids(
            session,
            select(VisitRow.patient_id).where(VisitRow.site_id == site, VisitRow.at >= seen_since),
        )
    )
    return {
        "patients": active,
        "cases": _ids(session, select(SurgicalCaseRow.id).where(*cases_in_horizon)),
        "stays": _ids(session, select(StayRow.id).where(*current_stay)),
        "theatres": _ids(session, select(TheatreRow.id).where(TheatreRow.site_id == site)),
        "wards": _ids(session, select(WardRow.id).where(WardRow.site_id == site)),
        "staff": _ids(
            session, select(SurgeonSiteRow.surgeon_id).where(SurgeonSiteRow.site_id == site)
        ),
        "oncall": {
            f"{site}/{day.isoformat()}/{specialty}"
            for day, specialty in session.execute(
                select(OnCallRow.day, OnCallRow.specialty).where(
                    OnCallRow.site_id == site,
                    OnCallRow.day >= window.first_day,
                    OnCallRow.day <= window.last_day,
                )
            )
        },
        "plans": set(plan_sheets()),
    }


def plan_sheets() -> dict[str, Record]:
    """The emergency-plan sheets every site carries: one per crisis role."""
    return role_sheets(default_plan())


# --- loading records ------------------------------------------------------------------


def _where_in(column: Any, ids: Collection[str]) -> ColumnElement[bool]:
    return column.in_(list(ids))  # type: ignore[no-any-return]


def load_patients(session: Session, site: str, ids: Collection[str]) -> dict[str, Record]:
    """Full essentials of the given patients, with their local id at ``site``."""
    allergies: dict[str, list[Record]] = defaultdict(list)
    medications: dict[str, list[Record]] = defaultdict(list)
    local_ids: dict[str, str] = {}
    records: dict[str, Record] = {}
    # Core statements on the connection: the ORM's row handling would double the time.
    connection = session.connection()
    for chunk in _chunks(ids):
        for pid, substance, severity, reaction in connection.execute(
            select(
                AllergyRow.patient_id,
                AllergyRow.substance,
                AllergyRow.severity,
                AllergyRow.reaction,
            )
            .where(AllergyRow.patient_id.in_(chunk))
            .order_by(AllergyRow.id)
        ):
            allergies[pid].append(
                {"substance": substance, "severity": severity, "reaction": reaction}
            )
        for pid, name, dose, route, frequency in connection.execute(
            select(
                MedicationRow.patient_id,
                MedicationRow.name,
                MedicationRow.dose,
                MedicationRow.route,
                MedicationRow.frequency,
            )
            .where(MedicationRow.patient_id.in_(chunk))
            .order_by(MedicationRow.id)
        ):
            medications[pid].append(
                {"name": name, "dose": dose, "route": route, "frequency": frequency}
            )
        # By patient only: a filter on the site too makes SQLite walk the site's whole
        # primary-key range (hundreds of thousands of rows) for every chunk.
        local_ids.update(
            (patient_id, local_id)
            for patient_id, site_id, local_id in connection.execute(
                select(
                    PatientLocalIdRow.patient_id,
                    PatientLocalIdRow.site_id,
                    PatientLocalIdRow.local_id,
                ).where(PatientLocalIdRow.patient_id.in_(chunk))
            )
            if site_id == site
        )
        for (
            pid,
            family,
            used,
            given,
            first,
            birth,
            sex,
            nir,
            status,
            blood_group,
            alerts,
            phone,
        ) in connection.execute(
            select(
                PatientRow.id,
                PatientRow.birth_family_name,
                PatientRow.used_name,
                PatientRow.given_names,
                PatientRow.first_given_name,
                PatientRow.birth_date,
                PatientRow.sex,
                PatientRow.nir,
                PatientRow.identity_status,
                PatientRow.blood_group,
                PatientRow.alerts,
                PatientRow.emergency_contact_phone,
            ).where(PatientRow.id.in_(chunk))
        ).all():
            records[pid] = {
                "id": pid,
                "family": family,
                "used": used,
                "given": " ".join(given) or first,
                "birth": birth.isoformat(),
                "sex": sex,
                "nir": nir,
                "status": status,
                "local_id": local_ids.get(pid),
                "blood_group": blood_group,
                "allergies": allergies.get(pid, []),
                "medications": medications.get(pid, []),
                "alerts": list(alerts),
                "emergency_contact_phone": phone,
            }
    return records


def load_cases(session: Session, ids: Collection[str]) -> dict[str, Record]:
    """The given surgical cases."""
    records: dict[str, Record] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(SurgicalCaseRow).where(SurgicalCaseRow.id.in_(chunk))):
            records[row.id] = {
                "id": row.id,
                "patient_id": row.patient_id,
                "day": _day(row.booked_day),
                "theatre_id": row.booked_theatre_id,
                "start_minute": row.booked_start_minute,
                "expected_minutes": row.expected_minutes,
                "specialty": row.specialty,
                "procedure": row.procedure,
                "ccam_code": row.ccam_code,
                "surgeon_id": row.surgeon_id,
                "priority": row.priority,
                "due_on": _day(row.due_on),
                "status": row.status,
                "transferable": row.transferable,
                "not_transferable_reason": row.not_transferable_reason,
            }
    return records


def load_stays(session: Session, ids: Collection[str]) -> dict[str, Record]:
    """The given stays."""
    records: dict[str, Record] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(StayRow).where(StayRow.id.in_(chunk))):
            records[row.id] = {
                "id": row.id,
                "patient_id": row.patient_id,
                "ward_id": row.ward_id,
                "room_id": row.room_id,
                "bed": row.bed,
                "admitted_at": _instant(row.admitted_at),
                "expected_discharge": _instant(row.expected_discharge),
            }
    return records


def load_theatres(session: Session, ids: Collection[str]) -> dict[str, Record]:
    """The given theatres."""
    return {
        row.id: {
            "id": row.id,
            "name": row.name,
            "opening_minutes": list(row.opening_minutes),
            "specialties": list(row.specialties),
        }
        for row in session.scalars(select(TheatreRow).where(_where_in(TheatreRow.id, ids)))
    }


def load_wards(session: Session, ids: Collection[str]) -> dict[str, Record]:
    """The given wards with their rooms and beds."""
    beds: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ward_id, room_id, label in session.execute(
        select(BedRow.ward_id, BedRow.room_id, BedRow.label)
        .where(_where_in(BedRow.ward_id, ids))
        .order_by(BedRow.ward_id, BedRow.room_id, BedRow.label)
    ):
        beds[(ward_id, room_id)].append(label)
    rooms: dict[str, list[Record]] = defaultdict(list)
    for room in session.scalars(
        select(RoomRow).where(_where_in(RoomRow.ward_id, ids)).order_by(RoomRow.ward_id, RoomRow.id)
    ):
        rooms[room.ward_id].append(
            {
                "id": room.id,
                "name": room.name,
                "beds": beds[(room.ward_id, room.id)],
                "gender_policy": room.gender_policy,
            }
        )
    return {
        row.id: {"id": row.id, "name": row.name, "specialty": row.specialty, "rooms": rooms[row.id]}
        for row in session.scalars(select(WardRow).where(_where_in(WardRow.id, ids)))
    }


def load_staff(session: Session, ids: Collection[str]) -> dict[str, Record]:
    """The given surgeons with every site where they operate."""
    sites: dict[str, list[str]] = defaultdict(list)
    for surgeon_id, site_id in session.execute(
        select(SurgeonSiteRow.surgeon_id, SurgeonSiteRow.site_id)
        .where(_where_in(SurgeonSiteRow.surgeon_id, ids))
        .order_by(SurgeonSiteRow.surgeon_id, SurgeonSiteRow.site_id)
    ):
        sites[surgeon_id].append(site_id)
    return {
        row.id: {
            "id": row.id,
            "family_name": row.family_name,
            "given_name": row.given_name,
            "specialty": row.specialty,
            "phone": row.phone,
            "sites": sites[row.id],
        }
        for row in session.scalars(select(SurgeonRow).where(_where_in(SurgeonRow.id, ids)))
    }


def load_oncall(session: Session, ids: Collection[str]) -> dict[str, Record]:
    """The given on-call shifts (ids ``site/day/specialty``)."""
    records: dict[str, Record] = {}
    by_site: dict[str, set[tuple[date, str]]] = defaultdict(set)
    for key in ids:
        site, day, specialty = key.split("/", 2)
        by_site[site].add((date.fromisoformat(day), specialty))
    for site, wanted in by_site.items():
        days = {day for day, _ in wanted}
        for row in session.scalars(
            select(OnCallRow).where(OnCallRow.site_id == site, OnCallRow.day.in_(days))
        ):
            if (row.day, row.specialty) in wanted:
                key = f"{site}/{row.day.isoformat()}/{row.specialty}"
                records[key] = {
                    "day": row.day.isoformat(),
                    "specialty": row.specialty,
                    "staff_id": row.surgeon_id,
                }
    return records


def load_records(
    session: Session, site: str, collection: str, ids: Collection[str]
) -> dict[str, Record]:
    """Records of one collection for the given ids (ids that no longer exist are skipped)."""
    if not ids:
        return {}
    if collection == "patients":
        return load_patients(session, site, ids)
    if collection == "plans":
        return {key: sheet for key, sheet in plan_sheets().items() if key in ids}
    if collection in _LOADERS:
        return _LOADERS[collection](session, ids)
    return {}


_LOADERS: dict[str, Callable[[Session, Collection[str]], dict[str, Record]]] = {
    "cases": load_cases,
    "stays": load_stays,
    "theatres": load_theatres,
    "wards": load_wards,
    "staff": load_staff,
    "oncall": load_oncall,
}


def site_record(session: Session, site: str) -> Record:
    """The site as written in the content."""
    row = require_site(session, site)
    return {
        "id": row.id,
        "name": row.name,
        "city": row.city,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "specialties": list(row.specialties),
    }


def downtime_record(session: Session, site: str) -> Record:
    """The site's reserved downtime identifier ranges (docs/kit-format.md)."""
    return {
        "ranges": [
            {
                "first": row.first_serial,
                "count": row.count,
                "reserved_at": canonical_instant(row.reserved_at),
            }
            for row in downtime_ranges(session, site)
        ]
    }


@dataclass(frozen=True, slots=True)
class BuiltContent:
    """A full kit's content and the ids it holds (kept by the server to build deltas)."""

    content: dict[str, Any]
    manifest: dict[str, Any]


def build_content(session: Session, site: str, window: Window, built_at: datetime) -> BuiltContent:
    """The full content of ``site``'s kit at the session's journal head.

    Run it in :meth:`Database.snapshot` so that every query sees the same state.
    """
    record = site_record(session, site)
    seq, _ = journal.head(session)
    present = present_ids(session, site, window)
    collections = {name: load_records(session, site, name, ids) for name, ids in present.items()}
    content = {
        "schema": CONTENT_SCHEMA,
        "site": record,
        "seq": seq,
        "built_at": canonical_instant(built_at),
        "as_of": window.as_of.isoformat(),
        "horizon": window.describe(),
        "index": encode_index(index_rows(session)),
        "collections": collections,
        "downtime_ids": downtime_record(session, site),
    }
    return BuiltContent(content, manifest(site, seq, window, present))


def manifest(site: str, seq: int, window: Window, present: dict[str, set[str]]) -> dict[str, Any]:
    """What a kit at ``seq`` holds: enough to build the next delta without opening it."""
    return {
        "site": site,
        "seq": seq,
        "as_of": window.as_of.isoformat(),
        "ids": {name: sorted(ids) for name, ids in present.items()},
    }
