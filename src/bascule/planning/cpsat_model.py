"""The CP-SAT model of a re-planning problem: one Boolean per (case, candidate slot).

Choosing no candidate postpones the case beyond the horizon. Theatre-day minutes, surgeon-day
minutes and bed pools are hard constraints; frozen cases only take room. Each soft-cost
level is a linear expression over the same variables, so a search can minimise one level
while capping the others.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from bascule.domain.cases import SurgicalCase
from bascule.planning.candidates import Candidate, candidates, original_candidate
from bascule.planning.objective import decision_for, postponement_cost
from bascule.planning.plan import Decision, Slot
from bascule.planning.problem import DEADLINE_WEIGHT, Level, Problem
from bascule.planning.sequencing import with_start_minutes


@dataclass(slots=True)
class _Choice:
    """A candidate slot of a case and its decision variable."""

    case: SurgicalCase
    candidate: Candidate
    var: cp_model.IntVar


class SchedulingModel:
    """The CP-SAT model of a problem, with the expression of each soft-cost level."""

    def __init__(
        self,
        problem: Problem,
        *,
        free: Mapping[str, list[Candidate]] | None = None,
        held: Mapping[str, Decision] | None = None,
    ) -> None:
        """The model of every case of ``problem``; or, given ``free`` (their candidate
        slots) and ``held`` (decisions for the rest), a sub-model in which only the free
        cases move and the held ones just take the room their decision gives them."""
        self.problem = problem
        self._free = free
        self._held = held or {}
        self.model = cp_model.CpModel()
        self.choices: dict[str, list[_Choice]] = {}
        self.surgeon_vars: dict[tuple[str, str, int], dict[str, cp_model.IntVar]] = {}
        self.overtime: list[cp_model.IntVar] = []
        self.overtime_by_theatre_day: dict[tuple[str, int], cp_model.IntVar] = {}
        self.fixed_theatre: dict[tuple[str, int], int] = defaultdict(int)
        self.fixed_surgeon: dict[tuple[str, int], int] = defaultdict(int)
        self.fixed_beds: dict[tuple[str, str, int], int] = defaultdict(int)
        self.levels: dict[str, cp_model.LinearExprT] = {}
        self.level_max: dict[str, int] = {}
        self._build()

    def _build(self) -> None:
        problem = self.problem
        theatre_load: dict[tuple[str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        surgeon_load: dict[tuple[str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        bed_load: dict[tuple[str, str, int], list[cp_model.LinearExprT]] = defaultdict(list)
        fixed_theatre = self.fixed_theatre
        fixed_surgeon = self.fixed_surgeon
        fixed_beds = self.fixed_beds
        for case in problem.cases:
            if case.id in problem.frozen:
                self._add_frozen(case, fixed_theatre, fixed_surgeon, fixed_beds)
                continue
            if self._free is not None and case.id not in self._free:
                self._add_held(case, fixed_theatre, fixed_surgeon, fixed_beds)
                continue
            choices = []
            options = candidates(problem, case) if self._free is None else self._free[case.id]
            for index, candidate in enumerate(options):
                var = self.model.new_bool_var(f"x{case.id}_{index}")
                choices.append(_Choice(case, candidate, var))
                key = (candidate.theatre_id, candidate.day)
                theatre_load[key].append(candidate.minutes * var)
                self._add_beds(case, candidate, var, bed_load)
            self.choices[case.id] = choices
            if choices:
                self.model.add_at_most_one(choice.var for choice in choices)
            self._add_surgeons(case, choices, surgeon_load)
        self._capacity(theatre_load, fixed_theatre)
        for (surgeon_id, day), terms in surgeon_load.items():
            limit = problem.surgeon(surgeon_id).max_daily_minutes - fixed_surgeon[surgeon_id, day]
            self.model.add(sum(terms) <= max(0, limit))
        for (site_id, specialty, day), terms in bed_load.items():
            pool = problem.bed_pool(site_id, specialty)
            assert pool is not None
            self.model.add(sum(terms) <= max(0, pool.beds - fixed_beds[site_id, specialty, day]))
        self._levels()

    def _add_frozen(
        self,
        case: SurgicalCase,
        theatre: dict[tuple[str, int], int],
        surgeon: dict[tuple[str, int], int],
        beds: dict[tuple[str, str, int], int],
    ) -> None:
        if case.booking is None:
            return
        problem, booking = self.problem, case.booking
        day = problem.index(booking.day)
        site_id = problem.theatre(booking.theatre_id).site_id
        minutes = problem.duration(case, site_id, booking.day)
        theatre[booking.theatre_id, day] += minutes
        if case.surgeon_id is not None:
            surgeon[case.surgeon_id, day] += minutes
        for night in self._nights(case, day):
            if problem.bed_pool(site_id, case.specialty) is not None:
                beds[site_id, case.specialty, night] += 1

    def _add_held(
        self,
        case: SurgicalCase,
        theatre: dict[tuple[str, int], int],
        surgeon: dict[tuple[str, int], int],
        beds: dict[tuple[str, str, int], int],
    ) -> None:
        decision = self._held[case.id]
        slot = decision.slot
        if slot is None:
            return
        problem = self.problem
        day = problem.index(slot.day)
        minutes = problem.duration(case, slot.site_id, slot.day)
        theatre[slot.theatre_id, day] += minutes
        surgeon_id = decision.surgeon_id or case.surgeon_id
        if surgeon_id is not None:
            surgeon[surgeon_id, day] += minutes
        if problem.bed_pool(slot.site_id, case.specialty) is not None:
            for night in self._nights(case, day):
                beds[slot.site_id, case.specialty, night] += 1

    def _nights(self, case: SurgicalCase, day: int) -> range:
        stay = self.problem.length_of_stay.get(case.id, 0)
        return range(day, min(self.problem.days, day + stay))

    def _add_beds(
        self,
        case: SurgicalCase,
        candidate: Candidate,
        var: cp_model.IntVar,
        bed_load: dict[tuple[str, str, int], list[cp_model.LinearExprT]],
    ) -> None:
        if self.problem.bed_pool(candidate.site_id, case.specialty) is None:
            return
        for night in self._nights(case, candidate.day):
            bed_load[candidate.site_id, case.specialty, night].append(var)

    def _add_surgeons(
        self,
        case: SurgicalCase,
        choices: list[_Choice],
        surgeon_load: dict[tuple[str, int], list[cp_model.LinearExprT]],
    ) -> None:
        by_site_day: dict[tuple[str, int], list[_Choice]] = defaultdict(list)
        for choice in choices:
            by_site_day[choice.candidate.site_id, choice.candidate.day].append(choice)
        for (site_id, day), group in by_site_day.items():
            surgeons = group[0].candidate.surgeons
            minutes = group[0].candidate.minutes
            chosen = sum(choice.var for choice in group)
            if len(surgeons) == 1:
                surgeon_load[surgeons[0], day].append(minutes * chosen)
                continue
            # Which surgeon of the specialty takes the case there is a decision of its own.
            picks = {s: self.model.new_bool_var(f"s{case.id}_{s}_{day}") for s in surgeons}
            self.model.add(sum(picks.values()) == chosen)
            self.surgeon_vars[case.id, site_id, day] = picks
            for surgeon_id, pick in picks.items():
                surgeon_load[surgeon_id, day].append(minutes * pick)

    def _capacity(
        self,
        theatre_load: dict[tuple[str, int], list[cp_model.LinearExprT]],
        fixed: dict[tuple[str, int], int],
    ) -> None:
        problem = self.problem
        for (theatre_id, day), terms in theatre_load.items():
            # Frozen cases may already fill (or overfill) the theatre-day: nothing else fits.
            limit = max(0, problem.capacity(theatre_id, problem.day(day)) - fixed[theatre_id, day])
            if problem.max_overtime_minutes > 0:
                extra = self.model.new_int_var(
                    0, problem.max_overtime_minutes, f"o{theatre_id}_{day}"
                )
                self.overtime.append(extra)
                self.overtime_by_theatre_day[theatre_id, day] = extra
                self.model.add(sum(terms) <= limit + extra)
            else:
                self.model.add(sum(terms) <= limit)

    def _levels(self) -> None:
        problem = self.problem
        breach: list[cp_model.LinearExprT] = []
        kilometre: list[cp_model.LinearExprT] = []
        postponement: list[cp_model.LinearExprT] = []
        change: list[cp_model.LinearExprT] = []
        maxima: dict[str, int] = defaultdict(int)
        for case_id, choices in self.choices.items():
            case = problem.case(case_id)
            scheduled = sum(choice.var for choice in choices)
            due = problem.due(case)
            weight = DEADLINE_WEIGHT[case.priority]
            if due is not None:
                late = [c.var for c in choices if problem.day(c.candidate.day) > due]
                if late:
                    breach.append(weight * sum(late))
                if due < problem.end:
                    breach.append(weight * (1 - scheduled))
                maxima[Level.BREACH] += weight
            for choice in choices:
                distance = problem.distance_km(case.site_id, choice.candidate.site_id)
                if distance:
                    kilometre.append(distance * choice.var)
            maxima[Level.KILOMETRE] += max(
                (problem.distance_km(case.site_id, c.candidate.site_id) for c in choices),
                default=0,
            )
            cost = postponement_cost(problem, case)
            postponement.append(cost * (1 - scheduled))
            maxima[Level.POSTPONEMENT] += cost
            original = original_candidate(problem, case)
            if original is None:
                change.append(scheduled)
            else:
                kept = [
                    c.var for c in choices if (c.candidate.theatre_id, c.candidate.day) == original
                ]
                change.append(1 - sum(kept))
            maxima[Level.CHANGE] += 1
        maxima[Level.OVERTIME] = problem.max_overtime_minutes * len(self.overtime)
        self.levels = {
            Level.BREACH: sum(breach),
            Level.KILOMETRE: sum(kilometre),
            Level.POSTPONEMENT: sum(postponement),
            Level.CHANGE: sum(change),
            Level.OVERTIME: sum(self.overtime),
        }
        self.level_max = dict(maxima)

    def hint(self, decisions: Mapping[str, Decision]) -> None:
        """Warm-start from ``decisions`` (a slot outside the candidates counts as postponed)."""
        values = self.values_from_decisions(decisions)
        self.model.proto.clear_solution_hint()
        hint = self.model.proto.solution_hint
        hint.vars.extend(range(len(values)))
        hint.values.extend(values)

    def values_from_decisions(self, decisions: Mapping[str, Decision]) -> list[int]:
        """The value of every variable for ``decisions``; overtime follows from the loads."""
        problem = self.problem
        values = [0] * len(self.model.proto.variables)
        load: dict[tuple[str, int], int] = defaultdict(int)
        for case_id, choices in self.choices.items():
            decision = decisions.get(case_id)
            slot = None if decision is None else decision.slot
            if slot is None:
                continue
            day = problem.index(slot.day)
            for choice in choices:
                candidate = choice.candidate
                if (candidate.theatre_id, candidate.day) != (slot.theatre_id, day):
                    continue
                values[choice.var.index] = 1
                load[candidate.theatre_id, day] += candidate.minutes
                picks = self.surgeon_vars.get((case_id, candidate.site_id, day))
                if picks is not None:
                    assert decision is not None
                    chosen = decision.surgeon_id
                    values[picks.get(chosen or "", next(iter(picks.values()))).index] = 1
                break
        for (theatre_id, day), var in self.overtime_by_theatre_day.items():
            limit = problem.capacity(theatre_id, problem.day(day))
            available = max(0, limit - self.fixed_theatre[theatre_id, day])
            values[var.index] = min(
                problem.max_overtime_minutes, max(0, load[theatre_id, day] - available)
            )
        return values

    def candidate_lists(self, case_ids: set[str]) -> dict[str, list[Candidate]]:
        """The candidate slots of ``case_ids`` as this model has them."""
        return {c: [choice.candidate for choice in self.choices[c]] for c in case_ids}

    def decisions(self, values: list[int], *, sequenced: bool = True) -> tuple[Decision, ...]:
        """The decisions of a solution given as the value of every variable (with start
        minutes unless ``sequenced`` is false: the search only needs places and days)."""
        problem = self.problem
        found: list[Decision] = []
        for case in problem.cases:
            if case.id in problem.frozen:
                found.append(_kept(problem, case))
                continue
            if case.id not in self.choices:
                found.append(self._held[case.id])
                continue
            slot, surgeon_id = None, None
            for choice in self.choices[case.id]:
                if values[choice.var.index]:
                    candidate = choice.candidate
                    slot = Slot(problem.day(candidate.day), candidate.site_id, candidate.theatre_id)
                    surgeon_id = self._surgeon(values, case, candidate)
                    break
            found.append(decision_for(problem, case, slot, surgeon_id))
        return with_start_minutes(problem, tuple(found)) if sequenced else tuple(found)

    def _surgeon(self, values: list[int], case: SurgicalCase, candidate: Candidate) -> str:
        picks = self.surgeon_vars.get((case.id, candidate.site_id, candidate.day))
        if picks is None:
            return candidate.surgeons[0]
        return next(s for s, pick in picks.items() if values[pick.index])

    def fill_free_capacity(self, values: list[int]) -> list[int]:
        """Schedule postponed cases into room left at their own site, most urgent first.

        Never adds kilometres or overtime and never makes a case later than its deadline
        when it was not already past it, so no level above postponement gets worse; the
        search then starts from far fewer postponements than a level solve leaves behind.
        """
        problem = self.problem
        values = list(values)
        theatre: dict[tuple[str, int], int] = defaultdict(int, self.fixed_theatre)
        surgeon: dict[tuple[str, int], int] = defaultdict(int, self.fixed_surgeon)
        beds: dict[tuple[str, str, int], int] = defaultdict(int, self.fixed_beds)
        waiting: list[SurgicalCase] = []
        for case_id, choices in self.choices.items():
            case = problem.case(case_id)
            chosen = next((c for c in choices if values[c.var.index]), None)
            if chosen is None:
                waiting.append(case)
                continue
            candidate = chosen.candidate
            theatre[candidate.theatre_id, candidate.day] += candidate.minutes
            surgeon[self._surgeon(values, case, candidate), candidate.day] += candidate.minutes
            for night in self._nights(case, candidate.day):
                beds[candidate.site_id, case.specialty, night] += 1
        waiting.sort(key=lambda c: (c.priority.rank, c.listed_on, c.id))
        for case in waiting:
            for choice in self.choices[case.id]:
                candidate = choice.candidate
                if candidate.site_id != case.site_id:
                    continue
                day = problem.day(candidate.day)
                if theatre[candidate.theatre_id, candidate.day] + candidate.minutes > (
                    problem.capacity(candidate.theatre_id, day)
                ):
                    continue
                free = [
                    s
                    for s in candidate.surgeons
                    if surgeon[s, candidate.day] + candidate.minutes
                    <= problem.surgeon(s).max_daily_minutes
                ]
                pool = problem.bed_pool(candidate.site_id, case.specialty)
                nights = self._nights(case, candidate.day) if pool is not None else range(0)
                if not free or (
                    pool is not None
                    and any(beds[pool.site_id, pool.specialty, n] >= pool.beds for n in nights)
                ):
                    continue
                values[choice.var.index] = 1
                picks = self.surgeon_vars.get((case.id, candidate.site_id, candidate.day))
                if picks is not None:
                    values[picks[free[0]].index] = 1
                theatre[candidate.theatre_id, candidate.day] += candidate.minutes
                surgeon[free[0], candidate.day] += candidate.minutes
                for night in nights:
                    beds[candidate.site_id, case.specialty, night] += 1
                break
        return values


def objective_value(cp: cp_model.CpModel, values: list[int]) -> int:
    """The model's objective at ``values`` (a minimisation, so no scaling sign)."""
    objective = cp.proto.objective
    total: float = objective.offset
    total += sum(c * values[v] for v, c in zip(objective.vars, objective.coeffs, strict=True))
    return round(total)


def _kept(problem: Problem, case: SurgicalCase) -> Decision:
    booking = case.booking
    if booking is None:
        return decision_for(problem, case, None)
    site_id = problem.theatre(booking.theatre_id).site_id
    slot = Slot(booking.day, site_id, booking.theatre_id, booking.start_minute)
    return decision_for(problem, case, slot, case.surgeon_id)
