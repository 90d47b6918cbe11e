"""Parsing HL7 v2 text as feeds send it, and refusing the rest with a precise error."""

import contextlib
import random
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import hl7
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.ingest.hl7_message import (
    Hl7Error,
    ParsedMessage,
    decode,
    escape,
    parse_hl7_datetime,
    parse_message,
    split,
    split_messages,
    unescape,
)

SEGMENTS = [
    "MSH|^~\\&|PAS|RENNES|BASCULE|rennes|20260312081500+0100||ADT^A01^ADT_A01|CTRL0001|P|2.5"
    "|||AL|NE|FRA|UNICODE UTF-8",
    "EVN|A01|20260312081500+0100",
    "PID|1||IPP123^^^RENNES&&L^PI||LE GOFF^Maëlle^Maëlle Anne^^^^L||19800115|F",
    "PV1|1|I|rennes-ortho^101^A||||||||||||||||V0001",
    "ZBE|MVT1|20260312081500|",
]


def header_of(parsed: ParsedMessage) -> tuple[object, ...]:
    return (
        parsed.text,
        parsed.control_id,
        parsed.sending_application,
        parsed.sending_facility,
        parsed.receiving_facility,
        parsed.message_type,
        parsed.version,
        parsed.sent_at,
    )


def refusal(text: str) -> Hl7Error:
    with pytest.raises(Hl7Error) as caught:
        parse_message(text)
    return caught.value


def test_header_fields_are_read() -> None:
    parsed = parse_message("\r".join(SEGMENTS))
    assert parsed.control_id == "CTRL0001"
    assert parsed.sending_application == "PAS"
    assert parsed.sending_facility == "RENNES"
    assert parsed.receiving_facility == "rennes"
    assert parsed.message_type == "ADT^A01"
    assert parsed.version == "2.5"
    assert parsed.sent_at == datetime(2026, 3, 12, 7, 15, tzinfo=UTC)
    assert parsed.sent_at.utcoffset() == timedelta(hours=1)


def test_fields_are_read_through_typed_segments() -> None:
    parsed = parse_message("\r".join(SEGMENTS))
    pid = parsed.segment("PID")
    assert pid is not None
    assert pid.value(3) == "IPP123"
    assert pid.value(3, 4, 1) == "RENNES"
    assert pid.value(3, 5) == "PI"
    assert pid.value(5, 2) == "Maëlle"
    assert pid.value(5, 7) == "L"
    assert pid.value(99, 3, 2) == ""
    assert [r.value(1) for r in pid.repetitions(3)] == ["IPP123"]
    # Z-segments are kept and reachable.
    assert [segment.id for segment in parsed.all_segments()][-1] == "ZBE"


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n", "\n\r"])
def test_any_segment_separator_gives_the_same_message(separator: str) -> None:
    reference = parse_message("\r".join(SEGMENTS))
    assert header_of(parse_message(separator.join(SEGMENTS))) == header_of(reference)


def test_bom_trailing_spaces_and_blank_lines_are_tolerated() -> None:
    reference = parse_message("\r".join(SEGMENTS))
    messy = "\ufeff" + "\n\n".join(segment + "  " for segment in SEGMENTS) + "\n\n"
    assert header_of(parse_message(messy)) == header_of(reference)


def test_escapes_are_undone() -> None:
    text = "\r".join([SEGMENTS[0], "PID|1||X1||A\\T\\E\\S\\B\\F\\C\\R\\D\\E\\^Jean||19800101|M"])
    pid = parse_message(text).segment("PID")
    assert pid is not None
    assert pid.value(5, 1) == "A&E^B|C~D\\"


@pytest.mark.parametrize(
    ("text", "code", "segment", "field"),
    [
        ("PID|1||X\rMSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5", "100", "PID", None),
        ("MSH|^~|A|B|C|D|2026||ADT^A01|1|P|2.5", "102", "MSH", 2),
        ("MSH|^^\\&|A|B|C|D|2026||ADT^A01|1|P|2.5", "102", "MSH", 2),
        ("MSHA^~\\&A", "102", "MSH", 1),
        ("MSH|^~\\&|A|B|C|D|2026|||1|P|2.5", "101", "MSH", 9),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5", "101", "MSH", 10),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\rpid|1", "100", None, None),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\rMSH|^~\\&|A", "100", "MSH", None),
        ("", "100", None, None),
    ],
)
def test_structural_problems_are_rejected_precisely(
    text: str, code: str, segment: str | None, field: int | None
) -> None:
    error = refusal(text)
    assert (error.ack_code, error.error_code, error.segment, error.field) == (
        "AR",
        code,
        segment,
        field,
    )


def test_garbage_sent_time_is_an_application_error_at_msh_7() -> None:
    error = refusal("MSH|^~\\&|A|B|C|D|yesterday||ADT^A01|1|P|2.5")
    assert (error.ack_code, error.error_code, error.segment, error.field) == ("AE", "102", "MSH", 7)
    assert "MSH-7" in str(error)


# --- character sets --------------------------------------------------------------------


def msh_with_charset(charset: str) -> str:
    return f"MSH|^~\\&|PAS|R|B|rennes|20260312||ADT^A28|C1|P|2.5|||||FRA|{charset}"


@pytest.mark.parametrize(
    ("charset", "codec"),
    [("8859/15", "iso-8859-15"), ("8859/1", "iso-8859-1"), ("UNICODE UTF-8", "utf-8")],
)
def test_declared_charsets_are_honoured(charset: str, codec: str) -> None:
    text = msh_with_charset(charset) + "\rPID|1||X||LŒUILLET^Zoé||19800101|F"
    if codec == "iso-8859-1":
        text = text.replace("Œ", "OE")
    assert decode(text.encode(codec)) == text


def test_without_declaration_utf8_then_latin9() -> None:
    text = "MSH|^~\\&|PAS|R|B|rennes|20260312||ADT^A28|C1|P|2.5\rPID|1||X||ŒDIPE^Zoé"
    assert decode(text.encode("utf-8")) == text
    assert decode(text.encode("iso-8859-15")) == text


def test_bom_means_utf8() -> None:
    text = msh_with_charset("8859/1") + "\rPID|1||X||DUPRÉ^Zoé"
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def test_bytes_the_charset_cannot_read_name_their_offset() -> None:
    head = msh_with_charset("UNICODE UTF-8") + "\rPID|1||X||DUPR"
    with pytest.raises(Hl7Error) as caught:
        decode(head.encode() + b"\xc9^Zo\xe9")
    assert f"byte {len(head)} (0xC9)" in str(caught.value)
    assert (caught.value.segment, caught.value.field) == ("MSH", 18)
    with pytest.raises(Hl7Error, match=r"byte \d+ \(0xE9\) cannot be read as ascii"):
        decode((msh_with_charset("ASCII") + "\rPID|1||X||DUPR").encode() + b"\xe9")


def test_unsupported_charset_is_rejected() -> None:
    with pytest.raises(Hl7Error, match="ISO IR87") as caught:
        decode(msh_with_charset("ISO IR87").encode())
    assert (caught.value.ack_code, caught.value.error_code) == ("AR", "103")


# --- batches ---------------------------------------------------------------------------


def test_batch_files_split_into_their_messages() -> None:
    first = "\r".join(SEGMENTS[:3])
    second = first.replace("CTRL0001", "CTRL0002")
    text = "\n".join(["FHS|^~\\&|PAS", "BHS|^~\\&|PAS", first, second, "BTS|2", "FTS|1"])
    messages = split_messages(text)
    assert [parse_message(m).control_id for m in messages] == ["CTRL0001", "CTRL0002"]
    assert split_messages(first) == [first]


def test_batch_count_must_match() -> None:
    first = "\r".join(SEGMENTS[:3])
    with pytest.raises(Hl7Error, match="BTS-1 announces 3 messages but the batch holds 1"):
        split_messages("\r".join(["BHS|^~\\&|PAS", first, "BTS|3"]))


def test_segments_before_any_msh_are_refused() -> None:
    with pytest.raises(Hl7Error, match="before any MSH") as caught:
        split_messages("PID|1||X\r" + SEGMENTS[0])
    assert caught.value.segment == "PID"
    with pytest.raises(Hl7Error, match="no MSH segment"):
        split_messages("FHS|^~\\&\rFTS|0")


# --- timestamps ------------------------------------------------------------------------

PARIS_WINTER = timezone(timedelta(hours=1))
PARIS_SUMMER = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026", datetime(2026, 1, 1, tzinfo=PARIS_WINTER)),
        ("202607", datetime(2026, 7, 1, tzinfo=PARIS_SUMMER)),
        ("20260312", datetime(2026, 3, 12, tzinfo=PARIS_WINTER)),
        ("2026031208", datetime(2026, 3, 12, 8, tzinfo=PARIS_WINTER)),
        ("202603120815", datetime(2026, 3, 12, 8, 15, tzinfo=PARIS_WINTER)),
        ("20260712081530", datetime(2026, 7, 12, 8, 15, 30, tzinfo=PARIS_SUMMER)),
        ("20260312081530.25", datetime(2026, 3, 12, 8, 15, 30, 250000, tzinfo=PARIS_WINTER)),
        (
            "198908181126+0215",
            datetime(1989, 8, 18, 11, 26, tzinfo=timezone(timedelta(hours=2, minutes=15))),
        ),
        (
            "20260312081530-0500",
            datetime(2026, 3, 12, 8, 15, 30, tzinfo=timezone(-timedelta(hours=5))),
        ),
        ("20260312081530+0000", datetime(2026, 3, 12, 8, 15, 30, tzinfo=UTC)),
        ("", None),
        ("  ", None),
    ],
)
def test_timestamps(text: str, expected: datetime | None) -> None:
    parsed = parse_hl7_datetime(text)
    assert parsed == expected
    if parsed is not None and expected is not None:
        assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    ["yesterday", "2026-03-12", "20261312", "20260230", "202603120860", "2026+2500", "20260"],
)
def test_garbage_timestamps_are_data_type_errors(text: str) -> None:
    with pytest.raises(Hl7Error) as caught:
        parse_hl7_datetime(text)
    assert (caught.value.ack_code, caught.value.error_code) == ("AE", "102")


# --- robustness ------------------------------------------------------------------------


def parse_everything(data: bytes) -> None:
    """The whole reading path; it may refuse, but only with Hl7Error."""
    for text in split_messages(decode(data)):
        parsed = parse_message(text)
        for segment in parsed.all_segments():
            for field in range(8):
                segment.value(field, 2, 1)
                for repetition in segment.repetitions(field):
                    repetition.value(1)
            segment.timestamp(7) if segment.id == "PID" else None


def only_hl7_errors(data: bytes) -> None:
    with contextlib.suppress(Hl7Error):
        parse_everything(data)


@given(st.binary(max_size=2000))
def test_random_bytes_raise_only_hl7_errors(data: bytes) -> None:
    only_hl7_errors(data)
    only_hl7_errors(b"MSH|^~\\&|" + data)


segment_soup = st.lists(
    st.builds(
        lambda segment_id, fields: "|".join([segment_id, *fields]),
        st.sampled_from(["MSH", "PID", "PV1", "EVN", "ZZZ", "FHS", "BTS", "pid", "MS", ""]),
        st.lists(st.text(alphabet="AZ09|^~\\&# .+-\x00é", max_size=12), max_size=12),
    ),
    max_size=12,
)


@given(segment_soup, st.sampled_from(["\r", "\n", "\r\n"]))
def test_segment_soup_raises_only_hl7_errors(segments: list[str], separator: str) -> None:
    only_hl7_errors(separator.join(segments).encode("utf-8"))


@given(st.integers(min_value=0, max_value=len("\r".join(SEGMENTS).encode())))
def test_truncated_messages_raise_only_hl7_errors(cut: int) -> None:
    only_hl7_errors("\r".join(SEGMENTS).encode()[:cut])


@given(st.binary(min_size=1, max_size=50).filter(lambda b: not b.isascii()))
def test_invalid_utf8_is_refused_with_its_offset(noise: bytes) -> None:
    data = "\r".join(SEGMENTS).encode() + b"\rNTE|1||" + noise
    try:
        noise.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(Hl7Error, match=r"byte \d+ \(0x[0-9A-F]{2}\)"):
            decode(data)


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=0))
def test_a_megabyte_of_garbage_is_refused_quickly(seed: int) -> None:
    garbage = random.Random(seed).randbytes(1 << 20)
    started = time.perf_counter()
    only_hl7_errors(garbage)
    only_hl7_errors(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\rNTE|" + garbage)
    only_hl7_errors(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\rNTE|" + garbage.hex().encode())
    assert time.perf_counter() - started < 10


def escaped(text: str) -> str:
    # Escape character first, so the escapes added afterwards are not escaped again.
    for raw, sequence in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\")):
        text = text.replace(raw, sequence)
    return text.replace("~", "\\R\\")


@given(st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=40))
def test_escapes_round_trip(value: str) -> None:
    text = f"{SEGMENTS[0]}\rPID|1||X||{escaped(value)}^Jean||19800101|M"
    pid = parse_message(text).segment("PID")
    assert pid is not None
    assert pid.value(5, 1) == value.strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CAF\\XC3A9\\", "CAFé"),
        ("CAF\\XE9\\", "CAFé"),
        ("\\H\\gras\\N\\", "gras"),
        ("ligne\\.br\\suite", "ligne\nsuite"),
        ("\\Zlocal\\ reste", "\\Zlocal\\ reste"),
        ("fin \\F", "fin \\F"),
    ],
)
def test_unescape_decodes_hex_and_keeps_what_it_does_not_know(raw: str, expected: str) -> None:
    assert unescape(raw, "|^~\\&") == expected


@given(
    st.lists(st.sampled_from(["\r", "\n", "\r\n", "\n\n", "\r\n\r\n  "]), min_size=4, max_size=4)
)
def test_mixed_separators_give_the_same_message(separators: list[str]) -> None:
    text = SEGMENTS[0] + "".join(
        separator + segment for separator, segment in zip(separators, SEGMENTS[1:], strict=True)
    )
    assert header_of(parse_message(text)) == header_of(parse_message("\r".join(SEGMENTS)))


@given(st.integers(min_value=1, max_value=30), st.booleans(), st.sampled_from(["\r", "\n"]))
def test_batches_of_any_size_split(count: int, wrapped: bool, separator: str) -> None:
    messages = [separator.join(SEGMENTS[:3]).replace("CTRL0001", f"C{n}") for n in range(count)]
    lines = (
        messages if not wrapped else ["FHS|^~\\&", "BHS|^~\\&", *messages, f"BTS|{count}", "FTS|1"]
    )
    split = split_messages(separator.join(lines))
    assert [parse_message(text).control_id for text in split] == [f"C{n}" for n in range(count)]


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc"))))
def test_escape_then_unescape_gives_the_text_back(text: str) -> None:
    escaped = escape(text)
    assert not set("|^~&") & set(escaped)
    assert unescape(escaped, "|^~\\&") == text


def test_control_characters_become_spaces_so_the_segment_holds() -> None:
    assert escape("a\rb\nc\x7f") == "a b c "


SAMPLES = Path(__file__).parent.parent / "fixtures" / "hl7v2"
delimited_text = st.text(alphabet="AZ09|^~\\&#$* .é\r", max_size=60)


@given(
    st.lists(st.tuples(st.sampled_from(["PID", "PV1", "ZZZ", "NTE"]), delimited_text), max_size=6),
    st.sampled_from(["|^~\\&", "|^~\\&#", "#$*!%"]),
    delimited_text,
)
def test_messages_are_split_as_python_hl7_splits_them(
    segments: list[tuple[str, str]], delimiters: str, header: str
) -> None:
    text = "\r".join(
        [f"MSH{delimiters}{header}", *(f"{name}{delimiters[0]}{rest}" for name, rest in segments)]
    )
    assert split(text) == hl7.parse(text)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.hl7")), ids=lambda path: path.name)
def test_sample_messages_are_split_as_python_hl7_splits_them(path: Path) -> None:
    for text in split_messages(decode(path.read_bytes())):
        assert parse_message(text).message == hl7.parse(text)
