"""What a re-plan means in figures, and whom to call about it.

The KPIs count outcomes and deadline breaches per priority class, minutes used against
capacity per site-day, the kilometres patients will travel and the solver's own report.
The call list names every patient whose date or place changed, most urgent first.
"""

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bascule.domain.cases import CaseStatus
from bascule.domain.priority import PriorityClass
from bascule.planning.explain import DEFAULT_LANGUAGE, Change, explain, render_reason
from bascule.planning.objective import is_breach, soft_costs, theatre_minutes
from bascule.planning.plan import Action, Decision, Plan
from bascule.planning.problem import Problem

OUTCOMES = ("kept", "moved", "redirected", "postponed", "waiting")
"""Outcome of a case: its action, or ``waiting`` for an unbooked case the plan leaves unbooked."""


@dataclass(frozen=True, slots=True)
class SiteDay:
    """Theatre minutes of one site on one day, summed over its theatres."""

    site_id: str
    day: date
    nominal: int
    """Opening minutes before the disruption."""
    capacity: int
    """Usable minutes under the disruption."""
    booked: int
    """Minutes the original bookings need under the disruption (paper time included)."""
    used: int
    """Minutes the plan uses."""
    overtime: int
    """Minutes the plan uses beyond capacity, theatre by theatre."""


@dataclass(frozen=True)
class Kpis:
    """The figures of a plan."""

    outcomes: Mapping[str, Mapping[str, int]]
    """Cases per priority class and outcome (see ``OUTCOMES``)."""
    breaches: Mapping[str, int]
    """Cases left past their clinical deadline, per priority class."""
    site_days: tuple[SiteDay, ...]
    patient_km: int
    """Road kilometres between home site and operating site, summed over redirected cases."""
    soft_costs: Mapping[str, int]
    solver: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (dates as ISO strings), ready for JSON."""
        return {
            "outcomes": {key: dict(counts) for key, counts in self.outcomes.items()},
            "breaches": dict(self.breaches),
            "site_days": [
                {**asdict(site_day), "day": site_day.day.isoformat()} for site_day in self.site_days
            ],
            "patient_km": self.patient_km,
            "soft_costs": dict(self.soft_costs),
            "solver": dict(self.solver),
        }

    def to_json(self) -> str:
        """The KPIs as indented JSON."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach a patient; planning never reads the patient database itself."""

    name: str
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    """One patient to tell about a change."""

    case_id: str
    patient_id: str
    name: str
    phone: str
    priority: PriorityClass
    action: Action
    old_day: date | None
    old_time: str
    old_site: str
    old_theatre: str
    new_day: date | None
    new_time: str
    new_site: str
    new_theatre: str
    postponed_to: date | None
    reason: str


def outcome(problem: Problem, decision: Decision) -> str:
    """The outcome of a decision as counted by the KPIs."""
    case = problem.case(decision.case_id)
    unbooked = case.booking is None and case.status is not CaseStatus.DONE
    if decision.action is Action.KEEP and decision.slot is None and unbooked:
        return "waiting"
    return {
        Action.KEEP: "kept",
        Action.MOVE: "moved",
        Action.REDIRECT: "redirected",
        Action.POSTPONE: "postponed",
    }[decision.action]


def kpis(problem: Problem, plan: Plan) -> Kpis:
    """The KPIs of ``plan``."""
    outcomes = {priority.value: dict.fromkeys(OUTCOMES, 0) for priority in PriorityClass}
    breaches = dict.fromkeys((priority.value for priority in PriorityClass), 0)
    patient_km = 0
    for decision in plan.decisions:
        case = problem.case(decision.case_id)
        outcomes[case.priority][outcome(problem, decision)] += 1
        breaches[case.priority] += is_breach(problem, case, decision)
        if decision.slot is not None and decision.slot.site_id != case.site_id:
            patient_km += problem.distance_km(case.site_id, decision.slot.site_id)
    return Kpis(
        outcomes,
        breaches,
        _site_days(problem, plan),
        patient_km,
        soft_costs(problem, plan),
        asdict(plan.report),
    )


def _site_days(problem: Problem, plan: Plan) -> tuple[SiteDay, ...]:
    used = theatre_minutes(problem, plan)
    booked: defaultdict[tuple[str, int], int] = defaultdict(int)
    for case in problem.cases:
        if case.booking is not None:
            booked[case.booking.theatre_id, problem.index(case.booking.day)] += problem.duration(
                case, case.site_id, case.booking.day
            )
    rows = []
    for site in problem.sites:
        theatres = problem.theatres_of(site.id)
        for index in range(problem.days):
            day = problem.day(index)
            capacities = {theatre.id: problem.capacity(theatre.id, day) for theatre in theatres}
            rows.append(
                SiteDay(
                    site.id,
                    day,
                    sum(problem.nominal_minutes(theatre.id, day) for theatre in theatres),
                    sum(capacities.values()),
                    sum(booked[theatre.id, index] for theatre in theatres),
                    sum(used.get((theatre.id, index), 0) for theatre in theatres),
                    sum(
                        max(0, used.get((theatre.id, index), 0) - capacities[theatre.id])
                        for theatre in theatres
                    ),
                )
            )
    return tuple(rows)


def call_list(
    problem: Problem,
    plan: Plan,
    contacts: Mapping[str, Contact],
    lang: str = DEFAULT_LANGUAGE,
) -> list[Call]:
    """Every patient whose date or place changed, most urgent first, then by new date.

    A move to another theatre on the same day at the same site is not a call: the patient
    comes on the same day to the same place. A case booked from the waiting list is one.
    """
    calls = [
        _call(problem, change, contacts, lang)
        for change in explain(problem, plan)
        if _patient_affected(change)
    ]
    calls.sort(
        key=lambda call: (
            call.priority.rank,
            call.new_day or call.postponed_to or date.max,
            call.name,
            call.case_id,
        )
    )
    return calls


def _patient_affected(change: Change) -> bool:
    if change.before is None or change.after is None:
        return True
    return (change.before.day, change.before.site_id) != (change.after.day, change.after.site_id)


def _call(problem: Problem, change: Change, contacts: Mapping[str, Contact], lang: str) -> Call:
    contact = contacts.get(change.patient_id, Contact(change.patient_id))
    before, after = change.before, change.after
    return Call(
        change.case_id,
        change.patient_id,
        contact.name,
        contact.phone,
        change.priority,
        change.action,
        None if before is None else before.day,
        "" if before is None else _time(before.start_minute),
        "" if before is None else problem.site(before.site_id).name,
        "" if before is None else problem.theatre(before.theatre_id).name,
        None if after is None else after.day,
        "" if after is None else _time(after.start_minute),
        "" if after is None else problem.site(after.site_id).name,
        "" if after is None else problem.theatre(after.theatre_id).name,
        change.postponed_to,
        render_reason(change.reason, lang),
    )


def _time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


_HEADERS = {
    "fr": (
        "Priorité",
        "Patient",
        "Téléphone",
        "Intervention",
        "Décision",
        "Ancienne date",
        "Ancienne heure",
        "Ancien site",
        "Ancienne salle",
        "Nouvelle date",
        "Nouvelle heure",
        "Nouveau site",
        "Nouvelle salle",
        "Reportée au",
        "Motif",
    ),
    "en": (
        "Priority",
        "Patient",
        "Phone",
        "Case",
        "Decision",
        "Old date",
        "Old time",
        "Old site",
        "Old theatre",
        "New date",
        "New time",
        "New site",
        "New theatre",
        "Postponed to",
        "Reason",
    ),
}
# Keyed by action, and "book" for a case booked from the waiting list at its own site.
_ACTIONS = {
    "fr": {"move": "déplacé", "redirect": "réorienté", "postpone": "reporté", "book": "programmé"},
    "en": {"move": "moved", "redirect": "redirected", "postpone": "postponed", "book": "booked"},
}
# French spreadsheets read ';' as the separator and dd/mm/yyyy as a date; English ones ','.
_DIALECT = {"fr": (";", "%d/%m/%Y"), "en": (",", "%Y-%m-%d")}


def write_call_list_csv(path: Path, calls: Iterable[Call], lang: str = DEFAULT_LANGUAGE) -> None:
    """Write the call list as CSV for a spreadsheet: UTF-8 with a byte-order mark (so that
    accents survive a double click), ';' and dd/mm/yyyy in French, ',' and ISO in English."""
    if lang not in _HEADERS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(sorted(_HEADERS))}")
    delimiter, day_format = _DIALECT[lang]

    def day(value: date | None) -> str:
        return "" if value is None else value.strftime(day_format)

    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(_HEADERS[lang])
        for call in calls:
            booked = call.old_day is None and call.action is Action.MOVE
            writer.writerow(
                (
                    call.priority.value,
                    spreadsheet_safe(call.name),
                    spreadsheet_safe(call.phone),
                    call.case_id,
                    _ACTIONS[lang]["book" if booked else call.action],
                    day(call.old_day),
                    call.old_time,
                    call.old_site,
                    call.old_theatre,
                    day(call.new_day),
                    call.new_time,
                    call.new_site,
                    call.new_theatre,
                    day(call.postponed_to),
                    spreadsheet_safe(call.reason),
                )
            )


_FORMULA_START = ("=", "@", "\t", "\r")
_PHONE = re.compile(r"^[+-]?[\d .()-]*$")


def spreadsheet_safe(text: str) -> str:
    """``text`` made inert for a spreadsheet: a cell that would start a formula gets a quote
    in front (a phone number such as +33 6 … stays as it is)."""
    if text.startswith(_FORMULA_START) or (text.startswith(("+", "-")) and not _PHONE.match(text)):
        return "'" + text
    return text
