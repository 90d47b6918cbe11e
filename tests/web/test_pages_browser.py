"""The pages in a real browser: Debian's chromium driven by Playwright, against uvicorn."""

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from tests.web.conftest import ARTIFACTS, ESTUAIRE, password_for, require_chromium

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.browser
def test_site_list_and_site_page_in_chromium(live_server: str, chromium_path: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="fr-FR")
            page.set_default_timeout(10_000)
            # A CSP violation (inline style, foreign origin) shows up as a console error.
            problems: list[str] = []
            page.on("console", lambda m: _keep_errors(m, problems))
            page.on("pageerror", lambda exc: problems.append(str(exc)))

            # Signed out, the browser is sent to the sign-in form, then back where it was.
            response = page.goto(f"{live_server}/")
            assert response is not None
            assert response.status == 200
            expect(page).to_have_url(f"{live_server}/login?next=/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
            page.get_by_label("Identifiant").fill("viewer")
            page.get_by_label("Mot de passe").fill(password_for("viewer"))
            page.get_by_role("button", name="Se connecter").click()
            expect(page).to_have_url(f"{live_server}/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Sites du groupe")
            expect(page.locator("form.account")).to_contain_text("Test viewer (consultation)")
            row = page.get_by_role("row").filter(has_text=ESTUAIRE)
            expect(row.get_by_role("cell")).to_have_text(
                ["Saint-Nazaire", "2", "1", "3", "2", "66,7\u00a0%", "2", "2", "1"]
            )
            expect(page.get_by_role("row").filter(has_text="Total groupe")).to_contain_text(
                "42,9\u00a0%"
            )
            # The stylesheet was served and applied under the CSP.
            banner = page.locator("header.banner")
            expect(banner).to_have_css("background-color", "rgb(18, 52, 77)")
            page.screenshot(path=ARTIFACTS / "sites.png", full_page=True)
            page.emulate_media(media="print")
            page.screenshot(path=ARTIFACTS / "sites-print.png", full_page=True)
            page.emulate_media(media="screen")

            page.get_by_role("link", name=ESTUAIRE).click()
            expect(page).to_have_url(f"{live_server}/sites/estuaire")
            expect(page.get_by_role("heading", level=1)).to_have_text(ESTUAIRE)
            occupancy = page.get_by_role("row").filter(has_text="Taux d'occupation")
            expect(occupancy.get_by_role("cell")).to_have_text("66,7\u00a0%")
            page.screenshot(path=ARTIFACTS / "site.png", full_page=True)

            page.get_by_role("link", name="English").click()
            expect(page.get_by_role("heading", level=2)).to_have_text("Key figures")

            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(f"{live_server}/login")
            page.goto(f"{live_server}/sites/estuaire")
            expect(page).to_have_url(f"{live_server}/login?next=/sites/estuaire")
            assert problems == []
        finally:
            browser.close()


def _keep_errors(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(message.text)


def test_missing_chromium_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium(tmp_path / "chromium")


def test_missing_chromium_skips_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_chromium(tmp_path / "chromium")
