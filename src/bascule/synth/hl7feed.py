"""A synthetic interface feed: the demo group's daily life as HL7 v2 messages.

Reads a site's current state from the store (beds, inpatients, known patients, theatres,
surgeons) and writes a plausible sequence of ADT and SIU messages as the site's patient
administration and OR scheduling systems would send them: admissions to free beds,
transfers, discharges, updates of contact details, new people, new bookings, reschedules
and cancellations. French conventions (IHE PAM France): IPP in PID-3 with type PI, INS-NIR
with its OID, birth (L) and used (D) names, identity status in PID-32, UTF-8 (MSH-18).

Used by ``bascule synth feed`` (sending over MLLP), the ingestion benchmark and the demo.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.clock import GROUP_TIME_ZONE
from bascule.domain.nir import INS_NIR_OID
from bascule.domain.patients import Sex
from bascule.ingest.hl7_message import escape
from bascule.store.queries import require_site
from bascule.store.tables import (
    BedRow,
    PatientLocalIdRow,
    PatientRow,
    StayRow,
    SurgeonSiteRow,
    TheatreRow,
    WardRow,
)
from bascule.synth.identity import draw_birth_date, draw_family_name, draw_given_names

_PROCEDURES = (
    ("NEKA020", "Remplacement de l'articulation coxofémorale par prothèse totale"),
    ("NFKA007", "Remplacement de l'articulation du genou par prothèse totale"),
    ("HMFC004", "Cholécystectomie par cœlioscopie"),
    ("QZFA036", "Exérèse de lésion superficielle de la peau"),
    ("BFGA004", "Extraction extracapsulaire du cristallin avec implant"),
)
# Share of each event in the stream; admissions and discharges balance over a day.
_EVENTS = (
    ("admit", 22),
    ("discharge", 20),
    ("transfer", 12),
    ("update", 14),
    ("new_person", 8),
    ("book", 16),
    ("reschedule", 5),
    ("cancel", 3),
)


def hl7_time(moment: datetime) -> str:
    """YYYYMMDDHHMMSS+ZZZZ in the group's local time."""
    return moment.astimezone(GROUP_TIME_ZONE).strftime("%Y%m%d%H%M%S%z")


@dataclass(slots=True)
class _Person:
    ipp: str
    family: str
    used: str
    given: tuple[str, ...]
    birth: date
    sex: str
    nir: str | None
    status: str
    phone: str
    kin_phone: str = ""
    """The next of kin's phone, sent in NK1 (the emergency contact)."""


@dataclass(slots=True)
class _Booking:
    filler_id: str
    person: _Person
    theatre: str
    start: datetime
    minutes: int
    procedure: tuple[str, str]
    surgeon: str | None


@dataclass(slots=True)
class _SiteState:
    """What the feed needs to know to stay plausible, kept up to date as it writes."""

    site: str
    facility: str
    free_beds: list[tuple[str, str, str]]
    inpatients: dict[str, tuple[_Person, tuple[str, str, str]]]
    outpatients: list[_Person]
    theatres: list[str]
    surgeons: list[str]
    bookings: list[_Booking] = field(default_factory=list)


def _person(row: PatientRow, ipp: str) -> _Person:
    return _Person(
        ipp=ipp,
        family=row.birth_family_name,
        used=row.used_name,
        given=tuple(row.given_names) or (row.first_given_name,),
        birth=row.birth_date,
        sex=row.sex,
        nir=row.nir,
        status=row.identity_status,
        phone=row.phone,
        kin_phone=row.emergency_contact_phone,
    )


def _load(session: Session, site: str, pool: int) -> _SiteState:
    require_site(session, site)
    beds = {
        (ward, room, label)
        for ward, room, label in session.execute(
            select(BedRow.ward_id, BedRow.room_id, BedRow.label)
            .join(WardRow, WardRow.id == BedRow.ward_id)
            .where(WardRow.site_id == site)
        )
    }
    ipp_of: dict[str, str] = dict(
        session.execute(
            select(PatientLocalIdRow.patient_id, PatientLocalIdRow.local_id).where(
                PatientLocalIdRow.site_id == site
            )
        ).all()
    )
    inpatients: dict[str, tuple[_Person, tuple[str, str, str]]] = {}
    for stay, patient in session.execute(
        select(StayRow, PatientRow)
        .join(PatientRow, PatientRow.id == StayRow.patient_id)
        .where(StayRow.site_id == site, StayRow.discharged_at.is_(None))
        .order_by(StayRow.id)
    ):
        ipp = ipp_of.get(patient.id)
        if ipp is not None:
            bed = (stay.ward_id, stay.room_id, stay.bed)
            inpatients[stay.id] = (_person(patient, ipp), bed)
            beds.discard(bed)
    in_bed = {person.ipp for person, _ in inpatients.values()}
    candidates = sorted(pid for pid, ipp in ipp_of.items() if ipp not in in_bed)[:pool]
    outpatients = [
        _person(row, ipp_of[row.id])
        for row in session.scalars(
            select(PatientRow).where(PatientRow.id.in_(candidates)).order_by(PatientRow.id)
        )
    ]
    theatres = list(
        session.scalars(
            select(TheatreRow.id).where(TheatreRow.site_id == site).order_by(TheatreRow.id)
        )
    )
    surgeons = list(
        session.scalars(
            select(SurgeonSiteRow.surgeon_id)
            .where(SurgeonSiteRow.site_id == site)
            .order_by(SurgeonSiteRow.surgeon_id)
        )
    )
    return _SiteState(site, site.upper(), sorted(beds), inpatients, outpatients, theatres, surgeons)


class FeedWriter:
    """Writes the messages of one site's feed, one event at a time."""

    def __init__(
        self, session: Session, site: str, *, seed: int, start: datetime, pool: int = 2000
    ) -> None:
        self.rng = random.Random(seed)
        self.state = _load(session, site, pool)
        self.clock = start
        self.sequence = 0
        self.seed = seed

    def messages(self, count: int) -> Iterator[str]:
        """``count`` messages in the order the site's systems would send them."""
        kinds = [kind for kind, _ in _EVENTS]
        weights = [weight for _, weight in _EVENTS]
        produced = 0
        while produced < count:
            self.clock += timedelta(seconds=self.rng.randint(5, 90))
            message = getattr(self, f"_{self.rng.choices(kinds, weights)[0]}")()
            if message is not None:
                produced += 1
                yield message

    # --- segments ---------------------------------------------------------------------

    def _msh(self, message_type: str, structure: str) -> str:
        self.sequence += 1
        control = f"{self.state.facility[:6]}{self.seed:03d}{self.sequence:08d}"
        return (
            f"MSH|^~\\&|PAS|{self.state.facility}|BASCULE|{self.state.site}|{hl7_time(self.clock)}"
            f"||{message_type}^{structure}|{control}|P|2.5|||AL|NE|FRA|UNICODE UTF-8"
        )

    def _evn(self, event: str) -> str:
        return f"EVN|{event}|{hl7_time(self.clock)}"

    def _pid(self, person: _Person) -> str:
        identifiers = f"{person.ipp}^^^{self.state.facility}&&L^PI"
        if person.nir:
            identifiers += f"~{person.nir}^^^ASIP-SANTE-INS-NIR&{INS_NIR_OID}&ISO^INS"
        first, *others = person.given
        names = f"{escape(person.family)}^{escape(first)}^{escape(' '.join(others))}^^^^L"
        if person.used and person.used != person.family:
            names += f"~{escape(person.used)}^{escape(first)}^^^^^D"
        fields = [
            "PID",
            "1",
            "",
            identifiers,
            "",
            names,
            "",
            person.birth.strftime("%Y%m%d"),
            person.sex,
            "",
            "",
            "",
            "",
            escape(person.phone),
        ]
        fields += [""] * (32 - len(fields)) + [person.status]
        return "|".join(fields)

    def _pv1(
        self,
        visit: str,
        bed: tuple[str, str, str],
        *,
        prior: tuple[str, str, str] | None = None,
        admitted: datetime | None = None,
        discharged: datetime | None = None,
    ) -> str:
        fields = ["PV1", "1", "I", "^".join(bed)] + [""] * 2 + ["^".join(prior) if prior else ""]
        fields += [""] * (19 - len(fields)) + [visit]
        fields += [""] * (44 - len(fields)) + [hl7_time(admitted) if admitted else ""]
        fields.append(hl7_time(discharged) if discharged else "")
        return "|".join(fields)

    def _adt(self, event: str, person: _Person, pv1: str | None = None) -> str:
        segments = [self._msh(f"ADT^{event}", f"ADT_{event}"), self._evn(event), self._pid(person)]
        if person.kin_phone:
            segments.append(f"NK1|1||||{escape(person.kin_phone)}")
        if pv1 is not None:
            segments.append(pv1)
        return "\r".join(segments)

    def _phone(self, prefix: str) -> str:
        return " ".join([prefix, *(f"{self.rng.randint(10, 99)}" for _ in range(4))])

    # --- events -----------------------------------------------------------------------

    def _admit(self) -> str | None:
        state = self.state
        if not state.free_beds or not state.outpatients:
            return None
        person = state.outpatients.pop(self.rng.randrange(len(state.outpatients)))
        bed = state.free_beds.pop(self.rng.randrange(len(state.free_beds)))
        visit = f"V{self.seed:03d}{self.sequence + 1:08d}"
        state.inpatients[visit] = (person, bed)
        return self._adt("A01", person, self._pv1(visit, bed, admitted=self.clock))

    def _discharge(self) -> str | None:
        state = self.state
        if not state.inpatients:
            return None
        visit = self.rng.choice(sorted(state.inpatients))
        person, bed = state.inpatients.pop(visit)
        state.free_beds.append(bed)
        state.outpatients.append(person)
        return self._adt("A03", person, self._pv1(visit, bed, discharged=self.clock))

    def _transfer(self) -> str | None:
        state = self.state
        if not state.inpatients:
            return None
        visit = self.rng.choice(sorted(state.inpatients))
        person, bed = state.inpatients[visit]
        same_ward = [free for free in state.free_beds if free[0] == bed[0]]
        if not same_ward:
            return None
        target = self.rng.choice(same_ward)
        state.free_beds.remove(target)
        state.free_beds.append(bed)
        state.inpatients[visit] = (person, target)
        return self._adt("A02", person, self._pv1(visit, target, prior=bed))

    def _update(self) -> str | None:
        pool = self.state.outpatients
        if not pool:
            return None
        person = self.rng.choice(pool)
        person.phone = self._phone("06")
        return self._adt("A08", person)

    def _new_person(self) -> str | None:
        sex = self.rng.choice([Sex.FEMALE, Sex.MALE])
        birth = draw_birth_date(self.rng, self.clock.date())
        person = _Person(
            ipp=f"9{self.seed:03d}{self.sequence + 1:06d}",
            family=draw_family_name(self.rng),
            used="",
            given=draw_given_names(self.rng, sex, birth.year),
            birth=birth,
            sex=sex.value,
            nir=None,
            status="PROV",
            phone=self._phone("02"),
        )
        self.state.outpatients.append(person)
        return self._adt("A28", person)

    def _siu(self, event: str, booking: _Booking) -> str:
        end = booking.start + timedelta(minutes=booking.minutes)
        code, label = booking.procedure
        timing = f"^^{booking.minutes}^{hl7_time(booking.start)}^{hl7_time(end)}"
        segments = [
            self._msh(f"SIU^{event}", "SIU_S12"),
            f"SCH||{booking.filler_id}|||||{code}^{escape(label)}^CCAM|||||{timing}",
            self._pid(booking.person),
            "RGS|1",
            f"AIS|1||{code}^{escape(label)}^CCAM|{hl7_time(booking.start)}|||{booking.minutes}|min",
            f"AIL|1||{booking.theatre}",
        ]
        if booking.surgeon:
            segments.append(f"AIP|1||{booking.surgeon}")
        return "\r".join(segments)

    def _slot(self) -> datetime:
        day = self.clock.astimezone(GROUP_TIME_ZONE).date() + timedelta(
            days=self.rng.randint(1, 13)
        )
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), GROUP_TIME_ZONE)
        return start + timedelta(hours=8, minutes=30 * self.rng.randint(0, 16))

    def _book(self) -> str | None:
        state = self.state
        if not state.theatres or not state.outpatients:
            return None
        booking = _Booking(
            filler_id=f"SIU{self.seed:03d}{self.sequence + 1:08d}",
            person=self.rng.choice(state.outpatients),
            theatre=self.rng.choice(state.theatres),
            start=self._slot(),
            minutes=self.rng.choice([30, 45, 60, 90, 120]),
            procedure=self.rng.choice(_PROCEDURES),
            surgeon=self.rng.choice(state.surgeons) if state.surgeons else None,
        )
        state.bookings.append(booking)
        return self._siu("S12", booking)

    def _reschedule(self) -> str | None:
        if not self.state.bookings:
            return None
        booking = self.rng.choice(self.state.bookings)
        booking.start = self._slot()
        return self._siu("S13", booking)

    def _cancel(self) -> str | None:
        bookings = self.state.bookings
        if not bookings:
            return None
        booking = bookings.pop(self.rng.randrange(len(bookings)))
        return self._siu("S15", booking)


def feed_messages(
    session: Session, site: str, count: int, *, seed: int, start: datetime
) -> list[str]:
    """``count`` messages of ``site``'s synthetic feed from ``start`` (read in ``session``)."""
    return list(FeedWriter(session, site, seed=seed, start=start).messages(count))
