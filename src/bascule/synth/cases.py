"""Four weeks of booked theatre lists for every site.

Each open theatre-day is run as one all-day session or a morning and an afternoon session;
each session goes to one surgeon of a matching specialty who is rostered at that site that
weekday and free at that time. Cases follow each other from the session's start with the
specialty's turnover in between, never past the session's end nor the surgeon's daily
maximum.

Listing dates are worked back from the booked day so that every case is on time before the
crisis: urgent cases (P1a, P1b) booked more than three days ahead stand for the urgent
slots each list keeps and carry the listing date they will have, the day or so before.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from bascule.domain.cases import Booking, SurgicalCase
from bascule.domain.patients import Sex
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre
from bascule.domain.staff import Surgeon
from bascule.synth.estate import Estate
from bascule.synth.holidays import is_public_holiday
from bascule.synth.people import patient_id
from bascule.synth.pools import PatientPools
from bascule.synth.procedures import FULL_DAY_SHARE, SPECIALTY_PICKERS, Procedure, turnover
from bascule.synth.sites_data import CARDIAC, DAY_STARTS_AT, ORTHO, VASCULAR
from bascule.synth.weighted import Picker

HORIZON_DAYS = 28
_MIN_SESSION_MINUTES = 360
"""Below this a theatre-day (Saturday mornings) is a single session."""
_MIN_SURGEON_MINUTES = 45
_FAILED_DRAWS_BEFORE_CLOSING = 4
"""Consecutive procedures that do not fit before the session is considered full."""

_PRIORITIES = Picker(list(PriorityClass), [2.0, 5.0, 25.0, 45.0, 23.0])
_LEAD_DAYS: dict[PriorityClass, tuple[int, int]] = {
    PriorityClass.P1A: (0, 1),
    PriorityClass.P1B: (0, 3),
    PriorityClass.P2: (3, 27),
    PriorityClass.P3: (14, 90),
    PriorityClass.P4: (30, 240),
}
"""Days between listing and the booked day, within each class's clinical deadline."""
_WORKUP_DAYS: dict[PriorityClass, int] = {
    PriorityClass.P1A: 0,
    PriorityClass.P1B: 1,
    PriorityClass.P2: 7,
    PriorityClass.P3: 21,
    PriorityClass.P4: 45,
}
"""At most this many days of pre-operative work-up between listing and release."""

NOT_TRANSFERABLE_SHARE = 0.03
_ANY_REASON = (
    "Le patient refuse le transfert",
    "Reprise chirurgicale : suivi par l'équipe qui a opéré",
    "Prise en charge conjointe avec un autre service du site",
)
_IMPLANT_REASON = "Implant sur mesure livré sur ce site"
_ROBOT_REASON = "Robot chirurgical disponible sur ce seul site"


@dataclass(slots=True)
class _SurgeonDay:
    """What a surgeon has left on one day: minutes, and the hours already taken."""

    minutes_left: int
    busy: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return all(end <= b_start or b_end <= start for b_start, b_end in self.busy)


def _sessions(
    rng: random.Random, theatre: OperatingTheatre, minutes: int
) -> Iterator[tuple[str, int, int]]:
    """(specialty, start, end) of each session of a theatre-day."""
    end = DAY_STARTS_AT + minutes
    specialty = rng.choice(theatre.specialties)
    if minutes < _MIN_SESSION_MINUTES or rng.random() < FULL_DAY_SHARE.get(specialty, 0.35):
        yield specialty, DAY_STARTS_AT, end
        return
    noon = DAY_STARTS_AT + minutes // 60 * 30
    yield specialty, DAY_STARTS_AT, noon
    yield rng.choice(theatre.specialties), noon, end


def _reason(rng: random.Random, specialty: str, procedure: Procedure) -> str:
    if "robot" in procedure.label:
        return _ROBOT_REASON
    if specialty in (ORTHO, CARDIAC, VASCULAR) and rng.random() < 0.5:
        return _IMPLANT_REASON
    return rng.choice(_ANY_REASON)


def listing_dates(
    rng: random.Random, priority: PriorityClass, day: date, today: date
) -> tuple[date, date]:
    """(listed_on, release_on) for a case of ``priority`` booked on ``day``.

    Listed no later than ``today`` whenever the clinical deadline allows it; released after
    its work-up, and never after ``day``.
    """
    low, high = _LEAD_DAYS[priority]
    listed = day - timedelta(days=rng.randint(low, high))
    wait = priority.max_wait
    if listed > today:
        # Listed today unless that would make the case late on its booked day; then as
        # late as its deadline allows (one of the urgent slots each list keeps).
        on_time_from = today if wait is None else day - timedelta(days=wait.days)
        listed = min(listed, max(today, on_time_from))
    release = listed + timedelta(days=rng.randint(0, _WORKUP_DAYS[priority]))
    return listed, min(release, day)


class _Booker:
    """Fills the sessions of one run, numbering cases as it goes."""

    def __init__(self, rng: random.Random, pools: PatientPools, today: date) -> None:
        self.rng, self.pools, self.today = rng, pools, today
        self.cases: list[SurgicalCase] = []

    def patient(self, site_id: str, procedure: Procedure) -> int | None:
        share = 0.5 if procedure.female_share is None else procedure.female_share
        sex = Sex.FEMALE if self.rng.random() < share else Sex.MALE
        found = self.pools.draw(self.rng, site_id, sex, procedure.bands, reuse=True)
        if found is None and 0 < share < 1:
            other = Sex.MALE if sex is Sex.FEMALE else Sex.FEMALE
            found = self.pools.draw(self.rng, site_id, other, procedure.bands, reuse=True)
        return found

    def fill(
        self,
        theatre: OperatingTheatre,
        day: date,
        session: tuple[str, int, int],
        surgeon: Surgeon,
        surgeon_day: _SurgeonDay,
    ) -> None:
        specialty, start, end = session
        rng, picker, gap = self.rng, SPECIALTY_PICKERS[specialty], turnover(specialty)
        cursor, first, failures = start, start, 0
        while failures < _FAILED_DRAWS_BEFORE_CLOSING:
            procedure = picker.pick(rng)
            minutes = procedure.draw_minutes(rng)
            begin = cursor if cursor == start else cursor + gap
            index = None
            if begin + minutes <= end and minutes <= surgeon_day.minutes_left:
                index = self.patient(theatre.site_id, procedure)
            if index is None:
                failures += 1
                continue
            priority = _PRIORITIES.pick(rng)
            listed, release = listing_dates(rng, priority, day, self.today)
            movable = rng.random() >= NOT_TRANSFERABLE_SHARE
            self.cases.append(
                SurgicalCase(
                    id=f"C{len(self.cases) + 1:07d}",
                    patient_id=patient_id(index),
                    site_id=theatre.site_id,
                    specialty=specialty,
                    procedure=procedure.label,
                    expected_minutes=minutes,
                    priority=priority,
                    listed_on=listed,
                    release_on=release,
                    surgeon_id=surgeon.id,
                    ccam_code=procedure.ccam,
                    booking=Booking(day, theatre.id, begin),
                    transferable=movable,
                    not_transferable_reason="" if movable else _reason(rng, specialty, procedure),
                )
            )
            cursor, failures = begin + minutes, 0
            surgeon_day.minutes_left -= minutes
        if cursor > start:
            surgeon_day.busy.append((first, cursor))


def book_cases(
    seed: int, estate: Estate, pools: PatientPools, start: date, today: date
) -> list[SurgicalCase]:
    """Booked cases for ``HORIZON_DAYS`` days from ``start`` at every site of ``estate``."""
    rng = random.Random(f"bascule-synth:{seed}:cases")
    booker = _Booker(rng, pools, today)
    surgeons = {surgeon.id: surgeon for surgeon in estate.surgeons}
    for offset in range(HORIZON_DAYS):
        day = start + timedelta(days=offset)
        if is_public_holiday(day):
            continue
        weekday = day.weekday()
        days = {
            sid: _SurgeonDay(surgeons[sid].max_daily_minutes)
            for sid, rota in estate.rota.items()
            if weekday in rota
        }
        for theatre in estate.theatres:
            minutes = theatre.minutes_on(weekday)
            if not minutes:
                continue
            for session in _sessions(rng, theatre, minutes):
                specialty, begin, end = session
                free = [
                    surgeons[sid]
                    for sid, surgeon_day in days.items()
                    if surgeons[sid].specialty == specialty
                    and estate.rota[sid][weekday] == theatre.site_id
                    and surgeon_day.minutes_left >= _MIN_SURGEON_MINUTES
                    and surgeon_day.free(begin, end)
                ]
                if not free:
                    continue
                surgeon = rng.choices(free, [days[x.id].minutes_left for x in free])[0]
                booker.fill(theatre, day, session, surgeon, days[surgeon.id])
    return booker.cases
