"""What every request handler needs: the database, the language, and page rendering."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bascule import __version__
from bascule.crisis.roles import Actor, Permission
from bascule.store.database import Database
from bascule.web.i18n import Translator, negotiate

TEMPLATES = Path(__file__).with_name("templates")

# Each entry is (path, message key, the permission it needs to be shown).
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/", "nav.sites", Permission.READ),
    ("/crisis", "nav.crisis", Permission.READ),
    ("/incidents", "nav.incidents", Permission.READ),
    ("/alerts", "nav.alerts", Permission.READ),
    ("/recovery", "nav.recovery", Permission.READ),
    ("/audit", "nav.audit", Permission.AUDIT),
)

# StrictUndefined turns a misspelt variable into an error in tests instead of a blank cell.
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def database(request: Request) -> Database:
    """The database the application was created with."""
    db: Database = request.app.state.db
    return db


def translator(request: Request) -> Translator:
    """The translator for the language this request asks for."""
    lang, explicit = negotiate(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    return Translator(lang, explicit)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    journal_seq: int | None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` inside the common layout.

    ``journal_seq`` is the journal position the page's data was read at (None when the
    page shows no data, e.g. an error), printed in the footer so that a paper copy says
    how fresh it is. Every template also gets ``actor`` and ``csrf_token``, the signed-in
    user and the token their forms must carry, which ``bascule.web.auth.current_actor``
    leaves on ``request.state`` (None and "" when nobody is signed in).
    """
    db = database(request)
    t = translator(request)
    actor: Actor | None = getattr(request.state, "actor", None)
    page = {
        "t": t,
        "path": request.url.path,
        "nav": [(href, key) for href, key, permission in NAV if actor and actor.may(permission)],
        "db_description": db.description,
        "journal_seq": journal_seq,
        "generated_at": t.moment(db.clock.now()),
        "version": __version__,
        "actor": actor,
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    html = _environment.get_template(template).render({**page, **context})
    return HTMLResponse(html, status_code=status_code)
