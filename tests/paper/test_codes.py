import random
import string
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bascule.paper.codes import (
    FORM_ID_ALPHABET,
    FormCode,
    FormCodeError,
    dark_runs,
    display_form_id,
    new_form_id,
    normalise_form_id,
    qr_modules,
)
from bascule.paper.model import FormType

# What a hand can type in place of an id character: the id alphabet and I, L, O, U.
CHARACTERS = string.digits + string.ascii_uppercase

form_ids = st.randoms(use_true_random=False).map(new_form_id)
# Field text that often holds the payload's separator, escape character and escapes.
awkward = st.sampled_from([":", "%", "%3A", "%25"])
field_text = st.lists(st.characters(codec="utf-8") | awkward).map("".join)
optional_field = st.none() | field_text.filter(bool)
form_codes = st.builds(
    FormCode, st.sampled_from(FormType), form_ids, field_text, optional_field, optional_field
)


@given(form_codes)
def test_payload_round_trips(code: FormCode) -> None:
    payload = code.payload()
    assert len(payload.split(":")) == 7
    assert FormCode.parse(payload) == code


@given(form_ids)
def test_form_id_round_trips_as_displayed_and_typed_in_lower_case(form_id: str) -> None:
    assert len(form_id) == 12
    assert set(form_id) <= set(FORM_ID_ALPHABET)
    typed = display_form_id(form_id).lower()
    assert normalise_form_id(typed) == form_id
    assert normalise_form_id(f" {typed[:6]} {typed[6:]} ") == form_id


def test_seeded_ids_are_reproducible() -> None:
    assert new_form_id(random.Random(42)) == new_form_id(random.Random(42))
    assert new_form_id() != new_form_id()


@given(form_ids)
@settings(max_examples=50)
def test_every_single_character_substitution_is_caught(form_id: str) -> None:
    for position, original in enumerate(form_id):
        for replacement in CHARACTERS.replace(original, ""):
            typo = form_id[:position] + replacement + form_id[position + 1 :]
            with pytest.raises(FormCodeError):
                normalise_form_id(typo)


@given(form_ids)
def test_every_adjacent_transposition_is_caught(form_id: str) -> None:
    for position in range(len(form_id) - 1):
        first, second = form_id[position], form_id[position + 1]
        if first == second:
            continue
        swapped = form_id[:position] + second + first + form_id[position + 2 :]
        with pytest.raises(FormCodeError):
            normalise_form_id(swapped)


@given(st.text(st.sampled_from(FORM_ID_ALPHABET + "-"), max_size=30))
def test_wrong_length_is_refused_with_the_count(text: str) -> None:
    if len(text.replace("-", "")) == 12:
        return
    with pytest.raises(FormCodeError, match="characters, expected 12"):
        normalise_form_id(text)


@given(form_codes, st.data())
def test_a_tampered_payload_is_refused(code: FormCode, data: st.DataObject) -> None:
    payload = code.payload()
    position = data.draw(st.integers(0, len(payload) - 1), label="position")
    replacement = data.draw(
        st.characters(codec="utf-8").filter(lambda char: char != payload[position]),
        label="replacement",
    )
    tampered = payload[:position] + replacement + payload[position + 1 :]

    # One changed character is a burst of at most 32 bits, which CRC-32 always catches
    # (a change of UTF-8 length escapes it once in 2**32): nothing unprinted reads back.
    with pytest.raises(FormCodeError):
        FormCode.parse(tampered)


@given(st.text(string.ascii_uppercase, min_size=1, max_size=5), form_ids)
def test_an_unknown_form_type_is_refused_by_name(type_name: str, form_id: str) -> None:
    if type_name in {form_type.value for form_type in FormType}:
        return
    body = f"BSC1:{type_name}:{form_id}:rennes::"
    payload = f"{body}:{zlib.crc32(body.encode()):08X}"
    with pytest.raises(FormCodeError, match=f"unknown form type '{type_name}'"):
        FormCode.parse(payload)


def test_foreign_and_malformed_payloads_say_why() -> None:
    with pytest.raises(FormCodeError, match="not a bascule form code"):
        FormCode.parse("https://example.org")
    code = FormCode(FormType.CENSUS, new_form_id(random.Random(1)), "rennes")
    with pytest.raises(FormCodeError, match="checksum does not match"):
        FormCode.parse(code.payload()[:-1] + ("0" if code.payload()[-1] != "0" else "1"))


@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=300))
@settings(max_examples=50)
def test_qr_modules_are_a_square_of_a_qr_version(text: str) -> None:
    modules = qr_modules(text)
    assert modules.dtype == np.bool_
    assert modules.ndim == 2
    assert modules.shape[0] == modules.shape[1]
    assert (modules.shape[0] - 21) % 4 == 0
    # The top-left finder pattern: a dark ring, a light ring, a dark 3x3 centre.
    assert modules[0, :7].all()
    assert not modules[1, 1:6].any()
    assert modules[2:5, 2:5].all()


def covered(modules: np.ndarray) -> np.ndarray:
    """How many runs cover each module."""
    counts = np.zeros(modules.shape, dtype=np.int64)
    for row, first, length in dark_runs(modules):
        assert length > 0
        counts[row, first : first + length] += 1
    return counts


@given(arrays(np.bool_, st.tuples(st.integers(1, 20), st.integers(1, 20))))
@settings(max_examples=50)
def test_dark_runs_cover_exactly_the_dark_modules_in_maximal_runs(modules: np.ndarray) -> None:
    runs = list(dark_runs(modules))
    assert np.array_equal(covered(modules), modules.astype(np.int64))
    ends = {(row, first + length) for row, first, length in runs}
    # No run starts where another ends: two runs that touch would be one rectangle.
    assert not any((row, first) in ends for row, first, _ in runs)


@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=100))
@settings(max_examples=25)
def test_dark_runs_cover_a_real_code(text: str) -> None:
    modules = qr_modules(text)
    assert np.array_equal(covered(modules), modules.astype(np.int64))
