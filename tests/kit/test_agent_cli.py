"""``bascule kit token`` and ``bascule agent`` as a user runs them."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner, Result

from bascule.cli import BasculeGroup
from bascule.config import Settings
from bascule.kit.agent_cli import TOKEN_ENV, agent, token_app
from bascule.kit.keys import KeyStore
from bascule.kit.publish import Publisher
from bascule.store import journal
from bascule.store.database import Database
from bascule.web.server import BackgroundServer
from tests.kit.agent_support import issue_token, kit_app, make_keys
from tests.kit.group import build_group

runner = CliRunner()


def root_app() -> typer.Typer:
    """The two hooks of bascule/cli.py on a root command of their own."""
    app = typer.Typer(cls=BasculeGroup)

    @app.callback()
    def main(
        ctx: typer.Context, db_url: Annotated[str | None, typer.Option("--db")] = None
    ) -> None:
        ctx.obj = Settings.from_environment(db_url=db_url)

    kit_app = typer.Typer()
    kit_app.add_typer(token_app, name="token")
    app.add_typer(kit_app, name="kit")
    app.command("agent")(agent)
    return app


APP = root_app()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return make_keys(tmp_path_factory.mktemp("keys"), sites=("rennes",))


@pytest.fixture
def group(db: Database) -> Database:
    build_group(db)
    return db


def test_tokens_are_shown_once_and_journaled_as_hashes(group: Database, db_url: str) -> None:
    created = runner.invoke(APP, ["--db", db_url, "kit", "token", "create", "--site", "rennes"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("bsa_")
    assert len(token) > 40
    assert "shown only now" in created.stderr

    listed = runner.invoke(APP, ["--db", db_url, "kit", "token", "list"])
    assert "rennes" in listed.stdout
    assert token not in listed.stdout

    again = runner.invoke(APP, ["--db", db_url, "kit", "token", "create", "--site", "rennes"])
    assert again.exit_code == 1
    assert "already has an agent token" in again.stderr
    replaced = runner.invoke(
        APP, ["--db", db_url, "kit", "token", "create", "--site", "rennes", "--replace"]
    )
    assert replaced.exit_code == 0
    assert "revoked the previous token" in replaced.stderr

    revoked = runner.invoke(APP, ["--db", db_url, "kit", "token", "revoke", "--site", "rennes"])
    assert revoked.exit_code == 0
    twice = runner.invoke(APP, ["--db", db_url, "kit", "token", "revoke", "--site", "rennes"])
    assert twice.exit_code == 1
    assert "no active agent token" in twice.stderr
    unknown = runner.invoke(APP, ["--db", db_url, "kit", "token", "create", "--site", "lyon"])
    assert unknown.exit_code == 1
    assert "unknown site id 'lyon'" in unknown.stderr

    with group.reading() as session:
        entries = [e for e in journal.tail(session, 10) if e.kind.startswith("agent_token.")]
        assert journal.verify(session).intact
    assert [e.kind for e in entries] == [
        "agent_token.created",
        "agent_token.revoked",
        "agent_token.created",
        "agent_token.revoked",
    ]
    fresh = replaced.stdout.strip()
    assert all(token not in e.payload and fresh not in e.payload for e in entries)


@pytest.fixture
def server(group: Database, keys: KeyStore, tmp_path: Path) -> Iterator[str]:
    with BackgroundServer(kit_app(group, Publisher(group, keys, tmp_path / "kits"))) as live:
        yield live.url


def run_agent(url: str, directory: Path, keys: KeyStore, *extra: str) -> Result:
    return runner.invoke(
        APP,
        [
            "agent",
            "--site",
            "rennes",
            "--server",
            url,
            "--dir",
            str(directory),
            "--group-key",
            str(keys.public_key_path),
            "--once",
            *extra,
        ],
    )


def test_agent_once_takes_the_kit_and_exits_zero(
    server: str, group: Database, keys: KeyStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, issue_token(group, "rennes"))
    result = run_agent(server, tmp_path / "agent", keys)
    assert result.exit_code == 0, result.output
    assert "accepted kit kit-15.bkit" in result.stderr
    assert (tmp_path / "agent" / "kit-15.bkit").exists()
    again = run_agent(server, tmp_path / "agent", keys)
    assert "up to date: no change since sequence 15" in again.stderr


def test_agent_once_fails_on_a_refused_token(
    server: str, keys: KeyStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("bsa_not-the-right-one\n")
    os.chmod(token_file, 0o644)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    result = run_agent(server, tmp_path / "agent", keys, "--token-file", str(token_file))
    assert result.exit_code == 1
    stderr = result.stderr
    assert "is readable by others: chmod 600 it" in stderr
    assert "the server refused the agent token (401" in stderr
    missing = run_agent(server, tmp_path / "agent", keys)
    assert missing.exit_code == 1
    assert f"no agent token: set {TOKEN_ENV}" in missing.stderr
