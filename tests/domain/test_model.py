from datetime import UTC, date, datetime

import pytest

from bascule.domain.cases import Booking, CaseStatus, SurgicalCase
from bascule.domain.errors import DomainError
from bascule.domain.nir import make_nir
from bascule.domain.patients import ClinicalEssentials, IdentityStatus, IdentityTraits, Sex
from bascule.domain.priority import PriorityClass
from bascule.domain.sites import GenderPolicy, OperatingTheatre, Room, Site, Ward
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay


def traits(**overrides: object) -> IdentityTraits:
    values: dict[str, object] = {
        "birth_family_name": "Le Bihan",
        "first_given_name": "Anne-Sophie",
        "birth_date": date(1969, 5, 3),
        "sex": Sex.FEMALE,
        "given_names": ("Anne-Sophie", "Maëlle"),
        "used_name": "Kervella",
        "birth_place_insee": "29232",
        "nir": make_nir("2690529232157"),
        "status": IdentityStatus.QUALIFIED,
    }
    values.update(overrides)
    return IdentityTraits(**values)  # type: ignore[arg-type]


def test_identity_display_uses_the_used_name() -> None:
    assert traits().display_name == "KERVELLA Anne-Sophie"


def test_nir_must_agree_with_sex() -> None:
    with pytest.raises(DomainError, match="does not agree with sex"):
        traits(sex=Sex.MALE)


def test_nir_must_agree_with_birth_year() -> None:
    with pytest.raises(DomainError, match="birth year"):
        traits(birth_date=date(1970, 5, 3))


def test_qualified_identity_needs_a_nir() -> None:
    with pytest.raises(DomainError, match="QUAL"):
        traits(nir=None)


def test_corsican_birth_place_is_accepted_and_nonsense_refused() -> None:
    assert traits(birth_place_insee="2A004").birth_place_insee == "2A004"
    with pytest.raises(DomainError, match="INSEE"):
        traits(birth_place_insee="2C004")


def test_unknown_blood_group_is_refused() -> None:
    with pytest.raises(DomainError, match="blood_group"):
        ClinicalEssentials(blood_group="C+")


def test_site_id_must_be_a_slug() -> None:
    with pytest.raises(DomainError, match="lowercase"):
        Site("Saint Nazaire", "Clinique", "Saint-Nazaire", 47.27, -2.21)


def test_theatre_needs_seven_weekdays() -> None:
    with pytest.raises(DomainError, match="7 weekdays"):
        OperatingTheatre("t1", "rennes", "Salle 1", (600, 600, 600))  # type: ignore[arg-type]


def test_single_room_has_one_bed_and_ward_counts_beds() -> None:
    with pytest.raises(DomainError, match="exactly one bed"):
        Room("101", "101", ("A", "B"), GenderPolicy.SINGLE)
    ward = Ward(
        "w",
        "rennes",
        "Ortho",
        "orthopaedics",
        (Room("101", "101", ("A", "B")), Room("102", "102", ("A",), GenderPolicy.SINGLE)),
    )
    assert ward.bed_count == 3


def test_surgeon_operates_somewhere() -> None:
    with pytest.raises(DomainError, match="no site"):
        Surgeon("s1", "Martin", "Paul", "orthopaedics", ())


def test_stay_cannot_end_before_admission() -> None:
    with pytest.raises(DomainError, match="before admission"):
        Stay(
            "st",
            "p",
            "rennes",
            "w",
            "101",
            "A",
            datetime(2026, 3, 2, tzinfo=UTC),
            expected_discharge=datetime(2026, 3, 1, tzinfo=UTC),
        )


def case(**overrides: object) -> SurgicalCase:
    values: dict[str, object] = {
        "id": "c1",
        "patient_id": "p1",
        "site_id": "rennes",
        "specialty": "orthopaedics",
        "procedure": "Prothèse totale de genou",
        "expected_minutes": 110,
        "priority": PriorityClass.P2,
        "listed_on": date(2026, 3, 1),
        "release_on": date(2026, 3, 1),
        "booking": Booking(date(2026, 3, 10), "rennes-bloc-1", 480),
    }
    values.update(overrides)
    return SurgicalCase(**values)  # type: ignore[arg-type]


def test_case_due_date_derives_from_priority() -> None:
    assert case().due_on == date(2026, 3, 29)


def test_booked_case_needs_a_booking_and_not_before_release() -> None:
    with pytest.raises(DomainError, match="needs a booking"):
        case(booking=None)
    with pytest.raises(DomainError, match="before release"):
        case(release_on=date(2026, 3, 12))
    assert case(booking=None, status=CaseStatus.POSTPONED).booking is None


def test_non_transferable_case_states_why() -> None:
    with pytest.raises(DomainError, match="reason"):
        case(transferable=False)
