"""The re-planning problem read from the store, with the patients to call."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre, Site
from bascule.domain.staff import Surgeon
from bascule.planning.problem import Problem
from bascule.planning.report import Contact
from bascule.replan.scenario import Scenario
from bascule.store.queries import require_site
from bascule.store.tables import (
    PatientRow,
    SiteRow,
    SurgeonRow,
    SurgeonSiteRow,
    SurgicalCaseRow,
    TheatreRow,
)


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """A problem and the contact details of the patients it concerns."""

    problem: Problem
    contacts: dict[str, Contact]


def problem_from_store(session: Session, scenario: Scenario) -> StoreProblem:
    """The cases booked in the scenario's horizon and the postponed ones waiting for a slot.

    Cases already done in the horizon, booked before ``frozen_until`` or listed as frozen
    keep their booking; the solver plans around them.
    """
    for disruption in scenario.disruptions:
        require_site(session, disruption.site_id)
    sites = tuple(_site(row) for row in session.scalars(select(SiteRow).order_by(SiteRow.id)))
    theatres = tuple(
        _theatre(row) for row in session.scalars(select(TheatreRow).order_by(TheatreRow.id))
    )
    surgeons = _surgeons(session)
    end = scenario.start.toordinal() + scenario.horizon
    last = date.fromordinal(end - 1)
    rows = session.scalars(
        select(SurgicalCaseRow)
        .where(
            or_(
                and_(
                    SurgicalCaseRow.booked_day >= scenario.start,
                    SurgicalCaseRow.booked_day <= last,
                    SurgicalCaseRow.status.in_([CaseStatus.BOOKED.value, CaseStatus.DONE.value]),
                ),
                and_(
                    SurgicalCaseRow.booked_day.is_(None),
                    SurgicalCaseRow.status == CaseStatus.POSTPONED.value,
                    SurgicalCaseRow.release_on <= last,
                ),
            )
        )
        .order_by(SurgicalCaseRow.id)
    ).all()
    cases = tuple(case_from_row(row) for row in rows)
    frozen = set(scenario.frozen)
    for case in cases:
        if case.status is CaseStatus.DONE or (
            scenario.frozen_until is not None
            and case.booking is not None
            and case.booking.day < scenario.frozen_until
        ):
            frozen.add(case.id)
    problem = Problem(
        start=scenario.start,
        days=scenario.horizon,
        sites=sites,
        theatres=theatres,
        surgeons=surgeons,
        cases=cases,
        disruptions=scenario.disruptions,
        frozen=frozenset(frozen),
        max_overtime_minutes=scenario.overtime_minutes,
        weights=scenario.weights,
    )
    return StoreProblem(problem, _contacts(session, {case.patient_id for case in cases}))


def _site(row: SiteRow) -> Site:
    return Site(row.id, row.name, row.city, row.latitude, row.longitude, tuple(row.specialties))


def _theatre(row: TheatreRow) -> OperatingTheatre:
    minutes = tuple(int(m) for m in row.opening_minutes)
    return OperatingTheatre(
        row.id,
        row.site_id,
        row.name,
        cast(tuple[int, int, int, int, int, int, int], minutes),
        tuple(row.specialties),
    )


def _surgeons(session: Session) -> tuple[Surgeon, ...]:
    sites: dict[str, list[str]] = defaultdict(list)
    for link in session.scalars(select(SurgeonSiteRow).order_by(SurgeonSiteRow.site_id)):
        sites[link.surgeon_id].append(link.site_id)
    return tuple(
        Surgeon(
            row.id,
            row.family_name,
            row.given_name,
            row.specialty,
            tuple(sites[row.id]),
            row.max_daily_minutes,
            row.phone,
        )
        for row in session.scalars(select(SurgeonRow).order_by(SurgeonRow.id))
        if sites[row.id]
    )


def case_from_row(row: SurgicalCaseRow) -> SurgicalCase:
    """The domain case a table row holds."""
    booking = None
    if row.booked_day is not None and row.booked_theatre_id is not None:
        booking = Booking(row.booked_day, row.booked_theatre_id, row.booked_start_minute or 0)
    return SurgicalCase(
        id=row.id,
        patient_id=row.patient_id,
        site_id=row.site_id,
        specialty=row.specialty,
        procedure=row.procedure,
        expected_minutes=row.expected_minutes,
        priority=PriorityClass(row.priority),
        listed_on=row.listed_on,
        release_on=row.release_on,
        surgeon_id=row.surgeon_id,
        ccam_code=row.ccam_code,
        booking=booking,
        status=CaseStatus(row.status),
        transferable=row.transferable,
        not_transferable_reason=row.not_transferable_reason,
    )


def _contacts(session: Session, patient_ids: set[str]) -> dict[str, Contact]:
    contacts: dict[str, Contact] = {}
    ids = sorted(patient_ids)
    for chunk in range(0, len(ids), 500):
        for row in session.scalars(
            select(PatientRow).where(PatientRow.id.in_(ids[chunk : chunk + 500]))
        ):
            name = f"{row.used_name or row.birth_family_name} {row.first_given_name}".strip()
            contacts[row.id] = Contact(name, row.emergency_contact_phone)
    return contacts
