"""Planning by hand, as a scheduler would: by priority, earliest feasible slot first.

Mandatory patients come first, most urgent due day first; then optional patients, longest
waiting first. Each goes to the earliest day with a surgeon, a theatre and a room that
fit; on that day the theatre where the surgeon already operates, else one already open;
the room that adds the least age mix, preferring rooms already in use. Whoever does not
fit stays out. The same routine builds the core problem's starting plan and the disruption
baseline, which first keeps every original assignment still feasible.
"""

from collections.abc import Iterable, Mapping, Sequence

from bascule.planning.ihtc.occupancy import Occupancy
from bascule.planning.ihtc.rules import PlanRules, plan_cost
from bascule.planning.ihtc.solution import Admission

RETRIES = 50
"""Greedy passes at most, each putting the mandatory patients left out so far first."""


def priority_order(rules: PlanRules, patients: Iterable[int]) -> list[int]:
    """Mandatory patients by due day, then optional ones by release day (longest waiting)."""
    instance = rules.instance

    def key(patient: int) -> tuple[int, int, int, int]:
        data = instance.patients[patient]
        due = rules.due_day[patient]
        if data.mandatory:
            return (0, due if due is not None else instance.days, data.release_day, patient)
        return (1, data.release_day, 0, patient)

    return sorted(patients, key=key)


def _theatre(occupancy: Occupancy, patient: int, day: int) -> int | None:
    surgeon = occupancy.instance.patients[patient].surgeon
    candidates = [
        theatre
        for theatre in range(len(occupancy.instance.theatres))
        if occupancy.theatre_accepts(patient, day, theatre)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda t: (
            occupancy.surgeon_theatre[surgeon][day][t] == 0,
            occupancy.theatre_minutes[t][day] == 0,
            t,
        ),
    )


def _room(occupancy: Occupancy, patient: int, day: int) -> int | None:
    candidates = [
        room
        for room in range(len(occupancy.instance.rooms))
        if occupancy.room_accepts(patient, day, room)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda r: (
            occupancy.age_mix_increase(patient, day, r),
            occupancy.beds[r][day] == 0,
            r,
        ),
    )


def earliest_admission(occupancy: Occupancy, patient: int, days: Iterable[int]) -> Admission | None:
    """The first of ``days`` with surgeon time, a theatre and a room for ``patient``."""
    for day in days:
        if not occupancy.surgeon_accepts(patient, day):
            continue
        theatre = _theatre(occupancy, patient, day)
        if theatre is None:
            continue
        room = _room(occupancy, patient, day)
        if room is not None:
            return Admission(day, room, theatre)
    return None


def fill(
    rules: PlanRules,
    occupancy: Occupancy,
    admissions: list[Admission | None],
    order: Iterable[int],
) -> None:
    """Place patients in the given order, by their deadline if possible, else late."""
    for patient in order:
        release = rules.instance.patients[patient].release_day
        last = rules.last_day[patient]
        due = rules.due_day[patient]
        deadline = last if due is None else min(due, last)
        admission = earliest_admission(
            occupancy, patient, range(release, deadline + 1)
        ) or earliest_admission(occupancy, patient, range(deadline + 1, last + 1))
        if admission is not None:
            occupancy.add(patient, admission)
            admissions[patient] = admission


def greedy_plan(rules: PlanRules, attempts: int = RETRIES) -> list[Admission | None]:
    """Every patient placed from an empty plan (only the occupants are in); the cheapest of
    a few passes.

    Optional patients go in the scheduler's order (longest waiting first) or shortest stay
    first, which fits more of them in the same beds. When mandatory patients do not fit,
    they go first in the next pass: a pass costs milliseconds, and a plan that leaves no
    mandatory patient out is a far better start for the search.
    """
    instance = rules.instance
    scheduler = priority_order(rules, range(len(instance.patients)))
    mandatory = [p for p in scheduler if instance.patients[p].mandatory]
    optional = [p for p in scheduler if not instance.patients[p].mandatory]
    shortest = sorted(optional, key=lambda p: instance.patients[p].length_of_stay)
    best: list[Admission | None] = []
    best_cost = None
    for optional_order in (optional, shortest):
        order = mandatory + optional_order
        for _ in range(attempts):
            admissions: list[Admission | None] = [None] * len(order)
            fill(rules, Occupancy(instance), admissions, order)
            cost = plan_cost(rules, admissions).total
            if best_cost is None or cost < best_cost:
                best, best_cost = admissions, cost
            left_out = [p for p in order if admissions[p] is None and rules.breached(p, None)]
            if not left_out:
                break
            first = set(left_out)
            order = left_out + [p for p in order if p not in first]
    return best


def plan_on_days(
    rules: PlanRules, chosen: Mapping[int, tuple[int, int] | None]
) -> list[Admission | None]:
    """Rooms for admission days and theatres decided elsewhere (the room relaxation).

    Patients keep their day when a room is free then, else take the nearest day that has
    one; those with no day chosen are added last wherever they fit.
    """
    instance = rules.instance
    occupancy = Occupancy(instance)
    admissions: list[Admission | None] = [None] * len(instance.patients)
    later = []
    for patient in priority_order(rules, range(len(admissions))):
        choice = chosen.get(patient)
        if choice is None:
            later.append(patient)
            continue
        day, theatre = choice
        if theatre < 0:
            # The relaxation chose only the day: take the theatre a scheduler would.
            theatre = _theatre(occupancy, patient, day) or 0
        release = instance.patients[patient].release_day
        nearby = sorted(
            range(release, rules.last_day[patient] + 1), key=lambda d: (abs(d - day), d)
        )
        admission = None
        if occupancy.surgeon_accepts(patient, day) and occupancy.theatre_accepts(
            patient, day, theatre
        ):
            room = _room(occupancy, patient, day)
            admission = None if room is None else Admission(day, room, theatre)
        admission = admission or earliest_admission(occupancy, patient, nearby)
        if admission is not None:
            occupancy.add(patient, admission)
            admissions[patient] = admission
    fill(rules, occupancy, admissions, later)
    return admissions


def repair_by_hand(
    rules: PlanRules, original: Sequence[Admission | None]
) -> list[Admission | None]:
    """Keep each original admission that still fits; re-place the others by priority."""
    occupancy = Occupancy(rules.instance)
    admissions: list[Admission | None] = [None] * len(rules.instance.patients)
    displaced = []
    for patient in priority_order(rules, range(len(original))):
        admission = original[patient]
        if admission is None:
            continue
        release = rules.instance.patients[patient].release_day
        if (
            release <= admission.day <= rules.last_day[patient]
            and occupancy.surgeon_accepts(patient, admission.day)
            and occupancy.theatre_accepts(patient, admission.day, admission.theatre)
            and occupancy.room_accepts(patient, admission.day, admission.room)
        ):
            occupancy.add(patient, admission)
            admissions[patient] = admission
        else:
            displaced.append(patient)
    fill(rules, occupancy, admissions, priority_order(rules, displaced))
    return admissions
