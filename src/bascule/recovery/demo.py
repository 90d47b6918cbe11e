"""The recovery step of ``bascule demo``: Rennes's day of paper typed back to zero.

The paper Rennes printed for the first crisis day comes back filled in (with the slips
people make) or unused; two clerks type it, critical forms twice; an identity-vigilance
referent settles the disagreements and the doubtful identities; the OR scheduler settles
the one case the centre had postponed while the theatre operated it on paper, and gives
every postponed patient a new date; the completeness report reaches zero and the
incident closes without a waiver.
"""

import random
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bascule.clock import GROUP_TIME_ZONE, SimulatedClock
from bascule.crisis import accounts
from bascule.crisis.incidents import change_phase, incidents
from bascule.crisis.roles import Actor, Role
from bascule.domain.cases import Booking, CaseStatus
from bascule.recovery.completeness import STAGES, Completeness, completeness, error_rates
from bascule.recovery.double_entry import Mismatch
from bascule.recovery.forms import canonical, field_spec
from bascule.recovery.identities import decide_identity, match_confirmed, queue
from bascule.recovery.paper_day import FilledForm, paper_day
from bascule.recovery.reconcile import open_conflicts, resolve_conflict
from bascule.recovery.reentry import (
    Window,
    confirm_form,
    decide_fields,
    incident_window,
    mismatches,
    open_form,
    save_entry,
    void_form,
)
from bascule.replan.source import case_from_row
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import SurgicalCaseRow, TheatreRow

SITE = "rennes"


@dataclass(frozen=True, slots=True)
class RecoveryDemo:
    """What the recovery step did, in figures."""

    typed: int
    voided: int
    slips_caught: int
    settled: int
    linked: int
    queued: int
    new: int
    rebooked: int


def _account(db: Database, credentials: Path, username: str, name: str, role: Role) -> Actor:
    """A demo account, its password added to the demo's credentials file."""
    password = secrets.token_urlsafe(12)
    accounts.add_user(
        db,
        username=username,
        display_name=name,
        role=role,
        sites=[],
        password=password,
        actor="demo",
    )
    with credentials.open("a", encoding="utf-8") as out:
        out.write(f"{username}\t{role}\t{password}\n")
    return Actor(username, name, role, ())


def _corrected(form: FilledForm, typed: dict[str, str], problems: list[str]) -> dict[str, str]:
    """What the clerk types after the form showed which fields are wrong: the paper's."""
    return typed | {name: form.truth.get(name, "") for name in problems}


def _type(
    db: Database, clerk: Actor, form: FilledForm, typed: dict[str, str], window: Window
) -> int:
    saved = save_entry(db, clerk, form.form_id, typed, submit=True, window=window)
    if saved.submitted:
        return 0
    fixed = _corrected(form, typed, [p.field for p in saved.problems])
    again = save_entry(db, clerk, form.form_id, fixed, submit=True, window=window)
    if not again.submitted:
        raise RuntimeError(f"demo form {form.form_id} still refused: {again.problems}")
    return len(saved.problems)


def _decisions(form: FilledForm, found: list[Mismatch]) -> tuple[dict[str, str], dict[str, str]]:
    decisions, others = {}, {}
    for mismatch in found:
        spec = field_spec(mismatch.field, form.form_type)
        truth = canonical(spec, form.truth.get(mismatch.field, ""))
        if canonical(spec, mismatch.first) == truth:
            decisions[mismatch.field] = "first"
        elif canonical(spec, mismatch.second) == truth:
            decisions[mismatch.field] = "second"
        else:
            decisions[mismatch.field] = "other"
            others[mismatch.field] = form.truth.get(mismatch.field, "")
    return decisions, others


def _postpone_one_centrally(db: Database, scheduler: Actor, day: date) -> None:
    """The centre postpones a case of the day, not knowing the theatre operated it."""
    with db.writing() as session:
        row = session.scalars(
            select(SurgicalCaseRow)
            .where(
                SurgicalCaseRow.site_id == SITE,
                SurgicalCaseRow.booked_day == day,
                SurgicalCaseRow.status == CaseStatus.BOOKED.value,
            )
            .order_by(SurgicalCaseRow.booked_start_minute, SurgicalCaseRow.id)
            .limit(1)
        ).first()
        if row is None:
            return
        change = changes.case_status_changed(
            row.id, row.site_id, CaseStatus.POSTPONED, "report faute de bloc (mode dégradé)"
        )
        journal.append(session, [change], actor=f"web:{scheduler.username}", at=db.clock.now())


def _rebook_postponed(db: Database, scheduler: Actor, first_day: date) -> int:
    """The OR scheduler calls each postponed patient and gives them a new date."""
    with db.writing() as session:
        rows = list(
            session.scalars(
                select(SurgicalCaseRow)
                .where(
                    SurgicalCaseRow.status.in_(
                        [CaseStatus.POSTPONED.value, CaseStatus.REDIRECTED.value]
                    ),
                    SurgicalCaseRow.booked_day.is_(None),
                )
                .order_by(SurgicalCaseRow.site_id, SurgicalCaseRow.priority, SurgicalCaseRow.id)
            )
        )
        theatres = {
            row.site_id: row.id
            for row in session.scalars(select(TheatreRow).order_by(TheatreRow.id.desc()))
        }
        found = []
        for number, row in enumerate(rows):
            day = first_day + timedelta(days=number // 4)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            booking = Booking(day, theatres[row.site_id], 480 + 120 * (number % 4))
            found.append(
                changes.case_updated(
                    replace(case_from_row(row), booking=booking, status=CaseStatus.BOOKED)
                )
            )
        if found:
            journal.append(session, found, actor=f"web:{scheduler.username}", at=db.clock.now())
    return len(rows)


def run_recovery_demo(
    db: Database, clock: SimulatedClock, console: Console, *, day: date, credentials: Path
) -> RecoveryDemo:
    """Type Rennes's paper back, settle every queue, and close the incident at zero."""
    rng = random.Random(20261130)
    first = _account(db, credentials, "saisie1", "Nolwenn Le Bris", Role.CLERK)
    second = _account(db, credentials, "saisie2", "Tristan Cariou", Role.CLERK)
    vigilance = _account(db, credentials, "identito", "Soizic Le Roux", Role.IDENTITY_VIGILANCE)
    scheduler = Actor("bloc", "Erwan Tanguy", Role.OR_SCHEDULER, ())
    lead = Actor("direction", "Gwenaëlle Le Floch", Role.CRISIS_LEAD, ())
    _postpone_one_centrally(db, scheduler, day)
    clock.advance(timedelta(days=2))
    with db.reading() as session:
        window = incident_window(session, clock.now())
        paper = paper_day(session, SITE, day, rng)
    slips = settled = 0
    for form in paper.filled:
        open_form(db, first, form.form_id)
        slips += _type(db, first, form, form.typings[0], window)
        if len(form.typings) > 1:
            slips += _type(db, second, form, form.typings[1], window)
            found = mismatches(db, form.form_id, window)
            if found:
                decisions, others = _decisions(form, found)
                decide_fields(db, vigilance, form.form_id, decisions, other_values=others)
                settled += len(found)
        confirm_form(db, vigilance, form.form_id, window=window)
    for form_id in paper.unused:
        open_form(db, first, form_id)
        void_form(db, first, form_id, "rendu vierge, non utilisé")
    console.print(
        f"{len(paper.filled)} forms typed ({sum(len(f.typings) > 1 for f in paper.filled)} of "
        f"them twice), {len(paper.unused)} blank forms returned unused; {slips} slips caught as "
        f"typed, {settled} disagreements between clerks settled by a third person"
    )
    matched = match_confirmed(db, vigilance)
    known = {form.form_id: form.known_patient for form in paper.filled}
    with db.reading() as session:
        waiting = [row.form_id for row in queue(session)]
    for form_id in waiting:
        patient = known.get(form_id)
        if patient is not None:
            decide_identity(db, vigilance, form_id, "link", patient_id=patient)
        else:
            decide_identity(db, vigilance, form_id, "new")
    console.print(
        f"identities typed from paper: {matched.linked} linked for sure, {matched.queued} "
        f"decided by the identity-vigilance referent, {matched.new} new provisional"
    )
    with db.reading() as session:
        conflicts = open_conflicts(session)
    for conflict in conflicts:
        console.print(
            f"conflict on case {conflict.case_id}: paper {conflict.paper_value!r} "
            f"({conflict.paper_by}) against the centre {conflict.central_value!r} "
            f"({conflict.central_by}) → paper kept",
            highlight=False,
        )
        resolve_conflict(db, scheduler, conflict.id, "paper", "opéré le jour même, vu au bloc")
    rebooked = _rebook_postponed(db, scheduler, day + timedelta(days=14))
    console.print(f"{rebooked} postponed or redirected patients given a new date")
    with db.reading() as session:
        state = completeness(session, SITE)
        rates = error_rates(session, SITE)
    console.print(_report(state))
    for clerk, rate in rates.items():
        console.print(
            f"  {clerk}: {rate.errors} of {rate.fields_typed} fields not kept ({rate.rate:.1%})"
        )
    with db.reading() as session:
        group = completeness(session)
    if group.complete:
        incidents_open = _open_incident(db)
        if incidents_open is not None:
            change_phase(db, lead, incidents_open, "recovery", "reprise des systèmes")
            change_phase(db, lead, incidents_open, "closed", "tout le papier est réintégré")
            console.print(f"incident {incidents_open} closed: nothing outstanding")
    return RecoveryDemo(
        typed=len(paper.filled),
        voided=len(paper.unused),
        slips_caught=slips,
        settled=settled,
        linked=matched.linked,
        queued=matched.queued,
        new=matched.new,
        rebooked=rebooked,
    )


def _open_incident(db: Database) -> str | None:
    with db.reading() as session:
        found = incidents(session, open_only=True)
    return found[0].id if found else None


def _report(state: Completeness) -> Table:
    table = Table("site", "ward", *STAGES, "outstanding", title="Completeness at Rennes")
    for line in state.forms:
        table.add_row(
            line.site_id,
            line.ward_id or "",
            *(str(getattr(line, stage)) for stage in STAGES),
            str(line.outstanding),
        )
    return table


def demo_day_start(day: date) -> datetime:
    """06:40 on the first crisis day, when Rennes loses its systems."""
    return datetime.combine(day, time(6, 40), GROUP_TIME_ZONE)
