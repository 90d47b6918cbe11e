"""Local accounts of the crisis-cell application: who they are and how they prove it.

Only an argon2id hash of each password is kept, in the journal and the ``users`` table;
the password itself is never stored or logged. Every change goes through the journal,
with the actor that made it (``cli:<login>`` from the command line, ``web:<username>``
from the web application).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.roles import Actor, Role
from bascule.errors import BasculeError, UnknownEntityError
from bascule.store import journal
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.kinds import USER_ADDED, USER_DISABLED, USER_PASSWORD_SET
from bascule.store.queries import unknown_site
from bascule.store.tables import SiteRow, UserRow

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
MIN_PASSWORD_LENGTH = 12
MAX_DISPLAY_NAME_LENGTH = 120

# Module-level so that tests can swap in a cheaper one; argon2-cffi's defaults (argon2id,
# 64 MiB, 3 passes) follow RFC 9106's second recommended profile.
HASHER = PasswordHasher()


class AccountError(BasculeError):
    """An account change refused, naming the field at fault."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """An account as listed to administrators (no hash)."""

    username: str
    display_name: str
    role: Role
    sites: tuple[str, ...]
    active: bool
    created_at: datetime


def canonical_username(text: str) -> str:
    """``text`` as a username is stored: surrounding spaces removed, lower case."""
    return text.strip().lower()


def check_username(username: str) -> str:
    """``username`` if it is a valid new username, else :class:`AccountError` saying why."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            f"username {username!r} must be 2 to 60 characters: lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return username


def check_password(password: str) -> str:
    """``password`` if it is long enough, else :class:`AccountError` (the value unnamed)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters "
            f"(got {len(password)}); a few unrelated words make a good one"
        )
    return password


def _check_display_name(display_name: str) -> str:
    name = display_name.strip()
    if not name:
        raise AccountError("display name must not be empty")
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise AccountError(
            f"display name must be at most {MAX_DISPLAY_NAME_LENGTH} characters (got {len(name)})"
        )
    if any(not character.isprintable() for character in name):
        raise AccountError("display name must not contain control characters")
    return name


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"role {role!r} is not one of: {choices}") from None


def _check_sites(session: Session, role: Role, sites: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(site.strip() for site in sites))
    if role is not Role.SITE_MANAGER:
        if chosen:
            raise AccountError(
                f"sites: only a {Role.SITE_MANAGER.value} is tied to sites; "
                f"a {role.value} acts for the whole group"
            )
        return chosen
    if not chosen:
        raise AccountError(f"sites: a {Role.SITE_MANAGER.value} needs at least one site")
    known = set(session.scalars(select(SiteRow.id).where(SiteRow.id.in_(chosen))))
    for site in chosen:
        if site not in known:
            raise unknown_site(session, site)
    return chosen


def _user_row(session: Session, username: str) -> UserRow:
    row = session.get(UserRow, username)
    if row is None:
        raise UnknownEntityError(f"unknown user {username!r}")
    return row


def add_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    role: str,
    sites: Sequence[str],
    password: str,
    actor: str,
) -> None:
    """Journal a new account; :class:`AccountError` names the first field at fault."""
    name = check_username(username)
    chosen_role = _check_role(role)
    display = _check_display_name(display_name)
    password_hash = HASHER.hash(check_password(password))
    with db.writing() as session:
        # Held from before the duplicate check, so two writers cannot both pass it.
        journal.lock(session)
        if session.get(UserRow, name) is not None:
            raise AccountError(f"username {name!r} is already taken")
        payload = {
            "username": name,
            "display_name": display,
            "role": chosen_role.value,
            "sites": _check_sites(session, chosen_role, sites),
            "password_hash": password_hash,
            "created_at": canonical_instant(db.clock.now()),
        }
        journal.append(
            session, [Change(USER_ADDED, "user", name, payload)], actor=actor, at=db.clock.now()
        )


def set_password(db: Database, username: str, password: str, *, actor: str) -> None:
    """Journal a new password for ``username``; this ends their sessions and re-enables them."""
    password_hash = HASHER.hash(check_password(password))
    with db.writing() as session:
        _user_row(session, username)
        payload = {"username": username, "password_hash": password_hash}
        journal.append(
            session,
            [Change(USER_PASSWORD_SET, "user", username, payload)],
            actor=actor,
            at=db.clock.now(),
        )


def disable_user(db: Database, username: str, *, actor: str) -> None:
    """Journal that ``username`` may no longer sign in; their open sessions end with it."""
    with db.writing() as session:
        if not _user_row(session, username).active:
            raise AccountError(f"user {username!r} is already disabled")
        journal.append(
            session,
            [Change(USER_DISABLED, "user", username, {"username": username})],
            actor=actor,
            at=db.clock.now(),
        )


def list_users(db: Database) -> list[UserInfo]:
    """Every account, active or not, by username."""
    with db.reading() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
        return [
            UserInfo(
                username=row.username,
                display_name=row.display_name,
                role=Role(row.role),
                sites=tuple(row.sites),
                active=row.active,
                created_at=as_utc(row.created_at),
            )
            for row in rows
        ]


def actor_of(row: UserRow) -> Actor:
    """The :class:`Actor` an account row stands for."""
    return Actor(row.username, row.display_name, Role(row.role), tuple(row.sites))


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("bascule: no such user")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, username: str, password: str) -> Actor | None:
    """The account's :class:`Actor` when ``password`` is right and the account active.

    Case and surrounding spaces of ``username`` are ignored. An unknown username costs
    a hash verification too, so the answer time does not tell which usernames exist.
    """
    name = canonical_username(username)
    with db.reading() as session:
        row = session.get(UserRow, name)
        actor = None if row is None or not row.active else actor_of(row)
        password_hash = _dummy_hash(HASHER) if row is None else row.password_hash
    right = _verify(password_hash, password)
    return actor if right else None
