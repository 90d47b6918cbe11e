import pytest

from bascule.crisis.plans import PHASES, PlanError, default_plan, parse_plan, role_sheets

MINIMAL = """\
id: p
title: Plan
version: 1
roles:
  - id: lead
    title: Lead
phases:
  - id: alert
    title: Alerte
actions:
  - id: a1
    phase: alert
    role: lead
    scope: group
    due: 10
    title: Faire
"""


def test_default_plan_covers_every_phase_with_concrete_actions() -> None:
    plan = default_plan()
    assert [phase for phase, _ in plan.phases] == list(PHASES)
    for phase in PHASES:
        actions = [a for a in plan.actions if a.phase == phase]
        assert actions, phase
        assert all(a.title and (a.checklist or a.details) for a in actions)
    titles = " ".join(a.title.lower() for a in plan.actions)
    for reflex in (
        "isoler",
        "cellule de crise",
        "papier",
        "geler",
        "re-planifier",
        "appeler",
        "redirection",
        "autorités",
        "points de situation",
    ):
        assert reflex in titles, reflex


def test_role_sheets_order_actions_by_due_time() -> None:
    sheets = role_sheets(default_plan())
    it = sheets["ransomware-multisite/it-lead"]
    alert = it["phases"][0]
    assert alert["id"] == "alert"
    assert alert["actions"][0]["id"] == "isolate-network"
    dues = [a["due_minutes"] for phase in it["phases"] for a in phase["actions"]]
    assert len(dues) >= 4


def test_minimal_plan_parses() -> None:
    plan = parse_plan(MINIMAL, "p.yaml")
    assert plan.actions[0].due_minutes == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("role: lead\n    scope", "role: boss\n    scope"),
            r"p.yaml:11: action 'a1': role 'boss'",
        ),
        (("due: 10", "due: soon"), r"p.yaml:11: action 'a1' field 'due' must be a whole number"),
        (("scope: group", "scope: world"), r"p.yaml:11: action 'a1': scope must be group or site"),
        (("  - id: alert\n", "  - id: panic\n"), r"unknown phase 'panic'"),
        (("title: Faire", "title: [oops"), r"p.yaml:\d+: not valid YAML"),
    ],
)
def test_plan_errors_name_file_line_and_field(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(MINIMAL.replace(*change), "p.yaml")


def test_duplicate_action_ids_are_refused() -> None:
    doubled = MINIMAL + MINIMAL[MINIMAL.index("  - id: a1") :]
    with pytest.raises(PlanError, match="used twice"):
        parse_plan(doubled, "p.yaml")


def test_checklist_item_read_as_a_mapping_is_refused() -> None:
    bad = MINIMAL + "    checklist:\n      - Affichage : ne pas allumer\n"
    with pytest.raises(PlanError, match=r"checklist item .* is not text"):
        parse_plan(bad, "p.yaml")
