from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bascule.crisis import accounts
from bascule.crisis.roles import Role
from bascule.domain.sites import Site
from bascule.store import changes
from bascule.store.database import Database
from bascule.web.app import create_app
from tests.web.conftest import (
    BOCAGE,
    ERDRE,
    ESTUAIRE,
    migrated,
    password_for,
    record,
    signed_in,
)
from tests.web.htmltext import row_of, table_rows

HEADER = [
    "Site",
    "Ville",
    "Salles d'opération",
    "Unités de soins",
    "Lits",
    "Lits occupés",
    "Taux d'occupation",
    "Chirurgiens",
    "Patients",
    "Interventions programmées",
]


def test_site_list_shows_every_site_with_its_counts(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert table_rows(html)[0] == HEADER
    estuaire = ["Saint-Nazaire", "2", "1", "3", "2", "66,7 %", "2", "2", "1"]
    assert row_of(html, ESTUAIRE) == [ESTUAIRE, *estuaire]
    assert row_of(html, ERDRE) == [ERDRE, "Nantes", "1", "2", "4", "1", "25,0 %", "1", "2", "0"]
    assert row_of(html, BOCAGE) == [BOCAGE, "Cholet", "1", "0", "0", "0", "—", "0", "0", "0"]


def test_totals_count_shared_surgeons_and_patients_once(client: TestClient) -> None:
    totals = row_of(client.get("/").text, "Total groupe")
    # Per-site surgeons sum to 3 and patients to 4; the group has 2 and 3 people.
    assert totals == ["Total groupe", "4", "3", "7", "3", "42,9 %", "2*", "3*", "1"]


def test_site_names_keep_their_accents_and_are_escaped(client: TestClient) -> None:
    html = client.get("/").text
    # Autoescape turns the apostrophe into an entity; the en dash stays UTF-8.
    assert "Clinique de l&#39;Estuaire – Saint-Nazaire" in html
    assert 'href="/sites/estuaire"' in html


def test_html_in_a_site_name_is_shown_as_text(users: Database) -> None:
    name = "<script>alert('x')</script> & <b>Co</b>"
    record(users, [changes.site_registered(Site("piege", name, "Nantes", 47.2, -1.5))])
    client = signed_in(TestClient(create_app(users)), Role.VIEWER.value)
    for path in ("/", "/sites/piege"):
        html = client.get(path).text
        assert "<script>" not in html
        assert "<b>Co</b>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html


def test_site_page_shows_the_same_figures(client: TestClient) -> None:
    response = client.get("/sites/estuaire")
    assert response.status_code == 200
    html = response.text
    assert f"<h1>{ESTUAIRE.replace(chr(39), '&#39;')}</h1>" in html
    assert row_of(html, "Lits") == ["Lits", "3"]
    assert row_of(html, "Lits occupés") == ["Lits occupés", "2"]
    assert row_of(html, "Taux d'occupation") == ["Taux d'occupation", "66,7 %"]
    assert row_of(html, "Interventions programmées") == ["Interventions programmées", "1"]
    assert "orthopaedics" in html


def test_site_without_beds_shows_no_occupancy(client: TestClient) -> None:
    html = client.get("/sites/bocage").text
    assert row_of(html, "Taux d'occupation") == ["Taux d'occupation", "—"]


def test_unknown_site_is_a_404_page_naming_the_known_sites(client: TestClient) -> None:
    response = client.get("/sites/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Introuvable" in html
    assert "unknown site id &#39;nowhere&#39; (known sites: bocage, erdre, estuaire)" in html
    assert "Traceback" not in html


def test_empty_group_says_so(tmp_path: Path) -> None:
    db = migrated(tmp_path / "empty.sqlite3")
    accounts.add_user(
        db,
        username="lead",
        display_name="Lead",
        role=Role.CRISIS_LEAD,
        sites=[],
        password=password_for("lead"),
        actor="test",
    )
    html = signed_in(TestClient(create_app(db)), "lead").get("/").text
    assert "Aucun site n&#39;est encore enregistré" in html
    assert "<table" not in html


def test_api_lists_the_summaries_in_site_order(client: TestClient) -> None:
    response = client.get("/api/sites")
    assert response.status_code == 200
    sites = response.json()
    assert [s["id"] for s in sites] == ["bocage", "erdre", "estuaire"]
    estuaire = sites[2]
    assert estuaire["occupancy"] == pytest.approx(2 / 3)
    assert estuaire == {
        "id": "estuaire",
        "name": ESTUAIRE,
        "city": "Saint-Nazaire",
        "latitude": 47.27,
        "longitude": -2.21,
        "theatres": 2,
        "wards": 1,
        "beds": 3,
        "occupied_beds": 2,
        "occupancy": estuaire["occupancy"],
        "surgeons": 2,
        "patients": 2,
        "booked_cases": 1,
    }


def test_footer_names_the_database_and_journal_position(
    client: TestClient, group_db: Database
) -> None:
    html = client.get("/").text
    assert f"Base de données : {group_db.description}" in html
    # The group's 19 entries, one per test account (one per role), the crisis lead's sign-in.
    assert f"Journal : entrée n° {19 + len(Role) + 1}" in html


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_read_the_sites(users: Database, role: Role) -> None:
    client = signed_in(TestClient(create_app(users)), role.value)
    for path in ("/", "/sites/erdre", "/api/sites"):
        assert client.get(path).status_code == 200, (role, path)
