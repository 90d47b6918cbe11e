"""CP-SAT model of the core problem for a neighbourhood of patients, the others fixed.

With every patient free this is the whole problem; in the large-neighbourhood search only
a few dozen patients are free and the rest of the plan is a constant background, read from
an :class:`Occupancy`. Variables exist only for what the background leaves possible:
``z[p][d, t]`` (patient p operated in theatre t on admission day d) and, unless rooms are
aggregated, ``x[p][d, r]`` (admitted to room r on day d), with the same sum per day. Room
capacity and gender use two compact rows per room-day (a gender switch and big-M bounds)
rather than one implication per patient and day. With ``aggregate_rooms`` the rooms of a
day are only counted, by gender: a relaxation whose optimum bounds the real one from below.

The objective is the whole plan's (:func:`bascule.planning.ihtc.rules.plan_cost`): what
the fixed patients cost is added as a constant, so objective values and bounds compare
directly with the cost of complete plans.
"""

import math
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from bascule.planning.ihtc.aggregate import POOLED, ModelRows, Var
from bascule.planning.ihtc.occupancy import GENDER_INDEX, Occupancy
from bascule.planning.ihtc.rules import PlanRules
from bascule.planning.ihtc.solution import Admission

STALL_POLL_SECONDS = 0.05
PROVING_SUBSOLVERS = ("max_lp", "core", "default_lp", "quick_restart", "reduced_costs")


@dataclass(frozen=True)
class Neighbourhood:
    """The patients to re-plan, optionally limited to some admission days or rooms each."""

    patients: tuple[int, ...]
    days: Mapping[int, Collection[int]] = field(default_factory=dict)
    rooms: Mapping[int, Collection[int]] = field(default_factory=dict)
    name: str = "all"


@dataclass(frozen=True)
class ModelResult:
    """What one solve found: a plan (complete, fixed patients included) when it found one."""

    status: str
    admissions: list[Admission | None] | None
    days: dict[int, tuple[int, int] | None]
    objective: int | None
    bound: float
    seconds: float

    @property
    def optimal(self) -> bool:
        """Whether CP-SAT proved the plan optimal for this model."""
        return self.status == "OPTIMAL"


class PlanModel(ModelRows):
    """One CP-SAT model over the free patients of a neighbourhood, hinted with the plan.

    Options: ``aggregate_rooms`` counts beds per day and gender instead of choosing rooms
    (the relaxation), with ``pooled_theatres`` also pooling each day's theatres;
    ``mandatory_hard`` requires every free mandatory patient (the core problem) where
    otherwise leaving one out is penalised; ``keep_deadlines`` forbids breaching a
    deadline the plan meets; ``tight`` adds per-patient gender and age rows and the
    day-level bed counts (stronger, for whole small instances); ``continuity`` adds to the
    relaxation the rows that keep a patient's room and gender over the stay (see
    :mod:`bascule.planning.ihtc.aggregate`); without ``costed`` the model only looks for a
    feasible plan.
    """

    def __init__(
        self,
        rules: PlanRules,
        admissions: Sequence[Admission | None],
        neighbourhood: Neighbourhood,
        *,
        aggregate_rooms: bool = False,
        mandatory_hard: bool = False,
        keep_deadlines: bool = False,
        tight: bool = False,
        costed: bool = True,
        pooled_theatres: bool = False,
        continuity: bool = False,
    ) -> None:
        self.rules = rules
        self.pooled = pooled_theatres and aggregate_rooms
        self.tight = tight
        self.instance = rules.instance
        self.current = list(admissions)
        self.free = list(dict.fromkeys(neighbourhood.patients))
        free_set = set(self.free)
        self.aggregate = aggregate_rooms
        self.fixed = Occupancy.of(self.instance, admissions, excluding=free_set)
        self.model = cp_model.CpModel()
        self.hints: dict[int, int] = {}
        self.costs: list[tuple[int, Var]] = []
        self.constant = sum(
            rules.patient_cost(p, a) for p, a in enumerate(admissions) if p not in free_set
        )
        self.x: dict[int, dict[tuple[int, int], Var]] = {}
        self.z: dict[int, dict[tuple[int, int], Var]] = {}
        self._room_terms: dict[tuple[int, int], dict[int, list[Var]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._bed_terms: dict[tuple[int, int], list[Var]] = defaultdict(list)
        self._age_terms: dict[tuple[int, int, int], list[Var]] = defaultdict(list)
        self._theatre_terms: dict[tuple[int, int], list[tuple[int, Var]]] = defaultdict(list)
        self._surgeon_terms: dict[tuple[int, int], dict[int, list[Var]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._surgeon_load: dict[tuple[int, int], list[tuple[int, Var]]] = defaultdict(list)
        self._pool_terms: dict[int, list[tuple[int, Var, list[int]]]] = defaultdict(list)
        self._stays: list[tuple[int, range, Var]] = []
        for patient in self.free:
            on_time = self._patient(
                patient,
                neighbourhood.days.get(patient),
                neighbourhood.rooms.get(patient),
                mandatory_hard,
            )
            # A deadline met stays met: one row per patient propagates far better than a
            # penalty, and the number of breaches can then only fall.
            mandatory = self.instance.patients[patient].mandatory
            if keep_deadlines and mandatory and not rules.breached(patient, self.current[patient]):
                self.model.add(sum(on_time) == 1)
        if aggregate_rooms:
            self._aggregate_beds(charge_age=True)
            if continuity:
                self._continuity_rows()
        else:
            self._rooms()
            if tight:
                self._aggregate_beds(charge_age=False)
        if self.pooled:
            self._pooled_theatres()
        else:
            self._theatres()
        self._surgeons()
        variables = [var for _, var in self.costs]
        coefficients = [coefficient for coefficient, _ in self.costs]
        self.objective = cp_model.LinearExpr.weighted_sum(variables, coefficients) + self.constant
        if costed:
            self.model.minimize(self.objective)

    def require_at_least(self, bound: float) -> None:
        """Add a lower bound on the objective proven elsewhere (by a relaxation).

        CP-SAT then reports a plan that reaches it as optimal, which its own relaxation of
        the room-level model often cannot show.
        """
        self.model.add(self.objective >= math.ceil(bound - 1e-6))

    def require_at_most(self, cost: int) -> None:
        """Accept only plans costing at most ``cost``."""
        self.model.add(self.objective <= cost)

    def require_admitted(self) -> None:
        """Admit every free patient, optional ones included."""
        for variables in self.z.values():
            self.model.add(sum(variables.values()) == 1)

    def admitted_on(self, patient: int, day: int) -> cp_model.LinearExpr:
        """1 when the free ``patient`` is admitted on ``day``, else 0."""
        return cp_model.LinearExpr.sum([v for (d, _), v in self.z[patient].items() if d == day])

    def forbid_together(self, days: Mapping[int, int]) -> None:
        """Forbid admitting all these patients on these days in one plan."""
        self.model.add(
            sum(self.admitted_on(patient, day) for patient, day in days.items()) <= len(days) - 1
        )

    def forbid_exactly(self, days: Mapping[int, int]) -> None:
        """Forbid the plan admitting exactly these patients on these days and no other."""
        others = [
            1 - cp_model.LinearExpr.sum(list(zs.values()))
            for patient, zs in self.z.items()
            if patient not in days
        ]
        kept = [self.admitted_on(patient, day) for patient, day in days.items()]
        self.model.add(sum(kept) + sum(others) <= len(kept) + len(others) - 1)

    def admitted_optional(self) -> cp_model.LinearExpr:
        """Number of optional patients the whole plan admits, fixed ones included."""
        patients = self.instance.patients
        fixed = sum(
            1
            for p, a in enumerate(self.current)
            if a is not None and p not in self.z and not patients[p].mandatory
        )
        free = [var for p, zs in self.z.items() if not patients[p].mandatory for var in zs.values()]
        return cp_model.LinearExpr.sum(free) + fixed

    def maximise_admitted_optional(self) -> None:
        """Look for the plan admitting the most optional patients instead, costs ignored."""
        self.model.maximize(self.admitted_optional())

    def admit_at_most(self, optional: int) -> None:
        """Admit at most ``optional`` optional patients: a limit every plan obeys, proven apart.

        Each optional patient left out costs far more than admitting one, so the relaxation
        admits fractions of more of them than fit; a proven limit removes that slack.
        """
        self.model.add(self.admitted_optional() <= optional)

    @property
    def size(self) -> int:
        """Number of decision variables (x and z)."""
        return sum(len(v) for v in self.x.values()) + sum(len(v) for v in self.z.values())

    def _patient(
        self,
        patient: int,
        days_allowed: Collection[int] | None,
        rooms_allowed: Collection[int] | None,
        mandatory_hard: bool,
    ) -> list[Var]:
        instance, rules, fixed = self.instance, self.rules, self.fixed
        data = instance.patients[patient]
        current = self.current[patient]
        days = [
            d
            for d in range(data.release_day, rules.last_day[patient] + 1)
            if days_allowed is None or d in days_allowed or (current and current.day == d)
        ]
        xs: dict[tuple[int, int], Var] = {}
        zs: dict[tuple[int, int], Var] = {}
        on_time: list[Var] = []
        for day in days:
            if not fixed.surgeon_accepts(patient, day):
                continue
            theatres = [
                t for t in range(len(instance.theatres)) if fixed.theatre_accepts(patient, day, t)
            ]
            if not theatres:
                continue
            rooms = [] if self.aggregate else self._rooms_for(patient, day, rooms_allowed)
            if not self.aggregate and not rooms:
                continue
            here = current if current is not None and current.day == day else None
            day_z = []
            if self.pooled:
                var = self._new_bool(here is not None)
                zs[day, POOLED] = var
                day_z.append(var)
                self._pool_terms[day].append((data.surgery_duration, var, theatres))
            else:
                for theatre in theatres:
                    var = self._new_bool(here is not None and here.theatre == theatre)
                    zs[day, theatre] = var
                    day_z.append(var)
                    self._theatre_terms[theatre, day].append((data.surgery_duration, var))
                    self._surgeon_terms[data.surgeon, day][theatre].append(var)
            self.costs += [(rules.admission_cost(patient, day), var) for var in day_z]
            self._surgeon_load[data.surgeon, day] += [(data.surgery_duration, v) for v in day_z]
            if not rules.late(patient, day):
                on_time += day_z
            gender = GENDER_INDEX[data.gender]
            if self.aggregate:
                self._stays += [(patient, instance.stay_days(patient, day), v) for v in day_z]
            for stay_day in instance.stay_days(patient, day):
                self._bed_terms[stay_day, gender] += day_z
                if self.aggregate:
                    self._age_terms[stay_day, gender, data.age_group] += day_z
            day_x = []
            for room in rooms:
                var = self._new_bool(here is not None and here.room == room)
                xs[day, room] = var
                day_x.append(var)
                for stay_day in instance.stay_days(patient, day):
                    self._room_terms[room, stay_day][patient].append(var)
            if day_x:
                self.model.add(sum(day_x) == sum(day_z))
        self.x[patient], self.z[patient] = xs, zs
        admitted = list(zs.values())
        if data.mandatory and mandatory_hard:
            self.model.add(sum(admitted) == 1)
        else:
            self.model.add(sum(admitted) <= 1)
            left_out = rules.left_out_cost(patient)
            self.constant += left_out
            self.costs += [(-left_out, var) for var in admitted]
        self._change_cost(patient, xs, zs)
        return on_time

    def _rooms_for(
        self, patient: int, day: int, rooms_allowed: Collection[int] | None
    ) -> list[int]:
        """Rooms the patient may take on ``day``: allowed (or current) and accepting."""
        current = self.current[patient]
        return [
            room
            for room in range(len(self.instance.rooms))
            if (
                rooms_allowed is None
                or room in rooms_allowed
                or (current is not None and current.room == room)
            )
            and self.fixed.room_accepts(patient, day, room)
        ]

    def _change_cost(
        self,
        patient: int,
        xs: Mapping[tuple[int, int], Var],
        zs: Mapping[tuple[int, int], Var],
    ) -> None:
        rules = self.rules
        if rules.original is None or rules.change_weight == 0:
            return
        weight = rules.change_weight
        original = rules.original[patient]
        if original is None:
            self.costs += [(weight, var) for var in zs.values()]
            return
        self.constant += weight
        same_theatre = zs.get((original.day, POOLED if self.pooled else original.theatre))
        same_room = xs.get((original.day, original.room))
        if same_theatre is None or (same_room is None and not self.aggregate):
            return
        links = [same_theatre] if same_room is None else [same_theatre, same_room]
        keep = self._new_bool(all(self.hints[var.index] for var in links))
        for var in links:
            self.model.add_implication(keep, var)
        self.costs.append((-weight, keep))

    def _rooms(self) -> None:
        instance, fixed = self.instance, self.fixed
        age_weight = instance.weights.room_mixed_age
        for room in range(len(instance.rooms)):
            for day in range(instance.days):
                if (room, day) not in self._room_terms:
                    self.constant += age_weight * fixed.age_mix(room, day)
        for (room, day), by_patient in self._room_terms.items():
            free_beds = fixed.free_beds(room, day)
            by_gender: dict[int, list[list[Var]]] = defaultdict(list)
            by_age: dict[int, list[list[Var]]] = defaultdict(list)
            for patient, variables in by_patient.items():
                data = self.instance.patients[patient]
                by_gender[GENDER_INDEX[data.gender]].append(variables)
                by_age[data.age_group].append(variables)
            if len(by_gender) == 2:
                first = self._new_bool(self._hinted(_flat(by_gender[0])))
                self._switched_rows(by_gender[0], first, free_beds)
                self._switched_rows(by_gender[1], 1 - first, free_beds)
            elif len(by_patient) > free_beds:
                self.model.add(sum(_flat(list(by_patient.values()))) <= free_beds)
            self._age_mix(room, day, by_age)

    def _switched_rows(
        self, patients: list[list[Var]], switch: cp_model.LinearExprT, limit: int
    ) -> None:
        """At most ``limit`` of these patients, and none unless ``switch`` is on."""
        self.model.add(sum(_flat(patients)) <= min(limit, len(patients)) * switch)
        if self.tight:
            for variables in patients:
                self.model.add(sum(variables) <= switch)

    def _age_mix(self, room: int, day: int, by_age: Mapping[int, list[list[Var]]]) -> None:
        fixed_ages = [a for a, n in enumerate(self.fixed.ages[room][day]) if n > 0]
        ages = sorted(set(fixed_ages) | set(by_age))
        if len(ages) < 2:
            return
        present: dict[int, Var | int] = dict.fromkeys(fixed_ages, 1)
        hinted_ages = set(fixed_ages)
        for age, patients in by_age.items():
            if age not in present:
                hinted = self._hinted(_flat(patients))
                var = self._new_bool(hinted)
                self._switched_rows(patients, var, len(patients))
                present[age] = var
                if hinted:
                    hinted_ages.add(age)
        spread = max(hinted_ages) - min(hinted_ages) if hinted_ages else 0
        mix = self.model.new_int_var(0, ages[-1] - ages[0], "")
        self._hint(mix, spread)
        for low_position, low in enumerate(ages):
            for high in ages[low_position + 1 :]:
                both = cp_model.LinearExpr.sum([present[low], present[high]])
                self.model.add(mix >= (high - low) * (both - 1))
        self.costs.append((self.instance.weights.room_mixed_age, mix))

    def _theatres(self) -> None:
        instance, fixed = self.instance, self.fixed
        for theatre in range(len(instance.theatres)):
            for day in range(instance.days):
                if fixed.theatre_minutes[theatre][day] > 0:
                    self.constant += instance.weights.open_operating_theater
        for (theatre, day), terms in self._theatre_terms.items():
            left = (
                instance.theatres[theatre].availability[day] - fixed.theatre_minutes[theatre][day]
            )
            load = sum(minutes * var for minutes, var in terms)
            if fixed.theatre_minutes[theatre][day] > 0:
                if sum(minutes for minutes, _ in terms) > left:
                    self.model.add(load <= left)
                continue
            opened = self._new_bool(self._hinted([var for _, var in terms]))
            for _, var in terms:
                self.model.add_implication(var, opened)
            # Minutes only in an open theatre: the LP then pays for opening in proportion.
            self.model.add(load <= left * opened)
            self.costs.append((instance.weights.open_operating_theater, opened))

    def _surgeons(self) -> None:
        instance, fixed = self.instance, self.fixed
        weight = instance.weights.surgeon_transfer
        for surgeon in range(len(instance.surgeons)):
            for day in range(instance.days):
                if (surgeon, day) not in self._surgeon_terms:
                    theatres = sum(1 for n in fixed.surgeon_theatre[surgeon][day] if n > 0)
                    self.constant += weight * max(0, theatres - 1)
        for (surgeon, day), by_theatre in self._surgeon_terms.items():
            left = (
                instance.surgeons[surgeon].max_surgery_time[day]
                - fixed.surgeon_minutes[surgeon][day]
            )
            minutes = self._surgeon_load[surgeon, day]
            if sum(m for m, _ in minutes) > left:
                self.model.add(sum(m * var for m, var in minutes) <= left)
            fixed_theatres = {t for t, n in enumerate(fixed.surgeon_theatre[surgeon][day]) if n}
            self.constant += weight * max(0, len(fixed_theatres) - 1)
            if len(fixed_theatres | set(by_theatre)) <= 1:
                continue
            used: list[Var] = []
            for theatre, variables in by_theatre.items():
                if theatre in fixed_theatres:
                    continue
                var = self._new_bool(self._hinted(variables))
                for term in variables:
                    self.model.add_implication(term, var)
                used.append(var)
            self.costs += [(weight, var) for var in used]
            if not fixed_theatres:
                # The first theatre a surgeon uses in a day is free of transfer cost.
                any_used = self._new_bool(self._hinted(used))
                self.model.add(any_used <= sum(used))
                self.costs.append((-weight, any_used))

    def solve(
        self,
        time_limit: float,
        workers: int,
        seed: int = 0,
        *,
        proving: bool = False,
        stall: float | None = None,
        first: bool = False,
    ) -> ModelResult:
        """Solve within ``time_limit`` seconds on ``workers`` threads, hinted with the plan.

        ``proving`` gives the first two workers to the strongest LP relaxation and to
        core-based search, which close the gap on whole small instances where the default
        portfolio for two workers does not. With ``stall``, the search stops once that many
        seconds pass without a better plan (the neighbourhood search wants plans, not proofs);
        with ``first``, at the first plan.
        """
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, time_limit)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        solver.parameters.stop_after_first_solution = first
        if proving and workers >= 2:
            solver.parameters.subsolvers.extend(PROVING_SUBSOLVERS[:workers])
        started = time.perf_counter()
        if stall is None:
            status = solver.solve(self.model)
        else:
            status = _solve_until_stalled(solver, self.model, stall)
        seconds = time.perf_counter() - started
        name = solver.status_name(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return ModelResult(name, None, {}, None, solver.best_objective_bound, seconds)
        days: dict[int, tuple[int, int] | None] = {}
        admissions: list[Admission | None] = list(self.current)
        for patient in self.free:
            chosen = [key for key, var in self.z[patient].items() if solver.boolean_value(var)]
            days[patient] = chosen[0] if chosen else None
            admissions[patient] = None
            if chosen and not self.aggregate:
                day, theatre = chosen[0]
                room = next(
                    r
                    for (d, r), var in self.x[patient].items()
                    if d == day and solver.boolean_value(var)
                )
                admissions[patient] = Admission(day, room, theatre)
        return ModelResult(
            name,
            None if self.aggregate else admissions,
            days,
            round(solver.objective_value),
            solver.best_objective_bound,
            seconds,
        )


def _flat(groups: Sequence[Sequence[Var]]) -> list[Var]:
    return [var for group in groups for var in group]


class _LastSolution(cp_model.CpSolverSolutionCallback):
    """Remembers when the search last found a better plan."""

    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def on_solution_callback(self) -> None:
        self.at = time.perf_counter()


def _solve_until_stalled(
    solver: cp_model.CpSolver, model: cp_model.CpModel, stall: float
) -> cp_model.CpSolverStatus:
    last = _LastSolution()
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(STALL_POLL_SECONDS):
            if last.at is not None and time.perf_counter() - last.at > stall:
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return solver.solve(model, last)
    finally:
        finished.set()
        watcher.join()
