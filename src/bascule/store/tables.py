"""SQLAlchemy tables: the journal and the projections derived from it."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for bulk inserts that skip the ORM."""
    return model.metadata.tables[model.__tablename__]


class JournalEntryRow(Base):
    """One entry of the append-only, hash-chained journal."""

    __tablename__ = "journal_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    site_id: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_journal_entries_entity", "entity_type", "entity_id"),)


class JournalHeadRow(Base):
    """The single row naming the last entry; writers lock it to serialise appends."""

    __tablename__ = "journal_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class SiteRow(Base):
    """A site of the group."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    specialties: Mapped[list[Any]] = mapped_column(JSON)


class TheatreRow(Base):
    """An operating theatre and its opening minutes per weekday (Monday first)."""

    __tablename__ = "theatres"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    opening_minutes: Mapped[list[Any]] = mapped_column(JSON)
    specialties: Mapped[list[Any]] = mapped_column(JSON)


class WardRow(Base):
    """A ward of a site."""

    __tablename__ = "wards"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[str] = mapped_column(String(60))


class RoomRow(Base):
    """A room of a ward."""

    __tablename__ = "rooms"

    ward_id: Mapped[str] = mapped_column(ForeignKey("wards.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    gender_policy: Mapped[str] = mapped_column(String(20))


class BedRow(Base):
    """A bed in a room."""

    __tablename__ = "beds"

    ward_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (ForeignKeyConstraint(["ward_id", "room_id"], ["rooms.ward_id", "rooms.id"]),)


class SurgeonRow(Base):
    """A surgeon."""

    __tablename__ = "surgeons"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[str] = mapped_column(String(60), index=True)
    max_daily_minutes: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(40))


class SurgeonSiteRow(Base):
    """A site where a surgeon operates."""

    __tablename__ = "surgeon_sites"

    surgeon_id: Mapped[str] = mapped_column(ForeignKey("surgeons.id"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class PatientRow(Base):
    """A person of the patient index, with INS traits and clinical essentials."""

    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    birth_family_name: Mapped[str] = mapped_column(String(100))
    used_name: Mapped[str] = mapped_column(String(100))
    first_given_name: Mapped[str] = mapped_column(String(100))
    given_names: Mapped[list[Any]] = mapped_column(JSON)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    birth_place_insee: Mapped[str] = mapped_column(String(5))
    # Not unique: a feed may carry one person twice, which identity vigilance resolves.
    nir: Mapped[str | None] = mapped_column(String(15), index=True)
    identity_status: Mapped[str] = mapped_column(String(4))
    blood_group: Mapped[str | None] = mapped_column(String(3))
    alerts: Mapped[list[Any]] = mapped_column(JSON)
    emergency_contact_phone: Mapped[str] = mapped_column(String(40))
    # Complementary identity traits, weighed by identity matching.
    postcode: Mapped[str] = mapped_column(String(10), server_default="")
    city: Mapped[str] = mapped_column(String(100), server_default="")
    phone: Mapped[str] = mapped_column(String(40), server_default="")
    email: Mapped[str] = mapped_column(String(254), server_default="")
    # Set when this record was found to be the same person as another and merged into it.
    merged_into: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (Index("ix_patients_name_birth", "birth_family_name", "birth_date"),)


class PatientLocalIdRow(Base):
    """A patient's identifier at one site (IPP)."""

    __tablename__ = "patient_local_ids"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)


class AllergyRow(Base):
    """An allergy of a patient."""

    __tablename__ = "allergies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    substance: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(10))
    reaction: Mapped[str] = mapped_column(String(200))


class MedicationRow(Base):
    """An active medication of a patient."""

    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    dose: Mapped[str] = mapped_column(String(60))
    route: Mapped[str] = mapped_column(String(40))
    frequency: Mapped[str] = mapped_column(String(60))


class StayRow(Base):
    """An inpatient stay."""

    __tablename__ = "stays"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    ward_id: Mapped[str] = mapped_column(ForeignKey("wards.id"))
    room_id: Mapped[str] = mapped_column(String(60))
    bed: Mapped[str] = mapped_column(String(20))
    admitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expected_discharge: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    discharged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SurgicalCaseRow(Base):
    """A surgical case and its current booking."""

    __tablename__ = "surgical_cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    specialty: Mapped[str] = mapped_column(String(60))
    procedure: Mapped[str] = mapped_column(String(200))
    ccam_code: Mapped[str | None] = mapped_column(String(13))
    surgeon_id: Mapped[str | None] = mapped_column(ForeignKey("surgeons.id"))
    expected_minutes: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(3))
    listed_on: Mapped[date] = mapped_column(Date)
    release_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    booked_day: Mapped[date | None] = mapped_column(Date)
    booked_theatre_id: Mapped[str | None] = mapped_column(ForeignKey("theatres.id"))
    booked_start_minute: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    transferable: Mapped[bool] = mapped_column(Boolean)
    not_transferable_reason: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_surgical_cases_site_day", "site_id", "booked_day"),)


class VisitRow(Base):
    """A patient seen at a site without a bed (consultation, emergency, day hospital)."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(20))
    specialty: Mapped[str] = mapped_column(String(60))

    __table_args__ = (Index("ix_visits_site_at", "site_id", "at"),)


class OnCallRow(Base):
    """Who is on call for a specialty at a site on a day."""

    __tablename__ = "on_call"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    specialty: Mapped[str] = mapped_column(String(60), primary_key=True)
    surgeon_id: Mapped[str] = mapped_column(ForeignKey("surgeons.id"))


class AgentTokenRow(Base):
    """An access token of a site's agents; only its SHA-256 is kept, never the token."""

    __tablename__ = "agent_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AgentHeartbeatRow(Base):
    """The latest heartbeat of one agent (one row per site and agent).

    Monitoring telemetry, written directly rather than through the journal: it says how
    an agent's copy is doing, not anything about the group.
    """

    __tablename__ = "agent_heartbeats"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    age_seconds: Mapped[float] = mapped_column(Float)
    kit_count: Mapped[int] = mapped_column(Integer)
    disk_free_bytes: Mapped[int | None] = mapped_column(BigInteger)
    address: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaperPacketRow(Base):
    """A printed packet: which site and day, from which data, by whom, and its PDF's hash."""

    __tablename__ = "paper_packets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(300))
    data_seq: Mapped[int] = mapped_column(BigInteger)
    parts: Mapped[list[str]] = mapped_column(JSON)
    pages: Mapped[int] = mapped_column(Integer)
    pdf_sha256: Mapped[str] = mapped_column(String(64))


class PaperFormRow(Base):
    """One printed page or form, from issue to return."""

    __tablename__ = "paper_forms"

    form_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    packet_id: Mapped[str] = mapped_column(ForeignKey("paper_packets.id"), index=True)
    form_type: Mapped[str] = mapped_column(String(3))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    patient_id: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40))
    ward_id: Mapped[str | None] = mapped_column(String(40))
    page: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    returnable: Mapped[bool] = mapped_column(Boolean)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_in: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_paper_forms_site_returnable", "site_id", "returnable"),)


class DowntimeRangeRow(Base):
    """A block of downtime patient identifiers reserved for one site's paper registrations."""

    __tablename__ = "downtime_ranges"

    first_serial: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    reserved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reserved_by: Mapped[str] = mapped_column(String(120))


class IngestMessageRow(Base):
    """One message received from an interface (HL7 v2 over MLLP), keyed as its sender keys it.

    The key makes a repeated message idempotent: the same acknowledgement is sent back and
    nothing is written twice. Messages not applied (``AE``, ``AR``) keep their raw text for
    review.
    """

    __tablename__ = "ingest_messages"

    source: Mapped[str] = mapped_column(String(120), primary_key=True)
    control_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    message_type: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(2))
    ack: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)


class FeedSourceRow(Base):
    """An interface feeding a site, when it last spoke, and whether it has gone silent."""

    __tablename__ = "feed_sources"

    site_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    silent_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReplanRow(Base):
    """A re-plan accepted by a human (``bascule replan --apply``) and its key figures."""

    __tablename__ = "replans"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    scenario: Mapped[str] = mapped_column(Text)
    solver: Mapped[str] = mapped_column(String(20))
    kpis: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """A local account of the crisis-cell application; only the argon2 hash is kept."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(60), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(30))
    sites: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A signed-in browser session; the cookie holds the token, this row only its SHA-256."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IncidentRow(Base):
    """A declared incident and the phase it is in."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    sites: Mapped[list[str]] = mapped_column(JSON)
    systems: Mapped[list[str]] = mapped_column(JSON)
    phase: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[str | None] = mapped_column(String(80))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    declared_by: Mapped[str] = mapped_column(String(120))
    phase_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    alert_id: Mapped[str | None] = mapped_column(String(64))


class IncidentEventRow(Base):
    """One line of an incident's timeline, written by the projector of each crisis change."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class SystemStatusRow(Base):
    """Where a site, or one of its systems, stands now (``system`` 'site' is the site)."""

    __tablename__ = "system_status"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    system: Mapped[str] = mapped_column(String(30), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str] = mapped_column(String(120))
    confirm_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text)


class StatusTransitionRow(Base):
    """One change of state of a site or system, for the board's history."""

    __tablename__ = "status_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_status_transitions_site_system", "site_id", "system", "at"),)


class LogbookEntryRow(Base):
    """An entry of the main courante; never changed, corrected by a later entry."""

    __tablename__ = "logbook_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    incident_id: Mapped[str | None] = mapped_column(String(40), index=True)
    site_id: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    author: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    corrects: Mapped[str | None] = mapped_column(String(40))


class CrisisTaskRow(Base):
    """An action of the emergency plan, instantiated for an incident (and a site)."""

    __tablename__ = "crisis_tasks"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(40), index=True)
    action_id: Mapped[str] = mapped_column(String(80))
    phase: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    checklist: Mapped[list[str]] = mapped_column(JSON)
    checked: Mapped[list[int]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(120))


class SitrepRow(Base):
    """A situation report as issued for a crisis meeting, frozen with its content's hash."""

    __tablename__ = "sitreps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(40), index=True)
    number: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(120))
    next_meeting_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))


class SecurityAlertRow(Base):
    """IDS alerts folded by fingerprint (source, signature, host, site), awaiting a decision."""

    __tablename__ = "security_alerts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    signature: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(120))
    site_id: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str | None] = mapped_column(String(80))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    count: Mapped[int] = mapped_column(Integer)
    sample: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    incident_id: Mapped[str | None] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(120))


class RecoveryFormRow(Base):
    """A paper form being re-entered: from its scan to its confirmation by a human."""

    __tablename__ = "recovery_forms"

    form_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    form_type: Mapped[str] = mapped_column(String(3))
    site_id: Mapped[str] = mapped_column(String(40), index=True)
    ward_id: Mapped[str | None] = mapped_column(String(40))
    patient_id: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40))
    critical: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(120))
    decisions: Mapped[dict[str, Any]] = mapped_column(JSON)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    final_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(String(120))


class RecoveryEntryRow(Base):
    """One typing of a form by one clerk (pass 1, or pass 2 for double entry)."""

    __tablename__ = "recovery_entries"

    form_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    pass_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    clerk: Mapped[str] = mapped_column(String(120))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdentityMatchRow(Base):
    """An identity typed from paper, matched against the patient index, and what was decided."""

    __tablename__ = "identity_matches"

    form_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(40), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    patient_id: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[float | None] = mapped_column(Float)
    typed: Mapped[dict[str, Any]] = mapped_column(JSON)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryConflictRow(Base):
    """A confirmed paper value that disagrees with what was recorded centrally meanwhile."""

    __tablename__ = "recovery_conflicts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(12), index=True)
    site_id: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(60))
    paper_value: Mapped[str] = mapped_column(Text)
    paper_by: Mapped[str] = mapped_column(String(120))
    paper_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    central_value: Mapped[str] = mapped_column(Text)
    central_by: Mapped[str] = mapped_column(String(120))
    central_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), index=True)
    resolution: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClosureWaiverRow(Base):
    """The explicit decision to close an incident with recovery work still outstanding."""

    __tablename__ = "closure_waivers"

    incident_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    outstanding: Mapped[dict[str, Any]] = mapped_column(JSON)
    waived_by: Mapped[str] = mapped_column(String(120))
    waived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
