"""What a plan is allowed to do and what it costs, for the core problem and its disruption.

Both variants share one objective: the five nurse-free competition terms with the
instance's weights, plus a heavy penalty per mandatory patient whose deadline is breached
(admitted after the due day, or worse, not admitted at all) and, when re-planning an
existing plan, a penalty per patient whose assignment changed. In the core problem no
admission may fall after the due day, so the only possible breach is a mandatory patient
left out, which the competition forbids: the solvers drive it to zero and report it as a
violation if they cannot.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from bascule.planning.ihtc.cost import CORE_TERMS, evaluate
from bascule.planning.ihtc.instance import Instance
from bascule.planning.ihtc.solution import Admission, Solution

NOT_ADMITTED_BREACH_FACTOR = 2
"""A mandatory patient left out costs this many breach penalties; admitting late costs one."""


@dataclass(frozen=True)
class PlanRules:
    """Admission windows, deadlines and penalties for planning one instance."""

    instance: Instance
    last_day: tuple[int, ...]
    due_day: tuple[int | None, ...]
    breach_weight: int
    original: tuple[Admission | None, ...] | None = None
    change_weight: int = 0

    @classmethod
    def core(cls, instance: Instance) -> "PlanRules":
        """The competition's rules: every admission within its window (H5, H6)."""
        last = tuple(instance.last_day(p) for p in range(len(instance.patients)))
        return cls(instance, last, last, default_breach_weight(instance))

    @classmethod
    def replanning(
        cls, instance: Instance, original: Sequence[Admission | None], change_weight: int
    ) -> "PlanRules":
        """Re-planning after a disruption: mandatory patients may be admitted after their due
        day, at a breach penalty, and every assignment changed from ``original`` is charged.
        """
        count = len(instance.patients)
        if len(original) != count:
            raise ValueError(f"the original plan has {len(original)} patients, not {count}")
        last = (instance.days - 1,) * count
        due = tuple(instance.last_day(p) for p in range(count))
        return cls(
            instance, last, due, default_breach_weight(instance), tuple(original), change_weight
        )

    def late(self, patient: int, day: int) -> bool:
        """Whether admitting ``patient`` on ``day`` breaches a mandatory deadline."""
        due = self.due_day[patient]
        return self.instance.patients[patient].mandatory and due is not None and day > due

    def breached(self, patient: int, admission: Admission | None) -> bool:
        """Whether a mandatory patient is left out or admitted after their due day."""
        if not self.instance.patients[patient].mandatory:
            return False
        return admission is None or self.late(patient, admission.day)

    def changed(self, patient: int, admission: Admission | None) -> bool:
        """Whether the assignment differs from the original plan (False without one)."""
        return self.original is not None and self.original[patient] != admission

    def admission_cost(self, patient: int, day: int) -> int:
        """Cost of admitting on ``day``: delay, plus the breach penalty when late."""
        delay = day - self.instance.patients[patient].release_day
        late = self.breach_weight if self.late(patient, day) else 0
        return self.instance.weights.patient_delay * delay + late

    def left_out_cost(self, patient: int) -> int:
        """Cost of not admitting a patient in the horizon."""
        if self.instance.patients[patient].mandatory:
            return NOT_ADMITTED_BREACH_FACTOR * self.breach_weight
        return self.instance.weights.unscheduled_optional

    def patient_cost(self, patient: int, admission: Admission | None) -> int:
        """Every cost of one patient that does not depend on other patients."""
        own = (
            self.left_out_cost(patient)
            if admission is None
            else self.admission_cost(patient, admission.day)
        )
        return own + (self.change_weight if self.changed(patient, admission) else 0)


def default_breach_weight(instance: Instance) -> int:
    """A breach outweighs leaving ten optional patients out, each with the longest delay."""
    weights = instance.weights
    return 10 * (weights.unscheduled_optional + instance.days * weights.patient_delay)


@dataclass(frozen=True)
class PlanCost:
    """A plan's objective, split into what it is made of."""

    core: int
    late: int
    left_out_mandatory: int
    changes: int
    total: int

    @property
    def breaches(self) -> int:
        """Mandatory patients admitted late or not at all."""
        return self.late + self.left_out_mandatory


def plan_cost(rules: PlanRules, admissions: Sequence[Admission | None]) -> PlanCost:
    """The objective the planners minimise, computed from scratch."""
    evaluation = evaluate(rules.instance, Solution.of(admissions))
    late = sum(1 for p, a in enumerate(admissions) if a is not None and rules.late(p, a.day))
    left_out = sum(
        1 for p, a in enumerate(admissions) if a is None and rules.instance.patients[p].mandatory
    )
    changes = sum(1 for p, a in enumerate(admissions) if rules.changed(p, a))
    core = sum(evaluation.weighted(term) for term in CORE_TERMS)
    total = (
        core
        + rules.breach_weight * (late + NOT_ADMITTED_BREACH_FACTOR * left_out)
        + rules.change_weight * changes
    )
    return PlanCost(core, late, left_out, changes, total)
