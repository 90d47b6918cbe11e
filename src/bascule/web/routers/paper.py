"""Paper packets for download, and the forms of a site still out on paper.

Any signed-in user may see the pages; printing needs the print-paper permission for the
site, since a packet carries its patients' data.
"""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bascule.crisis.records import actor_name
from bascule.crisis.roles import Actor, Permission
from bascule.errors import BasculeError, UnknownEntityError
from bascule.paper.codes import display_form_id
from bascule.paper.model import PacketPart
from bascule.paper.offline import KitSource
from bascule.paper.packet import parse_parts, print_from_store
from bascule.paper.registry import outstanding
from bascule.store import journal
from bascule.store.queries import require_site
from bascule.web.auth import SignedIn, require
from bascule.web.context import database, render

router = APIRouter(dependencies=[Depends(require(Permission.READ))])
Printer = Annotated[Actor, Depends(require(Permission.PRINT_PAPER))]


class NotFoundError(UnknownEntityError):
    """A page this server does not offer in its current deployment."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BasculeError(f"day {text!r} is not a date YYYY-MM-DD") from None


def _pdf(site_id: str, day: date, pdf: bytes) -> Response:
    name = f"bascule-{site_id}-{day.isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _part_labels() -> list[tuple[str, str]]:
    """Each part's value and the message key of its label."""
    return [(part.value, f"paper.part.{part.value}") for part in PacketPart]


@router.post("/sites/{site_id}/paper/packet", name="paper_packet")
def paper_packet(
    request: Request,
    actor: Printer,
    site_id: str,
    day: Annotated[str, Form()],
    parts: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Print the site's packet for ``day`` from the store; every form it carries is journaled."""
    actor.check(Permission.PRINT_PAPER, site_id)
    chosen = _day(day)
    db = database(request)
    with db.reading() as session:
        require_site(session, site_id)
    printed = print_from_store(
        db, site_id, chosen, parse_parts(",".join(parts or []), "parts"), actor=actor_name(actor)
    )
    return _pdf(site_id, chosen, printed.pdf)


def _kit_source(request: Request) -> KitSource:
    source = getattr(request.app.state, "paper_kit_source", None)
    if not isinstance(source, KitSource):
        raise NotFoundError(
            "no kit directory here: start the server with 'bascule serve --kit-dir DIR'"
        )
    return source


@router.get("/paper/kit", response_class=HTMLResponse, name="paper_kit_page")
def paper_kit_page(request: Request, actor: SignedIn) -> HTMLResponse:
    """On a crisis laptop: print from the local kit, and the issue files still to register."""
    source = _kit_source(request)
    site_id = source.site()
    context = {
        "site_id": site_id,
        "may_print": actor.may(Permission.PRINT_PAPER, site_id),
        "directory": str(source.directory),
        "parts": _part_labels(),
        "pending": [str(path) for path in source.pending_issue_files()],
    }
    return render(request, "paper_kit.html", context, journal_seq=None)


@router.post("/paper/kit/packet", name="paper_kit_packet")
def paper_kit_packet(
    request: Request,
    actor: Printer,
    passphrase: Annotated[str, Form()],
    day: Annotated[str, Form()] = "",
    parts: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The packet from the newest local kit, with no database; its forms go to an issue file."""
    source = _kit_source(request)
    actor.check(Permission.PRINT_PAPER, source.site())
    chosen = _day(day) if day else None
    printed, _ = source.print_packet(
        passphrase,
        chosen,
        parse_parts(",".join(parts or []), "parts"),
        actor=actor_name(actor),
        at=datetime.now(UTC),
    )
    return _pdf(printed.data.site_id, printed.data.day, printed.pdf)


@router.get("/sites/{site_id}/paper", response_class=HTMLResponse, name="paper_page")
def paper_page(request: Request, actor: SignedIn, site_id: str) -> HTMLResponse:
    """The packet form (for those who may print for the site) and its outstanding forms."""
    db = database(request)
    with db.reading() as session:
        site_name = require_site(session, site_id).name
        forms = outstanding(session, site_id)
        seq, _ = journal.head(session)
    context = {
        "site_id": site_id,
        "site_name": site_name,
        "may_print": actor.may(Permission.PRINT_PAPER, site_id),
        "today": db.clock.now().date().isoformat(),
        "parts": _part_labels(),
        "forms": forms,
        "display_form_id": display_form_id,
    }
    return render(request, "paper.html", context, journal_seq=seq)
