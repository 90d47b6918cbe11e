"""Deltas between kits: the journal entries since a kit, and the records they changed.

A delta is built from the base kit's manifest (the ids it holds) and the journal entries
after its sequence number, without opening the base kit. Applying it to the base content
gives, record for record, the content of a full kit built at the delta's sequence number.
"""

import json
from collections import defaultdict
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bascule.errors import BasculeError
from bascule.kit.content import (
    CONTENT_SCHEMA,
    Window,
    decode_index,
    downtime_record,
    encode_index,
    index_rows,
    load_records,
    manifest,
    present_ids,
    site_record,
)
from bascule.store import journal
from bascule.store.canonical import canonical_instant

DELTA_SCHEMA = "bascule-kit-delta/1"
_COLLECTION_OF_ENTITY = {
    "patient": "patients",
    "case": "cases",
    "stay": "stays",
    "theatre": "theatres",
    "ward": "wards",
    "surgeon": "staff",
    "oncall": "oncall",
}
# Collections not fed by the journal (plans come from files): always sent whole.
_UNJOURNALED = frozenset({"plans"})


class DeltaMismatchError(BasculeError):
    """A delta applied to content at another sequence number or site."""


@dataclass(frozen=True, slots=True)
class BuiltDelta:
    """A delta's content and the manifest of the kit it brings its base to."""

    content: dict[str, Any]
    manifest: dict[str, Any]


def _touched(entries: list[journal.JournalEntry]) -> dict[str, set[str]]:
    """Ids per collection that the entries changed, directly or through a patient."""
    touched: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        collection = _COLLECTION_OF_ENTITY.get(entry.entity_type)
        if collection is not None:
            touched[collection].add(entry.entity_id)
        if entry.entity_type == "patient":
            continue
        patient_id = json.loads(entry.payload).get("patient_id")
        if isinstance(patient_id, str):
            touched["patients"].add(patient_id)
    return touched


def build_delta(
    session: Session, base: dict[str, Any], window: Window, built_at: datetime
) -> BuiltDelta:
    """The delta from the kit described by manifest ``base`` to the session's journal head."""
    site = str(base["site"])
    base_seq = int(base["seq"])
    seq, _ = journal.head(session)
    entries = [entry for entry in journal.entries_after(session, base_seq) if entry.seq <= seq]
    touched = _touched(entries)
    present = present_ids(session, site, window)
    collections: dict[str, Any] = {}
    for name, ids in present.items():
        had = set(base["ids"].get(name, ()))
        wanted = ids if name in _UNJOURNALED else (touched.get(name, set()) | (ids - had)) & ids
        collections[name] = {
            "keep": sorted(ids),
            "upserts": load_records(session, site, name, wanted),
            "deletes": [],
        }
    patients_changed = touched.get("patients", set())
    upserts = index_rows(session, patients_changed) if patients_changed else []
    still_there = {row[0] for row in upserts}
    content = {
        "schema": DELTA_SCHEMA,
        "site": site_record(session, site),
        "base_seq": base_seq,
        "seq": seq,
        "built_at": canonical_instant(built_at),
        "as_of": window.as_of.isoformat(),
        "horizon": window.describe(),
        "entries": [
            {
                "seq": entry.seq,
                "kind": entry.kind,
                "entity_type": entry.entity_type,
                "entity_id": entry.entity_id,
                "hash": entry.hash,
            }
            for entry in entries
            if entry.site_id in (None, site) or entry.entity_type == "patient"
        ],
        "index": {"upserts": upserts, "deletes": sorted(patients_changed - still_there)},
        "collections": collections,
        "downtime_ids": downtime_record(session, site),
    }
    return BuiltDelta(content, manifest(site, seq, window, present))


def apply_delta(content: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """A new content: ``content`` with ``delta`` applied (neither argument is changed)."""
    if content.get("schema") != CONTENT_SCHEMA or delta.get("schema") != DELTA_SCHEMA:
        raise DeltaMismatchError("not a kit content and a kit delta")
    if delta["site"]["id"] != content["site"]["id"]:
        raise DeltaMismatchError(
            f"delta for site {delta['site']['id']} cannot apply to a kit of {content['site']['id']}"
        )
    if delta["base_seq"] != content["seq"]:
        raise DeltaMismatchError(
            f"delta from sequence {delta['base_seq']} cannot apply to a kit at {content['seq']}"
        )
    result = deepcopy(content)
    for field in ("site", "seq", "built_at", "as_of", "horizon", "downtime_ids"):
        result[field] = deepcopy(delta[field])
    result["index"] = _apply_index(content["index"], delta["index"])
    for name, change in delta["collections"].items():
        records = result["collections"].setdefault(name, {})
        if "keep" in change:
            keep = set(change["keep"])
            for record_id in [rid for rid in records if rid not in keep]:
                del records[record_id]
        for record_id in change["deletes"]:
            records.pop(record_id, None)
        records.update(deepcopy(change["upserts"]))
    return result


def _apply_index(index: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    rows = decode_index(index)
    for row in change["upserts"]:
        rows[row[0]] = list(row)
    for patient_id in change["deletes"]:
        rows.pop(patient_id, None)
    return encode_index(rows[key] for key in sorted(rows))
