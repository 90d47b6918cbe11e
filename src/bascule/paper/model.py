"""What a packet prints, as plain values: read from the store or from a kit, then rendered.

Both sources produce these same values (see :mod:`bascule.paper.source`), so a packet
printed on an isolated laptop from a kit is the packet the server would have printed.
Any field may be missing in real data; the renderer prints an empty box for it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class FormType(StrEnum):
    """Every kind of printed page or form that carries a form code."""

    OR_LIST = "ORL"
    CENSUS = "CEN"
    PATIENT_SHEET = "SHT"
    LABELS = "LBL"
    ADMISSION = "ADM"
    SURGICAL_RECORD = "SUR"
    MEDICATION_RECORD = "MAR"
    REQUEST = "REQ"
    TRANSFER = "TRF"
    CALL_LIST = "CAL"
    DOWNTIME_LABELS = "DTL"

    @property
    def returnable(self) -> bool:
        """Whether staff must hand this paper back for re-entry once systems return."""
        return self in _RETURNABLE


_RETURNABLE = frozenset(
    {
        FormType.OR_LIST,
        FormType.ADMISSION,
        FormType.SURGICAL_RECORD,
        FormType.MEDICATION_RECORD,
        FormType.REQUEST,
        FormType.TRANSFER,
        FormType.CALL_LIST,
    }
)


class PacketPart(StrEnum):
    """What ``--what`` selects; a packet holds all of them by default, in this order."""

    OR_LISTS = "or-lists"
    CENSUS = "census"
    SHEETS = "sheets"
    LABELS = "labels"
    FORMS = "forms"
    CALL_LIST = "call-list"
    DOWNTIME = "downtime"


@dataclass(frozen=True, slots=True)
class PrintedIdentity:
    """What identifies a patient on paper (INS traits and the site's local id)."""

    patient_id: str
    birth_family_name: str
    used_name: str
    given_names: str
    birth_date: date | None
    sex: str
    local_id: str | None
    nir: str | None
    identity_status: str


@dataclass(frozen=True, slots=True)
class AllergyLine:
    """One allergy as printed."""

    substance: str
    severity: str
    reaction: str


@dataclass(frozen=True, slots=True)
class MedicationLine:
    """One current medication as printed."""

    name: str
    dose: str
    route: str
    frequency: str


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One surgical case as printed on an OR list, a sheet or a surgical record."""

    case_id: str
    patient: PrintedIdentity
    day: date | None
    theatre_id: str | None
    theatre_name: str
    start_minute: int | None
    expected_minutes: int | None
    procedure: str
    ccam_code: str | None
    specialty: str
    surgeon_name: str
    priority: str
    status: str
    allergies: tuple[AllergyLine, ...]
    remarks: str


@dataclass(frozen=True, slots=True)
class TheatreList:
    """One theatre's operating list for the packet's day, by start time."""

    theatre_id: str
    name: str
    cases: tuple[CaseLine, ...]


@dataclass(frozen=True, slots=True)
class StayLine:
    """A current stay as printed."""

    ward_id: str
    ward_name: str
    room_name: str
    bed: str
    admitted_at: datetime | None
    expected_discharge: datetime | None


@dataclass(frozen=True, slots=True)
class CensusBed:
    """One bed of a ward: its occupant, or None for an empty bed."""

    room_name: str
    bed: str
    patient: PrintedIdentity | None
    admitted_at: datetime | None
    allergies: tuple[AllergyLine, ...]
    alerts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WardCensus:
    """A ward's beds, room by room."""

    ward_id: str
    name: str
    specialty: str
    beds: tuple[CensusBed, ...]


@dataclass(frozen=True, slots=True)
class PatientSheet:
    """The summary sheet of one patient."""

    patient: PrintedIdentity
    blood_group: str | None
    allergies: tuple[AllergyLine, ...]
    medications: tuple[MedicationLine, ...]
    alerts: tuple[str, ...]
    emergency_contact_phone: str | None
    stay: StayLine | None
    next_case: CaseLine | None


@dataclass(frozen=True, slots=True)
class CallEntry:
    """A postponed or redirected patient who must be told."""

    patient: PrintedIdentity
    phone: str | None
    case_id: str
    procedure: str
    status: str
    old_day: date | None
    old_place: str
    new_day: date | None
    new_place: str


@dataclass(frozen=True, slots=True)
class PacketData:
    """Everything one site's packet for one day prints, and where it came from."""

    site_id: str
    site_name: str
    site_city: str
    day: date
    seq: int
    source: str
    data_as_of: datetime
    theatres: tuple[TheatreList, ...]
    wards: tuple[WardCensus, ...]
    sheets: tuple[PatientSheet, ...]
    call_list: tuple[CallEntry, ...]
    downtime_ids: tuple[str, ...]

    @property
    def site_label(self) -> str:
        """The site as headed on paper: its name, and its city unless the name says it."""
        if not self.site_city or self.site_city.casefold() in self.site_name.casefold():
            return self.site_name
        return f"{self.site_name} — {self.site_city}"

    @property
    def cases(self) -> tuple[CaseLine, ...]:
        """Every case of the day, theatre by theatre."""
        return tuple(case for theatre in self.theatres for case in theatre.cases)

    @property
    def inpatients(self) -> tuple[PrintedIdentity, ...]:
        """Occupants of the site's beds, ward by ward."""
        return tuple(bed.patient for ward in self.wards for bed in ward.beds if bed.patient)
