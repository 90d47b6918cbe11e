"""The part of FHIR R4 that bascule reads, as lenient pydantic models.

Hand-written rather than fhir.resources: parsing 10,000 Synthea Patient resources took
0.8-0.9 s with these models against 16.5 s with fhir.resources' R4B models (json.loads
alone: 0.3-0.4 s), and a full model refuses a whole resource for one element bascule
never reads. Unknown elements are ignored; an element bascule reads with the wrong JSON
type is refused with its path (``Patient.name[0].given[0] 5 is not a string``).
Dates and instants stay text here: FHIR allows partial dates, which the mapping refuses
or accepts element by element (:mod:`bascule.ingest.fhir_values`).
"""

# Field names are FHIR's element names, so that a model reads like the specification
# and errors name elements as FHIR does.
# ruff: noqa: N815

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Element(BaseModel):
    """Base of every model: unknown elements ignored, values immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Coding(Element):
    """A code in a code system."""

    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(Element):
    """Codes and a text for one concept."""

    coding: list[Coding] = []
    text: str | None = None

    @property
    def label(self) -> str:
        """The text, else the first display, else the first code ('' when none)."""
        if self.text and self.text.strip():
            return self.text.strip()
        for coding in self.coding:
            if coding.display and coding.display.strip():
                return coding.display.strip()
        return next((c.code.strip() for c in self.coding if c.code and c.code.strip()), "")

    def codes(self) -> set[str]:
        """Every code of the concept, as given."""
        return {coding.code for coding in self.coding if coding.code}


class Identifier(Element):
    """A business identifier."""

    system: str | None = None
    value: str | None = None
    type: CodeableConcept | None = None


class Reference(Element):
    """A reference: literal (``Patient/1``, ``urn:uuid:…``, ``#x``), conditional or logical."""

    reference: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class Period(Element):
    """Start and end instants (FHIR text)."""

    start: str | None = None
    end: str | None = None


class Address(Element):
    """An address: its use, commune and postcode, and its extensions (INSEE code)."""

    use: str | None = None
    type: str | None = None
    city: str | None = None
    postalCode: str | None = None
    extension: list["Extension"] = []


class Extension(Element):
    """An extension with the value types bascule reads."""

    url: str
    valueString: str | None = None
    valueCode: str | None = None
    valueCoding: Coding | None = None
    valueAddress: Address | None = None
    extension: list["Extension"] = []


Address.model_rebuild()


class HumanName(Element):
    """A person's name."""

    use: str | None = None
    family: str | None = None
    given: list[str] = []
    extension: list[Extension] = []


class ContactPoint(Element):
    """A phone number, e-mail address..."""

    system: str | None = None
    value: str | None = None
    use: str | None = None


class Resource(Element):
    """What every resource has."""

    resourceType: str
    id: str | None = None
    identifier: list[Identifier] = []
    extension: list[Extension] = []


class PatientContact(Element):
    """Someone to contact about the patient."""

    telecom: list[ContactPoint] = []


class Patient(Resource):
    """A person receiving care."""

    name: list[HumanName] = []
    telecom: list[ContactPoint] = []
    address: list[Address] = []
    contact: list[PatientContact] = []
    gender: str | None = None
    birthDate: str | None = None
    deceasedBoolean: bool | None = None
    deceasedDateTime: str | None = None


class Qualification(Element):
    """A practitioner's qualification."""

    code: CodeableConcept


class Practitioner(Resource):
    """A person providing care."""

    name: list[HumanName] = []
    telecom: list[ContactPoint] = []
    qualification: list[Qualification] = []


class PractitionerRole(Resource):
    """What a practitioner does, and where."""

    practitioner: Reference | None = None
    specialty: list[CodeableConcept] = []
    telecom: list[ContactPoint] = []


class Location(Resource):
    """A place: a ward, a room, a bed, a building..."""

    name: str | None = None
    physicalType: CodeableConcept | None = None
    partOf: Reference | None = None


class EncounterLocation(Element):
    """Where the patient was during part of an encounter."""

    location: Reference
    status: str | None = None
    period: Period | None = None


class Encounter(Resource):
    """A contact between a patient and the site."""

    status: str | None = None
    class_: Coding | None = Field(default=None, alias="class")
    subject: Reference | None = None
    period: Period | None = None
    location: list[EncounterLocation] = []
    serviceType: CodeableConcept | None = None


class Performer(Element):
    """Who performed a procedure."""

    actor: Reference


class Procedure(Resource):
    """An action performed on a patient."""

    status: str | None = None
    category: CodeableConcept | None = None
    code: CodeableConcept | None = None
    subject: Reference | None = None
    performedPeriod: Period | None = None
    performer: list[Performer] = []


class Reaction(Element):
    """One reaction to the substance."""

    severity: str | None = None
    manifestation: list[CodeableConcept] = []


class AllergyIntolerance(Resource):
    """A risk of a harmful reaction to a substance."""

    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    criticality: str | None = None
    code: CodeableConcept | None = None
    patient: Reference | None = None
    reaction: list[Reaction] = []


class Quantity(Element):
    """A measured amount."""

    value: float | None = None
    unit: str | None = None
    code: str | None = None


class DoseAndRate(Element):
    """Amount of medication per dose."""

    doseQuantity: Quantity | None = None


class Repeat(Element):
    """When a dose repeats."""

    frequency: int | None = None
    period: float | None = None
    periodUnit: str | None = None


class Timing(Element):
    """Timing of doses."""

    repeat: Repeat | None = None
    code: CodeableConcept | None = None


class Dosage(Element):
    """How a medication is taken."""

    text: str | None = None
    route: CodeableConcept | None = None
    timing: Timing | None = None
    doseAndRate: list[DoseAndRate] = []
    asNeededBoolean: bool | None = None


class Medication(Resource):
    """A medication, read only for the name of requests and statements that point to it."""

    code: CodeableConcept | None = None


class MedicationUse(Resource):
    """MedicationRequest or MedicationStatement: the elements both have or mean alike."""

    status: str | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    subject: Reference | None = None
    contained: list[dict[str, Any]] = []
    dosageInstruction: list[Dosage] = []
    dosage: list[Dosage] = []

    @property
    def dosages(self) -> list[Dosage]:
        """``dosageInstruction`` of a request, ``dosage`` of a statement."""
        return self.dosageInstruction or self.dosage


class AppointmentParticipant(Element):
    """A person, place or device taking part in an appointment."""

    actor: Reference | None = None


class Appointment(Resource):
    """A booking of people and places for a start time."""

    status: str | None = None
    appointmentType: CodeableConcept | None = None
    serviceType: list[CodeableConcept] = []
    specialty: list[CodeableConcept] = []
    description: str | None = None
    start: str | None = None
    end: str | None = None
    minutesDuration: int | None = None
    created: str | None = None
    participant: list[AppointmentParticipant] = []


MODELS: dict[str, type[Resource]] = {
    "Patient": Patient,
    "Practitioner": Practitioner,
    "PractitionerRole": PractitionerRole,
    "Location": Location,
    "Encounter": Encounter,
    "Procedure": Procedure,
    "AllergyIntolerance": AllergyIntolerance,
    "Medication": Medication,
    "MedicationRequest": MedicationUse,
    "MedicationStatement": MedicationUse,
    "Appointment": Appointment,
}

_EXPECTED = {
    "string_type": "is not a string",
    "bool_type": "is not true or false",
    "int_type": "is not an integer",
    "int_from_float": "is not an integer",
    "float_type": "is not a number",
    "list_type": "is not a list",
    "model_type": "is not an object",
    "dict_type": "is not an object",
    "model_attributes_type": "is not an object",
}


def describe_validation_error(resource_type: str, error: ValidationError) -> str:
    """The first problem of ``error`` as ``Type.path value is not ...``."""
    first = error.errors()[0]
    path = resource_type
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if first["type"] == "missing":
        return f"{path} is missing"
    shown = repr(first["input"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    expected = _EXPECTED.get(first["type"])
    return f"{path} {shown} {expected}" if expected else f"{path} {shown}: {first['msg']}"
