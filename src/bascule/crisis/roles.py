"""Who may do what in the crisis cell: roles, permissions and the sites a user may touch.

The server checks these on every request; the pages only hide what a role may not do,
for legibility, never for security.
"""

from dataclasses import dataclass
from enum import StrEnum

from bascule.errors import BasculeError


class Role(StrEnum):
    """The roles of the crisis-cell application."""

    CRISIS_LEAD = "crisis-lead"
    SITE_MANAGER = "site-manager"
    OR_SCHEDULER = "or-scheduler"
    CLERK = "clerk"
    VIEWER = "viewer"
    AUDITOR = "auditor"
    IDENTITY_VIGILANCE = "identity-vigilance"


class Permission(StrEnum):
    """Actions the server guards."""

    READ = "read"
    AUDIT = "audit"
    DECLARE_INCIDENT = "declare-incident"
    CHANGE_PHASE = "change-phase"
    REPORT_STATUS = "report-status"
    WRITE_LOGBOOK = "write-logbook"
    UPDATE_TASK = "update-task"
    ISSUE_SITREP = "issue-sitrep"
    DECIDE_ALERT = "decide-alert"
    PRINT_PAPER = "print-paper"
    REENTER_PAPER = "reenter-paper"
    DECIDE_IDENTITY = "decide-identity"
    RESOLVE_CONFLICT = "resolve-conflict"


_EVERYONE = frozenset({Permission.READ})

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CRISIS_LEAD: frozenset(Permission) - {Permission.AUDIT, Permission.DECIDE_IDENTITY},
    Role.SITE_MANAGER: _EVERYONE
    | {
        Permission.REPORT_STATUS,
        Permission.WRITE_LOGBOOK,
        Permission.UPDATE_TASK,
        Permission.PRINT_PAPER,
        Permission.REENTER_PAPER,
        Permission.RESOLVE_CONFLICT,
    },
    Role.OR_SCHEDULER: _EVERYONE
    | {
        Permission.WRITE_LOGBOOK,
        Permission.UPDATE_TASK,
        Permission.PRINT_PAPER,
        Permission.RESOLVE_CONFLICT,
    },
    Role.CLERK: _EVERYONE
    | {Permission.WRITE_LOGBOOK, Permission.PRINT_PAPER, Permission.REENTER_PAPER},
    Role.VIEWER: _EVERYONE,
    Role.AUDITOR: _EVERYONE | {Permission.AUDIT},
    # The identity-vigilance cell: the only ones who link or separate identities by hand.
    Role.IDENTITY_VIGILANCE: _EVERYONE
    | {Permission.REENTER_PAPER, Permission.DECIDE_IDENTITY, Permission.WRITE_LOGBOOK},
}

# Plan roles whose tasks an application role may tick without being crisis lead.
TASK_ROLES: dict[Role, frozenset[str]] = {
    Role.SITE_MANAGER: frozenset({"site-manager"}),
    Role.OR_SCHEDULER: frozenset({"or-scheduler"}),
}


class Forbidden(BasculeError):  # noqa: N818 (named after the HTTP status it becomes)
    """The user's role or sites do not allow this action."""


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user as the server sees it."""

    username: str
    display_name: str
    role: Role
    sites: tuple[str, ...]

    @property
    def site_scoped(self) -> bool:
        """True when the user may only act on their own sites (site managers)."""
        return self.role is Role.SITE_MANAGER

    def may(self, permission: Permission, site_id: str | None = None) -> bool:
        """Whether this user may do ``permission`` (on ``site_id`` when it concerns one).

        A site manager acts only on their sites; an action for the whole group
        (``site_id`` None) is open to them only for the logbook.
        """
        if permission not in GRANTS[self.role]:
            return False
        if not self.site_scoped:
            return True
        if site_id is None:
            return permission in (Permission.READ, Permission.WRITE_LOGBOOK)
        return site_id in self.sites

    def check(self, permission: Permission, site_id: str | None = None) -> None:
        """Raise :class:`Forbidden`, naming the action and site, unless :meth:`may` allows it."""
        if not self.may(permission, site_id):
            where = f" for site {site_id}" if site_id is not None else ""
            raise Forbidden(
                f"{self.username} ({self.role.value}) may not {permission.value}{where}"
            )
