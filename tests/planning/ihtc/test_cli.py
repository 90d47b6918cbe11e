import json
from pathlib import Path

from typer.testing import CliRunner

from bascule.cli import app
from tests.planning.ihtc.support import FIXTURES, competition_instance

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ihtc", *args])
    return result.exit_code, result.output


def test_cost_of_a_best_known_solution_matches_the_validator() -> None:
    code, output = run(
        "cost", str(competition_instance("i01")), str(FIXTURES / "best_solutions/sol_i01.json.gz")
    )
    assert code == 0, output
    assert "3842" in output  # validator total
    assert "3525" in output  # its non-nurse part
    assert "no hard-constraint violation" in output


def test_cost_lists_violations_and_exits_2() -> None:
    code, output = run("cost", str(FIXTURES / "toy.json"), str(FIXTURES / "toy_solution.json"))
    assert code == 2
    assert "RoomGenderMix: room r2 mixes genders on day 4" in output
    assert "3 hard-constraint violations" in output


def test_solve_writes_an_optimal_solution_that_cost_agrees_with(tmp_path: Path) -> None:
    out = tmp_path / "small01-solution.json"
    instance = str(FIXTURES / "ihtp_small/small01.json.gz")
    code, output = run("solve", instance, "--out", str(out), "--time-limit", "20")
    assert code == 0, output
    assert "optimal: cost 180, bound 180, gap 0.0 %, 0 hard violations" in output
    code, output = run("cost", instance, str(out))
    assert code == 0, output
    assert "RoomSkillLevel" in output
    assert "not assessed (no nurses)" in output


def test_disrupt_prints_both_repairs_and_writes_json(tmp_path: Path) -> None:
    report = tmp_path / "disrupt.json"
    code, output = run(
        "disrupt",
        str(competition_instance("i01")),
        "--original",
        str(FIXTURES / "best_solutions/IHTP/sol_i01.json.gz"),
        "--time-limit",
        "5",
        "--json",
        str(report),
    )
    assert code == 0, output
    assert "closed: t" in output
    assert "mandatory deadline breaches" in output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["closures"]
    assert document["cpsat"]["in_closed_theatre_days"] == 0
    assert document["cpsat"]["breaches"] <= document["greedy"]["breaches"]
    assert len(document["cpsat"]["solution"]["patients"]) == 28


def test_unreadable_instance_is_one_line_on_stderr(tmp_path: Path) -> None:
    code, output = run("solve", str(tmp_path / "absent.json"), "--out", str(tmp_path / "x.json"))
    assert code == 1
    assert "error: cannot read" in output


def test_bad_days_option_names_itself() -> None:
    code, output = run(
        "disrupt",
        str(competition_instance("i01")),
        "--original",
        str(FIXTURES / "best_solutions/sol_i01.json.gz"),
        "--days",
        "0-30",
    )
    assert code == 1
    assert "--days '0-30'" in output
