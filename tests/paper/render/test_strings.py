"""Dates, times, names and allergies as printed."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bascule.paper.model import AllergyLine
from bascule.paper.render import strings
from bascule.paper.render.identity import spaced_nir
from tests.paper.render.packets import ELEONORE, FRANCOIS, LOETITIA, NOEL, PENICILLIN


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 11, 30), "lundi 30 novembre 2026"),
        (date(2027, 8, 15), "dimanche 15 août 2027"),
        (date(2027, 2, 1), "lundi 1 février 2027"),
    ],
)
def test_days_are_spelled_in_french(day: date, text: str) -> None:
    assert strings.long_day(day) == text


def test_short_and_numeric_days() -> None:
    assert strings.short_day(date(2026, 12, 2)) == "mer. 02/12"
    assert strings.numeric_day(date(2026, 1, 5)) == "05/01/2026"
    assert strings.numeric_day(None) == ""
    assert strings.numeric_moment(None) == ""


def test_stored_instants_print_in_the_groups_wall_time() -> None:
    # Instants are kept in UTC; a nurse reads Paris time, winter (+1) and summer (+2).
    assert strings.numeric_moment(datetime(2026, 11, 27, 13, 5, tzinfo=UTC)) == "27/11/2026 14:05"
    assert strings.numeric_moment(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == "02/07/2026 00:30"
    assert strings.clock_time(datetime(2026, 11, 30, 2, 12, tzinfo=UTC)) == "03:12"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(None, ""), (45, "45 min"), (60, "1 h"), (90, "1 h 30"), (125, "2 h 05")],
)
def test_durations(minutes: int | None, text: str) -> None:
    assert strings.duration(minutes) == text


def test_minutes_of_the_day() -> None:
    assert strings.minute_of_day(7 * 60 + 5) == "07:05"
    assert strings.minute_of_day(None) == ""


def test_birth_name_comes_first_in_capitals() -> None:
    assert strings.family_name(ELEONORE) == "MARTIN ép. DUPONT"
    assert strings.family_name(LOETITIA) == "BŒUF-LÉGARÉ"
    # A used name equal to the birth name is not repeated.
    assert strings.family_name(FRANCOIS) == "LEFÈVRE"
    assert strings.family_name(replace(FRANCOIS, used_name="Roux")) == "LEFÈVRE nom d'usage ROUX"
    assert strings.full_name(ELEONORE) == "MARTIN ép. DUPONT Éléonore Marie"


def test_birth_date_agrees_with_the_sex() -> None:
    assert strings.born_on(ELEONORE) == "née le 03/04/1956"
    assert strings.born_on(replace(FRANCOIS, birth_date=date(1950, 1, 2))) == "né le 02/01/1950"
    assert strings.born_on(NOEL) == "né(e) le 01/01/2001"
    assert strings.born_on(FRANCOIS) == ""


def test_identity_status_and_sex_are_spelled_out() -> None:
    assert strings.identity_status("PROV") == "Identité provisoire"
    assert strings.identity_status("QUAL") == "Identité qualifiée (INS)"
    assert strings.identity_status("") == ""
    assert strings.sex_name("U") == "Indéterminé"


def test_allergies() -> None:
    assert strings.allergy_text(PENICILLIN) == "pénicilline (SÉVÈRE : œdème de Quincke)"
    assert strings.allergy_text(AllergyLine("iode", "", "")) == "iode"
    assert strings.allergies_banner(()) == ""
    assert strings.allergies_banner((PENICILLIN,)).startswith("ALLERGIE : ")


def test_nir_is_grouped_for_reading_aloud() -> None:
    assert spaced_nir("256047511300512") == "2 56 04 75 113 005 12"
    assert spaced_nir(None) == ""
    assert spaced_nir("2560475") == "2560475"


def test_bed_place_leaves_out_what_is_unknown() -> None:
    assert strings.bed_place("Chirurgie", "102", "") == "Chirurgie — chambre 102"
    assert strings.bed_place("Chirurgie", "101", "A") == "Chirurgie — chambre 101 lit A"
    assert strings.bed_place("", "", "") == ""
