"""Patient, AllergyIntolerance, MedicationRequest and MedicationStatement as bascule patients.

Identity (French INS conventions, FR Core profile, read alongside US Core):

- Birth family name: the ``maiden`` name when there is one (US Core puts the married
  name in ``official``), else the ``official`` name (FR Core: nom de naissance), else a
  ``usual`` name or one without use. Used name: the ``usual`` name (FR Core: nom
  d'usage), or the ``official`` one when it differs from a maiden name. Names are kept
  as sent: Synthea's numeric suffixes (``Medhurst46``) stay.
- Given names: FR Core's ``birth-list-given-name`` extension (space separated) else
  every ``given`` of the birth name; the first given name is the birth name's first.
- Birth date required and full; sex from ``gender`` (other or unknown: U).
- Birth place: the INSEE code of FR Core's ``fr-core-address-insee-code`` extension in the
  ``patient-birthPlace`` address; a city alone gives no code (none is guessed).
- INS-NIR: identifier of system ``urn:oid:1.2.250.1.213.1.4.8`` (or the test OIDs .10,
  .11), key checked: a wrong key refuses the resource.
- Identity status: FR Core ``fr-core-identity-reliability`` → ``identityStatus``; PROV,
  VALI and QUAL as such, any other code (VIDE, DOUTE, FICTI...) provisional; absent: as
  bascule knew it, else provisional.
- Local id at the site: the identifier typed PI or MR (the IPP), else the FHIR id.
- A deceased patient gets the alert ``Décès enregistré`` (with the date when given).
- Emergency contact phone: the first phone of a ``contact`` (never the patient's own).

The person is found, in this order, by the id derived from the resource, by the local
id at the site, then by INS-NIR (as the HL7 feed does); else registered. What the
resource does not carry (allergies, medications, other sites' local ids) is kept.

Allergies and medications are added to the person's essentials, one per substance or
medication name (case-insensitive): a newer resource for the same one replaces it.
Only active allergies (not refuted, not entered in error) and active medications are
taken; the others are skipped and never remove anything, since bascule keeps no FHIR id
per allergy or medication to know which one a stopped order ends. Allergy severity: the
worst ``reaction.severity``; else ``criticality`` high → severe, low → moderate ("not
life-threatening" is all it says); else severe, so that nobody takes an allergy more
lightly than the record says.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from bascule.domain.errors import DomainError, InvalidNirError
from bascule.domain.nir import validate_nir
from bascule.domain.patients import (
    Allergy,
    ClinicalEssentials,
    ContactDetails,
    IdentityStatus,
    IdentityTraits,
    Medication,
    Patient,
    Severity,
    Sex,
)
from bascule.ingest import fhir_model as fm
from bascule.ingest.fhir_context import INS_SYSTEMS, Context, Outcome
from bascule.ingest.fhir_read import SourcedResource
from bascule.ingest.fhir_refs import PATIENT, Indexed, derived_id, parse_reference, resource_key
from bascule.ingest.fhir_values import (
    FhirMappingError,
    clipped,
    local_day,
    parse_date,
    parse_instant,
    required_text,
)
from bascule.store.changes import encode_patient, patient_registered, patient_updated

Essential = TypeVar("Essential", Allergy, Medication)

RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
_INSEE_CODE_SUFFIX = "fr-core-address-insee-code"
_BIRTH_GIVEN_NAMES_SUFFIX = "birth-list-given-name"
_NAME_USES = (None, "official", "usual", "maiden")
_LOCAL_TYPES = ("PI", "MR")
_STATUSES = {status.value: status for status in IdentityStatus}
_SEVERITIES = {severity.value: severity for severity in Severity}
_SEVERITY_ORDER = (Severity.MILD, Severity.MODERATE, Severity.SEVERE)
_DAY_UNITS = {"h": "heure", "d": "jour", "wk": "semaine", "mo": "mois", "a": "an"}
# Column widths of the store: PostgreSQL refuses longer values.
_NAME, _LOCAL_ID, _PHONE, _POSTCODE, _EMAIL = 100, 40, 40, 10, 254
_SUBSTANCE, _REACTION, _DRUG, _DOSE, _ROUTE, _FREQUENCY = 120, 200, 120, 60, 40, 60


def map_patient(ctx: Context, item: SourcedResource, model: fm.Patient) -> Outcome:
    """Register the person, or bring their identity up to date."""
    key = resource_key(model, item.full_url)
    local = _local_id(model)
    nir = _ins_nir(model)
    known = ctx.patient(derived_id(PATIENT, ctx.site_id, key))
    if known is None and local is not None:
        known = ctx.patient_by_local_id(local)
    if known is None and nir is not None:
        known = ctx.patient_by_nir(nir)
    patient_id = known.id if known else derived_id(PATIENT, ctx.site_id, key)
    if local is not None:
        owner = ctx.local_owner(local)
        if owner is not None and owner != patient_id:
            raise FhirMappingError(
                f"Patient local id {local!r} at {ctx.site_id} already belongs to {owner}"
            )
    essentials = known.essentials if known else ClinicalEssentials()
    alert = _deceased_alert(model)
    if alert and alert not in essentials.alerts:
        essentials = replace(essentials, alerts=(*essentials.alerts, alert))
    phone = _contact_phone(model)
    if phone:
        essentials = replace(essentials, emergency_contact_phone=phone)
    local_ids = dict(known.local_ids) if known else {}
    if local is not None:
        local_ids[ctx.site_id] = local
    patient = Patient(
        id=patient_id,
        identity=_identity(model, nir, known.identity.status if known else None),
        local_ids=tuple(sorted(local_ids.items())),
        essentials=essentials,
        contact=_contact(model, known.contact if known else ContactDetails()),
    )
    # References need only the id and identifiers: the rest of the model is not kept.
    stub = fm.Resource.model_construct(
        resourceType="Patient", id=model.id, identifier=model.identifier, extension=[]
    )
    outcome = Outcome(indexed=(Indexed(stub, key, patient.id), item.full_url))
    if known is None:
        outcome.changes.append(patient_registered(patient, ctx.site_id))
        outcome.created = "patient"
    elif encode_patient(patient) != encode_patient(known):
        outcome.changes.append(patient_updated(patient, ctx.site_id))
        outcome.updated = "patient"
    return outcome


def _identity(
    model: fm.Patient, nir: str | None, previous: IdentityStatus | None
) -> IdentityTraits:
    birth, used_name, given = _names(model)
    gender = {"male": Sex.MALE, "female": Sex.FEMALE}.get(model.gender or "", Sex.UNKNOWN)
    try:
        return IdentityTraits(
            birth_family_name=required_text(birth.family, "Patient.name.family", _NAME),
            used_name=used_name,
            first_given_name=required_text((birth.given or given)[0], "Patient.name.given", _NAME),
            given_names=given,
            birth_date=parse_date(model.birthDate, "Patient.birthDate"),
            sex=gender,
            birth_place_insee=_birth_place(model),
            nir=nir,
            status=_status(model, previous),
        )
    except DomainError as exc:
        raise FhirMappingError(f"Patient: {exc}") from None


def _names(model: fm.Patient) -> tuple[fm.HumanName, str, tuple[str, ...]]:
    names = [name for name in model.name if name.use in _NAME_USES and name.family]
    if not names:
        raise FhirMappingError("Patient.name has no family name")
    by_use: dict[str | None, fm.HumanName] = {}
    for name in names:
        by_use.setdefault(name.use, name)
    birth = by_use.get("maiden") or by_use.get("official") or names[0]
    used = by_use.get("usual") or (by_use.get("official") if "maiden" in by_use else None)
    used_name = ""
    if used is not None and used.family and used.family != birth.family:
        used_name = required_text(used.family, "Patient.name.family", _NAME)
    listed = next(
        (e.valueString for e in birth.extension if e.url.endswith(_BIRTH_GIVEN_NAMES_SUFFIX)),
        None,
    )
    given = tuple(listed.split()) if listed else tuple(g.strip() for g in birth.given if g.strip())
    if not given and used is not None:
        given = tuple(g.strip() for g in used.given if g.strip())
    if not given:
        raise FhirMappingError("Patient.name has no given name")
    for given_name in given:
        required_text(given_name, "Patient.name.given", _NAME)
    return birth, used_name, given


def _local_id(model: fm.Patient) -> str | None:
    for wanted in _LOCAL_TYPES:
        for number, identifier in enumerate(model.identifier):
            if identifier.type is not None and wanted in identifier.type.codes():
                where = f"Patient.identifier[{number}] ({wanted})"
                return required_text(identifier.value, where, _LOCAL_ID)
    if model.id and len(model.id) <= _LOCAL_ID:
        return model.id
    return None


def _ins_nir(model: fm.Patient) -> str | None:
    for number, identifier in enumerate(model.identifier):
        if identifier.system in INS_SYSTEMS and identifier.value:
            try:
                return validate_nir(identifier.value)
            except InvalidNirError as exc:
                raise FhirMappingError(f"Patient.identifier[{number}]: {exc}") from None
    return None


def _status(model: fm.Patient, previous: IdentityStatus | None) -> IdentityStatus:
    for extension in model.extension:
        if extension.url != RELIABILITY:
            continue
        for part in extension.extension:
            if part.url == "identityStatus":
                code = part.valueCoding.code if part.valueCoding else part.valueCode
                return _STATUSES.get((code or "").upper(), IdentityStatus.PROVISIONAL)
    return previous or IdentityStatus.PROVISIONAL


def _birth_place(model: fm.Patient) -> str:
    for extension in model.extension:
        if extension.url != BIRTH_PLACE or extension.valueAddress is None:
            continue
        for part in extension.valueAddress.extension:
            if part.url.endswith(_INSEE_CODE_SUFFIX):
                code = part.valueCoding.code if part.valueCoding else part.valueString
                return (code or "").strip()
    return ""


def _deceased_alert(model: fm.Patient) -> str:
    if model.deceasedDateTime:
        moment = parse_instant(model.deceasedDateTime, "Patient.deceasedDateTime")
        return f"Décès enregistré le {local_day(moment):%d/%m/%Y}"
    return "Décès enregistré" if model.deceasedBoolean else ""


def _contact(model: fm.Patient, previous: ContactDetails) -> ContactDetails:
    """Where the person lives (home address first) and their own phone and e-mail; what
    the resource leaves out is kept from ``previous``."""
    lived = sorted(
        (a for a in model.address if a.use not in ("old", "work", "billing")),
        key=lambda a: a.use != "home",
    )
    home = lived[0] if lived else fm.Address()
    current = sorted(model.telecom, key=lambda point: point.use == "old")

    def telecom(system: str) -> str:
        return next((p.value for p in current if p.system == system and p.value), "") or ""

    def kept(value: str | None, where: str, limit: int, before: str) -> str:
        return required_text(value, where, limit) if value and value.strip() else before

    return ContactDetails(
        postcode=kept(home.postalCode, "Patient.address.postalCode", _POSTCODE, previous.postcode),
        city=kept(home.city, "Patient.address.city", _NAME, previous.city),
        phone=kept(telecom("phone"), "Patient.telecom (phone)", _PHONE, previous.phone),
        email=kept(telecom("email"), "Patient.telecom (email)", _EMAIL, previous.email),
    )


def _contact_phone(model: fm.Patient) -> str:
    for contact in model.contact:
        for point in contact.telecom:
            if point.system == "phone" and point.value and point.value.strip():
                return required_text(point.value, "Patient.contact.telecom", _PHONE)
    return ""


def map_allergy(ctx: Context, model: fm.AllergyIntolerance) -> Outcome:
    """Add the allergy to the person's essentials (or replace the one for that substance)."""
    clinical = model.clinicalStatus.codes() if model.clinicalStatus else set()
    verification = model.verificationStatus.codes() if model.verificationStatus else set()
    inactive = (clinical & {"inactive", "resolved"}) or (
        verification & {"refuted", "entered-in-error"}
    )
    if inactive:
        return Outcome(
            skipped=f"AllergyIntolerance not imported: {sorted(inactive)[0]} "
            "(only active allergies are kept)"
        )
    patient = _patient_of(ctx, model.patient, "AllergyIntolerance.patient")
    substance = clipped(model.code.label if model.code else "", _SUBSTANCE)
    if not substance:
        raise FhirMappingError("AllergyIntolerance.code is missing")
    reactions = [m.label for r in model.reaction for m in r.manifestation if m.label]
    allergy = Allergy(substance, _severity(model), clipped(", ".join(reactions), _REACTION))
    return _essentials_outcome(ctx, patient, allergy)


def _severity(model: fm.AllergyIntolerance) -> Severity:
    given = [_SEVERITIES[r.severity] for r in model.reaction if r.severity in _SEVERITIES]
    if given:
        return max(given, key=_SEVERITY_ORDER.index)
    if model.criticality == "low":
        return Severity.MODERATE
    return Severity.SEVERE


def map_medication(ctx: Context, model: fm.MedicationUse) -> Outcome:
    """Add the active medication to the person's essentials (or replace the same name's)."""
    kind = model.resourceType
    if model.status != "active":
        return Outcome(
            skipped=f"{kind} not imported: status {model.status or 'missing'} "
            "(only active medications are kept)"
        )
    where = "MedicationRequest.subject" if kind == "MedicationRequest" else f"{kind}.subject"
    patient = _patient_of(ctx, model.subject, where)
    name = clipped(_drug_name(ctx, model), _DRUG)
    if not name:
        raise FhirMappingError(f"{kind}.medicationCodeableConcept is missing")
    dosage = model.dosages[0] if model.dosages else fm.Dosage()
    medication = Medication(
        name,
        clipped(_dose(dosage), _DOSE),
        clipped(dosage.route.label if dosage.route else "", _ROUTE),
        clipped(_frequency(dosage), _FREQUENCY),
    )
    return _essentials_outcome(ctx, patient, medication)


def _drug_name(ctx: Context, model: fm.MedicationUse) -> str:
    if model.medicationCodeableConcept is not None:
        return model.medicationCodeableConcept.label
    target = parse_reference(model.medicationReference, "Medication")
    if target is None:
        return ""
    if target.contained is not None:
        for contained in model.contained:
            if contained.get("id") == target.contained:
                medication = fm.Medication.model_validate(contained)
                return medication.code.label if medication.code else ""
    found = ctx.index.find(target)
    if found is not None and isinstance(found.model, fm.Medication):
        return found.model.code.label if found.model.code else ""
    raise FhirMappingError(
        f"{model.resourceType}.medicationReference {target.text!r} cannot be resolved"
    )


def _dose(dosage: fm.Dosage) -> str:
    for dose_and_rate in dosage.doseAndRate:
        quantity = dose_and_rate.doseQuantity
        if quantity is not None and quantity.value is not None:
            amount = f"{quantity.value:g}".replace(".", ",")
            return f"{amount} {quantity.unit or quantity.code or ''}".strip()
    return ""


def _frequency(dosage: fm.Dosage) -> str:
    repeat = dosage.timing.repeat if dosage.timing else None
    if repeat is not None and repeat.frequency and repeat.periodUnit in _DAY_UNITS:
        unit = _DAY_UNITS[repeat.periodUnit]
        period = repeat.period or 1
        if period == 1:
            return f"{repeat.frequency} fois par {unit}"
        plural = unit if unit.endswith("s") else f"{unit}s"
        return f"{repeat.frequency} fois toutes les {period:g} {plural}".replace(".", ",")
    if dosage.timing is not None and dosage.timing.code is not None:
        return dosage.timing.code.label
    if dosage.text and dosage.text.strip():
        return dosage.text
    return "si besoin" if dosage.asNeededBoolean else ""


def _patient_of(ctx: Context, reference: fm.Reference | None, where: str) -> Patient:
    patient = ctx.patient(ctx.patient_id(reference, where))
    if patient is None:  # resolved ids always exist; kept for the type checker
        raise FhirMappingError(f"{where} cannot be resolved")
    return patient


def _essentials_outcome(
    ctx: Context,
    patient: Patient,
    new: Allergy | Medication,
) -> Outcome:
    """The person with ``new`` added, or replacing the entry of the same name."""
    essentials = patient.essentials
    if isinstance(new, Allergy):
        allergies, same = _put(essentials.allergies, new, new.substance, lambda a: a.substance)
        essentials = replace(essentials, allergies=allergies)
        what = "allergy"
    else:
        medications, same = _put(essentials.medications, new, new.name, lambda m: m.name)
        essentials = replace(essentials, medications=medications)
        what = "medication"
    if essentials == patient.essentials:
        return Outcome()
    change = patient_updated(replace(patient, essentials=essentials), ctx.site_id)
    if same:
        return Outcome(changes=[change], updated=what)
    return Outcome(changes=[change], created=what)


def _put(
    kept: tuple[Essential, ...], new: Essential, name: str, name_of: Callable[[Essential], str]
) -> tuple[tuple[Essential, ...], bool]:
    """``kept`` with ``new`` in place of the entry named alike, else added; whether replaced."""
    wanted = name.casefold()
    items = list(kept)
    for number, old in enumerate(items):
        if name_of(old).casefold() == wanted:
            items[number] = new
            return tuple(items), True
    items.append(new)
    return tuple(items), False
