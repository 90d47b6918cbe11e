"""Identity vigilance for identities typed from paper: link, queue for a human, or create.

Every confirmed admission form is matched against the patient index. A sure match links
the form (and its downtime id) to the patient; a possible match waits in the queue of
the identity-vigilance cell with the evidence; no match registers a new provisional
identity. Nothing is merged: a link is a journaled decision that can be undone.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.crisis.records import actor_name, check
from bascule.crisis.roles import Actor, Permission
from bascule.domain.patients import (
    CONTACT_FIELDS,
    ContactDetails,
    IdentityStatus,
    IdentityTraits,
    Patient,
    Sex,
)
from bascule.errors import BasculeError, UnknownEntityError
from bascule.paper.codes import display_form_id
from bascule.paper.model import FormType
from bascule.recovery.forms import field_spec, parse_value
from bascule.recovery.matching import Candidate, Identity, MatchResult, Outcome, PatientIndex, match
from bascule.store import changes, journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import IdentityMatchRow, PatientRow, RecoveryFormRow

# What a match outcome does before any human looks at it.
STATUS_BY_OUTCOME = {Outcome.SURE: "linked", Outcome.POSSIBLE: "queued", Outcome.NONE: "new"}
DECISIONS = ("link", "new", "unlink")


class IdentityError(BasculeError):
    """An identity decision refused, with the form and the reason."""


@dataclass(frozen=True, slots=True)
class MatchReport:
    """What matching the confirmed admissions did."""

    linked: int = 0
    queued: int = 0
    new: int = 0


def _index(session: Session) -> PatientIndex:
    rows = session.execute(
        select(
            PatientRow.id,
            PatientRow.birth_family_name,
            PatientRow.first_given_name,
            PatientRow.birth_date,
            PatientRow.sex,
            PatientRow.used_name,
            PatientRow.given_names,
            PatientRow.birth_place_insee,
            PatientRow.nir,
            PatientRow.city,
            PatientRow.postcode,
            PatientRow.phone,
            PatientRow.email,
        ).where(PatientRow.merged_into.is_(None))
    )
    return PatientIndex(
        Identity(
            id=row.id,
            birth_family_name=row.birth_family_name,
            first_given_name=row.first_given_name,
            birth_date=row.birth_date,
            sex=row.sex,
            used_name=row.used_name,
            given_names=tuple(row.given_names),
            birth_place_insee=row.birth_place_insee,
            nir=row.nir,
            city=row.city,
            postcode=row.postcode,
            phone=row.phone,
            email=row.email,
        )
        for row in rows
    )


def _typed(form_id: str, values: dict[str, str]) -> Identity:
    def read(name: str) -> Any:
        raw = values.get(name) or ""
        return parse_value(field_spec(name, FormType.ADMISSION), raw) if raw.strip() else None

    given = read("other_given_names")
    sex = read("sex")
    born: date | None = read("birth_date")
    return Identity(
        id=form_id,
        birth_family_name=read("birth_family_name") or "",
        first_given_name=read("first_given_name") or "",
        birth_date=born,
        sex=None if sex is None else str(sex),
        used_name=read("used_name") or "",
        given_names=tuple(str(given).split()) if given else (),
        birth_place_insee=read("birth_place_insee") or "",
        nir=read("nir"),
        city=read("town") or "",
        postcode=read("postcode") or "",
        phone=read("phone") or "",
    )


def _downtime_id(values: dict[str, str]) -> str | None:
    """The label's downtime id in its stored form (``D000012417``), if one was typed."""
    raw = values.get("downtime_id") or ""
    if not raw.strip():
        return None
    return str(parse_value(field_spec("downtime_id", FormType.ADMISSION), raw))


def _evidence(candidate: Candidate) -> dict[str, Any]:
    return {
        "patient_id": candidate.id,
        "score": round(candidate.score, 2),
        "vetoes": list(candidate.vetoes),
        "evidence": [
            {
                "trait": c.trait,
                "level": c.level,
                "weight": round(c.weight, 2),
                "typed": c.typed,
                "found": c.found,
            }
            for c in candidate.evidence
        ],
    }


def _new_patient(identity: Identity, site_id: str, downtime_id: str | None) -> Patient:
    traits = IdentityTraits(
        birth_family_name=identity.birth_family_name,
        first_given_name=identity.first_given_name,
        birth_date=identity.birth_date or date(1900, 1, 1),
        sex=Sex(identity.sex or "U"),
        given_names=identity.given_names,
        used_name=identity.used_name,
        birth_place_insee=identity.birth_place_insee,
        nir=identity.nir,
        status=IdentityStatus.PROVISIONAL,
    )
    local = ((site_id, downtime_id),) if downtime_id else ()
    contact = ContactDetails(identity.postcode, identity.city, identity.phone, identity.email)
    return Patient(f"pat-{uuid.uuid4().hex[:12]}", traits, local, contact=contact)


def _typed_payload(identity: Identity, downtime_id: str | None) -> dict[str, Any]:
    """The typed identity as journaled with its match, for the queue and a later decision."""
    return {
        "birth_family_name": identity.birth_family_name,
        "used_name": identity.used_name,
        "first_given_name": identity.first_given_name,
        "birth_date": None if identity.birth_date is None else identity.birth_date.isoformat(),
        "sex": identity.sex,
        "birth_place_insee": identity.birth_place_insee,
        "nir": identity.nir,
        "downtime_id": downtime_id,
        **{trait: getattr(identity, trait) for trait in CONTACT_FIELDS},
    }


def _identity_of_payload(form_id: str, typed: dict[str, Any]) -> Identity:
    """Inverse of :func:`_typed_payload` (contact traits absent from older entries)."""
    born = typed["birth_date"]
    return Identity(
        id=form_id,
        birth_family_name=typed["birth_family_name"],
        first_given_name=typed["first_given_name"],
        birth_date=None if born is None else date.fromisoformat(born),
        sex=typed["sex"],
        used_name=typed["used_name"],
        birth_place_insee=typed["birth_place_insee"],
        nir=typed["nir"],
        **{trait: typed.get(trait, "") for trait in CONTACT_FIELDS},
    )


def _matched(
    form: RecoveryFormRow, identity: Identity, result: MatchResult, at: str
) -> dict[str, Any]:
    best = result.best
    return {
        "form_id": form.form_id,
        "site_id": form.site_id,
        "outcome": result.outcome.value,
        "status": STATUS_BY_OUTCOME[result.outcome],
        "patient_id": best.id if best is not None and result.outcome is Outcome.SURE else None,
        "score": None if best is None else round(best.score, 2),
        "typed": _typed_payload(identity, _downtime_id(form.final_values or {})),
        "candidates": [_evidence(candidate) for candidate in result.candidates],
        "at": at,
    }


def match_confirmed(db: Database, actor: Actor | str) -> MatchReport:
    """Match every confirmed admission not matched yet; link, queue or register each."""
    check(actor, Permission.REENTER_PAPER)
    with db.writing() as session:
        journal.lock(session)
        done = set(session.scalars(select(IdentityMatchRow.form_id)))
        forms = [
            form
            for form in session.scalars(
                select(RecoveryFormRow).where(
                    RecoveryFormRow.form_type == FormType.ADMISSION.value,
                    RecoveryFormRow.status == "confirmed",
                )
            )
            if form.form_id not in done
        ]
        if not forms:
            return MatchReport()
        index = _index(session)
        now = db.clock.now()
        found: list[Change] = []
        counts = {"linked": 0, "queued": 0, "new": 0}
        for form in forms:
            values = dict(form.final_values or {})
            identity = _typed(form.form_id, values)
            payload = _matched(form, identity, match(index, identity), canonical_instant(now))
            if payload["status"] == "new":
                patient = _new_patient(identity, form.site_id, _downtime_id(values))
                found.append(changes.patient_registered(patient, form.site_id))
                payload["patient_id"] = patient.id
            counts[payload["status"]] += 1
            found.append(
                Change(kinds.IDENTITY_MATCHED, "paper_form", form.form_id, payload, form.site_id)
            )
        journal.append(session, found, actor=actor_name(actor), at=now)
    return MatchReport(**counts)


def decide_identity(
    db: Database,
    actor: Actor | str,
    form_id: str,
    decision: str,
    *,
    patient_id: str | None = None,
) -> str | None:
    """The identity-vigilance cell links a typed identity, makes it new, or undoes a link.

    Returns the patient the form now refers to (None after an unlink, which puts the
    identity back in the queue).
    """
    if decision not in DECISIONS:
        raise IdentityError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    with db.writing() as session:
        journal.lock(session)
        row = session.get(IdentityMatchRow, form_id)
        if row is None:
            raise UnknownEntityError(f"form {display_form_id(form_id)} has no identity to decide")
        check(actor, Permission.DECIDE_IDENTITY, row.site_id)
        # Under the journal lock: a double click must not link twice or create two people.
        if decision != "unlink" and row.status != "queued":
            raise IdentityError(
                f"form {display_form_id(form_id)} is not waiting for a decision ({row.status})"
            )
        now = db.clock.now()
        found: list[Change] = []
        if decision == "link":
            if patient_id is None or session.get(PatientRow, patient_id) is None:
                raise IdentityError(f"field 'patient_id': no patient {patient_id!r} to link to")
            status, target = "linked", patient_id
        elif decision == "unlink":
            if row.status != "linked":
                raise IdentityError(f"form {display_form_id(form_id)} is not linked ({row.status})")
            status, target = "queued", None
        else:
            typed = row.typed
            identity = _identity_of_payload(form_id, typed)
            patient = _new_patient(identity, row.site_id, typed.get("downtime_id"))
            found.append(changes.patient_registered(patient, row.site_id))
            status, target = "new", patient.id
        payload = {
            "form_id": form_id,
            "decision": decision,
            "status": status,
            "patient_id": target,
            "previous_patient_id": row.patient_id,
            "by": actor_name(actor),
            "at": canonical_instant(now),
        }
        found.append(Change(kinds.IDENTITY_DECIDED, "paper_form", form_id, payload, row.site_id))
        journal.append(session, found, actor=actor_name(actor), at=now)
    return target


def queue(session: Session, site_id: str | None = None) -> list[IdentityMatchRow]:
    """Identities waiting for the identity-vigilance cell, oldest first."""
    query = (
        select(IdentityMatchRow)
        .where(IdentityMatchRow.status == "queued")
        .order_by(IdentityMatchRow.matched_at, IdentityMatchRow.form_id)
    )
    if site_id is not None:
        query = query.where(IdentityMatchRow.site_id == site_id)
    return list(session.scalars(query))
