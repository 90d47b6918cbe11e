"""Site agents on the group server: their tokens, their heartbeats, their freshness.

A site has at most one active token, shared by that site's agent PCs and scoped to that
site's kits. The token is shown once when created; the server keeps its SHA-256 only.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bascule.errors import BasculeError
from bascule.store import journal
from bascule.store.canonical import canonical_instant
from bascule.store.journal import Change
from bascule.store.kinds import AGENT_TOKEN_CREATED, AGENT_TOKEN_REVOKED
from bascule.store.tables import AgentHeartbeatRow, AgentTokenRow, SiteRow

TOKEN_PREFIX = "bsa_"
"""Marks bascule agent tokens, so that secret scanners and people recognise a leaked one."""
MAX_TOKEN_LENGTH = 200


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def fingerprint(digest: str) -> str:
    """A short name for a token in messages and the journal: its digest's first 16 digits."""
    return digest[:16]


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored instant is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just created: the only moment its clear text exists on the server."""

    site: str
    token: str
    fingerprint: str
    replaced: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the server knows about a token."""

    site: str
    fingerprint: str
    created_at: datetime
    revoked_at: datetime | None


def _active(session: Session, site: str) -> list[str]:
    query = select(AgentTokenRow.token_sha256).where(
        AgentTokenRow.site_id == site, AgentTokenRow.revoked_at.is_(None)
    )
    return list(session.scalars(query))


def _revoked(site: str, digest: str, at: datetime) -> Change:
    payload = {"site_id": site, "token_sha256": digest, "revoked_at": canonical_instant(at)}
    return Change(AGENT_TOKEN_REVOKED, "agent_token", fingerprint(digest), payload, site)


def create_token(
    session: Session, site: str, *, actor: str, at: datetime, replace: bool = False
) -> IssuedToken:
    """Journal a new token for ``site``; with ``replace``, revoke the active one with it."""
    active = _active(session, site)
    if active and not replace:
        raise BasculeError(
            f"site {site} already has an agent token ({fingerprint(active[0])}): "
            "revoke it first, or give --replace"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = token_digest(token)
    created = Change(
        AGENT_TOKEN_CREATED,
        "agent_token",
        fingerprint(digest),
        {"site_id": site, "token_sha256": digest, "created_at": canonical_instant(at)},
        site,
    )
    changes = [_revoked(site, old, at) for old in active] + [created]
    journal.append(session, changes, actor=actor, at=at)
    return IssuedToken(site, token, fingerprint(digest), tuple(fingerprint(d) for d in active))


def revoke_tokens(session: Session, site: str, *, actor: str, at: datetime) -> list[str]:
    """Journal the revocation of ``site``'s active token; its fingerprints."""
    active = _active(session, site)
    if not active:
        raise BasculeError(f"site {site} has no active agent token to revoke")
    journal.append(session, [_revoked(site, d, at) for d in active], actor=actor, at=at)
    return [fingerprint(digest) for digest in active]


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, active or revoked, by site then creation."""
    query = select(AgentTokenRow).order_by(AgentTokenRow.site_id, AgentTokenRow.created_at)
    return [
        TokenInfo(
            row.site_id,
            fingerprint(row.token_sha256),
            _utc(row.created_at),
            None if row.revoked_at is None else _utc(row.revoked_at),
        )
        for row in session.scalars(query)
    ]


def site_of_token(session: Session, token: str) -> str | None:
    """The site an active token opens, or None for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = select(AgentTokenRow.site_id).where(
        AgentTokenRow.token_sha256 == token_digest(token), AgentTokenRow.revoked_at.is_(None)
    )
    return session.scalars(query).first()


def sites_with_tokens(session: Session) -> list[str]:
    """Sites that have an active token, i.e. agents to publish kits for."""
    query = (
        select(AgentTokenRow.site_id)
        .where(AgentTokenRow.revoked_at.is_(None))
        .distinct()
        .order_by(AgentTokenRow.site_id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What an agent reports each cycle."""

    agent_id: str
    seq: int
    age_seconds: float
    kit_count: int
    disk_free_bytes: int | None = None


def record_heartbeat(
    session: Session, site: str, beat: Heartbeat, *, at: datetime, address: str | None
) -> None:
    """Keep ``beat`` as the latest of its agent (the first one also sets first_seen).

    Written directly, not through the journal: heartbeats are monitoring telemetry about
    the agents, not facts about the group, and would otherwise flood the journal (and
    every site's deltas) with an entry per agent every half minute.
    """
    values = {
        "site_id": site,
        "agent_id": beat.agent_id,
        "seq": beat.seq,
        "age_seconds": beat.age_seconds,
        "kit_count": beat.kit_count,
        "disk_free_bytes": beat.disk_free_bytes,
        "address": address,
        "first_seen": at,
        "last_seen": at,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(AgentHeartbeatRow).values(**values)
    later = {k: v for k, v in values.items() if k not in ("site_id", "agent_id", "first_seen")}
    # One atomic upsert: two heartbeats of a new agent arriving together must not collide.
    session.execute(
        statement.on_conflict_do_update(index_elements=["site_id", "agent_id"], set_=later)
    )


@dataclass(frozen=True, slots=True)
class AgentFreshness:
    """One agent's latest heartbeat, measured against the journal head."""

    agent_id: str
    seq: int
    entries_behind: int
    age_seconds: float
    kit_count: int
    disk_free_bytes: int | None
    address: str | None
    first_seen: datetime
    last_seen: datetime

    def data_age_seconds(self, now: datetime) -> float:
        """Age of the agent's newest file now, assuming it got nothing since its heartbeat."""
        return self.age_seconds + max(0.0, (now - self.last_seen).total_seconds())


@dataclass(frozen=True, slots=True)
class SiteFreshness:
    """How fresh the copies held by one site's agents are."""

    site_id: str
    head_seq: int
    has_token: bool
    agents: tuple[AgentFreshness, ...]

    @property
    def best_seq(self) -> int | None:
        """The newest sequence number any agent of the site holds."""
        return max((agent.seq for agent in self.agents), default=None)

    @property
    def last_seen(self) -> datetime | None:
        """The latest heartbeat of any agent of the site."""
        return max((agent.last_seen for agent in self.agents), default=None)


def site_freshness(session: Session, site: str | None = None) -> list[SiteFreshness]:
    """Every site (or only ``site``) with its agents' latest heartbeats, by site id."""
    head, _ = journal.head(session)
    sites = select(SiteRow.id).order_by(SiteRow.id)
    beats = select(AgentHeartbeatRow).order_by(AgentHeartbeatRow.agent_id)
    if site is not None:
        sites = sites.where(SiteRow.id == site)
        beats = beats.where(AgentHeartbeatRow.site_id == site)
    agents: dict[str, list[AgentFreshness]] = {}
    for row in session.scalars(beats):
        agents.setdefault(row.site_id, []).append(
            AgentFreshness(
                agent_id=row.agent_id,
                seq=row.seq,
                entries_behind=max(0, head - row.seq),
                age_seconds=row.age_seconds,
                kit_count=row.kit_count,
                disk_free_bytes=row.disk_free_bytes,
                address=row.address,
                first_seen=_utc(row.first_seen),
                last_seen=_utc(row.last_seen),
            )
        )
    with_tokens = set(sites_with_tokens(session))
    return [
        SiteFreshness(site_id, head, site_id in with_tokens, tuple(agents.get(site_id, ())))
        for site_id in session.scalars(sites)
    ]
