"""The one FastAPI application of the group server, to which each area adds its router."""

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bascule import __version__
from bascule.crisis.alert_rules import default_rules, load_rules
from bascule.store.database import Database
from bascule.web.auth import install_auth
from bascule.web.errors import install_error_handlers
from bascule.web.routers import (
    alerts,
    auth,
    crisis,
    feeds,
    health,
    kits,
    paper,
    recovery,
    recovery_queues,
    sites,
)
from bascule.web.security import SecurityHeadersMiddleware

STATIC = Path(__file__).with_name("static")


def create_app(db: Database) -> FastAPI:
    """The web application serving ``db``."""
    # The interactive API docs load scripts from a CDN, which the CSP (rightly) forbids.
    app = FastAPI(
        title="bascule",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        lifespan=kits.lifespan,
    )
    app.state.db = db
    app.state.alert_token = os.environ.get("BASCULE_ALERT_TOKEN") or None
    rules_file = os.environ.get("BASCULE_ALERT_RULES")
    # Read at start-up, so a broken rules file stops the server instead of the first alert.
    app.state.alert_rules = load_rules(Path(rules_file)) if rules_file else default_rules()
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    install_auth(app, db)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(sites.router)
    app.include_router(kits.router)
    app.include_router(paper.router)
    app.include_router(crisis.router)
    app.include_router(feeds.router)
    app.include_router(alerts.router)
    app.include_router(recovery.router)
    app.include_router(recovery_queues.router)
    return app
