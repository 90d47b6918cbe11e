"""Location, Practitioner and PractitionerRole: wards, rooms, beds, theatres and surgeons.

Places. A Location of physical type ``wa`` becomes a ward of the site, with the ``ro``
Locations that are ``partOf`` it as rooms and the ``bd`` Locations that are part of a
room as its beds (a room listed without beds is taken as one bed labelled ``1``). A
Location without physical type is what FR Core and US Core encounters name as the unit
(unité fonctionnelle) or facility that held the patient: it becomes a ward, without
rooms, only when an inpatient encounter of the import stays there. Other physical types
(site, building, level...) are skipped. A registered ward is never changed: bascule
has no ward update yet, so a ward whose name or rooms differ is reported as an error.
Operating theatres are not created from FHIR (opening hours are set up in bascule); an
Appointment's Location is the theatre of the site whose id or name equals its name,
one of its identifiers or the reference's display.

Organizations are skipped: sites are set up in bascule, not read from feeds.

Surgeons. A Practitioner becomes a surgeon when one of its qualifications, or the
specialty of a PractitionerRole that points to it, reads as surgical ("surg",
"chirurg"): the specialty is that text, the name the official (else first) one, the
phone the role's (else the practitioner's) first phone number. Other practitioners are
skipped, but stay known to references. A registered surgeon is never changed (bascule
has no surgeon update yet): different names or phone are reported as an error.
"""

from sqlalchemy import select

from bascule.domain.sites import Room, Ward
from bascule.domain.staff import Surgeon
from bascule.ingest import fhir_model as fm
from bascule.ingest.fhir_context import Context, Outcome
from bascule.ingest.fhir_read import SourcedResource
from bascule.ingest.fhir_refs import (
    ROOM,
    SURGEON,
    WARD,
    Indexed,
    Target,
    derived_id,
    parse_reference,
    resource_key,
)
from bascule.ingest.fhir_values import FhirMappingError, clipped, required_text
from bascule.store.changes import surgeon_registered, ward_registered
from bascule.store.journal import Change
from bascule.store.tables import RoomRow, TheatreRow

_WARD, _ROOM, _BED = "wa", "ro", "bd"
_SURGICAL_WORDS = ("surg", "chirurg")
# Column widths of the store.
_NAME, _BED_LABEL, _SPECIALTY, _PHONE = 100, 20, 60, 40


def map_location(ctx: Context, item: SourcedResource, model: fm.Location) -> Outcome:
    """Remember the place; what it becomes is settled once every resource is read."""
    indexed = Indexed(model, resource_key(model, item.full_url))
    ctx.run.locations.append((item.origin, indexed))
    return Outcome(deferred=True, indexed=(indexed, item.full_url))


def _location(indexed: Indexed) -> fm.Location:
    model = indexed.model
    if not isinstance(model, fm.Location):
        raise FhirMappingError(f"{model.resourceType} {model.id!r} is not a Location")
    return model


def _physical(indexed: Indexed) -> str | None:
    """``wa``, ``ro``, ``bd``, ``''`` for none, or None for any other physical type."""
    physical = _location(indexed).physicalType
    if physical is None or not physical.coding:
        return ""
    codes = physical.codes() & {_WARD, _ROOM, _BED}
    return codes.pop() if codes else None


def _parent(ctx: Context, indexed: Indexed) -> Indexed | None:
    target = parse_reference(_location(indexed).partOf, "Location")
    return None if target is None else ctx.index.find(target)


def _children(ctx: Context, parent: Indexed, kind: str) -> list[Indexed]:
    run = ctx.run
    if run.children_read != len(run.locations):
        # Rebuilt only when Locations were read since: they come before what uses them.
        run.children.clear()
        for _, child in run.locations:
            found = _parent(ctx, child)
            if found is not None:
                run.children.setdefault(id(found), []).append(child)
        run.children_read = len(run.locations)
    return [child for child in run.children.get(id(parent), []) if _physical(child) == kind]


def _ward_location(ctx: Context, indexed: Indexed) -> Indexed | None:
    """The ward-level Location a place belongs to (itself for a ward or a unit)."""
    kind = _physical(indexed)
    if kind in (_WARD, ""):
        return indexed
    parent = _parent(ctx, indexed)
    if kind == _BED and parent is not None and _physical(parent) == _ROOM:
        parent = _parent(ctx, parent)
    if kind in (_ROOM, _BED) and parent is not None and _physical(parent) in (_WARD, ""):
        return parent
    return None


def _ward(ctx: Context, indexed: Indexed) -> Ward:
    name = required_text(_location(indexed).name, "Location.name", _NAME)
    rooms = []
    for room in _children(ctx, indexed, _ROOM):
        room_name = required_text(_location(room).name, "Location.name (room)", _NAME)
        beds = sorted(
            required_text(_location(bed).name, "Location.name (bed)", _BED_LABEL)
            for bed in _children(ctx, room, _BED)
        )
        rooms.append(Room(derived_id(ROOM, ctx.site_id, room.key), room_name, tuple(beds or ["1"])))
    ward_id = derived_id(WARD, ctx.site_id, indexed.key)
    return Ward(ward_id, ctx.site_id, name, "", tuple(sorted(rooms, key=lambda r: r.id)))


def placement(
    ctx: Context, reference: fm.Reference, where: str
) -> tuple[str, str, str, list[Change]]:
    """Ward, room and bed a reference names, and the ward registration it needs, if any."""
    target = ctx.resolve(reference, "Location", where)
    found = ctx.index.find(target)
    if found is None:
        return _stored_placement(ctx, target, where)
    kind = _physical(found)
    ward_location = _ward_location(ctx, found)
    if ward_location is None:
        what = "place of another physical type" if kind is None else "room or bed outside a ward"
        raise FhirMappingError(
            f"{where} {target.text!r} is a {what}, not a ward, room or bed of the site"
        )
    ward_id = derived_id(WARD, ctx.site_id, ward_location.key)
    changes = [] if ctx.ward_exists(ward_id) else [ward_registered(_ward(ctx, ward_location))]
    room, bed = "", ""
    if kind == _ROOM:
        room = derived_id(ROOM, ctx.site_id, found.key)
    elif kind == _BED:
        room_location = _parent(ctx, found)
        room = derived_id(ROOM, ctx.site_id, room_location.key) if room_location else ""
        bed = required_text(_location(found).name, "Location.name (bed)", _BED_LABEL)
    return ward_id, room, bed, changes


def _stored_placement(
    ctx: Context, target: Target, where: str
) -> tuple[str, str, str, list[Change]]:
    for key in target.candidate_keys():
        ward_id = derived_id(WARD, ctx.site_id, key)
        if ctx.ward_exists(ward_id):
            return ward_id, "", "", []
        room_id = derived_id(ROOM, ctx.site_id, key)
        pending = [w.id for w in ctx.wards.values() if any(r.id == room_id for r in w.rooms)]
        stored = ctx.session.scalar(select(RoomRow.ward_id).where(RoomRow.id == room_id))
        for found in (*pending, stored):
            if found is not None:
                return str(found), room_id, "", []
    raise FhirMappingError(f"{where} {target.text!r} cannot be resolved")


def settle_location(ctx: Context, indexed: Indexed) -> Outcome:
    """What a Location of this import became, once every resource has been read."""
    kind = _physical(indexed)
    ward_id = derived_id(WARD, ctx.site_id, indexed.key)
    created = ctx.run.wards_created
    if kind == _WARD:
        ward = _ward(ctx, indexed)
        existing = ctx.ward(ward_id)
        if existing is None:
            return Outcome(changes=[ward_registered(ward)], created="ward")
        if ward_id in created:
            return Outcome(created="ward")
        if existing == ward:
            return Outcome()
        raise FhirMappingError(
            f"Location: ward {ward_id} is registered with another name or other rooms; "
            "bascule cannot update a ward yet"
        )
    if kind in (_ROOM, _BED):
        ward_location = _ward_location(ctx, indexed)
        if ward_location is None:
            return Outcome(skipped="Location not imported: a room or bed outside any ward (partOf)")
        if derived_id(WARD, ctx.site_id, ward_location.key) in created:
            return Outcome(created="room" if kind == _ROOM else "bed")
        return Outcome()
    # Left: units, facilities and other places; a theatre of the site is known already.
    if _theatre(ctx, _names_of(indexed)) is not None:
        return Outcome()
    if kind == "":
        if ward_id in created:
            return Outcome(created="ward")
        if ctx.ward_exists(ward_id):
            return Outcome()
        return Outcome(
            skipped="Location not imported: no inpatient stay there, and not typed as a ward "
            "(physicalType wa)"
        )
    label = _location(indexed).physicalType
    shown = label.label if label else "place"
    return Outcome(skipped=f"Location not imported: a {shown} is not a ward, room or bed")


def theatre_of(ctx: Context, reference: fm.Reference | None) -> str | None:
    """The site's operating theatre an appointment's Location names, if any."""
    target = parse_reference(reference, "Location")
    if reference is None or target is None:
        return None
    found = ctx.index.find(target)
    codes = [reference.display, target.value, target.id]
    return _theatre(ctx, codes + (_names_of(found) if found is not None else []))


def _names_of(indexed: Indexed) -> list[str | None]:
    model = indexed.model
    names = [model.name] if isinstance(model, fm.Location) else []
    return [*names, model.id, *(identifier.value for identifier in model.identifier)]


def _theatre(ctx: Context, codes: list[str | None]) -> str | None:
    """The first theatre of the site one of ``codes`` names, as the HL7 feed finds them:
    its id, ``{site}-{code}``, or its name (any case)."""
    if ctx.run.theatres is None:
        rows = ctx.session.execute(
            select(TheatreRow.id, TheatreRow.name)
            .where(TheatreRow.site_id == ctx.site_id)
            .order_by(TheatreRow.id.desc())
        )
        names = {name.lower(): theatre for theatre, name in rows}
        ctx.run.theatres = {**names, **{theatre: theatre for theatre in names.values()}}
    theatres = ctx.run.theatres
    for code in codes:
        text = (code or "").strip()
        if not text:
            continue
        for candidate in (text, f"{ctx.site_id}-{text}", text.lower()):
            if candidate in theatres:
                return theatres[candidate]
    return None


def _surgical(concepts: list[fm.CodeableConcept]) -> str | None:
    for concept in concepts:
        label = concept.label
        if any(word in label.casefold() for word in _SURGICAL_WORDS):
            return label
    return None


def _phone(points: list[fm.ContactPoint]) -> str:
    phones = [p for p in points if p.system == "phone" and p.value and p.value.strip()]
    phones.sort(key=lambda point: point.use != "work")
    return required_text(phones[0].value, "telecom (phone)", _PHONE) if phones else ""


def map_practitioner(ctx: Context, item: SourcedResource, model: fm.Practitioner) -> Outcome:
    """A surgeon when a qualification says so; otherwise remembered for roles and references."""
    indexed = Indexed(model, resource_key(model, item.full_url))
    specialty = _surgical([qualification.code for qualification in model.qualification])
    if specialty is None:
        ctx.run.practitioners.append((item.origin, indexed))
        return Outcome(deferred=True, indexed=(indexed, item.full_url))
    outcome = _surgeon_outcome(ctx, indexed, specialty, _phone(model.telecom))
    outcome.indexed = (indexed, item.full_url)
    ctx.run.surgeon_keys.add(indexed.key)
    return outcome


def map_practitioner_role(
    ctx: Context, item: SourcedResource, model: fm.PractitionerRole
) -> Outcome:
    """The practitioner registered as a surgeon when the role's specialty is surgical."""
    indexed = (Indexed(model, resource_key(model, item.full_url)), item.full_url)
    specialty = _surgical(model.specialty)
    if specialty is None:
        labels = ", ".join(concept.label for concept in model.specialty) or "none"
        return Outcome(
            skipped=f"PractitionerRole not imported: specialty {labels} is not surgical",
            indexed=indexed,
        )
    where = "PractitionerRole.practitioner"
    target = ctx.resolve(model.practitioner, "Practitioner", where)
    found = ctx.index.find(target)
    if found is None or not isinstance(found.model, fm.Practitioner):
        for key in target.candidate_keys():
            if ctx.surgeon(derived_id(SURGEON, ctx.site_id, key)) is not None:
                return Outcome(indexed=indexed)
        raise FhirMappingError(f"{where} {target.text!r} cannot be resolved")
    phone = _phone(model.telecom) or _phone(found.model.telecom)
    outcome = _surgeon_outcome(ctx, found, specialty, phone)
    outcome.indexed = indexed
    ctx.run.surgeon_keys.add(found.key)
    return outcome


def _surgeon_outcome(ctx: Context, indexed: Indexed, specialty: str, phone: str) -> Outcome:
    model = indexed.model
    assert isinstance(model, fm.Practitioner)  # callers only pass practitioners
    names = [name for name in model.name if name.family]
    if not names:
        raise FhirMappingError("Practitioner.name has no family name")
    name = next((n for n in names if n.use == "official"), names[0])
    surgeon = Surgeon(
        id=derived_id(SURGEON, ctx.site_id, indexed.key),
        family_name=required_text(name.family, "Practitioner.name.family", _NAME),
        given_name=clipped(name.given[0] if name.given else "", _NAME),
        specialty=clipped(specialty, _SPECIALTY),
        site_ids=(ctx.site_id,),
        phone=phone,
    )
    existing = ctx.surgeon(surgeon.id)
    if existing is None:
        return Outcome(changes=[surgeon_registered(surgeon)], created="surgeon")
    same = (existing.family_name, existing.given_name, existing.phone) == (
        surgeon.family_name,
        surgeon.given_name,
        surgeon.phone,
    )
    if same and ctx.site_id in existing.site_ids:
        return Outcome()
    raise FhirMappingError(
        f"Practitioner: surgeon {surgeon.id} is registered with another name, phone or sites; "
        "bascule cannot update a surgeon yet"
    )


def settle_practitioner(ctx: Context, indexed: Indexed) -> Outcome:
    """A practitioner no qualification made a surgeon: a role may have, else skipped."""
    if indexed.key in ctx.run.surgeon_keys:
        return Outcome()
    return Outcome(
        skipped="Practitioner not imported: no surgical specialty in its qualifications or roles"
    )


def surgeon_of(ctx: Context, references: list[fm.Reference | None], where: str) -> str | None:
    """The surgeon among ``references`` (practitioners or their roles), if bascule has one."""
    for reference in references:
        target = parse_reference(reference, "Practitioner")
        if target is None or target.resource_type not in (None, "Practitioner", "PractitionerRole"):
            continue
        found = ctx.index.find(target)
        if found is not None and isinstance(found.model, fm.PractitionerRole):
            target = ctx.resolve(found.model.practitioner, "Practitioner", where)
            found = ctx.index.find(target)
        if found is not None:
            keys = [found.key]
        elif target.resource_type == "PractitionerRole":
            raise FhirMappingError(f"{where} {target.text!r} cannot be resolved")
        else:
            keys = target.candidate_keys()
        for key in keys:
            surgeon_id = derived_id(SURGEON, ctx.site_id, key)
            if ctx.surgeon(surgeon_id) is not None:
                return surgeon_id
        if found is None:
            raise FhirMappingError(f"{where} {target.text!r} cannot be resolved")
    return None
