import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from bascule.cli import app
from bascule.crisis import accounts
from bascule.store import changes, journal
from bascule.store.database import Database
from tests.factories import record, site

runner = CliRunner()
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def group(db: Database) -> Database:
    record(db, [changes.site_registered(site("rennes"))])
    return db


def run(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(
        app, ["--db", db_url, "user", *args], input=stdin, env={"BASCULE_ACTOR": "cli:admin"}
    )
    return result.exit_code, result.output


def test_add_list_passwd_disable(group: Database, db_url: str) -> None:
    code, output = run(
        db_url,
        "add",
        "yann.morvan",
        "--name",
        "Yann Morvan",
        "--role",
        "site-manager",
        "--site",
        "rennes",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, output
    assert output.strip() == "added yann.morvan (site-manager for rennes)"
    assert accounts.authenticate(group, "yann.morvan", PASSWORD) is not None
    with group.reading() as session:
        entry = journal.tail(session, 1)[0]
    assert (entry.kind, entry.actor) == ("user.added", "cli:admin")

    code, output = run(db_url, "list")
    assert code == 0, output
    (row,) = [line for line in output.splitlines() if "yann.morvan" in line]
    for cell in ("Yann Morvan", "site-manager", "rennes", "active"):
        assert cell in row

    code, output = run(
        db_url, "passwd", "yann.morvan", "--password-stdin", stdin="a new pass phrase\n"
    )
    assert code == 0, output
    assert accounts.authenticate(group, "yann.morvan", "a new pass phrase") is not None

    code, output = run(db_url, "disable", "yann.morvan")
    assert code == 0, output
    assert "disabled" in run(db_url, "list")[1]
    assert accounts.authenticate(group, "yann.morvan", "a new pass phrase") is None


def test_an_empty_list_says_how_to_add(group: Database, db_url: str) -> None:
    assert run(db_url, "list") == (0, "no account yet: create one with 'bascule user add'\n")


def test_a_bad_role_is_refused_without_a_traceback(group: Database, db_url: str) -> None:
    code, output = run(
        db_url,
        "add",
        "boss",
        "--name",
        "Boss",
        "--role",
        "boss",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert code == 2
    assert "Invalid value for '--role'" in output
    assert "'boss' is not one of" in output
    assert "Traceback" not in output
    assert accounts.list_users(group) == []


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "viewer"], "short\n", "password must be at least 12 characters"),
        (["--role", "site-manager", "--site", "brest"], PASSWORD, "unknown site id 'brest'"),
        (["--role", "viewer"], "", "--password-stdin: standard input is empty"),
    ],
)
def test_refusals_are_one_line(
    group: Database, db_url: str, args: list[str], stdin: str, message: str
) -> None:
    code, output = run(
        db_url, "add", "anne", "--name", "Anne", *args, "--password-stdin", stdin=stdin
    )
    assert code == 1
    assert output.startswith("error: ")
    assert message in output
    assert "Traceback" not in output
    assert "short" not in output


def test_without_a_terminal_the_password_must_come_from_stdin(group: Database, db_url: str) -> None:
    code, output = run(db_url, "add", "anne", "--name", "Anne", "--role", "viewer")
    assert code == 1
    assert "no terminal to ask the password on: use --password-stdin" in output
