"""Mapping never fails with anything but Hl7Error, whatever a feed puts in its fields.

Valid French messages get random field values (delimiters, NUL, accents, long text);
each one is mapped and journaled on the real database, then rolled back. On PostgreSQL
this also proves that nothing longer than a column reaches the store.
"""

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bascule.ingest.hl7_mapping import map_message
from bascule.ingest.hl7_message import Hl7Error, parse_message
from bascule.store import journal
from bascule.store.database import Database
from tests.ingest.test_hl7_adt import adt, pid, pv1
from tests.ingest.test_hl7_siu import siu
from tests.kit.group import build_group

RECEIVED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MESSAGES = [
    adt("A01", "M1", pid(), pv1("V1", "rennes-ortho^101^B", admitted="20261207")),
    adt("A02", "M2", pid(), pv1("st0", "rennes-ortho^102^A")),
    adt("A03", "M3", pid(), pv1("st0", "")),
    adt("A08", "M4", pid(), pv1("st0", "X^1^2"), "AL1|1|DA|^Latex|U|urticaire"),
    adt("A40", "M5", pid(), "MRG|IPP1"),
    adt("A13", "M6", pid(), pv1("st0", "")),
    siu("S12", "S1"),
    siu("S13", "S2"),
    siu("S15", "S3"),
]
values = st.text(alphabet="AZaz09|^~\\&-+. éŒ\x00", max_size=15) | st.text(
    alphabet="AZ09 ", min_size=20, max_size=300
)
edits = st.lists(st.tuples(st.integers(1, 10), st.integers(1, 50), values), min_size=1, max_size=3)


class _DiscardError(Exception):
    """Leaves the write transaction without committing."""


def edited(message: str, changes: list[tuple[int, int, str]]) -> str:
    segments = [segment.split("|") for segment in message.split("\r")]
    for segment_index, field, value in changes:
        segment = segments[segment_index % len(segments)]
        if segment[0] == "MSH" and field < 12:
            continue  # the header's robustness is the parser's tests' business
        segment.extend([""] * (field + 1 - len(segment)))
        segment[field] = value
    return "\r".join("|".join(segment) for segment in segments)


@pytest.fixture
def group(db: Database) -> Database:
    build_group(db)
    return db


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(MESSAGES), edits)
def test_random_field_values_raise_only_hl7_errors(
    group: Database, message: str, changes: list[tuple[int, int, str]]
) -> None:
    with contextlib.suppress(_DiscardError), group.writing() as session:
        with contextlib.suppress(Hl7Error):
            parsed = parse_message(edited(message, changes))
            mapped = map_message(parsed, session, site_id="rennes", received_at=RECEIVED)
            journal.append(session, mapped.changes, actor="hl7-test", at=RECEIVED)
        raise _DiscardError
