"""A tiny two-site group, written through the journal, for kit tests."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bascule.domain.activity import OnCallShift, Visit, VisitKind
from bascule.domain.cases import Booking, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import GenderPolicy, OperatingTheatre, Room, Ward
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.factories import patient, record, site

AS_OF = date(2026, 12, 7)


def theatre(site_id: str, number: int) -> OperatingTheatre:
    return OperatingTheatre(
        f"{site_id}-bloc-{number}",
        site_id,
        f"Salle {number}",
        (600, 600, 600, 600, 600, 240, 0),
        ("orthopaedics",),
    )


def ward(site_id: str) -> Ward:
    rooms = (
        Room("101", "Chambre 101", ("A", "B")),
        Room("102", "Chambre 102", ("A",), GenderPolicy.SINGLE),
    )
    return Ward(f"{site_id}-ortho", site_id, "Orthopédie", "orthopaedics", rooms)


def surgeon(site_ids: tuple[str, ...]) -> Surgeon:
    return Surgeon("s1", "Kerjean", "Loïc", "orthopaedics", site_ids, 540, "02 98 00 00 01")


def stay(number: int, patient_id: str, site_id: str = "rennes", bed: str = "A") -> Stay:
    admitted = datetime(2026, 12, 5, 14, tzinfo=UTC)
    return Stay(
        f"st{number}",
        patient_id,
        site_id,
        f"{site_id}-ortho",
        "101",
        bed,
        admitted,
        admitted + timedelta(days=4),
    )


def case(number: int, patient_id: str, day: date, site_id: str = "rennes") -> SurgicalCase:
    return SurgicalCase(
        id=f"c{number}",
        patient_id=patient_id,
        site_id=site_id,
        specialty="orthopaedics",
        procedure="Prothèse totale de hanche",
        expected_minutes=95,
        priority=PriorityClass.P3,
        listed_on=date(2026, 11, 2),
        release_on=date(2026, 11, 2),
        surgeon_id="s1",
        ccam_code="NEKA020",
        booking=Booking(day, f"{site_id}-bloc-1", 480),
    )


def build_group(db: Database) -> None:
    """rennes and nantes; p0 inpatient at rennes, p1 operated soon, p2 in three weeks."""
    record(db, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))])
    record(
        db,
        [
            changes.theatre_registered(theatre("rennes", 1)),
            changes.theatre_registered(theatre("nantes", 1)),
            changes.ward_registered(ward("rennes")),
            changes.ward_registered(ward("nantes")),
            changes.surgeon_registered(surgeon(("rennes", "nantes"))),
        ],
    )
    record(
        db,
        [changes.patient_registered(patient(n), "rennes") for n in range(3)]
        + [changes.patient_registered(patient(3, "nantes"), "nantes")],
    )
    record(
        db,
        [
            changes.stay_admitted(stay(0, "p0")),
            changes.case_booked(case(1, "p1", AS_OF + timedelta(days=2))),
            changes.case_booked(case(2, "p2", AS_OF + timedelta(days=20))),
        ],
    )


def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI tests: the tiny group in a SQLite file, passphrases, a data dir."""
    url = f"sqlite:///{tmp_path}/group.sqlite3"
    db = Database(url)
    upgrade(db)
    build_group(db)
    db.dispose()
    return {
        "BASCULE_DB_URL": url,
        "BASCULE_DATA_DIR": str(tmp_path / "data"),
        "BASCULE_KIT_PASSPHRASE": "phrase du site de Rennes",
        "BASCULE_GROUP_PASSPHRASE": "phrase de secours du groupe",
        "COLUMNS": "250",  # Rich wraps narrower output
    }


def visit(number: int, patient_id: str, at: datetime, site_id: str = "rennes") -> Visit:
    return Visit(f"v{number}", patient_id, site_id, at, VisitKind.CONSULTATION, "orthopaedics")


def on_call(day: date, surgeon_id: str = "s1", site_id: str = "rennes") -> OnCallShift:
    return OnCallShift(site_id, day, "orthopaedics", surgeon_id)
