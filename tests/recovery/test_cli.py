from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from bascule.cli import app
from bascule.clock import SimulatedClock, local_time
from bascule.crisis.incidents import declare_incident
from bascule.paper.codes import FormCode, new_form_id
from bascule.paper.model import FormType
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.factories import record, site
from tests.recovery.conftest import packet
from tests.recovery.test_reentry import ADMISSION


def _prepared(db_url: str) -> FormCode:
    """Rennes, an incident declared two days ago, one printed admission form."""
    past = SimulatedClock(datetime.now(UTC) - timedelta(days=2))
    db = Database(db_url, clock=past)
    try:
        upgrade(db)
        record(db, [changes.site_registered(site("rennes"))])
        declare_incident(db, "cli:test", title="t", severity="major", sites=["rennes"], systems=[])
        code = FormCode(FormType.ADMISSION, new_form_id(), "rennes")
        record(db, [packet([code], packet_id=code.form_id)])
        return code
    finally:
        db.dispose()


def _run(db_url: str, actor: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["--db", db_url, "recovery", *args], env={"BASCULE_ACTOR": actor}
    )
    return result.exit_code, result.output


def test_paper_goes_back_through_the_command_line(db_url: str) -> None:
    code = _prepared(db_url)
    admitted = local_time(datetime.now(UTC) - timedelta(days=1)).strftime("%d/%m/%Y %H:%M")
    typed = [
        f"--set={name}={value}" for name, value in (ADMISSION | {"admitted_at": admitted}).items()
    ]
    status, output = _run(db_url, "alice", "enter", code.payload(), *typed, "--submit")
    assert status == 0, output
    assert "pass 1: submitted; now second entry" in output
    status, output = _run(db_url, "alice", "enter", code.form_id, *typed, "--submit")
    assert status == 1
    assert "the second typing must be another clerk's" in output
    other = [t.replace("14/03/1980", "14/03/1981") for t in typed]
    status, output = _run(db_url, "bob", "enter", code.form_id, *other, "--submit")
    assert "now to decide" in output, output
    status, output = _run(db_url, "carol", "decide", code.form_id, "--field", "birth_date=first")
    assert status == 0, output
    status, output = _run(db_url, "carol", "confirm", code.form_id)
    assert status == 0, output
    status, output = _run(db_url, "carol", "match")
    assert "0 linked, 0 for the identity-vigilance cell, 1 new provisional" in output
    status, output = _run(db_url, "carol", "status")
    assert status == 0, output
    assert "clerk bob: 1 errors" in output
    assert "complete" in output


def test_a_typing_with_problems_fails_and_names_the_field(db_url: str) -> None:
    code = _prepared(db_url)
    status, output = _run(
        db_url, "alice", "enter", code.payload(), "--set", "birth_date=31/02/1980", "--submit"
    )
    assert status == 1
    assert "birth_date:" in output
    assert "kept as a draft" in output
    status, output = _run(db_url, "alice", "status")
    assert status == 3
    assert "forms: 1" in output
