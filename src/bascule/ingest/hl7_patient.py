"""The person in a PID segment, and the workspace every message is mapped in.

French conventions (IHE PAM France): the IPP in PID-3 (type PI or MR), the INS-NIR in
PID-3 with the OID of its assigning authority, the birth name with name type ``L`` and
the used name with type ``D``, the identity status in PID-32. The person's own address
and phone or e-mail (PID-11, PID-13) are their contact details; the next of kin's phone
(NK1-5) is the emergency contact.

A person new to the group gets the id ``PH`` + the first 16 hex digits of
SHA-256(site id, local id): stable (a re-sent message finds the same id), bounded in
length whatever the feed's identifiers, and distinct from the ``P`` + digits of
people created in bascule itself.
"""

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from bascule.domain.errors import DomainError, InvalidNirError
from bascule.domain.nir import INS_OIDS, validate_nir
from bascule.domain.patients import (
    Allergy,
    ClinicalEssentials,
    ContactDetails,
    IdentityStatus,
    IdentityTraits,
    Patient,
    Severity,
    Sex,
)
from bascule.ingest.hl7_lookup import Reads
from bascule.ingest.hl7_message import (
    ACK_REJECT,
    REQUIRED_FIELD_MISSING,
    SEGMENT_SEQUENCE_ERROR,
    Hl7Error,
    ParsedMessage,
    Repetition,
    Segment,
)
from bascule.store.changes import encode_patient, patient_registered, patient_updated
from bascule.store.journal import Change

_INS_TYPES = frozenset({"INS", "INS-NIR", "NH"})
_LOCAL_TYPES = ("PI", "MR")
_INSEE_COMMUNE = re.compile(r"(?:\d{5}|2[AB]\d{3})", re.ASCII)
_STATUSES = {status.value: status for status in IdentityStatus}
_SEVERITIES = {"SV": Severity.SEVERE, "MO": Severity.MODERATE, "MI": Severity.MILD}
# Column widths of the store: longer values would be refused by PostgreSQL.
MAX_ID = 40
MAX_NAME = 100
MAX_SUBSTANCE = 120
MAX_REACTION = 200
MAX_PHONE = 40
MAX_POSTCODE = 10
MAX_CITY = 100
MAX_EMAIL = 254
_NOT_HOME = frozenset({"BDL", "BR", "BA", "O", "B", "BI", "C"})
"""PID-11 address types that are not where the person lives (birth, work, mailing...)."""


def required_segment(parsed: ParsedMessage, segment_id: str) -> Segment:
    """The first ``segment_id`` segment, or AR 100 when the message lacks it."""
    segment = parsed.segment(segment_id)
    if segment is None:
        raise Hl7Error(
            f"{parsed.message_type} without a {segment_id} segment",
            ack_code=ACK_REJECT,
            error_code=SEGMENT_SEQUENCE_ERROR,
            segment=segment_id,
        )
    return segment


def identifier(repetitions: list[Repetition]) -> str:
    """The local id among CX repetitions: type PI or MR first, else the first non-empty."""
    for wanted in _LOCAL_TYPES:
        for repetition in repetitions:
            if repetition.value(5).upper() == wanted and repetition.value(1):
                return repetition.value(1)
    return next((r.value(1) for r in repetitions if r.value(1) and not _is_ins(r)), "")


def _is_ins(repetition: Repetition) -> bool:
    authority = {repetition.value(4, 1), repetition.value(4, 2)}
    return bool(authority & INS_OIDS) or repetition.value(5).upper() in _INS_TYPES


def local_id(pid: Segment) -> str:
    """The patient's id at the sending site (PID-3), AE 101/102 when missing or too long."""
    value = identifier(pid.repetitions(3))
    if not value:
        raise pid.error(3, "no patient identifier", code=REQUIRED_FIELD_MISSING)
    return pid.within(3, value, MAX_ID)


def ins_nir(pid: Segment) -> str | None:
    """The INS (NIR) in PID-3, checked: a wrong key is refused, never dropped."""
    for repetition in pid.repetitions(3):
        if _is_ins(repetition) and repetition.value(1):
            try:
                return validate_nir(repetition.value(1))
            except InvalidNirError as exc:
                raise pid.error(3, f"INS: {exc}") from None
    return None


def _given_names(name: Repetition) -> tuple[str, ...]:
    first = name.value(2)
    others = name.value(3).split()
    # PAM France lists every given name in XPN-3, the first one included; others list
    # only the further ones.
    if first and others[: len(first.split())] != first.split():
        return (first, *others)
    return tuple(others) if others else ((first,) if first else ())


def _names(pid: Segment) -> tuple[str, str, tuple[str, ...]]:
    """Birth family name, used name and given names from PID-5."""
    names = [name for name in pid.repetitions(5) if name.value(1) or name.value(2)]
    if not names:
        raise pid.error(5, "no patient name", code=REQUIRED_FIELD_MISSING)
    by_type = {name.value(7).upper(): name for name in reversed(names)}
    birth = by_type.get("L", names[0])
    used = by_type.get("D")
    used_name = used.value(1) if used is not None and used is not birth else ""
    given = _given_names(birth) or (_given_names(used) if used is not None else ())
    if not birth.value(1):
        raise pid.error(5, "no birth family name", code=REQUIRED_FIELD_MISSING)
    if not given:
        raise pid.error(5, "no given name", code=REQUIRED_FIELD_MISSING)
    for name in (birth.value(1), used_name, given[0]):
        pid.within(5, name, MAX_NAME)
    return birth.value(1), "" if used_name == birth.value(1) else used_name, given


def _status(pid: Segment, previous: IdentityStatus | None) -> IdentityStatus:
    for repetition in pid.repetitions(32):
        status = _STATUSES.get(repetition.value(1).upper())
        if status is not None:
            return status
    # Doubtful, fictitious or absent: provisional, unless the store knew better.
    codes = [r.value(1) for r in pid.repetitions(32) if r.value(1)]
    return IdentityStatus.PROVISIONAL if codes or previous is None else previous


def _birth_place(pid: Segment) -> str:
    """INSEE code of the birth place: PID-23, or the PID-11 address of type BDL."""
    candidates = [pid.value(23)]
    candidates += [r.value(9) for r in pid.repetitions(11) if r.value(7).upper() == "BDL"]
    return next((code for code in candidates if _INSEE_COMMUNE.fullmatch(code)), "")


def _number(point: Repetition) -> str:
    """The phone number of an XTN (PID-13, NK1-5): as written, or unformatted, or split."""
    return point.value(1) or point.value(12) or point.value(6) + point.value(7)


def _next_of_kin_phone(parsed: ParsedMessage) -> str:
    """The first phone number of the next of kin (NK1-5), '' when no NK1 gives one."""
    for nk1 in parsed.segments("NK1"):
        for point in nk1.repetitions(5):
            number = _number(point)
            if number and "@" not in number:
                return nk1.within(5, number, MAX_PHONE)
    return ""


def contact(pid: Segment, previous: ContactDetails) -> ContactDetails:
    """Home address (PID-11), phone and e-mail (PID-13); what is absent is kept."""
    homes = [r for r in pid.repetitions(11) if r.value(7).upper() not in _NOT_HOME]
    home = next((r for r in homes if r.value(7).upper() in ("H", "HP")), None)
    home = home or (homes[0] if homes else None)
    phones, emails = [], []
    for point in pid.repetitions(13):
        email = point.value(4) or (point.value(1) if "@" in point.value(1) else "")
        if email:
            emails.append(email)
        elif number := _number(point):
            phones.append(number)
    city, postcode = (home.value(3), home.value(5)) if home else ("", "")
    return ContactDetails(
        postcode=pid.within(11, postcode, MAX_POSTCODE) if postcode else previous.postcode,
        city=pid.within(11, city, MAX_CITY) if city else previous.city,
        phone=pid.within(13, phones[0], MAX_PHONE) if phones else previous.phone,
        email=pid.within(13, emails[0], MAX_EMAIL) if emails else previous.email,
    )


def identity(pid: Segment, previous: IdentityTraits | None) -> IdentityTraits:
    """The INS traits in ``pid``; what the message leaves empty is kept from ``previous``."""
    family, used, given = _names(pid)
    birth = pid.timestamp(7)
    if birth is None:
        raise pid.error(7, "birth date missing", code=REQUIRED_FIELD_MISSING)
    sex_code = pid.value(8).upper()
    nir = ins_nir(pid) or (previous.nir if previous else None)
    try:
        return IdentityTraits(
            birth_family_name=family,
            used_name=used,
            first_given_name=given[0],
            given_names=given,
            birth_date=birth.date(),
            sex=Sex(sex_code) if sex_code in ("M", "F") else Sex.UNKNOWN,
            birth_place_insee=_birth_place(pid) or (previous.birth_place_insee if previous else ""),
            nir=nir,
            status=_status(pid, previous.status if previous else None),
        )
    except DomainError as exc:
        text = str(exc)
        where = 3 if "nir" in text else 32 if "qualified" in text else 5
        raise pid.error(where, text) from None


def _allergies(parsed: ParsedMessage) -> tuple[Allergy, ...] | None:
    """AL1 segments as allergies; None when the message carries none."""
    segments = parsed.segments("AL1")
    if not segments:
        return None
    allergies = []
    for al1 in segments:
        substance = al1.value(3, 2) or al1.value(3, 1)
        if not substance:
            raise al1.error(3, "allergen missing", code=REQUIRED_FIELD_MISSING)
        # An unknown severity is read as severe: during downtime nobody must take an
        # allergy more lightly than the record says.
        severity = _SEVERITIES.get(al1.value(4).upper(), Severity.SEVERE)
        reactions = [r.value(1) for r in al1.repetitions(5) if r.value(1)]
        allergies.append(
            Allergy(
                al1.within(3, substance, MAX_SUBSTANCE),
                severity,
                al1.within(5, ", ".join(reactions), MAX_REACTION),
            )
        )
    return tuple(allergies)


def group_patient_id(site_id: str, local: str) -> str:
    """The group id of a person first seen at ``site_id`` as ``local``."""
    digest = hashlib.sha256(f"{site_id}\x1f{local}".encode()).hexdigest()
    return f"PH{digest[:16].upper()}"


@dataclass(slots=True)
class Workspace:
    """One message being mapped: the store, and the changes the message makes so far."""

    parsed: ParsedMessage
    store: Reads
    site_id: str
    received_at: datetime
    changes: list[Change] = field(default_factory=list)
    # People this message registered or changed, and local ids it (re)assigned.
    pending: dict[str, Patient] = field(default_factory=dict)
    local_index: dict[str, str] = field(default_factory=dict)

    def event_time(self) -> datetime:
        """When the event happened: EVN-6, EVN-2, MSH-7, or the time of receipt."""
        evn = self.parsed.segment("EVN")
        for moment in (
            evn.timestamp(6) if evn else None,
            evn.timestamp(2) if evn else None,
            self.parsed.sent_at,
        ):
            if moment is not None:
                return moment
        return self.received_at

    def patient_by_id(self, patient_id: str) -> Patient | None:
        """A person as this message has left them."""
        pending = self.pending.get(patient_id)
        return pending or self.store.patient_by_id(patient_id)

    def patient_by_local_id(self, local: str) -> Patient | None:
        """The person known at this site as ``local``."""
        patient_id = self.local_index.get(local)
        if patient_id is not None:
            return self.patient_by_id(patient_id)
        return self.store.patient_by_local_id(self.site_id, local)

    def _known(self, local: str, nir: str | None) -> Patient | None:
        found = self.patient_by_local_id(local)
        if found is None and nir is not None:
            found = self.store.patient_by_nir(nir)
        if found is None:
            # Known before under this id, then merged and its local id moved on.
            derived = self.store.survivor_of(group_patient_id(self.site_id, local))
            found = self.patient_by_id(derived)
        return found

    def upsert_patient(self, pid: Segment) -> tuple[Patient, str]:
        """The person of ``pid`` registered or brought up to date; says which was done."""
        local = local_id(pid)
        known = self._known(local, ins_nir(pid))
        traits = identity(pid, known.identity if known else None)
        essentials = known.essentials if known else ClinicalEssentials()
        allergies = _allergies(self.parsed)
        essentials = replace(
            essentials,
            allergies=essentials.allergies if allergies is None else allergies,
            emergency_contact_phone=_next_of_kin_phone(self.parsed)
            or essentials.emergency_contact_phone,
        )
        local_ids = dict(known.local_ids) if known else {}
        local_ids[self.site_id] = local
        patient = Patient(
            id=known.id if known else group_patient_id(self.site_id, local),
            identity=traits,
            local_ids=tuple(sorted(local_ids.items())),
            essentials=essentials,
            contact=contact(pid, known.contact if known else ContactDetails()),
        )
        return patient, self._record(patient, known, local)

    def find_or_register(self, pid: Segment) -> tuple[Patient, str]:
        """The person of ``pid`` as the store knows them, registered only when new."""
        local = local_id(pid)
        known = self._known(local, ins_nir(pid))
        if known is None:
            return self.upsert_patient(pid)
        if known.local_id_at(self.site_id) == local:
            return known, "known"
        local_ids = {**dict(known.local_ids), self.site_id: local}
        patient = replace(known, local_ids=tuple(sorted(local_ids.items())))
        return patient, self._record(patient, known, local)

    def _record(self, patient: Patient, known: Patient | None, local: str) -> str:
        self.pending[patient.id] = patient
        self.local_index[local] = patient.id
        if known is None:
            self.changes.append(patient_registered(patient, self.site_id))
            return "registered"
        if encode_patient(patient) != encode_patient(known):
            self.changes.append(patient_updated(patient, self.site_id))
            return "updated"
        return "unchanged"


def who(patient: Patient) -> str:
    """``PH… (DUPONT Marie)`` for summaries."""
    return f"{patient.id} ({patient.identity.display_name})"
