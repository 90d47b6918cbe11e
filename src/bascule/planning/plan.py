"""A re-plan: one decision per case, and how the solver that made it fared."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property


class Action(StrEnum):
    """What happens to a case compared with its original booking."""

    KEEP = "keep"
    MOVE = "move"
    """Another day or theatre at its own site."""
    REDIRECT = "redirect"
    """Operated at another site of the group."""
    POSTPONE = "postpone"
    """Not operated within the horizon; promised a target date after it."""


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """Where and when a case is operated."""

    day: date
    site_id: str
    theatre_id: str
    start_minute: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one case."""

    case_id: str
    action: Action
    slot: Slot | None
    surgeon_id: str | None = None
    postponed_to: date | None = None
    """Target date of a postponed case (the first day it can be offered again)."""


@dataclass(frozen=True, slots=True)
class SolverReport:
    """How a plan was obtained."""

    solver: str
    status: str
    seconds: float
    first_feasible_seconds: float | None = None
    objective: Mapping[str, int] = field(default_factory=dict)
    """Soft costs of the plan by level name."""
    bound: Mapping[str, int] = field(default_factory=dict)
    """Best proven lower bound per level, where the solver proved one."""
    gap: float | None = None
    """Relative gap of the last optimised level to its bound (0: proven optimal)."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The decisions for every case of a problem."""

    decisions: tuple[Decision, ...]
    report: SolverReport

    @cached_property
    def by_case(self) -> dict[str, Decision]:
        """Decisions by case id."""
        return {decision.case_id: decision for decision in self.decisions}

    def decision(self, case_id: str) -> Decision:
        """The decision for ``case_id``."""
        return self.by_case[case_id]
