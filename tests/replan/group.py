"""Two sites with a few cases around a closure of Rennes, written through the journal."""

from datetime import date, timedelta
from pathlib import Path

from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import OperatingTheatre
from bascule.domain.staff import Surgeon
from bascule.store import changes
from bascule.store.database import Database
from bascule.store.migrate import upgrade
from tests.factories import patient, record, site

MONDAY = date(2026, 12, 7)
TUESDAY = MONDAY + timedelta(days=1)


def theatre(site_id: str, number: int) -> OperatingTheatre:
    return OperatingTheatre(
        f"{site_id}-bloc-{number}",
        site_id,
        f"Salle {number}",
        (600, 600, 600, 600, 600, 0, 0),
        ("orthopaedics",),
    )


def case(
    number: int,
    priority: PriorityClass,
    minutes: int,
    booking: Booking | None,
    *,
    listed_on: date = date(2026, 11, 2),
    site_id: str = "rennes",
    status: CaseStatus = CaseStatus.BOOKED,
) -> SurgicalCase:
    return SurgicalCase(
        id=f"c{number}",
        patient_id=f"p{number}",
        site_id=site_id,
        specialty="orthopaedics",
        procedure="Ostéosynthèse",
        expected_minutes=minutes,
        priority=priority,
        listed_on=listed_on,
        release_on=listed_on,
        surgeon_id="s-rennes" if site_id == "rennes" else "s-nantes",
        booking=booking,
        status=status,
    )


def cases() -> list[SurgicalCase]:
    """c1 urgent on Monday; c2, c3 routine on Monday; c4 on Tuesday; c5 done on Monday;
    c6 postponed earlier and waiting; c7 at Nantes on Monday."""
    return [
        case(1, PriorityClass.P1A, 240, Booking(MONDAY, "rennes-bloc-1", 480), listed_on=MONDAY),
        case(2, PriorityClass.P3, 240, Booking(MONDAY, "rennes-bloc-1", 720)),
        case(3, PriorityClass.P4, 120, Booking(MONDAY, "rennes-bloc-2", 480)),
        case(4, PriorityClass.P2, 180, Booking(TUESDAY, "rennes-bloc-2", 480)),
        case(
            5, PriorityClass.P3, 60, Booking(MONDAY, "rennes-bloc-2", 600), status=CaseStatus.DONE
        ),
        case(6, PriorityClass.P2, 90, None, status=CaseStatus.POSTPONED),
        case(7, PriorityClass.P3, 200, Booking(MONDAY, "nantes-bloc-1", 480), site_id="nantes"),
    ]


def build_replan_group(db: Database) -> None:
    """Rennes (two theatres) and Nantes (one), a surgeon each, seven cases."""
    record(db, [changes.site_registered(site("rennes")), changes.site_registered(site("nantes"))])
    record(
        db,
        [
            changes.theatre_registered(theatre("rennes", 1)),
            changes.theatre_registered(theatre("rennes", 2)),
            changes.theatre_registered(theatre("nantes", 1)),
            changes.surgeon_registered(
                Surgeon("s-rennes", "Kerjean", "Loïc", "orthopaedics", ("rennes",), 600)
            ),
            changes.surgeon_registered(
                Surgeon("s-nantes", "Morvan", "Nolwenn", "orthopaedics", ("nantes",), 600)
            ),
        ],
    )
    record(db, [changes.patient_registered(patient(n), "rennes") for n in range(1, 8)])
    record(db, [changes.case_booked(c) for c in cases()])


def replan_env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI tests: this group in a SQLite file."""
    url = f"sqlite:///{tmp_path}/replan.sqlite3"
    db = Database(url)
    upgrade(db)
    build_replan_group(db)
    db.dispose()
    return {
        "BASCULE_DB_URL": url,
        "BASCULE_DATA_DIR": str(tmp_path / "data"),
        "BASCULE_ACTOR": "regulateur-bloc",
        "COLUMNS": "250",
    }
