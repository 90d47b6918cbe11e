"""Re-entry of paper in the browser: scan a form, type it, settle the two typings, confirm.

The pages drive the services of :mod:`bascule.recovery.reentry`, which check the user's
role and site themselves, so a forged form gets the same refusal as the page. Double entry
is blind: until both clerks have submitted, a page shows nobody's typing but the user's
own. Times typed from paper are checked against the incident window, from the
declaration of the most recent incident to now.

The dashboard also measures each clerk's error rate on the settled double entries: the
store keeps, for each form, both typings (``recovery_entries``) and the third person's
decisions (``recovery_forms.decisions``), from which the
:class:`~bascule.recovery.double_entry.DoubleEntry` records are rebuilt.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis import incidents
from bascule.crisis.records import actor_name
from bascule.crisis.roles import GRANTS, Actor, Permission
from bascule.paper.codes import display_form_id
from bascule.paper.model import FormType
from bascule.recovery import reentry
from bascule.recovery.completeness import (
    FormCounts,
    completeness,
    error_rates,
    waive_closure,
)
from bascule.recovery.double_entry import DECISIONS, resolve
from bascule.recovery.forms import (
    FORM_TITLES,
    FieldSpec,
    FieldValueError,
    Validated,
    as_typed,
    field_spec,
    form_fields,
    parse_value,
    validate,
)
from bascule.recovery.reentry import FieldProblem, ReentryError, Window, incident_window
from bascule.store import journal
from bascule.store.tables import ClosureWaiverRow, RecoveryEntryRow, RecoveryFormRow, SiteRow
from bascule.web.auth import SignedIn
from bascule.web.context import database, render, translator
from bascule.web.i18n import Translator

router = APIRouter()

_SEE_OTHER = 303
_PROBLEMS = 422
# Each list of the dashboard shows the oldest forms first, this many at most.
LIST_LIMIT = 100
STATUSES = ("typing", "second_entry", "to_decide", "to_confirm", "confirmed")
_PAST_TYPING = ("to_decide", "to_confirm", "confirmed")
_SETTLED = ("to_confirm", "confirmed")


async def _posted_form(request: Request) -> dict[str, str]:
    """Every text field of the posted form (Starlette keeps the parsed form for the CSRF check)."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(_posted_form)]


def _link(t: Translator, path: str, **query: str) -> str:
    """``path`` with the language (when chosen by URL) and ``query`` in its query string."""
    link = t.link(path)
    for name, value in query.items():
        link += ("&" if "?" in link else "?") + f"{name}={value}"
    return link


def _back(request: Request, path: str, **query: str) -> RedirectResponse:
    return RedirectResponse(_link(translator(request), path, **query), status_code=_SEE_OTHER)


def _form_type(form: RecoveryFormRow) -> FormType:
    return FormType(form.form_type)


def _title(form_type: FormType, lang: str) -> str:
    french, english = FORM_TITLES[form_type]
    return french if lang == "fr" else english


def _label(spec: FieldSpec, lang: str) -> str:
    return spec.label_fr if lang == "fr" else spec.label_en


def _filled(value: Any) -> bool:
    return value is not None and bool(str(value).strip())


def _shown(spec: FieldSpec, value: Any, lang: str) -> str:
    """A value as a person reads it: local times, French dates, a choice's label."""
    if not _filled(value):
        return ""
    if isinstance(value, str):
        try:
            value = parse_value(spec, value)
        except FieldValueError:
            return str(value)
    text = as_typed(spec, value)
    for choice in spec.choices:
        if choice.value == text:
            return choice.label_fr if lang == "fr" else choice.label_en
    return text


def _site_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(SiteRow.id, SiteRow.name)).all()
    return {row.id: row.name for row in rows}


# -- the dashboard ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Typing:
    """One pass of a form as lists show it: who, and whether it is submitted."""

    number: int
    clerk: str
    status: str
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class FormLine:
    """A form under re-entry as the dashboard lists it."""

    form_id: str
    shown_id: str
    title: str
    site_id: str
    ward_id: str | None
    patient_id: str | None
    status: str
    opened_at: datetime
    passes: tuple[Typing, ...]
    href: str


def _typings(entries: Iterable[RecoveryEntryRow]) -> tuple[Typing, ...]:
    return tuple(
        Typing(entry.pass_number, entry.clerk, entry.status, as_utc(entry.saved_at))
        for entry in sorted(entries, key=lambda entry: entry.pass_number)
    )


def _open_forms(session: Session, t: Translator) -> dict[str, list[FormLine]]:
    """The forms not yet confirmed, by status, oldest first."""
    forms = list(
        session.scalars(
            select(RecoveryFormRow)
            .where(RecoveryFormRow.status != "confirmed")
            .order_by(RecoveryFormRow.opened_at, RecoveryFormRow.form_id)
        )
    )
    entries: dict[str, list[RecoveryEntryRow]] = defaultdict(list)
    query = (
        select(RecoveryEntryRow)
        .join(RecoveryFormRow, RecoveryFormRow.form_id == RecoveryEntryRow.form_id)
        .where(RecoveryFormRow.status != "confirmed")
    )
    for entry in session.scalars(query):
        entries[entry.form_id].append(entry)
    lines: dict[str, list[FormLine]] = {status: [] for status in STATUSES[:-1]}
    for form in forms:
        page = f"/recovery/forms/{form.form_id}"
        lines.setdefault(form.status, []).append(
            FormLine(
                form_id=form.form_id,
                shown_id=display_form_id(form.form_id),
                title=_title(_form_type(form), t.lang),
                site_id=form.site_id,
                ward_id=form.ward_id,
                patient_id=form.patient_id,
                status=form.status,
                opened_at=as_utc(form.opened_at),
                passes=_typings(entries[form.form_id]),
                href=t.link(page + "/decide" if form.status == "to_decide" else page),
            )
        )
    return lines


def _totals(rows: Sequence[FormCounts]) -> FormCounts:
    return FormCounts(
        site_id="",
        ward_id=None,
        issued=sum(row.issued for row in rows),
        returned=sum(row.returned for row in rows),
        typed=sum(row.typed for row in rows),
        critical=sum(row.critical for row in rows),
        double_checked=sum(row.double_checked for row in rows),
        confirmed=sum(row.confirmed for row in rows),
    )


@dataclass(frozen=True, slots=True)
class WaiverForm:
    """The closure-waiver form as posted, with its problems by field."""

    incident_id: str = ""
    reason: str = ""
    problems: Mapping[str, Sequence[str]] = field(default_factory=dict)


# Shorter than this, a reason does not say why (the service refuses it too).
WAIVER_REASON_MIN = 10
WAIVER_REASON_MAX = 2000


def _dashboard_view(
    request: Request,
    actor: Actor,
    *,
    done: str = "",
    waiver: WaiverForm | None = None,
    status_code: int = 200,
) -> Response:
    db = database(request)
    t = translator(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        state = completeness(session)
        known = incidents.incidents(session)
        incident = known[0] if known else None
        waivers = set(session.scalars(select(ClosureWaiverRow.incident_id)))
        waived = incident is not None and incident.id in waivers
        lines = _open_forms(session, t)
        rates = error_rates(session)
        site_names = _site_names(session)
        just_done = session.get(RecoveryFormRow, done) if done and len(done) <= 40 else None
    return render(
        request,
        "recovery.html",
        {
            "incident": incident,
            "may_reenter": Permission.REENTER_PAPER in GRANTS[actor.role],
            "done": None
            if just_done is None
            else {"shown_id": display_form_id(just_done.form_id), "status": just_done.status},
            "counts": state.forms,
            "totals": _totals(state.forms),
            "state": state,
            "can_close": state.complete or waived,
            "waived": waived,
            "lists": [(status, lines[status]) for status in STATUSES[:-1]],
            "limit": LIST_LIMIT,
            "rates": rates,
            "site_names": site_names,
            "identities_href": t.link("/recovery/identities"),
            "conflicts_href": t.link("/recovery/conflicts"),
            "may_waive": actor.may(Permission.CHANGE_PHASE),
            "waivable": [item for item in known if item.open and item.id not in waivers],
            "waiver": waiver or WaiverForm(),
            "reason_max": WAIVER_REASON_MAX,
        },
        journal_seq=seq,
        status_code=status_code,
    )


@router.get("/recovery")
def dashboard(request: Request, actor: SignedIn, done: str = "") -> Response:
    """Scan a form; what is outstanding per site and ward; the forms waiting at each step."""
    return _dashboard_view(request, actor, done=done)


@router.post("/recovery/waiver")
def waiver(
    request: Request,
    actor: SignedIn,
    incident_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """The crisis lead lets an incident close with recovery work outstanding, saying why."""
    actor.check(Permission.CHANGE_PHASE)
    db = database(request)
    t = translator(request)
    with db.reading() as session:
        open_ids = {item.id for item in incidents.incidents(session, open_only=True)}
    problems: dict[str, list[str]] = {}
    if incident_id not in open_ids:
        problems["incident_id"] = [t("recovery.waiver.no_incident")]
    if len(reason.strip()) < WAIVER_REASON_MIN:
        problems["reason"] = [t("recovery.waiver.reason_short", count=WAIVER_REASON_MIN)]
    elif len(reason) > WAIVER_REASON_MAX:
        problems["reason"] = [t("recovery.waiver.reason_long", count=t.number(WAIVER_REASON_MAX))]
    if problems:
        posted = WaiverForm(incident_id, reason, problems)
        return _dashboard_view(request, actor, waiver=posted, status_code=_PROBLEMS)
    waive_closure(db, actor, incident_id, reason)
    return _back(request, "/recovery")


@router.post("/recovery/scan")
def scan(request: Request, actor: SignedIn, code: Annotated[str, Form()] = "") -> Response:
    """Open the typed form of a scanned paper form (QR text or printed id)."""
    if not code.strip():
        raise ReentryError("field 'code': scan the form's QR code or type its printed number")
    db = database(request)
    with db.reading() as session:
        incident_window(session, db.clock.now())
    form_id = reentry.open_form(db, actor, code)
    return _back(request, f"/recovery/forms/{form_id}")


# -- one form ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field of the typing form, with what the user typed and what is wrong with it."""

    name: str
    label: str
    help: str
    unit: str
    required: bool
    multiline: bool
    choices: tuple[tuple[str, str], ...]
    value: str
    problems: tuple[str, ...]
    inputmode: str


_INPUT_MODES = {"integer": "numeric", "decimal": "decimal", "phone": "tel"}


def _field_views(
    form_type: FormType, values: Mapping[str, str], problems: Mapping[str, list[str]], lang: str
) -> list[FieldView]:
    return [
        FieldView(
            name=spec.name,
            label=_label(spec, lang),
            help=spec.help_fr if lang == "fr" else spec.help_en,
            unit=spec.unit,
            required=spec.required,
            multiline=spec.multiline,
            choices=tuple(
                (choice.value, choice.label_fr if lang == "fr" else choice.label_en)
                for choice in spec.choices
            ),
            value=values.get(spec.name, ""),
            problems=tuple(problems.get(spec.name, ())),
            inputmode=_INPUT_MODES.get(spec.kind, ""),
        )
        for spec in form_fields(form_type)
    ]


def _turn(
    form: RecoveryFormRow, typed: Mapping[int, RecoveryEntryRow], clerk: str
) -> tuple[int | None, str]:
    """The pass ``clerk`` would type now (None if none), and why not.

    Mirrors the service's rule, for the page only: a clerk resumes their own draft; the
    second pass of a critical form is another clerk's.
    """
    if form.status in _PAST_TYPING:
        return None, "past"
    for number, entry in sorted(typed.items()):
        if entry.clerk == clerk:
            return (number, "") if entry.status == "draft" else (None, "submitted")
    if 1 not in typed:
        return 1, ""
    if form.critical and 2 not in typed:
        return 2, ""
    return None, "taken"


def _value_rows(
    form_type: FormType, values: Mapping[str, Any], decisions: Mapping[str, Any], lang: str
) -> list[tuple[str, str, str]]:
    """(label, value as read, decision) for each field of the form."""
    return [
        (
            _label(spec, lang),
            _shown(spec, values.get(spec.name), lang),
            str(decisions.get(spec.name, "")),
        )
        for spec in form_fields(form_type)
    ]


def _form_view(
    request: Request,
    actor: Actor,
    form_id: str,
    *,
    posted: Mapping[str, str] | None = None,
    problems: Mapping[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    db = database(request)
    t = translator(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        form = reentry.require_form(session, form_id)
        typed = reentry.entries_of(session, form_id)
        site_names = _site_names(session)
    form_type = _form_type(form)
    me = actor_name(actor)
    number, reason = _turn(form, typed, me)
    may = actor.may(Permission.REENTER_PAPER, form.site_id)
    mine = next((entry for entry in typed.values() if entry.clerk == me), None)
    # Blind double entry: the only typing shown before both are in is the user's own.
    values = dict(posted) if posted is not None else dict(mine.values) if mine else {}
    final: Mapping[str, Any] | None = None
    if form.status in _SETTLED and 1 in typed:
        final = form.final_values or typed[1].values
    problems = problems or {}
    return render(
        request,
        "recovery_form.html",
        {
            "form": form,
            "shown_id": display_form_id(form.form_id),
            "title": _title(form_type, t.lang),
            "site_name": site_names.get(form.site_id, form.site_id),
            "opened_at": as_utc(form.opened_at),
            "passes": _typings(typed.values()),
            "may": may,
            "pass_number": number if may else None,
            "reason": reason,
            "others": ", ".join(sorted(entry.clerk for entry in typed.values())),
            "mine": mine,
            "mine_saved_at": as_utc(mine.saved_at) if mine else None,
            "fields": _field_views(form_type, values, problems, t.lang),
            "problem_count": sum(len(found) for found in problems.values()),
            "own_rows": _value_rows(form_type, mine.values, {}, t.lang)
            if mine is not None and mine.status == "submitted" and form.status not in _SETTLED
            else [],
            "final_rows": []
            if final is None
            else _value_rows(form_type, final, form.decisions or {}, t.lang),
            "confirmed_at": as_utc(form.confirmed_at) if form.confirmed_at else None,
            "decide_href": t.link(f"/recovery/forms/{form.form_id}/decide"),
        },
        journal_seq=seq,
        status_code=status_code,
    )


def _localised(
    problems: Sequence[FieldProblem], checked: Validated, lang: str
) -> dict[str, list[str]]:
    """The services' problems by field, in French when the page is (from the same check)."""
    french = {(error.field, error.message): error.message_fr for error in checked.errors}
    found: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        message = problem.message
        if lang == "fr":
            message = french.get((problem.field, problem.message), message)
        found[problem.field].append(message)
    return dict(found)


@router.get("/recovery/forms/{form_id}")
def form_page(request: Request, actor: SignedIn, form_id: str) -> Response:
    """A form under re-entry: its facts, who typed which pass, and the typing form."""
    return _form_view(request, actor, form_id)


@router.post("/recovery/forms/{form_id}")
def save(request: Request, actor: SignedIn, form_id: str, posted: Posted) -> Response:
    """Keep a draft, or submit the typing; problems come back beside their fields (422)."""
    action = posted.get("action", "")
    if action not in ("draft", "submit"):
        raise ReentryError(f"field 'action': {action[:20]!r} is neither draft nor submit")
    db = database(request)
    with db.reading() as session:
        form = reentry.require_form(session, form_id)
        window = incident_window(session, db.clock.now())
    form_type = _form_type(form)
    names = {spec.name for spec in form_fields(form_type)}
    values = {name: value for name, value in posted.items() if name in names}
    submit = action == "submit"
    saved = reentry.save_entry(db, actor, form_id, values, submit=submit, window=window)
    if saved.problems:
        checked = validate(form_type, values, window=(window.start, window.end), partial=not submit)
        problems = _localised(saved.problems, checked, translator(request).lang)
        return _form_view(
            request, actor, form_id, posted=values, problems=problems, status_code=_PROBLEMS
        )
    if saved.submitted:
        return _back(request, "/recovery", done=form_id)
    return _back(request, f"/recovery/forms/{form_id}")


# -- settling a double entry, confirming ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionView:
    """One field the two typings disagree on, side by side, with the choice made so far."""

    name: str
    label: str
    first: str
    second: str
    chosen: str
    other: str
    problems: tuple[str, ...]


def _decide_view(
    request: Request,
    actor: Actor,
    form_id: str,
    *,
    chosen: Mapping[str, str] | None = None,
    others: Mapping[str, str] | None = None,
    problems: Mapping[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    db = database(request)
    t = translator(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        form = reentry.require_form(session, form_id)
        typed = reentry.entries_of(session, form_id)
        window = incident_window(session, db.clock.now())
    if form.status != "to_decide":
        return _back(request, f"/recovery/forms/{form_id}")
    form_type = _form_type(form)
    chosen, others, problems = chosen or {}, others or {}, problems or {}
    rows = []
    for mismatch in reentry.mismatches(db, form_id, window):
        spec = field_spec(mismatch.field, form_type)
        rows.append(
            DecisionView(
                name=spec.name,
                label=_label(spec, t.lang),
                first=_shown(spec, mismatch.first, t.lang),
                second=_shown(spec, mismatch.second, t.lang),
                chosen=chosen.get(spec.name, ""),
                other=others.get(spec.name, ""),
                problems=tuple(problems.get(spec.name, ())),
            )
        )
    clerks = {entry.clerk for entry in typed.values()}
    return render(
        request,
        "recovery_decide.html",
        {
            "form": form,
            "shown_id": display_form_id(form.form_id),
            "title": _title(form_type, t.lang),
            "first_clerk": typed[1].clerk,
            "second_clerk": typed[2].clerk,
            "rows": rows,
            "may_decide": actor.may(Permission.REENTER_PAPER, form.site_id)
            and actor_name(actor) not in clerks,
            "typist": actor_name(actor) in clerks,
            "problem_count": sum(len(found) for found in problems.values()),
            "form_href": t.link(f"/recovery/forms/{form.form_id}"),
        },
        journal_seq=seq,
        status_code=status_code,
    )


@router.get("/recovery/forms/{form_id}/decide")
def decide_page(request: Request, actor: SignedIn, form_id: str) -> Response:
    """The fields the two typings disagree on, side by side, for a third person to settle."""
    return _decide_view(request, actor, form_id)


def _decision_problems(
    form: RecoveryFormRow,
    typed: Mapping[int, RecoveryEntryRow],
    decisions: Mapping[str, str],
    others: Mapping[str, str],
    *,
    window: Window,
    t: Translator,
) -> dict[str, list[str]]:
    """What keeps the decisions from settling the form: a field left undecided, a bad value."""
    problems: dict[str, list[str]] = defaultdict(list)
    for name, choice in decisions.items():
        if choice not in DECISIONS:
            problems[name].append(t("recovery.decide.choose"))
        elif choice == "other" and not others.get(name, "").strip():
            problems[name].append(t("recovery.decide.other_missing"))
    if problems:
        return dict(problems)
    chosen_others = {name: others[name] for name, choice in decisions.items() if choice == "other"}
    final = resolve(typed[1].values, typed[2].values, decisions, chosen_others)
    checked = validate(
        _form_type(form),
        {name: None if value is None else str(value) for name, value in final.items()},
        window=(window.start, window.end),
    )
    for error in checked.errors:
        if error.field in decisions:
            problems[error.field].append(error.message_fr if t.lang == "fr" else error.message)
    return dict(problems)


@router.post("/recovery/forms/{form_id}/decide")
def decide(request: Request, actor: SignedIn, form_id: str, posted: Posted) -> Response:
    """Record the third person's decision on every field the typings disagree on."""
    db = database(request)
    t = translator(request)
    with db.reading() as session:
        form = reentry.require_form(session, form_id)
        typed = reentry.entries_of(session, form_id)
        window = incident_window(session, db.clock.now())
    actor.check(Permission.REENTER_PAPER, form.site_id)
    if form.status != "to_decide":
        raise ReentryError(
            f"form {display_form_id(form_id)} has no disagreement to settle "
            f"({form.status.replace('_', ' ')})"
        )
    fields = [mismatch.field for mismatch in reentry.mismatches(db, form_id, window)]
    decisions = {name: posted.get(f"decide-{name}", "") for name in fields}
    others = {name: posted.get(f"other-{name}", "") for name in fields}
    problems = _decision_problems(form, typed, decisions, others, window=window, t=t)
    if problems:
        return _decide_view(
            request,
            actor,
            form_id,
            chosen=decisions,
            others=others,
            problems=problems,
            status_code=_PROBLEMS,
        )
    chosen_others = {name: others[name] for name, choice in decisions.items() if choice == "other"}
    reentry.decide_fields(db, actor, form_id, decisions, other_values=chosen_others)
    return _back(request, f"/recovery/forms/{form_id}")


@router.post("/recovery/forms/{form_id}/confirm")
def confirm(request: Request, actor: SignedIn, form_id: str) -> Response:
    """A human confirms the form's final values."""
    db = database(request)
    with db.reading() as session:
        window = incident_window(session, db.clock.now())
    reentry.confirm_form(db, actor, form_id, window=window)
    return _back(request, "/recovery", done=form_id)
