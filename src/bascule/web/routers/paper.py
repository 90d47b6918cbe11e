"""Paper packets for download, and the forms of a site still out on paper."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bascule.errors import BasculeError
from bascule.paper.codes import display_form_id
from bascule.paper.model import PacketPart
from bascule.paper.packet import parse_parts, print_from_store
from bascule.paper.registry import outstanding
from bascule.store import journal
from bascule.store.queries import require_site
from bascule.web.context import database, render

router = APIRouter()


def _actor(request: Request) -> str:
    # Accounts arrive with the crisis cell; until then the journal names the client.
    host = request.client.host if request.client else "unknown"
    return f"web:{host}"


@router.post("/sites/{site_id}/paper/packet", name="paper_packet")
def paper_packet(
    request: Request,
    site_id: str,
    day: Annotated[str, Form()],
    parts: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Print the site's packet for ``day`` from the store; every form it carries is journaled."""
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        raise BasculeError(f"day {day!r} is not a date YYYY-MM-DD") from None
    db = database(request)
    with db.reading() as session:
        require_site(session, site_id)
    printed = print_from_store(
        db, site_id, chosen, parse_parts(",".join(parts or []), "parts"), actor=_actor(request)
    )
    name = f"bascule-{site_id}-{chosen.isoformat()}.pdf"
    return Response(
        printed.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/sites/{site_id}/paper", response_class=HTMLResponse, name="paper_page")
def paper_page(request: Request, site_id: str) -> HTMLResponse:
    """The packet form and the site's outstanding forms."""
    db = database(request)
    with db.reading() as session:
        site_name = require_site(session, site_id).name
        forms = outstanding(session, site_id)
        seq, _ = journal.head(session)
    context = {
        "site_id": site_id,
        "site_name": site_name,
        "today": db.clock.now().date().isoformat(),
        "parts": [part.value for part in PacketPart],
        "forms": forms,
        "display_form_id": display_form_id,
    }
    return render(request, "paper.html", context, journal_seq=seq)
