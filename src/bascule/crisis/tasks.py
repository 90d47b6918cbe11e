"""Tasks instantiated from the emergency plan: owners, checklists, due times, overdue ones."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import as_utc
from bascule.crisis.records import actor_name
from bascule.crisis.roles import TASK_ROLES, Actor, Forbidden, Permission, Role
from bascule.errors import BasculeError, UnknownEntityError
from bascule.store import journal, kinds
from bascule.store.canonical import canonical_instant
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.tables import CrisisTaskRow

STATUSES = ("open", "done", "skipped")
MAX_OWNER = 120


class TaskError(BasculeError):
    """A task update that cannot be recorded, with the field at fault."""


@dataclass(frozen=True, slots=True)
class Task:
    """A task of an incident."""

    id: str
    incident_id: str
    action_id: str
    phase: str
    role: str
    site_id: str | None
    title: str
    details: str
    checklist: tuple[str, ...]
    checked: frozenset[int]
    due_at: datetime
    owner: str | None
    status: str
    done_at: datetime | None
    done_by: str | None

    def overdue(self, now: datetime) -> bool:
        """Still open after its due time."""
        return self.status == "open" and now > self.due_at


def _task(row: CrisisTaskRow) -> Task:
    return Task(
        id=row.id,
        incident_id=row.incident_id,
        action_id=row.action_id,
        phase=row.phase,
        role=row.role,
        site_id=row.site_id,
        title=row.title,
        details=row.details,
        checklist=tuple(row.checklist),
        checked=frozenset(row.checked),
        due_at=as_utc(row.due_at),
        owner=row.owner,
        status=row.status,
        done_at=None if row.done_at is None else as_utc(row.done_at),
        done_by=row.done_by,
    )


def may_update(actor: Actor | str, task: Task) -> bool:
    """Crisis lead: any task; others: their plan role's tasks, or site managers their sites'."""
    if not isinstance(actor, Actor):
        return True
    if not actor.may(Permission.UPDATE_TASK, task.site_id if actor.site_scoped else None):
        return False
    if actor.role is Role.CRISIS_LEAD or actor.site_scoped:
        return True
    return task.role in TASK_ROLES.get(actor.role, frozenset())


def update_task(
    db: Database,
    actor: Actor | str,
    task_id: str,
    *,
    status: str | None = None,
    owner: str | None = None,
    checked: list[int] | None = None,
    note: str = "",
) -> None:
    """Change a task's status, owner or ticked checklist items."""
    if status is not None and status not in STATUSES:
        raise TaskError(f"field 'status': {status!r} is not one of {', '.join(STATUSES)}")
    if owner is not None and len(owner) > MAX_OWNER:
        raise TaskError(f"field 'owner': at most {MAX_OWNER} characters")
    with db.writing() as session:
        journal.lock(session)
        task = require_task(session, task_id)
        if not may_update(actor, task):
            raise Forbidden(f"{actor_name(actor)} may not update task {task_id}")
        payload: dict[str, Any] = {"id": task_id, "incident_id": task.incident_id}
        if status is not None and status != task.status:
            payload["status"] = status
        if owner is not None and owner.strip() != (task.owner or ""):
            payload["owner"] = owner.strip() or None
        if checked is not None:
            wrong = [i for i in checked if not 0 <= i < len(task.checklist)]
            if wrong:
                raise TaskError(f"field 'checked': task {task_id} has no checklist item {wrong[0]}")
            if set(checked) != task.checked:
                payload["checked"] = sorted(set(checked))
        if len(payload) == 2:
            return
        now = db.clock.now()
        payload |= {"at": canonical_instant(now), "by": actor_name(actor), "note": note.strip()}
        change = Change(kinds.TASK_UPDATED, "task", task_id, payload, site_id=task.site_id)
        journal.append(session, [change], actor=actor_name(actor), at=now)


def require_task(session: Session, task_id: str) -> Task:
    """The task with this id, or an error naming it."""
    row = session.get(CrisisTaskRow, task_id)
    if row is None:
        raise UnknownEntityError(f"no task {task_id!r}")
    return _task(row)


def tasks_of(session: Session, incident_id: str) -> list[Task]:
    """An incident's tasks by due time."""
    rows = session.scalars(
        select(CrisisTaskRow)
        .where(CrisisTaskRow.incident_id == incident_id)
        .order_by(CrisisTaskRow.due_at, CrisisTaskRow.id)
    )
    return [_task(row) for row in rows]
