"""Alert rules: first match wins, sites from the addressing plan, errors with their line."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bascule.crisis.alert_formats import SecurityEvent
from bascule.crisis.alert_rules import AlertRulesError, default_rules, load_rules, parse_rules

RULES = """\
allow_auto_declare: true
sites:
  - {cidr: 10.35.0.0/16, site: rennes}
  - {cidr: 10.35.200.0/24, site: nantes}
rules:
  - id: ransomware
    match: {signature_regex: [ransom, "\\\\blockbit\\\\b"]}
    action: propose
    auto_declare: true
    title: Rançongiciel
  - id: dmz-scan
    match: {signature_contains: "SCAN", host_cidr: [192.168.0.0/16]}
    action: log
    site: nantes
  - id: smb
    match: {source: suricata, signature_regex: smb, min_severity: 2}
    action: propose
    site_by_cidr: {10.35.0.0/16: nantes}
  - id: noise
    match: {signature_contains: "et info", min_severity: 3}
    action: ignore
"""


def event(
    signature: str,
    severity: int = 1,
    addresses: tuple[str, ...] = ("8.8.4.4", "10.35.4.20"),
    *,
    source: str = "suricata",
    host_name: str | None = None,
) -> SecurityEvent:
    return SecurityEvent(
        source,
        signature,
        severity,
        host_name,
        addresses,
        datetime(2026, 11, 30, tzinfo=UTC),
        {},
        1,
    )


def test_first_matching_rule_wins_and_no_match_logs() -> None:
    rules = parse_rules(RULES, "rules.yaml")
    ransom = rules.classify(event("ET MALWARE Possible RANSOMWARE note"))
    assert (ransom.rule and ransom.rule.id, ransom.action, ransom.auto_declare) == (
        "ransomware",
        "propose",
        True,
    )
    assert rules.classify(event("LockBit 3.0 beacon")).action == "propose"
    assert rules.classify(event("Unlockbitten")).rule is None
    quiet = rules.classify(event("ET POLICY something", severity=2))
    assert (quiet.rule, quiet.action) == (None, "log")
    assert rules.classify(event("ET INFO something", severity=3)).action == "ignore"


def test_min_severity_matches_that_severity_and_more_severe() -> None:
    rules = parse_rules(RULES, "rules.yaml")
    assert rules.classify(event("SMB lateral", severity=1)).action == "propose"
    assert rules.classify(event("SMB lateral", severity=2)).action == "propose"
    assert rules.classify(event("SMB lateral", severity=3)).rule is None
    wazuh = rules.classify(event("SMB lateral", severity=1, source="wazuh"))
    assert wazuh.rule is None


def test_sites_come_from_the_longest_network_then_rule_overrides() -> None:
    rules = parse_rules(RULES, "rules.yaml")
    rennes = rules.classify(event("whatever", addresses=("8.8.4.4", "10.35.4.20")))
    assert (rennes.site_id, rennes.host) == ("rennes", "10.35.4.20")
    nantes = rules.classify(event("whatever", addresses=("10.35.200.7", "10.35.4.20")))
    assert (nantes.site_id, nantes.host) == ("nantes", "10.35.200.7")
    override = rules.classify(event("SMB copy", addresses=("10.35.4.20",)))
    assert override.site_id == "nantes"
    fixed = rules.classify(event("ET SCAN nmap", addresses=("192.168.1.4", "10.35.4.20")))
    assert (fixed.site_id, fixed.host) == ("nantes", "192.168.1.4")


def test_the_host_is_the_agent_name_or_the_inside_address() -> None:
    rules = parse_rules(RULES, "rules.yaml")
    agent = rules.classify(event("x", addresses=("10.35.8.3",), source="wazuh", host_name="pc-1"))
    assert (agent.host, agent.site_id) == ("pc-1", "rennes")
    outside = rules.classify(event("x", addresses=("8.8.4.4", "172.16.0.9")))
    assert (outside.host, outside.site_id) == ("172.16.0.9", None)
    assert rules.classify(event("x", addresses=())).host is None


def test_auto_declare_needs_the_file_switch_too() -> None:
    rules = parse_rules(RULES.replace("allow_auto_declare: true", "allow_auto_declare: false"), "r")
    assert rules.classify(event("ransomware")).auto_declare is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  - {id: a, match: {}, action: alert}\n", r"r.yaml:2: rule 'a': action must"),
        (
            "rules:\n  - id: a\n    match: {signature_regex: '('}\n    action: log\n",
            r"r.yaml:3: rule 'a' match: signature_regex '\(' is not a valid",
        ),
        (
            "rules:\n  - id: a\n    match: {host_cidr: 10.0.0.300/8}\n    action: log\n",
            r"r.yaml:3: .*'10.0.0.300/8' is not an IP network",
        ),
        (
            "sites:\n  - {cidr: 10.1.0.0/16}\nrules: []\n",
            r"r.yaml:2: sites entry field 'site' must be text",
        ),
        (
            "rules:\n  - id: a\n    match: {signature_contain: x}\n    action: log\n",
            r"r.yaml:3: .*unknown field 'signature_contain'",
        ),
        (
            "rules:\n  - id: a\n    match: {min_severity: 5}\n    action: log\n",
            r"r.yaml:3: .*min_severity must be 1",
        ),
        (
            "rules:\n  - {id: a, match: {}, action: log}\n  - {id: a, match: {}, action: log}\n",
            r"r.yaml:3: rule id 'a' is used twice",
        ),
        (
            "rules:\n  - id: a\n    match: {}\n    action: log\n    auto_declare: yes please\n",
            r"r.yaml:2: rule 'a' field 'auto_declare' must be true or false",
        ),
        (
            "rules:\n  - id: a\n    action: log\n",
            r"r.yaml:2: rule 'a' field 'match' must be a mapping",
        ),
        ("rules:\n  - id: Bad Id\n    match: {}\n    action: log\n", r"r.yaml:2: rule id 'Bad Id'"),
        (
            "rules:\n  - id: a\n    match: {}\n    action: log\n    site: x\n"
            "    site_by_cidr: {10.0.0.0/8: y}\n",
            r"r.yaml:2: .*not both",
        ),
        ("rules: [\n  {id: a\n", r"r.yaml:3: not valid YAML"),
        ("allow_auto_declare: true\n", r"r.yaml:1: rules file field 'rules' must be a list"),
        ("- a\n", r"r.yaml: a rules file is a mapping"),
    ],
)
def test_errors_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(AlertRulesError, match=message):
        parse_rules(text, "r.yaml")


def test_load_rules_reads_a_file_and_names_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    assert [rule.id for rule in load_rules(path).rules] == [
        "ransomware",
        "dmz-scan",
        "smb",
        "noise",
    ]
    with pytest.raises(AlertRulesError, match=r"cannot read alert rules .*missing\.yaml"):
        load_rules(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("signature", "severity", "rule"),
    [
        ("ET MALWARE Win32/Filecoder.LockBit Ransomware Checkin", 1, "ransomware"),
        ("ET MALWARE Cobalt Strike Beacon Observed", 1, "c2-framework"),
        ("ET POLICY SMB2 NT Create AndX Request For an Executable File", 2, "smb-lateral-movement"),
        ("ET EXPLOIT Possible ETERNALBLUE Probe MS17-010", 1, "smb-lateral-movement"),
        ("ET POLICY Rclone User-Agent Observed", 2, "exfiltration"),
        ("ET POLICY TLS possible TOR SSL traffic", 2, "tor"),
        ("GPL ATTACK_RESPONSE id check returned root", 2, "attack-response"),
        ("ET SCAN Suspicious inbound to mySQL port 3306", 1, "high-severity"),
        ("SURICATA STREAM ESTABLISHED packet out of window", 3, "decoder-noise"),
        ("ET INFO Observed DNS Query to .cloud TLD", 3, None),
        ("ET POLICY Tor-like name but not TOR? continuing", 3, None),
    ],
)
def test_the_default_rules_propose_ransomware_indicators(
    signature: str, severity: int, rule: str | None
) -> None:
    verdict = default_rules().classify(event(signature, severity))
    assert (verdict.rule.id if verdict.rule else None) == rule
    assert verdict.auto_declare is False


def test_the_default_rules_map_the_demo_group_addresses() -> None:
    rules = default_rules()
    assert rules.site_ids() == {"rennes", "quimper", "nantes", "saint-nazaire", "angers"}
    verdict = rules.classify(event("x", addresses=("8.8.8.8", "10.44.200.1")))
    assert verdict.site_id == "saint-nazaire"
