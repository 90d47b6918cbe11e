"""Signing in and out of the crisis-cell application.

Sign-in and sign-out are journaled with the user as actor, ``web:<username>`` (see
:func:`bascule.crisis.records.actor_name`); failed attempts are only logged, without the password.
The sign-in form is protected before any session exists by its own cookie and token.
"""

import asyncio
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from bascule.crisis.accounts import authenticate, canonical_username
from bascule.web.auth import (
    CROSS_SITE,
    SESSION_COOKIE,
    SignedIn,
    close_session,
    cookie_value,
    cross_site,
    csrf_for,
    csrf_matches,
    drop_secret_cookie,
    open_session,
    set_secret_cookie,
    throttle_of,
)
from bascule.web.context import database, render, translator

log = logging.getLogger("bascule.web.auth")
router = APIRouter()

LOGIN_COOKIE = "bascule_login"
LOGIN_PATH = "/login"
# Throttle keys are cut to this length, so that absurd usernames cost no memory.
_KEY_LENGTH = 60
# One password check at a time: argon2 is costly by design (about 0.3 CPU-second each),
# and a burst of sign-ins at the start of a shift must queue among themselves instead of
# taking every worker thread and every core from the pages already signed-in users read.
_PASSWORD_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-check")


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this server, else ``/`` (no open redirect)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(character) < 0x20 or ord(character) == 0x7F for character in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in (LOGIN_PATH, "/logout"):
        return "/"
    return target


def _login_page(
    request: Request,
    *,
    secret: str,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "login_csrf": csrf_for(secret),
        "next": next_path,
        "username": username,
        "error": error,
    }
    response = render(request, "login.html", context, journal_seq=None, status_code=status_code)
    set_secret_cookie(request, response, LOGIN_COOKIE, secret, LOGIN_PATH)
    return response


def _form_secret(request: Request) -> str:
    """The sign-in form's cookie value, or a fresh one for a browser that has none."""
    return cookie_value(request, LOGIN_COOKIE) or secrets.token_urlsafe(32)


@router.get(LOGIN_PATH, response_class=HTMLResponse, name="login_page")
def login_page(request: Request, target: Annotated[str, Query(alias="next")] = "/") -> HTMLResponse:
    """The sign-in form; ``next`` is where to go once signed in."""
    return _login_page(request, secret=_form_secret(request), next_path=safe_next(target))


@router.post(LOGIN_PATH, name="login")
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    target: Annotated[str, Form(alias="next")] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success open a session and go to ``next`` (a local path)."""
    if cross_site(request):
        raise HTTPException(403, CROSS_SITE)
    t = translator(request)
    next_path = safe_next(target)
    secret = cookie_value(request, LOGIN_COOKIE)
    if secret is None or not csrf_matches(secret, csrf_token):
        return _login_page(
            request,
            secret=_form_secret(request),
            next_path=next_path,
            username=username,
            error=t("auth.form_expired"),
            status_code=403,
        )
    name = canonical_username(username)[:_KEY_LENGTH]
    client = request.client.host if request.client else "unknown"
    throttle = throttle_of(request)
    wait = throttle.retry_after(name, client)
    if wait is not None:
        response = _login_page(
            request,
            secret=secret,
            next_path=next_path,
            username=username,
            error=t("auth.throttled", minutes=-(-wait // 60)),
            status_code=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    db = database(request)
    actor = await asyncio.get_running_loop().run_in_executor(
        _PASSWORD_CHECKS, authenticate, db, username, password
    )
    if actor is None:
        throttle.failed(name, client)
        log.warning("failed sign-in for %r from %s", name, client)
        return _login_page(
            request,
            secret=secret,
            next_path=next_path,
            username=username,
            error=t("auth.wrong"),
            status_code=401,
        )
    throttle.succeeded(name)
    token = await run_in_threadpool(open_session, db, actor)
    signed_in = RedirectResponse(next_path, status_code=303)
    set_secret_cookie(request, signed_in, SESSION_COOKIE, token, "/")
    drop_secret_cookie(request, signed_in, LOGIN_COOKIE, LOGIN_PATH)
    return signed_in


@router.post("/logout", name="logout")
def logout(request: Request, actor: SignedIn) -> Response:
    """End the session on the server, drop the cookie, and show the sign-in form."""
    token = cookie_value(request, SESSION_COOKIE)
    assert token is not None  # current_actor admitted the request on this cookie
    close_session(database(request), actor, token)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    drop_secret_cookie(request, response, SESSION_COOKIE, "/")
    return response
