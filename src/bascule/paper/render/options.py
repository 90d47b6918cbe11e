"""How many blank forms and labels a packet holds."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PacketOptions:
    """Quantities a site may tune for its packet."""

    blank_admissions: int = 10
    """Blank admission forms (downtime registrations)."""
    blank_requests: int = 5
    """Blank lab/imaging request forms."""
    medication_days: int = 3
    """Days per medication administration record."""
    labels_per_patient: int = 24
    """Labels per patient: one full 3x8 sheet."""
