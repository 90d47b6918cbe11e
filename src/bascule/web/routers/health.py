"""``GET /health``: can this server answer from an up-to-date database right now?"""

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bascule.errors import BasculeError
from bascule.store import journal
from bascule.store.migrate import current_revision, head_revision
from bascule.web.context import database
from bascule.web.errors import first_line

router = APIRouter()

# Reading the migration scripts on every probe would cost more than the probe itself.
_expected_revision = cache(head_revision)


def _unhealthy(detail: str) -> JSONResponse:
    return JSONResponse({"status": "error", "detail": detail}, status_code=503)


@router.get("/health", name="health")
def health(request: Request) -> JSONResponse:
    """200 with the database, journal position and schema revision; 503 with the reason."""
    db = database(request)
    try:
        db.check_schema()
        revision = current_revision(db)
        expected = _expected_revision()
        if revision != expected:
            return _unhealthy(
                f"{db.description} is at schema revision {revision}, this bascule needs "
                f"{expected}: run 'bascule db upgrade'"
            )
        with db.reading() as session:
            seq, _ = journal.head(session)
    except BasculeError as exc:
        return _unhealthy(str(exc))
    except SQLAlchemyError as exc:
        return _unhealthy(f"{db.description}: {first_line(exc)}")
    body = {"status": "ok", "database": db.description, "journal_seq": seq, "schema": revision}
    return JSONResponse(body)
