"""Alert intake on both backends: folding, the two auto-declare switches, decisions, follow."""

import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bascule.cli import app as cli_app
from bascule.clock import SimulatedClock
from bascule.crisis.alert_formats import parse_suricata, parse_wazuh
from bascule.crisis.alert_rules import AlertRules, parse_rules
from bascule.crisis.alerts import (
    AlertError,
    decide,
    fingerprint,
    follow,
    follow_once,
    get_alert,
    intake,
    pending_alerts,
    recent_alerts,
)
from bascule.crisis.file_tail import FileTail
from bascule.crisis.incidents import incidents, timeline
from bascule.crisis.roles import Forbidden
from bascule.errors import UnknownEntityError
from bascule.store import journal, kinds
from bascule.store.database import Database
from bascule.store.tables import JournalEntryRow
from tests.crisis.conftest import CLERK, LEAD
from tests.crisis.test_alert_formats import EVE_DIR, eve_alert, lines, wazuh_alert

CrisisDb = tuple[Database, SimulatedClock]

RULES = """\
allow_auto_declare: {allow}
sites:
  - {{cidr: 10.35.0.0/16, site: rennes}}
  - {{cidr: 10.44.0.0/16, site: nantes}}
  - {{cidr: 10.49.0.0/16, site: angers}}
rules:
  - id: ransomware
    title: Rançongiciel suspecté
    match: {{signature_regex: ransom}}
    action: propose
    auto_declare: {auto}
  - id: noise
    match: {{signature_contains: "SURICATA STREAM"}}
    action: ignore
  - id: high
    match: {{min_severity: 1}}
    action: propose
"""


def rules(*, allow: bool = False, auto: bool = False) -> AlertRules:
    return parse_rules(RULES.format(allow=str(allow).lower(), auto=str(auto).lower()), "t.yaml")


def received_entries(db: Database) -> list[JournalEntryRow]:
    with db.reading() as session:
        query = select(JournalEntryRow).where(JournalEntryRow.kind == kinds.ALERT_RECEIVED)
        return list(session.scalars(query))


def test_the_real_suricata_alerts_fold_into_one_proposed_alert(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    path = EVE_DIR / "alert-testmyids__eve.json"
    other = EVE_DIR / "alert-testmyids-not-established__eve.json"
    events = [*parse_suricata(path.read_bytes()).events, *parse_suricata(other.read_bytes()).events]
    report = intake(db, events, rules(), actor="sensor:test")
    assert (report.accepted, report.alerts, report.new, report.folded, report.proposed) == (
        2,
        1,
        1,
        1,
        0,
    )
    [alert] = recent_alerts(db)
    # Severity 2, not ransomware: no rule matches, so it is only logged, off any site.
    assert (alert.status, alert.count, alert.host, alert.site_id, alert.rule) == (
        "logged",
        2,
        "10.16.1.11",
        None,
        None,
    )
    assert alert.first_seen < alert.last_seen
    assert alert.id == fingerprint(
        "suricata", "GPL ATTACK_RESPONSE id check returned root", "10.16.1.11", None
    )
    assert len(received_entries(db)) == 1
    assert pending_alerts(db) == []


def test_duplicates_fold_within_and_across_batches(crisis_db: CrisisDb) -> None:
    db, clock = crisis_db
    lockbit = eve_alert("ET MALWARE LockBit Ransomware", src="10.35.4.20", dest="8.8.8.8")
    later = eve_alert(
        "ET MALWARE LockBit Ransomware",
        src="10.35.4.20",
        dest="8.8.4.4",
        timestamp="2026-11-30T05:00:00+0100",
    )
    elsewhere = eve_alert("ET MALWARE LockBit Ransomware", src="10.44.1.1", dest="8.8.8.8")
    first = intake(
        db, parse_suricata(lines(lockbit, lockbit, elsewhere)).events, rules(), actor="s"
    )
    assert (first.accepted, first.alerts, first.new, first.proposed) == (3, 2, 2, 2)
    assert len(received_entries(db)) == 2
    clock.advance(timedelta(minutes=5))
    second = intake(db, parse_suricata(lines(later, lockbit)).events, rules(), actor="s")
    assert (second.accepted, second.alerts, second.new, second.folded) == (2, 1, 0, 2)
    assert len(received_entries(db)) == 3
    by_site = {alert.site_id: alert for alert in pending_alerts(db)}
    assert by_site["rennes"].count == 4
    assert by_site["rennes"].last_seen.isoformat() == "2026-11-30T04:00:00+00:00"
    assert by_site["rennes"].host == "10.35.4.20"
    assert by_site["nantes"].count == 1
    with db.reading() as session:
        assert journal.verify(session).intact


def test_ignored_alerts_are_counted_not_stored(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    noise = eve_alert("SURICATA STREAM ESTABLISHED packet out of window", severity=3)
    report = intake(db, parse_suricata(lines(noise, noise)).events, rules(), actor="s")
    assert (report.accepted, report.ignored, report.alerts) == (0, 2, 0)
    assert recent_alerts(db) == []
    assert received_entries(db) == []


def test_a_site_the_database_does_not_know_is_dropped_with_a_warning(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    angers = eve_alert("ET MALWARE Ransomware note", src="10.49.0.7")
    report = intake(db, parse_suricata(lines(angers)).events, rules(), actor="s")
    assert report.warnings == (
        "t.yaml: site 'angers' is not registered; its alerts are kept without a site",
    )
    [alert] = pending_alerts(db)
    assert (alert.site_id, alert.host) == (None, "10.49.0.7")


def test_wazuh_alerts_are_placed_by_agent_address_and_named_by_agent(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    batch = parse_wazuh(lines(wazuh_alert(), wazuh_alert(level=3)))
    report = intake(db, batch.events, rules(), actor="sensor:wazuh")
    assert (report.alerts, report.proposed) == (1, 1)
    [alert] = pending_alerts(db)
    assert (alert.source, alert.host, alert.site_id, alert.rule, alert.severity) == (
        "wazuh",
        "pc-bloc-2",
        "rennes",
        "ransomware",
        1,
    )


@pytest.mark.parametrize(("allow", "auto"), [(False, False), (False, True), (True, False)])
def test_no_incident_is_declared_unless_both_switches_say_so(
    crisis_db: CrisisDb, allow: bool, auto: bool
) -> None:
    db, _ = crisis_db
    events = parse_suricata(lines(eve_alert("ET MALWARE Ransomware", src="10.35.4.20"))).events
    report = intake(db, events, rules(allow=allow, auto=auto), actor="s")
    assert report.declared == ()
    with db.reading() as session:
        assert incidents(session) == []
    assert [alert.status for alert in pending_alerts(db)] == ["proposed"]


def test_both_switches_declare_once_for_a_new_alert(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    both = rules(allow=True, auto=True)
    events = parse_suricata(lines(eve_alert("ET MALWARE Ransomware", src="10.35.4.20"))).events
    report = intake(db, events, both, actor="s")
    [incident_id] = report.declared
    again = intake(db, events, both, actor="s")
    assert again.declared == ()
    with db.reading() as session:
        [incident] = incidents(session)
        events_of_incident = timeline(session, incident_id)
    assert incident.id == incident_id
    assert (incident.sites, incident.severity, incident.declared_by) == (
        ("rennes",),
        "major",
        "alerts:ransomware",
    )
    assert incident.title == "Rançongiciel suspecté — 10.35.4.20"
    alert = get_alert(db, report_id(db))
    assert (alert.status, alert.incident_id, alert.decided_by, alert.count) == (
        "declared",
        incident_id,
        "alerts:ransomware",
        2,
    )
    assert [event.kind for event in events_of_incident][-1] == "alert"


def report_id(db: Database) -> str:
    [alert] = recent_alerts(db)
    return alert.id


def test_an_alert_without_a_site_is_left_to_the_crisis_cell(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    events = parse_suricata(lines(eve_alert("ET MALWARE Ransomware", src="172.16.0.4"))).events
    report = intake(db, events, rules(allow=True, auto=True), actor="s")
    assert report.declared == ()
    assert "no site known" in report.warnings[0]
    assert pending_alerts(db)[0].status == "proposed"


def _one_pending(db: Database, src: str = "10.44.2.2") -> str:
    events = parse_suricata(lines(eve_alert("ET MALWARE Ransomware", src=src))).events
    intake(db, events, rules(), actor="s")
    [alert] = pending_alerts(db)
    return alert.id


def test_dismissing_an_alert_and_deciding_it_twice(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    alert_id = _one_pending(db)
    assert decide(db, LEAD, alert_id, "dismiss") is None
    alert = get_alert(db, alert_id)
    assert (alert.status, alert.decided_by, alert.incident_id) == ("dismissed", "web:claire", None)
    assert pending_alerts(db) == []
    with pytest.raises(
        AlertError, match=f"alert {alert_id[:12]} was already dismissed by web:claire"
    ):
        decide(db, LEAD, alert_id, "declare")
    # It recurs: the count grows, the decision stands.
    recurring = parse_suricata(lines(eve_alert("ET MALWARE Ransomware", src="10.44.2.2")))
    intake(db, recurring.events, rules(), actor="s")
    assert get_alert(db, alert_id).status == "dismissed"


def test_declaring_from_an_alert_links_both(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    alert_id = _one_pending(db)
    incident_id = decide(db, LEAD, alert_id, "declare", systems=["network"])
    assert incident_id is not None
    with db.reading() as session:
        [incident] = incidents(session)
    assert (incident.id, incident.sites, incident.systems, incident.severity) == (
        incident_id,
        ("nantes",),
        ("network",),
        "major",
    )
    assert incident.title == "ET MALWARE Ransomware — 10.44.2.2"
    alert = get_alert(db, alert_id)
    assert (alert.status, alert.incident_id, alert.decided_by) == (
        "declared",
        incident_id,
        "web:claire",
    )
    with pytest.raises(AlertError, match=f"declared as incident {incident_id}"):
        decide(db, LEAD, alert_id, "dismiss")


def test_who_may_decide_and_what_can_be_decided(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    alert_id = _one_pending(db)
    with pytest.raises(Forbidden, match="lena"):
        decide(db, CLERK, alert_id, "dismiss")
    with pytest.raises(AlertError, match="decision 'ignore'"):
        decide(db, LEAD, alert_id, "ignore")
    with pytest.raises(UnknownEntityError, match="no alert 'nope'"):
        decide(db, LEAD, "nope", "dismiss")
    assert get_alert(db, alert_id).status == "proposed"


def test_pending_alerts_come_most_severe_first(crisis_db: CrisisDb) -> None:
    db, _ = crisis_db
    text = lines(
        eve_alert("ET MALWARE Ransomware medium", severity=2, src="10.35.0.1"),
        eve_alert("ET MALWARE something high", severity=1, src="10.35.0.2"),
    )
    intake(db, parse_suricata(text).events, rules(), actor="s")
    assert [alert.severity for alert in pending_alerts(db)] == [1, 2]
    assert len(recent_alerts(db, 1)) == 1


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_follow_takes_in_appended_lines_and_survives_truncation(
    crisis_db: CrisisDb, tmp_path: Path
) -> None:
    db, _ = crisis_db
    eve = tmp_path / "eve.json"
    eve.write_text(lines(eve_alert("old ransomware", src="10.35.0.9")), encoding="utf-8")
    tail = FileTail(eve)
    assert follow_once(db, tail, "suricata", rules(), actor="s") is None
    line = json.dumps(eve_alert("ET MALWARE Ransomware", src="10.35.0.1"))
    _append(eve, line[:50])
    assert follow_once(db, tail, "suricata", rules(), actor="s") is None
    _append(eve, line[50:] + "\n" + "not json\n")
    batch = follow_once(db, tail, "suricata", rules(), actor="s")
    assert batch is not None
    assert (batch.report.accepted, batch.parsed.errors[0].line) == (1, 3)
    eve.write_text(lines(eve_alert("ET MALWARE Ransomware", src="10.35.0.1")), encoding="utf-8")
    batch = follow_once(db, tail, "suricata", rules(), actor="s")
    assert batch is not None
    assert (batch.restarted, batch.report.accepted, batch.parsed.events[0].line) == (True, 1, 1)
    [alert] = recent_alerts(db)
    assert (alert.count, alert.signature) == (2, "ET MALWARE Ransomware")
    tail.close()


def test_follow_reads_the_end_of_a_rotated_file_then_the_new_one(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text("", encoding="utf-8")
    tail = FileTail(eve)
    assert tail.read().data == b""
    _append(eve, "a\nb")
    assert tail.read().data == b"a\n"
    _append(eve, "c\n")
    os.rename(eve, tmp_path / "eve.json.1")
    eve.write_text("new\n", encoding="utf-8")
    rotated = tail.read()
    assert (rotated.data, rotated.first_line, rotated.restarted) == (b"bc\n", 2, True)
    fresh = tail.read()
    assert (fresh.data, fresh.first_line) == (b"new\n", 1)
    tail.close()


def test_follow_runs_until_stopped(crisis_db: CrisisDb, tmp_path: Path) -> None:
    db, _ = crisis_db
    eve = tmp_path / "eve.json"
    eve.write_text(lines(eve_alert("ET MALWARE Ransomware", src="10.35.0.1")), encoding="utf-8")
    stop = threading.Event()
    seen: list[int] = []
    worker = threading.Thread(
        target=follow,
        args=(db, eve, rules()),
        kwargs={
            "actor": "s",
            "poll_seconds": 0.05,
            "stop": stop,
            "from_start": True,
            "on_batch": lambda batch: seen.append(batch.report.accepted),
        },
    )
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        _append(eve, lines(eve_alert("ET MALWARE Ransomware", src="10.35.0.1")))
        while sum(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    assert sum(seen) == 2
    assert recent_alerts(db)[0].count == 2


def test_the_cli_ingests_a_file_reports_bad_lines_and_lists(
    crisis_db: CrisisDb, db_url: str, tmp_path: Path
) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(
        (EVE_DIR / "alert-testmyids__eve.json").read_text(encoding="utf-8") + "oops\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli_app, ["--db", db_url, "alerts", "ingest", str(eve)])
    assert result.exit_code == 0, result.output
    assert f"{eve}:2: not JSON (Expecting value)" in result.output
    assert "1 alerts (1 kept, 0 ignored), 0 other events skipped, 1 unreadable" in result.output
    listed = CliRunner().invoke(cli_app, ["--db", db_url, "alerts", "list"])
    assert "GPL ATTACK_RESPONSE id check returned root" in listed.output
    bad = tmp_path / "bad.json"
    bad.write_text("nope\n", encoding="utf-8")
    refused = CliRunner().invoke(cli_app, ["--db", db_url, "alerts", "ingest", str(bad)])
    assert refused.exit_code == 1
