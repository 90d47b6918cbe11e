"""The word lists shipped under ``synth/data``, parsed once per process."""

import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from bascule.synth.weighted import Picker

_NAME_FADE_YEARS = 10.0
"""How fast a given name's popularity fades away from its peak year (a Gaussian's sigma)."""


def _rows(name: str, columns: int) -> list[list[str]]:
    text = (files("bascule.synth") / "data" / name).read_text(encoding="utf-8")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != columns:
            raise ValueError(f"synth/data/{name} line {number}: expected {columns} tab fields")
        rows.append(fields)
    return rows


@cache
def family_names() -> Picker[str]:
    """Family names weighted by how common they are among the group's patients."""
    rows = _rows("family_names.txt", 2)
    return Picker([name for name, _ in rows], [float(weight) for _, weight in rows])


@dataclass(frozen=True, slots=True)
class _GivenName:
    name: str
    peak_year: int
    weight: float


@cache
def _given_names(sex: str) -> tuple[_GivenName, ...]:
    file = "given_names_female.txt" if sex == "F" else "given_names_male.txt"
    return tuple(
        _GivenName(name, int(peak), float(weight)) for name, peak, weight in _rows(file, 3)
    )


@cache
def given_names(sex: str, birth_year: int) -> Picker[str]:
    """Given names for a person of ``sex`` ("F" or "M") born in ``birth_year``.

    Cached per year: a name's weight is its peak weight faded by the distance to its peak,
    which gives grandmothers named Germaine and granddaughters named Jade.
    """
    names = _given_names(sex)
    weights = [
        n.weight * math.exp(-(((birth_year - n.peak_year) / _NAME_FADE_YEARS) ** 2) / 2)
        + 1e-4 * n.weight
        for n in names
    ]
    return Picker([n.name for n in names], weights)


@dataclass(frozen=True, slots=True)
class Birthplace:
    """A commune (or, for 99xxx codes, a country) with its INSEE code."""

    insee: str
    name: str

    @property
    def department(self) -> str:
        """The two-character department of the code (97 overseas, 99 abroad)."""
        return self.insee[:2]


@cache
def birthplaces() -> dict[str, Picker[Birthplace]]:
    """Birth places grouped by department (``99`` abroad, ``97`` overseas, ``2A``/``2B``)."""
    grouped: dict[str, tuple[list[Birthplace], list[float]]] = {}
    for insee, name, weight in _rows("birthplaces.txt", 3):
        place = Birthplace(insee, name)
        places, weights = grouped.setdefault(place.department, ([], []))
        places.append(place)
        weights.append(float(weight))
    return {department: Picker(p, w) for department, (p, w) in grouped.items()}
