"""What every crisis-cell writer shares: who is acting, and whether they may."""

from bascule.crisis.roles import Actor, Permission


def actor_name(actor: Actor | str) -> str:
    """The journal's actor for a signed-in user (``web:<username>``) or a named process."""
    return f"web:{actor.username}" if isinstance(actor, Actor) else actor


def check(actor: Actor | str, permission: Permission, site_id: str | None = None) -> None:
    """Check a signed-in user's right; a process (the CLI, the alert rules) acts as configured."""
    if isinstance(actor, Actor):
        actor.check(permission, site_id)
