"""Emergency plans: YAML files of roles, phases and actions due after declaration.

Loading names the file, line and field of anything wrong, so a plan author can fix it.
"""

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bascule.crisis import yaml_lines
from bascule.errors import BasculeError

PHASES = ("alert", "containment", "degraded", "recovery", "closed")
SCOPES = ("group", "site")
DEFAULT_PLAN = "ransomware-multisite.yaml"


class PlanError(BasculeError):
    """A plan file that cannot be used, with its file, line and field."""


@dataclass(frozen=True, slots=True)
class Role:
    """A crisis role with its title."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class PlanAction:
    """One action of a plan: who does what, in which phase, how soon after declaration."""

    id: str
    phase: str
    role: str
    scope: str
    due_minutes: int
    title: str
    details: str
    checklist: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """An emergency plan."""

    id: str
    title: str
    version: int
    roles: tuple[Role, ...]
    phases: tuple[tuple[str, str], ...]
    actions: tuple[PlanAction, ...]

    def role(self, role_id: str) -> Role:
        """The role with this id."""
        return next(role for role in self.roles if role.id == role_id)


def _field(source: str, mapping: dict[str, Any], name: str, kind: type, where: str) -> Any:
    return yaml_lines.field(source, mapping, name, kind, where, error=PlanError)


def parse_plan(text: str, source: str) -> Plan:
    """Parse and check a plan; PlanError names the problem, the file and the line."""
    document = yaml_lines.load(text, source, PlanError)
    if not isinstance(document, dict):
        raise PlanError(f"{source}: a plan is a mapping with id, title, roles, phases, actions")
    roles = tuple(
        Role(_field(source, r, "id", str, "role"), _field(source, r, "title", str, "role"))
        for r in _field(source, document, "roles", list, "plan")
    )
    phases = tuple(
        (_field(source, p, "id", str, "phase"), _field(source, p, "title", str, "phase"))
        for p in _field(source, document, "phases", list, "plan")
    )
    unknown_phases = [phase for phase, _ in phases if phase not in PHASES]
    if unknown_phases:
        raise PlanError(
            f"{source}: unknown phase {unknown_phases[0]!r} (phases: {', '.join(PHASES)})"
        )
    role_ids = {role.id for role in roles}
    actions = []
    seen: set[str] = set()
    for raw in _field(source, document, "actions", list, "plan"):
        action = _action(source, raw, role_ids, {phase for phase, _ in phases})
        if action.id in seen:
            raise PlanError(f"{source}:{raw['__line__']}: action id {action.id!r} is used twice")
        seen.add(action.id)
        actions.append(action)
    missing = [phase for phase, _ in phases if not any(a.phase == phase for a in actions)]
    if missing:
        raise PlanError(f"{source}: phase {missing[0]!r} has no action")
    return Plan(
        id=_field(source, document, "id", str, "plan"),
        title=_field(source, document, "title", str, "plan"),
        version=_field(source, document, "version", int, "plan"),
        roles=roles,
        phases=phases,
        actions=tuple(actions),
    )


def _action(source: str, raw: Any, role_ids: set[str], phase_ids: set[str]) -> PlanAction:
    if not isinstance(raw, dict):
        raise PlanError(f"{source}: every action is a mapping")
    where = f"action {raw.get('id', '?')!r}"
    line = raw["__line__"]
    action = PlanAction(
        id=_field(source, raw, "id", str, "action"),
        phase=_field(source, raw, "phase", str, where),
        role=_field(source, raw, "role", str, where),
        scope=_field(source, raw, "scope", str, where),
        due_minutes=_field(source, raw, "due", int, where),
        title=_field(source, raw, "title", str, where),
        details=str(raw.get("details", "")),
        checklist=_checklist(source, raw, where),
    )
    if action.phase not in phase_ids:
        raise PlanError(f"{source}:{line}: {where}: phase {action.phase!r} is not declared")
    if action.role not in role_ids:
        raise PlanError(f"{source}:{line}: {where}: role {action.role!r} is not declared")
    if action.scope not in SCOPES:
        raise PlanError(f"{source}:{line}: {where}: scope must be group or site")
    if action.due_minutes < 0:
        raise PlanError(f"{source}:{line}: {where}: due must not be negative")
    return action


def _checklist(source: str, raw: dict[str, Any], where: str) -> tuple[str, ...]:
    items = raw.get("checklist") or []
    if not isinstance(items, list):
        raise PlanError(f"{source}:{raw['__line__']}: {where} field 'checklist' must be a list")
    for item in items:
        if not isinstance(item, str):
            # An unquoted "text : more text" item is read by YAML as a mapping.
            raise PlanError(
                f"{source}:{raw['__line__']}: {where}: checklist item {item!r} is not text "
                "(quote items that contain ' : ')"
            )
    return tuple(items)


def load_plan(path: Path) -> Plan:
    """Read and check a plan file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"cannot read plan {path}: {exc.strerror}") from exc
    return parse_plan(text, str(path))


@cache
def default_plan() -> Plan:
    """The plan shipped with bascule for a ransomware or total IT outage."""
    text = resources.files("bascule.crisis").joinpath("plans", DEFAULT_PLAN).read_text("utf-8")
    return parse_plan(text, DEFAULT_PLAN)


def role_sheets(plan: Plan) -> dict[str, dict[str, Any]]:
    """One printable sheet per role: its actions phase by phase, in due order."""
    sheets: dict[str, dict[str, Any]] = {}
    for role in plan.roles:
        phases = []
        for phase_id, phase_title in plan.phases:
            actions = sorted(
                (a for a in plan.actions if a.role == role.id and a.phase == phase_id),
                key=lambda a: (a.due_minutes, a.id),
            )
            if actions:
                phases.append(
                    {
                        "id": phase_id,
                        "title": phase_title,
                        "actions": [
                            {
                                "id": a.id,
                                "due_minutes": a.due_minutes,
                                "scope": a.scope,
                                "title": a.title,
                                "details": a.details,
                                "checklist": list(a.checklist),
                            }
                            for a in actions
                        ],
                    }
                )
        sheets[f"{plan.id}/{role.id}"] = {
            "id": f"{plan.id}/{role.id}",
            "plan": plan.title,
            "version": plan.version,
            "role": role.id,
            "title": role.title,
            "phases": phases,
        }
    return sheets
