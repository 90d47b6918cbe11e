import pytest

from bascule.crisis.roles import Actor, Forbidden, Permission, Role

P = Permission

# What each role may do on its sites (every site, except for the site manager). Written
# out rather than read from GRANTS, so that a change to the grants has to change this too.
MATRIX: dict[Role, set[Permission]] = {
    Role.CRISIS_LEAD: set(Permission) - {P.AUDIT, P.DECIDE_IDENTITY},
    Role.SITE_MANAGER: {
        P.READ,
        P.REPORT_STATUS,
        P.WRITE_LOGBOOK,
        P.UPDATE_TASK,
        P.PRINT_PAPER,
        P.REENTER_PAPER,
        P.RESOLVE_CONFLICT,
    },
    Role.OR_SCHEDULER: {P.READ, P.WRITE_LOGBOOK, P.UPDATE_TASK, P.PRINT_PAPER, P.RESOLVE_CONFLICT},
    Role.CLERK: {P.READ, P.WRITE_LOGBOOK, P.PRINT_PAPER, P.REENTER_PAPER},
    Role.VIEWER: {P.READ},
    Role.AUDITOR: {P.READ, P.AUDIT},
    Role.IDENTITY_VIGILANCE: {P.READ, P.REENTER_PAPER, P.DECIDE_IDENTITY, P.WRITE_LOGBOOK},
}


def actor(role: Role) -> Actor:
    sites = ("rennes",) if role is Role.SITE_MANAGER else ()
    return Actor(role.value, role.value.title(), role, sites)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_the_permission_matrix_on_the_users_own_site(role: Role, permission: Permission) -> None:
    assert actor(role).may(permission, "rennes") == (permission in MATRIX[role])


def test_a_clerk_cannot_declare_an_incident() -> None:
    clerk = actor(Role.CLERK)
    with pytest.raises(Forbidden, match=r"^clerk \(clerk\) may not declare-incident$"):
        clerk.check(P.DECLARE_INCIDENT)
    clerk.check(P.WRITE_LOGBOOK)


def test_a_site_manager_acts_on_their_own_sites_only() -> None:
    manager = actor(Role.SITE_MANAGER)
    manager.check(P.REPORT_STATUS, "rennes")
    with pytest.raises(Forbidden, match="may not report-status for site nantes"):
        manager.check(P.REPORT_STATUS, "nantes")
    with pytest.raises(Forbidden, match=r"may not print-paper$"):
        manager.check(P.PRINT_PAPER)  # a group-wide packet is not theirs to print
    assert manager.may(P.READ)
    assert manager.may(P.WRITE_LOGBOOK)
    assert manager.site_scoped


def test_a_viewer_only_reads() -> None:
    viewer = actor(Role.VIEWER)
    assert [p for p in Permission if viewer.may(p)] == [P.READ]
    assert [p for p in Permission if viewer.may(p, "nantes")] == [P.READ]


def test_only_the_auditor_audits() -> None:
    assert [role for role in Role if actor(role).may(P.AUDIT)] == [Role.AUDITOR]
    assert not actor(Role.AUDITOR).may(P.WRITE_LOGBOOK)


def test_roles_other_than_site_manager_act_for_the_whole_group() -> None:
    lead = actor(Role.CRISIS_LEAD)
    assert not lead.site_scoped
    assert lead.may(P.REPORT_STATUS, "nantes")
    assert lead.may(P.CHANGE_PHASE)
