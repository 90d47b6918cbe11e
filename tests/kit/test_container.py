from datetime import UTC, datetime
from functools import cache

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.kit.container import (
    KitFormatError,
    KitPassphraseError,
    KitSignatureError,
    SlotKey,
    derive_slot_key,
    open_content,
    parse,
    seal,
    verify_signature,
)

SIGNER = Ed25519PrivateKey.generate()
WHEN = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@cache
def slots() -> list[SlotKey]:
    return [
        derive_slot_key("site", "passe-site-rennes", b"s" * 16, 600_000),
        derive_slot_key("group", "passe-groupe-ouest", b"g" * 16, 600_000),
    ]


def sealed(content: dict[str, object], **extra: object) -> bytes:
    return seal(
        content,
        kind="kit",
        site="rennes",
        seq=42,
        created_at=WHEN,
        slots=slots(),
        signing_key=SIGNER,
        **extra,
    )  # type: ignore[arg-type]


CONTENT = {"patients": {"p1": {"family": "LE GOFF", "given": "Maëlle", "allergies": ["œuf"]}}}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=5, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_any_content_round_trips_with_either_passphrase(content: dict[str, object]) -> None:
    data = sealed(content)
    kit = parse(data)
    verify_signature(kit, SIGNER.public_key())
    assert open_content(kit, "passe-groupe-ouest") == content


def test_header_reveals_only_version_site_sequence_and_time() -> None:
    kit = parse(sealed(CONTENT))
    assert kit.site == "rennes"
    assert kit.seq == 42
    assert kit.created_at == "2026-11-29T09:00:00.000000Z"
    assert b"GOFF" not in sealed(CONTENT)
    assert set(kit.header) == {
        "format",
        "version",
        "type",
        "site",
        "seq",
        "created_at",
        "signer",
        "nonce",
        "slots",
    }


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_flipped_byte_anywhere_fails_verification(data: st.DataObject) -> None:
    original = _reference_file()
    position = data.draw(st.integers(0, len(original) - 1))
    bit = data.draw(st.integers(0, 7))
    damaged = bytearray(original)
    damaged[position] ^= 1 << bit
    with pytest.raises((KitFormatError, KitSignatureError)):
        verify_signature(parse(bytes(damaged)), SIGNER.public_key())


@cache
def _reference_file() -> bytes:
    return sealed(CONTENT)


@pytest.mark.parametrize("keep", [0, 7, 11, 40, 200, -64, -1])
def test_truncated_file_is_refused(keep: int) -> None:
    data = _reference_file()[:keep]
    with pytest.raises((KitFormatError, KitSignatureError)):
        verify_signature(parse(data, "kit.bkit"), SIGNER.public_key(), "kit.bkit")


def test_kit_signed_by_another_key_names_both_keys() -> None:
    other = Ed25519PrivateKey.generate()
    data = seal(
        CONTENT, kind="kit", site="rennes", seq=1, created_at=WHEN, slots=slots(), signing_key=other
    )
    with pytest.raises(KitSignatureError, match=r"signed by key .* not the group key"):
        verify_signature(parse(data), SIGNER.public_key())


def test_wrong_passphrase_is_refused() -> None:
    with pytest.raises(KitPassphraseError, match="wrong passphrase"):
        open_content(parse(_reference_file()), "not the passphrase")


def test_ciphertext_altered_and_resigned_still_fails_to_decrypt() -> None:
    data = bytearray(_reference_file()[:-64])
    data[-20] ^= 0xFF  # inside the ciphertext
    resigned = bytes(data) + SIGNER.sign(bytes(data))
    with pytest.raises(KitFormatError, match="does not decrypt"):
        open_content(parse(resigned), "passe-site-rennes")


def test_weakened_slot_is_refused() -> None:
    with pytest.raises(KitFormatError, match="too few"):
        derive_slot_key("site", "x" * 10, b"s" * 16, 1000)


def test_not_a_kit() -> None:
    with pytest.raises(KitFormatError, match="bad magic"):
        parse(b"%PDF-1.7" + b"\0" * 200)
