"""Trusting the offline viewer: what it refuses, how it opens, how it says its age.

Debian's chromium opens viewers of a tiny hand-written group from file:// with the network
cut off: tampered bytes, foreign keys, missing deltas, passphrases, deltas applied as the
spec says (checked against the Python reference), staleness and the Content-Security-Policy.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bascule.clock import SimulatedClock, SystemClock
from bascule.kit.build import BuiltFile, build_delta_file, build_kit_file, open_chain
from bascule.kit.container import seal
from bascule.kit.delta import DELTA_SCHEMA, apply_delta
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.viewer import viewer_name, write_viewer
from bascule.store import changes
from tests.factories import patient, record
from tests.kit.group import AS_OF, build_group, stay
from tests.kit.viewer_support import (
    GROUP_PASSPHRASE,
    SITE_PASSPHRASE,
    Visit,
    chromium,
    embedded_files,
    flip_byte,
    js_search,
    key_store,
    migrated,
    newcomer,
    py_search,
    remove_file,
    replace_file,
    shot,
    visit,
    write,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Viewers:
    """Viewers of the tiny group: fresh kit alone, with two deltas, and a stale kit."""

    kit: Path
    with_deltas: Path
    stale: Path
    files: list[BuiltFile]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return key_store(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, keys: KeyStore) -> Viewers:
    directory = tmp_path_factory.mktemp("tiny")
    db = migrated(directory / "tiny.sqlite3")
    try:
        # The group and a first kit three hours ago (stale), then a fresh kit and deltas.
        db.clock = SimulatedClock(datetime.now(UTC) - timedelta(hours=3))
        build_group(db)
        stale = build_kit_file(db, keys, "rennes", as_of=AS_OF)
        db.clock = SystemClock()
        kit = build_kit_file(db, keys, "rennes", as_of=AS_OF)
        record(
            db,
            [
                changes.patient_registered(newcomer(), "rennes"),
                changes.stay_admitted(stay(7, "p7", bed="B")),
            ],
        )
        first = build_delta_file(db, keys, kit.manifest, as_of=AS_OF)
        record(db, [changes.patient_registered(patient(8), "rennes")])
        second = build_delta_file(db, keys, first.manifest, as_of=AS_OF)
    finally:
        db.dispose()
    return Viewers(
        kit=write(directory, "kit", [kit], keys),
        with_deltas=write(directory, "deltas", [kit, first, second], keys),
        stale=write(directory, "stale", [stale], keys),
        files=[kit, first, second],
    )


# --- refusals -------------------------------------------------------------------------------


def expect_refused(page: Visit, reason: str) -> None:
    """The refusal is shown and nothing of the kit is: no form, no patient, no search."""
    refusal = page.page.locator("#screen-refused")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(reason)
    expect(page.page.locator("#passphrase")).to_be_hidden()
    body = page.page.locator("body").inner_text()
    for leak in ("GOFF", "Goff", "Maëlle", "pénicilline", "Kerjean"):
        assert leak not in body
    assert page.page.evaluate("window.bascule.search('goff')") == []
    rejected = page.page.evaluate("window.bascule.ready.then(() => 'opened', () => 'refused')")
    assert rejected == "refused"


def tampered(target: Path, html: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def header_end(data: bytes) -> int:
    return 12 + int.from_bytes(data[8:12], "big")


FLIPS: dict[str, Callable[[bytes], int]] = {
    "magic": lambda _data: 0,
    "header-length": lambda _data: 11,
    "header": lambda data: header_end(data) - 20,
    "ciphertext": lambda data: (header_end(data) + len(data) - 64) // 2,
    "gcm-tag": lambda data: len(data) - 65,
    "signature": lambda data: len(data) - 1,
}


@pytest.mark.parametrize("where", list(FLIPS))
def test_one_flipped_byte_anywhere_refuses_the_kit(
    browser: Browser, tiny: Viewers, tmp_path: Path, where: str
) -> None:
    html = tiny.kit.read_text(encoding="utf-8")
    data = embedded_files(html)[0]
    changed = flip_byte(data, FLIPS[where](data))
    viewer = tampered(tmp_path / viewer_name("rennes"), replace_file(html, 0, changed))
    with visit(browser, viewer) as page:
        expect_refused(page, "Kit refusé : signature invalide — le fichier a été modifié")
        if where == "ciphertext":
            shot(page, "refused", full_page=False)
        page.check_clean()


def test_a_flipped_byte_in_a_delta_refuses_everything(
    browser: Browser, tiny: Viewers, tmp_path: Path
) -> None:
    html = tiny.with_deltas.read_text(encoding="utf-8")
    delta = embedded_files(html)[2]
    changed = replace_file(html, 2, flip_byte(delta, len(delta) // 2))
    with visit(browser, tampered(tmp_path / "v.html", changed)) as page:
        expect_refused(page, "Mise à jour n°2 refusée : signature invalide")
        page.check_clean()


def test_a_kit_signed_by_another_key_is_refused(
    browser: Browser, tiny: Viewers, tmp_path: Path
) -> None:
    stranger = key_store(tmp_path / "stranger")
    db = migrated(tmp_path / "other.sqlite3")
    try:
        build_group(db)
        foreign = build_kit_file(db, stranger, "rennes", as_of=AS_OF)
    finally:
        db.dispose()
    html = replace_file(tiny.kit.read_text(encoding="utf-8"), 0, foreign.data)
    with visit(browser, tampered(tmp_path / "v.html", html)) as page:
        expect_refused(page, f"signé par une autre clé ({stranger.fingerprint()})")
        page.check_clean()


def test_a_missing_delta_is_refused(browser: Browser, tiny: Viewers, tmp_path: Path) -> None:
    html = remove_file(tiny.with_deltas.read_text(encoding="utf-8"), 1)
    with visit(browser, tampered(tmp_path / "v.html", html)) as page:
        expect_refused(page, "une mise à jour manque")
        page.check_clean()


# --- passphrases, deltas, staleness, network -------------------------------------------------


def test_a_wrong_passphrase_is_told_then_the_right_one_opens(
    browser: Browser, tiny: Viewers
) -> None:
    with visit(browser, tiny.kit) as page:
        page.unlock("ce n'est pas la bonne phrase")
        error = page.page.locator("#unlock-error")
        expect(error).to_have_text("Phrase secrète incorrecte.")
        expect(page.page.locator("#nav")).to_be_hidden()
        assert "GOFF" not in page.page.locator("body").inner_text()
        page.unlock(SITE_PASSPHRASE)
        report = page.wait_ready()
        assert report["patients"] == 4
        expect(error).to_be_hidden()
        expect(
            page.page.get_by_label("Phrase secrète du site ou phrase d'urgence du groupe")
        ).to_be_hidden()
        page.check_clean()


def test_the_group_emergency_passphrase_opens_too(browser: Browser, tiny: Viewers) -> None:
    with visit(browser, tiny.kit) as page:
        page.unlock(GROUP_PASSPHRASE)
        page.wait_ready()
        expect(page.page.locator("footer")).to_contain_text("phrase d'urgence du groupe")
        page.search("maelle le goff")
        expect(page.page.locator("#results")).to_contain_text("4 patients trouvés")
        page.check_clean()


def test_deltas_are_applied_in_order(browser: Browser, tiny: Viewers) -> None:
    with visit(browser, tiny.with_deltas) as page:
        page.unlock(SITE_PASSPHRASE)
        assert page.wait_ready()["patients"] == 6
        banner = page.page.locator("#freshness")
        expect(banner).to_contain_text(f"séquence {tiny.files[2].seq}")
        expect(banner).to_contain_text("kit + 2 mises à jour")
        page.search("laetitia nguessan brule")  # "N'Guessan-Brûlé Lætitia", one typo
        page.page.locator('#results a[href="#patient/p7"]').click()
        sheet = page.page.locator("#screen-patient")
        expect(sheet.get_by_role("alert")).to_contain_text("LATEX")
        expect(sheet).to_contain_text("Chambre 101 — lit B")
        assert page.page.evaluate("window.bascule.search('le goff 8')") == ["p8"]
        page.check_clean()


def test_index_updates_and_deletes_and_collection_drops_follow_the_spec(
    browser: Browser, tiny: Viewers, keys: KeyStore, tmp_path: Path
) -> None:
    """A hand-made delta exercising what the journal rarely produces, checked against
    the Python reference (apply_delta) rather than against expectations written here."""
    public = load_public_key(keys.public_key_path)
    kit = tiny.files[0]
    base = open_chain([("kit", kit.data)], public, SITE_PASSPHRASE)
    renamed = ["p1", "Kerjean-Ollivier", "Le Goff", "Maëlle", "1981-02-02", "F", None, "V", ""]
    added = ["p10", "Œuvray", "", "Noël Zoé", "1999-12-31", "F", None, "P", "rennes:R10"]
    p1 = dict(base["collections"]["patients"]["p1"], family="Kerjean-Ollivier")
    p1["allergies"] = [{"substance": "iode", "severity": "severe", "reaction": "choc"}]
    delta = {
        "schema": DELTA_SCHEMA,
        **{field: base[field] for field in ("site", "as_of", "horizon", "downtime_ids")},
        "base_seq": kit.seq,
        "seq": kit.seq + 3,
        "built_at": base["built_at"],
        "entries": [],
        "index": {"upserts": [renamed, added], "deletes": ["p2", "p404"]},
        "collections": {
            "patients": {"keep": ["p1"], "upserts": {"p1": p1}, "deletes": []},
            "stays": {"upserts": {}, "deletes": ["st0"]},
        },
    }
    sealed = seal(
        delta,
        kind="delta",
        site="rennes",
        seq=kit.seq + 3,
        base_seq=kit.seq,
        created_at=datetime.now(UTC),
        slots=keys.slots_for("rennes"),
        signing_key=keys.signing_key(),
    )
    viewer = tmp_path / viewer_name("rennes")
    write_viewer(viewer, [kit.data, sealed], public)
    expected = apply_delta(base, delta)
    with visit(browser, viewer) as page:
        page.unlock(SITE_PASSPHRASE)
        assert page.wait_ready()["patients"] == len(expected["index"]["id"])
        for query in ("le goff", "maelle", "kerjean", "oeuvray noel", "R10", "02/02/1981"):
            assert js_search(page, query) == py_search(expected, query)
        assert js_search(page, "kerjean") == ["p1"]
        assert js_search(page, "le goff-2") == []
        page.page.goto(f"{page.url}#patient/p1")
        expect(page.page.get_by_role("alert")).to_contain_text("IODE")
        page.page.goto(f"{page.url}#patient/p0")  # dropped by "keep": identity only now
        expect(page.page.locator("#screen-patient")).to_contain_text("Identité seulement")
        page.page.goto(f"{page.url}#lits")
        expect(page.page.locator("tr.free")).to_have_count(3)  # st0 deleted: all beds free
        page.check_clean()


def test_a_stale_kit_is_flagged_on_every_screen(browser: Browser, tiny: Viewers) -> None:
    with visit(browser, tiny.stale) as page:
        warning = page.page.locator("#stale")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("KIT ANCIEN — il y a 3 h")
        page.unlock(SITE_PASSPHRASE)
        page.wait_ready()
        page.page.goto(f"{page.url}#bloc")
        expect(warning).to_be_visible()
        expect(page.page.locator("body")).to_have_class(re.compile("is-stale"))
        shot(page, "stale", full_page=False)
        page.check_clean()


def test_a_fresh_kit_is_not_flagged(browser: Browser, tiny: Viewers) -> None:
    with visit(browser, tiny.kit) as page:
        expect(page.page.locator("#freshness")).to_contain_text("à l'instant")
        expect(page.page.locator("#stale")).to_be_hidden()
        page.check_clean()


def test_the_age_is_refreshed_and_turns_stale_past_the_threshold(
    browser: Browser, tiny: Viewers
) -> None:
    with visit(browser, tiny.kit) as page:
        page.page.clock.install()
        page.page.goto(page.url)  # again, now under the controlled clock
        freshness = page.page.locator("#freshness")
        expect(freshness).to_contain_text("à l'instant")
        page.page.clock.fast_forward("10:00")
        expect(freshness).to_contain_text("il y a 10 min")
        expect(page.page.locator("#stale")).to_be_hidden()
        page.page.clock.fast_forward("06:00")  # 16 min: past the default 15
        expect(page.page.locator("#stale")).to_contain_text("KIT ANCIEN — il y a 16 min")
        page.check_clean()


def test_the_page_cannot_reach_the_network(browser: Browser, tiny: Viewers) -> None:
    with visit(browser, tiny.kit) as page:
        policy = page.page.locator('meta[http-equiv="Content-Security-Policy"]')
        content = policy.get_attribute("content")
        assert content is not None
        assert content.startswith("default-src 'none'; script-src 'sha256-")
        assert "connect-src 'none'" in content
        blocked = page.page.evaluate(
            """() => fetch('https://example.org/leak').then(() => 'sent', () => 'blocked')"""
        )
        assert blocked == "blocked"
        page.unlock(SITE_PASSPHRASE)
        page.wait_ready()
        for screen in ("patients", "patient/p0", "bloc", "lits", "annuaire", "fiches"):
            page.page.goto(f"{page.url}#{screen}")
        assert page.foreign_requests() == []
        assert all("Content Security Policy" in problem for problem in page.problems)
        assert page.requests[0] == page.url
