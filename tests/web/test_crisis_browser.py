"""The crisis cell end to end: ``bascule serve`` on each database, driven in chromium.

The server, the schema and the accounts are made with the command line exactly as an
administrator would, then a crisis lead signs in, declares an incident, marks a system
down, writes the logbook, ticks tasks and issues a SITREP.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from bascule.store import changes
from bascule.store.database import Database
from tests.factories import record, site
from tests.web.conftest import ARTIFACTS, require_chromium
from tests.web.served import add_user, bascule, serving

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LEAD_PASSWORD = "marée basse à Saint-Malo"
RENNES = "Clinique de l'Odet – Rennes"


@pytest.fixture
def served(db_url: str) -> Iterator[str]:
    """``bascule serve`` on a migrated database with two sites and a crisis lead."""
    bascule(db_url, "db", "upgrade")
    db = Database(db_url)
    try:
        record(
            db, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))]
        )
    finally:
        db.dispose()
    add_user(db_url, "claire", "Claire Le Bihan", "crisis-lead", LEAD_PASSWORD)
    with serving(db_url) as url:
        yield url


def _no_console_errors(page: Page) -> list[str]:
    problems: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", keep)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


@pytest.mark.browser
def test_crisis_lead_runs_the_first_hour_in_a_browser(
    served: str, db_url: str, request: pytest.FixtureRequest
) -> None:
    chromium = require_chromium(Path("/usr/bin/chromium"))
    backend = "postgres" if db_url.startswith("postgresql") else "sqlite"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="fr-FR")
            page.set_default_timeout(15_000)
            problems = _no_console_errors(page)

            page.goto(f"{served}/crisis")
            expect(page).to_have_url(f"{served}/login?next=/crisis")
            page.get_by_label("Identifiant").fill("claire")
            page.get_by_label("Mot de passe").fill(LEAD_PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de situation")

            page.get_by_label("Intitulé").fill("Rançongiciel : DPI chiffré")
            page.get_by_label("Gravité").select_option("critical")
            page.get_by_role("checkbox", name=RENNES).check()
            page.get_by_role("checkbox", name="Clinique de l'Odet – Nantes").check()
            page.get_by_role("checkbox", name="Dossier patient").check()
            page.get_by_role("button", name="Déclarer l'incident").click()
            heading = page.get_by_role("heading", level=1)
            expect(heading).to_contain_text("Rançongiciel : DPI chiffré")
            incident_url = page.url
            incident_id = incident_url.rsplit("/", 1)[-1]
            expect(page.locator("#task-isolate-network")).to_contain_text(
                "Isoler du réseau les systèmes touchés"
            )

            page.get_by_role("link", name="Cellule de crise").click()
            page.get_by_label("Site", exact=True).select_option("rennes")
            page.get_by_label("Système", exact=True).select_option("ehr")
            page.get_by_label("État", exact=True).select_option("down")
            page.get_by_role("button", name="Enregistrer l'état").click()
            rennes = page.get_by_role("row").filter(has_text=RENNES)
            expect(rennes.locator("td.state-down")).to_contain_text("À l'arrêt")
            expect(page.get_by_role("link", name=incident_id)).to_be_visible()
            page.screenshot(path=ARTIFACTS / f"crisis-board-{backend}.png", full_page=True)

            page.goto(incident_url)
            for category, text in (
                ("decision", "Passage au papier sur les deux sites"),
                ("communication", "ARS prévenue par téléphone"),
            ):
                page.get_by_label("Catégorie").select_option(category)
                page.get_by_label("Texte", exact=True).fill(text)
                page.get_by_role("button", name="Ajouter à la main courante").click()
                expect(page.locator("table.logbook")).to_contain_text(text)

            task = page.locator("#task-isolate-network")
            task.get_by_role("checkbox").nth(0).check()
            task.get_by_role("checkbox").nth(1).check()
            task.get_by_role("button", name="Fait", exact=True).click()
            task = page.locator("#task-isolate-network")
            expect(task.locator(".status-done")).to_have_text("Fait")
            expect(task.get_by_role("checkbox").nth(1)).to_be_checked()

            page.get_by_role("button", name="Établir le point de situation").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Point de situation n° 1 – {incident_id}"
            )
            expect(page.locator("main")).to_contain_text("Passage au papier sur les deux sites")
            expect(page.locator("main")).to_contain_text("ARS prévenue par téléphone")
            page.screenshot(path=ARTIFACTS / f"crisis-sitrep-{backend}.png", full_page=True)
            assert problems == []
        finally:
            browser.close()
    assert request.node.name.endswith(f"[{backend}]")
