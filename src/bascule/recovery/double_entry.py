"""Double entry: two clerks type the critical fields, a third person settles disagreements.

Pure code over the values of two typings (typed strings or clean values alike: fields are
compared through :func:`bascule.recovery.forms.canonical`, so ``dupont`` and ``DUPONT``
agree and ``Lefevre`` and ``Lefèvre`` do not).

Error rates are measured on what the third person kept: a clerk's field counts as an
error when the decision went to the other typing or to a third value. Fields on which
both typings agreed count as typed and right; two clerks making the same mistake go
unseen, so the rates are lower bounds.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bascule.errors import BasculeError
from bascule.paper.model import FormType
from bascule.recovery.forms import FieldSpec, FormError, canonical, field_spec, form_fields

Decision = Literal["first", "second", "other"]
DECISIONS: tuple[Decision, ...] = ("first", "second", "other")


class DoubleEntryError(BasculeError):
    """Typings that cannot be settled as asked; the message names every field at fault.

    Messages never carry the typed values (they are patient data and may end up in logs).
    """


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A field on which the two typings disagree, both values as typed, side by side."""

    field: str
    first: Any
    second: Any


@dataclass(frozen=True, slots=True)
class DoubleEntry:
    """One settled double entry: who typed it, what was compared, how it was decided.

    ``fields`` are the fields both clerks typed and that were compared; ``decisions``
    hold the third person's choice for each of them that differed (and for no other).
    """

    first_clerk: str
    second_clerk: str
    fields: tuple[str, ...]
    decisions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.first_clerk == self.second_clerk:
            raise DoubleEntryError(
                f"both typings are {self.first_clerk}'s: double entry needs two clerks"
            )
        problems = [
            f"{name}: decision {choice!r} is not first, second or other"
            for name, choice in self.decisions.items()
            if choice not in DECISIONS
        ]
        problems += [
            f"{name}: decided but not among the compared fields"
            for name in self.decisions
            if name not in self.fields
        ]
        if problems:
            raise DoubleEntryError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """A clerk's measured errors: fields typed in double entry, fields not kept."""

    fields_typed: int
    errors: int
    forms: int

    @property
    def rate(self) -> float:
        """Share of the clerk's fields the third person did not keep (0 when none typed)."""
        return self.errors / self.fields_typed if self.fields_typed else 0.0


def _specs(names: Iterable[str], form_type: FormType | None) -> dict[str, FieldSpec]:
    """Each name's spec; a name no form knows is compared as plain text."""
    specs = {}
    for name in names:
        try:
            specs[name] = field_spec(name, form_type)
        except FormError:
            if form_type is not None:
                raise DoubleEntryError(
                    f"{name!r} is not a field of the {form_type.name.lower()} form"
                ) from None
            specs[name] = FieldSpec(name, name, name, "text")
    return specs


def _differ(spec: FieldSpec, first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    return canonical(spec, first.get(spec.name)) != canonical(spec, second.get(spec.name))


def compare(
    form_type: FormType,
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    fields: Iterable[str],
) -> tuple[Mismatch, ...]:
    """The ``fields`` on which the typings disagree, in the order given.

    An empty or missing value differs from any typed value and agrees with another
    empty one.
    """
    specs = _specs(fields, form_type)
    return tuple(
        Mismatch(name, first.get(name), second.get(name))
        for name, spec in specs.items()
        if _differ(spec, first, second)
    )


def _compared(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    form_type: FormType | None,
    fields: Iterable[str] | None,
) -> tuple[str, ...]:
    if fields is not None:
        return tuple(fields)
    if form_type is not None:
        return tuple(spec.name for spec in form_fields(form_type) if spec.critical)
    typed = dict.fromkeys([*first, *second])
    return tuple(name for name in typed if _is_critical(name))


def _is_critical(name: str) -> bool:
    try:
        return field_spec(name).critical
    except FormError:
        return False


def resolve(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    decisions: Mapping[str, str],
    other_values: Mapping[str, Any] | None = None,
    *,
    form_type: FormType | None = None,
    fields: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The final values once the third person has decided every field that differs.

    The fields compared are ``fields``, else the critical fields of ``form_type``, else
    every critical field typed in either typing (a field name means the same on every
    form). A field that differs takes the first typing's value, the second's, or
    ``other_values[field]``, as decided; every other field keeps the first typing's value
    (or the second's where the first has none). Pass ``other_values`` already validated.

    Raises :class:`DoubleEntryError` naming every differing field without a valid
    decision, every ``other`` without a value, and every decision on a field that does
    not differ (a stale screen must not change a value nobody disputed).
    """
    others = other_values or {}
    names = _compared(first, second, form_type, fields)
    specs = _specs(names, form_type)
    differing = [name for name, spec in specs.items() if _differ(spec, first, second)]
    problems: list[str] = []
    for name in differing:
        choice = decisions.get(name)
        if choice is None:
            problems.append(f"{name}: the two typings differ; choose first, second or other")
        elif choice not in DECISIONS:
            problems.append(f"{name}: decision {choice!r} is not first, second or other")
        elif choice == "other" and name not in others:
            problems.append(f"{name}: 'other' was chosen but no value was given")
    problems += [
        f"{name}: the typings do not differ here, there is nothing to decide"
        for name in decisions
        if name not in differing
    ]
    if problems:
        raise DoubleEntryError("cannot settle the double entry: " + "; ".join(problems))
    final = {**second, **first}
    for name in differing:
        source = {"first": first, "second": second, "other": others}[decisions[name]]
        final[name] = source.get(name)
    return final


def clerk_error_rates(records: Iterable[DoubleEntry]) -> dict[str, ErrorRate]:
    """Per clerk, by name: fields typed in double entry and how many were not kept."""
    typed: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    forms: Counter[str] = Counter()
    for record in records:
        for clerk, own in ((record.first_clerk, "first"), (record.second_clerk, "second")):
            forms[clerk] += 1
            typed[clerk] += len(record.fields)
            errors[clerk] += sum(choice != own for choice in record.decisions.values())
    return {clerk: ErrorRate(typed[clerk], errors[clerk], forms[clerk]) for clerk in sorted(forms)}
