"""What a day of paper at a site looks like once it comes back: filled forms and slips.

For every returnable form printed for the site, the generator decides what was written
on it (from the store: the day's cases, inpatients, redirected patients; and new people
admitted on paper, some of them already known to the index), and how each clerk typed
it, with the slips people make: a letter swapped or dropped, an accent lost, day and
month swapped, a field left empty. Blank forms nobody used come back unused.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import GROUP_TIME_ZONE
from bascule.domain.patients import Sex
from bascule.paper.downtime import display_downtime_id, site_ranges
from bascule.paper.model import FormType
from bascule.recovery.reentry import TYPED_FORMS
from bascule.store.tables import (
    MedicationRow,
    PaperFormRow,
    PatientRow,
    SiteRow,
    SurgeonRow,
    SurgicalCaseRow,
    TheatreRow,
)
from bascule.synth.identity import draw_family_name, draw_given_names

BLANK_ADMISSIONS_USED = 8
KNOWN_READMITTED = 2
BLANK_REQUESTS_USED = 4
SLIP_RATE = 0.08


@dataclass
class FilledForm:
    """One paper form as written, and as each clerk typed it."""

    form_id: str
    form_type: FormType
    truth: dict[str, str]
    typings: list[dict[str, str]] = field(default_factory=list)
    known_patient: str | None = None


@dataclass
class PaperDay:
    """The filled forms of a site's day of paper, and the blank ones returned unused."""

    site_id: str
    day: date
    filled: list[FilledForm]
    unused: list[str]


def _at(day: date, hour: int, minute: int) -> str:
    return datetime.combine(day, time(hour, minute), GROUP_TIME_ZONE).strftime("%d/%m/%Y %H:%M")


def _slip(rng: random.Random, name: str, value: str) -> str:
    """One human slip on a typed value, of a kind that fits it."""
    if not value:
        return value
    if name.endswith("birth_date") and value[:2] <= "12" and value[3:5] <= "12":
        return f"{value[3:5]}/{value[:2]}{value[5:]}"
    if value[0].isalpha() and len(value) > 3:
        plain = value.replace("é", "e").replace("è", "e").replace("ë", "e").replace("ï", "i")
        if plain != value and rng.random() < 0.5:
            return plain
        i = rng.randrange(1, len(value) - 1)
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return ""


def _typed(rng: random.Random, truth: dict[str, str], times: int) -> list[dict[str, str]]:
    """``times`` typings of the truth, each slipping on a few fields."""
    typings = []
    for _ in range(times):
        typed = dict(truth)
        for name, value in truth.items():
            if rng.random() < SLIP_RATE:
                typed[name] = _slip(rng, name, value)
        typings.append(typed)
    return typings


def _person(row: PatientRow) -> dict[str, str]:
    return {
        "birth_family_name": row.birth_family_name,
        "used_name": row.used_name,
        "first_given_name": row.first_given_name,
        "birth_date": row.birth_date.strftime("%d/%m/%Y"),
        "sex": row.sex,
    }


def _shifted_day(text: str) -> str:
    day = int(text[:2])
    return f"{day + 10 if day <= 18 else day - 10:02d}{text[2:]}"


def _new_person(rng: random.Random) -> dict[str, str]:
    sex = rng.choice((Sex.FEMALE, Sex.MALE))
    born = date(rng.randint(1935, 2005), rng.randint(1, 12), rng.randint(1, 28))
    given = draw_given_names(rng, sex, born.year)
    return {
        "birth_family_name": draw_family_name(rng),
        "used_name": "",
        "first_given_name": given[0],
        "birth_date": born.strftime("%d/%m/%Y"),
        "sex": sex.value,
    }


def _forms(session: Session, site_id: str) -> Iterator[PaperFormRow]:
    query = (
        select(PaperFormRow)
        .where(
            PaperFormRow.site_id == site_id,
            PaperFormRow.form_type.in_([t.value for t in TYPED_FORMS]),
        )
        .order_by(PaperFormRow.page)
    )
    yield from session.scalars(query)


def _surgical(session: Session, form: PaperFormRow, day: date) -> dict[str, str] | None:
    case = None if form.case_id is None else session.get(SurgicalCaseRow, form.case_id)
    if case is None or case.booked_day != day or case.booked_start_minute is None:
        return None
    theatre = session.get(TheatreRow, case.booked_theatre_id)
    surgeon = None if case.surgeon_id is None else session.get(SurgeonRow, case.surgeon_id)
    start = datetime.combine(day, time(0), GROUP_TIME_ZONE) + timedelta(
        minutes=case.booked_start_minute
    )
    end = start + timedelta(minutes=case.expected_minutes)
    return {
        "case_reference": case.id,
        "theatre": theatre.name if theatre else case.booked_theatre_id or "",
        "in_room_at": start.strftime("%d/%m/%Y %H:%M"),
        "out_of_room_at": end.strftime("%d/%m/%Y %H:%M"),
        "surgeon": "Dr " + (surgeon.family_name if surgeon else "de garde"),
        "procedure": case.procedure,
    }


def _medication(session: Session, form: PaperFormRow, day: date) -> dict[str, str]:
    drug = session.scalars(
        select(MedicationRow.name).where(MedicationRow.patient_id == form.patient_id).limit(1)
    ).first()
    return {
        "drug": drug or "Paracétamol",
        "dose": "1",
        "unit": "g",
        "route": "PO",
        "given_at": _at(day, 8, 0),
        "given_by": "LG",
        "administered": "yes",
    }


def _transfer(session: Session, form: PaperFormRow, site_id: str, day: date) -> dict[str, str]:
    case = None if form.case_id is None else session.get(SurgicalCaseRow, form.case_id)
    target = session.get(SiteRow, case.site_id) if case is not None else None
    return {
        "case_reference": form.case_id or "",
        "from_site": site_id,
        "to_site": target.id if target is not None and target.id != site_id else "nantes",
        "left_at": _at(day, 10, 30),
        "transport": "ambulance",
        "reason": "Réorientation : capacité du bloc réduite",
    }


def paper_day(session: Session, site_id: str, day: date, rng: random.Random) -> PaperDay:
    """Decide what was written on each returnable form of the site, and how it was typed."""
    filled: list[FilledForm] = []
    unused: list[str] = []
    downtime = iter(i for block in site_ranges(session, site_id) for i in block.ids)
    inpatients = list(
        session.scalars(
            select(PatientRow)
            .where(
                PatientRow.id.in_(
                    select(PaperFormRow.patient_id).where(
                        PaperFormRow.site_id == site_id, PaperFormRow.form_type == "MAR"
                    )
                )
            )
            .order_by(PatientRow.id)
        )
    )
    known = rng.sample(inpatients, min(KNOWN_READMITTED, len(inpatients)))
    admissions = requests = 0
    for form in _forms(session, site_id):
        kind = FormType(form.form_type)
        truth: dict[str, str] | None = None
        patient: str | None = None
        if kind is FormType.ADMISSION and admissions < BLANK_ADMISSIONS_USED:
            if admissions < len(known):
                person, patient = _person(known[admissions]), known[admissions].id
                if admissions == 1:
                    # Written from what the patient said in the rush: the day is off by ten,
                    # so only a human can tell it is the same person.
                    person["birth_date"] = _shifted_day(person["birth_date"])
            else:
                person = _new_person(rng)
            admissions += 1
            truth = person | {
                "downtime_id": display_downtime_id(next(downtime)),
                "ward": "Chirurgie",
                "admitted_at": _at(day, 7 + admissions, 15),
            }
        elif kind is FormType.REQUEST and requests < BLANK_REQUESTS_USED and inpatients:
            requests += 1
            person = _person(inpatients[requests % len(inpatients)])
            truth = {**{k: v for k, v in person.items() if k != "used_name"}} | {
                "prescriber": "Dr Morvan",
                "requested_at": _at(day, 9, 30),
                "urgent": "no",
                "request_kind": "lab",
                "exam": "NFS, ionogramme",
            }
        elif kind is FormType.SURGICAL_RECORD:
            truth = _surgical(session, form, day)
        elif kind is FormType.MEDICATION_RECORD and form.patient_id is not None:
            truth = _medication(session, form, day)
        elif kind is FormType.TRANSFER:
            truth = _transfer(session, form, site_id, day)
        if truth is None:
            unused.append(form.form_id)
            continue
        critical = kind in (FormType.ADMISSION, FormType.MEDICATION_RECORD)
        filled.append(
            FilledForm(form.form_id, kind, truth, _typed(rng, truth, 2 if critical else 1), patient)
        )
    return PaperDay(site_id, day, filled, unused)
