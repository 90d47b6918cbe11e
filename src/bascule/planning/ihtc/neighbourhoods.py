"""Neighbourhoods for the large-neighbourhood search: which patients to re-plan together.

Each kind frees a group of patients that interact: those admitted in a window of days (and
the patients left out who could come in then), those in a few rooms, those of one surgeon
around some days, a random handful, or those in the way of a costly patient (left out,
late, delayed, moved from the original plan). A neighbourhood is grown until its estimated
model size reaches a target that the search adapts to how fast sub-models solve.
"""

import random
from collections.abc import Callable, Sequence

from bascule.planning.ihtc.model import Neighbourhood
from bascule.planning.ihtc.rules import PlanRules
from bascule.planning.ihtc.solution import Admission

Plan = Sequence[Admission | None]
COST_SHIFT = 7
"""Days either side of their admission that patients moved out of the way may shift."""
Builder = Callable[[PlanRules, Plan, random.Random, int], Neighbourhood]


def _window(rules: PlanRules, patient: int) -> range:
    return range(rules.instance.patients[patient].release_day, rules.last_day[patient] + 1)


def _estimate(rules: PlanRules, patient: int, days: int, rooms: int) -> int:
    compatible = rooms - len(rules.instance.patients[patient].incompatible_rooms)
    return max(1, days) * (max(1, compatible) + len(rules.instance.theatres))


def estimated_size(rules: PlanRules, patients: Sequence[int]) -> int:
    """Roughly how many decision variables a model freeing ``patients`` has."""
    rooms = len(rules.instance.rooms)
    return sum(_estimate(rules, p, len(_window(rules, p)), rooms) for p in patients)


def by_days(rules: PlanRules, plan: Plan, rng: random.Random, target: int) -> Neighbourhood:
    """Patients admitted in a window of days, and some left out who could come in then.

    The window grows from a random day until the admitted patients in it fill the target;
    as many patients left out as admitted ones are drawn among those admissible in it.
    """
    instance = rules.instance
    rooms = len(instance.rooms)
    start = rng.randrange(instance.days)
    stop = start + 1
    while True:
        days = range(start, stop)
        inside = [p for p, a in enumerate(plan) if a is not None and a.day in days]
        estimate = sum(_estimate(rules, p, len(days), rooms) for p in inside)
        if estimate >= target // 2 or stop >= instance.days:
            break
        stop += 1
    outside = [
        p
        for p, a in enumerate(plan)
        if a is None and _window(rules, p).start < days.stop and _window(rules, p).stop > start
    ]
    rng.shuffle(outside)
    rng.shuffle(inside)
    kept = _trim(rules, inside, lambda _: len(days), rooms, target // 2)
    kept += _trim(rules, outside[: len(kept)], lambda _: len(days), rooms, target // 2)
    return Neighbourhood(
        tuple(kept), days=dict.fromkeys(kept, days), name=f"days {days.start}-{days.stop - 1}"
    )


def by_rooms(rules: PlanRules, plan: Plan, rng: random.Random, target: int) -> Neighbourhood:
    """Patients in a few rooms, free to move among them on any day, with some left out."""
    instance = rules.instance
    order = list(range(len(instance.rooms)))
    rng.shuffle(order)
    chosen_rooms: list[int] = []
    patients: list[int] = []
    estimate = 0
    for room in order:
        chosen_rooms.append(room)
        patients = [p for p, a in enumerate(plan) if a is not None and a.room in chosen_rooms]
        estimate = sum(
            _estimate(rules, p, len(_window(rules, p)), len(chosen_rooms)) for p in patients
        )
        if estimate >= target:
            break
    outside = [
        p
        for p, a in enumerate(plan)
        if a is None and not set(chosen_rooms) <= instance.patients[p].incompatible_rooms
    ]
    rng.shuffle(outside)
    extra = _trim(
        rules,
        outside,
        lambda p: len(_window(rules, p)),
        len(chosen_rooms),
        max(target // 4, target - estimate),
    )
    kept = patients + extra
    room_set = frozenset(chosen_rooms)
    return Neighbourhood(
        tuple(kept),
        rooms=dict.fromkeys(kept, room_set),
        name=f"rooms {','.join(instance.rooms[r].id for r in chosen_rooms)}",
    )


def by_surgeon(rules: PlanRules, plan: Plan, rng: random.Random, target: int) -> Neighbourhood:
    """One surgeon's patients over a window of days, all rooms open to them."""
    instance = rules.instance
    surgeon = rng.randrange(len(instance.surgeons))
    theirs = [p for p in range(len(plan)) if instance.patients[p].surgeon == surgeon]
    start = rng.randrange(instance.days)
    rooms = len(instance.rooms)
    width = max(2, instance.days // 4)
    days = range(max(0, start - width // 2), min(instance.days, start + width))
    chosen = [
        p
        for p in theirs
        if ((admission := plan[p]) is not None and admission.day in days)
        or (admission is None and set(_window(rules, p)) & set(days))
    ]
    rng.shuffle(chosen)
    kept = _trim(rules, chosen, lambda _: len(days), rooms, target)
    return Neighbourhood(
        tuple(kept),
        days=dict.fromkeys(kept, days),
        name=f"surgeon {instance.surgeons[surgeon].id} days {days.start}-{days.stop - 1}",
    )


def by_chance(rules: PlanRules, plan: Plan, rng: random.Random, target: int) -> Neighbourhood:
    """A random handful of patients, each free on its whole window."""
    order = list(range(len(plan)))
    rng.shuffle(order)
    rooms = len(rules.instance.rooms)
    kept = _trim(rules, order, lambda p: len(_window(rules, p)), rooms, target)
    return Neighbourhood(tuple(kept), name="random")


def by_cost(rules: PlanRules, plan: Plan, rng: random.Random, target: int) -> Neighbourhood:
    """Room for a costly patient: the people in its way, free to move a few days.

    A patient left out, late, delayed or moved is picked with odds in proportion to what
    it costs; on a day it could be admitted, those whose stays overlap its stay are freed,
    room by room among its compatible rooms, each allowed a few days either side of its
    current admission; the costly patient itself may take any day of its window.
    """
    instance = rules.instance
    costs = [rules.patient_cost(p, plan[p]) for p in range(len(plan))]
    if not any(costs):
        return by_chance(rules, plan, rng, target)
    seed = rng.choices(range(len(plan)), weights=costs)[0]
    window = _window(rules, seed)
    if not window:
        return by_chance(rules, plan, rng, target)
    day = rng.choice(window)
    stay = set(instance.stay_days(seed, day))
    rooms = [
        r for r in range(len(instance.rooms)) if r not in instance.patients[seed].incompatible_rooms
    ]
    rng.shuffle(rooms)
    days: dict[int, range] = {seed: window}
    total = _estimate(rules, seed, len(window), len(instance.rooms))
    for room in rooms:
        for patient, admission in enumerate(plan):
            if (
                admission is None
                or patient in days
                or admission.room != room
                or not stay & set(instance.stay_days(patient, admission.day))
            ):
                continue
            allowed = range(
                max(instance.patients[patient].release_day, admission.day - COST_SHIFT),
                min(rules.last_day[patient], admission.day + COST_SHIFT) + 1,
            )
            days[patient] = allowed
            total += _estimate(rules, patient, len(allowed), len(instance.rooms))
        if total >= target:
            break
    return Neighbourhood(
        tuple(days), days=days, name=f"room for {instance.patients[seed].id} on day {day}"
    )


def _trim(
    rules: PlanRules,
    candidates: Sequence[int],
    days_of: Callable[[int], int],
    rooms: int,
    target: int,
) -> list[int]:
    """The first candidates whose estimated model size stays within ``target``."""
    kept: list[int] = []
    total = 0
    for patient in candidates:
        size = _estimate(rules, patient, days_of(patient), rooms)
        if kept and total + size > target:
            break
        kept.append(patient)
        total += size
    return kept


KINDS: dict[str, Builder] = {
    "days": by_days,
    "rooms": by_rooms,
    "surgeon": by_surgeon,
    "random": by_chance,
    "costly": by_cost,
}
