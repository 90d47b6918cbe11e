"""The surgical procedures each specialty books, with durations and typical patients.

Durations are lognormal around a median (``sigma`` is the spread of the log); CCAM codes are
given only where the code is certain, otherwise None. ``bands`` weights the five age bands of
:data:`bascule.synth.pools.AGE_BANDS`; ``female_share`` is None when sex does not matter.
"""

import math
import random
from dataclasses import dataclass

from bascule.synth import sites_data as s
from bascule.synth.weighted import Picker


@dataclass(frozen=True, slots=True)
class Procedure:
    """A kind of operation and what it usually takes."""

    label: str
    ccam: str | None
    median_minutes: int
    sigma: float
    weight: float
    bands: tuple[float, float, float, float, float]
    female_share: float | None = None

    def draw_minutes(self, rng: random.Random) -> int:
        """A plausible expected duration, rounded to 5 minutes as schedulers book them."""
        raw = self.median_minutes * math.exp(rng.gauss(0.0, self.sigma))
        low, high = self.median_minutes * 0.5, self.median_minutes * 2.2
        return max(5, round(min(max(raw, low), high) / 5.0) * 5)


P = Procedure
_ADULT = (0.0, 8.0, 10.0, 7.0, 2.0)
_ELDERLY = (0.0, 1.0, 6.0, 10.0, 4.0)
_CHILD = (12.0, 1.0, 0.0, 0.0, 0.0)

PROCEDURES: dict[str, tuple[Procedure, ...]] = {
    s.ORTHO: (
        P("Prothèse totale de genou", "NFKA007", 100, 0.2, 12, (0, 1, 10, 20, 8)),
        P("Prothèse totale de hanche", "NEKA020", 90, 0.2, 12, (0, 1, 8, 18, 10)),
        P("Méniscectomie sous arthroscopie", "NFFC004", 40, 0.25, 10, (1, 10, 12, 5, 0)),
        P("Ligamentoplastie du croisé antérieur", "NFMC003", 75, 0.2, 7, (2, 20, 5, 0, 0)),
        P("Réparation de la coiffe des rotateurs", "MJEC002", 80, 0.25, 6, (0, 3, 12, 8, 1)),
        P("Libération du nerf médian au canal carpien", "AHPA009", 20, 0.3, 12, _ADULT, 0.7),
        P("Cure d'hallux valgus", None, 55, 0.25, 7, (0, 6, 10, 5, 1), 0.85),
        P("Ostéosynthèse du radius distal", None, 60, 0.3, 5, (4, 5, 5, 6, 4)),
        P("Ablation de matériel d'ostéosynthèse", None, 35, 0.35, 5, (2, 8, 6, 2, 0)),
        P("Arthrodèse lombaire", None, 150, 0.25, 3, (0, 3, 8, 6, 1)),
    ),
    s.DIGESTIVE: (
        P("Cholécystectomie par cœlioscopie", "HMFC004", 70, 0.3, 14, _ADULT, 0.65),
        P("Cure de hernie inguinale par vidéochirurgie", "LMMC020", 55, 0.25, 12, _ELDERLY, 0.15),
        P("Appendicectomie par cœlioscopie", "HHFA016", 50, 0.3, 5, (6, 10, 3, 1, 0)),
        P("Gastrectomie longitudinale (sleeve)", "HFFC018", 90, 0.2, 5, (0, 10, 6, 0, 0), 0.75),
        P("Colectomie par cœlioscopie", None, 180, 0.25, 4, _ELDERLY),
        P("Cure d'éventration avec prothèse", None, 90, 0.3, 4, (0, 2, 6, 5, 1)),
        P("Hémorroïdectomie", None, 40, 0.3, 4, (0, 6, 8, 4, 1)),
        P("Exérèse de sinus pilonidal", None, 30, 0.3, 3, (2, 12, 2, 0, 0), 0.25),
        P("Thyroïdectomie totale", "KCFA005", 110, 0.25, 4, _ADULT, 0.75),
    ),
    s.UROLOGY: (
        P("Résection transurétrale de prostate", "JGFE023", 60, 0.25, 10, _ELDERLY, 0.0),
        P("Résection transurétrale de vessie", "JDFE002", 40, 0.3, 8, _ELDERLY, 0.2),
        P("Urétéroscopie souple et laser de calcul", None, 60, 0.3, 10, _ADULT, 0.35),
        P("Prostatectomie totale assistée par robot", None, 180, 0.2, 4, (0, 0, 8, 6, 0), 0.0),
        P("Pose de sonde double J", None, 20, 0.3, 5, (0, 4, 6, 6, 3), 0.4),
        P("Néphrectomie partielle par cœlioscopie", None, 160, 0.25, 2, _ELDERLY, 0.35),
        P("Cure d'hydrocèle", None, 35, 0.3, 3, (1, 4, 4, 3, 1), 0.0),
        P("Circoncision", None, 25, 0.3, 3, (5, 4, 2, 1, 0), 0.0),
    ),
    s.GYNAECOLOGY: (
        P("Hystérectomie totale par cœlioscopie", "JKFC005", 120, 0.25, 8, (0, 4, 10, 3, 0), 1.0),
        P("Hystéroscopie opératoire", None, 30, 0.3, 12, (0, 10, 8, 2, 0), 1.0),
        P("Conisation du col utérin", None, 25, 0.3, 6, (0, 12, 4, 0, 0), 1.0),
        P("Tumorectomie mammaire et ganglion sentinelle", None, 75, 0.25, 7, _ADULT, 1.0),
        P("Kystectomie ovarienne par cœlioscopie", None, 60, 0.3, 5, (1, 12, 3, 0, 0), 1.0),
        P("Cure de prolapsus par voie vaginale", None, 90, 0.25, 4, _ELDERLY, 1.0),
        P("Bandelette sous-urétrale", None, 30, 0.25, 5, (0, 2, 8, 5, 1), 1.0),
        P("Salpingectomie par cœlioscopie", None, 35, 0.25, 3, (0, 10, 2, 0, 0), 1.0),
    ),
    s.OPHTHALMOLOGY: (
        P(
            "Cataracte : phacoémulsification et implant",
            "BFGA004",
            20,
            0.25,
            70,
            (0, 0.5, 4, 12, 8),
            0.58,
        ),
        P("Vitrectomie", None, 60, 0.3, 8, _ELDERLY),
        P("Trabéculectomie", None, 45, 0.25, 4, _ELDERLY),
        P("Exérèse de ptérygion avec autogreffe", None, 30, 0.25, 4, (0, 5, 6, 2, 0)),
        P("Chirurgie du strabisme", None, 50, 0.25, 3, (8, 3, 1, 0, 0)),
    ),
    s.ENT: (
        P("Amygdalectomie", None, 35, 0.3, 10, (10, 4, 1, 0, 0)),
        P("Adénoïdectomie et aérateurs transtympaniques", None, 20, 0.3, 10, _CHILD),
        P("Septoplastie", "GAMA007", 50, 0.25, 8, (0, 10, 6, 1, 0), 0.35),
        P("Méatotomie et ethmoïdectomie endoscopiques", None, 70, 0.3, 5, _ADULT),
        P("Parotidectomie", None, 150, 0.2, 2, _ADULT),
        P("Thyroïdectomie totale", "KCFA005", 110, 0.25, 4, _ADULT, 0.75),
        P("Tympanoplastie", None, 90, 0.25, 3, (3, 5, 4, 1, 0)),
    ),
    s.VASCULAR: (
        P("Radiofréquence de la grande veine saphène", None, 45, 0.25, 12, _ADULT, 0.7),
        P("Endartériectomie carotidienne", None, 110, 0.2, 5, _ELDERLY, 0.3),
        P("Fistule artérioveineuse pour hémodialyse", None, 75, 0.3, 5, _ELDERLY, 0.4),
        P("Pontage fémoro-poplité", None, 180, 0.2, 3, _ELDERLY, 0.25),
        P("Angioplastie et stent fémoral", None, 70, 0.3, 5, _ELDERLY, 0.3),
        P("Amputation d'orteil", None, 30, 0.3, 2, (0, 0, 3, 5, 4), 0.3),
    ),
    s.PLASTIC: (
        P("Réduction mammaire", None, 150, 0.2, 5, (0, 8, 6, 1, 0), 1.0),
        P("Reconstruction mammaire par lambeau", None, 240, 0.15, 2, (0, 3, 6, 2, 0), 1.0),
        P("Abdominoplastie", None, 140, 0.2, 4, (0, 6, 6, 1, 0), 0.85),
        P("Exérèse de lésion cutanée et lambeau local", None, 40, 0.35, 10, (0, 3, 6, 8, 5)),
        P("Blépharoplastie", None, 60, 0.25, 4, (0, 1, 6, 4, 0), 0.75),
    ),
    s.CARDIAC: (
        P("Pontage aorto-coronarien", None, 240, 0.15, 10, _ELDERLY, 0.2),
        P("Remplacement valvulaire aortique sous CEC", "DBKA006", 220, 0.15, 8, _ELDERLY, 0.4),
        P("Plastie mitrale", None, 240, 0.15, 4, (0, 1, 5, 6, 2), 0.45),
        P("Remplacement de l'aorte ascendante", None, 280, 0.1, 2, _ELDERLY, 0.3),
    ),
    s.THORACIC: (
        P("Lobectomie pulmonaire par vidéothoracoscopie", None, 180, 0.2, 8, _ELDERLY, 0.4),
        P("Résection atypique pulmonaire", None, 90, 0.25, 5, (0, 2, 6, 6, 1)),
        P("Pleurodèse par thoracoscopie", None, 60, 0.3, 4, (0, 6, 4, 3, 1), 0.3),
        P("Médiastinoscopie", None, 45, 0.25, 3, _ELDERLY),
    ),
}

TURNOVER_MINUTES: dict[str, int] = {
    s.OPHTHALMOLOGY: 5,
    s.CARDIAC: 40,
    s.THORACIC: 25,
}
"""Cleaning and set-up between two cases; 15 minutes where not listed."""

FULL_DAY_SHARE: dict[str, float] = {s.CARDIAC: 1.0, s.THORACIC: 1.0, s.OPHTHALMOLOGY: 0.3}
"""How often one surgeon keeps a theatre all day rather than a morning or an afternoon."""

SPECIALTY_PICKERS: dict[str, Picker[Procedure]] = {
    specialty: Picker(procedures, [p.weight for p in procedures])
    for specialty, procedures in PROCEDURES.items()
}


def turnover(specialty: str) -> int:
    """Minutes between two cases of ``specialty`` in the same theatre."""
    return TURNOVER_MINUTES.get(specialty, 15)
