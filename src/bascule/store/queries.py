"""Read-side queries shared by the CLI, the web application and the demo."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bascule.errors import UnknownEntityError
from bascule.store.tables import (
    BedRow,
    DowntimeRangeRow,
    PatientLocalIdRow,
    PatientRow,
    SiteRow,
    StayRow,
    SurgeonRow,
    SurgeonSiteRow,
    SurgicalCaseRow,
    TheatreRow,
    WardRow,
)


@dataclass(frozen=True, slots=True)
class SiteSummary:
    """Counts that describe one site at a glance."""

    id: str
    name: str
    city: str
    latitude: float
    longitude: float
    theatres: int
    wards: int
    beds: int
    occupied_beds: int
    surgeons: int
    patients: int
    booked_cases: int

    @property
    def occupancy(self) -> float:
        """Share of beds with a current stay (0 when the site has no beds)."""
        return self.occupied_beds / self.beds if self.beds else 0.0


def _count_by_site(
    session: Session, site_column: InstrumentedAttribute[str], *where: ColumnElement[bool]
) -> dict[str, int]:
    query = select(site_column, func.count()).group_by(site_column).where(*where)
    return dict(session.execute(query).all())


def site_summaries(session: Session) -> list[SiteSummary]:
    """One summary per site, ordered by site id."""
    theatres = _count_by_site(session, TheatreRow.site_id)
    wards = _count_by_site(session, WardRow.site_id)
    beds_query = (
        select(WardRow.site_id, func.count())
        .select_from(BedRow)
        .join(WardRow, WardRow.id == BedRow.ward_id)
        .group_by(WardRow.site_id)
    )
    beds = dict(session.execute(beds_query).all())
    occupied = _count_by_site(session, StayRow.site_id, StayRow.discharged_at.is_(None))
    surgeons = _count_by_site(session, SurgeonSiteRow.site_id)
    patients = _count_by_site(session, PatientLocalIdRow.site_id)
    booked = _count_by_site(session, SurgicalCaseRow.site_id, SurgicalCaseRow.status == "booked")
    return [
        SiteSummary(
            id=site.id,
            name=site.name,
            city=site.city,
            latitude=site.latitude,
            longitude=site.longitude,
            theatres=theatres.get(site.id, 0),
            wards=wards.get(site.id, 0),
            beds=beds.get(site.id, 0),
            occupied_beds=occupied.get(site.id, 0),
            surgeons=surgeons.get(site.id, 0),
            patients=patients.get(site.id, 0),
            booked_cases=booked.get(site.id, 0),
        )
        for site in session.scalars(select(SiteRow).order_by(SiteRow.id))
    ]


def require_site(session: Session, site_id: str) -> SiteRow:
    """The site row, or UnknownEntityError listing the known site ids."""
    site = session.get(SiteRow, site_id)
    if site is None:
        raise unknown_site(session, site_id)
    return site


def unknown_site(session: Session, site_id: str) -> UnknownEntityError:
    """The error for an unknown site id, naming the sites that do exist."""
    known = ", ".join(session.scalars(select(SiteRow.id).order_by(SiteRow.id))) or "none"
    return UnknownEntityError(f"unknown site id {site_id!r} (known sites: {known})")


def patient_count(session: Session) -> int:
    """Number of people in the patient index."""
    return int(session.scalar(select(func.count()).select_from(PatientRow)) or 0)


def surgeon_count(session: Session) -> int:
    """Number of distinct surgeons of the group (one may operate at several sites)."""
    return int(session.scalar(select(func.count()).select_from(SurgeonRow)) or 0)


@dataclass(frozen=True, slots=True)
class GroupTotals:
    """The totals row: sums for capacities, distinct people for surgeons and patients."""

    theatres: int
    wards: int
    beds: int
    occupied_beds: int
    surgeons: int
    patients: int
    booked_cases: int

    @property
    def occupancy(self) -> float:
        """Share of the group's beds with a current stay (0 without beds)."""
        return self.occupied_beds / self.beds if self.beds else 0.0


def group_totals(session: Session, summaries: list[SiteSummary]) -> GroupTotals:
    """Totals over ``summaries``.

    A surgeon operating at two sites, or a patient known to two, appears in both sites'
    counts: summing them would overstate the people the group has, so those two totals
    count distinct people instead.
    """
    return GroupTotals(
        theatres=sum(s.theatres for s in summaries),
        wards=sum(s.wards for s in summaries),
        beds=sum(s.beds for s in summaries),
        occupied_beds=sum(s.occupied_beds for s in summaries),
        surgeons=surgeon_count(session),
        patients=patient_count(session),
        booked_cases=sum(s.booked_cases for s in summaries),
    )


def downtime_ranges(session: Session, site_id: str) -> list[DowntimeRangeRow]:
    """Downtime identifier ranges reserved for ``site_id``, oldest first."""
    return list(
        session.scalars(
            select(DowntimeRangeRow)
            .where(DowntimeRangeRow.site_id == site_id)
            .order_by(DowntimeRangeRow.first_serial)
        )
    )
