"""The form registry: packets and forms issued, forms returned, forms still out.

Everything goes through the journal. A packet printed from a kit on a laptop without
the server is registered later from the ``.forms.json`` file written beside its PDF.
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.errors import BasculeError
from bascule.paper.codes import FormCode, FormCodeError, normalise_form_id
from bascule.paper.issuing import IssuedForm
from bascule.paper.model import FormType, PacketData, PacketPart
from bascule.paper.scan import ScanProblem, ScanResult
from bascule.store import journal
from bascule.store.canonical import canonical_instant, parse_instant
from bascule.store.journal import Change
from bascule.store.kinds import PAPER_FORMS_RETURNED, PAPER_PACKET_ISSUED
from bascule.store.queries import require_site
from bascule.store.tables import PaperFormRow, PaperPacketRow

ISSUE_SCHEMA = "bascule-paper-issue/1"


class RegistryError(BasculeError):
    """An issue record that cannot be registered."""


def new_packet_id() -> str:
    """A fresh packet id."""
    return uuid.uuid4().hex


def issue_record(
    packet_id: str,
    data: PacketData,
    parts: Sequence[PacketPart],
    issued: Sequence[IssuedForm],
    *,
    pages: int,
    pdf_sha256: str,
    actor: str,
    at: datetime,
) -> dict[str, Any]:
    """What the journal (or the file beside a kit-printed PDF) keeps of one printed packet."""
    return {
        "schema": ISSUE_SCHEMA,
        "id": packet_id,
        "site_id": data.site_id,
        "day": data.day.isoformat(),
        "issued_at": canonical_instant(at),
        "issued_by": actor,
        "source": data.source,
        "seq": data.seq,
        "parts": [part.value for part in parts],
        "pages": pages,
        "pdf_sha256": pdf_sha256,
        "forms": [
            [
                form.code.form_id,
                form.code.form_type.value,
                form.code.patient_id,
                form.code.case_id,
                form.ward_id,
                form.page,
                form.title,
                form.code.form_type.returnable,
            ]
            for form in issued
        ],
    }


def _check_record(record: dict[str, Any], where: str) -> None:
    """Refuse a malformed issue record, naming the field."""
    if record.get("schema") != ISSUE_SCHEMA:
        raise RegistryError(
            f"{where}: not a bascule issue record (schema {record.get('schema')!r})"
        )
    for field, kind in (
        ("id", str),
        ("site_id", str),
        ("day", str),
        ("issued_at", str),
        ("issued_by", str),
        ("source", str),
        ("seq", int),
        ("parts", list),
        ("pages", int),
        ("pdf_sha256", str),
        ("forms", list),
    ):
        if not isinstance(record.get(field), kind):
            raise RegistryError(f"{where}: field {field!r} is missing or not a {kind.__name__}")
    try:
        date.fromisoformat(record["day"])
        parse_instant(record["issued_at"])
    except ValueError as exc:
        raise RegistryError(f"{where}: {exc}") from None
    for index, form in enumerate(record["forms"]):
        place = f"{where}: forms[{index}]"
        if not isinstance(form, list) or len(form) != 8:
            raise RegistryError(f"{place}: expected 8 fields")
        try:
            normalise_form_id(str(form[0]))
            expected = FormType(form[1]).returnable
        except (FormCodeError, ValueError) as exc:
            raise RegistryError(f"{place}: {exc}") from None
        if form[7] is not expected:
            raise RegistryError(f"{place}: returnable flag does not match form type {form[1]}")


def register(
    session: Session, record: dict[str, Any], *, actor: str, at: datetime, where: str
) -> int:
    """Journal an issue record; returns the number of forms. Run in ``Database.writing``.

    A packet or a form id already known is refused, so registering the same file twice
    changes nothing.
    """
    _check_record(record, where)
    require_site(session, record["site_id"])
    journal.lock(session)
    if session.get(PaperPacketRow, record["id"]) is not None:
        raise RegistryError(f"{where}: packet {record['id']} is already registered")
    form_ids = [form[0] for form in record["forms"]]
    repeated = [form_id for form_id, seen in Counter(form_ids).items() if seen > 1]
    known = session.scalars(
        select(PaperFormRow.form_id).where(PaperFormRow.form_id.in_(form_ids[:5000]))
    ).first()
    if repeated or known:
        raise RegistryError(f"{where}: form id {(repeated or [known])[0]} is already issued")
    payload = {key: value for key, value in record.items() if key != "schema"}
    change = Change(PAPER_PACKET_ISSUED, "paper_packet", record["id"], payload, record["site_id"])
    journal.append(session, [change], actor=actor, at=at)
    return len(form_ids)


@dataclass(frozen=True, slots=True)
class ScanFinding:
    """What one code or page of a scan meant for the registry."""

    source: str
    page: int | None
    form_id: str | None
    outcome: str
    detail: str


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The result of scanning paper back: what was returned and what went wrong."""

    pages: int
    returned: tuple[ScanFinding, ...]
    duplicates: tuple[ScanFinding, ...]
    unknown: tuple[ScanFinding, ...]
    unreadable: tuple[ScanFinding, ...]
    mismatched: tuple[ScanFinding, ...]


def _problem(problem: ScanProblem) -> ScanFinding:
    return ScanFinding(problem.source, problem.page, None, "unreadable", problem.message)


def _matches(row: PaperFormRow, code: FormCode) -> bool:
    """A page's own code carries the form's patient and case; codes printed inside the
    form (one per case on an OR list, one per label) carry their own."""
    if row.form_type != code.form_type.value or row.site_id != code.site_id:
        return False
    return code.patient_id == row.patient_id or row.patient_id is None


def record_scan(session: Session, scan: ScanResult, *, actor: str, at: datetime) -> ScanReport:
    """Mark every form found in ``scan`` returned and journal it; report the rest.

    A form already returned, or found on two pages of this scan, is reported as a
    duplicate and counted once. Run it in ``Database.writing``.
    """
    journal.lock(session)
    codes = [item for item in scan.codes if item.code is not None]
    form_ids = sorted({item.code.form_id for item in codes if item.code is not None})
    rows = {
        row.form_id: row
        for start in range(0, len(form_ids), 2000)
        for row in session.scalars(
            select(PaperFormRow).where(PaperFormRow.form_id.in_(form_ids[start : start + 2000]))
        )
    }
    returned: list[ScanFinding] = []
    duplicates: list[ScanFinding] = []
    unknown: list[ScanFinding] = []
    mismatched: list[ScanFinding] = []
    unreadable = [
        ScanFinding(item.source, item.page, None, "unreadable", item.problem or "not a form code")
        for item in scan.codes
        if item.code is None
    ] + [_problem(problem) for problem in scan.problems]
    first_seen: dict[str, str] = {}
    for item in codes:
        code = item.code
        assert code is not None  # filtered above; narrows the type
        where = f"{item.source} page {item.page}"
        row = rows.get(code.form_id)
        if row is None:
            unknown.append(
                ScanFinding(item.source, item.page, code.form_id, "unknown", "form id never issued")
            )
            continue
        if not _matches(row, code):
            detail = (
                f"code says {code.form_type.value} of {code.site_id}, "
                f"registry {row.form_type} of {row.site_id}"
            )
            mismatched.append(ScanFinding(item.source, item.page, code.form_id, "mismatch", detail))
            continue
        seen_at = first_seen.get(code.form_id)
        if seen_at == where:
            continue  # several codes of the same form on one page
        if seen_at is not None or row.returned_at is not None:
            earlier = seen_at or f"{row.returned_in} ({canonical_instant(row.returned_at or at)})"
            duplicates.append(
                ScanFinding(
                    item.source,
                    item.page,
                    code.form_id,
                    "duplicate",
                    f"already returned in {earlier}",
                )
            )
            continue
        first_seen[code.form_id] = where
        returned.append(ScanFinding(item.source, item.page, code.form_id, "returned", row.title))
    if returned:
        scan_id = uuid.uuid4().hex
        payload = {
            "id": scan_id,
            "returned_at": canonical_instant(at),
            "forms": [
                [finding.form_id, f"{finding.source} page {finding.page}"] for finding in returned
            ],
        }
        journal.append(
            session,
            [Change(PAPER_FORMS_RETURNED, "paper_scan", scan_id, payload)],
            actor=actor,
            at=at,
        )
    return ScanReport(
        scan.pages,
        tuple(returned),
        tuple(duplicates),
        tuple(unknown),
        tuple(unreadable),
        tuple(mismatched),
    )


@dataclass(frozen=True, slots=True)
class OutstandingForm:
    """A returnable form issued and not yet scanned back."""

    form_id: str
    form_type: str
    title: str
    ward_id: str | None
    patient_id: str | None
    case_id: str | None
    issued_at: datetime
    issued_by: str
    day: date


def outstanding(session: Session, site_id: str) -> list[OutstandingForm]:
    """Returnable forms of ``site_id`` still out, oldest packet first."""
    require_site(session, site_id)
    query = (
        select(PaperFormRow, PaperPacketRow)
        .join(PaperPacketRow, PaperPacketRow.id == PaperFormRow.packet_id)
        .where(
            PaperFormRow.site_id == site_id,
            PaperFormRow.returnable.is_(True),
            PaperFormRow.returned_at.is_(None),
        )
        .order_by(PaperPacketRow.issued_at, PaperFormRow.page)
    )
    return [
        OutstandingForm(
            form.form_id,
            form.form_type,
            form.title,
            form.ward_id,
            form.patient_id,
            form.case_id,
            packet.issued_at,
            packet.issued_by,
            packet.day,
        )
        for form, packet in session.execute(query)
    ]
