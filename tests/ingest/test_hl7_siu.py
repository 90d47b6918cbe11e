"""French OR scheduling feeds (SIU) booking, rebooking and cancelling surgical cases."""

from datetime import UTC, date, datetime

import pytest

from bascule.ingest.hl7_mapping import Mapped, map_message
from bascule.ingest.hl7_message import Hl7Error, decode, parse_message
from bascule.store import journal
from bascule.store.database import Database
from bascule.store.tables import SurgicalCaseRow
from tests.kit.group import build_group

RECEIVED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PID = "PID|1||IPP1^^^RENNES&&L^PI||LE GOFF-1^Maëlle^^^^^L||19810202|F"


def siu(
    event: str,
    control: str,
    *,
    start: str = "20261214083000",
    minutes: str = "95",
    theatre: str = "rennes-bloc-1",
    surgeon: str = "s1",
    reason: str = "P2^Priorité 2",
) -> str:
    procedure = "NEKA020^Remplacement de l'articulation coxofémorale^CCAM"
    return "\r".join(
        [
            f"MSH|^~\\&|BLOC|RENNES|BASCULE|rennes|20261207081500||SIU^{event}^SIU_S12|{control}"
            "|P|2.5|||AL|NE|FRA|UNICODE UTF-8",
            f"SCH||RDV42||||{reason}|{procedure}",
            PID,
            "RGS|1",
            f"AIS|1||{procedure}|{start}|||{minutes}|min",
            f"AIL|1||{theatre}",
            f"AIP|1||{surgeon}^KERJEAN^Loïc",
        ]
    )


def apply(db: Database, message: str) -> Mapped:
    with db.writing() as session:
        parsed = parse_message(decode(message.encode("utf-8")))
        mapped = map_message(parsed, session, site_id="rennes", received_at=RECEIVED)
        journal.append(session, mapped.changes, actor="hl7-test", at=RECEIVED)
    return mapped


def case(db: Database, case_id: str = "rennes-RDV42") -> SurgicalCaseRow:
    with db.reading() as session:
        row = session.get(SurgicalCaseRow, case_id)
    assert row is not None
    return row


@pytest.fixture
def group(db: Database) -> Database:
    """rennes with theatre rennes-bloc-1, surgeon s1 (orthopaedics), p1 known as IPP1."""
    build_group(db)
    return db


def test_book_reschedule_cancel(group: Database) -> None:
    booked = apply(group, siu("S12", "B1"))
    assert booked.summary == (
        "SIU^S12: booked rennes-RDV42 for p1 (LE GOFF-1 Maëlle): Remplacement de "
        "l'articulation coxofémorale in rennes-bloc-1 2026-12-14 08:30 (95 min), Dr Loïc KERJEAN"
    )
    row = case(group)
    assert (row.patient_id, row.surgeon_id, row.specialty) == ("p1", "s1", "orthopaedics")
    assert (row.ccam_code, row.expected_minutes, row.priority) == ("NEKA020", 95, "P2")
    assert (row.booked_day, row.booked_theatre_id, row.booked_start_minute) == (
        date(2026, 12, 14),
        "rennes-bloc-1",
        8 * 60 + 30,
    )
    assert (row.listed_on, row.status, row.due_on) == (
        date(2026, 12, 7),
        "booked",
        date(2027, 1, 4),
    )

    # S13: another day and time, given with an offset.
    rebooked = apply(group, siu("S13", "B2", start="20261216133000+0100", minutes="2", reason=""))
    assert rebooked.summary.startswith("SIU^S13: rebooked rennes-RDV42")
    row = case(group)
    assert (row.booked_day, row.booked_start_minute) == (date(2026, 12, 16), 13 * 60 + 30)
    # The priority was not sent again: it stays what it was.
    assert (row.expected_minutes, row.priority, row.listed_on) == (2, "P2", date(2026, 12, 7))

    cancelled = apply(group, siu("S15", "B3", reason="ANNUL^Patient hospitalisé ailleurs"))
    assert cancelled.summary == "SIU^S15: cancelled rennes-RDV42 (Patient hospitalisé ailleurs)"
    assert case(group).status == "cancelled"
    again = apply(group, siu("S15", "B4"))
    assert again.summary == "SIU^S15: rennes-RDV42 already cancelled"


@pytest.mark.parametrize(("event", "reason"), [("S17", "deleted"), ("S26", "no-show")])
def test_deletion_and_no_show_cancel(group: Database, event: str, reason: str) -> None:
    apply(group, siu("S12", "B1"))
    mapped = apply(group, siu(event, "B2"))
    assert mapped.summary == f"SIU^{event}: cancelled rennes-RDV42 ({reason})"
    assert case(group).status == "cancelled"


def test_unknown_surgeon_is_named_not_invented(group: Database) -> None:
    mapped = apply(group, siu("S12", "B1", surgeon="RPPS10001"))
    assert mapped.summary.endswith(", Loïc KERJEAN")
    row = case(group)
    # Without a surgeon, the theatre's specialty.
    assert (row.surgeon_id, row.specialty) == (None, "orthopaedics")


def test_new_patients_are_registered_from_pid(group: Database) -> None:
    message = siu("S12", "B1").replace(PID, "PID|1||IPP9^^^R^PI||KERVELLA^Yann||19700707|M")
    mapped = apply(group, message)
    assert [change.kind for change in mapped.changes] == ["patient.registered", "case.booked"]


def refused(db: Database, message: str) -> Hl7Error:
    with pytest.raises(Hl7Error) as caught:
        apply(db, message)
    return caught.value


def test_unknown_theatre_is_refused_at_ail_3(group: Database) -> None:
    error = refused(group, siu("S12", "B1", theatre="SALLE-99^Salle 99"))
    assert (error.ack_code, error.error_code) == ("AE", "103")
    assert (error.segment, error.sequence, error.field) == ("AIL", 1, 3)
    assert "theatre 'SALLE-99' is not a theatre of rennes" in str(error)


@pytest.mark.parametrize(
    ("changes", "code", "where"),
    [
        ({"start": "lundi"}, "102", ("AIS", 1, 4)),
        ({"minutes": "beaucoup"}, "102", ("AIS", 1, 7)),
        ({"minutes": "3000"}, "102", ("AIS", 1, 7)),
    ],
)
def test_bad_slots_are_refused_precisely(
    group: Database, changes: dict[str, str], code: str, where: tuple[str, int, int]
) -> None:
    error = refused(group, siu("S12", "B1", **changes))
    assert (error.error_code, error.segment, error.sequence, error.field) == (code, *where)


def test_missing_appointment_id_and_start(group: Database) -> None:
    error = refused(group, siu("S12", "B1").replace("SCH||RDV42|", "SCH|||"))
    assert (error.error_code, error.segment, error.field) == ("101", "SCH", 2)
    error = refused(group, siu("S12", "B1", start=""))
    assert (error.error_code, error.segment, error.field) == ("101", "AIS", 4)
