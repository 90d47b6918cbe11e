"""Proof that nothing was left behind: every form, identity, conflict and postponed patient.

The incident cannot be closed while any count here is above zero, unless the crisis lead
waives it explicitly; the waiver is journaled with what was still outstanding.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.domain.cases import CaseStatus
from bascule.errors import BasculeError
from bascule.paper.model import FormType
from bascule.recovery.double_entry import DoubleEntry, ErrorRate, clerk_error_rates
from bascule.recovery.forms import critical_fields
from bascule.recovery.reentry import TYPED_FORMS
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import (
    ClosureWaiverRow,
    IdentityMatchRow,
    IncidentRow,
    PaperFormRow,
    RecoveryConflictRow,
    RecoveryEntryRow,
    RecoveryFormRow,
    SurgicalCaseRow,
)

STAGES = ("issued", "returned", "typed", "double_checked", "confirmed", "voided")


class OutstandingError(BasculeError):
    """Closing refused: recovery work is outstanding and no waiver was given."""


@dataclass
class FormCounts:
    """Forms to type back at one site and ward, stage by stage."""

    site_id: str
    ward_id: str | None
    issued: int = 0
    returned: int = 0
    typed: int = 0
    critical: int = 0
    double_checked: int = 0
    confirmed: int = 0
    voided: int = 0

    @property
    def outstanding(self) -> int:
        """Issued forms neither confirmed nor handed back unused."""
        return self.issued - self.confirmed - self.voided


@dataclass
class Completeness:
    """What is still outstanding, group-wide (or for one site)."""

    forms: list[FormCounts] = field(default_factory=list)
    identities_pending: int = 0
    conflicts_pending: int = 0
    patients_without_date: int = 0

    @property
    def forms_outstanding(self) -> int:
        """Forms issued and not yet confirmed, all sites and wards together."""
        return sum(counts.outstanding for counts in self.forms)

    def outstanding(self) -> dict[str, int]:
        """Every count that must reach zero before the incident closes."""
        return {
            "forms": self.forms_outstanding,
            "identities": self.identities_pending,
            "conflicts": self.conflicts_pending,
            "patients_without_date": self.patients_without_date,
        }

    @property
    def complete(self) -> bool:
        """True when nothing is outstanding."""
        return not any(self.outstanding().values())


def _typed_codes() -> list[str]:
    return sorted(form_type.value for form_type in TYPED_FORMS)


def completeness(session: Session, site_id: str | None = None) -> Completeness:
    """Count forms by stage per site and ward, pending identities and conflicts, lost patients."""
    issued = select(PaperFormRow).where(PaperFormRow.form_type.in_(_typed_codes()))
    if site_id is not None:
        issued = issued.where(PaperFormRow.site_id == site_id)
    recovered = {row.form_id: row for row in session.scalars(select(RecoveryFormRow))}
    submitted = Counter(
        session.scalars(
            select(RecoveryEntryRow.form_id).where(RecoveryEntryRow.status == "submitted")
        )
    )
    by_place: dict[tuple[str, str | None], FormCounts] = {}
    for form in session.scalars(issued):
        counts = by_place.setdefault(
            (form.site_id, form.ward_id), FormCounts(form.site_id, form.ward_id)
        )
        counts.issued += 1
        typed = recovered.get(form.form_id)
        # A form opened for re-entry was in someone's hands: it came back, scanned or not.
        counts.returned += form.returned_at is not None or typed is not None
        if typed is None:
            continue
        counts.typed += submitted[form.form_id] > 0
        counts.critical += typed.critical
        counts.double_checked += typed.critical and submitted[form.form_id] >= 2
        counts.confirmed += typed.status == "confirmed"
        counts.voided += typed.status == "void"
    result = Completeness(
        forms=sorted(by_place.values(), key=lambda c: (c.site_id, c.ward_id or ""))
    )
    identities = select(func.count()).where(IdentityMatchRow.status == "queued")
    conflicts = select(func.count()).where(RecoveryConflictRow.status == "open")
    if site_id is not None:
        identities = identities.where(IdentityMatchRow.site_id == site_id)
        conflicts = conflicts.where(RecoveryConflictRow.site_id == site_id)
    # A confirmed admission not matched yet is an identity nobody has checked.
    unmatched = (
        select(func.count())
        .select_from(RecoveryFormRow)
        .where(
            RecoveryFormRow.form_type == FormType.ADMISSION.value,
            RecoveryFormRow.status == "confirmed",
            RecoveryFormRow.form_id.not_in(select(IdentityMatchRow.form_id)),
        )
    )
    if site_id is not None:
        unmatched = unmatched.where(RecoveryFormRow.site_id == site_id)
    result.identities_pending = int(session.scalar(identities) or 0) + int(
        session.scalar(unmatched) or 0
    )
    result.conflicts_pending = int(session.scalar(conflicts) or 0)
    waiting = (
        select(func.count())
        .select_from(SurgicalCaseRow)
        .where(
            SurgicalCaseRow.status.in_([CaseStatus.POSTPONED.value, CaseStatus.REDIRECTED.value]),
            SurgicalCaseRow.booked_day.is_(None),
        )
    )
    if site_id is not None:
        waiting = waiting.where(SurgicalCaseRow.site_id == site_id)
    result.patients_without_date = int(session.scalar(waiting) or 0)
    return result


def check_closable(session: Session, incident_id: str) -> None:
    """Refuse, with the counts, to close an incident that left work and has no waiver."""
    if session.get(ClosureWaiverRow, incident_id) is not None:
        return
    state = completeness(session)
    if state.complete:
        return
    left = ", ".join(
        f"{name.replace('_', ' ')} {count}" for name, count in state.outstanding().items() if count
    )
    raise OutstandingError(
        f"incident {incident_id} cannot close: recovery outstanding ({left}); finish it, or "
        "record a waiver with its reason"
    )


def waive_closure(db: Database, actor: Actor | str, incident_id: str, reason: str) -> None:
    """Record the crisis lead's explicit decision to close with work outstanding."""
    check(actor, Permission.CHANGE_PHASE)
    if len(reason.strip()) < 10:
        raise BasculeError("field 'reason': say why the incident may close with work outstanding")
    with db.writing() as session:
        journal.lock(session)
        incident = session.get(IncidentRow, incident_id)
        if incident is None or incident.phase == "closed":
            raise BasculeError(f"field 'incident_id': no open incident {incident_id!r}")
        if session.get(ClosureWaiverRow, incident_id) is not None:
            raise BasculeError(f"incident {incident_id} already has a closure waiver")
        now = db.clock.now()
        payload = {
            "incident_id": incident_id,
            "reason": reason.strip(),
            "outstanding": completeness(session).outstanding(),
            "by": actor_name(actor),
            "at": canonical_instant(now),
        }
        change = Change(kinds.INCIDENT_CLOSURE_WAIVED, "incident", incident_id, payload)
        journal.append(session, [change], actor=actor_name(actor), at=now)


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _double_entry(
    form: RecoveryFormRow, first: RecoveryEntryRow, second: RecoveryEntryRow
) -> DoubleEntry:
    """A settled double entry rebuilt from the store.

    The fields compared are the form's critical fields that either clerk filled in: a
    field both left empty was not typed, so it counts neither as typed nor as an error.
    """
    form_type = FormType(form.form_type)
    decisions = {name: str(choice) for name, choice in (form.decisions or {}).items()}
    fields = tuple(
        name
        for name in critical_fields(form_type, frozenset({form_type}))
        if name in decisions or _filled(first.values.get(name)) or _filled(second.values.get(name))
    )
    return DoubleEntry(first.clerk, second.clerk, fields, decisions)


def error_rates(session: Session, site_id: str | None = None) -> dict[str, ErrorRate]:
    """Per clerk, from every settled double entry: the share of their fields not kept."""
    settled: list[ColumnElement[bool]] = [
        RecoveryFormRow.critical.is_(True),
        RecoveryFormRow.status.in_(("to_confirm", "confirmed")),
    ]
    if site_id is not None:
        settled.append(RecoveryFormRow.site_id == site_id)
    passes: dict[str, dict[int, RecoveryEntryRow]] = {}
    typed = (
        select(RecoveryEntryRow)
        .join(RecoveryFormRow, RecoveryFormRow.form_id == RecoveryEntryRow.form_id)
        .where(*settled, RecoveryEntryRow.status == "submitted")
    )
    for entry in session.scalars(typed):
        passes.setdefault(entry.form_id, {})[entry.pass_number] = entry
    records = []
    forms = select(RecoveryFormRow).where(*settled).order_by(RecoveryFormRow.form_id)
    for form in session.scalars(forms):
        both = passes.get(form.form_id, {})
        if 1 in both and 2 in both:
            records.append(_double_entry(form, both[1], both[2]))
    return clerk_error_rates(records)
