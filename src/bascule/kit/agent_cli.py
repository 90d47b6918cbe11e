"""``bascule agent`` (the site agent) and ``bascule kit token`` (its access tokens)."""

import logging
import os
import stat
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.table import Table

from bascule.cli_common import console, err_console, open_database, settings_of
from bascule.errors import BasculeError
from bascule.kit.agent import Agent, AgentConfig
from bascule.kit.agent_store import create_token, list_tokens, revoke_tokens
from bascule.kit.keys import KeyStore, load_public_key
from bascule.store.canonical import canonical_instant

TOKEN_ENV = "BASCULE_AGENT_TOKEN"

token_app = typer.Typer(
    help="Access tokens of the site agents: one per site, scoped to its kits.",
    no_args_is_help=True,
)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="The site whose agents will use the token.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Revoke the site's current token at the same time.")
    ] = False,
) -> None:
    """Create a site's agent token and print it once (only its SHA-256 is kept)."""
    with open_database(ctx) as db, db.writing() as session:
        issued = create_token(
            session, site, actor=settings_of(ctx).actor, at=db.clock.now(), replace=replace
        )
    for old in issued.replaced:
        err_console.print(f"revoked the previous token {old} of {site}", soft_wrap=True)
    err_console.print(
        f"agent token of {site} (fingerprint {issued.fingerprint}), shown only now: give it "
        f"to the site's agents as {TOKEN_ENV} or in a --token-file",
        soft_wrap=True,
    )
    console.print(issued.token, highlight=False, soft_wrap=True)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="The site whose token to revoke.")],
) -> None:
    """Revoke a site's agent token; its agents are refused from now on."""
    with open_database(ctx) as db, db.writing() as session:
        revoked = revoke_tokens(session, site, actor=settings_of(ctx).actor, at=db.clock.now())
    console.print(f"revoked the agent token {', '.join(revoked)} of {site}")


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """Every agent token by fingerprint: site, creation, revocation."""
    with open_database(ctx) as db, db.reading() as session:
        tokens = list_tokens(session)
    table = Table("site", "token", "created (UTC)", "revoked (UTC)")
    for token in tokens:
        revoked = "" if token.revoked_at is None else canonical_instant(token.revoked_at)[:19]
        table.add_row(
            token.site, token.fingerprint, canonical_instant(token.created_at)[:19], revoked
        )
    console.print(table)


def _read_token(token_file: Path | None) -> str:
    if token_file is None:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            raise BasculeError(f"no agent token: set {TOKEN_ENV} or give --token-file")
        return token
    try:
        token = token_file.read_text(encoding="utf-8").strip()
        mode = token_file.stat().st_mode
    except OSError as exc:
        raise BasculeError(f"cannot read the token file {token_file}: {exc.strerror}") from exc
    if not token:
        raise BasculeError(f"the token file {token_file} is empty")
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        err_console.print(
            f"warning: {token_file} is readable by others: chmod 600 it", soft_wrap=True
        )
    return token


class _StderrHandler(logging.StreamHandler[TextIO]):
    """One line per event on the stderr of the moment (a test runner may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
        )

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` to the current ``sys.stderr``."""
        self.stream = sys.stderr
        super().emit(record)


def _log_to_stderr() -> None:
    logger = logging.getLogger("bascule.agent")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)


def agent(
    ctx: typer.Context,
    *,
    site: Annotated[str, typer.Option(help="The site whose kits to keep.")],
    server: Annotated[str, typer.Option(help="The group server, e.g. https://bascule.example")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to keep the kits, the viewer and status.json.")
    ],
    interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between cycles when all is well.")
    ] = 30.0,
    keep: Annotated[int, typer.Option(min=1, help="Full kits to keep, each with its deltas.")] = 5,
    group_key: Annotated[
        Path | None,
        typer.Option(help="The group public key file (default: the key store's public key)."),
    ] = None,
    token_file: Annotated[
        Path | None, typer.Option(help=f"File holding the agent token (else ${TOKEN_ENV}).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run one cycle and exit (status 1 if it failed).")
    ] = False,
) -> None:
    """Keep a site's latest verified kits and its offline viewer on this PC."""
    config = AgentConfig(
        site=site,
        server=server,
        directory=directory,
        token=_read_token(token_file),
        public_key=load_public_key(
            group_key or KeyStore(settings_of(ctx).keys_dir).public_key_path
        ),
        interval=interval,
        keep=keep,
        max_backoff=max(300.0, interval),
    )
    _log_to_stderr()
    runner = Agent(config)
    if once:
        runner.start()
        if not runner.cycle():
            raise typer.Exit(1)
        return
    try:
        runner.run()
    except KeyboardInterrupt:
        logging.getLogger("bascule.agent").info("agent stopped")
