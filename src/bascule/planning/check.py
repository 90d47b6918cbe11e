"""The hard rules of a re-plan, checked one by one, each breach named precisely.

A plan may come from any solver or from a hand edit, so every load (theatre, surgeon, beds)
is recomputed here from the decisions rather than taken from what produced them.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bascule.domain.cases import SurgicalCase
from bascule.domain.sites import OperatingTheatre
from bascule.planning.objective import decision_for
from bascule.planning.plan import Decision, Plan, Slot
from bascule.planning.problem import BedPool, Problem


class ViolationKind(StrEnum):
    """Which hard rule a plan breaks."""

    MISSING_DECISION = "missing-decision"
    DUPLICATE_DECISION = "duplicate-decision"
    UNKNOWN_CASE = "unknown-case"
    FROZEN_CHANGED = "frozen-changed"
    WRONG_ACTION = "wrong-action"
    OUTSIDE_HORIZON = "outside-horizon"
    BEFORE_RELEASE = "before-release"
    NOT_TRANSFERABLE = "not-transferable"
    REDIRECT_SITE_NOT_ALLOWED = "redirect-site-not-allowed"
    UNKNOWN_THEATRE = "unknown-theatre"
    THEATRE_NOT_AT_SITE = "theatre-not-at-site"
    SPECIALTY_NOT_ACCEPTED = "specialty-not-accepted"
    SURGEON_NOT_ALLOWED = "surgeon-not-allowed"
    CLOSED_THEATRE = "closed-theatre"
    THEATRE_OVERBOOKED = "theatre-overbooked"
    SURGEON_OVERBOOKED = "surgeon-overbooked"
    BEDS_OVERBOOKED = "beds-overbooked"


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach of a hard rule; the message names the case, resource and date."""

    kind: ViolationKind
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def violations(problem: Problem, plan: Plan) -> list[Violation]:
    """Every hard rule ``plan`` breaks for ``problem``; empty when it can be carried out."""
    known = {case.id for case in problem.cases}
    found = list(_coverage(problem, plan, known))
    decided = [
        (problem.case(decision.case_id), decision)
        for decision in plan.decisions
        if decision.case_id in known
    ]
    theatres = {theatre.id: theatre for theatre in problem.theatres}
    for case, decision in decided:
        found.extend(_decision_rules(problem, theatres, case, decision))
    found.extend(_theatre_loads(problem, decided))
    found.extend(_surgeon_loads(problem, decided))
    found.extend(_bed_loads(problem, decided))
    return found


def _coverage(problem: Problem, plan: Plan, known: set[str]) -> Iterator[Violation]:
    counts: dict[str, int] = defaultdict(int)
    for decision in plan.decisions:
        counts[decision.case_id] += 1
    for case_id, count in counts.items():
        if case_id not in known:
            yield Violation(ViolationKind.UNKNOWN_CASE, f"case {case_id}: not in the problem")
        elif count > 1:
            yield Violation(
                ViolationKind.DUPLICATE_DECISION, f"case {case_id}: decided {count} times"
            )
    for case in problem.cases:
        if case.id not in counts:
            yield Violation(ViolationKind.MISSING_DECISION, f"case {case.id}: no decision")


def _decision_rules(
    problem: Problem,
    theatres: Mapping[str, OperatingTheatre],
    case: SurgicalCase,
    decision: Decision,
) -> Iterator[Violation]:
    slot = decision.slot
    if case.id in problem.frozen and not _keeps_booking(case, slot):
        booking = case.booking
        booked = "no slot" if booking is None else _where(booking.theatre_id, booking.day)
        yield Violation(
            ViolationKind.FROZEN_CHANGED,
            f"case {case.id}: frozen with {booked}, planned {_describe(slot)}",
        )
    expected = decision_for(problem, case, slot, decision.surgeon_id).action
    if decision.action is not expected:
        yield Violation(
            ViolationKind.WRONG_ACTION,
            f"case {case.id}: action {decision.action} for {_describe(slot)}, should be {expected}",
        )
    if slot is not None:
        yield from _slot_rules(
            problem, theatres.get(slot.theatre_id), case, slot, decision.surgeon_id
        )


def _keeps_booking(case: SurgicalCase, slot: Slot | None) -> bool:
    if case.booking is None or slot is None:
        return case.booking is None and slot is None
    return (slot.day, slot.theatre_id) == (case.booking.day, case.booking.theatre_id)


def _slot_rules(
    problem: Problem,
    theatre: OperatingTheatre | None,
    case: SurgicalCase,
    slot: Slot,
    surgeon_id: str | None,
) -> Iterator[Violation]:
    subject = f"case {case.id} on {slot.day}"
    if not 0 <= problem.index(slot.day) < problem.days:
        last = problem.end - timedelta(days=1)
        yield Violation(
            ViolationKind.OUTSIDE_HORIZON,
            f"{subject}: outside the horizon {problem.start} to {last}",
        )
    if slot.day < case.release_on:
        yield Violation(
            ViolationKind.BEFORE_RELEASE, f"{subject}: before its release on {case.release_on}"
        )
    if slot.site_id != case.site_id:
        if not case.transferable:
            yield Violation(
                ViolationKind.NOT_TRANSFERABLE,
                f"{subject}: redirected to {slot.site_id} but not transferable "
                f"({case.not_transferable_reason})",
            )
        elif slot.site_id not in problem.nearest_sites(case):
            yield Violation(
                ViolationKind.REDIRECT_SITE_NOT_ALLOWED,
                f"{subject}: redirected to {slot.site_id}, not one of its nearest sites "
                f"({', '.join(problem.nearest_sites(case)) or 'none'})",
            )
    if theatre is None:
        yield Violation(
            ViolationKind.UNKNOWN_THEATRE, f"{subject}: unknown theatre {slot.theatre_id}"
        )
    else:
        if theatre.site_id != slot.site_id:
            yield Violation(
                ViolationKind.THEATRE_NOT_AT_SITE,
                f"{subject}: theatre {theatre.id} is at {theatre.site_id}, not {slot.site_id}",
            )
        if not problem.accepts(theatre, case):
            yield Violation(
                ViolationKind.SPECIALTY_NOT_ACCEPTED,
                f"{subject}: theatre {theatre.id} does not take {case.specialty}",
            )
    allowed = problem.surgeons_for(case, slot.site_id)
    if surgeon_id not in allowed:
        yield Violation(
            ViolationKind.SURGEON_NOT_ALLOWED,
            f"{subject}: surgeon {surgeon_id or '(none)'} at {slot.site_id}, allowed: "
            f"{', '.join(allowed) or 'none'}",
        )


# Frozen cases are kept whatever they cost (a case done before a theatre closed still took
# its minutes): a load over its limit is a violation only when a planned case adds to it.


def _theatre_loads(
    problem: Problem, decided: list[tuple[SurgicalCase, Decision]]
) -> Iterator[Violation]:
    theatre_ids = {theatre.id for theatre in problem.theatres}
    minutes: dict[tuple[str, date], int] = defaultdict(int)
    cases: dict[tuple[str, date], list[str]] = defaultdict(list)
    for case, decision in decided:
        slot = decision.slot
        if slot is None or slot.theatre_id not in theatre_ids:
            continue
        minutes[slot.theatre_id, slot.day] += problem.duration(case, slot.site_id, slot.day)
        cases[slot.theatre_id, slot.day].append(case.id)
    for (theatre_id, day), used in sorted(minutes.items()):
        if problem.frozen.issuperset(cases[theatre_id, day]):
            continue
        capacity = problem.capacity(theatre_id, day)
        listed = ", ".join(sorted(cases[theatre_id, day]))
        if capacity == 0:
            yield Violation(
                ViolationKind.CLOSED_THEATRE,
                f"{_where(theatre_id, day)}: closed, yet cases {listed} are planned",
            )
        elif used > capacity + problem.max_overtime_minutes:
            yield Violation(
                ViolationKind.THEATRE_OVERBOOKED,
                f"{_where(theatre_id, day)}: {used} minutes planned (cases {listed}) for "
                f"{capacity} usable + {problem.max_overtime_minutes} overtime",
            )


def _surgeon_loads(
    problem: Problem, decided: list[tuple[SurgicalCase, Decision]]
) -> Iterator[Violation]:
    limits = {surgeon.id: surgeon.max_daily_minutes for surgeon in problem.surgeons}
    minutes: dict[tuple[str, date], int] = defaultdict(int)
    cases: dict[tuple[str, date], list[str]] = defaultdict(list)
    for case, decision in decided:
        slot = decision.slot
        if slot is None or decision.surgeon_id not in limits:
            continue
        minutes[decision.surgeon_id, slot.day] += problem.duration(case, slot.site_id, slot.day)
        cases[decision.surgeon_id, slot.day].append(case.id)
    for (surgeon_id, day), used in sorted(minutes.items()):
        if used > limits[surgeon_id] and not problem.frozen.issuperset(cases[surgeon_id, day]):
            yield Violation(
                ViolationKind.SURGEON_OVERBOOKED,
                f"surgeon {surgeon_id} on {day}: {used} minutes (cases "
                f"{', '.join(sorted(cases[surgeon_id, day]))}), limit {limits[surgeon_id]}",
            )


def _bed_loads(
    problem: Problem, decided: list[tuple[SurgicalCase, Decision]]
) -> Iterator[Violation]:
    occupants: dict[tuple[BedPool, int], list[str]] = defaultdict(list)
    for case, decision in decided:
        slot = decision.slot
        stay = problem.length_of_stay.get(case.id, 0)
        pool = None if slot is None else problem.bed_pool(slot.site_id, case.specialty)
        if slot is None or pool is None or stay <= 0:
            continue
        first = problem.index(slot.day)
        for index in range(max(first, 0), min(first + stay, problem.days)):
            occupants[pool, index].append(case.id)
    for (pool, index), patients in sorted(
        occupants.items(), key=lambda item: (item[0][0].site_id, item[0][0].specialty, item[0][1])
    ):
        if len(patients) > pool.beds and not problem.frozen.issuperset(patients):
            yield Violation(
                ViolationKind.BEDS_OVERBOOKED,
                f"beds {pool.specialty} at {pool.site_id} on {problem.day(index)}: "
                f"{len(patients)} patients ({', '.join(sorted(patients))}) for {pool.beds} beds",
            )


def _where(theatre_id: str, day: date) -> str:
    return f"theatre {theatre_id} on {day}"


def _describe(slot: Slot | None) -> str:
    if slot is None:
        return "no slot"
    return f"{_where(slot.theatre_id, slot.day)} at {slot.site_id}"
