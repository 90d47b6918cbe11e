"""The one FastAPI application of the group server, to which each area adds its router."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bascule import __version__
from bascule.store.database import Database
from bascule.web.errors import install_error_handlers
from bascule.web.routers import feeds, health, kits, paper, sites
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
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(sites.router)
    app.include_router(kits.router)
    app.include_router(paper.router)
    app.include_router(feeds.router)
    return app
