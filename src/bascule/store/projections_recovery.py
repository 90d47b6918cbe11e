"""Projectors of recovery: forms re-entered, identities matched, conflicts with the centre."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bascule.store import kinds
from bascule.store.canonical import parse_instant
from bascule.store.projections import projector
from bascule.store.tables import (
    IdentityMatchRow,
    RecoveryConflictRow,
    RecoveryEntryRow,
    RecoveryFormRow,
    table_of,
)


def _set_form(session: Session, form_id: str, **values: Any) -> None:
    session.execute(
        update(table_of(RecoveryFormRow)).where(RecoveryFormRow.form_id == form_id).values(values)
    )


@projector(kinds.RECOVERY_FORM_OPENED)
def _forms_opened(session: Session, payloads: list[dict[str, Any]]) -> None:
    session.execute(
        table_of(RecoveryFormRow).insert(),
        [
            {
                "form_id": p["form_id"],
                "form_type": p["form_type"],
                "site_id": p["site_id"],
                "ward_id": p["ward_id"],
                "patient_id": p["patient_id"],
                "case_id": p["case_id"],
                "critical": p["critical"],
                "status": "typing",
                "opened_at": parse_instant(p["at"]),
                "opened_by": p["by"],
                "decisions": {},
                "decided_by": None,
                "final_values": None,
                "confirmed_at": None,
                "confirmed_by": None,
            }
            for p in payloads
        ],
    )


@projector(kinds.RECOVERY_ENTRY_SAVED)
def _entries_saved(session: Session, payloads: list[dict[str, Any]]) -> None:
    entries = table_of(RecoveryEntryRow)
    for p in payloads:
        key = (entries.c.form_id == p["form_id"], entries.c.pass_number == p["pass_number"])
        values = {
            "clerk": p["clerk"],
            "values": p["values"],
            "status": p["status"],
            "saved_at": parse_instant(p["at"]),
        }
        if session.execute(select(entries.c.form_id).where(*key)).first() is None:
            session.execute(
                entries.insert(),
                {"form_id": p["form_id"], "pass_number": p["pass_number"]} | values,
            )
        else:
            session.execute(update(entries).where(*key).values(values))
        _set_form(session, p["form_id"], status=p["form_status"])


@projector(kinds.RECOVERY_FIELDS_DECIDED)
def _fields_decided(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        _set_form(
            session,
            p["form_id"],
            decisions=p["decisions"],
            decided_by=p["by"],
            final_values=p["final_values"],
            status="to_confirm",
        )


@projector(kinds.RECOVERY_FORM_CONFIRMED)
def _forms_confirmed(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        _set_form(
            session,
            p["form_id"],
            final_values=p["final_values"],
            status="confirmed",
            confirmed_at=parse_instant(p["at"]),
            confirmed_by=p["by"],
        )


@projector(kinds.RECOVERY_FORM_VOIDED)
def _forms_voided(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        _set_form(
            session,
            p["form_id"],
            status="void",
            final_values={"void_reason": p["reason"]},
            confirmed_at=parse_instant(p["at"]),
            confirmed_by=p["by"],
        )


@projector(kinds.IDENTITY_MATCHED)
def _identities_matched(session: Session, payloads: list[dict[str, Any]]) -> None:
    session.execute(
        table_of(IdentityMatchRow).insert(),
        [
            {
                "form_id": p["form_id"],
                "site_id": p["site_id"],
                "outcome": p["outcome"],
                "status": p["status"],
                "patient_id": p["patient_id"],
                "score": p["score"],
                "typed": p["typed"],
                "candidates": p["candidates"],
                "matched_at": parse_instant(p["at"]),
                "decided_by": None,
                "decided_at": None,
            }
            for p in payloads
        ],
    )


@projector(kinds.IDENTITY_DECIDED)
def _identities_decided(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(IdentityMatchRow))
            .where(IdentityMatchRow.form_id == p["form_id"])
            .values(
                status=p["status"],
                patient_id=p["patient_id"],
                decided_by=p["by"],
                decided_at=parse_instant(p["at"]),
            )
        )


@projector(kinds.CONFLICT_RAISED)
def _conflicts_raised(session: Session, payloads: list[dict[str, Any]]) -> None:
    session.execute(
        table_of(RecoveryConflictRow).insert(),
        [
            {
                "id": p["id"],
                "form_id": p["form_id"],
                "site_id": p["site_id"],
                "patient_id": p["patient_id"],
                "case_id": p["case_id"],
                "field": p["field"],
                "paper_value": p["paper_value"],
                "paper_by": p["paper_by"],
                "paper_at": parse_instant(p["paper_at"]),
                "central_value": p["central_value"],
                "central_by": p["central_by"],
                "central_at": parse_instant(p["central_at"]),
                "status": "open",
                "resolution": None,
                "note": "",
                "resolved_by": None,
                "resolved_at": None,
            }
            for p in payloads
        ],
    )


@projector(kinds.CONFLICT_RESOLVED)
def _conflicts_resolved(session: Session, payloads: list[dict[str, Any]]) -> None:
    for p in payloads:
        session.execute(
            update(table_of(RecoveryConflictRow))
            .where(RecoveryConflictRow.id == p["id"])
            .values(
                status="resolved",
                resolution=p["resolution"],
                note=p["note"],
                resolved_by=p["by"],
                resolved_at=parse_instant(p["at"]),
            )
        )
