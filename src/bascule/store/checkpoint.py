"""Checkpoints: entries that mark a quiet journal as alive.

When nothing happens for a while (a night with no admission), a continuity kit would grow
old although nothing is missing from it, and the offline viewer would warn that it is
stale. A checkpoint entry, appended only while the group server runs, moves the journal
forward so that agents receive a newer signed delta; when the server is gone, no
checkpoint comes and the warning is right. Each checkpoint also records the head it
follows, an anchor that can be noted outside the system.
"""

from datetime import timedelta

from bascule.store import journal
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.kinds import JOURNAL_CHECKPOINT

QUIET_AFTER = timedelta(minutes=5)


def checkpoint_if_quiet(
    db: Database, *, quiet_for: timedelta = QUIET_AFTER, actor: str = "server"
) -> int | None:
    """Append a checkpoint when the newest entry is older than ``quiet_for``; its number."""
    with db.writing() as session:
        newest = journal.tail(session, 1)
        now = db.clock.now()
        if not newest or now - newest[0].recorded_at < quiet_for:
            return None
        seq, digest = journal.head(session)
        change = Change(
            JOURNAL_CHECKPOINT, "journal", "checkpoint", {"head_seq": seq, "head_hash": digest}
        )
        (appended,) = journal.append(session, [change], actor=actor, at=now)
        return appended
