"""The competition's cost terms and hard constraints, computed as its validator does.

Each soft term is counted (``counts``) and weighted with the instance's weights; each hard
constraint violation is listed with what it concerns (patient, room, theatre, surgeon,
nurse, day or shift) and the amount the validator adds to its violation total. The three
nurse terms and the two nurse constraints are assessed only for solutions that assign
nurses: the core problem solved here leaves nurses out.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from bascule.planning.ihtc.instance import Instance, Weights
from bascule.planning.ihtc.solution import Solution

TERMS = (
    "RoomAgeMix",
    "RoomSkillLevel",
    "ContinuityOfCare",
    "ExcessiveNurseWorkload",
    "OpenOperatingTheater",
    "SurgeonTransfer",
    "PatientDelay",
    "ElectiveUnscheduledPatients",
)
NURSE_TERMS = frozenset({"RoomSkillLevel", "ContinuityOfCare", "ExcessiveNurseWorkload"})
CORE_TERMS = tuple(term for term in TERMS if term not in NURSE_TERMS)
CONSTRAINTS = (
    "RoomGenderMix",
    "PatientRoomCompatibility",
    "SurgeonOvertime",
    "OperatingTheaterOvertime",
    "MandatoryUnscheduledPatients",
    "AdmissionDay",
    "RoomCapacity",
    "NursePresence",
    "UncoveredRoom",
)
NURSE_CONSTRAINTS = frozenset({"NursePresence", "UncoveredRoom"})
CORE_CONSTRAINTS = tuple(name for name in CONSTRAINTS if name not in NURSE_CONSTRAINTS)


def term_weights(weights: Weights) -> dict[str, int]:
    """The weight of each cost term, by the validator's term name."""
    return dict(
        zip(
            TERMS,
            (
                weights.room_mixed_age,
                weights.room_nurse_skill,
                weights.continuity_of_care,
                weights.nurse_excessive_workload,
                weights.open_operating_theater,
                weights.surgeon_transfer,
                weights.patient_delay,
                weights.unscheduled_optional,
            ),
            strict=True,
        )
    )


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach of a hard constraint, and the amount the validator counts for it."""

    constraint: str
    amount: int
    message: str


@dataclass(frozen=True)
class Evaluation:
    """Cost terms (unweighted counts) and hard-constraint violations of one solution."""

    counts: Mapping[str, int]
    weights: Mapping[str, int]
    violations: tuple[Violation, ...]
    nurses_assessed: bool

    def weighted(self, term: str) -> int:
        """The weighted cost of one term (0 for a nurse term that was not assessed)."""
        return self.counts.get(term, 0) * self.weights[term]

    @property
    def total(self) -> int:
        """Sum of the weighted terms that were assessed."""
        return sum(self.weighted(term) for term in TERMS)

    @property
    def core_total(self) -> int:
        """Sum of the weighted terms that do not involve nurses."""
        return sum(self.weighted(term) for term in CORE_TERMS)

    @property
    def feasible(self) -> bool:
        """True when no assessed hard constraint is violated."""
        return not self.violations

    def violation_totals(self) -> dict[str, int]:
        """The validator's total per assessed hard constraint (0 when respected)."""
        names = CONSTRAINTS if self.nurses_assessed else CORE_CONSTRAINTS
        totals = dict.fromkeys(names, 0)
        for violation in self.violations:
            totals[violation.constraint] += violation.amount
        return totals


@dataclass(frozen=True, slots=True)
class _Stay:
    """Someone in a bed: age group, gender, and where their shift-indexed profiles start."""

    who: str
    age_group: int
    gender: str
    workload: tuple[int, ...]
    skill_required: tuple[int, ...]
    first_shift: int


def _room_days(instance: Instance, solution: Solution) -> list[list[list[_Stay]]]:
    present: list[list[list[_Stay]]] = [[[] for _ in range(instance.days)] for _ in instance.rooms]
    for occupant in instance.occupants:
        stay = _Stay(
            f"occupant {occupant.id}",
            occupant.age_group,
            occupant.gender,
            occupant.workload,
            occupant.skill_required,
            0,
        )
        for day in range(min(instance.days, occupant.length_of_stay)):
            present[occupant.room][day].append(stay)
    for index, admission in enumerate(solution.admissions):
        if admission is None:
            continue
        patient = instance.patients[index]
        stay = _Stay(
            f"patient {patient.id}",
            patient.age_group,
            patient.gender,
            patient.workload,
            patient.skill_required,
            admission.day * instance.shifts_per_day,
        )
        for day in instance.stay_days(index, admission.day):
            present[admission.room][day].append(stay)
    return present


def evaluate(instance: Instance, solution: Solution) -> Evaluation:
    """Every cost term and hard-constraint violation of ``solution`` on ``instance``."""
    present = _room_days(instance, solution)
    counts: dict[str, int] = dict.fromkeys(CORE_TERMS, 0)
    violations: list[Violation] = []
    violations += _patient_violations(instance, solution, counts)
    violations += _room_violations(instance, present, counts)
    violations += _surgery_violations(instance, solution, counts)
    assessed = bool(solution.nurse_assignments)
    if assessed:
        violations += _nurse_terms(instance, solution, present, counts)
    return Evaluation(counts, term_weights(instance.weights), tuple(violations), assessed)


def _patient_violations(
    instance: Instance, solution: Solution, counts: dict[str, int]
) -> list[Violation]:
    found: list[Violation] = []
    for index, admission in enumerate(solution.admissions):
        patient = instance.patients[index]
        if admission is None:
            if patient.mandatory:
                found.append(
                    Violation(
                        "MandatoryUnscheduledPatients",
                        1,
                        f"mandatory patient {patient.id} is not admitted",
                    )
                )
            else:
                counts["ElectiveUnscheduledPatients"] += 1
            continue
        counts["PatientDelay"] += max(0, admission.day - patient.release_day)
        last = instance.last_day(index)
        if admission.day < patient.release_day:
            found.append(
                Violation(
                    "AdmissionDay",
                    1,
                    f"patient {patient.id} admitted on day {admission.day}, "
                    f"before its release day {patient.release_day}",
                )
            )
        elif admission.day > last:
            found.append(
                Violation(
                    "AdmissionDay",
                    1,
                    f"patient {patient.id} admitted on day {admission.day}, "
                    f"after its last possible day {last}",
                )
            )
        if admission.room in patient.incompatible_rooms:
            found.append(
                Violation(
                    "PatientRoomCompatibility",
                    1,
                    f"patient {patient.id} is in room {instance.rooms[admission.room].id}, "
                    "which is incompatible with them",
                )
            )
    return found


def _room_violations(
    instance: Instance, present: list[list[list[_Stay]]], counts: dict[str, int]
) -> list[Violation]:
    found: list[Violation] = []
    for room, days in zip(instance.rooms, present, strict=True):
        for day, stays in enumerate(days):
            if not stays:
                continue
            ages = [stay.age_group for stay in stays]
            counts["RoomAgeMix"] += max(ages) - min(ages)
            if len(stays) > room.capacity:
                found.append(
                    Violation(
                        "RoomCapacity",
                        len(stays) - room.capacity,
                        f"room {room.id} holds {len(stays)} patients on day {day}, "
                        f"capacity {room.capacity}",
                    )
                )
            by_gender: dict[str, list[str]] = defaultdict(list)
            for stay in stays:
                by_gender[stay.gender].append(stay.who)
            if len(by_gender) > 1:
                smallest = min(len(group) for group in by_gender.values())
                groups = "; ".join(
                    f"{gender}: {', '.join(who)}" for gender, who in sorted(by_gender.items())
                )
                found.append(
                    Violation(
                        "RoomGenderMix",
                        smallest,
                        f"room {room.id} mixes genders on day {day} ({groups})",
                    )
                )
    return found


def _surgery_violations(
    instance: Instance, solution: Solution, counts: dict[str, int]
) -> list[Violation]:
    theatre_load: dict[tuple[int, int], int] = defaultdict(int)
    surgeon_load: dict[tuple[int, int], int] = defaultdict(int)
    surgeon_theatres: dict[tuple[int, int], set[int]] = defaultdict(set)
    for index, admission in enumerate(solution.admissions):
        if admission is None:
            continue
        patient = instance.patients[index]
        theatre_load[admission.theatre, admission.day] += patient.surgery_duration
        surgeon_load[patient.surgeon, admission.day] += patient.surgery_duration
        surgeon_theatres[patient.surgeon, admission.day].add(admission.theatre)
    counts["OpenOperatingTheater"] = len(theatre_load)
    counts["SurgeonTransfer"] = sum(len(used) - 1 for used in surgeon_theatres.values())
    found: list[Violation] = []
    for (theatre, day), minutes in sorted(theatre_load.items()):
        available = instance.theatres[theatre].availability[day]
        if minutes > available:
            found.append(
                Violation(
                    "OperatingTheaterOvertime",
                    minutes - available,
                    f"theatre {instance.theatres[theatre].id} has {minutes} minutes of surgery "
                    f"on day {day}, {available} available",
                )
            )
    for (surgeon, day), minutes in sorted(surgeon_load.items()):
        available = instance.surgeons[surgeon].max_surgery_time[day]
        if minutes > available:
            found.append(
                Violation(
                    "SurgeonOvertime",
                    minutes - available,
                    f"surgeon {instance.surgeons[surgeon].id} operates {minutes} minutes "
                    f"on day {day}, {available} allowed",
                )
            )
    return found


def _nurse_terms(
    instance: Instance,
    solution: Solution,
    present: list[list[list[_Stay]]],
    counts: dict[str, int],
) -> list[Violation]:
    per_day = instance.shifts_per_day
    shifts = instance.days * per_day
    # As in the validator, a later assignment of the same room and shift replaces an earlier
    # one for the room, while every assignment still loads its nurse.
    room_nurse = [[-1] * shifts for _ in instance.rooms]
    nurse_rooms: dict[tuple[int, int], list[int]] = defaultdict(list)
    for assignment in solution.nurse_assignments:
        room_nurse[assignment.room][assignment.shift] = assignment.nurse
        nurse_rooms[assignment.nurse, assignment.shift].append(assignment.room)

    found: list[Violation] = []
    skill_gap = 0
    nurses_of: dict[str, set[int]] = defaultdict(set)
    for room_index, room in enumerate(instance.rooms):
        for shift in range(shifts):
            day, kind = divmod(shift, per_day)
            covering = room_nurse[room_index][shift]
            stays = present[room_index][day]
            when = f"day {day} {instance.shift_types[kind]}"
            if covering == -1:
                if stays:
                    found.append(
                        Violation("UncoveredRoom", 1, f"room {room.id} has no nurse on {when}")
                    )
                continue
            nurse = instance.nurses[covering]
            if shift not in nurse.max_load:
                found.append(
                    Violation(
                        "NursePresence",
                        1,
                        f"nurse {nurse.id} covers room {room.id} on {when}, "
                        "a shift they do not work",
                    )
                )
            for stay in stays:
                gap = stay.skill_required[shift - stay.first_shift] - nurse.skill_level
                skill_gap += max(0, gap)
                nurses_of[stay.who].add(covering)
    counts["RoomSkillLevel"] = skill_gap
    counts["ContinuityOfCare"] = sum(len(nurses) for nurses in nurses_of.values())

    excess = 0
    for nurse_index, worker in enumerate(instance.nurses):
        for shift, limit in worker.max_load.items():
            day = shift // per_day
            load = sum(
                stay.workload[shift - stay.first_shift]
                for room in nurse_rooms.get((nurse_index, shift), [])
                for stay in present[room][day]
            )
            excess += max(0, load - limit)
    counts["ExcessiveNurseWorkload"] = excess
    return found
