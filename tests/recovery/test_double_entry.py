from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.paper.model import FormType
from bascule.recovery.double_entry import (
    DoubleEntry,
    DoubleEntryError,
    ErrorRate,
    Mismatch,
    clerk_error_rates,
    compare,
    resolve,
)
from bascule.recovery.forms import critical_fields, validate
from tests.recovery.test_forms import NIR_F_1956_04 as NIR
from tests.recovery.test_forms import admission as identity
from tests.recovery.test_forms import medication as administration

WINDOW = (datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ADM = FormType.ADMISSION
MAR = FormType.MEDICATION_RECORD
ADM_FIELDS = critical_fields(ADM)
MAR_FIELDS = critical_fields(MAR)


def fields_of(mismatches: tuple[Mismatch, ...]) -> list[str]:
    return [mismatch.field for mismatch in mismatches]


# -- compare ---------------------------------------------------------------------------


def test_identical_typings_have_no_mismatch() -> None:
    assert compare(ADM, identity(), identity(), ADM_FIELDS) == ()


def test_whitespace_case_and_spelling_of_choices_are_not_mismatches() -> None:
    second = identity(
        birth_family_name="  LEFÈVRE ",
        other_given_names="marie   claire",
        sex="f",
        nir=f"{NIR[:1]} {NIR[1:3]} {NIR[3:5]} {NIR[5:]}",
        birth_date="1956-04-03",
        birth_place_insee=" 75056",
    )
    assert compare(ADM, identity(), second, ADM_FIELDS) == ()


def test_an_accent_is_a_mismatch_shown_with_both_typings() -> None:
    mismatches = compare(ADM, identity(), identity(birth_family_name="Lefevre"), ADM_FIELDS)
    assert mismatches == (Mismatch("birth_family_name", "Lefèvre", "Lefevre"),)


def test_an_empty_field_matches_a_missing_one_but_not_a_typed_one() -> None:
    first = identity(used_name="")
    assert "used_name" not in identity()
    assert compare(ADM, first, identity(), ADM_FIELDS) == ()
    assert fields_of(compare(ADM, first, identity(used_name="Martin"), ADM_FIELDS)) == ["used_name"]


def test_only_the_fields_asked_for_are_compared() -> None:
    second = identity(ward="Médecine", admitted_at="30/11/2026 15:05", birth_date="04/03/1956")
    assert fields_of(compare(ADM, identity(), second, ADM_FIELDS)) == ["birth_date"]


def test_clean_values_compare_like_their_typing() -> None:
    clean = validate(MAR, administration(), window=WINDOW).values
    assert compare(MAR, clean, administration(dose="1,0", unit="G"), MAR_FIELDS) == ()
    mismatches = compare(MAR, clean, administration(dose="10"), MAR_FIELDS)
    assert mismatches == (Mismatch("dose", Decimal(1), "10"),)


def test_comparing_a_field_the_form_does_not_have_is_refused() -> None:
    with pytest.raises(DoubleEntryError, match="'dose' is not a field of the admission form"):
        compare(ADM, identity(), identity(), ("dose",))


_VARIANTS: dict[str, list[str | None]] = {
    "birth_family_name": ["Dupont", "DUPONT", " dupont ", "Dupond", "Düpont", "", None],
    "first_given_name": ["Anne", "ANNE", "Ane", ""],
    "birth_date": ["03/04/1956", "1956-04-03", "04/03/1956", "31/02/1956", ""],
    "sex": ["F", "f", "femme", "M", "", None],
    "nir": [NIR, NIR.lower(), "1" + NIR[1:], "", "garbage"],
}


@st.composite
def typings(draw: st.DrawFn) -> dict[str, Any]:
    return {
        name: value
        for name, choices in _VARIANTS.items()
        if (value := draw(st.sampled_from(choices))) is not None
    }


@PROPERTY
@given(typings(), typings())
def test_compare_finds_the_same_fields_either_way_round(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    forward = compare(ADM, first, second, ADM_FIELDS)
    backward = compare(ADM, second, first, ADM_FIELDS)
    assert fields_of(forward) == fields_of(backward)
    assert [(m.first, m.second) for m in forward] == [(m.second, m.first) for m in backward]
    assert compare(ADM, first, first, ADM_FIELDS) == ()


# -- resolve ---------------------------------------------------------------------------


@PROPERTY
@given(typings(), typings())
def test_deciding_first_everywhere_gives_the_first_typing(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    differing = fields_of(compare(ADM, first, second, ADM_FIELDS))
    decisions = dict.fromkeys(differing, "first")
    final = resolve(first, second, decisions, form_type=ADM)
    assert {name: final.get(name) for name in first} == first
    assert compare(ADM, final, first, ADM_FIELDS) == ()


def test_each_field_takes_the_value_decided() -> None:
    first = identity(birth_date="03/04/1956", sex="F", first_given_name="Anne")
    second = identity(birth_date="04/03/1956", sex="M", first_given_name="Ane")
    final = resolve(
        first,
        second,
        {"birth_date": "first", "sex": "second", "first_given_name": "other"},
        {"first_given_name": "Annie"},
        form_type=ADM,
    )
    assert final["birth_date"] == "03/04/1956"
    assert final["sex"] == "M"
    assert final["first_given_name"] == "Annie"
    assert final["ward"] == "Chirurgie B"


def test_fields_typed_once_keep_the_first_typing_or_else_the_second() -> None:
    first = identity(ward="Chirurgie B")
    second = identity(ward="Médecine", reason="Chute")
    final = resolve(first, second, {}, form_type=ADM)
    assert final["ward"] == "Chirurgie B"
    assert final["reason"] == "Chute"


def test_a_differing_field_without_decision_is_named() -> None:
    second = identity(birth_date="04/03/1956", sex="M")
    with pytest.raises(DoubleEntryError) as caught:
        resolve(identity(), second, {"sex": "first"}, form_type=ADM)
    message = str(caught.value)
    assert "birth_date: the two typings differ; choose first, second or other" in message
    assert "sex:" not in message
    assert "1956" not in message  # typed values are patient data: never in an error


def test_other_needs_its_value_and_decisions_must_be_known_words() -> None:
    second = identity(birth_date="04/03/1956", sex="M")
    with pytest.raises(DoubleEntryError) as caught:
        resolve(identity(), second, {"birth_date": "other", "sex": "both"}, {}, form_type=ADM)
    message = str(caught.value)
    assert "birth_date: 'other' was chosen but no value was given" in message
    assert "sex: decision 'both' is not first, second or other" in message


def test_a_decision_on_a_field_that_does_not_differ_is_refused() -> None:
    with pytest.raises(DoubleEntryError, match="ward: the typings do not differ here"):
        resolve(identity(), identity(), {"ward": "second"}, form_type=ADM)
    with pytest.raises(DoubleEntryError, match="sex: the typings do not differ here"):
        resolve(identity(), identity(sex="f"), {"sex": "second"}, form_type=ADM)


def test_without_a_form_type_the_critical_fields_are_found_by_name() -> None:
    # As the re-entry service calls it: the two typings as typed, nothing else.
    second = identity(birth_family_name="LEFÈVRE", ward="Médecine", nir=NIR[:14] + "0")
    with pytest.raises(DoubleEntryError, match="nir: the two typings differ") as caught:
        resolve(identity(), second, {})
    assert "ward" not in str(caught.value)
    final = resolve(identity(), second, {"nir": "first"})
    assert final["nir"] == NIR
    assert final["ward"] == "Chirurgie B"
    drug = resolve(administration(), administration(dose="2"), {"dose": "second"})
    assert drug["dose"] == "2"


def test_explicit_fields_limit_what_is_settled() -> None:
    second = identity(birth_date="04/03/1956", ward="Médecine")
    final = resolve(identity(), second, {"ward": "second"}, fields=("ward",))
    assert final["ward"] == "Médecine"
    assert final["birth_date"] == "03/04/1956"


# -- error rates -----------------------------------------------------------------------


def test_a_double_entry_needs_two_clerks() -> None:
    with pytest.raises(DoubleEntryError, match="needs two clerks"):
        DoubleEntry("alice", "alice", ADM_FIELDS)
    with pytest.raises(DoubleEntryError, match="dose: decided but not among"):
        DoubleEntry("alice", "bob", ADM_FIELDS, {"dose": "first"})
    with pytest.raises(DoubleEntryError, match="sex: decision 'none'"):
        DoubleEntry("alice", "bob", ADM_FIELDS, {"sex": "none"})


def test_error_rates_on_a_worked_example() -> None:
    records = [
        # Alice and Bob type an admission (8 identity fields): the third person keeps
        # Alice's birth date and neither's used name.
        DoubleEntry("alice", "bob", ADM_FIELDS, {"birth_date": "first", "used_name": "other"}),
        # Bob and Carol type an administration (8 fields): Carol's dose is kept.
        DoubleEntry("bob", "carol", MAR_FIELDS, {"dose": "second"}),
        # Carol and Alice agree on everything.
        DoubleEntry("carol", "alice", MAR_FIELDS),
    ]
    assert len(ADM_FIELDS) == len(MAR_FIELDS) == 8
    rates = clerk_error_rates(records)
    assert list(rates) == ["alice", "bob", "carol"]
    assert rates["alice"] == ErrorRate(fields_typed=16, errors=1, forms=2)
    assert rates["bob"] == ErrorRate(fields_typed=16, errors=3, forms=2)
    assert rates["carol"] == ErrorRate(fields_typed=16, errors=0, forms=2)
    assert rates["alice"].rate == pytest.approx(1 / 16)
    assert rates["bob"].rate == pytest.approx(3 / 16)
    assert rates["carol"].rate == 0.0


def test_no_records_no_rates_and_no_fields_no_division() -> None:
    assert clerk_error_rates([]) == {}
    assert ErrorRate(0, 0, 1).rate == 0.0


def test_a_whole_double_entry_from_typing_to_rates() -> None:
    first = identity(birth_family_name="Lefevre", birth_date="03/04/1956")
    second = identity(birth_family_name="Lefèvre", birth_date="03/04/1965")
    mismatches = compare(ADM, first, second, ADM_FIELDS)
    assert fields_of(mismatches) == ["birth_family_name", "birth_date"]
    decisions = {"birth_family_name": "second", "birth_date": "first"}
    final = resolve(first, second, decisions, form_type=ADM)
    assert validate(ADM, final, window=WINDOW).ok
    rates = clerk_error_rates([DoubleEntry("dan", "eve", ADM_FIELDS, decisions)])
    assert rates == {"dan": ErrorRate(8, 1, 1), "eve": ErrorRate(8, 1, 1)}
