"""The store as a batch of messages sees it: read once for the batch, changed in memory.

A batch of HL7 messages is mapped one message after the other against a
:class:`BatchReads`: the rows the batch refers to are read up front, one query per
table (:meth:`BatchReads.prefetch`), anything else on first use, and the changes of each
mapped message are applied to those rows in memory (:meth:`BatchReads.apply`) the way
the projectors will apply them to the tables, so that the second message of a batch sees
what the first one did. Nothing is written here: the caller appends the whole batch to
the journal afterwards.

Every answer must be the one the store would give once the earlier messages of the
batch are written. Where memory cannot tell that for sure (a merge, a patient or local
id claimed twice, two local ids at one site, an INS whose holder depends on the
database's ordering, a ward name only the database's ``lower()`` can compare, a change
this module does not model), :class:`OverlayUnsureError` is raised and the caller
applies the batch message by message against the store instead.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bascule.domain.cases import CaseStatus, SurgicalCase
from bascule.domain.patients import Patient
from bascule.domain.staff import Surgeon
from bascule.domain.stays import Stay
from bascule.ingest import hl7_lookup
from bascule.ingest.hl7_message import Hl7Error, ParsedMessage, Segment
from bascule.ingest.hl7_patient import group_patient_id, identifier, ins_nir, local_id
from bascule.store import kinds
from bascule.store.canonical import parse_instant
from bascule.store.changes import decode_case, decode_patient, decode_stay
from bascule.store.journal import Change
from bascule.store.tables import SiteRow, TheatreRow, WardRow

_Pair = tuple[str, str]


_SITES = select(SiteRow.id)
_MAX_KEPT_ANSWERS = 10_000


class OverlayUnsureError(Exception):
    """The overlay cannot tell what the store would answer: map message by message."""


@dataclass(slots=True)
class _Resources:
    """The wards or theatres of one site (id to name), and the wards the batch registers."""

    names: dict[str, str]
    registered: dict[str, str] = field(default_factory=dict)

    def __contains__(self, resource_id: str) -> bool:
        return resource_id in self.names or resource_id in self.registered


@dataclass(slots=True)
class _Keys:
    """What a batch of messages refers to, gathered before mapping it."""

    pairs: set[_Pair] = field(default_factory=set)
    # The PID segments of each pair: their INS is read only if the pair names nobody.
    people: dict[_Pair, list[Segment]] = field(default_factory=dict)
    stays: set[str] = field(default_factory=set)
    cases: set[str] = field(default_factory=set)
    surgeons: set[str] = field(default_factory=set)
    sites: set[str] = field(default_factory=set)

    def add(self, segment: Segment, site: str) -> None:
        try:
            if segment.id == "PID":
                pair = (site, local_id(segment))
                self.pairs.add(pair)
                self.people.setdefault(pair, []).append(segment)
            elif segment.id == "MRG" and (absorbed := identifier(segment.repetitions(1))):
                self.pairs.add((site, absorbed))
        except Hl7Error:
            return  # the mapping refuses this message: nothing to read for it
        if segment.id == "PV1" and (visit := segment.value(19, 1)):
            self.stays.update((f"{site}-{visit}", visit))
        elif segment.id == "SCH" and (key := segment.value(2, 1) or segment.value(1, 1)):
            self.cases.update((f"{site}-{key}", key))
        elif segment.id == "AIP" and (surgeon := segment.value(3, 1)):
            self.surgeons.add(surgeon)


@dataclass(slots=True)
class Reference:
    """What messages refer to but never change (save the wards they register): sites,
    wards, theatres and surgeons, as read so far."""

    sites: set[str]
    wards: dict[str, _Resources] = field(default_factory=dict)
    theatres: dict[str, _Resources] = field(default_factory=dict)
    specialties: dict[str, list[str]] = field(default_factory=dict)
    surgeons: dict[str, Surgeon | None] = field(default_factory=dict)
    by_name: dict[tuple[str, str, str], str | None] = field(default_factory=dict)

    @property
    def reusable(self) -> bool:
        """True while no ward was registered on top of what was read, and the answers
        kept for codes and surgeons stay few (a feed may send endless unknown codes)."""
        if len(self.by_name) + len(self.surgeons) > _MAX_KEPT_ANSWERS:
            return False
        return not any(resources.registered for resources in self.wards.values())


class ReferenceCache:
    """The :class:`Reference` of the last batch, for the next one if nothing came between.

    Every write goes through the journal, so a journal head that still names the last
    entry of that batch means the reference data is as it was read.
    """

    def __init__(self) -> None:
        self._kept: tuple[Reference, int] | None = None

    def take(self, head_seq: int) -> Reference | None:
        """The kept reference if the journal's head is still ``head_seq``; never twice."""
        kept, self._kept = self._kept, None
        return kept[0] if kept is not None and kept[1] == head_seq else None

    def keep(self, reference: Reference, head_seq: int) -> None:
        """Keep ``reference``, read and committed as of ``head_seq``, if nothing changed it."""
        self._kept = (reference, head_seq) if reference.reusable else None


def _nirs(pids: Iterable[Segment]) -> set[str]:
    found = set()
    for pid in pids:
        try:
            nir = ins_nir(pid)
        except Hl7Error:
            continue  # the mapping refuses this message
        if nir is not None:
            found.add(nir)
    return found


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


class BatchReads:
    """:class:`~bascule.ingest.hl7_lookup.Reads` for one batch, over rows read once."""

    def __init__(self, session: Session, reference: Reference | None = None) -> None:
        self._session = session
        # Sites are never created by a message: read once, whole.
        self.reference = reference or Reference(set(session.connection().scalars(_SITES)))
        self._sites = self.reference.sites
        # What the store would answer now (None: nothing), by key.
        self._patients: dict[str, Patient | None] = {}
        self._local_pairs: dict[str, set[_Pair]] = {}
        self._local_owners: dict[_Pair, str | None] = {}
        self._nir_holders: dict[str, str | None] = {}
        self._unsure_nirs: set[str] = set()
        self._survivors: dict[str, str] = {}
        self._stays: dict[str, Stay | None] = {}
        self._cases: dict[str, SurgicalCase | None] = {}
        self._surgeons = self.reference.surgeons
        self._wards = self.reference.wards
        self._theatres = self.reference.theatres
        self._specialties = self.reference.specialties
        self._by_name = self.reference.by_name

    # --- reading ahead ------------------------------------------------------------------

    def prefetch(self, messages: Iterable[tuple[ParsedMessage, str]]) -> None:
        """Read what ``messages`` (each with the site of its feed) refer to.

        Only saves queries: whatever is missed here is read when first asked for.
        """
        keys = _Keys()
        for parsed, feed_site in messages:
            site = self._site_of(parsed, feed_site)
            keys.sites.add(site)
            for segment in parsed.all_segments():
                keys.add(segment, site)
        self._read_local_owners(keys.pairs)
        people = {owner for pair in keys.pairs if (owner := self._local_owners[pair])}
        # The mapping looks further (INS, then a merged record) only for people unknown
        # by their local id: mostly none, and then no query is spent on it.
        if unknown := {pair for pair in keys.pairs if self._local_owners[pair] is None}:
            nirs = _nirs(pid for pair in unknown for pid in keys.people.get(pair, []))
            self._read_nir_holders(nirs)
            people |= {holder for nir in nirs if (holder := self._nir_holders[nir])}
            derived = {group_patient_id(site, local) for site, local in unknown}
            self._read_survivors(derived)
            people |= {self._survivors[patient_id] for patient_id in derived}
        self._read_patients(people)
        self._read_stays(keys.stays)
        self._read_cases(keys.cases)
        self._read_surgeons(keys.surgeons)
        self._read_resources(keys.sites)

    def _site_of(self, parsed: ParsedMessage, feed_site: str) -> str:
        # hl7_mapping's rule, without its refusal (left to the mapping).
        for named in (parsed.receiving_facility, parsed.sending_facility):
            if named and named in self._sites:
                return named
        return feed_site

    def _read_local_owners(self, pairs: Collection[_Pair]) -> None:
        wanted = [pair for pair in pairs if pair not in self._local_owners]
        owners = hl7_lookup.local_id_owners(self._session, wanted)
        for pair in wanted:
            self._local_owners[pair] = owners.get(pair)

    def _read_nir_holders(self, nirs: Collection[str]) -> None:
        wanted = [nir for nir in nirs if nir not in self._nir_holders]
        holders = hl7_lookup.nir_owners(self._session, wanted)
        for nir in wanted:
            self._nir_holders[nir] = holders.get(nir)

    def _read_survivors(self, patient_ids: Collection[str]) -> None:
        wanted = [patient_id for patient_id in patient_ids if patient_id not in self._survivors]
        # Most records were never merged: one query finds the few chains to follow.
        merged = set(hl7_lookup.merged_among(self._session, wanted))
        for patient_id in wanted:
            self._survivors[patient_id] = (
                hl7_lookup.survivor_of(self._session, patient_id)
                if patient_id in merged
                else patient_id
            )

    def _read_patients(self, patient_ids: Collection[str]) -> None:
        wanted = [patient_id for patient_id in patient_ids if patient_id not in self._patients]
        found = hl7_lookup.patients_with_local_ids(self._session, wanted)
        for patient_id in wanted:
            patient, pairs = found.get(patient_id, (None, []))
            self._patients[patient_id] = patient
            self._local_pairs[patient_id] = set(pairs)
            self._local_owners.update(dict.fromkeys(pairs, patient_id))

    def _read_stays(self, stay_ids: Collection[str]) -> None:
        wanted = [stay_id for stay_id in stay_ids if stay_id not in self._stays]
        found = hl7_lookup.stays_by_id(self._session, wanted)
        self._stays.update({stay_id: found.get(stay_id) for stay_id in wanted})

    def _read_cases(self, case_ids: Collection[str]) -> None:
        wanted = [case_id for case_id in case_ids if case_id not in self._cases]
        found = hl7_lookup.cases_by_id(self._session, wanted)
        self._cases.update({case_id: found.get(case_id) for case_id in wanted})

    def _read_surgeons(self, surgeon_ids: Collection[str]) -> None:
        wanted = [surgeon_id for surgeon_id in surgeon_ids if surgeon_id not in self._surgeons]
        found = hl7_lookup.surgeons_by_id(self._session, wanted)
        self._surgeons.update({surgeon_id: found.get(surgeon_id) for surgeon_id in wanted})

    def _read_resources(self, site_ids: Collection[str]) -> None:
        wanted = [site_id for site_id in site_ids if site_id not in self._wards]
        if not wanted:
            return
        wards = hl7_lookup.resources_of(self._session, WardRow, wanted)
        theatres = hl7_lookup.resources_of(self._session, TheatreRow, wanted)
        for site_id in wanted:
            self._wards[site_id] = _Resources({i: r["name"] for i, r in wards[site_id].items()})
            self._theatres[site_id] = _Resources(
                {i: r["name"] for i, r in theatres[site_id].items()}
            )
            for theatre, row in theatres[site_id].items():
                self._specialties[theatre] = [str(s) for s in row["specialties"] or []]

    # --- Reads ----------------------------------------------------------------------------

    def site_exists(self, site_id: str) -> bool:
        """True when ``site_id`` names a site of the group."""
        return site_id in self._sites

    def patient_by_id(self, patient_id: str) -> Patient | None:
        """The patient ``patient_id``."""
        self._read_patients([patient_id])
        return self._patients[patient_id]

    def patient_by_local_id(self, site_id: str, local_id: str) -> Patient | None:
        """The patient known at ``site_id`` as ``local_id``."""
        owner = self._local_owner((site_id, local_id))
        return None if owner is None else self.patient_by_id(owner)

    def patient_by_nir(self, nir: str) -> Patient | None:
        """The patient (not merged away) whose INS is ``nir``."""
        holder = self._nir_holder(nir)
        return None if holder is None else self.patient_by_id(holder)

    def survivor_of(self, patient_id: str) -> str:
        """The record ``patient_id`` was merged into, following chains of merges."""
        self._read_survivors([patient_id])
        return self._survivors[patient_id]

    def stay_by_id(self, site_id: str, stay_id: str) -> Stay | None:
        """The stay ``stay_id`` if it is at ``site_id``."""
        stay = self._stay(stay_id)
        return stay if stay is not None and stay.site_id == site_id else None

    def case_by_id(self, case_id: str) -> SurgicalCase | None:
        """The surgical case ``case_id``."""
        self._read_cases([case_id])
        return self._cases[case_id]

    def ward_id(self, site_id: str, code: str) -> str | None:
        """The ward of ``site_id`` that ``code`` names."""
        return self._resource(WardRow, site_id, code)

    def theatre_id(self, site_id: str, code: str) -> str | None:
        """The theatre of ``site_id`` that ``code`` names."""
        return self._resource(TheatreRow, site_id, code)

    def theatre_specialties(self, theatre: str) -> list[str]:
        """The specialties a theatre is equipped for (first: its main one)."""
        if theatre not in self._specialties:
            self._specialties[theatre] = hl7_lookup.theatre_specialties(self._session, theatre)
        return self._specialties[theatre]

    def surgeon_by_id(self, surgeon_id: str) -> Surgeon | None:
        """The surgeon ``surgeon_id``."""
        self._read_surgeons([surgeon_id])
        return self._surgeons[surgeon_id]

    def _local_owner(self, pair: _Pair) -> str | None:
        self._read_local_owners([pair])
        return self._local_owners[pair]

    def _nir_holder(self, nir: str) -> str | None:
        if nir in self._unsure_nirs:
            raise OverlayUnsureError(f"which patient holds INS {nir} now")
        self._read_nir_holders([nir])
        return self._nir_holders[nir]

    def _stay(self, stay_id: str) -> Stay | None:
        self._read_stays([stay_id])
        return self._stays[stay_id]

    def _resource(self, model: hl7_lookup.Resource, site_id: str, code: str) -> str | None:
        # hl7_lookup._resource_id over the rows of the site, plus the wards just registered.
        if not code:
            return None
        self._read_resources([site_id])
        resources = (self._wards if model is WardRow else self._theatres)[site_id]
        for candidate in (code, f"{site_id}-{code}"):
            if candidate in resources:
                return candidate
        lowered = code.lower()
        for name in resources.registered.values():
            # SQLite's lower() folds ASCII only, PostgreSQL's may fold more.
            if lowered in (name.lower(), _ascii_lower(name)):
                raise OverlayUnsureError(f"whether {code!r} names a ward registered in the batch")
        key = (model.__tablename__, site_id, code)
        if key not in self._by_name:
            self._by_name[key] = hl7_lookup.resource_by_name(self._session, model, site_id, code)
        return self._by_name[key]

    # --- changes --------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> None:
        """Apply one message's ``changes`` as the projectors will, so later messages see them."""
        for change in changes:
            handler = _HANDLERS.get(change.kind)
            if handler is None:
                raise OverlayUnsureError(f"what a {change.kind} changes")
            handler(self, change.payload)

    def _ward_registered(self, payload: dict[str, Any]) -> None:
        self._read_resources([payload["site_id"]])
        wards = self._wards[payload["site_id"]]
        if payload["id"] in wards:
            raise OverlayUnsureError(f"ward {payload['id']} registered twice")
        wards.registered[payload["id"]] = payload["name"]

    def _patient_registered(self, payload: dict[str, Any]) -> None:
        patient_id = payload["id"]
        if self.patient_by_id(patient_id) is not None:
            raise OverlayUnsureError(f"patient {patient_id} registered twice")
        self._local_pairs[patient_id] = set()
        self._patient_written(patient_id, payload, None)

    def _patient_updated(self, payload: dict[str, Any]) -> None:
        patient_id = payload["id"]
        previous = self.patient_by_id(patient_id)
        if previous is None:
            raise OverlayUnsureError(f"update of unknown patient {patient_id}")
        self._patient_written(patient_id, payload, previous.identity.nir)

    def _patient_written(
        self, patient_id: str, payload: dict[str, Any], old_nir: str | None
    ) -> None:
        # Local ids are only ever added (projections._patients_updated); a pair another
        # patient holds would break the table's key.
        pairs = self._local_pairs[patient_id]
        for pair in payload["local_ids"].items():
            owner = self._local_owner(pair)
            if owner is None:
                self._local_owners[pair] = patient_id
                pairs.add(pair)
            elif owner != patient_id:
                raise OverlayUnsureError(f"local id {pair} claimed by two patients")
        sites = [site_id for site_id, _ in pairs]
        if len(sites) != len(set(sites)):
            # Which one shows depends on the database's ordering.
            raise OverlayUnsureError(f"patient {patient_id} has two local ids at one site")
        self._patients[patient_id] = decode_patient({**payload, "local_ids": dict(pairs)})
        self._move_nir(patient_id, old_nir, payload["nir"])

    def _move_nir(self, patient_id: str, old: str | None, new: str | None) -> None:
        if old == new:
            return
        if old is not None and self._nir_holder(old) == patient_id:
            self._unsure_nirs.add(old)  # the next holder depends on the database's ordering
        if new is not None:
            holder = self._nir_holder(new)
            if holder is None:
                self._nir_holders[new] = patient_id
            elif holder != patient_id:
                self._unsure_nirs.add(new)

    def _stay_admitted(self, payload: dict[str, Any]) -> None:
        if self._stay(payload["id"]) is not None:
            raise OverlayUnsureError(f"stay {payload['id']} admitted twice")
        self._stays[payload["id"]] = decode_stay(payload)

    def _stay_changed(self, payload: dict[str, Any], **values: Any) -> None:
        stay = self._stay(payload["id"])
        if stay is None:
            raise OverlayUnsureError(f"change of unknown stay {payload['id']}")
        self._stays[payload["id"]] = replace(stay, **values)

    def _stay_transferred(self, payload: dict[str, Any]) -> None:
        location = {key: payload[key] for key in ("ward_id", "room_id", "bed")}
        self._stay_changed(payload, **location)

    def _stay_discharged(self, payload: dict[str, Any]) -> None:
        self._stay_changed(payload, discharged_at=parse_instant(payload["at"]))

    def _discharge_cancelled(self, payload: dict[str, Any]) -> None:
        self._stay_changed(payload, discharged_at=None)

    def _admission_cancelled(self, payload: dict[str, Any]) -> None:
        self._stays[payload["id"]] = None

    def _case_booked(self, payload: dict[str, Any]) -> None:
        if self.case_by_id(payload["id"]) is not None:
            raise OverlayUnsureError(f"case {payload['id']} booked twice")
        self._cases[payload["id"]] = decode_case(payload)

    def _case_updated(self, payload: dict[str, Any]) -> None:
        self._cases[payload["id"]] = decode_case(payload)

    def _case_status_changed(self, payload: dict[str, Any]) -> None:
        case = self.case_by_id(payload["id"])
        if case is None:
            raise OverlayUnsureError(f"status of unknown case {payload['id']}")
        self._cases[payload["id"]] = replace(case, status=CaseStatus(payload["status"]))

    def _message_logged(self, _payload: dict[str, Any]) -> None:
        """Repeats are told by the processor, not by the mapping."""


_HANDLERS: dict[str, Callable[[BatchReads, dict[str, Any]], None]] = {
    kinds.WARD_REGISTERED: BatchReads._ward_registered,
    kinds.PATIENT_REGISTERED: BatchReads._patient_registered,
    kinds.PATIENT_UPDATED: BatchReads._patient_updated,
    kinds.STAY_ADMITTED: BatchReads._stay_admitted,
    kinds.STAY_TRANSFERRED: BatchReads._stay_transferred,
    kinds.STAY_DISCHARGED: BatchReads._stay_discharged,
    kinds.STAY_DISCHARGE_CANCELLED: BatchReads._discharge_cancelled,
    kinds.STAY_ADMISSION_CANCELLED: BatchReads._admission_cancelled,
    kinds.CASE_BOOKED: BatchReads._case_booked,
    kinds.CASE_UPDATED: BatchReads._case_updated,
    kinds.CASE_STATUS_CHANGED: BatchReads._case_status_changed,
    kinds.INGEST_MESSAGE_LOGGED: BatchReads._message_logged,
}
