from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx2 as httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from bascule.clock import SimulatedClock
from bascule.crisis import accounts
from bascule.crisis.roles import Actor, Permission, Role
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from bascule.web.app import create_app
from bascule.web.auth import CSRF_HEADER, SESSION_COOKIE, csrf_for, require
from bascule.web.routers.auth import LOGIN_COOKIE, safe_next
from bascule.web.throttle import LoginThrottle
from tests.web.conftest import login_form_token, password_for, signed_in

PAGE = {"Accept": "text/html,application/xhtml+xml"}
LEAD = Role.CRISIS_LEAD.value
VIEWER = Role.VIEWER.value


def _journal_text(db: Database) -> str:
    with db.reading() as session:
        return "\n".join(
            f"{entry.actor} {entry.kind} {entry.payload}" for entry in journal.tail(session, 10_000)
        )


def _journal_count(db: Database) -> int:
    with db.reading() as session:
        return journal.count(session)


def _login(client: TestClient, username: str, password: str, **extra: str) -> httpx.Response:
    data = {"username": username, "password": password, "csrf_token": login_form_token(client)}
    return client.post("/login", data=data | extra, follow_redirects=False)


@pytest.fixture
def app(users: Database) -> FastAPI:
    return create_app(users)


@pytest.fixture
def fresh(app: FastAPI) -> Iterator[TestClient]:
    """Not signed in, on the application with the test accounts."""
    with TestClient(app) as client:
        yield client


# Being sent to sign in


def test_a_page_without_a_session_redirects_to_the_sign_in_form(fresh: TestClient) -> None:
    response = fresh.get("/sites/estuaire?lang=en", headers=PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/sites/estuaire%3Flang%3Den"
    form = fresh.get(response.headers["location"]).text
    assert 'name="next" value="/sites/estuaire?lang=en"' in form


def test_an_api_call_or_a_post_without_a_session_gets_401(fresh: TestClient) -> None:
    api = fresh.get("/api/sites", headers=PAGE)
    assert api.status_code == 401
    assert api.json() == {
        "status": "error",
        "detail": "not signed in, or the session has ended: sign in at /login",
    }
    post = fresh.post("/sites/estuaire/paper/packet", data={"day": "2026-12-01"})
    assert post.status_code == 401
    assert "Connexion requise" in post.text
    assert fresh.get("/", follow_redirects=False).status_code == 401  # not a browser


def test_health_static_and_agent_apis_need_no_session(fresh: TestClient) -> None:
    assert fresh.get("/health").status_code == 200
    assert fresh.get("/static/bascule.css").status_code == 200
    assert fresh.get("/api/kits/estuaire/kit").status_code == 401  # the agent token's 401


def test_feed_health_needs_a_session(fresh: TestClient) -> None:
    assert fresh.get("/api/feeds").status_code == 401


# Signing in


def test_signing_in_sets_a_strict_http_only_cookie_and_goes_to_next(
    fresh: TestClient, users: Database
) -> None:
    response = _login(fresh, LEAD, password_for(LEAD), next="/sites/erdre")
    assert response.status_code == 303
    assert response.headers["location"] == "/sites/erdre"
    cookies = response.headers.get_list("set-cookie")
    (session,) = [c for c in cookies if c.startswith(f"{SESSION_COOKIE}=")]
    attributes = [part.strip().lower() for part in session.split(";")]
    assert {"httponly", "path=/", "samesite=strict"} <= set(attributes)
    assert "secure" not in attributes
    assert not any(a.startswith(("max-age", "expires")) for a in attributes)
    token = fresh.cookies[SESSION_COOKIE]
    assert len(token) >= 43
    with users.reading() as session_:
        entry = journal.tail(session_, 1)[0]
    assert (entry.kind, entry.actor, entry.entity_id) == ("user.signed_in", "web:crisis-lead", LEAD)
    assert token not in _journal_text(users)
    page = fresh.get("/sites/erdre")
    assert page.status_code == 200
    assert "Connecté : Test crisis-lead (responsable de crise)" in page.text
    assert f'name="csrf_token" value="{csrf_for(token)}"' in page.text


def test_over_https_the_cookies_are_secure(app: FastAPI) -> None:
    with TestClient(app, base_url="https://bascule.example") as client:
        form = client.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()
        response = _login(client, LEAD, password_for(LEAD))
        assert response.status_code == 303
        (session,) = [
            c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
        ]
        assert "secure" in [part.strip().lower() for part in session.split(";")]
        assert client.get("/").status_code == 200


def test_user_names_are_read_without_case_or_spaces(fresh: TestClient) -> None:
    assert _login(fresh, "  Crisis-Lead ", password_for(LEAD)).status_code == 303


def test_a_wrong_password_is_401_and_journals_nothing(fresh: TestClient, users: Database) -> None:
    before = _journal_count(users)
    for username, password in ((LEAD, "correct horse battery staple"), ("nobody", "whatever12345")):
        response = _login(fresh, username, password)
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in response.text
        assert SESSION_COOKIE not in fresh.cookies
    assert _journal_count(users) == before
    journal_text = _journal_text(users)
    assert "correct horse battery" not in journal_text
    assert "whatever12345" not in journal_text


def test_the_sign_in_form_has_its_own_csrf_token(fresh: TestClient, users: Database) -> None:
    form = {"username": LEAD, "password": password_for(LEAD)}
    without = fresh.post("/login", data=form)
    assert without.status_code == 403
    assert "Le formulaire de connexion a expiré" in without.text
    fresh.get("/login")
    wrong = fresh.post("/login", data=form | {"csrf_token": "forged"})
    assert wrong.status_code == 403
    assert SESSION_COOKIE not in fresh.cookies
    assert LOGIN_COOKIE in fresh.cookies
    foreign = fresh.post(
        "/login",
        data=form | {"csrf_token": login_form_token(fresh)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert "cross-site request refused" in foreign.text


def test_the_sign_in_form_speaks_english_on_request(fresh: TestClient) -> None:
    html = fresh.get("/login?lang=en").text
    assert "<h1>Sign in</h1>" in html
    assert 'action="/login?lang=en"' in html
    wrong = fresh.post(
        "/login?lang=en",
        data={"username": LEAD, "password": "nope", "csrf_token": login_form_token(fresh)},
    )
    assert "Wrong username or password." in wrong.text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sites/erdre?lang=en", "/sites/erdre?lang=en"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("evil.example", "/"),
        ("", "/"),
        ("/login", "/"),
    ],
)
def test_next_is_only_ever_a_local_path(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_an_open_redirect_through_next_is_refused(fresh: TestClient) -> None:
    response = _login(fresh, LEAD, password_for(LEAD), next="//evil.example/phish")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


# CSRF on every write


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    token = client.headers.pop(CSRF_HEADER)
    day = {"day": "2026-12-01", "parts": ["or-lists"]}
    missing = client.post("/sites/estuaire/paper/packet", data=day)
    assert missing.status_code == 403
    assert "missing or wrong CSRF token" in missing.text
    wrong = client.post("/logout", headers={CSRF_HEADER: "x" + token[1:]})
    assert wrong.status_code == 403
    as_field = client.post("/sites/estuaire/paper/packet", data=day | {"csrf_token": token})
    assert as_field.status_code == 200
    assert client.get("/").status_code == 200  # the refused sign-out left the session open


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cross_site_post_is_refused_even_with_the_token(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post("/logout", headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "cross-site request refused" in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver:80"},
        # What browsers send for a form of ours under Referrer-Policy: no-referrer.
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_a_same_origin_post_passes(client: TestClient, headers: dict[str, str]) -> None:
    assert client.post("/logout", headers=headers, follow_redirects=False).status_code == 303


# Sessions ending


def test_signing_out_ends_the_session_on_the_server(client: TestClient, users: Database) -> None:
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    with users.reading() as session:
        entry = journal.tail(session, 1)[0]
    assert (entry.kind, entry.actor) == ("user.signed_out", "web:crisis-lead")
    # Someone who kept a copy of the cookie gets nothing with it.
    replay = TestClient(client.app, cookies={SESSION_COOKIE: token})
    assert replay.get("/api/sites").status_code == 401
    assert replay.get("/", headers=PAGE, follow_redirects=False).status_code == 303


def test_disabling_a_user_or_changing_their_password_ends_their_sessions(
    app: FastAPI, users: Database
) -> None:
    with TestClient(app) as viewer, TestClient(app) as lead:
        signed_in(viewer, VIEWER)
        signed_in(lead, LEAD)
        assert viewer.get("/api/sites").status_code == 200
        accounts.disable_user(users, VIEWER, actor="test")
        assert viewer.get("/api/sites").status_code == 401
        assert _login(viewer, VIEWER, password_for(VIEWER)).status_code == 401
        accounts.set_password(users, LEAD, "a brand new passphrase", actor="test")
        assert lead.get("/api/sites").status_code == 401
        assert _login(lead, LEAD, password_for(LEAD)).status_code == 401
        assert _login(lead, LEAD, "a brand new passphrase").status_code == 303


def test_a_session_ends_after_twelve_hours(tmp_path: Path) -> None:
    clock = SimulatedClock(datetime(2026, 12, 8, 7, 0, tzinfo=UTC))
    db = Database(f"sqlite:///{tmp_path / 'clock.sqlite3'}", clock=clock)
    upgrade(db)
    accounts.add_user(
        db,
        username="lead",
        display_name="Lead",
        role=Role.CRISIS_LEAD,
        sites=[],
        password=password_for("lead"),
        actor="test",
    )
    try:
        client = signed_in(TestClient(create_app(db)), "lead")
        clock.advance(timedelta(hours=11, minutes=59))
        assert client.get("/api/sites").status_code == 200
        clock.advance(timedelta(minutes=1))
        assert client.get("/api/sites").status_code == 401
    finally:
        db.dispose()


# Guessing passwords


def _throttled_app(app: FastAPI, clock: SimulatedClock) -> FastAPI:
    app.state.login_throttle = LoginThrottle(clock)
    return app


def test_five_failures_for_a_user_lock_it_for_fifteen_minutes(
    app: FastAPI, users: Database
) -> None:
    clock = SimulatedClock(datetime(2026, 12, 8, 7, 0, tzinfo=UTC))
    with TestClient(_throttled_app(app, clock)) as client:
        for _ in range(5):
            assert _login(client, LEAD, "not the password").status_code == 401
            clock.advance(timedelta(minutes=1))
        blocked = _login(client, LEAD, password_for(LEAD))
        assert blocked.status_code == 429
        # The first failure, at 7:00, leaves the window at 7:15; it is now 7:05.
        assert blocked.headers["retry-after"] == "600"
        assert "Trop de tentatives de connexion échouées : réessayez dans 10 min." in blocked.text
        assert _login(client, VIEWER, password_for(VIEWER)).status_code == 303
        clock.advance(timedelta(minutes=10))
        assert _login(client, LEAD, password_for(LEAD)).status_code == 303


def test_twenty_failures_from_one_client_block_it(app: FastAPI) -> None:
    clock = SimulatedClock(datetime(2026, 12, 8, 7, 0, tzinfo=UTC))
    with TestClient(_throttled_app(app, clock)) as client:
        for number in range(20):
            assert _login(client, f"guess{number}", "not the password").status_code == 401
        blocked = _login(client, VIEWER, password_for(VIEWER))
        assert blocked.status_code == 429
        assert blocked.headers["retry-after"] == "900"


def test_a_success_forgets_the_users_failures() -> None:
    clock = SimulatedClock(datetime(2026, 12, 8, 7, 0, tzinfo=UTC))
    throttle = LoginThrottle(clock)
    for _ in range(4):
        throttle.failed("alice", "10.0.0.1")
    throttle.succeeded("alice")
    for _ in range(4):
        throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") is None
    throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 900
    assert throttle.retry_after("alice", "10.0.0.2") == 900
    assert throttle.retry_after("bob", "10.0.0.1") is None


# Roles and display


def test_a_role_without_the_permission_gets_403(app: FastAPI) -> None:
    def audit(actor: Annotated[Actor, Depends(require(Permission.AUDIT))]) -> str:
        return actor.username

    app.add_api_route("/api/audit-trail", audit)
    with TestClient(app) as viewer, TestClient(app) as auditor:
        refused = signed_in(viewer, VIEWER).get("/api/audit-trail")
        assert refused.status_code == 403
        assert refused.json() == {"status": "error", "detail": "viewer (viewer) may not audit"}
        assert signed_in(auditor, "auditor").get("/api/audit-trail").json() == "auditor"


def test_html_in_a_display_name_is_shown_as_text(users: Database, app: FastAPI) -> None:
    accounts.add_user(
        users,
        username="mallory",
        display_name="<script>alert('x')</script>",
        role=Role.VIEWER,
        sites=[],
        password=password_for("mallory"),
        actor="test",
    )
    with TestClient(app) as client:
        html = signed_in(client, "mallory").get("/").text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; (consultation)" in html
