"""Helpers for the offline viewer tests: real kits, tampered copies, an offline chromium."""

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)

from bascule.domain.patients import (
    Allergy,
    ClinicalEssentials,
    IdentityStatus,
    IdentityTraits,
    Medication,
    Patient,
    Severity,
    Sex,
)
from bascule.kit.build import BuiltFile
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.search import find_patients
from bascule.kit.viewer import viewer_name, write_viewer
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.kit.agent_support import make_keys
from tests.web.conftest import ARTIFACTS, CHROMIUM, require_chromium

SITE_PASSPHRASE = "rennes: phrase du site 2026"
GROUP_PASSPHRASE = "groupe: phrase d'urgence 2026"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY_TIMEOUT_MS = 30_000
_BLOCK = re.compile(
    r'(<script type="application/octet-stream" id="bascule-file-(\d+)">)([^<]*)(</script>)'
)


def migrated(path: Path) -> Database:
    """A migrated, empty SQLite database at ``path``."""
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    return db


def key_store(directory: Path) -> KeyStore:
    """A key store with a signing key, the rennes slot and the group slot."""
    return make_keys(
        directory, ("rennes",), site_passphrase=SITE_PASSPHRASE, group_passphrase=GROUP_PASSPHRASE
    )


def newcomer() -> Patient:
    """A patient registered after the kit: accents, ligature, apostrophe, a severe allergy."""
    identity = IdentityTraits(
        birth_family_name="N'Guessan-Brûlé",
        first_given_name="Lætitia",
        given_names=("Lætitia", "Zoé"),
        birth_date=date(1987, 2, 14),
        sex=Sex.FEMALE,
        status=IdentityStatus.PROVISIONAL,
    )
    essentials = ClinicalEssentials(
        blood_group="B-",
        allergies=(Allergy("latex", Severity.SEVERE, "choc anaphylactique"),),
        medications=(Medication("Lévothyrox", "75 µg", "per os", "1/j"),),
        alerts=("Patiente sourde : écrire",),
        emergency_contact_phone="06 12 34 56 78",
    )
    return Patient("p7", identity, (("rennes", "R0000777"),), essentials)


def embedded_files(html: str) -> list[bytes]:
    """The raw containers embedded in a viewer, in order."""
    return [base64.b64decode(found[3]) for found in _BLOCK.finditer(html)]


def replace_file(html: str, position: int, data: bytes) -> str:
    """The viewer with its embedded file ``position`` replaced by ``data``."""

    def swap(found: re.Match[str]) -> str:
        if int(found[2]) != position:
            return found[0]
        return found[1] + base64.b64encode(data).decode("ascii") + found[4]

    return _BLOCK.sub(swap, html)


def remove_file(html: str, position: int) -> str:
    """The viewer without its embedded file ``position`` (the others keep their ids)."""
    return _BLOCK.sub(lambda found: "" if int(found[2]) == position else found[0], html)


def flip_byte(data: bytes, offset: int) -> bytes:
    """``data`` with one bit changed at ``offset`` (negative offsets count from the end)."""
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


@dataclass
class Visit:
    """A page of the viewer opened offline, with what it tried to reach and complained of."""

    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Every request other than the viewer file itself."""
        return [url for url in self.requests if url.split("#")[0] != self.url]

    def check_clean(self) -> None:
        """Nothing but the viewer file was requested, and the page logged no error."""
        assert self.foreign_requests() == [], f"network requests: {self.foreign_requests()}"
        assert self.problems == [], f"console errors: {self.problems}"

    def unlock(self, passphrase: str) -> None:
        """Type the passphrase and submit."""
        self.page.get_by_label("Phrase secrète du site ou phrase d'urgence du groupe").fill(
            passphrase
        )
        self.page.get_by_role("button", name="Ouvrir le kit").click()

    def wait_ready(self) -> dict[str, object]:
        """Wait until the kit is open and searchable; the page's ready report."""
        report: dict[str, object] = self.page.evaluate("window.bascule.ready")
        return report

    def search(self, query: str) -> None:
        """Type a query in the search box and run it."""
        box = self.page.get_by_label("Nom et prénom, date de naissance, IPP ou NIR")
        box.fill(query)
        box.press("Enter")


def _refuse_network(route: Route, visit: Visit) -> None:
    if route.request.url.startswith("file://"):
        route.continue_()
    else:
        visit.requests.append(route.request.url)
        route.abort()


def _keep_errors(message: ConsoleMessage, visit: Visit) -> None:
    if message.type == "error":
        visit.problems.append(message.text)


@contextmanager
def visit(browser: Browser, html: Path) -> Iterator[Visit]:
    """Open ``html`` from file:// in a fresh offline context that aborts any network use."""
    context: BrowserContext = browser.new_context(
        offline=True, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    url = html.resolve().as_uri()
    opened = Visit(context.new_page(), url)
    context.route("**/*", lambda route: _refuse_network(route, opened))
    context.on("request", lambda request: opened.requests.append(request.url))
    opened.page.on("console", lambda message: _keep_errors(message, opened))
    opened.page.on("pageerror", lambda error: opened.problems.append(str(error)))
    opened.page.set_default_timeout(READY_TIMEOUT_MS)
    try:
        opened.page.goto(url)
        yield opened
    finally:
        context.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless (skipped, or failed under CI=true, when missing)."""
    path = require_chromium(CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def write(
    directory: Path, name: str, files: list[BuiltFile], keys: KeyStore, **options: int
) -> Path:
    """Write the rennes viewer of ``files`` under ``directory/name``."""
    target = directory / name / viewer_name("rennes")
    write_viewer(target, [f.data for f in files], load_public_key(keys.public_key_path), **options)
    return target


def shot(opened: Visit, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot as tests/artifacts/viewer-NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=ARTIFACTS / f"viewer-{name}.png", full_page=full_page)


def js_search(opened: Visit, query: str) -> list[str]:
    """Patient ids the page's search finds, best first."""
    found: list[str] = opened.page.evaluate("query => window.bascule.search(query)", query)
    return found


def py_search(content: dict[str, Any], query: str) -> list[str]:
    """Patient ids the Python reference finds, best first."""
    return [match.id for match in find_patients(content, query)]
