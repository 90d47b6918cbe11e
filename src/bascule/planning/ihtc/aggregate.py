"""The parts of the CP-SAT model shared by every variant, and the relaxed rows.

In the relaxation, rooms are only counted: each day, the beds of the rooms given to each
gender must hold the patients of that gender, and the age mix is charged no less than
what the day's rooms of a gender cannot avoid. On large instances the theatres of a day
are also pooled into one stock of minutes. Both bound the real problem from below.

Counting beds day by day forgets that a patient keeps one room for the whole stay and that
a room changes gender only once empty, so the counted days often admit no room plan. The
continuity rows restore most of it: each room takes one gender per day, and the patients of
a gender present on every day of a window must fit in the rooms of that gender throughout
the window (for patients barred from some rooms, in the rooms left to them).
"""

from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from bascule.planning.ihtc.instance import GENDERS, Instance
from bascule.planning.ihtc.occupancy import GENDER_INDEX, Occupancy
from bascule.planning.ihtc.solution import Admission

Var = cp_model.IntVar
POOLED = -1
"""Theatre index of a pooled admission variable: the day is chosen, not the theatre."""


class ModelRows:
    """Variables, hints and cost terms of a model, and the rows of its relaxed form."""

    instance: Instance
    fixed: Occupancy
    model: cp_model.CpModel
    hints: dict[int, int]
    costs: list[tuple[int, Var]]
    constant: int
    free: list[int]
    current: list[Admission | None]
    _bed_terms: dict[tuple[int, int], list[Var]]
    _age_terms: dict[tuple[int, int, int], list[Var]]
    _pool_terms: dict[int, list[tuple[int, Var, list[int]]]]
    _stays: list[tuple[int, range, Var]]

    def _new_bool(self, hint: bool) -> Var:
        """A Boolean variable, hinted with its value in the current plan."""
        var = self.model.new_bool_var("")
        self._hint(var, int(hint))
        return var

    def _hint(self, var: Var, value: int) -> None:
        self.hints[var.index] = value
        self.model.add_hint(var, value)

    def _hinted(self, variables: Sequence[Var]) -> bool:
        return any(self.hints.get(var.index, 0) for var in variables)

    def _aggregate_beds(self, *, charge_age: bool) -> None:
        """Beds counted per day and gender; with ``charge_age``, a lower bound on age mix."""
        instance, fixed = self.instance, self.fixed
        for day in range(instance.days):
            forced_beds, forced_rooms, fixed_mix = [0, 0], [0, 0], [0, 0]
            open_rooms: dict[int, int] = defaultdict(int)
            for room in range(len(instance.rooms)):
                beds = fixed.free_beds(room, day)
                present = fixed.gender_present(room, day)
                if present is not None:
                    side = GENDER_INDEX[present]
                    forced_beds[side] += max(0, beds)
                    forced_rooms[side] += 1
                    fixed_mix[side] += fixed.age_mix(room, day)
                elif beds > 0:
                    open_rooms[beds] += 1
                elif charge_age:
                    self.constant += instance.weights.room_mixed_age * fixed.age_mix(room, day)
            # Rooms with the same free beds are interchangeable: count those given to the
            # first gender rather than choosing which.
            given = {
                beds: self.model.new_int_var(0, count, "") for beds, count in open_rooms.items()
            }
            taken = {beds: count - given[beds] for beds, count in open_rooms.items()}
            for side, share in ((0, given), (1, taken)):
                demand = self._bed_terms.get((day, side), [])
                if demand:
                    beds_given = [beds * count for beds, count in share.items()]
                    self.model.add(sum(demand) <= forced_beds[side] + sum(beds_given))
                if charge_age:
                    rooms = cp_model.LinearExpr.sum([forced_rooms[side], *share.values()])
                    self._age_spread_bound(day, side, rooms, fixed_mix[side])

    def _continuity_rows(self) -> None:
        """Rooms keep one gender per day; patients present through a window fit its rooms."""
        instance, fixed, model = self.instance, self.fixed, self.model
        rooms = range(len(instance.rooms))
        gender_of: dict[tuple[int, int, int], Var | int] = {}
        for room in rooms:
            for day in range(instance.days):
                present = fixed.gender_present(room, day)
                if present is not None:
                    side = GENDER_INDEX[present]
                    gender_of[room, day, side], gender_of[room, day, 1 - side] = 1, 0
                    continue
                first, second = model.new_bool_var(""), model.new_bool_var("")
                model.add(first + second <= 1)
                gender_of[room, day, 0], gender_of[room, day, 1] = first, second
        longest = max((len(days) for _, days, _ in self._stays), default=0)
        for side in range(len(GENDERS)):
            stays = [
                (patient, days, var)
                for patient, days, var in self._stays
                if GENDER_INDEX[instance.patients[patient].gender] == side
            ]
            for start in range(instance.days):
                for end in range(start, min(instance.days, start + longest)):
                    through = [
                        (patient, var)
                        for patient, days, var in stays
                        if days.start <= start and days.stop > end
                    ]
                    if through:
                        beds = self._beds_through(gender_of, side, start, end)
                        self._window_rows(through, beds)

    def _beds_through(
        self, gender_of: dict[tuple[int, int, int], Var | int], side: int, start: int, end: int
    ) -> dict[int, cp_model.LinearExprT]:
        """Per room, the beds it offers one gender on every day of a window (0 or a term)."""
        offered: dict[int, cp_model.LinearExprT] = {}
        for room in range(len(self.instance.rooms)):
            beds = min(self.fixed.free_beds(room, day) for day in range(start, end + 1))
            flags = [gender_of[room, day, side] for day in range(start, end + 1)]
            if beds <= 0 or any(isinstance(flag, int) and flag == 0 for flag in flags):
                continue
            switches = [flag for flag in flags if not isinstance(flag, int)]
            if not switches:
                offered[room] = beds
                continue
            throughout = self.model.new_bool_var("")
            for flag in switches:
                self.model.add_implication(throughout, flag)
            offered[room] = beds * throughout
        return offered

    def _window_rows(
        self, through: list[tuple[int, Var]], beds: dict[int, cp_model.LinearExprT]
    ) -> None:
        """The patients present through a window fit its beds, and each set of rooms holds
        at least the patients allowed in no other room (barred from all the rest)."""
        patients = self.instance.patients
        everywhere = frozenset(range(len(self.instance.rooms)))
        self.model.add(sum(var for _, var in through) <= sum(beds.values()))
        allowed = {p: everywhere - patients[p].incompatible_rooms for p, _ in through}
        room_sets = set(allowed.values()) | {
            everywhere - {room} for p, _ in through for room in patients[p].incompatible_rooms
        }
        for rooms in room_sets - {everywhere}:
            confined = [var for p, var in through if allowed[p] <= rooms]
            if confined:
                self.model.add(sum(confined) <= sum(beds[r] for r in rooms if r in beds))

    def _age_spread_bound(
        self, day: int, gender: int, rooms: cp_model.LinearExpr, fixed_mix: int
    ) -> None:
        """Charge at least the age mix that the day's rooms of one gender cannot avoid.

        A room whose ages span g groups holds at most g + 1 distinct groups, so the rooms of
        a gender together pay at least (distinct age groups present) - (rooms).
        """
        fixed = self.fixed
        distinct: list[Var | int] = []
        for age in range(len(self.instance.age_groups)):
            terms = self._age_terms.get((day, gender, age), [])
            if any(
                fixed.ages[room][day][age] and fixed.gender_present(room, day) == GENDERS[gender]
                for room in range(len(self.instance.rooms))
            ):
                distinct.append(1)
            elif terms:
                present = self.model.new_bool_var("")
                self.model.add(sum(terms) <= len(terms) * present)
                distinct.append(present)
        if len(distinct) < 2 and fixed_mix == 0:
            return
        spread = self.model.new_int_var(fixed_mix, fixed_mix + len(self.instance.age_groups), "")
        self.model.add(spread >= sum(distinct) - rooms)
        self.costs.append((self.instance.weights.room_mixed_age, spread))

    def _pooled_theatres(self) -> None:
        """Each day's theatres as one pool of minutes, opened one by one (a relaxation)."""
        instance, fixed = self.instance, self.fixed
        weight = instance.weights.open_operating_theater
        for theatre in range(len(instance.theatres)):
            for day in range(instance.days):
                if fixed.theatre_minutes[theatre][day] > 0:
                    self.constant += weight
        for day, terms in self._pool_terms.items():
            left = {
                t: instance.theatres[t].availability[day] - fixed.theatre_minutes[t][day]
                for t in range(len(instance.theatres))
            }
            already_open = {t for t in left if fixed.theatre_minutes[t][day] > 0}
            used_now = {
                a.theatre for p in self.free if (a := self.current[p]) is not None and a.day == day
            }
            opened = {
                t: self._new_bool(t in used_now)
                for t in left
                if t not in already_open and left[t] > 0
            }
            capacity = sum(left[t] for t in already_open)
            self.model.add(
                sum(minutes * var for minutes, var, _ in terms)
                <= capacity + sum(left[t] * var for t, var in opened.items())
            )
            for _, var, fitting in terms:
                if not already_open & set(fitting):
                    self.model.add(sum(opened[t] for t in fitting if t in opened) >= var)
            self.costs += [(weight, var) for var in opened.values()]
