"""Reading Suricata EVE and Wazuh alerts: good lines kept, bad ones reported by line."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.crisis.alert_formats import (
    AlertFormatError,
    ParsedBatch,
    parse,
    parse_suricata,
    parse_wazuh,
    wazuh_severity,
)
from bascule.store.canonical import canonical_instant, canonical_json, parse_instant

EVE_DIR = Path("/work/shared/data/external/suricata-eve")


def eve_alert(
    signature: str = "ET MALWARE LockBit Ransomware Checkin",
    severity: int = 1,
    src: str = "10.35.4.20",
    dest: str = "185.220.101.4",
    timestamp: str = "2026-11-30T03:12:45.123456+0100",
) -> dict[str, Any]:
    """An EVE alert record as Suricata writes it."""
    return {
        "timestamp": timestamp,
        "flow_id": 1234,
        "event_type": "alert",
        "src_ip": src,
        "src_port": 49822,
        "dest_ip": dest,
        "dest_port": 443,
        "proto": "TCP",
        "alert": {
            "action": "allowed",
            "gid": 1,
            "signature_id": 2030000,
            "rev": 2,
            "signature": signature,
            "category": "",
            "severity": severity,
        },
    }


def wazuh_alert(
    description: str = "Ransomware: mass file encryption detected",
    level: int = 12,
    agent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Wazuh alert as written to alerts.json."""
    return {
        "timestamp": "2026-11-30T02:12:45.123+0000",
        "rule": {"level": level, "description": description, "id": "100210", "groups": ["fim"]},
        "agent": agent
        if agent is not None
        else {"id": "004", "name": "pc-bloc-2", "ip": "10.35.8.3"},
        "manager": {"name": "wazuh-manager"},
        "id": "1764468765.123456",
        "full_log": "File '/srv/dpi/x.docx' modified",
        "location": "syscheck",
    }


def lines(*records: dict[str, Any] | str) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def test_the_real_suricata_outputs_hold_two_alerts_and_many_other_events() -> None:
    batches = [parse_suricata(path.read_bytes()) for path in sorted(EVE_DIR.glob("*.json"))]
    events = [event for batch in batches for event in batch.events]
    assert [e.signature for e in events] == ["GPL ATTACK_RESPONSE id check returned root"] * 2
    assert sum(batch.skipped for batch in batches) == 54  # flow, dns, stats, engine...
    assert not [error for batch in batches for error in batch.errors]
    first = events[0]
    assert first.severity == 2
    assert first.addresses == ("82.165.177.154", "10.16.1.11")
    assert first.at == datetime(2016, 7, 13, 22, 42, 7, 388030, tzinfo=UTC)
    assert first.raw["alert"]["signature_id"] == 2


def test_a_suricata_alert_is_read_with_its_instant_in_utc() -> None:
    batch = parse_suricata(lines(eve_alert()))
    [event] = batch.events
    assert event.source == "suricata"
    assert event.severity == 1
    assert event.at == datetime(2026, 11, 30, 2, 12, 45, 123456, tzinfo=UTC)
    assert event.host_name is None
    assert event.line == 1


def test_bad_lines_are_reported_by_line_and_the_good_ones_kept() -> None:
    no_signature = eve_alert()
    del no_signature["alert"]["signature"]
    naive = eve_alert(timestamp="2026-11-30T03:12:45")
    text = lines(
        eve_alert(),
        "{not json",
        no_signature,
        naive,
        eve_alert(timestamp="yesterday"),
        eve_alert(src="10.35.999.1"),
        {"event_type": "flow", "timestamp": "2026-11-30T03:12:45+0000"},
        "",
        "[1, 2]",
        eve_alert(severity=0),
        eve_alert(signature="   "),
        eve_alert(signature="ET POLICY Something else"),
    )
    batch = parse_suricata(text)
    assert [event.line for event in batch.events] == [1, 12]
    assert batch.skipped == 1
    problems = {error.line: error.problem for error in batch.errors}
    assert problems[2].startswith("not JSON")
    assert problems[3] == "missing field 'alert.signature'"
    assert "no time zone" in problems[4]
    assert problems[5].startswith("bad timestamp 'yesterday'")
    assert problems[6] == "field 'src_ip' is not an IP address"
    assert problems[9] == "not a JSON object but list"
    assert "1 or more" in problems[10]
    assert problems[11] == "field 'alert.signature' is empty"
    assert str(batch.errors[0]) == f"line 2: {problems[2]}"


def test_a_suricata_severity_beyond_three_counts_as_low() -> None:
    [event] = parse_suricata(lines(eve_alert(severity=4))).events
    assert event.severity == 3


def test_nan_nul_and_lone_surrogates_never_reach_the_journal() -> None:
    nul = eve_alert(signature="ET TROJAN evil\u0000name")
    text = lines(nul).replace("evil", "\\ud800evil")
    text += '{"event_type": "alert", "x": NaN}\n'
    batch = parse_suricata(text)
    [event] = batch.events
    assert "\x00" not in event.signature
    assert "\ufffd" in event.signature
    canonical_json(event.raw).encode("utf-8")
    assert batch.errors[0].line == 2
    assert "NaN" in batch.errors[0].problem


def test_deep_nesting_and_huge_lines_are_refused() -> None:
    deep = eve_alert()
    deep["extra"] = json.loads("[" * 40 + "]" * 40)
    huge = eve_alert(signature="x" * 300_000)
    batch = parse_suricata(lines(deep, huge))
    assert [(e.line, e.problem) for e in batch.errors] == [
        (1, "nested deeper than 32 levels"),
        (2, "line longer than 262144 bytes"),
    ]


def test_invalid_utf8_spoils_only_its_own_line() -> None:
    data = (
        lines(eve_alert()).encode() + b'{"event_type": "alert\xff"}\n' + lines(eve_alert()).encode()
    )
    batch = parse_suricata(data)
    assert [event.line for event in batch.events] == [1, 3]
    assert batch.errors[0].line == 2
    assert batch.errors[0].problem.startswith("not UTF-8")


def test_first_line_numbers_a_batch_taken_from_the_middle_of_a_file() -> None:
    batch = parse_suricata(lines(eve_alert(), "oops"), first_line=41)
    assert batch.events[0].line == 41
    assert batch.errors[0].line == 42


def test_wazuh_levels_map_onto_three_severities() -> None:
    assert [wazuh_severity(level) for level in (0, 6, 7, 11, 12, 15)] == [3, 3, 2, 2, 1, 1]


def test_wazuh_one_object_an_array_or_json_lines() -> None:
    one = json.dumps(wazuh_alert(), indent=2)
    array = json.dumps([wazuh_alert(), wazuh_alert(level=3)], indent=2)
    jsonl = lines(wazuh_alert(), wazuh_alert(level=8))
    [single] = parse_wazuh(one).events
    assert (single.host_name, single.addresses, single.severity) == (
        "pc-bloc-2",
        ("10.35.8.3",),
        1,
    )
    from_array = parse_wazuh(array)
    assert [e.severity for e in from_array.events] == [1, 3]
    assert from_array.events[1].line > from_array.events[0].line > 1
    assert [e.severity for e in parse_wazuh(jsonl).events] == [1, 2]


def test_wazuh_errors_name_their_line_and_reading_resumes() -> None:
    no_level = wazuh_alert()
    del no_level["rule"]["level"]
    manager_alert = wazuh_alert(agent={"id": "000", "name": "wazuh-manager"})
    text = lines(wazuh_alert(), "{broken", no_level, wazuh_alert(level=16), manager_alert)
    batch = parse_wazuh(text)
    assert [e.line for e in batch.events] == [1, 5]
    assert batch.events[1].addresses == ()
    assert [(e.line, e.problem) for e in batch.errors] == [
        (2, "not JSON (Expecting property name enclosed in double quotes)"),
        (3, "missing field 'rule.level'"),
        (4, "field 'rule.level' must be 0 to 15, not 16"),
    ]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(Exception, match="unknown alert format 'snort'"):
        parse("snort", "")


def _check_batch(batch: ParsedBatch, line_count: int) -> None:
    for error in batch.errors:
        assert isinstance(error, AlertFormatError)
        assert 1 <= error.line <= line_count
        assert str(error).startswith(f"line {error.line}: ")
    for event in batch.events:
        assert 1 <= event.line <= line_count
        assert event.severity in (1, 2, 3)
        assert parse_instant(canonical_instant(event.at)) == event.at
        canonical_json(event.raw).encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_either_reader(data: bytes) -> None:
    for reader in (parse_suricata, parse_wazuh):
        _check_batch(reader(data), data.count(b"\n") + 1)


_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                eve_alert,
                signature=st.text(min_size=1, max_size=30),
                severity=st.integers(-2, 6),
                timestamp=st.sampled_from(
                    ["2026-11-30T03:12:45+0100", "2026-11-30", "0001-01-01T00:00:00+0100", "x"]
                ),
            ).map(json.dumps),
            _json_values.map(json.dumps),
            st.text(max_size=20),
        ),
        max_size=8,
    )
)
def test_arbitrary_lines_keep_their_numbers(records: list[str]) -> None:
    text = "\n".join(record.replace("\n", " ") for record in records)
    line_count = text.count("\n") + 1
    for reader in (parse_suricata, parse_wazuh):
        batch = reader(text)
        _check_batch(batch, line_count)
    suricata = parse_suricata(text)
    # Every non-blank line is exactly one of: an alert, a skipped event, an error.
    non_blank = sum(1 for line in text.split("\n") if line.strip())
    assert suricata.lines_with_content == non_blank
