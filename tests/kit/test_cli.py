from pathlib import Path

import pytest
from typer.testing import CliRunner

from bascule.cli import app
from tests.kit.group import cli_env

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path)


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_build_verify_open_and_status(env: dict[str, str], tmp_path: Path) -> None:
    kit = tmp_path / "site" / "rennes.bkit"
    code, output = run(env, "kit", "build", "--site", "rennes", "--out", str(kit))
    assert code == 0, output
    assert "created the group signing key" in output
    assert kit.exists()
    code, output = run(env, "kit", "verify", str(kit))
    assert code == 0, output
    assert "signature valid" in output
    code, output = run(
        env,
        "kit",
        "open",
        str(kit),
        "--search",
        "le goff 1",
        "--patient",
        "p0",
        "--export",
        str(tmp_path / "export"),
    )
    assert code == 0, output
    assert "p1" in output
    assert "pénicilline" in output
    assert (tmp_path / "export" / "content.json").exists()
    code, output = run(env, "kit", "status", str(kit.parent))
    assert code == 0, output
    assert "signature valid" in output


def test_flipped_byte_makes_verify_fail(env: dict[str, str], tmp_path: Path) -> None:
    kit = tmp_path / "rennes.bkit"
    assert run(env, "kit", "build", "--site", "rennes", "--out", str(kit))[0] == 0
    data = bytearray(kit.read_bytes())
    data[len(data) // 2] ^= 0x01
    kit.write_bytes(bytes(data))
    code, output = run(env, "kit", "verify", str(kit))
    assert code == 1
    assert "the file was altered" in output


def test_group_passphrase_opens_and_wrong_one_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    kit = tmp_path / "rennes.bkit"
    assert run(env, "kit", "build", "--site", "rennes", "--out", str(kit))[0] == 0
    group_only = {**env, "BASCULE_KIT_PASSPHRASE": env["BASCULE_GROUP_PASSPHRASE"]}
    assert run(group_only, "kit", "open", str(kit), "--search", "le goff")[0] == 0
    wrong = {**env, "BASCULE_KIT_PASSPHRASE": "pas la bonne phrase"}
    code, output = run(wrong, "kit", "open", str(kit), "--search", "le goff")
    assert code == 1
    assert "wrong passphrase (tried slots: site, group)" in output


def test_rotated_slot_opens_new_kits_only(env: dict[str, str], tmp_path: Path) -> None:
    old = tmp_path / "old.bkit"
    assert run(env, "kit", "build", "--site", "rennes", "--out", str(old))[0] == 0
    rotated = {**env, "BASCULE_KIT_PASSPHRASE": "nouvelle phrase du site"}
    assert run(rotated, "kit", "slot", "set", "--site", "rennes")[0] == 0
    new = tmp_path / "new.bkit"
    assert run(rotated, "kit", "build", "--site", "rennes", "--out", str(new))[0] == 0
    assert run(rotated, "kit", "open", str(new), "--search", "le goff")[0] == 0
    assert run(rotated, "kit", "open", str(old), "--search", "le goff")[0] == 1


def test_unknown_site_and_missing_passphrase(env: dict[str, str], tmp_path: Path) -> None:
    code, output = run(env, "kit", "build", "--site", "brest", "--out", str(tmp_path / "b.bkit"))
    assert code == 1
    assert "unknown site id 'brest'" in output
    bare = {k: v for k, v in env.items() if not k.endswith("PASSPHRASE")}
    code, output = run(bare, "kit", "build", "--site", "rennes", "--out", str(tmp_path / "r.bkit"))
    assert code == 1
    assert "set BASCULE_KIT_PASSPHRASE or run interactively" in output


def test_delta_chain_out_of_order_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    kit = tmp_path / "rennes.bkit"
    assert run(env, "kit", "build", "--site", "rennes", "--out", str(kit))[0] == 0
    code, output = run(env, "kit", "verify", str(kit), str(kit))
    assert code == 1
    assert "does not follow rennes at sequence" in output


def test_slot_commands_need_exactly_one_target(env: dict[str, str]) -> None:
    for args in ([], ["--site", "rennes", "--group"]):
        code, output = run(env, "kit", "slot", "set", *args)
        assert code == 1
        assert "give exactly one of --site SITE or --group" in output
    code, output = run(env, "kit", "slot", "set", "--group")
    assert code == 0, output
    assert "group emergency passphrase slot set" in output
    assert run(env, "kit", "slot", "remove", "--group")[0] == 0
    code, output = run(env, "kit", "slot", "remove", "--group")
    assert code == 1
    assert "there is no group slot to remove" in output
