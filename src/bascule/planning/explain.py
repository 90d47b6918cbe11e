"""Why each case of a re-plan changed, in words a coordinator can read out to a patient.

A reason has three parts, each derived from the problem and the plan rather than from the
solver: why the old slot is gone (``ReasonCode``), why the new slot or date was chosen
(``Choice``) and where the clinical deadline stands (``Deadline``). Every claim is checked
against what the plan leaves free: "the first day with capacity" is only said when no
earlier day had room for the case, "the nearest site with room" only when no nearer site
had. Room counts theatre minutes (allowed overtime included), the surgeon's daily limit and
beds where bed pools are modelled.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from bascule.domain.cases import SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.planning.candidates import may_redirect
from bascule.planning.plan import Action, Decision, Plan, Slot
from bascule.planning.problem import Disruption, Problem

DEFAULT_LANGUAGE = "fr"
"""The group's staff are French; English is for partners and reviewers."""

Param = str | int | date | tuple[str, ...]
"""A reason parameter: names and numbers as printed, dates and lists formatted per language."""


class ReasonCode(StrEnum):
    """Why the case's old slot is gone."""

    THEATRE_CLOSED = "theatre-closed"
    SITE_CLOSED = "site-closed"
    CAPACITY_PRIORITY = "capacity-priority"
    """Reduced capacity, and only more urgent cases were kept at the site that day."""
    CAPACITY_REDUCED = "capacity-reduced"
    PAPER_SLOWDOWN = "paper-slowdown"
    DISPLACED = "displaced"
    """The theatre-day was not lost, but more urgent cases moved in and took the room."""
    REARRANGED = "rearranged"
    """None of the above holds: the plan moved the case of its own accord."""
    WAITING_LIST = "waiting-list"


class Choice(StrEnum):
    """Why the new slot (or postponement date) was chosen."""

    SAME_DAY = "same-day"
    FIRST_WITH_ROOM = "first-with-room"
    EARLIEST_POSSIBLE = "earliest-possible"
    """No earlier day is allowed: the case is not released before."""
    LATER = "later"
    """An earlier day had room; the plan preferred this one."""
    NEAREST_SITE = "nearest-site"
    OTHER_SITE = "other-site"
    NO_ROOM = "no-room"
    NOT_TRANSFERABLE = "not-transferable"
    POSTPONED = "postponed"
    """Postponed although some day within reach had room."""


class Deadline(StrEnum):
    """Where the clinical deadline stands after the change."""

    MET = "met"
    NONE = "none"
    MISSED = "missed"
    UNAVOIDABLE = "unavoidable"
    """Missed, and neither the site nor any site within reach had room by then."""
    PASSED = "passed"
    """Already past when the horizon starts."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a case changed, language-neutral; ``render_reason`` puts it in words."""

    code: ReasonCode
    choice: Choice
    deadline: Deadline
    params: Mapping[str, Param] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Change:
    """One case whose booking the plan does not keep."""

    case_id: str
    patient_id: str
    action: Action
    before: Slot | None
    """The original booking (None: the case came from the waiting list)."""
    after: Slot | None
    postponed_to: date | None
    priority: PriorityClass
    due: date | None
    reason: Reason


_CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "theatre-closed": "theatre {theatre} closed on {day}",
        "site-closed": "{site} closed to surgery on {day}",
        "capacity-priority": "{site} at {percent} % capacity on {day}, higher-priority cases kept",
        "capacity-reduced": (
            "{site} at {percent} % capacity on {day}, not enough room in {theatre} for every "
            "booked case"
        ),
        "paper-slowdown": (
            "working on paper at {site} on {day} adds {minutes} min per case, the list of "
            "{theatre} no longer fits"
        ),
        "displaced": "{theatre} on {day} given to more urgent cases ({urgent})",
        "rearranged": "the list of {theatre} on {day} was re-arranged",
        "waiting-list": "on the waiting list",
        "moved": "moved to",
        "booked": "booked in",
        "same-day": "{verb} {new_theatre} the same day",
        "first-with-room": "{verb} {new_theatre} on {new_day}, the first day with capacity",
        "earliest-possible": (
            "{verb} {new_theatre} on {new_day}, the earliest day possible (released on {release})"
        ),
        "later": "{verb} {new_theatre} on {new_day}",
        "nearest-site": (
            "redirected to {new_site} ({km} km) on {new_day}, the nearest site with a surgeon "
            "and room"
        ),
        "other-site": "redirected to {new_site} ({km} km) on {new_day}",
        "no-room": "no capacity at {reach} before {until}; postponed to {target}",
        "not-transferable": (
            "no capacity at {reach} before {until} and not transferable ({why}); postponed to "
            "{target}"
        ),
        "postponed": "postponed to {target}",
        "met": "{cause}; {choice}, before the {priority} deadline ({due})",
        "none": "{cause}; {choice} ({priority}, no deadline)",
        "missed": "{cause}; {choice}, after the {priority} deadline ({due})",
        "unavoidable": (
            "{cause}; {priority} deadline {due} cannot be met, no room at {reach} by then; {choice}"
        ),
        "unavoidable-postponed": "{cause}; {priority} deadline {due} cannot be met: {choice}",
        "passed": "{cause}; {priority} deadline {due} already passed; {choice}",
        "or": "or",
    },
    "fr": {
        "theatre-closed": "{theatre} fermée le {day}",
        "site-closed": "bloc opératoire de {site} fermé le {day}",
        "capacity-priority": (
            "{site} à {percent} % de capacité le {day}, cas plus prioritaires maintenus"
        ),
        "capacity-reduced": (
            "{site} à {percent} % de capacité le {day}, plus assez de place en {theatre} pour "
            "tous les cas prévus"
        ),
        "paper-slowdown": (
            "travail sur papier à {site} le {day} : {minutes} min de plus par cas, le programme "
            "de {theatre} ne tient plus"
        ),
        "displaced": "{theatre} du {day} laissée à des cas plus urgents ({urgent})",
        "rearranged": "programme de {theatre} du {day} réorganisé",
        "waiting-list": "en liste d'attente",
        "moved": "déplacé en",
        "booked": "programmé en",
        "same-day": "{verb} {new_theatre} le même jour",
        "first-with-room": ("{verb} {new_theatre} le {new_day}, premier jour avec de la capacité"),
        "earliest-possible": (
            "{verb} {new_theatre} le {new_day}, premier jour possible (opérable à partir du "
            "{release})"
        ),
        "later": "{verb} {new_theatre} le {new_day}",
        "nearest-site": (
            "réorienté vers {new_site} ({km} km) le {new_day}, site le plus proche avec un "
            "chirurgien et de la place"
        ),
        "other-site": "réorienté vers {new_site} ({km} km) le {new_day}",
        "no-room": "aucune capacité à {reach} avant le {until} ; reporté au {target}",
        "not-transferable": (
            "aucune capacité à {reach} avant le {until}, transfert impossible ({why}) ; "
            "reporté au {target}"
        ),
        "postponed": "reporté au {target}",
        "met": "{cause} ; {choice}, avant l'échéance {priority} ({due})",
        "none": "{cause} ; {choice} ({priority}, sans échéance)",
        "missed": "{cause} ; {choice}, après l'échéance {priority} ({due})",
        "unavoidable": (
            "{cause} ; échéance {priority} du {due} intenable, aucune place à {reach} d'ici là ; "
            "{choice}"
        ),
        "unavoidable-postponed": "{cause} ; échéance {priority} du {due} intenable : {choice}",
        "passed": "{cause} ; échéance {priority} du {due} déjà dépassée ; {choice}",
        "or": "ou",
    },
}
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": (
        *("janv.", "févr.", "mars", "avr.", "mai", "juin"),
        *("juil.", "août", "sept.", "oct.", "nov.", "déc."),
    ),
}
_NO_ROOM = frozenset({Choice.NO_ROOM, Choice.NOT_TRANSFERABLE})
# Slot days are read with their weekday (people plan around it); deadlines need no weekday.
_WEEKDAY_PARAMS = frozenset({"day", "new_day"})


def format_day(day: date, lang: str = DEFAULT_LANGUAGE, *, weekday: bool = True) -> str:
    """``Tue 8 Dec`` or ``mar. 8 déc.`` (``1er`` for the first of a month in French)."""
    _check_language(lang)
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    text = f"{number} {_MONTHS[lang][day.month - 1]}"
    return f"{_WEEKDAYS[lang][day.weekday()]} {text}" if weekday else text


def render_reason(reason: Reason, lang: str = DEFAULT_LANGUAGE) -> str:
    """The reason as one sentence in ``lang`` ("fr" or "en")."""
    _check_language(lang)
    words = _CATALOGUE[lang]
    values = {key: _format(key, value, lang) for key, value in reason.params.items()}
    values["verb"] = words["booked" if reason.code is ReasonCode.WAITING_LIST else "moved"]
    cause = words[reason.code].format(**values)
    choice = words[reason.choice].format(**values)
    key: str = reason.deadline
    if reason.deadline is Deadline.UNAVOIDABLE and reason.choice in _NO_ROOM:
        key = "unavoidable-postponed"  # the choice already names the sites without room
    sentence = words[key].format(cause=cause, choice=choice, **values)
    return sentence[:1].upper() + sentence[1:]


def explain(problem: Problem, plan: Plan) -> list[Change]:
    """A change with its reason for every case the plan does not keep, most urgent first."""
    schedule = _Schedule(problem, plan)
    changes = []
    for case in problem.cases:
        decision = plan.decision(case.id)
        if decision.action is Action.KEEP:
            continue
        booking = case.booking
        before = (
            None
            if booking is None
            else Slot(booking.day, case.site_id, booking.theatre_id, booking.start_minute)
        )
        changes.append(
            Change(
                case.id,
                case.patient_id,
                decision.action,
                before,
                decision.slot,
                decision.postponed_to,
                case.priority,
                problem.due(case),
                _reason(schedule, case, decision),
            )
        )
    changes.sort(key=lambda change: (change.priority.rank, change.case_id))
    return changes


def _check_language(lang: str) -> None:
    if lang not in _CATALOGUE:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(sorted(_CATALOGUE))}")


def _format(key: str, value: Param, lang: str) -> str:
    if isinstance(value, date):
        return format_day(value, lang, weekday=key in _WEEKDAY_PARAMS)
    if isinstance(value, tuple):
        if len(value) < 2:
            return "".join(value)
        return f"{', '.join(value[:-1])} {_CATALOGUE[lang]['or']} {value[-1]}"
    return str(value)


class _Schedule:
    """The plan as time used per theatre-day, surgeon-day and bed-night, and who is where."""

    def __init__(self, problem: Problem, plan: Plan) -> None:
        self.problem = problem
        self.used: Counter[tuple[object, ...]] = Counter()
        self.own: dict[str, Counter[tuple[object, ...]]] = {}
        self.occupants: defaultdict[tuple[str, int], list[SurgicalCase]] = defaultdict(list)
        self.booked: defaultdict[tuple[str, int], list[SurgicalCase]] = defaultdict(list)
        for case in problem.cases:
            if case.booking is not None:
                self.booked[case.booking.theatre_id, problem.index(case.booking.day)].append(case)
            slot, surgeon_id = plan.decision(case.id).slot, plan.decision(case.id).surgeon_id
            if slot is None:
                continue
            index = problem.index(slot.day)
            minutes = problem.duration(case, slot.site_id, slot.day)
            uses = self.own[case.id] = Counter({("theatre", slot.theatre_id, index): minutes})
            if surgeon_id is not None:
                uses["surgeon", surgeon_id, index] = minutes
            if problem.bed_pool(slot.site_id, case.specialty) is not None:
                uses.update(
                    ("bed", slot.site_id, case.specialty, night)
                    for night in self._nights(case, index)
                )
            self.used.update(uses)
            self.occupants[slot.theatre_id, index].append(case)
        # A site is named by its city, unless two sites share the city.
        cities = Counter(site.city for site in problem.sites)
        self.labels = {
            site.id: site.city if cities[site.city] == 1 else site.name for site in problem.sites
        }
        # Every site that could take each case, not only the few a solver may redirect to.
        self.everywhere = replace(problem, redirect_sites=len(problem.sites))

    def _nights(self, case: SurgicalCase, index: int) -> range:
        stay = self.problem.length_of_stay.get(case.id, 0)
        return range(index, min(index + stay, self.problem.days))

    def _free(self, case: SurgicalCase, key: tuple[object, ...], limit: int) -> int:
        own = self.own.get(case.id)
        return limit - self.used[key] + (own[key] if own is not None else 0)

    def fits(
        self, case: SurgicalCase, site_id: str, index: int, theatre_id: str | None = None
    ) -> bool:
        """Whether the case, taken out of its own slot, could be operated at ``site_id`` on
        day ``index`` (in ``theatre_id``, theatre time only, if given) moving no one else."""
        problem = self.problem
        day = problem.day(index)
        if not 0 <= index < problem.days or day < case.release_on:
            return False
        minutes = problem.duration(case, site_id, day)
        theatres = [
            theatre
            for theatre in problem.theatres_of(site_id)
            if theatre_id in (None, theatre.id)
            and problem.accepts(theatre, case)
            and problem.capacity(theatre.id, day) > 0
        ]
        if not any(
            self._free(case, ("theatre", theatre.id, index), problem.capacity(theatre.id, day))
            + problem.max_overtime_minutes
            >= minutes
            for theatre in theatres
        ):
            return False
        if theatre_id is not None:
            return True
        pool = problem.bed_pool(site_id, case.specialty)
        return any(
            self._free(
                case, ("surgeon", surgeon, index), problem.surgeon(surgeon).max_daily_minutes
            )
            >= minutes
            for surgeon in problem.surgeons_for(case, site_id)
        ) and (
            pool is None
            or all(
                self._free(case, ("bed", site_id, case.specialty, night), pool.beds) >= 1
                for night in self._nights(case, index)
            )
        )

    def any_room(self, case: SurgicalCase, site_ids: Sequence[str], last: date) -> bool:
        """Whether any of ``site_ids`` had room for the case on a day up to ``last``."""
        days = range(min(self.problem.index(last) + 1, self.problem.days))
        return any(self.fits(case, site_id, index) for site_id in site_ids for index in days)


def _reason(schedule: _Schedule, case: SurgicalCase, decision: Decision) -> Reason:
    problem = schedule.problem
    params: dict[str, Param] = {"priority": case.priority.value}
    due = problem.due(case)
    if due is not None:
        params["due"] = due
    reach = _reach(problem, case)
    params["reach"] = tuple(schedule.labels[site_id] for site_id in reach)
    code = _cause(schedule, case, params)
    choice = _choice(schedule, case, decision, reach, params)
    effective = decision.slot.day if decision.slot is not None else decision.postponed_to
    if due is None:
        deadline = Deadline.NONE
    elif due < problem.start:
        deadline = Deadline.PASSED
    elif effective is not None and effective <= due:
        deadline = Deadline.MET
    elif schedule.any_room(case, reach, due):
        deadline = Deadline.MISSED
    else:
        deadline = Deadline.UNAVOIDABLE
    return Reason(code, choice, deadline, params)


def _cause(schedule: _Schedule, case: SurgicalCase, params: dict[str, Param]) -> ReasonCode:
    problem = schedule.problem
    booking = case.booking
    if booking is None:
        return ReasonCode.WAITING_LIST
    day, theatre = booking.day, problem.theatre(booking.theatre_id)
    index = problem.index(day)
    params.update(day=day, theatre=theatre.name, site=schedule.labels[case.site_id])
    # No disruption reads as one that changes nothing.
    disruption = problem.disruption(case.site_id, day) or Disruption(case.site_id, day, day)
    if theatre.id in disruption.closed_theatres:
        return ReasonCode.THEATRE_CLOSED
    if disruption.capacity_factor == 0:
        return ReasonCode.SITE_CLOSED
    capacity, listed = problem.capacity(theatre.id, day), schedule.booked[theatre.id, index]
    overbooked = sum(problem.duration(other, case.site_id, day) for other in listed) > capacity
    if overbooked and disruption.capacity_factor < 1:
        params["percent"] = round(disruption.capacity_factor * 100)
        kept = [
            other
            for other_theatre in problem.theatres_of(case.site_id)
            if problem.accepts(other_theatre, case)
            for other in schedule.occupants[other_theatre.id, index]
        ]
        if kept and all(other.priority.rank < case.priority.rank for other in kept):
            return ReasonCode.CAPACITY_PRIORITY
        return ReasonCode.CAPACITY_REDUCED
    # Paper is the cause only if the list fitted before the extra minutes were added.
    if (
        overbooked
        and disruption.paper_extra_minutes
        and sum(other.expected_minutes for other in listed) <= capacity
    ):
        params["minutes"] = disruption.paper_extra_minutes
        return ReasonCode.PAPER_SLOWDOWN
    if not schedule.fits(case, case.site_id, index, theatre.id):
        newcomers = [
            other
            for other in schedule.occupants[theatre.id, index]
            if other not in listed and other.priority.rank < case.priority.rank
        ]
        if newcomers:
            params["urgent"] = min(newcomers, key=lambda other: other.priority.rank).priority.value
            return ReasonCode.DISPLACED
    return ReasonCode.REARRANGED


def _reach(problem: Problem, case: SurgicalCase) -> tuple[str, ...]:
    """The case's own site, then the sites a solver may redirect it to."""
    return case.site_id, *(problem.nearest_sites(case) if may_redirect(problem, case) else ())


def _choice(
    schedule: _Schedule,
    case: SurgicalCase,
    decision: Decision,
    reach: tuple[str, ...],
    params: dict[str, Param],
) -> Choice:
    problem = schedule.problem
    slot = decision.slot
    if slot is None:
        params.update(until=problem.end, target=decision.postponed_to or problem.end)
        if schedule.any_room(case, reach, problem.day(problem.days - 1)):
            return Choice.POSTPONED
        if not case.transferable:
            params["why"] = case.not_transferable_reason
            return Choice.NOT_TRANSFERABLE
        return Choice.NO_ROOM
    index = problem.index(slot.day)
    params.update(new_day=slot.day, new_theatre=problem.theatre(slot.theatre_id).name)
    if slot.site_id != case.site_id:
        km = problem.distance_km(case.site_id, slot.site_id)
        params.update(new_site=schedule.labels[slot.site_id], km=km)
        due = problem.due(case)
        last = due if due is not None and slot.day <= due else slot.day
        nearer = [
            site_id
            for site_id in schedule.everywhere.nearest_sites(case)
            if problem.distance_km(case.site_id, site_id) < km
        ]
        if schedule.any_room(case, (case.site_id, *nearer), last):
            return Choice.OTHER_SITE
        return Choice.NEAREST_SITE
    if case.booking is not None and slot.day == case.booking.day:
        return Choice.SAME_DAY
    earlier = range(max(0, problem.index(case.release_on)), index)
    if any(schedule.fits(case, case.site_id, day) for day in earlier):
        return Choice.LATER
    if not earlier and case.release_on > problem.start:
        params["release"] = case.release_on
        return Choice.EARLIEST_POSSIBLE
    return Choice.FIRST_WITH_ROOM
