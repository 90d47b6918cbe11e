"""Re-entry of paper: a scanned form opens its typed form, clerks type it, a human confirms.

A form's life: opened by its QR code (or its printed id), typed (drafts are kept, so an
abandoned form loses nothing), submitted; a form of a critical type is typed a second
time by another clerk, and a third person settles the fields the two typings disagree
on; then someone confirms it. Nothing is confirmed without a human, and every step is
journaled with its author.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError, UnknownEntityError
from bascule.paper.codes import FormCode, FormCodeError, display_form_id, normalise_form_id
from bascule.paper.model import FormType
from bascule.recovery.double_entry import compare, resolve
from bascule.recovery.forms import CRITICAL_DEFAULT, critical_fields, validate
from bascule.recovery.reconcile import surgical_record_changes
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import IncidentRow, PaperFormRow, RecoveryEntryRow, RecoveryFormRow

TYPED_FORMS = frozenset(
    {
        FormType.ADMISSION,
        FormType.SURGICAL_RECORD,
        FormType.MEDICATION_RECORD,
        FormType.REQUEST,
        FormType.TRANSFER,
    }
)


NO_INCIDENT = "declare the incident first: re-entry checks times against its window"


class ReentryError(BasculeError):
    """A re-entry step refused, with the form and the reason."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A field typed wrong, as the form shows it beside the field."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Saved:
    """What saving a typing did: kept as a draft, or submitted; and what is wrong in it."""

    form_id: str
    pass_number: int
    submitted: bool
    problems: tuple[FieldProblem, ...]
    form_status: str


@dataclass(frozen=True, slots=True)
class Window:
    """The incident window: times typed from paper must fall within it."""

    start: datetime
    end: datetime


def _form_id_of(scanned: str) -> tuple[str, FormCode | None]:
    text = scanned.strip()
    if text.upper().startswith("BSC1:"):
        try:
            code = FormCode.parse(text)
        except FormCodeError as exc:
            raise ReentryError(f"scanned code refused: {exc}") from None
        return code.form_id, code
    try:
        return normalise_form_id(text), None
    except BasculeError as exc:
        raise ReentryError(f"{text[:40]!r} is neither a form code nor a form id: {exc}") from None


def _issued(session: Session, form_id: str, code: FormCode | None) -> PaperFormRow:
    row = session.get(PaperFormRow, form_id)
    if row is None:
        raise ReentryError(f"form {display_form_id(form_id)} was never issued by bascule")
    if code is not None and (
        code.form_type.value != row.form_type
        or code.site_id != row.site_id
        or code.patient_id != row.patient_id
        or code.case_id != row.case_id
    ):
        raise ReentryError(
            f"the code of form {display_form_id(form_id)} disagrees with what was printed "
            "(type, site, patient or case): was it copied from another form?"
        )
    if FormType(row.form_type) not in TYPED_FORMS:
        raise ReentryError(
            f"form {display_form_id(form_id)} is a {FormType(row.form_type).name.lower()} "
            "page, which is not typed back"
        )
    return row


def open_form(
    db: Database,
    actor: Actor | str,
    scanned: str,
    *,
    expected_patient: str | None = None,
    critical_types: frozenset[FormType] = CRITICAL_DEFAULT,
) -> str:
    """Open the typed form of a scanned paper form; returns its form id.

    ``expected_patient`` is the patient the clerk believes the paper is about: a form
    printed for someone else is refused, naming both.
    """
    form_id, code = _form_id_of(scanned)
    with db.writing() as session:
        printed = _issued(session, form_id, code)
        check(actor, Permission.REENTER_PAPER, printed.site_id)
        if expected_patient is not None and printed.patient_id != expected_patient:
            raise ReentryError(
                f"form {display_form_id(form_id)} was printed for patient "
                f"{printed.patient_id or 'nobody in particular'}, not {expected_patient}"
            )
        if session.get(RecoveryFormRow, form_id) is not None:
            return form_id
        now = db.clock.now()
        payload = {
            "form_id": form_id,
            "form_type": printed.form_type,
            "site_id": printed.site_id,
            "ward_id": printed.ward_id,
            "patient_id": printed.patient_id,
            "case_id": printed.case_id,
            "critical": FormType(printed.form_type) in critical_types,
            "at": canonical_instant(now),
            "by": actor_name(actor),
        }
        change = Change(
            kinds.RECOVERY_FORM_OPENED, "paper_form", form_id, payload, site_id=printed.site_id
        )
        journal.append(session, [change], actor=actor_name(actor), at=now)
    return form_id


def require_form(session: Session, form_id: str) -> RecoveryFormRow:
    """The form under re-entry, or an error naming it."""
    row = session.get(RecoveryFormRow, form_id)
    if row is None:
        raise UnknownEntityError(f"form {display_form_id(form_id)} is not open for re-entry")
    return row


def entries_of(session: Session, form_id: str) -> dict[int, RecoveryEntryRow]:
    """The typings of a form by pass number."""
    rows = session.scalars(select(RecoveryEntryRow).where(RecoveryEntryRow.form_id == form_id))
    return {row.pass_number: row for row in rows}


def _pass_for(form: RecoveryFormRow, typed: dict[int, RecoveryEntryRow], clerk: str) -> int:
    for number, entry in typed.items():
        if entry.clerk == clerk:
            if entry.status == "submitted":
                raise ReentryError(
                    f"{clerk} already submitted pass {number} of form "
                    f"{display_form_id(form.form_id)}"
                    + (": the second typing must be another clerk's" if form.critical else "")
                )
            return number
    if 1 not in typed:
        return 1
    if form.critical and 2 not in typed:
        return 2
    others = ", ".join(sorted({entry.clerk for entry in typed.values()}))
    raise ReentryError(f"form {display_form_id(form.form_id)} is already being typed by {others}")


def _status_after(form: RecoveryFormRow, typed: dict[int, RecoveryEntryRow], window: Window) -> str:
    submitted = {n: e for n, e in typed.items() if e.status == "submitted"}
    if not form.critical:
        return "to_confirm" if 1 in submitted else "typing"
    if len(submitted) < 2:
        return "second_entry" if submitted else "typing"
    mismatches = _mismatches(form, submitted[1].values, submitted[2].values, window)
    return "to_decide" if mismatches else "to_confirm"


def _clean(form: RecoveryFormRow, values: Mapping[str, str], window: Window) -> dict[str, Any]:
    return dict(
        validate(FormType(form.form_type), values, window=(window.start, window.end)).values
    )


def _mismatches(
    form: RecoveryFormRow, first: Mapping[str, str], second: Mapping[str, str], window: Window
) -> list[Any]:
    form_type = FormType(form.form_type)
    fields = critical_fields(form_type, frozenset({form_type}))
    return list(
        compare(form_type, _clean(form, first, window), _clean(form, second, window), fields)
    )


def save_entry(
    db: Database,
    actor: Actor | str,
    form_id: str,
    values: Mapping[str, str],
    *,
    submit: bool,
    window: Window,
) -> Saved:
    """Keep what a clerk typed; with ``submit``, hand it on if nothing in it is wrong.

    A typing with problems is still kept, as a draft, so that nothing typed is lost.
    """
    clerk = actor_name(actor)
    typed_values = {name: str(value) for name, value in values.items()}
    with db.writing() as session:
        journal.lock(session)
        form = require_form(session, form_id)
        check(actor, Permission.REENTER_PAPER, form.site_id)
        if form.status in ("to_decide", "to_confirm", "confirmed", "void"):
            raise ReentryError(
                f"form {display_form_id(form_id)} is past typing ({form.status.replace('_', ' ')})"
            )
        typed = entries_of(session, form_id)
        number = _pass_for(form, typed, clerk)
        result = validate(
            FormType(form.form_type),
            typed_values,
            window=(window.start, window.end),
            partial=not submit,
        )
        problems = tuple(FieldProblem(e.field, e.message) for e in result.errors)
        submitted = submit and not problems
        now = db.clock.now()
        entry = RecoveryEntryRow(
            form_id=form_id,
            pass_number=number,
            clerk=clerk,
            values=typed_values,
            status="submitted" if submitted else "draft",
            saved_at=now,
        )
        status = _status_after(form, {**typed, number: entry}, window)
        payload = {
            "form_id": form_id,
            "pass_number": number,
            "clerk": clerk,
            "values": typed_values,
            "status": entry.status,
            "form_status": status,
            "at": canonical_instant(now),
        }
        change = Change(
            kinds.RECOVERY_ENTRY_SAVED, "paper_form", form_id, payload, site_id=form.site_id
        )
        journal.append(session, [change], actor=clerk, at=now)
    return Saved(form_id, number, submitted, problems, status)


def mismatches(db: Database, form_id: str, window: Window) -> list[Any]:
    """The critical fields on which the two typings of a form disagree, side by side."""
    with db.reading() as session:
        form = require_form(session, form_id)
        typed = entries_of(session, form_id)
    if 1 not in typed or 2 not in typed:
        return []
    return _mismatches(form, typed[1].values, typed[2].values, window)


def decide_fields(
    db: Database,
    actor: Actor | str,
    form_id: str,
    decisions: Mapping[str, str],
    *,
    other_values: Mapping[str, str] | None = None,
) -> None:
    """A third person settles each field the two typings disagree on."""
    decider = actor_name(actor)
    with db.writing() as session:
        journal.lock(session)
        form = require_form(session, form_id)
        check(actor, Permission.REENTER_PAPER, form.site_id)
        if form.status != "to_decide":
            raise ReentryError(
                f"form {display_form_id(form_id)} has no disagreement to settle "
                f"({form.status.replace('_', ' ')})"
            )
        typed = entries_of(session, form_id)
        clerks = {typed[1].clerk, typed[2].clerk}
        if decider in clerks:
            raise ReentryError(
                f"{decider} typed form {display_form_id(form_id)}: a third person must decide"
            )
        final = resolve(typed[1].values, typed[2].values, decisions, other_values or {})
        now = db.clock.now()
        payload = {
            "form_id": form_id,
            "decisions": dict(decisions),
            "final_values": {name: str(value) for name, value in final.items()},
            "by": decider,
            "at": canonical_instant(now),
        }
        change = Change(
            kinds.RECOVERY_FIELDS_DECIDED, "paper_form", form_id, payload, site_id=form.site_id
        )
        journal.append(session, [change], actor=decider, at=now)


def confirm_form(
    db: Database, actor: Actor | str, form_id: str, *, window: Window
) -> dict[str, str]:
    """A human confirms the form's final values (checked in full once more); returns them."""
    confirmer = actor_name(actor)
    with db.writing() as session:
        journal.lock(session)
        form = require_form(session, form_id)
        check(actor, Permission.REENTER_PAPER, form.site_id)
        if form.status != "to_confirm":
            raise ReentryError(
                f"form {display_form_id(form_id)} cannot be confirmed yet "
                f"({form.status.replace('_', ' ')})"
            )
        typed = entries_of(session, form_id)
        final = dict(form.final_values or typed[1].values)
        result = validate(FormType(form.form_type), final, window=(window.start, window.end))
        if result.errors:
            first = result.errors[0]
            raise ReentryError(f"form {display_form_id(form_id)}: {first.field}: {first.message}")
        now = db.clock.now()
        payload = {
            "form_id": form_id,
            "final_values": final,
            "by": confirmer,
            "at": canonical_instant(now),
        }
        found = [
            Change(
                kinds.RECOVERY_FORM_CONFIRMED, "paper_form", form_id, payload, site_id=form.site_id
            )
        ]
        if form.form_type == FormType.SURGICAL_RECORD.value:
            found += surgical_record_changes(
                session, form, final, by=confirmer, at=now, window_start=window.start
            )
        journal.append(session, found, actor=confirmer, at=now)
    return final


def void_form(db: Database, actor: Actor | str, form_id: str, reason: str) -> None:
    """Account for a form handed back unused (a blank admission form nobody needed)."""
    if len(reason.strip()) < 3:
        raise ReentryError("field 'reason': say why the form is void (e.g. 'unused')")
    with db.writing() as session:
        journal.lock(session)
        form = require_form(session, form_id)
        check(actor, Permission.REENTER_PAPER, form.site_id)
        if form.status != "typing" or entries_of(session, form_id):
            raise ReentryError(
                f"form {display_form_id(form_id)} was typed: it is confirmed, not voided"
            )
        now = db.clock.now()
        payload = {
            "form_id": form_id,
            "reason": reason.strip(),
            "by": actor_name(actor),
            "at": canonical_instant(now),
        }
        change = Change(
            kinds.RECOVERY_FORM_VOIDED, "paper_form", form_id, payload, site_id=form.site_id
        )
        journal.append(session, [change], actor=actor_name(actor), at=now)


def incident_window(session: Session, now: datetime) -> Window:
    """From the declaration of the latest incident to now: where paper times must fall."""
    declared = session.scalar(select(func.max(IncidentRow.declared_at)))
    if declared is None:
        raise ReentryError(NO_INCIDENT)
    return Window(as_utc(declared), now)
