"""write_viewer without a browser: what it embeds, what it refuses, how it writes."""

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bascule.clock import SimulatedClock
from bascule.errors import BasculeError
from bascule.kit.build import BuiltFile, build_delta_file, build_kit_file
from bascule.kit.keys import KeyStore, load_public_key
from bascule.kit.viewer import viewer_name, write_viewer
from bascule.store import changes
from bascule.store.database import Database
from tests.factories import patient, record
from tests.kit.group import AS_OF, build_group
from tests.kit.viewer_support import embedded_files, key_store, migrated


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return key_store(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def group(tmp_path: Path) -> Iterator[Database]:
    db = migrated(tmp_path / "group.sqlite3")
    db.clock = SimulatedClock(datetime(2026, 12, 7, 6, tzinfo=UTC))
    build_group(db)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def chain(group: Database, keys: KeyStore) -> list[BuiltFile]:
    """A rennes kit and two deltas, each registering one patient."""
    kit = build_kit_file(group, keys, "rennes", as_of=AS_OF)
    record(group, [changes.patient_registered(patient(5), "rennes")])
    first = build_delta_file(group, keys, kit.manifest, as_of=AS_OF)
    record(group, [changes.patient_registered(patient(6), "rennes")])
    second = build_delta_file(group, keys, first.manifest, as_of=AS_OF)
    return [kit, first, second]


def public(keys: KeyStore) -> Ed25519PublicKey:
    return load_public_key(keys.public_key_path)


def test_viewer_name_is_per_site_and_refuses_path_tricks() -> None:
    assert viewer_name("rennes") == "bascule-kit-rennes.html"
    assert viewer_name("saint-malo_2") == "bascule-kit-saint-malo_2.html"
    for bad in ("", "../etc", "a/b", "rennes.html", " rennes"):
        with pytest.raises(BasculeError, match="cannot name a viewer"):
            viewer_name(bad)


def test_viewer_embeds_the_chain_the_key_and_the_threshold(
    tmp_path: Path, chain: list[BuiltFile], keys: KeyStore
) -> None:
    target = tmp_path / "out" / viewer_name("rennes")
    write_viewer(target, [f.data for f in chain], public(keys), stale_after_minutes=45)
    html = target.read_text(encoding="utf-8")
    assert embedded_files(html) == [f.data for f in chain]
    found = re.search(r'<script type="application/json" id="bascule-config">(.*?)</script>', html)
    assert found is not None
    config = json.loads(found[1])
    assert config == {
        "publicKey": keys.public_key_path.read_text().strip(),
        "site": "rennes",
        "staleAfterMinutes": 45,
    }
    assert "<title>Kit de continuité — rennes</title>" in html
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left
    assert target.stat().st_mode & 0o777 == 0o644


def test_csp_forbids_the_network_and_allows_exactly_the_inline_code(
    tmp_path: Path, chain: list[BuiltFile], keys: KeyStore
) -> None:
    target = tmp_path / viewer_name("rennes")
    write_viewer(target, [chain[0].data], public(keys))
    html = target.read_text(encoding="utf-8")
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert policy is not None
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert script is not None
    assert style is not None
    assert policy[1] == (
        f"default-src 'none'; script-src {sha256(script[1])}; style-src {sha256(style[1])}; "
        "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
    assert "unsafe" not in html
    assert not re.search(r"\b(src|href)=\"(https?:)?//", html)  # nothing external at all


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_rewriting_replaces_the_viewer_whole(
    tmp_path: Path, chain: list[BuiltFile], keys: KeyStore
) -> None:
    target = tmp_path / "out" / viewer_name("rennes")
    write_viewer(target, [chain[0].data], public(keys))
    write_viewer(target, [f.data for f in chain], public(keys))
    assert len(embedded_files(target.read_text(encoding="utf-8"))) == 3
    assert [p.name for p in target.parent.iterdir()] == [target.name]


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        (lambda _chain: [], "no file given"),
        (lambda _chain: [b"PK\x03\x04 not a kit at all, a zip maybe" * 3], "bad magic bytes"),
        (lambda c: [c[1].data], "is a delta"),
        (lambda c: [c[0].data, c[0].data], "is a full kit"),
        (lambda c: [c[0].data, c[2].data], "a delta is missing or out of order"),
        (lambda c: [c[0].data, c[2].data, c[1].data], "a delta is missing or out of order"),
        (lambda c: [c[0].data[:-1] + bytes([c[0].data[-1] ^ 1])], "the file was altered"),
    ],
    ids=["empty", "not-a-kit", "delta-first", "kit-twice", "gap", "out-of-order", "altered"],
)
def test_a_chain_the_viewer_would_refuse_is_never_written(
    tmp_path: Path,
    chain: list[BuiltFile],
    keys: KeyStore,
    pick: Callable[[list[BuiltFile]], list[bytes]],
    message: str,
) -> None:
    target = tmp_path / "out" / viewer_name("rennes")
    with pytest.raises(BasculeError, match=message):
        write_viewer(target, pick(chain), public(keys))
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_a_kit_signed_by_another_key_is_refused(
    tmp_path: Path, group: Database, keys: KeyStore
) -> None:
    stranger = key_store(tmp_path / "stranger")
    foreign = build_kit_file(group, stranger, "rennes", as_of=AS_OF)
    with pytest.raises(BasculeError, match="not the group key"):
        write_viewer(tmp_path / "v.html", [foreign.data], public(keys))


def test_a_delta_of_another_site_is_refused(tmp_path: Path, group: Database) -> None:
    keys = key_store(tmp_path / "keys")
    keys.set_slot("site", "nantes: phrase du site 2026", "nantes")
    rennes = build_kit_file(group, keys, "rennes", as_of=AS_OF)
    nantes = build_kit_file(group, keys, "nantes", as_of=AS_OF)
    record(group, [changes.patient_registered(patient(5), "rennes")])
    nantes_delta = build_delta_file(group, keys, nantes.manifest, as_of=AS_OF)
    with pytest.raises(BasculeError, match="is for site nantes"):
        write_viewer(tmp_path / "v.html", [rennes.data, nantes_delta.data], public(keys))


def test_the_stale_threshold_must_be_positive(
    tmp_path: Path, chain: list[BuiltFile], keys: KeyStore
) -> None:
    with pytest.raises(BasculeError, match="at least 1"):
        write_viewer(tmp_path / "v.html", [chain[0].data], public(keys), stale_after_minutes=0)
