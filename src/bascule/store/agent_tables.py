"""Tables of the site agents: their access tokens and their latest heartbeats.

Imported by :mod:`bascule.store.tables` so that these tables belong to ``Base.metadata``
(the schema the migrations are checked against).
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bascule.store.tables import Base


class AgentTokenRow(Base):
    """An access token of a site's agents; only its SHA-256 is kept, never the token."""

    __tablename__ = "agent_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AgentHeartbeatRow(Base):
    """The latest heartbeat of one agent (one row per site and agent).

    Monitoring telemetry, written directly rather than through the journal: it says how
    an agent's copy is doing, not anything about the group.
    """

    __tablename__ = "agent_heartbeats"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    age_seconds: Mapped[float] = mapped_column(Float)
    kit_count: Mapped[int] = mapped_column(Integer)
    disk_free_bytes: Mapped[int | None] = mapped_column(BigInteger)
    address: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
