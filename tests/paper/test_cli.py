import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bascule.cli import app
from bascule.config import Settings
from bascule.kit.keys import KeyStore
from bascule.paper.packet import issue_file_for
from tests.kit.group import cli_env

runner = CliRunner()
DAY = "2026-12-09"  # case c1 at rennes, inpatient p0 in bed 101 A


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**cli_env(tmp_path), "BASCULE_ACTOR": "ide-martin"}


def settings_from(env: dict[str, str]) -> Settings:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return Settings.from_environment()


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_print_scan_and_nothing_left_outstanding(env: dict[str, str], tmp_path: Path) -> None:
    packet = tmp_path / "rennes.pdf"
    code, output = run(
        env, "paper", "packet", "--site", "rennes", "--day", DAY, "--out", str(packet)
    )
    assert code == 0, output
    assert "1 cases, 1 inpatients" in output
    code, output = run(env, "paper", "outstanding", "--site", "rennes")
    assert code == 0, output
    assert "ide-martin" in output
    out_before = int(output.strip().splitlines()[-1].split()[0])
    assert out_before > 0

    code, output = run(env, "paper", "scan", str(packet))
    assert code == 0, output
    # Every page is a form; scanning the whole packet returns each one exactly once.
    assert re.search(
        r"(\d+) pages: \1 forms returned, 0 duplicates, 0 unknown, 0 mismatched, 0 unreadable",
        output,
    )
    code, output = run(env, "paper", "outstanding", "--site", "rennes")
    assert output.strip() == "no form of rennes is outstanding"

    code, output = run(env, "paper", "scan", str(packet))
    assert code == 0, output
    assert "0 forms returned" in output
    assert "duplicate" in output


def test_reserve_prints_downtime_labels(env: dict[str, str], tmp_path: Path) -> None:
    labels = tmp_path / "labels.pdf"
    code, output = run(
        env, "paper", "reserve", "--site", "nantes", "--count", "9", "--out", str(labels)
    )
    assert code == 0, output
    assert "reserved 9 downtime ids for nantes: D-0000001-" in output
    assert labels.read_bytes().startswith(b"%PDF")
    code, output = run(env, "paper", "reserve", "--site", "rennes", "--count", "3")
    assert "D-0000010-" in output


def test_packet_from_a_kit_registers_later(env: dict[str, str], tmp_path: Path) -> None:
    kit = tmp_path / "rennes.bkit"
    code, output = run(env, "kit", "build", "--site", "rennes", "--out", str(kit))
    assert code == 0, output
    packet = tmp_path / "laptop" / "rennes.pdf"
    offline = {**env, "BASCULE_DB_URL": f"sqlite:///{tmp_path}/absent/none.sqlite3"}
    key = KeyStore(settings_from(env).keys_dir).public_key_path
    code, output = run(
        offline, "paper", "packet", "--kit", str(kit), "--key", str(key), "--out", str(packet)
    )
    assert code == 0, output
    assert "forms issued offline are listed in" in output
    issue_file = issue_file_for(packet)
    assert issue_file.exists()
    code, output = run(env, "paper", "register", str(issue_file))
    assert code == 0, output
    assert "forms registered" in output
    registered = issue_file.with_name(issue_file.name + ".registered")
    assert registered.exists()
    assert not issue_file.exists()
    code, output = run(env, "paper", "register", str(registered))
    assert code != 0
    assert "already registered" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "brest", "--day", DAY], "brest"),
        (["--site", "rennes", "--day", "2026-02-30"], "--day '2026-02-30' is not a date"),
        (["--site", "rennes", "--what", "census,menus"], "--what: unknown part 'menus'"),
        ([], "give --site SITE"),
    ],
)
def test_packet_refusals_name_the_problem(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    code, output = run(env, "paper", "packet", *args, "--out", str(tmp_path / "x.pdf"))
    assert code != 0
    assert message in output
    assert not (tmp_path / "x.pdf").exists()


def test_unreadable_kit_and_codeless_image_are_reported(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "kit", "keys", "init")[0] == 0
    garbage = tmp_path / "garbage.bkit"
    garbage.write_bytes(b"not a kit at all")
    code, output = run(
        env, "paper", "packet", "--kit", str(garbage), "--out", str(tmp_path / "k.pdf")
    )
    assert code != 0
    assert "garbage.bkit" in output
    blank = tmp_path / "blank.png"
    Image.new("L", (800, 1100), 255).save(blank)
    code, output = run(env, "paper", "scan", str(blank), str(tmp_path / "missing.pdf"))
    assert code == 0, output
    assert "2 unreadable" in output
    assert "no QR code" in output
    assert "missing.pdf" in output
