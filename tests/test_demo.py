import re
from pathlib import Path

from typer.testing import CliRunner

from bascule.cli import app
from bascule.kit.container import parse


def test_demo_synthesises_verifies_builds_kits_runs_an_agent_and_prints_paper(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--patients", "2000"])
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
    again = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--patients", "2000"])
    assert again.exit_code == 0, again.output  # a second run starts afresh
