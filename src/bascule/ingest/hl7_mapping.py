"""HL7 v2 messages (ADT, SIU) mapped to the journal changes they stand for.

The mapping only reads the store and returns changes; the caller appends them in its
write transaction. Every data problem raises :class:`Hl7Error` naming its place, so
the sender's acknowledgement says what to fix.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bascule.domain.errors import DomainError
from bascule.ingest import hl7_adt, hl7_siu
from bascule.ingest.hl7_lookup import Reads, StoreReads
from bascule.ingest.hl7_message import (
    ACK_ERROR,
    ACK_REJECT,
    APPLICATION_INTERNAL_ERROR,
    DATA_TYPE_ERROR,
    UNSUPPORTED_EVENT_CODE,
    UNSUPPORTED_MESSAGE_TYPE,
    Hl7Error,
    ParsedMessage,
)
from bascule.ingest.hl7_patient import Workspace
from bascule.store.journal import Change

_EVENTS = {"ADT": hl7_adt.EVENTS, "SIU": hl7_siu.EVENTS}


@dataclass(frozen=True, slots=True)
class Mapped:
    """What a message changes, at which site, and a one-line account of it."""

    changes: list[Change]
    site_id: str
    summary: str


def _site(parsed: ParsedMessage, store: Reads, site_id: str) -> str:
    """The receiving facility (MSH-6) or sending one (MSH-4) when it names a site, else
    the site the feed is configured for."""
    for named in (parsed.receiving_facility, parsed.sending_facility):
        if named and store.site_exists(named):
            return named
    if not store.site_exists(site_id):
        raise Hl7Error(
            f"the feed is configured for site {site_id!r}, which the group does not have",
            ack_code=ACK_ERROR,
            error_code=APPLICATION_INTERNAL_ERROR,
        )
    return site_id


def _event(parsed: ParsedMessage) -> tuple[str, str]:
    code, _, trigger = parsed.message_type.partition("^")
    if not trigger and code == "ADT":
        # Versions before 2.3 could leave the trigger event to EVN-1 only.
        evn = parsed.segment("EVN")
        trigger = evn.value(1) if evn else ""
    return code, trigger


def map_message(
    parsed: ParsedMessage, store: Session | Reads, *, site_id: str, received_at: datetime
) -> Mapped:
    """The journal changes ``parsed`` stands for, read against ``store``.

    ``store`` is a session (read one lookup at a time) or any :class:`Reads`, such as
    the overlay a batch of messages is mapped against.

    ``site_id`` is the site the feed belongs to; MSH-6 or MSH-4 naming another known
    site wins. Unsupported types or events raise :class:`Hl7Error` AR 200/201; data
    problems raise AE with the location of the offending field.
    """
    code, trigger = _event(parsed)
    events = _EVENTS.get(code)
    if events is None:
        supported = ", ".join(
            f"{name}^{event}" for name, table in _EVENTS.items() for event in table
        )
        raise Hl7Error(
            f"MSH-9: message type {parsed.message_type} is not supported (supported: {supported})",
            ack_code=ACK_REJECT,
            error_code=UNSUPPORTED_MESSAGE_TYPE,
            segment="MSH",
            sequence=1,
            field=9,
        )
    handler = events.get(trigger)
    if handler is None:
        raise Hl7Error(
            f"MSH-9: event {code}^{trigger or '(none)'} is not supported "
            f"(supported {code} events: {', '.join(events)})",
            ack_code=ACK_REJECT,
            error_code=UNSUPPORTED_EVENT_CODE,
            segment="MSH",
            sequence=1,
            field=9,
        )
    reads = StoreReads(store) if isinstance(store, Session) else store
    workspace = Workspace(parsed, reads, _site(parsed, reads, site_id), received_at)
    try:
        summary = handler(workspace)
    except DomainError as exc:
        # The mapping checks fields before building domain objects; this is the net.
        raise Hl7Error(str(exc), ack_code=ACK_ERROR, error_code=DATA_TYPE_ERROR) from None
    return Mapped(workspace.changes, workspace.site_id, f"{code}^{trigger}: {summary}")
