"""How failures reach the user: one clear line and the right status, never a traceback."""

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from starlette.exceptions import HTTPException

from bascule.crisis.roles import Forbidden
from bascule.errors import (
    BasculeError,
    DatabaseUnavailableError,
    DatabaseUrlError,
    JournalIntegrityError,
    SchemaMissingError,
    UnknownEntityError,
)
from bascule.web.context import database, render, translator
from bascule.web.i18n import MESSAGES
from bascule.web.security import SECURITY_HEADERS

# First match wins. Any other BasculeError is a request bascule refuses to carry out.
STATUS_BY_ERROR: tuple[tuple[type[BasculeError], int], ...] = (
    (UnknownEntityError, 404),
    (Forbidden, 403),
    (DatabaseUnavailableError, 503),
    (SchemaMissingError, 503),
    (JournalIntegrityError, 500),
    (DatabaseUrlError, 500),
)
DEFAULT_STATUS = 400


def status_for(error: BasculeError) -> int:
    """The HTTP status that reports ``error``."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return DEFAULT_STATUS


def wants_json(request: Request) -> bool:
    """True for the machine-facing paths, which answer errors in JSON."""
    path = request.url.path
    return path.startswith("/api/") or path == "/health"


def error_response(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The error as JSON ``{"status": "error", "detail": ...}`` or as an HTML page."""
    if wants_json(request):
        body = {"status": "error", "detail": message}
        return JSONResponse(body, status_code=status, headers=headers)
    t = translator(request)
    # The statuses of signing in and permissions are titled with the auth messages.
    keys = [f"{area}.status.{status}" for area in ("error", "auth")]
    title = next((t(key) for key in keys if key in MESSAGES[t.lang]), t("error.status.other"))
    response = render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        journal_seq=None,
        status_code=status,
    )
    response.headers.update(headers or {})
    return response


def _on_bascule_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BasculeError)
    return error_response(request, status_for(exc), str(exc))


def first_line(exc: SQLAlchemyError) -> str:
    """The driver's own one-line reason for a database failure."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _on_database_error(request: Request, exc: Exception) -> Response:
    """Name the real cause (server down, schema missing) rather than the failed query."""
    assert isinstance(exc, SQLAlchemyError)
    db = database(request)
    try:
        db.check_schema()
    except BasculeError as cause:
        return error_response(request, status_for(cause), str(cause))
    except SQLAlchemyError:
        pass  # the check failed in a way of its own: the original error says more
    status = 503 if isinstance(exc, OperationalError) else 500
    return error_response(request, status, f"{db.description}: {first_line(exc)}")


def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = translator(request)("error.no_page", path=request.url.path)
    else:
        message = exc.detail
    return error_response(request, exc.status_code, message, exc.headers)


def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return error_response(request, 422, f"{where}: {first.get('msg', 'invalid value')}")


def _on_unexpected(request: Request, _exc: Exception) -> Response:
    # Runs outside the middleware stack (Starlette's server-error layer), so the security
    # headers are set here; the server still logs the traceback.
    t = translator(request)
    return error_response(request, 500, t("error.internal"), SECURITY_HEADERS)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a clean page or JSON body."""
    app.add_exception_handler(BasculeError, _on_bascule_error)
    app.add_exception_handler(OperationalError, _on_database_error)
    app.add_exception_handler(ProgrammingError, _on_database_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
