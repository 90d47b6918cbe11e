"""The sites of the group: the overview page, one page per site, and the JSON list.

Any signed-in user may read them.
"""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from bascule.crisis.roles import Permission
from bascule.store import journal
from bascule.store.queries import group_totals, require_site, site_summaries
from bascule.web.auth import require
from bascule.web.context import database, render

router = APIRouter(dependencies=[Depends(require(Permission.READ))])


class SiteSummaryModel(BaseModel):
    """One site's counts as served by ``GET /api/sites``."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    city: str
    latitude: float
    longitude: float
    theatres: int
    wards: int
    beds: int
    occupied_beds: int
    occupancy: float
    surgeons: int
    patients: int
    booked_cases: int


@router.get("/", response_class=HTMLResponse, name="site_list")
def site_list(request: Request) -> HTMLResponse:
    """Every site with its counts, and the group's totals."""
    with database(request).reading() as session:
        summaries = site_summaries(session)
        totals = group_totals(session, summaries)
        seq, _ = journal.head(session)
    context = {"sites": summaries, "totals": totals}
    return render(request, "sites.html", context, journal_seq=seq)


@router.get("/sites/{site_id}", response_class=HTMLResponse, name="site_page")
def site_page(request: Request, site_id: str) -> HTMLResponse:
    """One site's counts; 404 naming the known sites when ``site_id`` is unknown."""
    with database(request).reading() as session:
        # The rollback that ends a read expires the row: take what it says before.
        specialties = list(require_site(session, site_id).specialties)
        summary = next(s for s in site_summaries(session) if s.id == site_id)
        seq, _ = journal.head(session)
    context = {"site": summary, "specialties": specialties}
    return render(request, "site.html", context, journal_seq=seq)


@router.get("/api/sites", name="api_sites")
def api_sites(request: Request) -> list[SiteSummaryModel]:
    """The site summaries as JSON, ordered by site id."""
    with database(request).reading() as session:
        summaries = site_summaries(session)
    return [SiteSummaryModel.model_validate(s, from_attributes=True) for s in summaries]
