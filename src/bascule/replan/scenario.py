"""A re-planning scenario: the horizon, what each site can still do, and how to trade off.

Given on the command line for one site, or as a YAML file for several::

    start: 2026-12-08          # first day of the horizon
    horizon: 14                # days re-planned
    disruptions:
      - site: rennes
        from: 2026-12-08
        days: 10
        capacity: 0.5          # share of theatre minutes still usable
        closed_theatres: [rennes-salle-03]
        paper_extra_minutes: 15
    frozen_until: 2026-12-08   # cases booked before this day are kept as they are
    frozen: [C0000042]         # cases confirmed by a human
    overtime_minutes: 0
    weights: {breach: 1000, kilometre: 1, postponement: 10, change: 5, overtime: 1}
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from bascule.errors import BasculeError
from bascule.planning.problem import Disruption, Weights

DEFAULT_HORIZON = 14


class ScenarioError(BasculeError):
    """A scenario file or option is malformed (the message names the file and field)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to re-plan and under which disruption."""

    start: date
    horizon: int = DEFAULT_HORIZON
    disruptions: tuple[Disruption, ...] = ()
    frozen_until: date | None = None
    frozen: frozenset[str] = frozenset()
    overtime_minutes: int = 0
    weights: Weights | None = None
    source: str = "command line"

    def to_json(self) -> dict[str, Any]:
        """The scenario as journaled with an applied plan."""
        return {
            "start": self.start.isoformat(),
            "horizon": self.horizon,
            "disruptions": [
                {
                    "site": d.site_id,
                    "from": d.first_day.isoformat(),
                    "to": d.last_day.isoformat(),
                    "capacity": d.capacity_factor,
                    "closed_theatres": list(d.closed_theatres),
                    "paper_extra_minutes": d.paper_extra_minutes,
                }
                for d in self.disruptions
            ],
            "frozen_until": None if self.frozen_until is None else self.frozen_until.isoformat(),
            "frozen": sorted(self.frozen),
            "overtime_minutes": self.overtime_minutes,
            "weights": None if self.weights is None else vars_of(self.weights),
            "source": self.source,
        }


def vars_of(weights: Weights) -> dict[str, int]:
    """Weights as a plain mapping."""
    return {
        "breach": weights.breach,
        "kilometre": weights.kilometre,
        "postponement": weights.postponement,
        "change": weights.change,
        "overtime": weights.overtime,
    }


def one_site(
    site_id: str,
    capacity: float,
    first_day: date,
    days: int,
    *,
    horizon: int = DEFAULT_HORIZON,
    closed_theatres: tuple[str, ...] = (),
    paper_extra_minutes: int = 0,
) -> Scenario:
    """The scenario of the command-line options: one site disrupted from ``first_day``."""
    if days < 1:
        raise ScenarioError(f"--days {days}: the disruption lasts at least one day")
    if horizon < days:
        raise ScenarioError(f"--horizon {horizon} is shorter than the disruption ({days} days)")
    disruption = _disruption(
        "command line",
        site_id,
        first_day,
        days,
        capacity=capacity,
        closed=closed_theatres,
        paper=paper_extra_minutes,
    )
    return Scenario(start=first_day, horizon=horizon, disruptions=(disruption,))


def _disruption(
    where: str,
    site_id: str,
    first_day: date,
    days: int,
    *,
    capacity: float,
    closed: tuple[str, ...],
    paper: int,
) -> Disruption:
    if not 0.0 <= capacity <= 1.0:
        raise ScenarioError(f"{where}: capacity {capacity} is not between 0 and 1")
    if paper < 0:
        raise ScenarioError(f"{where}: paper_extra_minutes {paper} is negative")
    last_day = first_day + timedelta(days=days - 1)
    return Disruption(site_id, first_day, last_day, capacity, closed, paper)


def load_scenario(path: Path) -> Scenario:
    """Read a scenario YAML file; every error names the file and the field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level")
    where = str(path)
    start = _day(where, "start", document.get("start"))
    disruptions = []
    for number, item in enumerate(_list(where, "disruptions", document.get("disruptions"))):
        field_ = f"disruptions[{number}]"
        if not isinstance(item, dict):
            raise ScenarioError(f"{where}: {field_} must be a mapping")
        site = item.get("site")
        if not isinstance(site, str) or not site:
            raise ScenarioError(f"{where}: {field_}.site is missing")
        first = _day(where, f"{field_}.from", item.get("from", start.isoformat()))
        days = _int(where, f"{field_}.days", item.get("days", 1))
        capacity = _number(where, f"{field_}.capacity", item.get("capacity", 1.0))
        closed_list = _list(where, f"{field_}.closed_theatres", item.get("closed_theatres"))
        closed = tuple(str(theatre) for theatre in closed_list)
        paper = _int(where, f"{field_}.paper_extra_minutes", item.get("paper_extra_minutes", 0))
        if days < 1:
            raise ScenarioError(f"{where}: {field_}.days must be at least 1")
        disruptions.append(
            _disruption(
                f"{where}: {field_}",
                site,
                first,
                days,
                capacity=capacity,
                closed=closed,
                paper=paper,
            )
        )
    frozen_until = document.get("frozen_until")
    weights = document.get("weights")
    return Scenario(
        start=start,
        horizon=_int(where, "horizon", document.get("horizon", DEFAULT_HORIZON)),
        disruptions=tuple(disruptions),
        frozen_until=None if frozen_until is None else _day(where, "frozen_until", frozen_until),
        frozen=frozenset(str(c) for c in _list(where, "frozen", document.get("frozen"))),
        overtime_minutes=_int(where, "overtime_minutes", document.get("overtime_minutes", 0)),
        weights=None if weights is None else _weights(where, weights),
        source=where,
    )


def _weights(where: str, value: object) -> Weights:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: weights must be a mapping")
    unknown = set(value) - {"breach", "kilometre", "postponement", "change", "overtime"}
    if unknown:
        raise ScenarioError(f"{where}: weights: unknown {', '.join(sorted(map(str, unknown)))}")
    defaults = vars_of(Weights())
    return Weights(**{k: _int(where, f"weights.{k}", value.get(k, v)) for k, v in defaults.items()})


def _day(where: str, field_: str, value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScenarioError(f"{where}: {field_} must be a date (YYYY-MM-DD), got {value!r}")


def _int(where: str, field_: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ScenarioError(f"{where}: {field_} must be a whole number ≥ 0, got {value!r}")
    return value


def _number(where: str, field_: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: {field_} must be a number, got {value!r}")
    return float(value)


def _list(where: str, field_: str, value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: {field_} must be a list")
    return value
