from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bascule.errors import BasculeError
from bascule.kit.content import encode_index
from bascule.kit.search import find_patients, normalise, parse_birth_date, within_typo

ROWS = [
    ["p1", "LE GOFF", "", "Maëlle Anne", "1969-05-03", "F", "269052923215701", "Q", "rennes:R1"],
    [
        "p2",
        "BLANCHARD",
        "KERVELLA",
        "Anne-Sophie",
        "1950-04-22",
        "F",
        None,
        "V",
        "nantes:N7 rennes:R2",
    ],
    ["p3", "N'DIAYE", "", "Cœur Joël", "2001-12-31", "M", None, "P", "quimper:Q3"],
    ["p4", "LE GALL", "", "Yann", "1969-05-03", "M", None, "V", "rennes:R4"],
]


def content() -> dict[str, Any]:
    return {"index": encode_index(ROWS), "collections": {"patients": {}}, "site": {"id": "rennes"}}


def ids(query: str) -> list[str]:
    return [match.id for match in find_patients(content(), query)]


def test_name_without_accents_finds_accented_patient() -> None:
    assert ids("maelle le goff") == ["p1"]


def test_one_typo_is_tolerated() -> None:
    assert ids("maelle le gof") == ["p1"]
    assert ids("blanchrad") == ["p2"]


def test_used_and_birth_names_both_match() -> None:
    assert ids("kervella") == ids("blanchard") == ["p2"]


def test_ligature_apostrophe_and_hyphen() -> None:
    assert ids("coeur ndiaye") == ids("coeur n diaye") == ["p3"]
    assert ids("coeur diaye") == ["p3"]
    assert ids("anne sophie") == ["p2"]


def test_birth_date_in_french_or_iso_form() -> None:
    assert sorted(ids("03/05/1969")) == ["p1", "p4"]
    assert sorted(ids("1969-05-03")) == ["p1", "p4"]


def test_nir_with_spaces_and_local_id() -> None:
    assert ids("2 69 05 29 232 157 01") == ["p1"]
    assert ids("n7") == ["p2"]


def test_exact_matches_rank_before_typos() -> None:
    assert ids("le gall")[0] == "p4"


def test_empty_search_is_refused() -> None:
    with pytest.raises(BasculeError, match="empty"):
        find_patients(content(), "  ")


def test_impossible_date_is_not_a_date() -> None:
    assert parse_birth_date("31/02/1990") is None


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=12), st.data())
def test_a_single_edit_is_always_within_typo(word: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(word) - 1))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    edited = word[:position] + letter + word[position + 1 :]
    assert within_typo(edited, word)


@given(st.text(max_size=30))
def test_normalise_is_idempotent_and_ascii(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once.isascii()
