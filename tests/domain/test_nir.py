import pytest
from hypothesis import given
from hypothesis import strategies as st

from bascule.domain.errors import InvalidNirError
from bascule.domain.nir import make_nir, nir_key, normalise_nir, validate_nir

departments = st.one_of(
    st.integers(1, 95).map(lambda d: f"{d:02d}").filter(lambda d: d != "20"),
    st.sampled_from(["2A", "2B"]),
)
bodies = st.builds(
    lambda sex, year, month, dep, commune, order: (
        f"{sex}{year:02d}{month:02d}{dep}{commune:03d}{order:03d}"
    ),
    st.sampled_from("12"),
    st.integers(0, 99),
    st.integers(1, 12),
    departments,
    st.integers(1, 999),
    st.integers(1, 999),
)


def test_published_example_key_is_80() -> None:
    assert nir_key("2690549588157") == 80
    assert validate_nir("2 69 05 49 588 157 80") == "269054958815780"


def test_corsica_departments_use_19_and_18_for_the_key() -> None:
    assert nir_key("180012A004003") == 97 - (1800119004003 % 97)
    assert nir_key("180012B004003") == 97 - (1800118004003 % 97)


@given(bodies)
def test_made_nir_always_validates(body: str) -> None:
    assert validate_nir(make_nir(body)) == make_nir(body)


@given(bodies, st.integers(0, 14), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(body: str, position: int, shift: int) -> None:
    nir = make_nir(body)
    if not nir[position].isdigit() or position in (0, 3, 4):
        return  # sex and month typos may give another valid shape; tested elsewhere
    typo = nir[:position] + str((int(nir[position]) + shift) % 10) + nir[position + 1 :]
    with pytest.raises(InvalidNirError):
        validate_nir(typo)


@given(bodies, st.integers(1, 12))
def test_swapping_two_adjacent_digits_is_caught(body: str, position: int) -> None:
    nir = make_nir(body)
    a, b = nir[position], nir[position + 1]
    if a == b or not (a.isdigit() and b.isdigit()):
        return
    swapped = nir[:position] + b + a + nir[position + 2 :]
    with pytest.raises(InvalidNirError):
        validate_nir(swapped)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("26905495881578", "expected 15 characters"),
        ("269054958815781", "wrong key 81, expected 80"),
        ("569054958815780", "not of the form"),
        ("269004958815780", "birth month 00"),
        ("2690549X8815780", "not of the form"),
    ],
)
def test_bad_nir_is_refused_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidNirError, match=message):
        validate_nir(raw)


def test_spaces_dots_and_dashes_are_ignored() -> None:
    assert normalise_nir("2.69.05-49 588 157 80") == "269054958815780"
