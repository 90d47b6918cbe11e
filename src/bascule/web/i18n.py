"""Every string the web interface shows, in French (default) and English.

The language comes from ``?lang=`` when given, else from the browser's Accept-Language,
else French: the staff are French, and a crisis is no time to guess.
"""

from dataclasses import dataclass
from datetime import datetime

from bascule.clock import local_time

DEFAULT_LANGUAGE = "fr"

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "app.tagline": "Continuité d'activité du groupe",
        "nav.sites": "Sites",
        "nav.main": "Navigation principale",
        "lang.other": "English",
        "lang.other_code": "en",
        "footer.database": "Base de données : {description}",
        "footer.journal": "Journal : entrée n° {seq}",
        "footer.generated": "Page générée le {moment}",
        "sites.title": "Sites du groupe",
        "sites.intro": "Capacités et activité de chaque site, telles que le journal les décrit.",
        "sites.empty": "Aucun site n'est encore enregistré dans cette base.",
        "sites.caption": "Capacités et activité par site",
        "sites.total": "Total groupe",
        "sites.total_note": (
            "Chirurgiens et patients : personnes distinctes du groupe ; une même personne "
            "peut exercer ou être connue sur plusieurs sites."
        ),
        "col.site": "Site",
        "col.city": "Ville",
        "col.theatres": "Salles d'opération",
        "col.wards": "Unités de soins",
        "col.beds": "Lits",
        "col.occupied": "Lits occupés",
        "col.occupancy": "Taux d'occupation",
        "col.surgeons": "Chirurgiens",
        "col.patients": "Patients",
        "col.booked": "Interventions programmées",
        "site.identifier": "Identifiant",
        "site.specialties": "Spécialités",
        "site.none": "aucune",
        "site.figures": "Chiffres clés",
        "site.back": "Tous les sites",
        "site.paper": "Dossier papier et formulaires en circulation",
        "paper.title": "Papier",
        "paper.day": "Jour",
        "paper.parts": "Contenu",
        "paper.part.or-lists": "Programmes opératoires",
        "paper.part.census": "Occupation des lits",
        "paper.part.sheets": "Fiches patient",
        "paper.part.labels": "Étiquettes",
        "paper.part.forms": "Formulaires",
        "paper.part.call-list": "Patients à rappeler",
        "paper.part.downtime": "Identifiants de secours",
        "paper.print": "Imprimer (PDF)",
        "paper.outstanding": "Formulaires à rendre",
        "paper.none_out": "Aucun formulaire en circulation.",
        "paper.col.form": "Formulaire",
        "paper.col.title": "Document",
        "paper.col.ward": "Unité",
        "paper.col.patient": "Patient",
        "paper.col.day": "Jour",
        "paper.col.by": "Imprimé par",
        "paper.kit_title": "Impression depuis le kit local",
        "paper.kit_intro": (
            "Sans serveur de groupe : le dossier papier est tiré du dernier kit vérifié de"
        ),
        "paper.passphrase": "Phrase secrète du kit",
        "paper.day_default": "(par défaut : le jour du kit)",
        "paper.pending": "Formulaires imprimés hors ligne, à enregistrer sur le serveur",
        "paper.pending_help": "Au retour du serveur : bascule paper register FICHIER.forms.json",
        "error.back": "Retour à la liste des sites",
        "error.status.400": "Demande refusée",
        "error.status.404": "Introuvable",
        "error.status.405": "Méthode non autorisée",
        "error.status.422": "Demande incomplète",
        "error.status.500": "Erreur interne",
        "error.status.503": "Service indisponible",
        "error.status.other": "Erreur",
        "error.no_page": "Aucune page à l'adresse {path}.",
        "error.internal": (
            "Une erreur inattendue s'est produite ; elle est consignée dans le journal du serveur."
        ),
        "not_available": "—",
    },
    "en": {
        "app.tagline": "Group business continuity",
        "nav.sites": "Sites",
        "nav.main": "Main navigation",
        "lang.other": "Français",
        "lang.other_code": "fr",
        "footer.database": "Database: {description}",
        "footer.journal": "Journal: entry #{seq}",
        "footer.generated": "Page generated {moment}",
        "sites.title": "Sites of the group",
        "sites.intro": "Capacity and activity of each site, as recorded in the journal.",
        "sites.empty": "No site is registered in this database yet.",
        "sites.caption": "Capacity and activity per site",
        "sites.total": "Group total",
        "sites.total_note": (
            "Surgeons and patients: distinct people in the group; the same person may "
            "work at or be known to several sites."
        ),
        "col.site": "Site",
        "col.city": "City",
        "col.theatres": "Operating theatres",
        "col.wards": "Wards",
        "col.beds": "Beds",
        "col.occupied": "Occupied beds",
        "col.occupancy": "Occupancy",
        "col.surgeons": "Surgeons",
        "col.patients": "Patients",
        "col.booked": "Booked cases",
        "site.identifier": "Identifier",
        "site.specialties": "Specialties",
        "site.none": "none",
        "site.figures": "Key figures",
        "site.back": "All sites",
        "site.paper": "Paper packet and forms out on paper",
        "paper.title": "Paper",
        "paper.day": "Day",
        "paper.parts": "Contents",
        "paper.part.or-lists": "Operating lists",
        "paper.part.census": "Bed census",
        "paper.part.sheets": "Patient sheets",
        "paper.part.labels": "Labels",
        "paper.part.forms": "Forms",
        "paper.part.call-list": "Patients to call",
        "paper.part.downtime": "Downtime identifiers",
        "paper.print": "Print (PDF)",
        "paper.outstanding": "Forms to hand back",
        "paper.none_out": "No form is out on paper.",
        "paper.col.form": "Form",
        "paper.col.title": "Document",
        "paper.col.ward": "Ward",
        "paper.col.patient": "Patient",
        "paper.col.day": "Day",
        "paper.col.by": "Printed by",
        "paper.kit_title": "Printing from the local kit",
        "paper.kit_intro": "No group server: the packet comes from the newest verified kit in",
        "paper.passphrase": "Kit passphrase",
        "paper.day_default": "(default: the kit's day)",
        "paper.pending": "Forms printed offline, to register on the server",
        "paper.pending_help": "When the server is back: bascule paper register FILE.forms.json",
        "error.back": "Back to the list of sites",
        "error.status.400": "Request refused",
        "error.status.404": "Not found",
        "error.status.405": "Method not allowed",
        "error.status.422": "Incomplete request",
        "error.status.500": "Internal error",
        "error.status.503": "Service unavailable",
        "error.status.other": "Error",
        "error.no_page": "There is no page at {path}.",
        "error.internal": "An unexpected error occurred; it is recorded in the server log.",
        "not_available": "—",
    },
}

_DATE_FORMATS = {"fr": "%d/%m/%Y à %H:%M %Z", "en": "%Y-%m-%d %H:%M %Z"}
# French typography: no-break space as thousands separator and before the percent sign.
_NBSP = "\u00a0"


def negotiate(query_lang: str | None, accept_language: str | None) -> tuple[str, bool]:
    """The language to use and whether the user chose it explicitly with ``?lang=``."""
    if query_lang in MESSAGES:
        return query_lang, True
    best, best_quality = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.split("-")[0].strip().lower()
        quality = _quality(params)
        if primary in MESSAGES and quality > best_quality:
            best, best_quality = primary, quality
    return best, False


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@dataclass(frozen=True, slots=True)
class Translator:
    """Strings, numbers and instants in one language, and links that keep it."""

    lang: str
    explicit: bool = False

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key``, with ``{name}`` placeholders filled from ``values``."""
        return MESSAGES[self.lang][key].format(**values)

    def number(self, value: int) -> str:
        """An integer with the language's thousands separator."""
        text = f"{value:,}"
        return text.replace(",", _NBSP) if self.lang == "fr" else text

    def percent(self, share: float) -> str:
        """A share between 0 and 1 as a percentage with one decimal."""
        if self.lang == "fr":
            return f"{share * 100:.1f}".replace(".", ",") + f"{_NBSP}%"
        return f"{share * 100:.1f}%"

    def moment(self, instant: datetime) -> str:
        """An instant in the group's local time."""
        local = local_time(instant)
        return local.strftime(_DATE_FORMATS[self.lang])

    def link(self, path: str) -> str:
        """``path``, carrying ``?lang=`` along when the user chose the language by URL."""
        return f"{path}?lang={self.lang}" if self.explicit else path

    @property
    def other(self) -> str:
        """The other language's code, for the language switch."""
        return self("lang.other_code")
