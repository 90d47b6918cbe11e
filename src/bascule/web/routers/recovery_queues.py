"""The queues re-entry leaves for people: identities to decide, conflicts with the centre.

Identity vigilance: the confirmed admissions are matched against the patient index (a
button starts :func:`~bascule.recovery.identities.match_confirmed`); a doubtful identity
waits in the queue with its candidates side by side, each trait with its level of
agreement and its weight, and the identity-vigilance cell links it to one of them or makes
it a new provisional identity. A link can be undone: the identity goes back to the queue.

Conflicts: a confirmed paper record that disagrees with what the centre recorded during
the incident waits with both versions, their authors and times, until someone keeps one.

The services check roles and sites themselves, so a forged form gets the same refusal as
the page; the pages only hide the buttons of those who may not use them.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.roles import GRANTS, Actor, Permission
from bascule.paper.codes import display_form_id
from bascule.paper.downtime import display_downtime_id
from bascule.paper.model import FormType
from bascule.recovery.forms import field_spec
from bascule.recovery.identities import (
    IdentityError,
    MatchReport,
    decide_identity,
    match_confirmed,
    queue,
)
from bascule.recovery.reconcile import open_conflicts, resolve_conflict
from bascule.store import journal
from bascule.store.tables import (
    IdentityMatchRow,
    PatientRow,
    RecoveryConflictRow,
    RecoveryFormRow,
    SiteRow,
)
from bascule.web.auth import SignedIn
from bascule.web.context import database, render, translator
from bascule.web.i18n import MESSAGES, Translator

router = APIRouter()

_SEE_OTHER = 303
_PROBLEMS = 422
# The queue shows the oldest identities first, this many at most; the decided, the latest.
QUEUE_LIMIT = 100
RECENT_LIMIT = 50
NOTE_LIMIT = 1000

# The traits shown side by side, and the trait of the matcher's evidence for each.
TRAITS: tuple[tuple[str, str | None], ...] = (
    ("birth_family_name", "family name"),
    ("used_name", None),
    ("first_given_name", "given name"),
    ("birth_date", "birth date"),
    ("sex", "sex"),
    ("birth_place_insee", "birth place"),
    ("nir", "NIR"),
    ("city", "residence"),
    ("postcode", None),
    ("phone", "phone or e-mail"),
)
_MATCHER_TRAITS = ("family name", "given name", "birth date", "birth place", "sex", "NIR")
# The typed identity and the patient index call the commune ``city``; the form, ``town``.
_FORM_FIELD = {"city": "town"}


def _link(t: Translator, path: str, **query: str) -> str:
    """``path`` with the language (when chosen by URL) and ``query`` in its query string."""
    link = t.link(path)
    for name, value in query.items():
        link += ("&" if "?" in link else "?") + f"{name}={quote(value, safe=',/')}"
    return link


def _back(request: Request, path: str, **query: str) -> RedirectResponse:
    return RedirectResponse(_link(translator(request), path, **query), status_code=_SEE_OTHER)


def _site_names(session: Session) -> dict[str, str]:
    return {row.id: row.name for row in session.execute(select(SiteRow.id, SiteRow.name))}


def _patients(session: Session, ids: Iterable[str | None]) -> dict[str, PatientRow]:
    wanted = sorted({patient_id for patient_id in ids if patient_id})
    if not wanted:
        return {}
    rows = session.scalars(select(PatientRow).where(PatientRow.id.in_(wanted)))
    return {row.id: row for row in rows}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _term(t: Translator, family: str, text: str) -> str:
    """A word of the services (a trait, a level) in the page's language; as is if unknown."""
    key = family + _slug(text)
    return t(key) if key in MESSAGES[t.lang] else text


def _decimal(t: Translator, value: float, *, signed: bool = False) -> str:
    text = f"{value:+.1f}" if signed else f"{value:.1f}"
    return text.replace(".", ",") if t.lang == "fr" else text


def _day(value: Any) -> str:
    """A date as French paper writes it, whether a date or its ISO text."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _trait_text(name: str, value: Any, lang: str) -> str:
    """A trait as a person reads it: French dates, the sex spelt out."""
    if value is None or value == "":
        return ""
    if name == "birth_date":
        return _day(value)
    if name == "sex":
        for choice in field_spec("sex", FormType.ADMISSION).choices:
            if choice.value == value:
                return choice.label_fr if lang == "fr" else choice.label_en
    return str(value)


def _trait_label(name: str, lang: str) -> str:
    spec = field_spec(_FORM_FIELD.get(name, name), FormType.ADMISSION)
    return spec.label_fr if lang == "fr" else spec.label_en


def _person(patient: PatientRow | None, lang: str) -> str:
    """A patient of the index in a few words: names and birth date."""
    if patient is None:
        return ""
    names = f"{patient.birth_family_name} {patient.first_given_name}"
    return f"{names}, {_trait_text('birth_date', patient.birth_date, lang)}"


# -- identity vigilance ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    """A candidate's value of one trait, and how it compares with what was typed."""

    value: str
    level: str
    weight: str
    tone: str


@dataclass(frozen=True, slots=True)
class TraitRow:
    """One trait: as typed, then as each candidate holds it."""

    label: str
    typed: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class CandidateView:
    """A patient the typed identity may be: their score, vetoes and other evidence."""

    patient_id: str
    known: bool
    score: str
    vetoes: tuple[str, ...]
    other_evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueuedIdentity:
    """A typed identity waiting for the identity-vigilance cell."""

    form_id: str
    shown_id: str
    site_name: str
    downtime_id: str
    matched_at: datetime
    rows: tuple[TraitRow, ...]
    candidates: tuple[CandidateView, ...]
    may_decide: bool
    form_href: str


@dataclass(frozen=True, slots=True)
class DecidedIdentity:
    """A typed identity linked or made new, by the matcher or by a person."""

    form_id: str
    shown_id: str
    typed: str
    site_name: str
    status: str
    patient_id: str
    patient: str
    decided_by: str
    at: datetime
    may_unlink: bool
    form_href: str


def _pair(t: Translator, trait: str, level: str) -> str:
    """A trait and its level of agreement, both in the page's language."""
    return t(
        "recovery.identities.pair",
        trait=_term(t, "recovery.identities.trait.", trait),
        level=_term(t, "recovery.identities.level.", level),
    )


def _veto(t: Translator, veto: str) -> str:
    """A matcher's veto (``"<trait> <level>"`` or a sentence) in the page's language."""
    for trait in _MATCHER_TRAITS:
        if veto.startswith(trait + " "):
            level = veto[len(trait) + 1 :]
            return _pair(t, trait, level)
    return _term(t, "recovery.identities.veto.", veto)


def _cell(t: Translator, value: str, evidence: Mapping[str, Any] | None) -> Cell:
    if evidence is None:
        return Cell(value, "", "", "")
    weight = float(evidence.get("weight") or 0.0)
    tone = "agree" if weight > 0 else "differ" if weight < 0 else ""
    level = _term(t, "recovery.identities.level.", str(evidence.get("level", "")))
    return Cell(value, level, _decimal(t, weight, signed=True), tone)


def _queued(
    row: IdentityMatchRow,
    patients: Mapping[str, PatientRow],
    t: Translator,
    actor: Actor,
    site_names: Mapping[str, str],
) -> QueuedIdentity:
    typed = row.typed or {}
    candidates = list(row.candidates or [])
    found = [patients.get(str(candidate["patient_id"])) for candidate in candidates]
    evidence = [
        {str(item["trait"]): item for item in candidate.get("evidence", [])}
        for candidate in candidates
    ]
    rows = tuple(
        TraitRow(
            label=_trait_label(name, t.lang),
            typed=_trait_text(name, typed.get(name), t.lang),
            cells=tuple(
                _cell(
                    t,
                    "" if patient is None else _trait_text(name, getattr(patient, name), t.lang),
                    None if trait is None else traits.get(trait),
                )
                for patient, traits in zip(found, evidence, strict=True)
            ),
        )
        for name, trait in TRAITS
    )
    shown = {trait for _, trait in TRAITS if trait is not None}
    views = tuple(
        CandidateView(
            patient_id=str(candidate["patient_id"]),
            known=patient is not None,
            score=_decimal(t, float(candidate.get("score") or 0.0)),
            vetoes=tuple(_veto(t, str(veto)) for veto in candidate.get("vetoes", [])),
            other_evidence=tuple(
                f"{_pair(t, trait, str(item['level']))} "
                f"({_decimal(t, float(item['weight']), signed=True)})"
                for trait, item in traits.items()
                if trait not in shown
            ),
        )
        for candidate, patient, traits in zip(candidates, found, evidence, strict=True)
    )
    downtime = typed.get("downtime_id")
    return QueuedIdentity(
        form_id=row.form_id,
        shown_id=display_form_id(row.form_id),
        site_name=site_names.get(row.site_id, row.site_id),
        downtime_id=display_downtime_id(downtime) if downtime else "",
        matched_at=as_utc(row.matched_at),
        rows=rows,
        candidates=views,
        may_decide=actor.may(Permission.DECIDE_IDENTITY, row.site_id),
        form_href=t.link(f"/recovery/forms/{row.form_id}"),
    )


def _typed_person(typed: Mapping[str, Any], lang: str) -> str:
    names = " ".join(
        str(typed[name]) for name in ("birth_family_name", "first_given_name") if typed.get(name)
    )
    born = _trait_text("birth_date", typed.get("birth_date"), lang)
    return f"{names}, {born}" if born else names


def _decided(
    row: IdentityMatchRow,
    patients: Mapping[str, PatientRow],
    t: Translator,
    actor: Actor,
    site_names: Mapping[str, str],
) -> DecidedIdentity:
    at = row.decided_at if row.decided_at is not None else row.matched_at
    return DecidedIdentity(
        form_id=row.form_id,
        shown_id=display_form_id(row.form_id),
        typed=_typed_person(row.typed or {}, t.lang),
        site_name=site_names.get(row.site_id, row.site_id),
        status=row.status,
        patient_id=row.patient_id or "",
        patient=_person(patients.get(row.patient_id or ""), t.lang),
        decided_by=row.decided_by or "",
        at=as_utc(at),
        may_unlink=row.status == "linked" and actor.may(Permission.DECIDE_IDENTITY, row.site_id),
        form_href=t.link(f"/recovery/forms/{row.form_id}"),
    )


def _recent(session: Session) -> list[IdentityMatchRow]:
    """The identities linked or made new, latest decision (or match) first."""
    latest = func.coalesce(IdentityMatchRow.decided_at, IdentityMatchRow.matched_at)
    query = (
        select(IdentityMatchRow)
        .where(IdentityMatchRow.status != "queued")
        .order_by(latest.desc(), IdentityMatchRow.form_id)
        .limit(RECENT_LIMIT)
    )
    return list(session.scalars(query))


def _unmatched(session: Session) -> int:
    """Confirmed admissions whose identity was not matched yet."""
    query = (
        select(func.count())
        .select_from(RecoveryFormRow)
        .outerjoin(IdentityMatchRow, IdentityMatchRow.form_id == RecoveryFormRow.form_id)
        .where(
            RecoveryFormRow.form_type == FormType.ADMISSION.value,
            RecoveryFormRow.status == "confirmed",
            IdentityMatchRow.form_id.is_(None),
        )
    )
    return int(session.scalar(query) or 0)


def _report(text: str) -> MatchReport | None:
    """The counts a match left in the query string (``linked,queued,new``), if well formed."""
    parts = text.split(",")
    if len(parts) != 3 or not all(part.isdigit() and len(part) <= 9 for part in parts):
        return None
    linked, queued, new = (int(part) for part in parts)
    return MatchReport(linked=linked, queued=queued, new=new)


def _decision_notice(t: Translator, row: IdentityMatchRow | None) -> str:
    """What a decision just did to one identity, in a sentence."""
    if row is None:
        return ""
    form = display_form_id(row.form_id)
    if row.status == "linked":
        return t("recovery.identities.done.linked", form=form, patient=row.patient_id or "")
    if row.status == "new":
        return t("recovery.identities.done.new", form=form, patient=row.patient_id or "")
    return t("recovery.identities.done.queued", form=form)


@router.get("/recovery/identities")
def identities_page(
    request: Request, actor: SignedIn, matched: str = "", decided: str = ""
) -> Response:
    """The identity-vigilance queue, candidates side by side; the identities decided lately."""
    db = database(request)
    t = translator(request)
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        waiting = queue(session)
        recent = _recent(session)
        shown = waiting[:QUEUE_LIMIT]
        ids: list[str | None] = [row.patient_id for row in recent]
        ids += [str(c["patient_id"]) for row in shown for c in row.candidates or []]
        patients = _patients(session, ids)
        site_names = _site_names(session)
        unmatched = _unmatched(session)
        just = session.get(IdentityMatchRow, decided) if decided and len(decided) <= 40 else None
        notice = _decision_notice(t, just)
    return render(
        request,
        "recovery_identities.html",
        {
            "report": _report(matched),
            "decided": notice,
            "may_match": actor.may(Permission.REENTER_PAPER),
            "may_decide": Permission.DECIDE_IDENTITY in GRANTS[actor.role],
            "unmatched": unmatched,
            "count": len(waiting),
            "queued": [_queued(row, patients, t, actor, site_names) for row in shown],
            "limit": QUEUE_LIMIT,
            "recent": [_decided(row, patients, t, actor, site_names) for row in recent],
            "recent_limit": RECENT_LIMIT,
        },
        journal_seq=seq,
    )


@router.post("/recovery/identities/match")
def match(request: Request, actor: SignedIn) -> Response:
    """Match every confirmed admission not matched yet: link, queue or register each."""
    report = match_confirmed(database(request), actor)
    counts = f"{report.linked},{report.queued},{report.new}"
    return _back(request, "/recovery/identities", matched=counts)


@router.post("/recovery/identities/{form_id}")
def decide(
    request: Request,
    actor: SignedIn,
    form_id: str,
    decision: Annotated[str, Form()] = "",
    patient_id: Annotated[str, Form()] = "",
) -> Response:
    """Link a typed identity to a patient, make it a new provisional one, or undo a link."""
    db = database(request)
    if decision in ("link", "new"):
        # A second click on a decision already made must not link twice or create twice.
        with db.reading() as session:
            row = session.get(IdentityMatchRow, form_id)
            status, site_id = (None, None) if row is None else (row.status, row.site_id)
        if status is not None and status != "queued":
            actor.check(Permission.DECIDE_IDENTITY, site_id)
            raise IdentityError(
                f"the identity of form {display_form_id(form_id)} was already decided "
                f"({status}); undo the link first to decide again"
            )
    decide_identity(db, actor, form_id, decision, patient_id=patient_id.strip() or None)
    return _back(request, "/recovery/identities", decided=form_id)


# -- conflicts with the centre ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConflictView:
    """A conflict as the page shows it: both versions, their authors and times."""

    id: str
    anchor: str
    field: str
    shown_form: str
    form_href: str
    site_name: str
    patient_id: str
    patient: str
    case_id: str
    paper_value: str
    paper_by: str
    paper_at: datetime
    central_value: str
    central_by: str
    central_at: datetime
    action: str
    may_resolve: bool
    note: str
    problems: tuple[str, ...]


# How reconcile writes a version: "<word> <ISO day> <theatre>" or "<word>, no date".
_VERSION = re.compile(r"^(?P<word>[a-z]+),? (?P<day>\d{4}-\d{2}-\d{2}|no date)(?: (?P<rest>.+))?$")


def _version(t: Translator, text: str) -> str:
    """A version of the case in the page's language (as written when not understood)."""
    found = _VERSION.match(text)
    if found is None:
        return text
    word = _term(t, "recovery.conflicts.word.", found["word"])
    if found["day"] == "no date":
        shown = t("recovery.conflicts.version.no_day", word=word)
    else:
        shown = t("recovery.conflicts.version.day", word=word, day=_day(found["day"]))
    return f"{shown}, {found['rest']}" if found["rest"] else shown


def _conflict_view(
    number: int,
    row: RecoveryConflictRow,
    t: Translator,
    actor: Actor,
    *,
    patients: Mapping[str, PatientRow],
    site_names: Mapping[str, str],
    note: str,
    problems: Sequence[str],
) -> ConflictView:
    return ConflictView(
        id=row.id,
        anchor=f"conflict-{number}",
        field=_term(t, "recovery.conflicts.field.", row.field),
        shown_form=display_form_id(row.form_id),
        form_href=t.link(f"/recovery/forms/{row.form_id}"),
        site_name=site_names.get(row.site_id, row.site_id),
        patient_id=row.patient_id or "",
        patient=_person(patients.get(row.patient_id or ""), t.lang),
        case_id=row.case_id or "",
        paper_value=_version(t, row.paper_value),
        paper_by=row.paper_by,
        paper_at=as_utc(row.paper_at),
        central_value=_version(t, row.central_value),
        central_by=row.central_by,
        central_at=as_utc(row.central_at),
        action=t.link(f"/recovery/conflicts/{quote(row.id, safe='/')}"),
        may_resolve=actor.may(Permission.RESOLVE_CONFLICT, row.site_id),
        note=note,
        problems=tuple(problems),
    )


def _resolved_notice(t: Translator, row: RecoveryConflictRow | None) -> str:
    if row is None or row.status == "open" or row.resolution not in ("paper", "central"):
        return ""
    form = display_form_id(row.form_id)
    return t(f"recovery.conflicts.done.{row.resolution}", form=form, by=row.resolved_by or "")


def _conflicts_view(
    request: Request,
    actor: Actor,
    *,
    resolved: str = "",
    notes: Mapping[str, str] | None = None,
    problems: Mapping[str, Sequence[str]] | None = None,
    status_code: int = 200,
) -> Response:
    db = database(request)
    t = translator(request)
    notes, problems = notes or {}, problems or {}
    with db.snapshot() as session:
        seq, _ = journal.head(session)
        rows = open_conflicts(session)
        patients = _patients(session, (row.patient_id for row in rows))
        site_names = _site_names(session)
        just = session.get(RecoveryConflictRow, resolved) if 0 < len(resolved) <= 80 else None
        notice = _resolved_notice(t, just)
    return render(
        request,
        "recovery_conflicts.html",
        {
            "resolved": notice,
            "may_resolve": Permission.RESOLVE_CONFLICT in GRANTS[actor.role],
            "conflicts": [
                _conflict_view(
                    number,
                    row,
                    t,
                    actor,
                    patients=patients,
                    site_names=site_names,
                    note=notes.get(row.id, ""),
                    problems=problems.get(row.id, ()),
                )
                for number, row in enumerate(rows, start=1)
            ],
            "note_limit": NOTE_LIMIT,
        },
        journal_seq=seq,
        status_code=status_code,
    )


@router.get("/recovery/conflicts")
def conflicts_page(request: Request, actor: SignedIn, resolved: str = "") -> Response:
    """The open conflicts, each with the paper's and the centre's version side by side."""
    return _conflicts_view(request, actor, resolved=resolved)


@router.post("/recovery/conflicts/{conflict_id:path}")
def resolve(
    request: Request,
    actor: SignedIn,
    conflict_id: str,
    keep: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Keep the paper's version (the case was done) or the centre's, with a note."""
    db = database(request)
    with db.reading() as session:
        row = session.get(RecoveryConflictRow, conflict_id)
        site_id = None if row is None else row.site_id
    if site_id is not None:
        actor.check(Permission.RESOLVE_CONFLICT, site_id)
        if len(note) > NOTE_LIMIT:
            t = translator(request)
            problem = t("recovery.conflicts.note_too_long", limit=t.number(NOTE_LIMIT))
            return _conflicts_view(
                request,
                actor,
                notes={conflict_id: note},
                problems={conflict_id: [problem]},
                status_code=_PROBLEMS,
            )
    resolve_conflict(db, actor, conflict_id, keep, note)
    return _back(request, "/recovery/conflicts", resolved=conflict_id)
