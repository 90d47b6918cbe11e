"""ADT events (patient administration) as journal changes.

A stay is keyed by its visit number (PV1-19): a new stay gets the id ``{site}-{visit}``,
and a visit number that is itself the id of a stay of the site (stays created in bascule
and sent back by a feed) finds that stay too. Locations (PV1-3: point of care ^ room ^
bed) name a ward by id, by ``{site}-{code}`` or by name; a code the site does not know
gets a ward registered on the fly, so that a feed's location never blocks an admission.
"""

import hashlib
import re
import unicodedata
from collections.abc import Callable

from bascule.domain.errors import DomainError
from bascule.domain.sites import Ward
from bascule.domain.stays import Stay
from bascule.ingest.hl7_message import (
    REQUIRED_FIELD_MISSING,
    SEGMENT_SEQUENCE_ERROR,
    UNKNOWN_KEY_IDENTIFIER,
    Segment,
)
from bascule.ingest.hl7_patient import MAX_ID, Workspace, identifier, required_segment, who
from bascule.store.changes import (
    patients_merged,
    stay_admission_cancelled,
    stay_admitted,
    stay_discharge_cancelled,
    stay_discharged,
    stay_transferred,
    ward_registered,
)

_UNSPECIFIED_WARD = "non précisé"
_MAX_WARD_ID = 60
_MAX_ROOM = 60
_MAX_BED = 20


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _unknown_ward_id(site_id: str, code: str) -> str:
    prefix = f"{site_id}-hl7-"
    room = _MAX_WARD_ID - len(prefix)
    slug = _slug(code)
    if slug and len(slug) <= room:
        return prefix + slug
    # Too long or nothing readable: keep what fits and tell codes apart by a digest.
    digest = hashlib.sha256(code.encode()).hexdigest()[:8]
    return prefix + "-".join(part for part in (slug[: room - 9].strip("-"), digest) if part)


def _location(ws: Workspace, pv1: Segment, field: int) -> tuple[str, str, str]:
    """Ward id, room and bed of the location at ``field``, registering an unknown ward."""
    code = pv1.value(field, 1) or _UNSPECIFIED_WARD
    room = pv1.within(field, pv1.value(field, 2) or "?", _MAX_ROOM)
    bed = pv1.within(field, pv1.value(field, 3) or "?", _MAX_BED)
    ward = ws.store.ward_id(ws.site_id, code)
    if ward is None:
        ward = _unknown_ward_id(ws.site_id, code)
        if ws.store.ward_id(ws.site_id, ward) is None:
            name = f"{code} (hors référentiel)"[:100]
            ws.changes.append(ward_registered(Ward(ward, ws.site_id, name, "unknown")))
    return ward, room, bed


def _visit(ws: Workspace, pv1: Segment) -> str:
    visit = pv1.value(19, 1)
    if not visit:
        raise pv1.error(19, "visit number missing", code=REQUIRED_FIELD_MISSING)
    return pv1.within(19, visit, MAX_ID - len(ws.site_id) - 1)


def _stay(ws: Workspace, visit: str) -> Stay | None:
    for stay_id in (f"{ws.site_id}-{visit}", visit):
        stay = ws.store.stay_by_id(ws.site_id, stay_id)
        if stay is not None:
            return stay
    return None


def _known_stay(ws: Workspace, pv1: Segment) -> Stay:
    visit = _visit(ws, pv1)
    stay = _stay(ws, visit)
    if stay is None:
        raise pv1.error(
            19, f"no stay with visit number {visit!r} at {ws.site_id}", code=UNKNOWN_KEY_IDENTIFIER
        )
    return stay


def _where(ward: str, room: str, bed: str) -> str:
    return f"{ward} {room} {bed}"


def _move(ws: Workspace, stay: Stay, location: tuple[str, str, str]) -> str | None:
    """Transfer ``stay`` to ``location`` unless it is already there; the move described."""
    ward, room, bed = location
    if (stay.ward_id, stay.room_id, stay.bed) == location:
        return None
    ws.changes.append(
        stay_transferred(
            stay.id, ws.site_id, ward_id=ward, room_id=room, bed=bed, at=ws.event_time()
        )
    )
    return f"from {_where(stay.ward_id, stay.room_id, stay.bed)} to {_where(*location)}"


def _admit(ws: Workspace) -> str:
    patient, _ = ws.upsert_patient(required_segment(ws.parsed, "PID"))
    pv1 = required_segment(ws.parsed, "PV1")
    visit = _visit(ws, pv1)
    location = _location(ws, pv1, 3)
    stay = _stay(ws, visit)
    if stay is not None:
        # The same admission sent again: an update, never a second stay.
        moved = _move(ws, stay, location)
        return f"{who(patient)} already admitted ({stay.id})" + (
            f", moved {moved}" if moved else ""
        )
    admitted = pv1.timestamp(44) or ws.event_time()
    pv2 = ws.parsed.segment("PV2")
    expected = pv2.timestamp(9) if pv2 else None
    try:
        new_stay = Stay(
            f"{ws.site_id}-{visit}", patient.id, ws.site_id, *location, admitted, expected
        )
    except DomainError as exc:
        # Only the expected discharge (PV2-9) can contradict the admission (PV1-44).
        where, field = (pv2, 9) if pv2 is not None else (pv1, 44)
        raise where.error(field, str(exc)) from None
    ws.changes.append(stay_admitted(new_stay))
    return f"admitted {who(patient)} to {_where(*location)}"


def _register(ws: Workspace) -> str:
    patient, done = ws.upsert_patient(required_segment(ws.parsed, "PID"))
    return f"{done} {who(patient)}"


def _update(ws: Workspace) -> str:
    summary = _register(ws)
    pv1 = ws.parsed.segment("PV1")
    if pv1 is None or not pv1.value(19, 1) or not pv1.value(3, 1):
        return summary
    stay = _stay(ws, _visit(ws, pv1))
    # An update about an outpatient visit has no stay to move.
    moved = _move(ws, stay, _location(ws, pv1, 3)) if stay is not None else None
    return summary + (f"; stay {stay.id} moved {moved}" if stay and moved else "")


def _transfer(ws: Workspace) -> str:
    pv1 = required_segment(ws.parsed, "PV1")
    stay = _known_stay(ws, pv1)
    if not pv1.value(3, 1):
        raise pv1.error(3, "new location missing", code=REQUIRED_FIELD_MISSING)
    moved = _move(ws, stay, _location(ws, pv1, 3))
    return f"stay {stay.id} moved {moved}" if moved else f"stay {stay.id} already there"


def _discharge(ws: Workspace) -> str:
    pv1 = required_segment(ws.parsed, "PV1")
    stay = _known_stay(ws, pv1)
    at = pv1.timestamp(45) or ws.event_time()
    if at < stay.admitted_at:
        raise pv1.error(45, f"discharge {at.isoformat()} before admission {stay.admitted_at}")
    ws.changes.append(stay_discharged(stay.id, ws.site_id, at))
    return f"discharged stay {stay.id} at {at.isoformat()}"


def _cancel_admission(ws: Workspace) -> str:
    pv1 = required_segment(ws.parsed, "PV1")
    stay = _stay(ws, _visit(ws, pv1))
    if stay is None:
        # Cancelling what was never recorded (or already cancelled) leaves nothing to do.
        return f"no stay with visit number {pv1.value(19, 1)!r}: nothing to cancel"
    ws.changes.append(stay_admission_cancelled(stay.id, ws.site_id))
    return f"cancelled admission {stay.id}"


def _cancel_discharge(ws: Workspace) -> str:
    stay = _known_stay(ws, required_segment(ws.parsed, "PV1"))
    if stay.discharged_at is None:
        return f"stay {stay.id} is not discharged: nothing to cancel"
    ws.changes.append(stay_discharge_cancelled(stay.id, ws.site_id))
    return f"cancelled discharge of stay {stay.id}"


def _merge(ws: Workspace) -> str:
    """A40: each MRG names the record absorbed by the PID before it."""
    done = []
    pid: Segment | None = None
    for segment in ws.parsed.all_segments():
        if segment.id == "PID":
            pid = segment
        elif segment.id == "MRG":
            if pid is None:
                raise segment.error(1, "MRG without a PID before it", code=SEGMENT_SEQUENCE_ERROR)
            done.append(_merge_pair(ws, pid, segment))
    if not done:
        required_segment(ws.parsed, "MRG")
    return "; ".join(done)


def _merge_pair(ws: Workspace, pid: Segment, mrg: Segment) -> str:
    absorbed_local = identifier(mrg.repetitions(1))
    if not absorbed_local:
        raise mrg.error(1, "prior patient identifier missing", code=REQUIRED_FIELD_MISSING)
    absorbed = ws.patient_by_local_id(absorbed_local)
    if absorbed is None:
        raise mrg.error(
            1,
            f"no patient known as {absorbed_local!r} at {ws.site_id}",
            code=UNKNOWN_KEY_IDENTIFIER,
        )
    survivor, _ = ws.upsert_patient(pid)
    if absorbed.id == survivor.id:
        return f"{absorbed_local} already merged into {who(survivor)}"
    ws.changes.append(patients_merged(survivor.id, absorbed.id, ws.site_id))
    ws.local_index[absorbed_local] = survivor.id
    return f"merged {who(absorbed)} into {who(survivor)}"


EVENTS: dict[str, Callable[[Workspace], str]] = {
    "A01": _admit,
    "A02": _transfer,
    "A03": _discharge,
    "A04": _register,
    "A05": _register,
    "A08": _update,
    "A11": _cancel_admission,
    "A13": _cancel_discharge,
    "A28": _register,
    "A31": _register,
    "A40": _merge,
}
