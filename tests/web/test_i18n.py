import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bascule.web import app as web_app
from bascule.web.context import TEMPLATES
from bascule.web.i18n import MESSAGES, Translator, negotiate
from tests.web.conftest import ESTUAIRE
from tests.web.htmltext import row_of


def test_both_languages_have_the_same_messages() -> None:
    assert set(MESSAGES["fr"]) == set(MESSAGES["en"])


def test_every_message_a_template_uses_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.-]+)["']""", template.read_text("utf-8")))
    assert used
    # A key ending in "." is completed in the template (``t("crisis.state." ~ state)``):
    # its family must exist.
    families = {key for key in used if key.endswith(".")}
    assert used - families - set(MESSAGES["fr"]) == set()
    for family in families:
        assert any(key.startswith(family) for key in MESSAGES["fr"]), family


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, ("fr", False)),
        ("en", None, ("en", True)),
        ("fr", "en-GB,en;q=0.9", ("fr", True)),
        ("de", "en-US", ("en", False)),
        (None, "en-GB,en;q=0.9", ("en", False)),
        (None, "fr-FR,fr;q=0.9,en;q=0.8", ("fr", False)),
        (None, "de-DE,en;q=0.5,fr;q=0.7", ("fr", False)),
        (None, "de-DE", ("fr", False)),
        (None, "en;q=bad", ("fr", False)),
    ],
)
def test_language_choice(query: str | None, header: str | None, expected: tuple[str, bool]) -> None:
    assert negotiate(query, header) == expected


def test_french_and_english_numbers() -> None:
    french, english = Translator("fr"), Translator("en")
    assert french.number(12345) == "12\u00a0345"
    assert english.number(12345) == "12,345"
    assert french.percent(2 / 3) == "66,7\u00a0%"
    assert english.percent(2 / 3) == "66.7%"


def test_instants_are_shown_in_french_local_time() -> None:
    winter = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
    assert Translator("fr").moment(winter) == "15/01/2026 à 13:30 CET"
    assert Translator("en").moment(winter) == "2026-01-15 13:30 CET"


def test_english_by_query_keeps_english_in_links(client: TestClient) -> None:
    html = client.get("/?lang=en").text
    assert '<html lang="en">' in html
    assert "<h1>Sites of the group</h1>" in html
    assert row_of(html, ESTUAIRE)[5:7] == ["2", "66.7%"]
    assert 'href="/sites/estuaire?lang=en"' in html
    assert 'href="/?lang=fr"' in html


def test_english_from_the_browser_preference(client: TestClient) -> None:
    html = client.get("/sites/estuaire", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "Occupied beds" in html
    assert "All sites" in html
    assert 'href="/sites/estuaire"' not in html  # the header, not the URL, chose: plain links
    assert 'href="/"' in html


def test_french_is_the_default(client: TestClient) -> None:
    html = client.get("/").text
    assert '<html lang="fr">' in html
    assert "<h1>Sites du groupe</h1>" in html


def test_error_pages_follow_the_language(client: TestClient) -> None:
    html = client.get("/sites/nowhere?lang=en").text
    assert "Not found" in html
    assert "Back to the list of sites" in html


def test_pages_load_nothing_from_other_origins() -> None:
    static = Path(web_app.__file__).with_name("static")
    for path in [*TEMPLATES.glob("*.html"), static / "bascule.css"]:
        text = path.read_text("utf-8")
        assert not re.search(r"https?://|//[a-z]|@import", text), path.name


def test_board_times_drop_the_date_when_it_is_today() -> None:
    now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert Translator("fr").since(datetime(2026, 11, 30, 6, 40, tzinfo=UTC), now) == "07:40"
    yesterday = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
    assert Translator("fr").since(yesterday, now) == "29/11 23:30"
    assert Translator("en").since(yesterday, now) == "11-29 23:30"
