"""Hand-built packets for the renderer tests: accents, a very long name, gaps in the data."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from bascule.paper.model import (
    AllergyLine,
    CallEntry,
    CaseLine,
    CensusBed,
    MedicationLine,
    PacketData,
    PatientSheet,
    PrintedIdentity,
    StayLine,
    TheatreList,
    WardCensus,
)

SITE_ID = "clinique-rennes"
DAY = date(2026, 11, 30)
PARIS = timezone(timedelta(hours=1))
PRINTED_AT = datetime(2026, 11, 30, 3, 12, tzinfo=PARIS)
PRINTED_BY = "Cécile Brûlé (IDE de nuit)"
DATA_AS_OF = datetime(2026, 11, 30, 2, 58, tzinfo=PARIS)
LONG_FAMILY_NAME = "DE LA TOUR D'AUVERGNE-LAURAGUAIS-MONTMORENCY-BŒUF-ÉCHALLIER"

PENICILLIN = AllergyLine("pénicilline", "severe", "œdème de Quincke")
LATEX = AllergyLine("latex", "moderate", "")

ELEONORE = PrintedIdentity(
    patient_id="pat-eleonore",
    birth_family_name="Martin",
    used_name="Dupont",
    given_names="Éléonore Marie",
    birth_date=date(1956, 4, 3),
    sex="F",
    local_id="IPP100234",
    nir="256047511300512",
    identity_status="QUAL",
)
LOETITIA = PrintedIdentity(
    patient_id="pat-loetitia",
    birth_family_name="Bœuf-Légaré",
    used_name="",
    given_names="Lœtitia",
    birth_date=date(1988, 12, 24),
    sex="F",
    local_id="IPP100777",
    nir=None,
    identity_status="VALI",
)
FRANCOIS = PrintedIdentity(
    patient_id="pat-francois",
    birth_family_name="Lefèvre",
    used_name="Lefèvre",
    given_names="François Jérôme",
    birth_date=None,
    sex="M",
    local_id=None,
    nir=None,
    identity_status="PROV",
)
LONG_NAME = PrintedIdentity(
    patient_id="pat-long",
    birth_family_name=LONG_FAMILY_NAME,
    used_name="",
    given_names="Marie-Bénédicte Ghislaine Amélie",
    birth_date=date(1971, 7, 14),
    sex="F",
    local_id="IPP100999",
    nir=None,
    identity_status="VALI",
)
NOEL = PrintedIdentity(
    patient_id="pat-noel",
    birth_family_name="Ça",
    used_name="",
    given_names="Noël",
    birth_date=date(2001, 1, 1),
    sex="U",
    local_id="IPP101000",
    nir=None,
    identity_status="",
)


def case(
    case_id: str,
    patient: PrintedIdentity,
    theatre: str,
    start_minute: int | None,
    *,
    priority: str = "P3",
    allergies: tuple[AllergyLine, ...] = (),
    procedure: str = "Prothèse totale de hanche droite",
    ccam_code: str | None = "NEKA020",
    remarks: str = "",
    surgeon: str = "Dr Benoît Lemaître",
    expected_minutes: int | None = 90,
    status: str = "booked",
) -> CaseLine:
    """A case of :data:`DAY` in ``theatre``."""
    return CaseLine(
        case_id=case_id,
        patient=patient,
        day=DAY,
        theatre_id=theatre,
        theatre_name=f"Salle {theatre[-1]}",
        start_minute=start_minute,
        expected_minutes=expected_minutes,
        procedure=procedure,
        ccam_code=ccam_code,
        specialty="Orthopédie",
        surgeon_name=surgeon,
        priority=priority,
        status=status,
        allergies=allergies,
        remarks=remarks,
    )


CASES_ROOM_1 = (
    case(
        "case-1",
        ELEONORE,
        "or-1",
        8 * 60,
        priority="P1a",
        allergies=(PENICILLIN, LATEX),
        remarks="Patiente à jeun depuis minuit ; prévoir matériel sans latex",
    ),
    case("case-2", LOETITIA, "or-1", 10 * 60 + 15, priority="P2", expected_minutes=45),
    case(
        "case-3",
        FRANCOIS,
        "or-1",
        None,
        priority="",
        ccam_code=None,
        surgeon="",
        expected_minutes=None,
        procedure="",
    ),
)
CASES_ROOM_2 = (
    case(
        "case-4",
        LONG_NAME,
        "or-2",
        13 * 60 + 30,
        priority="P1b",
        procedure="Ostéosynthèse par clou centromédullaire verrouillé d'une fracture "
        "diaphysaire du fémur gauche, avec greffe osseuse cœur de l'œuvre",
        remarks="Anesthésiste prévenu « risque hémorragique »",
    ),
)


def bed(
    room: str,
    bed_name: str,
    patient: PrintedIdentity | None,
    *,
    allergies: tuple[AllergyLine, ...] = (),
    alerts: tuple[str, ...] = (),
) -> CensusBed:
    """A bed; ``patient=None`` for an empty one."""
    return CensusBed(
        room_name=room,
        bed=bed_name,
        patient=patient,
        admitted_at=datetime(2026, 11, 27, 14, 5) if patient else None,
        allergies=allergies,
        alerts=alerts,
    )


SURGERY_WARD = WardCensus(
    ward_id="ward-ortho",
    name="Chirurgie orthopédique",
    specialty="Orthopédie",
    beds=(
        bed("101", "A", ELEONORE, allergies=(PENICILLIN, LATEX), alerts=("Risque de chute",)),
        bed("101", "B", None),
        bed("102", "", LONG_NAME, alerts=("Isolement contact (BMR)", "Diabète insulinodépendant")),
        bed("103", "A", FRANCOIS),
        bed("103", "B", None),
    ),
)
MEDICINE_WARD = WardCensus(
    ward_id="ward-med",
    name="Médecine polyvalente",
    specialty="Médecine",
    beds=(bed("201", "A", LOETITIA), bed("202", "A", NOEL)),
)

ELEONORE_SHEET = PatientSheet(
    patient=ELEONORE,
    blood_group="A+",
    allergies=(PENICILLIN, LATEX),
    medications=(
        MedicationLine("Lévothyroxine", "75 µg", "per os", "1 fois/jour le matin"),
        MedicationLine("Énoxaparine", "4 000 UI", "sous-cutanée", "1 fois/jour le soir"),
        MedicationLine("Paracétamol", "1 g", "per os", "toutes les 6 h si douleur"),
    ),
    alerts=("Risque de chute",),
    emergency_contact_phone="06 12 34 56 78",
    stay=StayLine(
        ward_id="ward-ortho",
        ward_name="Chirurgie orthopédique",
        room_name="101",
        bed="A",
        admitted_at=datetime(2026, 11, 27, 14, 5),
        expected_discharge=None,
    ),
    next_case=CASES_ROOM_1[0],
)
FRANCOIS_SHEET = PatientSheet(
    patient=FRANCOIS,
    blood_group=None,
    allergies=(),
    medications=(),
    alerts=(),
    emergency_contact_phone=None,
    stay=StayLine("ward-ortho", "Chirurgie orthopédique", "103", "A", None, None),
    next_case=None,
)
LONG_NAME_SHEET = PatientSheet(
    patient=LONG_NAME,
    blood_group="O-",
    allergies=(AllergyLine("iode", "", "urticaire"),),
    medications=(MedicationLine("Insuline glargine", "", "sous-cutanée", "le soir"),),
    alerts=("Isolement contact (BMR)", "Diabète insulinodépendant"),
    emergency_contact_phone="02 99 00 11 22",
    stay=None,
    next_case=CASES_ROOM_2[0],
)

CALL_LIST = (
    CallEntry(
        patient=LOETITIA,
        phone="06 98 76 54 32",
        case_id="case-9",
        procedure="Arthroscopie du genou gauche",
        status="redirected",
        old_day=DAY,
        old_place="Clinique Saint-Éloi, salle 1",
        new_day=DAY + timedelta(days=1),
        new_place="Hôpital privé Sévigné, Cesson",
    ),
    CallEntry(
        patient=NOEL,
        phone=None,
        case_id="case-10",
        procedure="Cure de hernie inguinale",
        status="postponed",
        old_day=DAY,
        old_place="Clinique Saint-Éloi, salle 2",
        new_day=None,
        new_place="",
    ),
    CallEntry(
        patient=LONG_NAME,
        phone="07 00 00 00 01",
        case_id="case-11",
        procedure="Cholécystectomie cœlioscopique",
        status="redirected",
        old_day=DAY,
        old_place="Clinique Saint-Éloi, salle 3",
        new_day=None,
        new_place="CHU de Rennes, Pontchaillou",
    ),
)

PACKET = PacketData(
    site_id=SITE_ID,
    site_name="Clinique Saint-Éloi",
    site_city="Rennes",
    day=DAY,
    seq=48213,
    source="kit",
    data_as_of=DATA_AS_OF,
    theatres=(
        TheatreList("or-1", "Salle 1", CASES_ROOM_1),
        TheatreList("or-2", "Salle 2 — ambulatoire", CASES_ROOM_2),
        TheatreList("or-3", "Salle 3", ()),
    ),
    wards=(SURGERY_WARD, MEDICINE_WARD),
    sheets=(ELEONORE_SHEET, FRANCOIS_SHEET, LONG_NAME_SHEET),
    call_list=CALL_LIST,
    downtime_ids=("SEC-RNS-0001", "SEC-RNS-0002", "SEC-RNS-0003"),
)
"""The packet every test prints: three theatres (one empty), two wards, three sheets."""

EMPTY_PACKET = replace(PACKET, theatres=(), wards=(), sheets=(), call_list=(), downtime_ids=())
"""A site with nothing to print: every part says so on a page of its own."""


def crowded_ward(beds: int) -> WardCensus:
    """A ward with ``beds`` occupied beds, two to a room, to run over several pages."""
    people = (ELEONORE, LOETITIA, FRANCOIS, LONG_NAME, NOEL)
    return WardCensus(
        ward_id="ward-big",
        name="Soins de suite",
        specialty="SSR",
        beds=tuple(
            bed(f"{300 + index // 2}", "AB"[index % 2], people[index % len(people)])
            for index in range(beds)
        ),
    )
