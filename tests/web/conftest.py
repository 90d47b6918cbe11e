"""Fixtures for the web tests: a small real group in SQLite, a client, a live server, chromium.

The group has three sites chosen to exercise the overview: a surgeon and a patient shared
by two sites (so totals must count people, not sum sites), and a day-surgery site without
beds (so occupancy has nothing to divide by).

Accounts: one per role, named after the role (``crisis-lead``, ``site-manager`` for
estuaire, ...), with the password :func:`password_for` gives. ``client`` is signed in as
the crisis lead; ``anonymous`` is not signed in.
"""

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bascule.crisis import accounts
from bascule.crisis.roles import Role
from bascule.domain.cases import Booking, SurgicalCase
from bascule.domain.patients import IdentityTraits, Patient, Sex
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import GenderPolicy, OperatingTheatre, Room, Site, Ward
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.migrate import upgrade
from bascule.web.app import create_app
from bascule.web.auth import CSRF_HEADER, SESSION_COOKIE, csrf_for
from bascule.web.server import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

ESTUAIRE = "Clinique de l'Estuaire – Saint-Nazaire"
ERDRE = "Polyclinique des Bords de l'Erdre"
BOCAGE = "Centre de chirurgie ambulatoire du Bocage"

WEEKDAYS_ONLY = (600, 600, 600, 600, 600, 0, 0)


def record(db: Database, items: list[Change]) -> None:
    """Journal ``items`` in one write transaction, as every writer of bascule does."""
    with db.writing() as session:
        journal.append(session, items, actor="test", at=db.clock.now())


def migrated(path: Path) -> Database:
    """A migrated, empty SQLite database at ``path``."""
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    return db


def _patient(number: int, *sites: str) -> Patient:
    identity = IdentityTraits(
        birth_family_name=f"Le Guen-{number}",
        first_given_name="Anaïs",
        birth_date=date(1970 + number, 3, 14),
        sex=Sex.FEMALE,
    )
    local_ids = tuple((site, f"IPP-{site}-{number}") for site in sites)
    return Patient(f"p{number}", identity, local_ids)


def _ward(ward_id: str, site_id: str, rooms: dict[str, tuple[str, ...]]) -> Ward:
    return Ward(
        ward_id,
        site_id,
        f"Chirurgie {ward_id}",
        "orthopaedics",
        tuple(
            Room(room, room, beds, GenderPolicy.SINGLE if len(beds) == 1 else GenderPolicy.MIXED)
            for room, beds in rooms.items()
        ),
    )


def populate(db: Database) -> None:
    """Journal the three-site test group.

    Expected counts (theatres, wards, beds, occupied, surgeons, patients, booked):
    estuaire 2, 1, 3, 2, 2, 2, 1 — erdre 1, 2, 4, 1, 1, 2, 0 — bocage 1, 0, 0, 0, 0, 0, 0.
    Distinct people: 2 surgeons, 3 patients.
    """
    now = db.clock.now()
    today = now.date()
    record(
        db,
        [
            changes.site_registered(
                Site("estuaire", ESTUAIRE, "Saint-Nazaire", 47.27, -2.21, ("orthopaedics",))
            ),
            changes.site_registered(Site("erdre", ERDRE, "Nantes", 47.23, -1.55)),
            changes.site_registered(Site("bocage", BOCAGE, "Cholet", 47.06, -0.88)),
            changes.theatre_registered(
                OperatingTheatre("est-b1", "estuaire", "Bloc 1", WEEKDAYS_ONLY)
            ),
            changes.theatre_registered(
                OperatingTheatre("est-b2", "estuaire", "Bloc 2", WEEKDAYS_ONLY)
            ),
            changes.theatre_registered(
                OperatingTheatre("erd-b1", "erdre", "Bloc A", WEEKDAYS_ONLY)
            ),
            changes.theatre_registered(
                OperatingTheatre("boc-b1", "bocage", "Salle 1", WEEKDAYS_ONLY)
            ),
            changes.ward_registered(
                _ward("est-ortho", "estuaire", {"101": ("A", "B"), "102": ("A",)})
            ),
            changes.ward_registered(_ward("erd-visc", "erdre", {"201": ("A", "B")})),
            changes.ward_registered(_ward("erd-ortho", "erdre", {"301": ("A",), "302": ("A",)})),
            changes.surgeon_registered(
                Surgeon("s-morvan", "MORVAN", "Yann", "orthopaedics", ("estuaire", "erdre"))
            ),
            changes.surgeon_registered(
                Surgeon("s-riou", "RIOU", "Gaëlle", "orthopaedics", ("estuaire",))
            ),
            changes.patient_registered(_patient(1, "estuaire", "erdre"), "estuaire"),
            changes.patient_registered(_patient(2, "estuaire"), "estuaire"),
            changes.patient_registered(_patient(3, "erdre"), "erdre"),
        ],
    )
    admitted = now - timedelta(days=1)
    record(
        db,
        [
            changes.stay_admitted(Stay("st1", "p1", "estuaire", "est-ortho", "101", "A", admitted)),
            changes.stay_admitted(Stay("st2", "p2", "estuaire", "est-ortho", "102", "A", admitted)),
            changes.stay_admitted(Stay("st3", "p3", "erdre", "erd-visc", "201", "B", admitted)),
            changes.case_booked(
                SurgicalCase(
                    id="c1",
                    patient_id="p2",
                    site_id="estuaire",
                    specialty="orthopaedics",
                    procedure="Prothèse totale de hanche",
                    expected_minutes=120,
                    priority=PriorityClass.P2,
                    listed_on=today,
                    release_on=today,
                    surgeon_id="s-riou",
                    booking=Booking(today + timedelta(days=2), "est-b1", 480),
                )
            ),
        ],
    )


@pytest.fixture
def group_db(tmp_path: Path) -> Iterator[Database]:
    """The three-site test group in a migrated SQLite file."""
    db = migrated(tmp_path / "w.sqlite3")
    populate(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with minimal cost: the defaults take ~0.15 s per hash, too slow for every test."""
    monkeypatch.setattr(
        accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def password_for(username: str) -> str:
    """The password of the test account ``username``."""
    return f"correct horse battery {username}"


def add_users(db: Database) -> None:
    """One account per role, named after it; the site manager runs estuaire."""
    for role in Role:
        accounts.add_user(
            db,
            username=role.value,
            display_name=f"Test {role.value}",
            role=role,
            sites=["estuaire"] if role is Role.SITE_MANAGER else [],
            password=password_for(role.value),
            actor="test",
        )


def login_form_token(client: TestClient) -> str:
    """Open the sign-in form (which sets its cookie) and return the token it carries."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def signed_in(client: TestClient, username: str, password: str | None = None) -> TestClient:
    """``client`` after signing in through the form, sending the CSRF header from then on."""
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password_for(username) if password is None else password,
            "csrf_token": login_form_token(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.headers[CSRF_HEADER] = csrf_for(client.cookies[SESSION_COOKIE])
    return client


@pytest.fixture
def users(group_db: Database) -> Database:
    """The test group with one account per role."""
    add_users(group_db)
    return group_db


Client = Callable[[str], TestClient]
"""A signed-in test client by username, all on one application."""


@pytest.fixture
def as_user(users: Database) -> Iterator[Client]:
    """Signed-in clients on one application, by username."""
    app = create_app(users)
    opened: dict[str, TestClient] = {}

    def client_of(username: str) -> TestClient:
        if username not in opened:
            client = TestClient(app)
            client.__enter__()
            opened[username] = signed_in(client, username)
        return opened[username]

    try:
        yield client_of
    finally:
        for client in opened.values():
            client.__exit__(None, None, None)


@pytest.fixture
def anonymous(group_db: Database) -> Iterator[TestClient]:
    """A test client on the application serving the test group, not signed in."""
    with TestClient(create_app(group_db)) as test_client:
        yield test_client


@pytest.fixture
def client(users: Database) -> Iterator[TestClient]:
    """A test client on the application serving the test group, signed in as crisis lead."""
    with TestClient(create_app(users)) as test_client:
        yield signed_in(test_client, Role.CRISIS_LEAD.value)


def require_chromium(path: Path) -> str:
    """``path`` when chromium is there; otherwise fail under CI=true and skip elsewhere."""
    if path.exists():
        return str(path)
    message = f"Debian's chromium is not installed at {path} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true requires the browser tests to run")
    pytest.skip(message)


@pytest.fixture
def chromium_path() -> str:
    """Debian's chromium, for the browser tests."""
    return require_chromium(CHROMIUM)


@pytest.fixture
def live_server(users: Database) -> Iterator[str]:
    """The real application under uvicorn in a background thread; yields its base URL."""
    with BackgroundServer(create_app(users)) as server:
        yield server.url
