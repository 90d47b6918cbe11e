"""The offline viewer's screens in Debian's chromium, on a synthetic group of 2,000 people.

The page is opened from file:// with the network cut off and unlocked once; the tests read
it: search (compared with the Python reference on generated names and queries), patient
sheet, operating-room schedule and its print, census, directory. Screenshots go to
tests/artifacts/viewer-*.png.
"""

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, expect

from bascule.kit.build import build_kit_file, open_chain
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.search import normalise, within_typo
from bascule.synth.group import synthesise
from tests.kit.viewer_support import (
    SITE_PASSPHRASE,
    Visit,
    chromium,
    js_search,
    key_store,
    migrated,
    py_search,
    shot,
    visit,
    write,
)
from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Synthetic:
    """The viewer of a synthetic group's rennes kit, and the same content opened by Python."""

    viewer: Path
    content: dict[str, Any]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return key_store(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory, keys: KeyStore) -> Synthetic:
    directory = tmp_path_factory.mktemp("synthetic")
    db = migrated(directory / "synthetic.sqlite3")
    try:
        synthesise(db, patients=2000, seed=3)
        kit = build_kit_file(db, keys, "rennes")
    finally:
        db.dispose()
    content = open_chain(
        [("kit", kit.data)], load_public_key(keys.public_key_path), SITE_PASSPHRASE
    )
    return Synthetic(write(directory, "viewer", [kit], keys), content)


@pytest.fixture(scope="module")
def opened(browser: Browser, synthetic: Synthetic) -> Iterator[Visit]:
    """The synthetic viewer, unlocked once for the tests that only read it."""
    with visit(browser, synthetic.viewer) as page:
        page.unlock(SITE_PASSPHRASE)
        page.wait_ready()
        yield page
        page.check_clean()


def accented_patient_with_allergies(content: dict[str, Any]) -> dict[str, Any]:
    records = sorted(content["collections"]["patients"].values(), key=lambda r: r["id"])
    return next(
        r
        for r in records
        if r["allergies"]
        and not r["used"]
        and not f"{r['family']} {r['given'].split()[0]}".isascii()
    )


# --- search -----------------------------------------------------------------------------


def test_a_name_typed_without_accents_finds_the_accented_patient(
    opened: Visit, synthetic: Synthetic
) -> None:
    target = accented_patient_with_allergies(synthetic.content)
    query = normalise(f"{target['given'].split()[0]} {target['family']}")
    assert query.isascii()
    opened.page.goto(f"{opened.url}#patients")
    opened.search(query)
    link = opened.page.locator(f'a[href="#patient/{target["id"]}"]')
    expect(opened.page.locator("#results").locator(link)).to_have_text(
        re.compile(re.escape(target["family"].upper()))
    )
    row = opened.page.locator("#results tr").filter(has=link)
    expect(row).to_contain_text("Suivi sur ce site")
    expect(row).to_contain_text("Allergie")
    shot(opened, "search")
    assert js_search(opened, query) == py_search(synthetic.content, query)


def test_a_name_with_one_typo_finds_the_patient(opened: Visit, synthetic: Synthetic) -> None:
    target = accented_patient_with_allergies(synthetic.content)
    family = max(normalise(target["family"]).split(), key=len)
    assert len(family) >= 4
    swapped = family[:1] + family[2] + family[1] + family[3:]  # a transposition: one edit
    query = f"{swapped} {normalise(target['given']).split()[0]}"
    found = js_search(opened, query)
    assert target["id"] in found
    assert found == py_search(synthetic.content, query)


def test_birth_date_local_id_and_nir_find_the_patient(opened: Visit, synthetic: Synthetic) -> None:
    target = next(
        r
        for r in sorted(
            synthetic.content["collections"]["patients"].values(), key=lambda r: r["id"]
        )
        if r["nir"]
    )
    year, month, day = target["birth"].split("-")
    for query in (f"{day}/{month}/{year}", target["birth"]):
        found = js_search(opened, query)
        assert target["id"] in found
        assert found == py_search(synthetic.content, query)
    nir = target["nir"]
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert js_search(opened, spaced) == [target["id"]]
    assert target["id"] in js_search(opened, target["local_id"])
    opened.search(spaced)
    expect(opened.page.locator("#results")).to_contain_text("1 patient trouvé")


# --- patient sheet ------------------------------------------------------------------------


def test_the_sheet_shows_allergies_before_anything_else(
    opened: Visit, synthetic: Synthetic
) -> None:
    target = accented_patient_with_allergies(synthetic.content)
    opened.page.goto(f"{opened.url}#patients")
    opened.search(normalise(f"{target['family']} {target['given']}"))
    opened.page.locator(f'#results a[href="#patient/{target["id"]}"]').click()
    allergies = opened.page.get_by_role("alert").filter(has_text="ALLERGIES")
    expect(allergies).to_be_visible()
    for allergy in target["allergies"]:
        expect(allergies).to_contain_text(allergy["substance"].upper())
    expect(allergies).to_have_css("border-top-color", "rgb(176, 0, 32)")
    sheet = opened.page.locator("#screen-patient")
    expect(sheet).to_contain_text(target["blood_group"] or "inconnu")
    expect(sheet).to_contain_text("Interventions programmées")
    shot(opened, "patient")


def test_no_known_allergy_and_identity_only_are_said_plainly(
    opened: Visit, synthetic: Synthetic
) -> None:
    patients = synthetic.content["collections"]["patients"]
    without = next(
        r for r in sorted(patients.values(), key=lambda r: r["id"]) if not r["allergies"]
    )
    opened.page.goto(f"{opened.url}#patient/{without['id']}")
    expect(opened.page.locator("#screen-patient")).to_contain_text("Aucune allergie connue")
    elsewhere = next(pid for pid in synthetic.content["index"]["id"] if pid not in patients)
    opened.page.goto(f"{opened.url}#patient/{elsewhere}")
    sheet = opened.page.locator("#screen-patient")
    expect(sheet).to_contain_text("Identité seulement")
    expect(sheet).to_contain_text("ne sont PAS connus ici")
    expect(sheet).not_to_contain_text("Aucune allergie connue")
    shot(opened, "identity-only")


# --- schedule, census, directory, print ------------------------------------------------------


def busiest_day(content: dict[str, Any]) -> str:
    days: dict[str, int] = {}
    for case in content["collections"]["cases"].values():
        days[case["day"]] = days.get(case["day"], 0) + 1
    return max(sorted(days), key=lambda day: days[day])


def test_the_or_schedule_lists_each_theatre_in_start_order_and_prints(
    opened: Visit, synthetic: Synthetic
) -> None:
    day = busiest_day(synthetic.content)
    cases = [c for c in synthetic.content["collections"]["cases"].values() if c["day"] == day]
    opened.page.goto(f"{opened.url}#bloc/{day}")
    theatres = opened.page.locator("#screen-bloc section.theatre")
    used = {c["theatre_id"] for c in cases}
    expect(theatres).to_have_count(len(used))
    expect(opened.page.locator("#screen-bloc table.schedule tbody tr")).to_have_count(len(cases))
    for section in theatres.all():
        times = section.locator("td.time strong").all_inner_texts()
        assert times == sorted(times)
    shot(opened, "bloc", full_page=False)
    opened.page.emulate_media(media="print")
    try:
        expect(opened.page.locator("#nav")).to_be_hidden()
        expect(opened.page.locator(".day-tabs")).to_be_hidden()
        head = opened.page.locator("#print-head")
        expect(head).to_be_visible()
        expect(head).to_contain_text(synthetic.content["site"]["name"])
        expect(head).to_contain_text("imprimé le")
        expect(theatres.nth(1)).to_have_css("break-before", "page")
        shot(opened, "bloc-print", full_page=False)
        pdf = opened.page.pdf(format="A4")
        (ARTIFACTS / "viewer-bloc-print.pdf").write_bytes(pdf)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= len(used)  # a page per theatre
    finally:
        opened.page.emulate_media(media="screen")


def test_the_census_shows_every_bed_and_who_is_in_it(opened: Visit, synthetic: Synthetic) -> None:
    wards = synthetic.content["collections"]["wards"]
    stays = synthetic.content["collections"]["stays"].values()
    ward = max(sorted(wards.values(), key=lambda w: w["id"]), key=lambda w: len(w["rooms"]))
    beds = sum(len(room["beds"]) for room in ward["rooms"])
    occupied = sum(1 for s in stays if s["ward_id"] == ward["id"])
    opened.page.goto(f"{opened.url}#lits")
    opened.page.get_by_label("Service").select_option(ward["id"])
    section = opened.page.locator("#screen-lits section.ward")
    expect(section).to_have_count(1)
    expect(section.locator("tbody tr")).to_have_count(beds)
    expect(section.locator("tbody tr.free")).to_have_count(beds - occupied)
    expect(section.locator(".ward-summary")).to_contain_text(f"{beds - occupied} libre")
    shot(opened, "census", full_page=False)


def test_the_directory_lists_the_site_surgeons(opened: Visit, synthetic: Synthetic) -> None:
    opened.page.goto(f"{opened.url}#annuaire")
    staff = synthetic.content["collections"]["staff"]
    expect(opened.page.locator("table.directory tbody tr")).to_have_count(len(staff))
    oncall = synthetic.content["collections"]["oncall"]
    assert oncall  # the synthetic roster covers the horizon
    expect(opened.page.locator("table.oncall tbody tr")).to_have_count(len(oncall))
    first = min(oncall.values(), key=lambda o: (o["day"], o["specialty"]))
    surgeon = staff[first["staff_id"]]
    expect(opened.page.locator("table.oncall")).to_contain_text(surgeon["family_name"].upper())
    shot(opened, "directory", full_page=False)


# --- JavaScript and Python agree ------------------------------------------------------------

NAME_CHARACTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -'’.,"
    "àâäçéèêëîïôöùûüÿñæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÑÆŒßøåłğşİıǅﬁ\u0301\u0308\u00a0\t"
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=NAME_CHARACTERS, max_size=30), min_size=1, max_size=25))
def test_javascript_normalise_is_python_normalise(opened: Visit, names: list[str]) -> None:
    folded = opened.page.evaluate("names => names.map(window.bascule.normalise)", names)
    assert folded == [normalise(name) for name in names]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(alphabet="abcde", max_size=10), st.text(alphabet="abcde", max_size=12)),
        min_size=1,
        max_size=40,
    )
)
def test_javascript_typo_rule_is_python_typo_rule(
    opened: Visit, pairs: list[tuple[str, str]]
) -> None:
    verdicts = opened.page.evaluate(
        "pairs => pairs.map(([q, w]) => window.bascule.withinTypo(q, w))", pairs
    )
    assert verdicts == [within_typo(query, word) for query, word in pairs]


def _query(content: dict[str, Any], row: int, kind: str, rng: random.Random) -> str:
    index = content["index"]
    names = index["names"]
    family = names[index["family"][row]]
    given = names[index["given"][row]]
    if kind == "date":
        year, month, day = index["birth"][row].split("-")
        return f"{day}/{month}/{year}"
    if kind == "local" and index["local"][row]:
        return str(index["local"][row].split()[0].split(":", 1)[1])
    if kind == "prefix":
        return normalise(family)[: rng.randint(2, 5)]
    words = normalise(f"{given} {family}").split()
    picked = rng.sample(words, k=min(len(words), rng.randint(1, 3)))
    if kind == "typo":
        longest = max(range(len(picked)), key=lambda i: len(picked[i]))
        word = picked[longest]
        at = rng.randrange(len(word))
        picked[longest] = word[:at] + rng.choice("aeiourst") + word[at + 1 :]
    return " ".join(picked)


@settings(max_examples=60, deadline=None)
@given(
    row=st.integers(0, 1999),
    kind=st.sampled_from(["words", "typo", "prefix", "date", "local"]),
    seed=st.integers(0, 1000),
)
def test_javascript_search_is_python_search(
    opened: Visit, synthetic: Synthetic, row: int, kind: str, seed: int
) -> None:
    query = _query(synthetic.content, row, kind, random.Random(seed))
    assert js_search(opened, query) == py_search(synthetic.content, query)
