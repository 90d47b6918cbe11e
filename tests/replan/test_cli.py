import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bascule.cli import app
from bascule.store import journal
from bascule.store.database import Database
from tests.replan.group import replan_env

runner = CliRunner()
CLOSURE = ("replan", "--site", "rennes", "--capacity", "0", "--from", "2026-12-07")
QUICK = ("--days", "2", "--horizon", "5", "--time-limit", "5", "--workers", "1")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return replan_env(tmp_path)


def _entries(env: dict[str, str]) -> int:
    db = Database(env["BASCULE_DB_URL"])
    try:
        with db.reading() as session:
            return journal.count(session)
    finally:
        db.dispose()


def test_replan_writes_plan_call_list_and_charts_but_not_the_store(
    env: dict[str, str], tmp_path: Path
) -> None:
    before = _entries(env)
    out = tmp_path / "plan"
    result = runner.invoke(app, [*CLOSURE, *QUICK, "--out", str(out), "--lang", "en"], env=env)
    assert result.exit_code == 0, result.output
    assert "Plans compared" in result.output
    assert "nothing written to the store" in result.output
    assert _entries(env) == before
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert {d["case"] for d in plan["decisions"]} == {f"c{n}" for n in range(1, 8)}
    with (out / "call-list.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert rows[0]["Case"] == "c1"
    for name in ("gantt-rennes-before", "gantt-rennes-after", "gantt-nantes-after"):
        assert (out / f"{name}.svg").stat().st_size > 0
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_apply_journals_the_plan(env: dict[str, str], tmp_path: Path) -> None:
    before = _entries(env)
    args = [*CLOSURE, *QUICK, "--out", str(tmp_path / "plan"), "--apply"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "applied as RP-" in result.output
    assert _entries(env) > before


def test_scenario_file_with_a_bad_field_is_named(env: dict[str, str], tmp_path: Path) -> None:
    scenario = tmp_path / "crise.yaml"
    scenario.write_text(
        "start: 2026-12-07\ndisruptions:\n  - site: rennes\n    capacity: moitié\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["replan", "--scenario", str(scenario)], env=env)
    assert result.exit_code == 1
    assert "disruptions[0].capacity must be a number" in result.output
    assert str(scenario) in result.output


def test_site_or_scenario_is_required(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["replan", "--from", "2026-12-07"], env=env)
    assert result.exit_code == 1
    assert "--site is required" in result.output
