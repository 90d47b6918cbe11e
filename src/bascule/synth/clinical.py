"""Clinical essentials of synthetic people: blood group, allergies, treatments, alerts."""

import random
from dataclasses import dataclass
from functools import cache

from bascule.domain.patients import Allergy, ClinicalEssentials, Medication, Severity, Sex
from bascule.synth.weighted import Picker

_BLOOD_GROUPS = Picker(
    ["O+", "A+", "B+", "AB+", "O-", "A-", "B-", "AB-", None],
    [36 * 0.85, 37 * 0.85, 9 * 0.85, 3 * 0.85, 6 * 0.85, 7 * 0.85, 1 * 0.85, 1 * 0.85, 15],
)
"""French distribution (EFS); the group's records lack a blood group for 15 % of people."""

ALLERGY_SHARE = 0.22
_ALLERGY_COUNT = Picker([1, 2, 3], [75.0, 20.0, 5.0])
_ALLERGENS = Picker(
    [
        "Pénicillines",
        "Amoxicilline",
        "Céphalosporines",
        "Sulfamides",
        "AINS",
        "Aspirine",
        "Codéine",
        "Morphine",
        "Tramadol",
        "Produits de contraste iodés",
        "Latex",
        "Chlorhexidine",
        "Povidone iodée (Bétadine)",
        "Sparadrap",
        "Nickel",
        "Curares",
        "Arachide",
        "Fruits à coque",
        "Crustacés",
        "Œuf",
    ],
    [30, 8, 4, 6, 10, 5, 4, 3, 2, 8, 8, 2, 3, 3, 3, 1, 4, 2, 3, 1],
)
_SEVERITIES = Picker([Severity.MILD, Severity.MODERATE, Severity.SEVERE], [50.0, 35.0, 15.0])
_REACTIONS: dict[Severity, tuple[str, ...]] = {
    Severity.MILD: ("Urticaire", "Prurit", "Éruption cutanée", "Troubles digestifs", "Eczéma"),
    Severity.MODERATE: ("Urticaire généralisée", "Œdème du visage", "Bronchospasme"),
    Severity.SEVERE: ("Choc anaphylactique", "Œdème de Quincke", "Bronchospasme sévère"),
}


@dataclass(frozen=True, slots=True)
class _Drug:
    kind: str
    medication: Medication
    weight: float
    min_age: int = 18
    sex: Sex | None = None


def _d(
    kind: str,
    name: str,
    dose: str,
    frequency: str,
    weight: float,
    *,
    min_age: int = 18,
    sex: Sex | None = None,
    route: str = "per os",
) -> _Drug:
    return _Drug(kind, Medication(name, dose, route, frequency), weight, min_age, sex)


_DAILY = "1 fois par jour"
_TWICE = "2 fois par jour"
_DRUGS: tuple[_Drug, ...] = (
    _d("antiplatelet", "Kardégic", "75 mg", _DAILY, 10, min_age=45),
    _d("antiplatelet", "Clopidogrel", "75 mg", _DAILY, 4, min_age=45),
    _d("anticoagulant", "Apixaban (Eliquis)", "5 mg", _TWICE, 6, min_age=55),
    _d("anticoagulant", "Rivaroxaban (Xarelto)", "20 mg", _DAILY, 4, min_age=55),
    _d("anticoagulant", "Warfarine (Coumadine)", "5 mg", "1 fois par jour le soir", 2, min_age=55),
    _d("anticoagulant", "Enoxaparine (Lovenox)", "4000 UI", _DAILY, 1, route="sous-cutanée"),
    _d("statin", "Atorvastatine", "20 mg", _DAILY, 10, min_age=40),
    _d("statin", "Rosuvastatine", "10 mg", _DAILY, 6, min_age=40),
    _d("ace", "Ramipril", "5 mg", _DAILY, 6, min_age=40),
    _d("ace", "Périndopril", "5 mg", _DAILY, 5, min_age=40),
    _d("ace", "Irbésartan", "150 mg", _DAILY, 4, min_age=40),
    _d("calcium", "Amlodipine", "5 mg", _DAILY, 8, min_age=40),
    _d("diuretic", "Furosémide (Lasilix)", "40 mg", _DAILY, 5, min_age=60),
    _d("diuretic", "Hydrochlorothiazide", "12,5 mg", _DAILY, 3, min_age=45),
    _d("betablocker", "Bisoprolol", "2,5 mg", _DAILY, 7, min_age=45),
    _d("betablocker", "Nébivolol", "5 mg", _DAILY, 3, min_age=45),
    _d("diabetes", "Metformine", "850 mg", _TWICE, 8, min_age=35),
    _d("diabetes", "Gliclazide", "30 mg", _DAILY, 2, min_age=45),
    _d("insulin", "Insuline glargine (Lantus)", "20 UI", "le soir", 3, route="sous-cutanée"),
    _d("thyroid", "Lévothyroxine (Levothyrox)", "75 µg", "le matin à jeun", 8, min_age=18),
    _d("ppi", "Ésoméprazole", "20 mg", _DAILY, 6),
    _d("ppi", "Pantoprazole", "40 mg", _DAILY, 4),
    _d("analgesic", "Paracétamol (Doliprane)", "1 g", "jusqu'à 3 fois par jour", 8),
    _d("analgesic", "Tramadol", "50 mg", "jusqu'à 3 fois par jour", 2),
    _d("antidepressant", "Sertraline", "50 mg", _DAILY, 4),
    _d("antidepressant", "Escitalopram", "10 mg", _DAILY, 4),
    _d("anxiolytic", "Oxazépam (Séresta)", "10 mg", "le soir", 3),
    _d("anxiolytic", "Zolpidem (Stilnox)", "10 mg", "au coucher", 3),
    _d("anxiolytic", "Alprazolam (Xanax)", "0,25 mg", _TWICE, 2),
    _d("neuro", "Prégabaline (Lyrica)", "75 mg", _TWICE, 2),
    _d("neuro", "Lévétiracétam (Keppra)", "500 mg", _TWICE, 1, min_age=2),
    _d("asthma", "Salbutamol (Ventoline)", "100 µg", "si besoin", 4, min_age=6, route="inhalée"),
    _d("asthma", "Budésonide/formotérol", "200/6 µg", _TWICE, 3, min_age=12, route="inhalée"),
    _d("gout", "Allopurinol", "100 mg", _DAILY, 3, min_age=45),
    _d("prostate", "Tamsulosine", "0,4 mg", _DAILY, 5, min_age=50, sex=Sex.MALE),
    _d("bone", "Alendronate", "70 mg", "1 fois par semaine", 3, min_age=60, sex=Sex.FEMALE),
    _d("contraception", "Désogestrel", "75 µg", _DAILY, 5, min_age=15, sex=Sex.FEMALE),
    _d("vitamin", "Cholécalciférol", "100 000 UI", "tous les 3 mois", 5, min_age=0),
)

_AGE_STEPS = (0, 15, 35, 45, 55, 65, 80)
"""Ages at which the drug lists and treatment burden change."""
_TREATED_SHARE = {0: 0.05, 15: 0.15, 35: 0.25, 45: 0.4, 55: 0.55, 65: 0.75, 80: 0.9}
_MAX_DRUGS = {0: 1, 15: 2, 35: 2, 45: 3, 55: 4, 65: 6, 80: 8}


def _age_step(age: int) -> int:
    step = 0
    for threshold in _AGE_STEPS:
        if age >= threshold:
            step = threshold
    return step


@cache
def _drug_picker(sex: Sex, age_step: int) -> Picker[_Drug]:
    drugs = [d for d in _DRUGS if d.min_age <= age_step and d.sex in (None, sex)]
    if age_step >= 55:
        drugs = [d for d in drugs if d.kind != "contraception"]
    return Picker(drugs, [d.weight for d in drugs])


_LANDLINE_AREAS = ("23", "28", "40", "41", "43", "51", "96", "97", "98", "99")
"""Second pair of digits of landlines in Brittany and the Loire valley (02 99 for Rennes)."""


def draw_phone(rng: random.Random) -> str:
    """A French phone number as people write it: mostly mobiles, some western landlines."""
    roll = rng.random()
    if roll < 0.8:
        head = f"0{6 if roll < 0.55 else 7} {rng.randrange(100):02d}"
    else:
        head = f"02 {rng.choice(_LANDLINE_AREAS)}"
    return head + "".join(f" {rng.randrange(100):02d}" for _ in range(3))


def _medications(rng: random.Random, sex: Sex, age: int) -> tuple[Medication, ...]:
    step = _age_step(age)
    if rng.random() >= _TREATED_SHARE[step]:
        return ()
    wanted = rng.randint(1, _MAX_DRUGS[step])
    picker = _drug_picker(sex, step)
    chosen: dict[str, Medication] = {}
    for _ in range(wanted * 3):
        drug = picker.pick(rng)
        chosen.setdefault(drug.kind, drug.medication)
        if len(chosen) == wanted:
            break
    return tuple(chosen.values())


def _allergies(rng: random.Random) -> tuple[Allergy, ...]:
    if rng.random() >= ALLERGY_SHARE:
        return ()
    allergies = []
    for substance in _ALLERGENS.pick_distinct(rng, _ALLERGY_COUNT.pick(rng)):
        severity = _SEVERITIES.pick(rng)
        allergies.append(Allergy(substance, severity, rng.choice(_REACTIONS[severity])))
    return tuple(allergies)


def _alerts(
    rng: random.Random, age: int, allergies: tuple[Allergy, ...], drugs: tuple[Medication, ...]
) -> tuple[str, ...]:
    """The few warnings a clinician must see first; most people have none."""
    alerts = []
    names = {m.name for m in drugs}
    if names & {"Apixaban (Eliquis)", "Rivaroxaban (Xarelto)", "Warfarine (Coumadine)"} and (
        rng.random() < 0.5
    ):
        alerts.append("Anticoagulé : relais à organiser avant tout geste")
    if "Insuline glargine (Lantus)" in names and rng.random() < 0.5:
        alerts.append("Diabète insulinotraité : surveillance glycémique")
    if any(a.substance == "Latex" for a in allergies):
        alerts.append("Allergie au latex : salle et matériel sans latex")
    roll = rng.random()
    if age >= 65 and roll < 0.015:
        alerts.append("Porteur d'un stimulateur cardiaque")
    elif 0.015 <= roll < 0.02:
        alerts.append("Portage de BMR : précautions complémentaires contact")
    elif 0.02 <= roll < 0.023:
        alerts.append("Intubation difficile connue")
    elif 0.023 <= roll < 0.025:
        alerts.append("Refus de transfusion sanguine")
    elif age >= 75 and 0.025 <= roll < 0.035:
        alerts.append("Sous tutelle : prévenir le tuteur")
    return tuple(alerts)


def draw_essentials(rng: random.Random, sex: Sex, age: int) -> ClinicalEssentials:
    """Blood group, allergies, active treatment and alerts for a person of ``sex`` and ``age``."""
    allergies = _allergies(rng)
    drugs = _medications(rng, sex, age)
    return ClinicalEssentials(
        blood_group=_BLOOD_GROUPS.pick(rng),
        allergies=allergies,
        medications=drugs,
        alerts=_alerts(rng, age, allergies, drugs),
        emergency_contact_phone=draw_phone(rng) if rng.random() < 0.92 else "",
    )
