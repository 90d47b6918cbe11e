"""The five sites of the synthetic group: where they are, what they operate, how big they are.

Hand-written rather than drawn at random so that the demo always tells the same story:
two big clinics (Nantes, Rennes) with cardiac surgery, a mid-sized one (Angers) and two
smaller ones (Saint-Nazaire, Quimper) that depend on their neighbours.
"""

from dataclasses import dataclass

ORTHO = "orthopaedics"
DIGESTIVE = "digestive"
UROLOGY = "urology"
GYNAECOLOGY = "gynaecology"
OPHTHALMOLOGY = "ophthalmology"
ENT = "ent"
VASCULAR = "vascular"
PLASTIC = "plastic"
CARDIAC = "cardiac"
THORACIC = "thoracic"
MEDICINE = "medicine"
AMBULATORY = "ambulatory"
CRITICAL_CARE = "critical-care"

WARD_NAMES = {
    ORTHO: "Chirurgie orthopédique et traumatologique",
    DIGESTIVE: "Chirurgie digestive et viscérale",
    UROLOGY: "Urologie",
    GYNAECOLOGY: "Gynécologie",
    OPHTHALMOLOGY: "Ophtalmologie",
    ENT: "ORL et chirurgie cervico-faciale",
    VASCULAR: "Chirurgie vasculaire",
    PLASTIC: "Chirurgie plastique et reconstructrice",
    CARDIAC: "Chirurgie cardiaque",
    THORACIC: "Chirurgie thoracique",
    MEDICINE: "Médecine polyvalente",
    AMBULATORY: "Unité de chirurgie ambulatoire",
    CRITICAL_CARE: "Unité de soins continus",
}

WEEKDAY_MINUTES = 600
"""08:00-18:00, the usual opening of a theatre on a weekday."""
SATURDAY_MINUTES = 240
"""08:00-12:00 for the few theatres that open on Saturday mornings."""
DAY_STARTS_AT = 8 * 60
"""Every theatre opens at 08:00; opening minutes count from there."""


@dataclass(frozen=True, slots=True)
class TheatreSpec:
    """One theatre: the specialties it is equipped for and whether it opens on Saturday."""

    specialties: tuple[str, ...]
    saturday: bool = False
    weekday_minutes: int = WEEKDAY_MINUTES


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """Everything fixed about a site of the synthetic group."""

    id: str
    name: str
    city: str
    latitude: float
    longitude: float
    theatres: tuple[TheatreSpec, ...]
    ward_beds: tuple[tuple[str, int], ...]
    patient_share: float
    """Share of the patient index whose main site this is."""
    birth_departments: tuple[tuple[str, float], ...]
    """Where this site's patients were born, by department (the rest: elsewhere, abroad)."""
    neighbours: tuple[tuple[str, float], ...]
    """Sites its patients and surgeons also go to, with relative weights."""
    ipp_prefix: str
    """First digits of the patient identifiers (IPP) this site issues."""

    @property
    def specialties(self) -> tuple[str, ...]:
        """Surgical specialties operated here, in the order theatres list them."""
        seen: dict[str, None] = {}
        for theatre in self.theatres:
            seen.update(dict.fromkeys(theatre.specialties))
        return tuple(seen)

    @property
    def beds(self) -> int:
        """Total beds over all wards."""
        return sum(count for _, count in self.ward_beds)


def _theatres(*groups: tuple[int, tuple[str, ...], int]) -> tuple[TheatreSpec, ...]:
    """Expand (count, specialties, how many of them open Saturday) into theatre specs."""
    return tuple(
        TheatreSpec(specialties, saturday=index < saturdays)
        for count, specialties, saturdays in groups
        for index in range(count)
    )


SITE_SPECS: tuple[SiteSpec, ...] = (
    SiteSpec(
        id="rennes",
        name="Clinique Saint-Laurent – Rennes",
        city="Rennes",
        latitude=48.1173,
        longitude=-1.6778,
        theatres=_theatres(
            (3, (ORTHO,), 1),
            (2, (DIGESTIVE,), 0),
            (2, (UROLOGY,), 0),
            (1, (GYNAECOLOGY,), 0),
            (1, (OPHTHALMOLOGY,), 1),
            (1, (ENT,), 0),
            (1, (VASCULAR,), 0),
            (1, (CARDIAC,), 0),
        ),
        ward_beds=(
            (ORTHO, 56),
            (DIGESTIVE, 44),
            (UROLOGY, 28),
            (GYNAECOLOGY, 24),
            (ENT, 14),
            (VASCULAR, 22),
            (CARDIAC, 28),
            (AMBULATORY, 42),
            (MEDICINE, 56),
            (CRITICAL_CARE, 12),
        ),
        patient_share=0.28,
        birth_departments=(("35", 55), ("22", 12), ("56", 8), ("29", 5), ("53", 5), ("44", 3)),
        neighbours=(("nantes", 3), ("quimper", 1), ("angers", 1)),
        ipp_prefix="1",
    ),
    SiteSpec(
        id="saint-nazaire",
        name="Clinique de l'Estuaire – Saint-Nazaire",
        city="Saint-Nazaire",
        latitude=47.2735,
        longitude=-2.2138,
        theatres=_theatres(
            (2, (ORTHO,), 1),
            (2, (DIGESTIVE,), 0),
            (1, (UROLOGY,), 0),
            (1, (GYNAECOLOGY, ENT), 0),
            (1, (OPHTHALMOLOGY,), 0),
        ),
        ward_beds=(
            (ORTHO, 30),
            (DIGESTIVE, 28),
            (UROLOGY, 12),
            (GYNAECOLOGY, 12),
            (AMBULATORY, 26),
            (MEDICINE, 36),
        ),
        patient_share=0.13,
        birth_departments=(("44", 62), ("56", 8), ("35", 4), ("85", 4), ("49", 2)),
        neighbours=(("nantes", 5), ("rennes", 1)),
        ipp_prefix="2",
    ),
    SiteSpec(
        id="quimper",
        name="Clinique de l'Odet – Quimper",
        city="Quimper",
        latitude=47.9960,
        longitude=-4.1024,
        theatres=_theatres(
            (2, (ORTHO,), 0),
            (1, (DIGESTIVE,), 0),
            (1, (OPHTHALMOLOGY, ENT), 0),
            (1, (UROLOGY, GYNAECOLOGY), 0),
        ),
        ward_beds=(
            (ORTHO, 22),
            (DIGESTIVE, 20),
            (AMBULATORY, 18),
            (MEDICINE, 30),
        ),
        patient_share=0.09,
        birth_departments=(("29", 70), ("56", 6), ("22", 5), ("35", 3)),
        neighbours=(("rennes", 4), ("nantes", 1)),
        ipp_prefix="3",
    ),
    SiteSpec(
        id="nantes",
        name="Hôpital privé Sainte-Victoire – Nantes",
        city="Nantes",
        latitude=47.2184,
        longitude=-1.5536,
        theatres=_theatres(
            (3, (ORTHO,), 1),
            (2, (DIGESTIVE,), 0),
            (2, (UROLOGY,), 0),
            (1, (GYNAECOLOGY,), 0),
            (2, (OPHTHALMOLOGY,), 1),
            (1, (ENT,), 0),
            (1, (VASCULAR,), 0),
            (1, (CARDIAC,), 0),
            (1, (THORACIC, PLASTIC), 0),
        ),
        ward_beds=(
            (ORTHO, 60),
            (DIGESTIVE, 50),
            (UROLOGY, 30),
            (GYNAECOLOGY, 24),
            (ENT, 16),
            (VASCULAR, 24),
            (CARDIAC, 30),
            (THORACIC, 18),
            (PLASTIC, 12),
            (AMBULATORY, 48),
            (MEDICINE, 60),
            (CRITICAL_CARE, 16),
        ),
        patient_share=0.32,
        birth_departments=(("44", 50), ("85", 8), ("49", 6), ("56", 4), ("35", 4), ("53", 2)),
        neighbours=(("saint-nazaire", 3), ("angers", 2), ("rennes", 2)),
        ipp_prefix="4",
    ),
    SiteSpec(
        id="angers",
        name="Clinique du Maine – Angers",
        city="Angers",
        latitude=47.4784,
        longitude=-0.5632,
        theatres=_theatres(
            (2, (ORTHO,), 1),
            (2, (DIGESTIVE,), 0),
            (1, (UROLOGY,), 0),
            (1, (GYNAECOLOGY,), 0),
            (1, (OPHTHALMOLOGY,), 0),
            (1, (ENT,), 0),
            (1, (VASCULAR, PLASTIC), 0),
        ),
        ward_beds=(
            (ORTHO, 40),
            (DIGESTIVE, 36),
            (UROLOGY, 18),
            (GYNAECOLOGY, 16),
            (ENT, 10),
            (VASCULAR, 14),
            (AMBULATORY, 32),
            (MEDICINE, 44),
            (CRITICAL_CARE, 8),
        ),
        patient_share=0.18,
        birth_departments=(("49", 60), ("53", 8), ("44", 6), ("85", 3), ("35", 2)),
        neighbours=(("nantes", 4), ("rennes", 1)),
        ipp_prefix="5",
    ),
)
