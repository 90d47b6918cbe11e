from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from bascule.crisis import accounts
from bascule.crisis.accounts import AccountError
from bascule.crisis.roles import Actor, Role
from bascule.errors import UnknownEntityError
from bascule.store import changes, journal
from bascule.store.database import Database
from bascule.store.tables import UserRow
from tests.factories import record, site

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with minimal cost, except where a test puts the real hasher back."""
    monkeypatch.setattr(
        accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def group(db: Database) -> Database:
    """Two sites, no account."""
    record(db, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))])
    return db


def _add(
    db: Database,
    username: str = "alice",
    *,
    display_name: str = "Alice Le Gall",
    role: str = Role.SITE_MANAGER,
    sites: Sequence[str] = ("rennes",),
    password: str = PASSWORD,
) -> None:
    accounts.add_user(
        db,
        username=username,
        display_name=display_name,
        role=role,
        sites=sites,
        password=password,
        actor="cli:admin",
    )


def _journal_text(db: Database) -> str:
    with db.reading() as session:
        return "\n".join(
            f"{entry.actor} {entry.kind} {entry.payload}" for entry in journal.tail(session, 1000)
        )


def test_an_added_user_signs_in_with_their_password(group: Database) -> None:
    before = datetime.now(UTC)
    _add(group, sites=["rennes", "nantes", "rennes"])
    actor = accounts.authenticate(group, "alice", PASSWORD)
    assert actor == Actor("alice", "Alice Le Gall", Role.SITE_MANAGER, ("rennes", "nantes"))
    assert accounts.authenticate(group, " ALICE ", PASSWORD) == actor
    (info,) = accounts.list_users(group)
    assert (info.username, info.role, info.sites, info.active) == (
        "alice",
        Role.SITE_MANAGER,
        ("rennes", "nantes"),
        True,
    )
    assert before <= info.created_at <= datetime.now(UTC)
    with group.reading() as session:
        entry = journal.tail(session, 1)[0]
    assert (entry.kind, entry.actor, entry.entity_id) == ("user.added", "cli:admin", "alice")


def test_a_wrong_password_or_unknown_user_signs_nobody_in(group: Database) -> None:
    _add(group)
    assert accounts.authenticate(group, "alice", PASSWORD + "!") is None
    assert accounts.authenticate(group, "alice", "") is None
    assert accounts.authenticate(group, "bob", PASSWORD) is None


def test_a_disabled_user_cannot_sign_in_until_a_new_password(group: Database) -> None:
    _add(group)
    accounts.disable_user(group, "alice", actor="cli:admin")
    assert accounts.authenticate(group, "alice", PASSWORD) is None
    assert not accounts.list_users(group)[0].active
    with pytest.raises(AccountError, match="user 'alice' is already disabled"):
        accounts.disable_user(group, "alice", actor="cli:admin")
    accounts.set_password(group, "alice", "another long passphrase", actor="cli:admin")
    assert accounts.authenticate(group, "alice", PASSWORD) is None
    assert accounts.authenticate(group, "alice", "another long passphrase") is not None


def test_changing_an_unknown_user_is_refused(group: Database) -> None:
    with pytest.raises(UnknownEntityError, match="unknown user 'bob'"):
        accounts.set_password(group, "bob", PASSWORD, actor="cli:admin")
    with pytest.raises(UnknownEntityError, match="unknown user 'bob'"):
        accounts.disable_user(group, "bob", actor="cli:admin")


def test_a_username_is_taken_once(group: Database) -> None:
    _add(group)
    with pytest.raises(AccountError, match="username 'alice' is already taken"):
        _add(group, role=Role.VIEWER, sites=[])


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"role": "boss"}, AccountError, "role 'boss' is not one of: crisis-lead, site-manager"),
        ({"sites": []}, AccountError, "sites: a site-manager needs at least one site"),
        (
            {"sites": ["rennes", "brest"]},
            UnknownEntityError,
            r"unknown site id 'brest' \(known sites: nantes, rennes\)",
        ),
        (
            {"role": Role.VIEWER},
            AccountError,
            "sites: only a site-manager is tied to sites; a viewer acts for the whole group",
        ),
        ({"password": "short pass"}, AccountError, "password must be at least 12 characters"),
        ({"display_name": "  "}, AccountError, "display name must not be empty"),
        ({"display_name": "Alice\nBob"}, AccountError, "display name must not contain control"),
        ({"username": "Alice"}, AccountError, "username 'Alice' must be 2 to 60 characters"),
    ],
)
def test_invalid_accounts_are_refused_by_field(
    group: Database, overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with group.reading() as session:
        before = journal.count(session)
    with pytest.raises(error, match=message):
        _add(group, **overrides)
    with group.reading() as session:
        assert journal.count(session) == before


def test_the_short_password_is_not_repeated_in_the_error() -> None:
    with pytest.raises(AccountError) as refused:
        accounts.check_password("hunter2")
    assert "hunter2" not in str(refused.value)
    assert "(got 7)" in str(refused.value)


def test_only_an_argon2id_hash_is_kept(group: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher())
    _add(group)
    accounts.set_password(group, "alice", "a second long passphrase", actor="cli:admin")
    with group.reading() as session:
        stored = session.get(UserRow, "alice")
        assert stored is not None
        password_hash = stored.password_hash
    assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    text = _journal_text(group)
    assert PASSWORD not in text
    assert "a second long passphrase" not in text
    assert password_hash in text  # the journal is what rebuilds the table
    assert accounts.authenticate(group, "alice", "a second long passphrase") is not None


@given(st.from_regex(accounts.USERNAME, fullmatch=True))
def test_every_name_the_pattern_allows_is_accepted(username: str) -> None:
    assert accounts.check_username(username) == username


@given(st.text(max_size=80))
def test_a_username_is_accepted_only_when_it_matches_the_pattern(text: str) -> None:
    valid = (
        2 <= len(text) <= 60
        and text[0] in "abcdefghijklmnopqrstuvwxyz0123456789"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789._-" for c in text)
    )
    if valid:
        assert accounts.check_username(text) == text
    else:
        with pytest.raises(AccountError, match="must be 2 to 60 characters"):
            accounts.check_username(text)
