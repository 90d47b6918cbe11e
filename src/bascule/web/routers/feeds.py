"""Interface feeds: when each source of each site last spoke, and which have gone silent."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from bascule.ingest.monitor import feed_statuses, load_rules
from bascule.store.canonical import canonical_instant
from bascule.web.auth import SignedIn
from bascule.web.context import database

router = APIRouter()


class FeedStatusModel(BaseModel):
    """One source of one site as served by ``GET /api/feeds``."""

    site_id: str
    source: str
    last_message_at: str
    silent_since: str | None
    threshold_minutes: float
    status: str


@router.get("/api/feeds", name="api_feeds")
def api_feeds(request: Request, _actor: SignedIn) -> list[FeedStatusModel]:
    """Every known feed source with its last message time and status (ok or silent)."""
    rules = load_rules()
    with database(request).reading() as session:
        statuses = feed_statuses(session, rules)
    return [
        FeedStatusModel(
            site_id=status.site_id,
            source=status.source,
            last_message_at=canonical_instant(status.last_message_at),
            silent_since=None
            if status.silent_since is None
            else canonical_instant(status.silent_since),
            threshold_minutes=status.threshold_minutes,
            status="silent" if status.silent else "ok",
        )
        for status in statuses
    ]
