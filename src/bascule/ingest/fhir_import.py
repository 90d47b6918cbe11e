"""Importing FHIR R4 files into bascule: Bundles, bulk NDJSON, or directories of them.

What each resource becomes is decided in :mod:`~bascule.ingest.fhir_patients` (Patient,
AllergyIntolerance, MedicationRequest, MedicationStatement),
:mod:`~bascule.ingest.fhir_places` (Location, Practitioner, PractitionerRole,
Organization) and :mod:`~bascule.ingest.fhir_care` (Encounter, Procedure, Appointment);
any other resource type (Condition, Observation...) is skipped with that reason. How
bascule ids derive from FHIR ids, and how references are followed, is in
:mod:`~bascule.ingest.fhir_refs`.

Every resource is compared with what bascule already has: a new one is registered, a
changed one updated, an identical one leaves nothing, so importing the same files again
writes no journal entry at all. A resource that cannot be taken (malformed, missing what
bascule needs, referring to what cannot be found) is reported with its file and line or
Bundle entry, and the import goes on. Resources are written in transactions of
:data:`BATCH` resources; a resource refused leaves nothing behind, and a failure of the
database loses at most the current transaction, which a new import completes.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from bascule.domain.errors import DomainError
from bascule.ingest import fhir_model as fm
from bascule.ingest.fhir_care import map_appointment, map_encounter, map_procedure
from bascule.ingest.fhir_context import Context, Outcome, Run
from bascule.ingest.fhir_patients import map_allergy, map_medication, map_patient
from bascule.ingest.fhir_places import (
    map_location,
    map_practitioner,
    map_practitioner_role,
    settle_location,
    settle_practitioner,
)
from bascule.ingest.fhir_read import FhirInput, Item, ReadProblem, SourcedResource
from bascule.ingest.fhir_refs import VISIT, Indexed, derived_id, plain_key, resource_key
from bascule.ingest.fhir_values import FhirMappingError
from bascule.store import journal, kinds
from bascule.store.database import Database
from bascule.store.journal import Change
from bascule.store.queries import require_site

BATCH = 500
NOT_KEPT = "not in the subset bascule keeps"


@dataclass(frozen=True, slots=True)
class FhirImportReport:
    """What an import did.

    Every item read (resource, or line or entry that is not one) is counted once: in
    ``created`` or ``updated`` under what it became (patient, allergy, medication, stay,
    visit, case, ward, room, bed, surgeon), in ``unchanged``, or as a line of ``skipped``
    or ``errors`` naming its place.
    """

    resources: int
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: int
    skipped: list[str]
    errors: list[str]
    seconds: float


@dataclass(slots=True)
class _Tally:
    resources: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, origin: str, outcome: Outcome) -> None:
        if outcome.deferred:
            return
        if outcome.skipped is not None:
            self.skipped.append(f"{origin}: {outcome.skipped}")
        elif outcome.created is not None:
            self.created[outcome.created] = self.created.get(outcome.created, 0) + 1
        elif outcome.updated is not None:
            self.updated[outcome.updated] = self.updated.get(outcome.updated, 0) + 1
        else:
            self.unchanged += 1


def import_fhir(
    db: Database,
    paths: Sequence[Path],
    *,
    site_id: str,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> FhirImportReport:
    """Import the FHIR resources of ``paths`` (files or directories) for ``site_id``.

    ``progress`` is called with (items done, items in all) after each transaction; a
    Bundle on one NDJSON line counts as one item there (its entries are not known
    before it is read).
    Raises UnknownEntityError for an unknown site and FhirInputError for a path that
    does not exist; problems with the data itself end up in the report.
    """
    started = time.perf_counter()
    with db.reading() as session:
        require_site(session, site_id)
    source = FhirInput(paths)
    total = source.total
    run = Run()
    tally = _Tally()
    if progress is not None:
        progress(0, total)
    batch: list[Item] = []
    for item in source.items():
        batch.append(item)
        if len(batch) == BATCH:
            _write(db, run, tally, batch, site_id=site_id, actor=actor, last=False)
            batch = []
            if progress is not None:
                progress(min(tally.resources, total), total)
    _write(db, run, tally, batch, site_id=site_id, actor=actor, last=True)
    if progress is not None:
        progress(total, total)
    return FhirImportReport(
        resources=tally.resources,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        skipped=tally.skipped,
        errors=tally.errors,
        seconds=time.perf_counter() - started,
    )


def _write(
    db: Database,
    run: Run,
    tally: _Tally,
    batch: list[Item],
    *,
    site_id: str,
    actor: str,
    last: bool,
) -> None:
    """Map ``batch`` and journal what it changes, in one transaction."""
    now = db.clock.now()
    with db.writing() as session:
        ctx = Context(session, site_id, run, now)
        ctx.prefetch_visits(
            [
                derived_id(VISIT, site_id, key)
                for item in batch
                if isinstance(item, SourcedResource) and item.resource_type == "Encounter"
                for key in [plain_key(item.resource_type, item.data.get("id"), item.full_url)]
                if key is not None
            ]
        )
        for item in batch:
            tally.resources += 1
            if isinstance(item, ReadProblem):
                target = tally.skipped if item.skipped else tally.errors
                target.append(f"{item.origin}: {item.message}")
            else:
                _map(ctx, tally, item.origin, partial(_resource, ctx, item))
        if last:
            # Places and practitioners: what they became depends on everything read.
            for origin, indexed in run.locations:
                _map(ctx, tally, origin, partial(settle_location, ctx, indexed))
            for origin, indexed in run.practitioners:
                _map(ctx, tally, origin, partial(settle_practitioner, ctx, indexed))
        journal.append(session, _coalesced(ctx.changes), actor=actor, at=now)


def _map(ctx: Context, tally: _Tally, origin: str, mapping: Callable[[], Outcome]) -> None:
    try:
        outcome = mapping()
    except (FhirMappingError, DomainError) as exc:
        tally.errors.append(f"{origin}: {exc}")
        return
    ctx.keep(outcome)
    tally.count(origin, outcome)


def _resource(ctx: Context, item: SourcedResource) -> Outcome:
    kind = item.resource_type
    if kind == "Organization":
        return Outcome(
            skipped="Organization not imported (sites are set up in bascule, not read from feeds)"
        )
    model_type = fm.MODELS.get(kind)
    if model_type is None:
        return Outcome(skipped=f"{kind} not imported ({NOT_KEPT})")
    try:
        model = model_type.model_validate(item.data)
    except ValidationError as exc:
        raise FhirMappingError(fm.describe_validation_error(kind, exc)) from None
    if isinstance(model, fm.Patient):
        return map_patient(ctx, item, model)
    if isinstance(model, fm.Location):
        return map_location(ctx, item, model)
    if isinstance(model, fm.Practitioner):
        return map_practitioner(ctx, item, model)
    if isinstance(model, fm.PractitionerRole):
        return map_practitioner_role(ctx, item, model)
    if isinstance(model, fm.Encounter):
        return map_encounter(ctx, item, model)
    if isinstance(model, fm.Procedure):
        return map_procedure(ctx, item, model)
    if isinstance(model, fm.Appointment):
        return map_appointment(ctx, item, model)
    if isinstance(model, fm.AllergyIntolerance):
        return map_allergy(ctx, model)
    if isinstance(model, fm.MedicationUse):
        return map_medication(ctx, model)
    # Medication: read for the names of requests and statements that point to it.
    indexed = Indexed(model, resource_key(model, item.full_url))
    return Outcome(
        skipped=f"{kind} not imported by itself (read for the medications that refer to it)",
        indexed=(indexed, item.full_url),
    )


def _coalesced(changes: list[Change]) -> list[Change]:
    """One entry per person per transaction: later versions replace the first's payload.

    A patient change carries the whole record, so ten allergies of one person read in
    one transaction make one entry, not ten; it stays where the person first appears,
    before any stay or case that refers to them.
    """
    patient_kinds = (kinds.PATIENT_REGISTERED, kinds.PATIENT_UPDATED)
    first: dict[str, int] = {}
    kept: list[Change] = []
    for change in changes:
        if change.kind in patient_kinds:
            at = first.get(change.entity_id)
            if at is not None:
                kept[at] = replace(kept[at], payload=change.payload)
                continue
            first[change.entity_id] = len(kept)
        kept.append(change)
    return kept
