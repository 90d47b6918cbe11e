"""What to do with an IDS alert, and which site it concerns: a YAML rules file.

The file::

    allow_auto_declare: false        # master switch for rules with auto_declare: true
    sites:                           # the group's addressing plan
      - {cidr: 10.35.0.0/16, site: rennes}
    rules:                           # first match wins; no match: log
      - id: ransomware
        match: {signature_regex: [ransom, lockbit], min_severity: 2}
        action: propose              # propose | log | ignore
        auto_declare: false
        title: "Ransomware suspected"
        site: rennes                 # or site_by_cidr: {10.35.0.0/16: rennes}

``min_severity: 2`` matches severities 1 and 2 (at least as severe as 2; 1 is high).
``signature_regex`` (one pattern or a list, any may match) and ``signature_contains``
ignore case; ``host_cidr`` (one network or a list) matches any of the alert's addresses.
An alert's site is the rule's ``site``, else the longest network containing one of its
addresses in the rule's ``site_by_cidr``, then in ``sites`` (addresses in the sensor's
order). Loading names the file, line and field of anything wrong.
"""

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bascule.crisis import yaml_lines
from bascule.crisis.alert_formats import SOURCES, SecurityEvent
from bascule.errors import BasculeError

ACTIONS = ("propose", "log", "ignore")
DEFAULT_RULES = "alert-rules.yaml"
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")
_MATCH_KEYS = frozenset(
    {"source", "signature_contains", "signature_regex", "min_severity", "host_cidr"}
)
_RULE_KEYS = frozenset({"id", "match", "action", "auto_declare", "title", "site", "site_by_cidr"})
_TOP_KEYS = frozenset({"allow_auto_declare", "sites", "rules"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AlertRulesError(BasculeError):
    """A rules file that cannot be used, with its file, line and field."""


@dataclass(frozen=True, slots=True)
class SiteNetwork:
    """An IP network of one site."""

    network: Network
    site: str


@dataclass(frozen=True, slots=True)
class Match:
    """The conditions of a rule; all given ones must hold."""

    source: str | None = None
    signature_contains: str | None = None
    signature_regex: tuple[re.Pattern[str], ...] = ()
    min_severity: int | None = None
    host_cidr: tuple[Network, ...] = ()

    def __call__(self, event: SecurityEvent) -> bool:
        """Whether ``event`` meets every condition."""
        if self.source is not None and event.source != self.source:
            return False
        if self.min_severity is not None and event.severity > self.min_severity:
            return False
        signature = event.signature
        if (
            self.signature_contains is not None
            and self.signature_contains not in signature.casefold()
        ):
            return False
        if self.signature_regex and not any(r.search(signature) for r in self.signature_regex):
            return False
        if self.host_cidr:
            addresses = _addresses(event)
            return any(address in network for network in self.host_cidr for address in addresses)
        return True


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule: a match, an action, and optionally where the alert belongs."""

    id: str
    match: Match
    action: str
    auto_declare: bool = False
    title: str | None = None
    site: str | None = None
    site_by_cidr: tuple[SiteNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one event."""

    rule: AlertRule | None
    action: str
    site_id: str | None
    host: str | None
    auto_declare: bool


@dataclass(frozen=True, slots=True)
class AlertRules:
    """A loaded rules file."""

    source: str
    rules: tuple[AlertRule, ...]
    sites: tuple[SiteNetwork, ...] = ()
    allow_auto_declare: bool = False

    def classify(self, event: SecurityEvent) -> Verdict:
        """The first matching rule's action (``log`` when none matches), site and host."""
        rule = next((rule for rule in self.rules if rule.match(event)), None)
        site, located_by = self._site(event, rule)
        return Verdict(
            rule=rule,
            action="log" if rule is None else rule.action,
            site_id=site,
            host=_host(event, located_by),
            auto_declare=rule is not None and rule.auto_declare and self.allow_auto_declare,
        )

    def _site(
        self, event: SecurityEvent, rule: AlertRule | None
    ) -> tuple[str | None, Address | None]:
        if rule is not None and rule.site is not None:
            return rule.site, None
        mappings = (() if rule is None else rule.site_by_cidr, self.sites)
        for address in _addresses(event):
            for mapping in mappings:
                containing = [entry for entry in mapping if address in entry.network]
                if containing:
                    best = max(containing, key=lambda entry: entry.network.prefixlen)
                    return best.site, address
        return None, None

    def site_ids(self) -> set[str]:
        """Every site the file names."""
        named = {entry.site for entry in self.sites}
        for rule in self.rules:
            named.update(entry.site for entry in rule.site_by_cidr)
            if rule.site is not None:
                named.add(rule.site)
        return named


def _addresses(event: SecurityEvent) -> list[Address]:
    return [ipaddress.ip_address(text) for text in event.addresses]


def _host(event: SecurityEvent, located_by: Address | None) -> str | None:
    """The machine an alert is about: its name, the address that placed it, or a guess.

    A Suricata alert names two ends; the one inside the group (a private address) is the
    one the crisis cell can act on.
    """
    if event.host_name is not None:
        return event.host_name
    if located_by is not None:
        return str(located_by)
    addresses = _addresses(event)
    private = [address for address in addresses if address.is_private]
    chosen = private or addresses
    return str(chosen[0]) if chosen else None


class _Reader:
    """Reads one rules document, raising AlertRulesError with the file and line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, mapping: dict[str, Any] | None, message: str) -> AlertRulesError:
        line = "?" if mapping is None else yaml_lines.line_of(mapping)
        return AlertRulesError(f"{self.source}:{line}: {message}")

    def field(self, mapping: dict[str, Any], name: str, kind: type, where: str) -> Any:
        return yaml_lines.field(self.source, mapping, name, kind, where, error=AlertRulesError)

    def optional(self, mapping: dict[str, Any], name: str, kind: type, where: str) -> Any:
        if mapping.get(name) is None:
            return None
        return self.field(mapping, name, kind, where)

    def known_keys(self, mapping: dict[str, Any], allowed: frozenset[str], where: str) -> None:
        unknown = sorted(set(mapping) - allowed - {yaml_lines.LINE_KEY})
        if unknown:
            raise self.fail(
                mapping,
                f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(sorted(allowed))})",
            )

    def network(self, mapping: dict[str, Any], text: Any, where: str) -> Network:
        try:
            return ipaddress.ip_network(str(text).strip())
        except ValueError:
            raise self.fail(mapping, f"{where}: {text!r} is not an IP network") from None

    def site_networks(self, mapping: dict[str, Any], name: str, where: str) -> list[SiteNetwork]:
        entries = self.field(mapping, name, dict, where)
        return [
            SiteNetwork(self.network(entries, cidr, f"{where} {name}"), self.site(entries, site))
            for cidr, site in entries.items()
            if cidr != yaml_lines.LINE_KEY
        ]

    def site(self, mapping: dict[str, Any], value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(mapping, f"site {value!r} must be a site id")
        return value.strip()


def parse_rules(text: str, source: str) -> AlertRules:
    """Parse and check a rules file; AlertRulesError names the problem, file and line."""
    reader = _Reader(source)
    document = yaml_lines.load(text, source, AlertRulesError)
    if not isinstance(document, dict):
        raise AlertRulesError(f"{source}: a rules file is a mapping with sites and rules")
    reader.known_keys(document, _TOP_KEYS, "rules file")
    allow = reader.optional(document, "allow_auto_declare", bool, "rules file") or False
    sites = [
        SiteNetwork(
            reader.network(entry, reader.field(entry, "cidr", str, "sites entry"), "sites"),
            reader.site(entry, reader.field(entry, "site", str, "sites entry")),
        )
        for entry in _mappings(reader, document, "sites", optional=True)
    ]
    rules: list[AlertRule] = []
    for raw in _mappings(reader, document, "rules", optional=False):
        rule = _rule(reader, raw)
        if any(known.id == rule.id for known in rules):
            raise reader.fail(raw, f"rule id {rule.id!r} is used twice")
        rules.append(rule)
    return AlertRules(source, tuple(rules), tuple(sites), allow)


def _mappings(
    reader: _Reader, document: dict[str, Any], name: str, *, optional: bool
) -> list[dict[str, Any]]:
    if optional and document.get(name) is None:
        return []
    items: list[dict[str, Any]] = reader.field(document, name, list, "rules file")
    for item in items:
        if not isinstance(item, dict):
            raise reader.fail(document, f"every entry of {name!r} is a mapping, not {item!r}")
    return items


def _rule(reader: _Reader, raw: dict[str, Any]) -> AlertRule:
    rule_id = reader.field(raw, "id", str, "rule")
    if not _RULE_ID.fullmatch(rule_id):
        raise reader.fail(
            raw, f"rule id {rule_id!r}: lower-case letters, digits, '.', '_', '-' (60 at most)"
        )
    where = f"rule {rule_id!r}"
    reader.known_keys(raw, _RULE_KEYS, where)
    action = reader.field(raw, "action", str, where)
    if action not in ACTIONS:
        raise reader.fail(raw, f"{where}: action must be one of {', '.join(ACTIONS)}")
    site = reader.optional(raw, "site", str, where)
    by_cidr = reader.site_networks(raw, "site_by_cidr", where) if "site_by_cidr" in raw else []
    if site is not None and by_cidr:
        raise reader.fail(raw, f"{where}: give site or site_by_cidr, not both")
    return AlertRule(
        id=rule_id,
        match=_match(reader, reader.field(raw, "match", dict, where), where),
        action=action,
        auto_declare=reader.optional(raw, "auto_declare", bool, where) or False,
        title=reader.optional(raw, "title", str, where),
        site=None if site is None else reader.site(raw, site),
        site_by_cidr=tuple(by_cidr),
    )


def _match(reader: _Reader, raw: dict[str, Any], where: str) -> Match:
    where = f"{where} match"
    reader.known_keys(raw, _MATCH_KEYS, where)
    source = reader.optional(raw, "source", str, where)
    if source is not None and source not in SOURCES:
        raise reader.fail(raw, f"{where}: source must be one of {', '.join(SOURCES)}")
    severity = reader.optional(raw, "min_severity", int, where)
    if severity is not None and not 1 <= severity <= 3:
        raise reader.fail(raw, f"{where}: min_severity must be 1 (high), 2 or 3 (low)")
    contains = reader.optional(raw, "signature_contains", str, where)
    return Match(
        source=source,
        signature_contains=None if contains is None else contains.casefold(),
        signature_regex=_regexes(reader, raw, where),
        min_severity=severity,
        host_cidr=tuple(
            reader.network(raw, cidr, f"{where} host_cidr")
            for cidr in _one_or_many(reader, raw, "host_cidr", where)
        ),
    )


def _one_or_many(reader: _Reader, raw: dict[str, Any], name: str, where: str) -> list[str]:
    value = raw.get(name)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise reader.fail(raw, f"{where}: {name} must be text or a list of texts")
    return items


def _regexes(reader: _Reader, raw: dict[str, Any], where: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in _one_or_many(reader, raw, "signature_regex", where):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise reader.fail(
                raw, f"{where}: signature_regex {pattern!r} is not a valid pattern ({exc})"
            ) from None
    return tuple(compiled)


def load_rules(path: Path) -> AlertRules:
    """Read and check a rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise AlertRulesError(f"cannot read alert rules {path}: {reason}") from exc
    return parse_rules(text, str(path))


@cache
def default_rules() -> AlertRules:
    """The rules shipped with bascule: ransomware indicators proposed, the rest logged."""
    text = resources.files("bascule.crisis").joinpath(DEFAULT_RULES).read_text("utf-8")
    return parse_rules(text, DEFAULT_RULES)
