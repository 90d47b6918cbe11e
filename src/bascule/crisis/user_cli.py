"""``bascule user``: accounts of the crisis-cell web application.

Passwords are asked twice on the terminal without echo, or read from the first line of
standard input with ``--password-stdin`` (for scripts); never taken as an argument, which
would leave them in the shell history and the process list.
"""

import sys
from typing import Annotated

import typer
from rich.table import Table

from bascule.cli_common import console, open_database, settings_of
from bascule.clock import local_time
from bascule.crisis import accounts
from bascule.crisis.roles import Role
from bascule.errors import BasculeError

user_app = typer.Typer(help="Accounts of the crisis-cell web application.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise BasculeError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BasculeError("no terminal to ask the password on: use --password-stdin")
    answer: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return answer


# Typer reads a command's options from its signature.
@user_app.command("add")
def add(  # noqa: PLR0917
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name: a-z, 0-9, '.', '_', '-'.")],
    name: Annotated[str, typer.Option("--name", help="Full name shown to colleagues.")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")],
    site: Annotated[
        list[str] | None,
        typer.Option("--site", help="A site the site manager runs (repeat for several)."),
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account (the password is asked, or read with --password-stdin)."""
    accounts.check_username(username)
    password = accounts.check_password(_password(password_stdin))
    with open_database(ctx) as db:
        accounts.add_user(
            db,
            username=username,
            display_name=name,
            role=role,
            sites=site or [],
            password=password,
            actor=settings_of(ctx).actor,
        )
    where = f" for {', '.join(site)}" if site else ""
    console.print(f"added {username} ({role.value}{where})", highlight=False)


@user_app.command("passwd")
def passwd(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password; this signs the user out everywhere and re-enables the account."""
    password = accounts.check_password(_password(password_stdin))
    with open_database(ctx) as db:
        accounts.set_password(db, username, password, actor=settings_of(ctx).actor)
    console.print(f"new password set for {username}; their sessions are closed", highlight=False)


@user_app.command("disable")
def disable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The account.")]
) -> None:
    """Stop an account from signing in, and close its open sessions."""
    with open_database(ctx) as db:
        accounts.disable_user(db, username, actor=settings_of(ctx).actor)
    console.print(f"disabled {username}; their sessions are closed", highlight=False)


@user_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List the accounts with their role, sites and state."""
    with open_database(ctx) as db:
        users = accounts.list_users(db)
    if not users:
        console.print("no account yet: create one with 'bascule user add'")
        return
    table = Table("username", "name", "role", "sites", "state", "created")
    for user in users:
        table.add_row(
            user.username,
            user.display_name,
            user.role.value,
            ", ".join(user.sites),
            "active" if user.active else "disabled",
            local_time(user.created_at).strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
