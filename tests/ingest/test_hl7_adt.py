"""French ADT feeds (IHE PAM France) through the lifecycle of a stay, checked in the tables."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bascule.domain.nir import make_nir
from bascule.ingest.hl7_mapping import Mapped, map_message
from bascule.ingest.hl7_message import Hl7Error, decode, parse_message, split_messages
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.tables import (
    AllergyRow,
    PatientLocalIdRow,
    PatientRow,
    StayRow,
    WardRow,
)
from tests.kit.group import build_group

RECEIVED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NIR = make_nir("2800135238123")
INS = f"{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS"


def msh(event: str, control: str, charset: str = "UNICODE UTF-8") -> str:
    return (
        f"MSH|^~\\&|PAS|RENNES|BASCULE|rennes|20261207081500+0100||ADT^{event}^ADT_A01|{control}"
        f"|P|2.5|||AL|NE|FRA|{charset}|||2.10~2.1^IHE_FR"
    )


def pid(
    ipp: str = "IPP1001",
    *,
    ins: str = INS,
    names: str = "DUPONT^Marie^Marie Claire^^^^L~MARTIN^Marie^^^^^D",
    birth: str = "19800115",
    sex: str = "F",
    phone: str = "06 12 34 56 78",
    status: str = "VALI",
) -> str:
    identifiers = f"{ipp}^^^RENNES&&L^PI" + (f"~{ins}" if ins else "")
    fields = ["PID", "1", "", identifiers, "", names, "", birth, sex, "", ""]
    fields += ["^^Rennes^^35000^FRA^H~^^^^^^BDL^^35238", "", phone]
    fields += [""] * (32 - len(fields)) + [status]
    return "|".join(fields)


def pv1(visit: str, location: str, *, prior: str = "", admitted: str = "", left: str = "") -> str:
    fields = ["PV1", "1", "I", location, "", "", prior] + [""] * 12 + [visit]
    fields += [""] * (44 - len(fields)) + [admitted, left]
    return "|".join(fields)


def adt(event: str, control: str, *segments: str, charset: str = "UNICODE UTF-8") -> str:
    return "\r".join([msh(event, control, charset), f"EVN|{event}|20261207081500+0100", *segments])


def apply(db: Database, *messages: str, codec: str = "utf-8") -> list[Mapped]:
    """Read, map and journal ``messages`` in one transaction, as the MLLP listener does."""
    done = []
    with db.writing() as session:
        for message in messages:
            for text in split_messages(decode(message.encode(codec))):
                parsed = parse_message(text)
                mapped = map_message(parsed, session, site_id="rennes", received_at=RECEIVED)
                journal.append(session, mapped.changes, actor="hl7-test", at=RECEIVED)
                done.append(mapped)
    return done


def refused(db: Database, message: str) -> Hl7Error:
    with db.reading() as session:
        before = journal.count(session)
    with pytest.raises(Hl7Error) as caught:
        apply(db, message)
    with db.reading() as session:
        assert journal.count(session) == before
    return caught.value


@pytest.fixture
def group(db: Database) -> Database:
    """rennes with ward rennes-ortho (rooms 101: A B, 102: A), p0 (IPP0) in st0."""
    build_group(db)
    return db


def patient_at(db: Database, ipp: str) -> PatientRow:
    with db.reading() as session:
        return session.scalars(
            select(PatientRow)
            .join(PatientLocalIdRow, PatientLocalIdRow.patient_id == PatientRow.id)
            .where(PatientLocalIdRow.site_id == "rennes", PatientLocalIdRow.local_id == ipp)
        ).one()


def stay(db: Database, stay_id: str) -> StayRow | None:
    with db.reading() as session:
        return session.get(StayRow, stay_id)


def test_home_address_phone_and_email_become_contact_details(group: Database) -> None:
    with_email = pid(phone="06 12 34 56 78~^NET^Internet^marie.dupont@orange.fr")
    apply(group, adt("A28", "C1", with_email))
    person = patient_at(group, "IPP1001")
    # The home address, not the birth place's (BDL), is where she lives.
    assert (person.city, person.postcode) == ("Rennes", "35000")
    assert (person.phone, person.email) == ("06 12 34 56 78", "marie.dupont@orange.fr")

    # A message without address or phone leaves them as they were.
    bare = pid(phone="").replace("^^Rennes^^35000^FRA^H~", "")
    apply(group, adt("A08", "C2", bare))
    person = patient_at(group, "IPP1001")
    assert (person.city, person.phone, person.email) == (
        "Rennes",
        "06 12 34 56 78",
        "marie.dupont@orange.fr",
    )


def test_stay_lifecycle(group: Database) -> None:
    # A28 in ISO-8859-15, as MSH-18 says.
    (registered,) = apply(
        group,
        adt(
            "A28",
            "M1",
            pid(names="DUPONT^Zoé^Zoé Œnone^^^^L"),
            "NK1|1|DUPONT^Paul|SPO||02 99 11 22 33",
            charset="8859/15",
        ),
        codec="iso-8859-15",
    )
    assert registered.summary.startswith("ADT^A28: registered PH")
    person = patient_at(group, "IPP1001")
    assert (person.birth_family_name, person.first_given_name) == ("DUPONT", "Zoé")
    assert person.given_names == ["Zoé", "Œnone"]
    assert (person.nir, person.identity_status, person.sex) == (NIR, "VALI", "F")
    assert (person.birth_date, person.birth_place_insee) == (date(1980, 1, 15), "35238")
    # Her own phone is a contact detail; her husband's (NK1-5), whom to call.
    assert (person.phone, person.emergency_contact_phone) == ("06 12 34 56 78", "02 99 11 22 33")

    # A01 in UTF-8: the birth name (L) and the used name (D).
    (admitted,) = apply(
        group,
        adt("A01", "M2", pid(), pv1("V2001", "rennes-ortho^101^B", admitted="20261207080000")),
    )
    assert admitted.summary.endswith(
        "admitted " + person.id + " (MARTIN Marie) to rennes-ortho 101 B"
    )
    person = patient_at(group, "IPP1001")
    assert (person.birth_family_name, person.used_name) == ("DUPONT", "MARTIN")
    assert person.given_names == ["Marie", "Claire"]
    current = stay(group, "rennes-V2001")
    assert current is not None
    assert (current.patient_id, current.ward_id, current.room_id, current.bed) == (
        person.id,
        "rennes-ortho",
        "101",
        "B",
    )
    # No offset: Paris wall time (UTC+1 in December).
    assert current.admitted_at.replace(tzinfo=UTC) == datetime(2026, 12, 7, 7, tzinfo=UTC)

    # A02: to room 102; PV1-6 the prior location.
    apply(
        group,
        adt("A02", "M3", pid(), pv1("V2001", "ortho^102^A", prior="rennes-ortho^101^B")),
    )
    current = stay(group, "rennes-V2001")
    assert current is not None
    assert (current.ward_id, current.room_id, current.bed) == ("rennes-ortho", "102", "A")

    # A08: a new phone, and a location the site does not know: a ward on the fly.
    (updated,) = apply(
        group, adt("A08", "M4", pid(phone="07 00 00 00 01"), pv1("V2001", "CARDIO^12^B"))
    )
    assert "updated" in updated.summary
    assert "moved from rennes-ortho 102 A to rennes-hl7-cardio 12 B" in updated.summary
    person = patient_at(group, "IPP1001")
    # Without NK1, whom to call is left as it was.
    assert (person.phone, person.emergency_contact_phone) == ("07 00 00 00 01", "02 99 11 22 33")
    with group.reading() as session:
        ward = session.get(WardRow, "rennes-hl7-cardio")
        assert ward is not None
        assert ward.name == "CARDIO (hors référentiel)"
    current = stay(group, "rennes-V2001")
    assert current is not None
    assert (current.ward_id, current.room_id, current.bed) == ("rennes-hl7-cardio", "12", "B")

    # A03 with its discharge time (PV1-45), A13 cancels it, A11 cancels the admission.
    apply(group, adt("A03", "M5", pid(), pv1("V2001", "", left="20261209110000+0100")))
    current = stay(group, "rennes-V2001")
    assert current is not None
    assert current.discharged_at is not None
    assert current.discharged_at.replace(tzinfo=UTC) == datetime(2026, 12, 9, 10, tzinfo=UTC)
    apply(group, adt("A13", "M6", pid(), pv1("V2001", "")))
    current = stay(group, "rennes-V2001")
    assert current is not None
    assert current.discharged_at is None
    (cancelled,) = apply(group, adt("A11", "M7", pid(), pv1("V2001", "")))
    assert cancelled.summary == "ADT^A11: cancelled admission rennes-V2001"
    assert stay(group, "rennes-V2001") is None
    with group.reading() as session:
        assert journal.verify(session).intact


def test_merge_moves_stays_and_marks_the_absorbed_record(group: Database) -> None:
    apply(
        group,
        adt("A28", "M1", pid()),
        adt("A01", "M2", pid("IPP1002", ins="", status=""), pv1("V3001", "rennes-ortho^101^B")),
    )
    survivor, absorbed = patient_at(group, "IPP1001"), patient_at(group, "IPP1002")
    (merged,) = apply(group, adt("A40", "M3", pid(), "MRG|IPP1002^^^RENNES&&L^PI"))
    assert (
        merged.summary
        == f"ADT^A40: merged {absorbed.id} (MARTIN Marie) into {survivor.id} (MARTIN Marie)"
    )
    current = stay(group, "rennes-V3001")
    assert current is not None
    assert current.patient_id == survivor.id
    with group.reading() as session:
        row = session.get(PatientRow, absorbed.id)
        assert row is not None
        assert row.merged_into == survivor.id
    # The old IPP now leads to the survivor; sending the merge again changes nothing.
    assert patient_at(group, "IPP1002").id == survivor.id
    (again,) = apply(group, adt("A40", "M4", pid(), "MRG|IPP1002^^^RENNES&&L^PI"))
    assert again.summary.endswith("IPP1002 already merged into " + f"{survivor.id} (MARTIN Marie)")


def test_known_patients_keep_their_essentials_and_stays_are_found_by_id(group: Database) -> None:
    # p1 (IPP1) has an allergy in the store; an ADT without AL1 keeps it.
    names = "LE GOFF-1^Maëlle^^^^^L"
    apply(group, adt("A08", "M1", pid("IPP1", ins="", names=names, birth="19810202", status="")))
    with group.reading() as session:
        substances = session.scalars(
            select(AllergyRow.substance).where(AllergyRow.patient_id == "p1")
        ).all()
    assert substances == ["pénicilline"]
    # An AL1 list replaces it; an unknown severity reads as severe.
    al1 = "AL1|1|DA|^Latex|U|urticaire"
    apply(group, adt("A08", "M2", pid("IPP1", ins="", names=names, birth="19810202"), al1))
    with group.reading() as session:
        allergies = session.execute(
            select(AllergyRow.substance, AllergyRow.severity, AllergyRow.reaction).where(
                AllergyRow.patient_id == "p1"
            )
        ).all()
    assert [tuple(a) for a in allergies] == [("Latex", "severe", "urticaire")]
    # A stay made in bascule (st0) is found by its id in PV1-19.
    apply(group, adt("A03", "M3", pid("IPP0", ins="", birth="19800101"), pv1("st0", "")))
    st0 = stay(group, "st0")
    assert st0 is not None
    assert st0.discharged_at is not None


def test_a_patient_known_by_ins_at_another_site_gains_a_local_id(group: Database) -> None:
    apply(group, adt("A28", "M1", pid("IPP1001")))
    first = patient_at(group, "IPP1001")
    nantes = adt("A28", "M2", pid("N-77")).replace("|rennes|", "|nantes|", 1)
    (mapped,) = apply(group, nantes)
    assert mapped.site_id == "nantes"
    assert patient_at(group, "IPP1001").id == first.id
    with group.reading() as session:
        local = session.get(PatientLocalIdRow, ("nantes", "N-77"))
        assert local is not None
        assert local.patient_id == first.id


@pytest.mark.parametrize(
    ("segments", "code", "where", "words"),
    [
        ((pid(birth=""),), "101", ("PID", 1, 7), "birth date missing"),
        ((pid(birth="15/01/1980"),), "102", ("PID", 1, 7), "not an HL7 timestamp"),
        ((pid(ins=INS.replace(NIR, NIR[:-2] + "99")),), "102", ("PID", 1, 3), "wrong key 99"),
        ((pid(sex="M"),), "102", ("PID", 1, 3), "does not agree with sex M"),
        ((pid(ins="", status="QUAL"),), "102", ("PID", 1, 32), "qualified"),
        ((pid(names="^^^^^^L"),), "101", ("PID", 1, 5), "no patient name"),
        ((pid(ipp="", ins=""),), "101", ("PID", 1, 3), "no patient identifier"),
    ],
)
def test_bad_identities_are_refused_precisely(
    group: Database, segments: tuple[str, ...], code: str, where: tuple[str, int, int], words: str
) -> None:
    error = refused(group, adt("A28", "M1", *segments))
    assert (error.ack_code, error.error_code) == ("AE", code)
    assert (error.segment, error.sequence, error.field) == where
    assert words in str(error)


def test_unknown_keys_are_refused_precisely(group: Database) -> None:
    error = refused(group, adt("A02", "M1", pid(), pv1("NOPE", "rennes-ortho^101^B")))
    assert (error.error_code, error.segment, error.field) == ("204", "PV1", 19)
    assert "no stay with visit number 'NOPE' at rennes" in str(error)
    error = refused(group, adt("A40", "M2", pid(), "MRG|GHOST^^^RENNES&&L^PI"))
    assert (error.error_code, error.segment, error.field) == ("204", "MRG", 1)
    assert "no patient known as 'GHOST'" in str(error)
    # The second pair is the faulty one: the location says so.
    two_pairs = adt("A40", "M3", pid("IPP0", ins="", birth="19800101"), "MRG|IPP1", pid(), "MRG|X")
    error = refused(group, two_pairs)
    assert (error.segment, error.sequence, error.field) == ("MRG", 2, 1)


def test_discharge_before_admission_is_refused(group: Database) -> None:
    apply(group, adt("A01", "M1", pid(), pv1("V1", "rennes-ortho^101^B", admitted="20261207")))
    error = refused(group, adt("A03", "M2", pid(), pv1("V1", "", left="20261201")))
    assert (error.error_code, error.segment, error.field) == ("102", "PV1", 45)


def test_unsupported_types_and_events_are_rejected(group: Database) -> None:
    error = refused(group, adt("A01", "M1", pid()).replace("ADT^A01^ADT_A01", "ORU^R01", 1))
    assert (error.ack_code, error.error_code, error.field) == ("AR", "200", 9)
    assert "ORU^R01" in str(error)
    error = refused(group, adt("A60", "M2", pid()))
    assert (error.ack_code, error.error_code) == ("AR", "201")
    error = refused(group, adt("A01", "M3", pv1("V1", "X")))
    assert (error.ack_code, error.error_code, error.segment) == ("AR", "100", "PID")
