import json
import re
from pathlib import Path

from typer.testing import CliRunner

from bascule.cli import app
from bascule.kit.container import parse

DEMO = ("demo", "--patients", "2000", "--replan-seconds", "5")


def test_demo_synthesises_verifies_builds_kits_runs_an_agent_prints_paper_and_replans(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, [*DEMO, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "journal intact" in result.output
    assert "agent cycle 3: ok" in result.output
    viewer = tmp_path / "agent-rennes" / "bascule-kit-rennes.html"
    assert viewer.exists()
    assert "passphrase of rennes:" in result.output
    held = sorted((tmp_path / "agent-rennes").glob("*.bdelta"))
    assert [parse(path.read_bytes()).kind for path in held] == ["delta", "delta"]
    (packet,) = (tmp_path / "paper").glob("rennes-*.pdf")
    assert packet.read_bytes().startswith(b"%PDF")
    returned = re.search(
        r"(\d+) form returned; forms of rennes still out: (\d+) → (\d+)", result.output
    )
    assert returned is not None, result.output
    assert returned.group(1) == "1"
    assert int(returned.group(2)) - int(returned.group(3)) == 1
    plan = json.loads((tmp_path / "replan" / "plan.json").read_text(encoding="utf-8"))
    assert (
        plan["solver"]["objective"]["breach"]
        <= json.loads((tmp_path / "replan" / "kpis.json").read_text(encoding="utf-8"))[
            "soft_costs"
        ]["breach"]
    )
    assert "plan applied as RP-" in result.output
    assert (tmp_path / "replan" / "gantt-rennes-after.png").exists()
    assert (tmp_path / "replan" / "gantt-saint-nazaire-before.svg").exists()
    again = CliRunner().invoke(app, [*DEMO, "--out", str(tmp_path)])
    assert again.exit_code == 0, again.output  # a second run starts afresh
    crisis_dir = tmp_path / "crisis"
    assert (crisis_dir / "credentials.txt").read_text(encoding="utf-8").count("\t") == 2 * 9
    (sitrep,) = crisis_dir.glob("sitrep-*.pdf")
    assert sitrep.read_bytes().startswith(b"%PDF")
    assert "proposed to the crisis lead" in result.output
    assert re.search(r"incident INC-\d{8}-1 declared; the plan became \d+ tasks", result.output)
    typed = re.search(r"(\d+) forms typed \((\d+) of them twice\)", result.output)
    assert typed is not None
    assert int(typed.group(2)) > 0
    assert "1 decided by the identity-vigilance referent" in result.output
    assert "→ paper kept" in result.output
    assert re.search(r"incident INC-\d{8}-1 closed: nothing outstanding", result.output)
