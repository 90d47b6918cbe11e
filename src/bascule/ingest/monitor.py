"""Feed-silence detection: an interface that stops talking is often the first sign of trouble.

Every message logged from an interface updates its source's last-message time (see the
``ingest.message_logged`` projector). A source silent for longer than its threshold
during its active hours gets a ``feed.silent`` journal entry, which the crisis cell shows
as a site-status signal; the first message after that brings ``feed.resumed``.

Rules come from a YAML file (``BASCULE_FEEDS_FILE``)::

    default: {threshold_minutes: 15, active_hours: [0, 24]}
    sources:
      - {site: rennes, source: "PAS/RENNES", threshold_minutes: 5, active_hours: [7, 20]}

Hours are local to the group (Europe/Paris); ``[0, 24]`` means always.
"""

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import GROUP_TIME_ZONE
from bascule.errors import BasculeError
from bascule.store import journal
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.kinds import FEED_RESUMED, FEED_SILENT
from bascule.store.tables import FeedSourceRow

log = logging.getLogger("bascule.feeds")
FEEDS_FILE_ENV = "BASCULE_FEEDS_FILE"


class FeedRulesError(BasculeError):
    """A feed rules file that cannot be used; names the file and the entry."""


@dataclass(frozen=True, slots=True)
class FeedRule:
    """How long a source may stay silent, and when it is expected to talk."""

    threshold_minutes: float = 15
    active_from_hour: int = 0
    active_until_hour: int = 24

    def active_at(self, moment: datetime) -> bool:
        """Whether silence at ``moment`` (local time of the group) counts."""
        hour = moment.astimezone(GROUP_TIME_ZONE).hour
        return self.active_from_hour <= hour < self.active_until_hour


@dataclass(frozen=True, slots=True)
class FeedRules:
    """The default rule and the rules of named sources."""

    default: FeedRule = FeedRule()
    by_source: tuple[tuple[str, str, FeedRule], ...] = ()

    def rule_for(self, site_id: str, source: str) -> FeedRule:
        """The rule of ``source`` at ``site_id``, or the default."""
        for site, name, rule in self.by_source:
            if site == site_id and name == source:
                return rule
        return self.default


def _rule(entry: Any, where: str) -> FeedRule:
    if not isinstance(entry, dict):
        raise FeedRulesError(f"{where}: expected a mapping")
    threshold = entry.get("threshold_minutes", 15)
    hours = entry.get("active_hours", [0, 24])
    if not isinstance(threshold, int | float) or threshold <= 0:
        raise FeedRulesError(f"{where}: threshold_minutes must be a positive number")
    if (
        not isinstance(hours, list)
        or len(hours) != 2
        or not all(isinstance(h, int) for h in hours)
        or not 0 <= hours[0] < hours[1] <= 24
    ):
        raise FeedRulesError(
            f"{where}: active_hours must be [from, until] with 0 ≤ from < until ≤ 24"
        )
    return FeedRule(float(threshold), hours[0], hours[1])


def load_rules(path: Path | None = None) -> FeedRules:
    """Rules from ``path`` (default: ``BASCULE_FEEDS_FILE``); the default rule when none."""
    chosen = path or (Path(os.environ[FEEDS_FILE_ENV]) if os.environ.get(FEEDS_FILE_ENV) else None)
    if chosen is None:
        return FeedRules()
    try:
        document = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise FeedRulesError(f"cannot read {chosen}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise FeedRulesError(f"{chosen}{line}: not valid YAML") from None
    if not isinstance(document, dict):
        raise FeedRulesError(f"{chosen}: expected a mapping with 'default' and 'sources'")
    default = _rule(document.get("default", {}), f"{chosen}: default")
    sources = []
    for index, entry in enumerate(document.get("sources") or []):
        where = f"{chosen}: sources[{index}]"
        if not isinstance(entry, dict) or not entry.get("site") or not entry.get("source"):
            raise FeedRulesError(f"{where}: needs 'site' and 'source'")
        sources.append((str(entry["site"]), str(entry["source"]), _rule(entry, where)))
    return FeedRules(default, tuple(sources))


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """One source of one site as the status board shows it."""

    site_id: str
    source: str
    last_message_at: datetime
    silent_since: datetime | None
    threshold_minutes: float

    @property
    def silent(self) -> bool:
        """Whether the source is currently reported silent."""
        return self.silent_since is not None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def feed_statuses(session: Session, rules: FeedRules) -> list[FeedStatus]:
    """Every known source, by site then source."""
    rows = session.scalars(
        select(FeedSourceRow).order_by(FeedSourceRow.site_id, FeedSourceRow.source)
    )
    return [
        FeedStatus(
            row.site_id,
            row.source,
            _aware(row.last_message_at),
            None if row.silent_since is None else _aware(row.silent_since),
            rules.rule_for(row.site_id, row.source).threshold_minutes,
        )
        for row in rows
    ]


def check_feeds(db: Database, rules: FeedRules, *, actor: str = "feed-monitor") -> list[Change]:
    """Journal every source that fell silent or spoke again since the last check."""
    with db.writing() as session:
        now = db.clock.now()
        found: list[Change] = []
        for status in feed_statuses(session, rules):
            rule = rules.rule_for(status.site_id, status.source)
            quiet_for = now - status.last_message_at
            payload: dict[str, Any] = {
                "site_id": status.site_id,
                "source": status.source,
                "last_message_at": canonical_instant(status.last_message_at),
            }
            key = f"{status.site_id}/{status.source}"
            if status.silent_since is not None and status.last_message_at > status.silent_since:
                found.append(Change(FEED_RESUMED, "feed", key, payload, status.site_id))
            elif (
                status.silent_since is None
                and quiet_for > timedelta(minutes=rule.threshold_minutes)
                and rule.active_at(now)
            ):
                payload["silent_since"] = canonical_instant(now)
                payload["threshold_minutes"] = rule.threshold_minutes
                found.append(Change(FEED_SILENT, "feed", key, payload, status.site_id))
        journal.append(session, found, actor=actor, at=now)
    return found


async def watch_feeds_periodically(db: Database, every_seconds: float = 60) -> None:
    """Check the feeds while the server runs; a failed check does not stop the next."""
    rules = load_rules()
    while True:
        try:
            for change in await asyncio.to_thread(check_feeds, db, rules):
                log.warning("%s: %s", change.kind, change.entity_id)
        except Exception:
            log.exception("feed check failed")
        await asyncio.sleep(every_seconds)
