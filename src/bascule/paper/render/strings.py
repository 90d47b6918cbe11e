"""Every word a packet prints, in French, and the formatting of dates, times and names.

Kept in one place so the wording can be reviewed by the clinics (and translated) without
reading layout code. Date and month names are spelled here rather than taken from the
system locale: a crisis laptop's locale is whatever it happens to be.
"""

from datetime import date, datetime

from bascule.clock import local_time
from bascule.paper.model import AllergyLine, PrintedIdentity

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_SHORT_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")

# Page frame
PRINTED = (
    "Imprimé le {day} à {time} par {who} — données au {as_of} (source : {source}, séquence {seq})"
)
PAGE = "page {number} /"
FORM_ID = "Formulaire {form_id}"
RETURN_FORM = "À RENDRE pour ressaisie"
CONTINUED = "{title} (suite)"
PDF_TITLE = "Dossier papier — {site} — {day}"
PDF_SUBJECT = "Mode dégradé : listes, fiches et formulaires papier"

# Identity
USED_NAME_FEMALE = "ép."
USED_NAME_OTHER = "nom d'usage"
BORN = {"F": "née le", "M": "né le"}
BORN_UNKNOWN_SEX = "né(e) le"
SEX = "Sexe"
SEX_NAMES = {"F": "F", "M": "M", "U": "Indéterminé"}
LOCAL_ID = "IPP"
IDENTITY_STATUS = {
    "PROV": "Identité provisoire",
    "VALI": "Identité validée",
    "QUAL": "Identité qualifiée (INS)",
}
ALLERGY = "ALLERGIE"
ALLERGIES = "ALLERGIES"
NO_KNOWN_ALLERGY = "Aucune allergie connue"
SEVERITY = {"mild": "légère", "moderate": "modérée", "severe": "SÉVÈRE"}

# Surgical cases
PRIORITY_DEADLINE = {
    "P1a": "< 24 h",
    "P1b": "< 72 h",
    "P2": "< 4 sem.",
    "P3": "< 3 mois",
    "P4": "> 3 mois",
}
URGENT_PRIORITIES = frozenset({"P1a", "P1b"})
CCAM = "CCAM"
CASE_STATUS = {
    "postponed": "REPORTÉE",
    "redirected": "RÉORIENTÉE",
    "cancelled": "ANNULÉE",
    "done": "RÉALISÉE",
}

# OR lists
OR_LISTS_TITLE = "Programme opératoire"
NO_THEATRES = "Aucune salle d'opération programmée ce jour."
OR_LIST_TITLE = "Programme opératoire — {theatre}"
OR_LIST_SUBTITLE = "{count} intervention(s) prévue(s)"
OR_LIST_EMPTY = "Aucune intervention prévue dans cette salle ce jour."
OR_COLUMNS = (
    "Heure",
    "Patient",
    "Intervention",
    "Chirurgien",
    "Priorité",
    "Remarques",
    "Heures réelles",
    "Code",
)
ACTUAL_TIMES = ("Entrée", "Incision", "Sortie")

# Census
CENSUS_TITLE_SITE = "État des lits"
CENSUS_TITLE = "État des lits — {ward}"
CENSUS_SUBTITLE = "{occupied} patient(s) pour {beds} lit(s)"
CENSUS_COLUMNS = ("Chambre", "Lit", "Patient", "Entrée", "Alertes")
FREE_BED = "— libre —"
NO_BEDS = "Aucun lit enregistré pour ce service."
NO_WARDS = "Aucun service d'hospitalisation enregistré pour ce site."

# Patient sheets
SHEETS_TITLE = "Fiches patients"
SHEET_TITLE = "Fiche patient — {name}"
NO_SHEETS = "Aucune fiche patient à imprimer."
IDENTITY = "Identité"
BIRTH_NAME = "Nom de naissance"
USED_NAME = "Nom utilisé"
GIVEN_NAMES = "Prénoms"
BIRTH_DATE = "Date de naissance"
NIR = "NIR"
IDENTITY_STATUS_LABEL = "Statut"
BLOOD_GROUP = "Groupe sanguin"
EMERGENCY_CONTACT = "Personne à prévenir (tél.)"
MEDICATIONS = "Traitements en cours"
MEDICATION_COLUMNS = ("Médicament", "Dose", "Voie", "Fréquence")
NO_MEDICATIONS = "Aucun traitement enregistré"
ALERTS = "Alertes"
NO_ALERTS = "Aucune alerte enregistrée"
CURRENT_STAY = "Séjour en cours"
NO_STAY = "Pas de séjour en cours"
WARD = "Service"
ROOM = "Chambre"
BED = "Lit"
ADMITTED = "Entré(e) le"
EXPECTED_DISCHARGE = "Sortie prévue"
NEXT_CASE = "Intervention prévue"
NO_NEXT_CASE = "Aucune intervention prévue"
THEATRE = "Salle"
DATE = "Date"
TIME = "Heure"
PRIORITY = "Priorité"
PROCEDURE = "Intervention"
SURGEON = "Chirurgien"

# Labels
LABELS_TITLE = "Étiquettes patients"
NO_LABELS = "Aucun patient à étiqueter."
DOWNTIME_TITLE = "Étiquettes d'identifiant de secours"
NO_DOWNTIME_IDS = "Aucun identifiant de secours à imprimer."
DOWNTIME_ID = "N° secours"
DOWNTIME_LINES = ("Nom", "Prénom", "Né(e) le", "Sexe")

# Call list
CALL_LIST_TITLE = "Patients à rappeler"
CALL_LIST_SUBTITLE = "{count} patient(s) reporté(s) ou réorienté(s)"
CALL_LIST_EMPTY = "Aucun patient à rappeler."
CALL_COLUMNS = (
    "Patient",
    "Téléphone",
    "Intervention",
    "Prévu",
    "Nouveau",
    "Appelé le",
    "Par",
    "Résultat",
)
CALL_STATUS = {"postponed": "Reportée", "redirected": "Réorientée"}
CALL_RESULTS = ("joint", "message", "injoignable")

# Blank and pre-filled forms
ADMISSION_TITLE = "Admission en mode dégradé"
ADMISSION_INTRO = (
    "Écrire en MAJUSCULES, un caractère par case. Identité recopiée d'une pièce "
    "d'identité si possible ; sinon l'identité reste provisoire."
)
DOWNTIME_BOX = "N° de secours (coller l'étiquette)"
ADMISSION_FIELDS = {
    "birth_name": "Nom de naissance",
    "first_given_name": "Premier prénom",
    "other_given_names": "Autres prénoms",
    "used_name": "Nom utilisé",
    "birth_date": "Date de naissance (jj mm aaaa)",
    "sex": "Sexe (M / F)",
    "birth_place": "Lieu de naissance : code INSEE de la commune",
    "birth_town": "Commune de naissance (en clair)",
    "nir": "N° de sécurité sociale (NIR) et clé",
    "address": "Adresse",
    "postcode": "Code postal",
    "town": "Commune",
    "phone": "Téléphone",
    "contact": "Personne à prévenir et téléphone",
    "admission": "Admission",
    "admitted_at": "Date et heure d'entrée (jj mm aaaa hh mm)",
    "reason": "Motif d'admission",
    "doctor": "Médecin",
    "document": "Pièce d'identité vue",
}
SEX_CHOICES = ("M", "F")
YES_NO = ("Oui", "Non")
CONTACT = "Coordonnées"
ADMISSION = "Admission"
LOCAL_ID_OR_DOWNTIME = "IPP ou N° de secours"
STICKER_BOX = "Coller une étiquette patient"
IDENTITY_DOCUMENTS = ("Carte d'identité", "Passeport", "Titre de séjour", "Aucune")
SIGNATURE = "Signature"
ENTERED_BY = "Saisi par (nom, fonction)"

SURGICAL_TITLE = "Feuille d'intervention — {name}"
SURGICAL_CASE = "Intervention programmée"
SURGICAL_TIMES_TITLE = "Horaires (hh mm)"
SURGICAL_TEAM_TITLE = "Équipe"
SURGICAL_TIMES = ("Entrée salle", "Induction", "Incision", "Fermeture", "Sortie salle")
SURGICAL_TEAM = ("Chirurgien", "Anesthésiste", "IBODE", "IADE")
PLANNED = "Prévu"
PROCEDURE_DONE = "Intervention réalisée"
ANAESTHESIA = "Anesthésie"
ANAESTHESIA_TYPES = (
    "Générale",
    "Rachianesthésie",
    "Péridurale",
    "Bloc périphérique",
    "Locale",
    "Sédation",
)
IMPLANTS = "Dispositifs implantés"
IMPLANT_COLUMNS = ("Désignation", "Fabricant", "Référence", "N° de lot", "Qté")
OBSERVATIONS = "Observations, incidents"
SIGNATURES = ("Chirurgien", "Anesthésiste", "IBODE / IDE")

MAR_TITLE = "Administration des traitements — {name}"
MAR_ROOM = "chambre {room}"
MAR_BED = "lit {bed}"
MAR_MEDICATION = "Médicament · dose · voie · fréquence"
MAR_SLOTS = ("matin", "midi", "soir", "nuit")
MAR_HINT = "Initiales de l'IDE dans la case ; « NA » et motif au verso si non administré."

REQUEST_TITLE = "Demande d'examen — biologie / imagerie"
REQUEST_PATIENT = "Patient (ou coller une étiquette)"
REQUEST_URGENCY = ("Urgent", "Non urgent")
REQUEST_PRESCRIBER = "Prescripteur"
REQUEST_DATE = "Date et heure de la demande"
REQUEST_LAB = "Biologie"
REQUEST_LAB_TESTS = (
    "NFS",
    "Ionogramme",
    "Créatinine",
    "Bilan hépatique",
    "TP / TCA",
    "Groupe + RAI",
    "Troponine",
    "CRP",
    "Gaz du sang",
    "Lactates",
    "Hémocultures",
    "ECBU",
)
REQUEST_IMAGING = "Imagerie"
REQUEST_IMAGING_TESTS = ("Radiographie", "Échographie", "Scanner", "IRM")
REQUEST_REGION = "Région, côté"
REQUEST_CONTRAST = "Injection de produit de contraste"
REQUEST_OTHER = "Autre examen"
REQUEST_CLINICAL = "Renseignements cliniques"
REQUEST_SAMPLE = "Prélevé le, à, par"
REQUEST_SAMPLER = "Préleveur"

TRANSFER_TITLE = "Lettre de transfert — {name}"
TRANSFER_GREETING = "Chère consœur, cher confrère,"
TRANSFER_BODY = (
    "Notre établissement fonctionne en mode dégradé à la suite d'une indisponibilité de son "
    "système d'information. Nous vous adressons ce patient pour l'intervention ci-dessous. "
    "Les informations qui suivent sont issues de la dernière copie disponible de notre dossier."
)
TRANSFER_FROM = "Établissement d'origine"
TRANSFER_TO = "Établissement d'accueil"
TRANSFER_DAY = "Date prévue"
TRANSFER_CASE = "N° d'intervention"
ALLERGIES_TITLE = "Allergies"
PHONE = "Téléphone"
TRANSFER_ALLERGIES_UNKNOWN = "Allergies (à compléter)"
TRANSFER_HISTORY = "Antécédents, informations utiles"
TRANSFER_DOCUMENTS = "Documents joints"
TRANSFER_DOCUMENT_TYPES = ("Fiche patient", "Bilan biologique", "Imagerie", "Consultation")
TRANSFER_DOCTOR = "Médecin signataire (nom, téléphone)"


def long_day(day: date) -> str:
    """``lundi 30 novembre 2026``."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_day(day: date) -> str:
    """``lun. 30/11``, for column headings."""
    return f"{_SHORT_WEEKDAYS[day.weekday()]} {day:%d/%m}"


def numeric_day(day: date | None) -> str:
    """``30/11/2026``, or nothing for a missing date."""
    return "" if day is None else f"{day:%d/%m/%Y}"


def numeric_moment(moment: datetime | None) -> str:
    """``27/11/2026 14:05``, or nothing when unknown."""
    return "" if moment is None else f"{local_time(moment):%d/%m/%Y %H:%M}"


def clock_time(moment: datetime) -> str:
    """``03:12``."""
    return f"{local_time(moment):%H:%M}"


def minute_of_day(minute: int | None) -> str:
    """``07:45`` from minutes after midnight, or nothing when unknown."""
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def duration(minutes: int | None) -> str:
    """``1 h 30``, ``45 min``, ``2 h``, or nothing when unknown."""
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def family_name(patient: PrintedIdentity) -> str:
    """BIRTH NAME in capitals, then the used name when it differs (``MARTIN ép. DUPONT``)."""
    birth = patient.birth_family_name.upper()
    used = patient.used_name.upper()
    if not used or used == birth:
        return birth
    prefix = USED_NAME_FEMALE if patient.sex == "F" else USED_NAME_OTHER
    return f"{birth} {prefix} {used}".strip()


def full_name(patient: PrintedIdentity) -> str:
    """Family name line followed by the given names."""
    return f"{family_name(patient)} {patient.given_names}".strip()


def born_on(patient: PrintedIdentity) -> str:
    """``née le 03/04/1956`` (agreed with the sex), or nothing when the date is unknown."""
    if patient.birth_date is None:
        return ""
    return f"{BORN.get(patient.sex, BORN_UNKNOWN_SEX)} {numeric_day(patient.birth_date)}"


def sex_name(sex: str) -> str:
    """The sex as printed; an unknown code is printed as given."""
    return SEX_NAMES.get(sex, sex)


def identity_status(status: str) -> str:
    """INS identity status spelled out."""
    return IDENTITY_STATUS.get(status, status)


def allergy_text(allergy: AllergyLine) -> str:
    """``pénicilline (SÉVÈRE : œdème de Quincke)``."""
    severity = SEVERITY.get(allergy.severity, allergy.severity)
    details = [text for text in (severity, allergy.reaction) if text]
    return f"{allergy.substance} ({' : '.join(details)})" if details else allergy.substance


def allergies_banner(allergies: tuple[AllergyLine, ...]) -> str:
    """One line for a list: ``ALLERGIE : pénicilline (sévère)``; nothing for no allergy."""
    if not allergies:
        return ""
    heading = ALLERGY if len(allergies) == 1 else ALLERGIES
    return f"{heading} : " + " ; ".join(allergy_text(allergy) for allergy in allergies)


def bed_place(ward: str, room: str, bed: str) -> str:
    """``Chirurgie — chambre 101 lit A``, leaving out what is unknown."""
    where = " ".join(
        text.format(room=room, bed=bed)
        for text, value in ((MAR_ROOM, room), (MAR_BED, bed))
        if value
    )
    return " — ".join(part for part in (ward, where) if part)


def priority_deadline(priority: str) -> str:
    """How soon a priority class must be operated, or nothing for an unknown class."""
    return PRIORITY_DEADLINE.get(priority, "")
