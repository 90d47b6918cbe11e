"""ACK messages: header swap, MSA, ERR with location, code and escaped text."""

from datetime import UTC, datetime

import hl7
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bascule.ingest import ack
from bascule.ingest.ack import AckError

AT = datetime(2026, 12, 7, 9, 30, 15, tzinfo=UTC)
ADT = (
    "MSH|^~\\&|PAS|RENNES|BASCULE|GHT|20261207093000+0100||ADT^A01^ADT_A01|MSG0001|P|2.5"
    "|||||FRA|UNICODE UTF-8\r"
    "EVN||20261207093000\r"
    "PID|||IPP1^^^RENNES^PI||Le Goff^Maëlle\r"
)


def fields(text: str, segment: str) -> list[str]:
    """The fields of the first ``segment`` of ``text`` (index = HL7 field number)."""
    for line in text.split("\r"):
        if line.startswith(segment):
            values = line.split("|")
            return [values[0], "|", *values[1:]] if segment == "MSH" else values
    raise AssertionError(f"no {segment} in {text!r}")


def test_read_header_takes_the_fields_an_ack_needs() -> None:
    header = ack.read_header("\ufeff\r\n" + ADT)
    assert header is not None
    assert header.sending_application == "PAS"
    assert header.sending_facility == "RENNES"
    assert header.receiving_application == "BASCULE"
    assert header.receiving_facility == "GHT"
    assert header.type_code == "ADT^A01"
    assert header.trigger == "A01"
    assert header.control_id == "MSG0001"
    assert header.version == "2.5"
    assert header.charset == "UNICODE UTF-8"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PID|1",
        "MSH",
        "MSH1^~\\&|",
        "MSH||",
        "garbage\rMSH|^~\\&|A",
        "MSH|^~\\|A",
        "MSH|^~\\&xPAS|A",
        "MSH|^^\\&|A",
        "MSH|ab\\&|A",
        "MSH ^~\\& A",
    ],
)
def test_read_header_gives_none_without_a_readable_msh(text: str) -> None:
    assert ack.read_header(text) is None


def test_accept_swaps_sender_and_receiver_and_echoes_the_control_id() -> None:
    header = ack.read_header(ADT)
    text = ack.build_ack(header, ack.ACCEPTED, at=AT, control_id="ACK1")
    msh, msa = fields(text, "MSH"), fields(text, "MSA")
    assert msh[3:7] == ["BASCULE", "GHT", "PAS", "RENNES"]
    assert msh[7] == "20261207093015+0000"
    assert msh[9] == "ACK^A01^ACK"
    assert msh[10] == "ACK1"
    assert msh[11] == "P"
    assert msh[12] == "2.5"
    assert msh[18] == "UNICODE UTF-8"
    assert msa == ["MSA", "AA", "MSG0001"]
    assert "ERR" not in text
    assert text.endswith("\r")


def test_the_ack_is_a_message_python_hl7_reads() -> None:
    error = AckError("103", "PID-8: sex 'Q' unknown", "PID", 1, 8)
    text = ack.build_ack(ack.read_header(ADT), ack.ERROR, at=AT, error=error)
    message = hl7.parse(text)
    assert str(message.segment("MSA")[1]) == "AE"
    assert str(message.segment("MSA")[2]) == "MSG0001"
    err = message.segment("ERR")
    assert str(err[2]) == "PID^1^8"
    assert str(err[3]) == "103^Table value not found^HL70357"
    assert str(err[4]) == "E"


def test_err_escapes_delimiters_in_the_user_message() -> None:
    error = AckError("102", "bad value 'a|b^c~d\\e&f'\r\nnext line", "PV1", 1, 3)
    text = ack.build_ack(ack.read_header(ADT), ack.REJECTED, at=AT, error=error)
    err = fields(text, "ERR")
    assert err[8] == "bad value 'a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f'  next line"
    assert len(text.split("\r")) == 4  # MSH, MSA, ERR and the final terminator


def test_err_location_without_field_or_segment() -> None:
    no_field = AckError("100", "segment out of order", "ZBE", 2)
    assert no_field.location == "ZBE^2"
    nowhere = AckError("207", "internal error")
    text = ack.build_ack(ack.read_header(ADT), ack.ERROR, at=AT, error=nowhere)
    assert fields(text, "ERR")[2] == ""


def test_versions_before_2_5_get_the_error_in_err_1() -> None:
    old = ADT.replace("|P|2.5|", "|P|2.3.1|")
    error = AckError("101", "PID-5 missing", "PID", 1, 5)
    err = fields(ack.build_ack(ack.read_header(old), ack.ERROR, at=AT, error=error), "ERR")
    assert err[1] == "PID^1^5^101&Required field missing&HL70357"


def test_the_ack_uses_the_senders_delimiters() -> None:
    custom = "MSH#*~\\&#LAB#SITE#RIS#GHT#20261207##ORU*R01#C9#P#2.5\rOBX#1\r"
    header = ack.read_header(custom)
    error = AckError("102", "value 'x#y*z'", "OBX", 1, 5)
    text = ack.build_ack(header, ack.ERROR, at=AT, error=error)
    assert text.startswith("MSH#*~\\&#RIS#GHT#LAB#SITE#")
    assert "#ACK*R01*ACK#" in text
    assert "\rMSA#AE#C9\r" in text
    assert "OBX*1*5#102*Data type error*HL70357#E" in text
    assert text.split("\r")[2].endswith("#value 'x\\F\\y\\S\\z'")


def test_minimal_ack_when_msh_is_unreadable() -> None:
    error = AckError("100", "no readable MSH segment")
    text = ack.build_ack(None, ack.ERROR, at=AT, error=error)
    assert fields(text, "MSA") == ["MSA", "AR", ""]
    msh = fields(text, "MSH")
    assert msh[2] == "^~\\&"
    assert msh[9] == "ACK"
    assert msh[12] == ack.DEFAULT_VERSION
    assert fields(text, "ERR")[3] == "100^Segment sequence error^HL70357"


def test_control_ids_are_new_each_time_and_fit_hl7_2_5() -> None:
    ids = {ack.new_control_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(value) == 20 for value in ids)


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="acknowledgement code"):
        ack.build_ack(None, "CA", at=AT)


def test_batch_wraps_acks_and_counts_them() -> None:
    one = ack.build_ack(ack.read_header(ADT), ack.ACCEPTED, at=AT)
    text = ack.batch([one, one], at=AT)
    lines = text.split("\r")
    assert lines[0].startswith("BHS|^~\\&|")
    assert lines[-2] == "BTS|2"
    assert text.count("MSA|AA|MSG0001") == 2


def test_encoding_follows_the_declared_charset() -> None:
    assert ack.codec_for("8859/15") == "iso-8859-15"
    assert ack.codec_for("UNICODE UTF-8~8859/1") == "utf-8"
    assert ack.codec_for("KLINGON") is None
    assert ack.encode("é€", "iso-8859-15") == b"\xe9\xa4"
    assert ack.encode("é€", "ascii") == b"??"


@given(st.text())
def test_escaped_text_never_breaks_the_segment(text: str) -> None:
    error = AckError("207", text)
    result = ack.build_ack(ack.read_header(ADT), ack.ERROR, at=AT, error=error)
    segments = result.split("\r")
    assert len(segments) == 4
    err = segments[2].split("|")
    assert len(err) == 9
    assert "^" not in err[8]
    assert "~" not in err[8]
    assert "&" not in err[8]
