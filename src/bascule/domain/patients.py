"""Patients: INS identity traits and the clinical essentials a site needs during downtime."""

import re
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum

from bascule.domain._checks import require_slug, require_text
from bascule.domain.errors import DomainError
from bascule.domain.nir import validate_nir

_INSEE_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_BLOOD_GROUPS = frozenset({"A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"})


class Sex(StrEnum):
    """Administrative sex as carried by INS and HL7 (U: unknown)."""

    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class IdentityStatus(StrEnum):
    """INS identity status: provisional, validated (document checked), qualified (INSi)."""

    PROVISIONAL = "PROV"
    VALIDATED = "VALI"
    QUALIFIED = "QUAL"


class Severity(StrEnum):
    """How dangerous an allergy is."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True, slots=True)
class IdentityTraits:
    """The INS identity traits of a person."""

    birth_family_name: str
    first_given_name: str
    birth_date: date
    sex: Sex
    given_names: tuple[str, ...] = ()
    used_name: str = ""
    birth_place_insee: str = ""
    nir: str | None = None
    status: IdentityStatus = IdentityStatus.PROVISIONAL

    def __post_init__(self) -> None:
        owner = "identity"
        require_text(owner, "birth_family_name", self.birth_family_name)
        require_text(owner, "first_given_name", self.first_given_name)
        if self.birth_place_insee and not _INSEE_COMMUNE.match(self.birth_place_insee):
            raise DomainError(
                f"{owner}: birth_place_insee {self.birth_place_insee!r} is not a 5-character "
                "INSEE code (digits, or 2A/2B then 3 digits)"
            )
        if self.nir is not None:
            self._check_nir(self.nir)
        if self.status is IdentityStatus.QUALIFIED and self.nir is None:
            raise DomainError(f"{owner}: a qualified (QUAL) identity needs its NIR")

    def _check_nir(self, nir: str) -> None:
        if validate_nir(nir) != nir:
            raise DomainError(f"identity: nir {nir!r} must be stored normalised")
        sex_digit = nir[0]
        if (sex_digit == "1" and self.sex is Sex.FEMALE) or (
            sex_digit == "2" and self.sex is Sex.MALE
        ):
            raise DomainError(f"identity: nir {nir} does not agree with sex {self.sex.value}")
        month = int(nir[3:5])
        if sex_digit in "12" and 1 <= month <= 12 and int(nir[1:3]) != self.birth_date.year % 100:
            raise DomainError(
                f"identity: nir {nir} does not agree with birth year {self.birth_date.year}"
            )

    @property
    def display_name(self) -> str:
        """Used name (or birth name) in capitals, then the first given name."""
        family = self.used_name or self.birth_family_name
        return f"{family.upper()} {self.first_given_name}"


@dataclass(frozen=True, slots=True)
class Allergy:
    """An allergy or intolerance."""

    substance: str
    severity: Severity
    reaction: str = ""

    def __post_init__(self) -> None:
        require_text("allergy", "substance", self.substance)


@dataclass(frozen=True, slots=True)
class Medication:
    """An active medication."""

    name: str
    dose: str = ""
    route: str = ""
    frequency: str = ""

    def __post_init__(self) -> None:
        require_text("medication", "name", self.name)


@dataclass(frozen=True, slots=True)
class ClinicalEssentials:
    """What a clinician needs first when the record system is gone."""

    blood_group: str | None = None
    allergies: tuple[Allergy, ...] = ()
    medications: tuple[Medication, ...] = ()
    alerts: tuple[str, ...] = ()
    emergency_contact_phone: str = ""

    def __post_init__(self) -> None:
        if self.blood_group is not None and self.blood_group not in _BLOOD_GROUPS:
            raise DomainError(
                f"clinical essentials: blood_group {self.blood_group!r} is not one of "
                + ", ".join(sorted(_BLOOD_GROUPS))
            )


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """Where the person lives and how to reach them.

    Complementary identity traits (RNIV): not part of the INS, but what an identity
    vigilance cell weighs when the INS traits typed from paper leave a doubt.
    """

    postcode: str = ""
    city: str = ""
    phone: str = ""
    email: str = ""


CONTACT_FIELDS = tuple(f.name for f in fields(ContactDetails))
"""The contact details' names, which the patients table and the matcher's identity share."""


@dataclass(frozen=True, slots=True)
class Patient:
    """A person in the group's patient index."""

    id: str
    identity: IdentityTraits
    local_ids: tuple[tuple[str, str], ...] = ()
    essentials: ClinicalEssentials = field(default_factory=ClinicalEssentials)
    contact: ContactDetails = field(default_factory=ContactDetails)

    def __post_init__(self) -> None:
        require_text("patient", "id", self.id)
        sites = [site for site, _ in self.local_ids]
        if len(set(sites)) != len(sites):
            raise DomainError(f"patient {self.id}: at most one local id per site")
        for site, local_id in self.local_ids:
            require_slug(f"patient {self.id}", "local_ids site", site)
            require_text(f"patient {self.id}", f"local id at {site}", local_id)

    def local_id_at(self, site_id: str) -> str | None:
        """The patient's identifier at ``site_id``, if the site knows them."""
        return dict(self.local_ids).get(site_id)
