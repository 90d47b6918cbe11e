"""Who is asking: browser sessions, the signed-in user, role checks and CSRF protection.

A session is a random token in the ``bascule_session`` cookie (HttpOnly, SameSite=Strict,
Secure over https); the server keeps only its SHA-256, through the journal
(``user.signed_in`` / ``user.signed_out``), for 12 hours at most.

Routes get the user with a dependency (``SignedIn`` when any signed-in user will do)::

    Reporter = Annotated[Actor, Depends(require(Permission.REPORT_STATUS))]

    @router.post("/sites/{site_id}/status")
    def report(request: Request, actor: Reporter, site_id: str) -> Response:
        actor.check(Permission.REPORT_STATUS, site_id)  # the site check stays in the handler
        journal.append(..., actor=actor_name(actor), ...)

Every unsafe request (POST, PUT, PATCH, DELETE) that :func:`current_actor` admits has
passed the CSRF check: same origin, and the session's CSRF token in the ``csrf_token``
form field or the ``X-CSRF-Token`` header. Pages put :func:`csrf_token` in their forms
(``render`` passes it to every template as ``csrf_token``).
"""

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException

from bascule.clock import as_utc
from bascule.crisis.accounts import actor_of
from bascule.crisis.records import actor_name
from bascule.crisis.roles import GRANTS, Actor, Forbidden, Permission
from bascule.store import journal
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.kinds import USER_SIGNED_IN, USER_SIGNED_OUT
from bascule.store.tables import UserRow, WebSessionRow
from bascule.web.context import database
from bascule.web.errors import wants_json
from bascule.web.throttle import LoginThrottle

SESSION_COOKIE = "bascule_session"
SESSION_LIFETIME = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CROSS_SITE = "cross-site request refused"
BAD_CSRF = "missing or wrong CSRF token"

_CSRF_LABEL = b"bascule csrf v1"
_MAX_TOKEN_LENGTH = 100
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_HOST_PORT = re.compile(r"(.*?)(?::(\d+))?")


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(secret: str) -> str:
    """The CSRF token that goes with a secret cookie value (session or sign-in form).

    An HMAC of the cookie: a page of ours can carry it, another site cannot compute it
    without the cookie, and the server needs to store nothing more.
    """
    mac = hmac.new(secret.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def csrf_matches(secret: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is the CSRF token of ``secret``, compared in constant time."""
    return submitted is not None and hmac.compare_digest(
        csrf_for(secret).encode("ascii"), submitted.encode("utf-8", "replace")
    )


def csrf_token(request: Request) -> str:
    """The CSRF token for the forms of a page to the signed-in user ("" when nobody is)."""
    token: str = getattr(request.state, "csrf_token", "")
    return token


def cookie_value(request: Request, name: str) -> str | None:
    """The cookie ``name`` when present and of a plausible length for one of our tokens."""
    value = request.cookies.get(name)
    return value if value and len(value) <= _MAX_TOKEN_LENGTH else None


def set_secret_cookie(
    request: Request, response: Response, name: str, value: str, path: str
) -> None:
    """Set a cookie scripts cannot read, never sent cross-site, Secure when served over https.

    No Max-Age: the cookie ends with the browser, which matters on a ward's shared PC;
    the server ends the session itself after its lifetime anyway.
    """
    response.set_cookie(
        name,
        value,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def drop_secret_cookie(request: Request, response: Response, name: str, path: str) -> None:
    """Tell the browser to forget a cookie set by :func:`set_secret_cookie`."""
    response.delete_cookie(
        name, path=path, secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def _origin_key(scheme: str, netloc: str) -> str:
    match = _HOST_PORT.fullmatch(netloc.lower())
    host, port = (match.group(1), match.group(2)) if match else (netloc, None)
    return host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"


def cross_site(request: Request) -> bool:
    """True when the browser says the request comes from another site.

    ``Sec-Fetch-Site: cross-site``, or an ``Origin`` whose host differs from the ``Host``
    the request was sent to (default ports ignored, so a TLS proxy in front changes nothing).
    ``Origin: null`` proves nothing either way: under our ``Referrer-Policy: no-referrer``
    browsers send it on every form post, our own included; the CSRF token decides then.
    """
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return _origin_key(parts.scheme, parts.netloc) != _origin_key(parts.scheme, host)


async def _submitted_csrf(request: Request) -> str | None:
    """The CSRF token the request carries (header first, then form field)."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None or request.method not in UNSAFE_METHODS:
        return header
    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in _FORM_TYPES:
        return None
    # Starlette keeps the parsed form, so the route's own Form() parameters read it again.
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def session_actor(db: Database, token: str) -> Actor | None:
    """The active user of an unexpired session with this token, else None."""
    query = (
        select(UserRow, WebSessionRow.expires_at)
        .join(WebSessionRow, WebSessionRow.username == UserRow.username)
        .where(WebSessionRow.token_sha256 == token_digest(token))
    )
    with db.reading() as session:
        found = session.execute(query).first()
        if found is None or not found[0].active:
            return None
        user, expires_at = found
        actor = actor_of(user)
    return actor if as_utc(expires_at) > db.clock.now() else None


class SignInRequiredError(Exception):
    """A browser asked for a page without a valid session: send it to the sign-in form."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def login_location(request: Request) -> str:
    """``/login?next=`` the page asked for (with its query string)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='/')}"


def _wants_page(request: Request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and "text/html" in request.headers.get("accept", "")
        and not wants_json(request)
    )


def current_actor(
    request: Request, submitted: Annotated[str | None, Depends(_submitted_csrf)]
) -> Actor:
    """The signed-in user (also left in ``request.state.actor``); FastAPI dependency.

    Without a valid session: a browser asking for a page is redirected (303) to the
    sign-in form, anything else gets 401. An unsafe request must also pass the CSRF
    check, else 403.
    """
    token = cookie_value(request, SESSION_COOKIE)
    actor = None if token is None else session_actor(database(request), token)
    if actor is None or token is None:
        if _wants_page(request):
            raise SignInRequiredError(login_location(request))
        raise HTTPException(401, "not signed in, or the session has ended: sign in at /login")
    if request.method in UNSAFE_METHODS:
        if cross_site(request):
            raise HTTPException(403, CROSS_SITE)
        if not csrf_matches(token, submitted):
            raise HTTPException(403, BAD_CSRF)
    request.state.actor = actor
    request.state.csrf_token = csrf_for(token)
    return actor


SignedIn = Annotated[Actor, Depends(current_actor)]
"""A route parameter of this type receives the signed-in user."""


@cache
def require(permission: Permission) -> Callable[[Actor], Actor]:
    """A dependency giving the signed-in user if their role grants ``permission``, else 403.

    Only the role is checked here; a handler acting on one site calls
    ``actor.check(permission, site_id)`` as well.
    """

    def dependency(actor: SignedIn) -> Actor:
        if permission not in GRANTS[actor.role]:
            raise Forbidden(f"{actor.username} ({actor.role.value}) may not {permission.value}")
        return actor

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def open_session(db: Database, actor: Actor) -> str:
    """Journal a new session for ``actor`` and return its token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    now = db.clock.now()
    payload = {
        "token_sha256": token_digest(token),
        "username": actor.username,
        "at": canonical_instant(now),
        "expires_at": canonical_instant(now + SESSION_LIFETIME),
    }
    with db.writing() as session:
        journal.append(
            session,
            [Change(USER_SIGNED_IN, "user", actor.username, payload)],
            actor=actor_name(actor),
            at=now,
        )
    return token


def close_session(db: Database, actor: Actor, token: str) -> None:
    """Journal the end of the session with ``token``: the cookie is worthless from now on."""
    payload = {"token_sha256": token_digest(token)}
    with db.writing() as session:
        journal.append(
            session,
            [Change(USER_SIGNED_OUT, "user", actor.username, payload)],
            actor=actor_name(actor),
            at=db.clock.now(),
        )


def throttle_of(request: Request) -> LoginThrottle:
    """The application's sign-in throttle."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def _to_sign_in(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequiredError)
    return RedirectResponse(exc.location, status_code=303)


def install_auth(app: FastAPI, db: Database) -> None:
    """Give ``app`` its sign-in throttle and the redirect of signed-out browsers."""
    app.state.login_throttle = LoginThrottle(db.clock)
    app.add_exception_handler(SignInRequiredError, _to_sign_in)
