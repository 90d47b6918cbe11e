from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.domain.nir import make_nir
from bascule.domain.patients import Sex
from bascule.paper.downtime import display_downtime_id, downtime_id
from bascule.paper.model import FormType
from bascule.recovery.forms import (
    CRITICAL_DEFAULT,
    FORM_SPECS,
    FieldError,
    FieldSpec,
    FieldValueError,
    FormError,
    Validated,
    as_typed,
    canonical,
    critical_fields,
    field_spec,
    form_fields,
    parse_value,
    validate,
)

# The incident: 28/11/2026 01:00 to 02/12/2026 01:00, Paris time (UTC+1, no DST change).
WINDOW = (datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
# A window across both DST changes of 2026 (29 March, 25 October).
YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NIR_F_1956_04 = make_nir("2560475056123")  # woman born April 1956 in Paris (75056)


def admission(**changes: str) -> dict[str, str]:
    values = {
        "birth_family_name": "Lefèvre",
        "first_given_name": "Anne",
        "other_given_names": "Marie Claire",
        "birth_date": "03/04/1956",
        "sex": "F",
        "birth_place_insee": "75056",
        "nir": NIR_F_1956_04,
        "downtime_id": display_downtime_id(downtime_id(123)),
        "admitted_at": "30/11/2026 14:05",
        "ward": "Chirurgie B",
    }
    values.update(changes)
    return values


def surgical(**changes: str) -> dict[str, str]:
    values = {
        "case_reference": "C-2026-0042",
        "theatre": "Salle 3",
        "in_room_at": "30/11/2026 08:00",
        "anaesthesia_start_at": "30/11/2026 08:10",
        "incision_at": "30/11/2026 08:40",
        "closure_at": "30/11/2026 10:05",
        "out_of_room_at": "30/11/2026 10:30",
        "surgeon": "Dr Martin",
        "procedure": "Cholécystectomie cœlioscopique",
        "asa_class": "2",
    }
    values.update(changes)
    return values


def medication(**changes: str) -> dict[str, str]:
    values = {
        "drug": "Paracétamol",
        "dose": "1",
        "unit": "g",
        "route": "PO",
        "given_at": "30/11/2026 08:00",
        "given_by": "AB",
        "administered": "oui",
    }
    values.update(changes)
    return values


def check(form_type: FormType, values: dict[str, str], **options: Any) -> Validated:
    window = options.pop("window", WINDOW)
    return validate(form_type, values, window=window, **options)


def only_error(result: Validated, field: str) -> FieldError:
    assert [error.field for error in result.errors] == [field], result.errors
    return result.errors[0]


# -- the forms themselves ------------------------------------------------------------


def test_every_typed_form_type_is_a_returnable_form() -> None:
    assert set(FORM_SPECS) == {
        FormType.ADMISSION,
        FormType.SURGICAL_RECORD,
        FormType.MEDICATION_RECORD,
        FormType.REQUEST,
        FormType.TRANSFER,
    }
    assert all(form_type.returnable for form_type in FORM_SPECS)


@pytest.mark.parametrize("form_type", list(FORM_SPECS))
def test_field_names_are_unique_and_choices_unambiguous(form_type: FormType) -> None:
    specs = form_fields(form_type)
    assert len({spec.name for spec in specs}) == len(specs)
    for spec in specs:
        assert spec.label_fr
        assert spec.label_en
        assert bool(spec.choices) == (spec.kind in ("choice", "sex"))
        for choice in spec.choices:
            for alias in (choice.value, choice.label_fr, choice.label_en, *choice.aliases):
                assert str(parse_value(spec, alias)) == choice.value, (spec.name, alias)


def test_pages_that_are_not_typed_back_have_no_form() -> None:
    with pytest.raises(FormError, match="or_list"):
        form_fields(FormType.OR_LIST)


def test_admission_double_entry_covers_identity_traits_only() -> None:
    assert critical_fields(FormType.ADMISSION, CRITICAL_DEFAULT) == (
        "birth_family_name",
        "first_given_name",
        "other_given_names",
        "used_name",
        "birth_date",
        "sex",
        "birth_place_insee",
        "nir",
    )


def test_medication_double_entry_covers_every_field() -> None:
    every = tuple(spec.name for spec in form_fields(FormType.MEDICATION_RECORD))
    assert critical_fields(FormType.MEDICATION_RECORD) == every


def test_a_form_type_not_marked_critical_is_typed_once() -> None:
    assert critical_fields(FormType.SURGICAL_RECORD) == ()
    assert critical_fields(FormType.ADMISSION, {FormType.TRANSFER}) == ()
    assert "in_room_at" in critical_fields(FormType.SURGICAL_RECORD, {FormType.SURGICAL_RECORD})


def test_a_field_name_is_found_without_its_form() -> None:
    assert field_spec("birth_date").kind == "date"
    assert field_spec("sex", FormType.REQUEST).required is False
    assert field_spec("sex", FormType.ADMISSION).required is True
    with pytest.raises(FormError, match="not a field of the transfer form"):
        field_spec("dose", FormType.TRANSFER)


# -- whole forms -----------------------------------------------------------------------


def test_a_complete_admission_gives_clean_typed_values() -> None:
    result = check(FormType.ADMISSION, admission(birth_family_name="  Lefèvre  "))
    assert result.ok
    values = result.values
    assert values["birth_family_name"] == "Lefèvre"
    assert values["birth_date"] == date(1956, 4, 3)
    assert values["sex"] is Sex.FEMALE
    assert values["nir"] == NIR_F_1956_04
    assert values["downtime_id"] == downtime_id(123)
    assert values["admitted_at"] == datetime(2026, 11, 30, 13, 5, tzinfo=UTC)
    assert values["used_name"] is None


def test_missing_required_fields_are_each_named() -> None:
    result = check(FormType.ADMISSION, {})
    required = [spec.name for spec in form_fields(FormType.ADMISSION) if spec.required]
    assert [error.field for error in result.errors] == required
    assert result.errors[0].message == "Birth family name: required"
    assert result.errors[0].message_fr == "Nom de naissance : obligatoire"


def test_a_draft_may_leave_required_fields_empty_but_not_type_them_wrong() -> None:
    assert check(FormType.ADMISSION, {"birth_family_name": "Dupont"}, partial=True).ok
    result = check(FormType.ADMISSION, {"birth_date": "31/02/1980"}, partial=True)
    assert only_error(result, "birth_date").message.startswith("Birth date: 31/02/1980")
    assert "birth_date" not in result.values


def test_fields_not_on_the_form_are_ignored() -> None:
    result = check(FormType.MEDICATION_RECORD, medication(csrf="x", ward="Chirurgie"))
    assert result.ok
    assert "csrf" not in result.values


def test_a_window_without_time_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        validate(FormType.ADMISSION, {}, window=(datetime(2026, 1, 1), datetime(2026, 1, 2)))


# -- dates and times -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["03/04/1956", "3/4/1956", "1956-04-03", "03.04.1956", "03 04 1956", "03 / 04 / 1956"]
)
def test_dates_are_read_french_or_iso(typed: str) -> None:
    result = check(FormType.ADMISSION, admission(birth_date=typed))
    assert result.values["birth_date"] == date(1956, 4, 3)


@pytest.mark.parametrize("typed", ["31/02/1980", "29/02/2023", "12/13/1980", "00/01/1980"])
def test_impossible_dates_are_refused(typed: str) -> None:
    error = only_error(check(FormType.ADMISSION, admission(birth_date=typed)), "birth_date")
    assert "is not a date that exists" in error.message
    assert "n'est pas une date qui existe" in error.message_fr


def test_a_two_digit_year_asks_for_four() -> None:
    error = only_error(check(FormType.ADMISSION, admission(birth_date="03/04/56")), "birth_date")
    assert "four digits" in error.message


def test_a_birth_date_is_after_1900_and_not_after_the_window() -> None:
    early = check(FormType.ADMISSION, {"birth_date": "31/12/1899"}, partial=True)
    assert only_error(early, "birth_date").message == "Birth date: 31/12/1899 is before 1900"
    # The window ends on 2 December (Paris time): a birth on 1 December is possible...
    assert check(FormType.ADMISSION, {"birth_date": "01/12/2026"}, partial=True).ok
    # ... but not when the window ended on 30 November.
    window = (WINDOW[0], datetime(2026, 11, 30, 12, tzinfo=UTC))
    result = check(FormType.ADMISSION, {"birth_date": "01/12/2026"}, partial=True, window=window)
    assert only_error(result, "birth_date").message == "Birth date: 01/12/2026 is in the future"


@pytest.mark.parametrize(
    "typed",
    [
        "2026-11-30 14:05",
        "30/11/2026 14:05",
        "30/11/2026 14h05",
        "30/11/2026 14 h 05",
        "30/11/2026 à 14h05",
        "30 11 2026 14 05",
        "2026-11-30T14:05",
        "2026-11-30T14:05:00",
        "2026-11-30T13:05:00Z",
        "2026-11-30T14:05:00+01:00",
        "2026-11-30 13:05:00+00:00",
    ],
)
def test_datetimes_are_local_wall_time_or_iso_and_become_utc(typed: str) -> None:
    result = check(FormType.ADMISSION, admission(admitted_at=typed))
    assert result.ok, result.errors
    assert result.values["admitted_at"] == datetime(2026, 11, 30, 13, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "typed", ["01/01/0001 00:30", "31/12/9999 23:59 -14:00", "0001-01-01T00:00+14:00"]
)
def test_years_far_off_are_refused_without_overflowing(typed: str) -> None:
    result = check(FormType.TRANSFER, {"left_at": typed}, partial=True)
    assert "cannot be right" in only_error(result, "left_at").message


def test_a_time_without_minutes_is_on_the_hour() -> None:
    result = check(FormType.ADMISSION, admission(admitted_at="30/11/2026 14h"))
    assert result.values["admitted_at"] == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("30/11/2026", "is not a date and time"),
        ("14:05", "is not a date and time"),
        ("30/11/2026 24:00", "has no such time of day"),
        ("30/11/2026 14:60", "has no such time of day"),
        ("31/11/2026 14:05", "is not a date that exists"),
    ],
)
def test_malformed_datetimes_are_refused(typed: str, problem: str) -> None:
    result = check(FormType.ADMISSION, admission(admitted_at=typed))
    assert problem in only_error(result, "admitted_at").message


@pytest.mark.parametrize(
    ("typed", "message", "french"),
    [
        (
            "27/11/2026 23:59",
            "Given at: 27/11/2026 23:59 is before the incident began (28/11/2026 01:00)",
            "avant le début de l'incident",
        ),
        (
            "02/12/2026 01:01",
            "Given at: 02/12/2026 01:01 is after the end of the incident window (02/12/2026 01:00)",
            "après la fin de la période de l'incident",
        ),
    ],
)
def test_event_times_are_within_the_incident_window(typed: str, message: str, french: str) -> None:
    error = only_error(check(FormType.MEDICATION_RECORD, medication(given_at=typed)), "given_at")
    assert error.message == message
    assert french in error.message_fr


def test_the_window_bounds_are_inside_it() -> None:
    for typed in ("28/11/2026 01:00", "02/12/2026 01:00"):
        assert check(FormType.MEDICATION_RECORD, medication(given_at=typed)).ok


def test_a_time_the_clocks_skipped_is_refused() -> None:
    result = check(FormType.MEDICATION_RECORD, medication(given_at="29/03/2026 02:30"), window=YEAR)
    assert "never happened" in only_error(result, "given_at").message


def test_a_time_the_clocks_repeated_needs_its_offset() -> None:
    typed = "25/10/2026 02:30"
    result = check(FormType.MEDICATION_RECORD, medication(given_at=typed), window=YEAR)
    error = only_error(result, "given_at")
    assert "happened twice" in error.message
    assert "+02:00" in error.message
    assert "+01:00" in error.message
    first = check(FormType.MEDICATION_RECORD, medication(given_at=typed + " +02:00"), window=YEAR)
    second = check(FormType.MEDICATION_RECORD, medication(given_at=typed + "+01:00"), window=YEAR)
    assert first.values["given_at"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second.values["given_at"] == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    spec = field_spec("given_at")
    assert as_typed(spec, second.values["given_at"]) == "25/10/2026 02:30 +01:00"


def test_a_time_kind_reads_hours_and_minutes() -> None:
    spec = FieldSpec("slot", "Heure", "Time", "time")
    assert parse_value(spec, "14h05") == time(14, 5)
    assert parse_value(spec, "7:30") == time(7, 30)
    assert parse_value(spec, "9h") == time(9, 0)
    with pytest.raises(FieldValueError, match="Time: 25:00 has no such time of day"):
        parse_value(spec, "25:00")
    with pytest.raises(FieldValueError, match="is not a time"):
        parse_value(spec, "midi")


# -- order of events -------------------------------------------------------------------


def test_a_complete_surgical_record_is_valid() -> None:
    result = check(FormType.SURGICAL_RECORD, surgical())
    assert result.ok, result.errors
    assert result.values["asa_class"] == 2


def test_an_incision_before_the_patient_is_in_the_room_is_refused() -> None:
    result = check(
        FormType.SURGICAL_RECORD,
        surgical(
            in_room_at="30/11/2026 08:40", anaesthesia_start_at="", incision_at="30/11/2026 08:00"
        ),
    )
    error = only_error(result, "incision_at")
    assert error.message == "Incision: 30/11/2026 08:00 is before In room (30/11/2026 08:40)"
    assert error.message_fr.startswith("Incision : 30/11/2026 08:00 est avant « Entrée salle »")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closure_at": "30/11/2026 08:30"}, "closure_at"),
        ({"out_of_room_at": "30/11/2026 10:00"}, "out_of_room_at"),
        ({"anaesthesia_start_at": "30/11/2026 08:45"}, "incision_at"),
    ],
)
def test_surgical_times_go_in_order(changes: dict[str, str], field: str) -> None:
    only_error(check(FormType.SURGICAL_RECORD, surgical(**changes)), field)


def test_a_missing_time_does_not_break_the_order_check() -> None:
    result = check(
        FormType.SURGICAL_RECORD,
        surgical(incision_at="", closure_at="30/11/2026 07:50"),
    )
    assert "before In room" in only_error(result, "closure_at").message


def test_anaesthesia_may_start_before_the_patient_enters_the_theatre() -> None:
    assert check(FormType.SURGICAL_RECORD, surgical(anaesthesia_start_at="30/11/2026 07:40")).ok


def test_a_result_cannot_come_before_its_request() -> None:
    values = {
        "birth_family_name": "Dupont",
        "first_given_name": "Jean",
        "birth_date": "01/01/1950",
        "prescriber": "Dr Martin",
        "requested_at": "30/11/2026 10:00",
        "urgent": "non",
        "request_kind": "bio",
        "exam": "NFS, CRP",
        "result_received_at": "30/11/2026 09:00",
    }
    only_error(check(FormType.REQUEST, values), "result_received_at")
    values["result_received_at"] = "30/11/2026 10:00"
    assert check(FormType.REQUEST, values).ok


def test_a_transfer_cannot_arrive_before_it_left() -> None:
    values = {
        "from_site": "Clinique du Parc",
        "to_site": "Hôpital Nord",
        "left_at": "30/11/2026 10:00",
        "arrived_at": "30/11/2026 09:59",
        "transport": "ambulance",
        "reason": "Bloc opératoire indisponible",
    }
    only_error(check(FormType.TRANSFER, values), "arrived_at")
    assert check(FormType.TRANSFER, {**values, "arrived_at": ""}).ok


# -- NIR and INSEE code ----------------------------------------------------------------


def test_a_nir_is_accepted_with_spaces_and_stored_normalised() -> None:
    spaced = " ".join([NIR_F_1956_04[:1], NIR_F_1956_04[1:3], NIR_F_1956_04[3:]])
    result = check(FormType.ADMISSION, admission(nir=spaced))
    assert result.values["nir"] == NIR_F_1956_04


def test_a_nir_with_a_wrong_key_is_refused_without_giving_the_right_key() -> None:
    wrong = NIR_F_1956_04[:13] + f"{(int(NIR_F_1956_04[13:]) + 1) % 100:02d}"
    error = only_error(check(FormType.ADMISSION, admission(nir=wrong)), "nir")
    assert error.message.startswith("NIR (social security number): the key")
    assert NIR_F_1956_04[13:] not in error.message


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("25604750561", "has 11 characters"),
        ("5560475056123" + "00", "is not of the form"),
        ("2560075056123" + "00", "birth month 00"),
    ],
)
def test_malformed_nirs_are_refused(typed: str, problem: str) -> None:
    assert problem in only_error(check(FormType.ADMISSION, admission(nir=typed)), "nir").message


def test_a_nir_must_agree_with_sex_birth_year_and_month() -> None:
    result = check(FormType.ADMISSION, admission(sex="M", birth_date="03/05/1957"))
    assert [error.field for error in result.errors] == ["nir", "nir", "nir"]
    text = " ".join(error.message for error in result.errors)
    assert "starts with 2 (female) but the sex typed is M" in text
    assert "year digits 56 do not match the birth year 1957" in text
    assert "month digits 04 do not match the birth month 05" in text


def test_a_nir_with_an_unknown_birth_month_is_not_held_to_the_birth_date() -> None:
    unknown_month = make_nir("2562075056123")
    assert check(FormType.ADMISSION, admission(nir=unknown_month, birth_date="03/04/1949")).ok


def test_a_nir_of_the_other_series_or_an_unknown_sex_is_not_held_to_the_sex() -> None:
    assert check(FormType.ADMISSION, admission(sex="U")).ok
    foreign = make_nir("7560475056123")
    assert check(FormType.ADMISSION, admission(nir=foreign, sex="M")).ok


def test_a_corsican_nir_is_accepted() -> None:
    corsica = make_nir("15604" + "2A004" + "123")
    result = check(FormType.ADMISSION, admission(nir=corsica, sex="M", birth_place_insee="2a004"))
    assert result.ok, result.errors
    assert result.values["birth_place_insee"] == "2A004"


@pytest.mark.parametrize("typed", ["75056", "2A004", "2b033", "99352", "97411", "20004"])
def test_insee_codes_in_every_accepted_shape(typed: str) -> None:
    result = check(FormType.ADMISSION, admission(birth_place_insee=typed))
    assert result.ok
    assert result.values["birth_place_insee"] == typed.upper()


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("7505", "is not an INSEE commune code"),
        ("750560", "is not an INSEE commune code"),
        ("2C004", "is not an INSEE commune code"),
        ("2A0041", "is not an INSEE commune code"),
        ("PARIS", "is not an INSEE commune code"),
        ("00123", "no department 00"),
    ],
)
def test_malformed_insee_codes_are_refused(typed: str, problem: str) -> None:
    result = check(FormType.ADMISSION, admission(birth_place_insee=typed))
    assert problem in only_error(result, "birth_place_insee").message


# -- names, text, identifiers ----------------------------------------------------------


def test_a_digit_in_a_name_is_refused() -> None:
    error = only_error(
        check(FormType.ADMISSION, admission(birth_family_name="DUP0NT")), "birth_family_name"
    )
    assert "0 typed for an O" in error.message


def test_names_keep_hyphens_apostrophes_and_accents() -> None:
    result = check(FormType.ADMISSION, admission(birth_family_name="D’Almeida-Lefèvre"))
    assert result.values["birth_family_name"] == "D'Almeida-Lefèvre"


def test_text_is_limited_in_length_and_control_characters() -> None:
    long = check(FormType.ADMISSION, admission(ward="x" * 101))
    assert "101 characters long, 100 at most" in only_error(long, "ward").message
    bell = check(FormType.ADMISSION, admission(ward="Chir\x07urgie"))
    assert "control character" in only_error(bell, "ward").message


def test_multiline_text_keeps_its_lines_single_line_text_does_not() -> None:
    result = check(
        FormType.ADMISSION, admission(reason=" Chute \r\n  fracture  du col ", ward="A\nB")
    )
    assert result.values["reason"] == "Chute\nfracture du col"
    assert result.values["ward"] == "A B"


@pytest.mark.parametrize("typed", ["D000012320", "d-0000123-20", "D 0000123 20"])
def test_downtime_ids_as_printed_or_compact(typed: str) -> None:
    assert downtime_id(123) == "D000012320"
    assert check(FormType.ADMISSION, admission(downtime_id=typed)).values["downtime_id"] == (
        "D000012320"
    )


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("D-0000123-21", "check digits"), ("D-0000132-20", "check digits"), ("123", "D followed")],
)
def test_mistyped_downtime_ids_are_refused(typed: str, problem: str) -> None:
    result = check(FormType.ADMISSION, admission(downtime_id=typed))
    assert problem in only_error(result, "downtime_id").message


def test_contact_fields_of_the_printed_admission_form() -> None:
    result = check(
        FormType.ADMISSION,
        admission(phone="06 12 34 56 78", postcode="69 003", identity_document="CNI"),
    )
    assert result.ok
    assert result.values["phone"] == "0612345678"
    assert result.values["postcode"] == "69003"
    assert result.values["identity_document"] == "id_card"
    assert (
        check(FormType.ADMISSION, admission(phone="+33 (0)6 12 34 56 78")).values["phone"]
        == "+33612345678"
    )
    assert only_error(check(FormType.ADMISSION, admission(phone="06 12")), "phone")
    assert only_error(check(FormType.ADMISSION, admission(postcode="6900")), "postcode")


# -- doses, units, ranges ----------------------------------------------------------------


@pytest.mark.parametrize(("typed", "dose"), [("2,5", "2.5"), ("0.25", "0.25"), (",5", "0.5")])
def test_doses_take_a_french_comma(typed: str, dose: str) -> None:
    result = check(FormType.MEDICATION_RECORD, medication(dose=typed))
    assert result.values["dose"] == Decimal(dose)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("0", "must be more than 0"),
        ("-1", "must be more than 0"),
        ("1 000", "is not a number"),
        ("500 mg", "is not a number"),
        ("1,000.5", "is not a number"),
        ("deux", "is not a number"),
    ],
)
def test_doses_must_be_positive_numbers(typed: str, problem: str) -> None:
    result = check(FormType.MEDICATION_RECORD, medication(dose=typed))
    assert problem in only_error(result, "dose").message


@pytest.mark.parametrize(
    ("unit", "top"),
    [
        ("mg", "10000"),
        ("g", "50"),
        ("µg", "10000"),
        ("mcg", "10000"),
        ("mL", "5000"),
        ("UI", "100000"),
    ],
)
def test_each_unit_has_a_plausible_maximum(unit: str, top: str) -> None:
    assert check(FormType.MEDICATION_RECORD, medication(dose=top, unit=unit)).ok
    over = str(Decimal(top) + Decimal("0.5")).replace(".", ",")
    error = only_error(check(FormType.MEDICATION_RECORD, medication(dose=over, unit=unit)), "dose")
    assert "plausible maximum" in error.message
    assert "check the unit and the decimal comma" in error.message


def test_units_and_routes_are_read_from_their_usual_spellings() -> None:
    result = check(FormType.MEDICATION_RECORD, medication(unit="μg", route="sous-cutanee"))
    assert result.values["unit"] == "µg"
    assert result.values["route"] == "SC"
    error = only_error(check(FormType.MEDICATION_RECORD, medication(route="IT")), "route")
    assert "is not one of PO, IV, SC, IM, inhaled, topical, rectal" in error.message


@pytest.mark.parametrize(("typed", "clean"), [("ab", "AB"), ("J.-P. D.", None), ("J.D.", "JD")])
def test_initials_are_two_to_four_letters(typed: str, clean: str | None) -> None:
    result = check(FormType.MEDICATION_RECORD, medication(given_by=typed))
    if clean is None:
        only_error(result, "given_by")
    else:
        assert result.values["given_by"] == clean


@pytest.mark.parametrize("typed", ["J", "ABCDE", "J2"])
def test_initials_out_of_shape_are_refused(typed: str) -> None:
    result = check(FormType.MEDICATION_RECORD, medication(given_by=typed))
    assert "initials are 2 to 4 letters" in only_error(result, "given_by").message


def test_a_dose_not_given_needs_a_reason_except_in_a_draft() -> None:
    not_given = medication(administered="non")
    only_error(check(FormType.MEDICATION_RECORD, not_given), "not_given_reason")
    assert check(FormType.MEDICATION_RECORD, not_given, partial=True).ok
    assert check(FormType.MEDICATION_RECORD, {**not_given, "not_given_reason": "à jeun"}).ok


@pytest.mark.parametrize(
    ("typed", "problem"), [("0", "at least 1"), ("7", "at most 6"), ("II", "whole")]
)
def test_asa_class_is_1_to_6(typed: str, problem: str) -> None:
    result = check(FormType.SURGICAL_RECORD, surgical(asa_class=typed))
    assert problem in only_error(result, "asa_class").message


# -- canonical form --------------------------------------------------------------------


def test_whitespace_and_case_do_not_matter_accents_do() -> None:
    spec = field_spec("birth_family_name")
    assert canonical(spec, "  le  fèvre ") == canonical(spec, "LE FÈVRE")
    assert canonical(spec, "D ' Almeida - Costa") == canonical(spec, "d’almeida-costa")
    assert canonical(spec, "Lefevre") != canonical(spec, "Lefèvre")


def test_typed_and_clean_values_compare_equal() -> None:
    assert canonical(field_spec("given_at"), "30/11/2026 14h05") == canonical(
        field_spec("given_at"), datetime(2026, 11, 30, 13, 5, tzinfo=UTC)
    )
    assert canonical(field_spec("dose"), "2,50") == canonical(field_spec("dose"), Decimal("2.5"))
    assert canonical(field_spec("sex"), "h") == canonical(field_spec("sex"), Sex.MALE) == "M"
    assert canonical(field_spec("unit"), "mcg") == "µg"
    assert canonical(field_spec("birth_date"), "") == canonical(field_spec("birth_date"), None)


def test_unreadable_strings_are_compared_as_text() -> None:
    spec = field_spec("birth_date")
    assert canonical(spec, "31/02/1980") == canonical(spec, " 31/02/1980")
    assert canonical(spec, "31/02/1980") != canonical(spec, "30/02/1980")


# -- properties ------------------------------------------------------------------------

_FIELD_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789/:-.,hH +ZTaàDé2AB ", max_size=30),
    st.from_regex(
        r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( [0-9]{1,2}[:h][0-9]{2}( ?([+-][0-9]{2}:?[0-9]{2}|Z))?)?",
        fullmatch=True,
    ),
    st.from_regex(r"[+-]?[0-9]{0,12}([.,][0-9]{0,8})?", fullmatch=True),
)


@PROPERTY
@given(st.sampled_from(list(FORM_SPECS)), st.data(), st.booleans())
def test_anything_typed_gives_field_errors_never_an_exception(
    form_type: FormType, data: st.DataObject, partial: bool
) -> None:
    names = [spec.name for spec in form_fields(form_type)]
    values = data.draw(st.dictionaries(st.sampled_from(names), _FIELD_TEXT))
    result = check(form_type, values, partial=partial)
    labels = {spec.name: spec.label_en for spec in form_fields(form_type)}
    for error in result.errors:
        assert isinstance(error, FieldError)
        assert error.message.startswith(labels[error.field] + ":")
        assert error.message_fr
    for spec in form_fields(form_type):
        canonical(spec, values.get(spec.name))
        canonical(spec, result.values.get(spec.name))


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéèêëçôïÉÈ"
_NAMES = st.text(alphabet=_LETTERS + " -'", min_size=1, max_size=30).filter(
    lambda text: any(char in _LETTERS for char in text)
)
_INSEE = st.one_of(
    st.integers(1000, 98999).map(lambda n: f"{n:05d}"),
    st.builds(lambda d, n: f"2{d}{n:03d}", st.sampled_from("AB"), st.integers(1, 999)),
)
_FORMATS = ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %Hh%M", "%Y-%m-%dT%H:%M")


@st.composite
def admissions(draw: st.DrawFn) -> dict[str, str]:
    born = draw(st.dates(date(1900, 1, 1), date(2026, 11, 30)))
    sex = draw(st.sampled_from("MF"))
    insee = draw(_INSEE)
    order = draw(st.integers(1, 999))
    body = f"{'1' if sex == 'M' else '2'}{born.year % 100:02d}{born.month:02d}{insee}{order:03d}"
    nir = make_nir(body)
    admitted = draw(
        st.datetimes(datetime(2026, 11, 28, 1, 0), datetime(2026, 12, 2, 0, 59))
    ).replace(second=0, microsecond=0)
    return {
        "birth_family_name": draw(_NAMES),
        "first_given_name": draw(_NAMES),
        "other_given_names": draw(st.one_of(st.just(""), _NAMES)),
        "used_name": draw(st.one_of(st.just(""), _NAMES)),
        "birth_date": draw(st.sampled_from([f"{born:%d/%m/%Y}", born.isoformat()])),
        "sex": draw(st.sampled_from([sex, sex.lower()])),
        "birth_place_insee": draw(st.sampled_from([insee, insee.lower()])),
        "nir": draw(st.sampled_from([nir, f"{nir[:1]} {nir[1:3]} {nir[3:5]} {nir[5:]}"])),
        "downtime_id": draw(st.integers(1, 9_999_999).map(downtime_id).map(display_downtime_id)),
        "admitted_at": admitted.strftime(draw(st.sampled_from(_FORMATS))),
        "ward": draw(_NAMES),
        "reason": draw(st.text(alphabet=_LETTERS + " \n,.", max_size=60)),
    }


@PROPERTY
@given(admissions())
def test_a_valid_admission_round_trips_through_clean_and_canonical_forms(
    typed: dict[str, str],
) -> None:
    first = check(FormType.ADMISSION, typed)
    assert first.ok, first.errors
    specs = form_fields(FormType.ADMISSION)
    retyped = {spec.name: as_typed(spec, first.values[spec.name]) for spec in specs}
    second = check(FormType.ADMISSION, retyped)
    assert second.ok, second.errors
    assert second.values == first.values
    for spec in specs:
        stable = canonical(spec, first.values[spec.name])
        assert canonical(spec, typed.get(spec.name)) == stable
        assert canonical(spec, retyped[spec.name]) == stable
        assert canonical(spec, stable) == stable


@PROPERTY
@given(st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 30)))
def test_every_instant_of_the_year_reads_back_from_its_local_typing(moment: datetime) -> None:
    instant = moment.replace(tzinfo=UTC, second=0, microsecond=0)
    spec = field_spec("given_at")
    assert parse_value(spec, as_typed(spec, instant)) == instant
