"""The typed forms of paper re-entry: what each returnable form asks, and how it is checked.

A scanned form opens the typed form of its type; the fields follow the printed form, in
its order, so that the clerk's eyes go down the paper and the screen together. A medication
administration record is typed one administration at a time (one ticked or "NA" box of the
grid = one typed form): a fixed set of fields is simpler to check, to type twice and to
compare than a grid of variable size.

Everything here is pure: :func:`validate` turns what was typed (strings) into clean values
(dates, aware UTC datetimes, decimals, enums) and a list of :class:`FieldError`, each naming
its field and the problem in plain words, in English and in French. Drafts are validated
with ``partial=True``: empty required fields are not reported, malformed values are.

Comparing two typings (double entry) goes through :func:`canonical`: spaces and case never
make a difference, accents do (``Lefevre`` and ``Lefèvre`` are two different readings of
the paper, which a third person must settle).

A field name means the same thing on every form (``birth_date`` is always a date and is
always critical): :func:`field_spec` finds a field by name alone.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Literal

from bascule.clock import GROUP_TIME_ZONE
from bascule.domain.errors import InvalidNirError
from bascule.domain.nir import nir_key, normalise_nir, validate_nir
from bascule.domain.patients import Sex
from bascule.errors import BasculeError
from bascule.paper.downtime import DowntimeIdError, downtime_id, parse_downtime_id
from bascule.paper.model import FormType

Kind = Literal[
    "text",
    "name",
    "date",
    "datetime",
    "time",
    "nir",
    "insee",
    "sex",
    "choice",
    "decimal",
    "integer",
    "downtime_id",
    "postcode",
    "phone",
    "initials",
]
Window = tuple[datetime, datetime]

# Anything longer is not a value typed from a paper box; refused before any parsing.
MAX_INPUT = 2000
EARLIEST_BIRTH = date(1900, 1, 1)


class FormError(BasculeError):
    """A form type without a typed form, or a field that no form has."""


class FieldValueError(BasculeError):
    """One typed value that cannot be read, with the problem in English and French."""

    def __init__(self, message: str, message_fr: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_fr = message_fr


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a choice field; typing the value, a label or an alias selects it."""

    value: str
    label_fr: str
    label_en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a typed form.

    ``minimum``/``maximum`` bound decimals and integers (``exclusive_minimum`` for "> 0");
    ``max_length`` bounds text and names; ``critical`` fields are typed twice when the
    group marks the form type critical.
    """

    name: str
    label_fr: str
    label_en: str
    kind: Kind
    required: bool = False
    critical: bool = False
    choices: tuple[Choice, ...] = ()
    unit: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    exclusive_minimum: bool = False
    max_length: int = 100
    multiline: bool = False
    help_fr: str = ""
    help_en: str = ""


@dataclass(frozen=True, slots=True)
class FieldError:
    """What is wrong with one field, in plain words; ``message`` names the field."""

    field: str
    message: str
    message_fr: str


@dataclass(frozen=True, slots=True)
class Validated:
    """Clean values and errors of a typed form.

    ``values`` holds every field of the form that is empty (``None``) or readable; a field
    with an error that is about the value alone is left out. Keys not on the form are
    ignored.
    """

    values: dict[str, Any]
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.errors

    def errors_for(self, field: str) -> tuple[FieldError, ...]:
        """The errors of one field."""
        return tuple(error for error in self.errors if error.field == field)


# -- choices ---------------------------------------------------------------------------

YES_NO = (
    Choice("yes", "Oui", "Yes", ("o", "y", "1", "vrai", "true")),
    Choice("no", "Non", "No", ("n", "0", "faux", "false")),
)
SEX_CHOICES = (
    Choice("M", "Masculin", "Male", ("H", "homme", "man")),
    Choice("F", "Féminin", "Female", ("femme", "woman")),
    Choice("U", "Indéterminé", "Unknown", ("I", "inconnu")),
)
IDENTITY_DOCUMENTS = (
    Choice("id_card", "Carte d'identité", "Identity card", ("CNI", "carte")),
    Choice("passport", "Passeport", "Passport"),
    Choice("residence_permit", "Titre de séjour", "Residence permit"),
    Choice("none", "Aucune", "None", ("aucun",)),
)
ANAESTHESIA_TYPES = (
    Choice("general", "Générale", "General", ("AG",)),
    Choice("spinal", "Rachianesthésie", "Spinal", ("rachi",)),
    Choice("epidural", "Péridurale", "Epidural", ("APD",)),
    Choice("peripheral_block", "Bloc périphérique", "Peripheral nerve block", ("bloc",)),
    Choice("local", "Locale", "Local", ("AL",)),
    Choice("sedation", "Sédation", "Sedation"),
)
DOSE_UNITS = (
    Choice("mg", "mg", "mg", ("milligramme",)),
    Choice("g", "g", "g", ("gramme",)),
    Choice("µg", "µg", "µg", ("ug", "mcg", "microgramme", "gamma")),
    Choice("mL", "mL", "mL", ("millilitre", "cc")),
    Choice("UI", "UI", "IU", ("U.I.", "unités internationales", "international units")),
)
# The largest single dose worth believing in each unit; more is a misplaced comma or unit.
DOSE_MAXIMUM = {
    "mg": Decimal(10_000),
    "g": Decimal(50),
    "µg": Decimal(10_000),
    "mL": Decimal(5_000),
    "UI": Decimal(100_000),
}
ROUTES = (
    Choice("PO", "Per os", "Oral", ("os", "oral", "orale", "voie orale")),
    Choice("IV", "Intraveineuse", "Intravenous", ("IVD", "IVL", "intraveineux")),
    Choice("SC", "Sous-cutanée", "Subcutaneous", ("S/C", "sous cutanée")),
    Choice("IM", "Intramusculaire", "Intramuscular"),
    Choice("inhaled", "Inhalée", "Inhaled", ("inhalation", "aérosol", "INH")),
    Choice("topical", "Cutanée, locale", "Topical", ("cutanée", "locale", "topique")),
    Choice("rectal", "Rectale", "Rectal", ("IR", "intrarectale")),
)
REQUEST_KINDS = (
    Choice("lab", "Biologie", "Laboratory", ("bio", "laboratoire")),
    Choice("imaging", "Imagerie", "Imaging"),
)
TRANSPORTS = (
    Choice("ambulance", "Ambulance", "Ambulance"),
    Choice("vsl", "VSL", "Light medical vehicle"),
    Choice("taxi", "Taxi conventionné", "Taxi"),
    Choice("smur", "SMUR", "Mobile intensive care unit"),
    Choice("helicopter", "Hélicoptère", "Helicopter", ("hélico",)),
    Choice("own", "Véhicule personnel", "Own vehicle", ("personnel", "famille")),
)


# -- the forms -------------------------------------------------------------------------


def _field(name: str, fr: str, en: str, kind: Kind, **options: Any) -> FieldSpec:
    return FieldSpec(name, fr, en, kind, **options)


def _identity(*, required_sex: bool) -> tuple[FieldSpec, ...]:
    return (
        _field("birth_family_name", "Nom de naissance", "Birth family name", "name",
               required=True, critical=True),
        _field("first_given_name", "Premier prénom", "First given name", "name",
               required=True, critical=True),
        _field("other_given_names", "Autres prénoms", "Other given names", "name",
               critical=True, max_length=200,
               help_fr="Dans l'ordre de l'état civil, séparés par des espaces.",
               help_en="In civil-register order, separated by spaces."),
        _field("used_name", "Nom utilisé", "Used name", "name", critical=True),
        _field("birth_date", "Date de naissance", "Birth date", "date",
               required=True, critical=True, help_fr="jj/mm/aaaa", help_en="dd/mm/yyyy"),
        _field("sex", "Sexe", "Sex", "sex", required=required_sex, critical=True,
               choices=SEX_CHOICES),
    )  # fmt: skip


_EVENT_HELP = {"help_fr": "jj/mm/aaaa hh:mm, heure locale", "help_en": "dd/mm/yyyy hh:mm, local"}

FORM_SPECS: dict[FormType, tuple[FieldSpec, ...]] = {
    FormType.ADMISSION: (
        *_identity(required_sex=True),
        _field("birth_place_insee", "Code INSEE de la commune de naissance",
               "Birth place INSEE code", "insee", critical=True,
               help_fr="5 caractères ; 2A/2B pour la Corse ; 99 + code pays si né à l'étranger",
               help_en="5 characters; 2A/2B for Corsica; 99 + country code if born abroad"),
        _field("birth_town", "Commune de naissance (en clair)", "Birth town", "text"),
        _field("nir", "N° de sécurité sociale (NIR) et clé", "NIR (social security number)",
               "nir", critical=True, help_fr="15 caractères, clé comprise",
               help_en="15 characters including the key"),
        _field("identity_document", "Pièce d'identité vue", "Identity document seen",
               "choice", choices=IDENTITY_DOCUMENTS),
        _field("address", "Adresse", "Address", "text", max_length=300, multiline=True),
        _field("postcode", "Code postal", "Postcode", "postcode"),
        _field("town", "Commune", "Town", "text"),
        _field("phone", "Téléphone", "Phone", "phone"),
        _field("contact", "Personne à prévenir et téléphone", "Person to contact and phone",
               "text", max_length=200),
        _field("downtime_id", "N° de secours (étiquette)", "Downtime id (label)",
               "downtime_id", required=True, help_fr="D-0000123-45",
               help_en="D-0000123-45"),
        _field("ward", "Service", "Ward", "text", required=True),
        _field("room", "Chambre", "Room", "text", max_length=20),
        _field("bed", "Lit", "Bed", "text", max_length=20),
        _field("admitted_at", "Date et heure d'entrée", "Admitted at", "datetime",
               required=True, **_EVENT_HELP),
        _field("reason", "Motif d'admission", "Reason for admission", "text",
               max_length=500, multiline=True),
        _field("doctor", "Médecin", "Doctor", "text"),
    ),
    FormType.SURGICAL_RECORD: (
        _field("case_reference", "N° d'intervention", "Case reference", "text",
               required=True, critical=True, max_length=40),
        _field("theatre", "Salle", "Theatre", "text", required=True, critical=True,
               max_length=40),
        _field("in_room_at", "Entrée salle", "In room", "datetime", required=True,
               critical=True, **_EVENT_HELP),
        _field("anaesthesia_start_at", "Induction", "Anaesthesia start", "datetime",
               critical=True, **_EVENT_HELP),
        _field("incision_at", "Incision", "Incision", "datetime", critical=True,
               **_EVENT_HELP),
        _field("closure_at", "Fermeture", "Closure", "datetime", critical=True,
               **_EVENT_HELP),
        _field("out_of_room_at", "Sortie salle", "Out of room", "datetime", required=True,
               critical=True, **_EVENT_HELP),
        _field("surgeon", "Chirurgien", "Surgeon", "text", required=True, critical=True),
        _field("anaesthetist", "Anesthésiste", "Anaesthetist", "text", critical=True),
        _field("scrub_nurse", "IBODE", "Scrub nurse", "text", critical=True),
        _field("anaesthetic_nurse", "IADE", "Nurse anaesthetist", "text", critical=True),
        _field("procedure", "Intervention réalisée", "Procedure performed", "text",
               required=True, critical=True, max_length=300),
        _field("anaesthesia_type", "Anesthésie", "Anaesthesia", "choice", critical=True,
               choices=ANAESTHESIA_TYPES),
        _field("asa_class", "Score ASA", "ASA class", "integer", critical=True,
               minimum=Decimal(1), maximum=Decimal(6),
               help_fr="1 à 6 (ASA II → 2)", help_en="1 to 6 (ASA II → 2)"),
        _field("implants", "Dispositifs implantés (désignation, fabricant, référence, lot, qté)",
               "Implants (name, maker, reference, lot, quantity)", "text", critical=True,
               max_length=1000, multiline=True),
        _field("complications", "Observations, incidents", "Observations, complications",
               "text", max_length=1000, multiline=True),
    ),
    FormType.MEDICATION_RECORD: (
        _field("drug", "Médicament", "Drug", "text", required=True, critical=True,
               max_length=200),
        _field("dose", "Dose", "Dose", "decimal", required=True, critical=True,
               minimum=Decimal(0), exclusive_minimum=True,
               help_fr="Virgule décimale acceptée : 2,5", help_en="2.5 or 2,5"),
        _field("unit", "Unité", "Unit", "choice", required=True, critical=True,
               choices=DOSE_UNITS),
        _field("route", "Voie", "Route", "choice", required=True, critical=True,
               choices=ROUTES),
        _field("given_at", "Date et heure d'administration", "Given at", "datetime",
               required=True, critical=True, **_EVENT_HELP),
        _field("given_by", "Initiales de l'IDE", "Nurse's initials", "initials",
               required=True, critical=True),
        _field("administered", "Administré", "Administered", "choice", required=True,
               critical=True, choices=YES_NO,
               help_fr="Non si la case porte « NA »", help_en="No when the box says NA"),
        _field("not_given_reason", "Motif de non-administration", "Reason not given",
               "text", critical=True, max_length=200),
    ),
    FormType.REQUEST: (
        *_identity(required_sex=False),
        _field("patient_ref", "IPP ou N° de secours", "Local id or downtime id", "text",
               critical=True, max_length=40),
        _field("ward", "Service", "Ward", "text"),
        _field("room_bed", "Chambre / Lit", "Room / bed", "text", max_length=40),
        _field("prescriber", "Prescripteur", "Prescriber", "text", required=True,
               critical=True),
        _field("requested_at", "Date et heure de la demande", "Requested at", "datetime",
               required=True, critical=True, **_EVENT_HELP),
        _field("urgent", "Urgent", "Urgent", "choice", required=True, critical=True,
               choices=YES_NO),
        _field("request_kind", "Biologie ou imagerie", "Laboratory or imaging", "choice",
               required=True, critical=True, choices=REQUEST_KINDS),
        _field("exam", "Examen(s) demandé(s)", "Exam(s) requested", "text", required=True,
               critical=True, max_length=300),
        _field("region", "Région, côté", "Region, side", "text", critical=True),
        _field("contrast", "Injection de produit de contraste", "Contrast injection",
               "choice", critical=True, choices=YES_NO),
        _field("clinical_info", "Renseignements cliniques", "Clinical information", "text",
               max_length=1000, multiline=True),
        _field("sampled_at", "Prélevé le, à", "Sampled at", "datetime", critical=True,
               **_EVENT_HELP),
        _field("sampled_by", "Préleveur", "Sampled by", "text", critical=True),
        _field("result_received_at", "Résultat reçu le, à", "Result received at",
               "datetime", critical=True, **_EVENT_HELP),
    ),
    FormType.TRANSFER: (
        _field("case_reference", "N° d'intervention", "Case reference", "text",
               critical=True, max_length=40),
        _field("from_site", "Établissement d'origine", "From site", "text", required=True,
               critical=True, max_length=200),
        _field("to_site", "Établissement d'accueil", "To site", "text", required=True,
               critical=True, max_length=200),
        _field("left_at", "Départ le, à", "Left at", "datetime", required=True,
               critical=True, **_EVENT_HELP),
        _field("arrived_at", "Arrivée le, à", "Arrived at", "datetime", critical=True,
               **_EVENT_HELP),
        _field("transport", "Transport", "Transport", "choice", required=True,
               critical=True, choices=TRANSPORTS),
        _field("reason", "Motif du transfert", "Reason for transfer", "text", required=True,
               max_length=500, multiline=True),
        _field("doctor", "Médecin signataire", "Signing doctor", "text"),
    ),
}  # fmt: skip

FORM_TITLES: dict[FormType, tuple[str, str]] = {
    FormType.ADMISSION: ("Admission en mode dégradé", "Downtime admission"),
    FormType.SURGICAL_RECORD: ("Feuille d'intervention", "Surgical record"),
    FormType.MEDICATION_RECORD: ("Administration d'un traitement", "Medication administration"),
    FormType.REQUEST: ("Demande d'examen", "Lab or imaging request"),
    FormType.TRANSFER: ("Lettre de transfert", "Transfer letter"),
}

CRITICAL_DEFAULT = frozenset({FormType.ADMISSION, FormType.MEDICATION_RECORD})

# Times that must not go backwards, as chains (a missing time is skipped, not a break).
# Anaesthesia may start before the patient enters the theatre (a nerve block in the
# induction room), so it is only held before the incision.
ORDERS: dict[FormType, tuple[tuple[str, ...], ...]] = {
    FormType.SURGICAL_RECORD: (
        ("in_room_at", "incision_at", "closure_at", "out_of_room_at"),
        ("anaesthesia_start_at", "incision_at"),
    ),
    FormType.REQUEST: (("requested_at", "sampled_at", "result_received_at"),),
    FormType.TRANSFER: (("left_at", "arrived_at"),),
}


def form_fields(form_type: FormType) -> tuple[FieldSpec, ...]:
    """The fields of the typed form of ``form_type``, in the printed order."""
    try:
        return FORM_SPECS[form_type]
    except KeyError:
        raise FormError(f"{form_type.name.lower()} pages have no typed form") from None


def _by_name() -> dict[str, FieldSpec]:
    found: dict[str, FieldSpec] = {}
    for specs in FORM_SPECS.values():
        for spec in specs:
            known = found.setdefault(spec.name, spec)
            same = (known.kind, known.critical, known.choices, known.multiline)
            if same != (spec.kind, spec.critical, spec.choices, spec.multiline):
                raise FormError(f"field {spec.name} means different things on different forms")
    return found


_BY_NAME = _by_name()


def field_spec(name: str, form_type: FormType | None = None) -> FieldSpec:
    """The field ``name`` of ``form_type``, or of whichever form has it."""
    if form_type is not None:
        for spec in form_fields(form_type):
            if spec.name == name:
                return spec
        raise FormError(f"{name!r} is not a field of the {form_type.name.lower()} form")
    try:
        return _BY_NAME[name]
    except KeyError:
        raise FormError(f"{name!r} is not a field of any typed form") from None


def critical_fields(
    form_type: FormType, critical_types: Iterable[FormType] = CRITICAL_DEFAULT
) -> tuple[str, ...]:
    """The fields typed twice: none unless the group marks ``form_type`` critical.

    Admission: the identity traits only; medication administration: every field.
    """
    if form_type not in set(critical_types):
        return ()
    return tuple(spec.name for spec in form_fields(form_type) if spec.critical)


# -- reading one value -----------------------------------------------------------------


class _BadValueError(Exception):
    def __init__(self, en: str, fr: str) -> None:
        super().__init__(en)
        self.en = en
        self.fr = fr


def _squash(text: str) -> str:
    """One line: every run of whitespace (any script's) becomes one space."""
    return " ".join(text.split())


def _lines(text: str) -> str:
    lines = [_squash(line) for line in text.splitlines()]
    return "\n".join(lines).strip("\n")


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _fold(text: str) -> str:
    """Text as compared: whitespace and case ignored, accents kept."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
    text = re.sub(r"\s*([-'])\s*", r"\1", _squash(text))
    return unicodedata.normalize("NFC", text.casefold())


def _choice_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _squash(text).casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _read_text(spec: FieldSpec, raw: str) -> str:
    text = unicodedata.normalize("NFC", raw)
    text = _lines(text) if spec.multiline else _squash(text)
    if any(unicodedata.category(char).startswith("C") for char in text if char != "\n"):
        raise _BadValueError(
            "contains an invisible or control character; retype it",
            "contient un caractère invisible ou de contrôle ; le retaper",
        )
    if len(text) > spec.max_length:
        raise _BadValueError(
            f"is {len(text)} characters long, {spec.max_length} at most",
            f"fait {len(text)} caractères, {spec.max_length} au plus",
        )
    return text


def _read_name(spec: FieldSpec, raw: str) -> str:
    text = _read_text(spec, raw).replace("’", "'").replace("‘", "'")
    if any(char.isdigit() for char in text):
        raise _BadValueError(
            "contains a digit (a 0 typed for an O?): a name has letters only",
            "contient un chiffre (un 0 pour un O ?) : un nom ne contient que des lettres",
        )
    for char in text:
        if not (unicodedata.category(char)[0] in "LM" or char in " -'"):
            raise _BadValueError(
                f"contains {char!r}: only letters, spaces, hyphens and apostrophes",
                f"contient {char!r} : uniquement des lettres, espaces, traits d'union "
                "et apostrophes",
            )
    return text


_D = r"(?:(?P<d>[0-9]{1,2})(?P<sep>[/.\- ])(?P<m>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4})"
_D += r"|(?P<Y>[0-9]{4})-(?P<M>[0-9]{1,2})-(?P<DD>[0-9]{1,2}))"
_T = r"(?P<H>[0-9]{1,2})(?:[:hH ](?P<MI>[0-9]{2})(?::(?P<S>[0-9]{2})(?P<F>\.[0-9]{1,6})?)?|[hH])"
_TZ = r"(?:\s?(?P<Z>[Zz])|\s?(?P<OH>[+-][0-9]{2}):?(?P<OM>[0-9]{2})?)?"
_DATE = re.compile(_D, re.ASCII)
_TIME = re.compile(_T, re.ASCII)
_DATETIME = re.compile(_D + r"(?:\s?[Tt]\s?|\s(?:à\s)?|\s?,\s?)" + _T + _TZ, re.ASCII)
_SHORT_YEAR = re.compile(r"[0-9]{1,2}[/.\- ][0-9]{1,2}[/.\- ][0-9]{2}(?:$|[^0-9])", re.ASCII)
_TIGHT = re.compile(r"\s*([/.\-:hH])\s*")


def _date_of(match: re.Match[str], shown: str) -> date:
    groups = match.groupdict()
    if groups["y"] is not None:
        parts = (groups["y"], groups["m"], groups["d"])
    else:
        parts = (groups["Y"], groups["M"], groups["DD"])
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise _BadValueError(
            f"{shown} is not a date that exists (day or month out of range)",
            f"{shown} n'est pas une date qui existe (jour ou mois impossible)",
        ) from None


def _time_of(match: re.Match[str], shown: str) -> time:
    groups = match.groupdict()
    hour, minute = int(groups["H"]), int(groups["MI"] or 0)
    second = int(groups["S"] or 0)
    micro = int((groups["F"] or ".0")[1:].ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise _BadValueError(
            f"{shown} has no such time of day (00:00 to 23:59)",
            f"{shown} : cette heure n'existe pas (00:00 à 23:59)",
        )
    return time(hour, minute, second, micro)


def _read_date(raw: str) -> date:
    text = _TIGHT.sub(r"\1", _squash(raw))
    match = _DATE.fullmatch(text)
    if match is None:
        if _SHORT_YEAR.match(text):
            raise _BadValueError(
                f"{_shown(text)}: type the year with four digits (30/11/1956)",
                f"{_shown(text)} : taper l'année sur quatre chiffres (30/11/1956)",
            )
        raise _BadValueError(
            f"{_shown(text)} is not a date: type it as 30/11/2026",
            f"{_shown(text)} n'est pas une date : la taper sous la forme 30/11/2026",
        )
    return _date_of(match, text)


def _read_time(raw: str) -> time:
    text = _TIGHT.sub(r"\1", _squash(raw))
    match = _TIME.fullmatch(text)
    if match is None:
        raise _BadValueError(
            f"{_shown(text)} is not a time: type it as 14:05 or 14h05",
            f"{_shown(text)} n'est pas une heure : la taper sous la forme 14:05 ou 14h05",
        )
    return _time_of(match, text)


def _offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _localise(naive: datetime, tz: tzinfo, shown: str) -> datetime:
    """A wall-clock time as an aware UTC instant; refuses the hours DST skips or repeats."""
    earlier = naive.replace(tzinfo=tz, fold=0)
    later = naive.replace(tzinfo=tz, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        if earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
            raise _BadValueError(
                f"{shown} never happened: clocks went forward an hour that night",
                f"{shown} n'a pas existé : on a avancé les horloges d'une heure cette nuit-là",
            )
        first, second = _offset_text(earlier.utcoffset()), _offset_text(later.utcoffset())
        raise _BadValueError(
            f"{shown} happened twice (clocks went back an hour): add {first} "
            f"if it was the first time, {second} if the second",
            f"{shown} a eu lieu deux fois (on a reculé les horloges) : ajouter {first} "
            f"pour la première fois, {second} pour la seconde",
        )
    return earlier.astimezone(UTC)


def _read_datetime(raw: str, tz: tzinfo) -> datetime:
    text = _TIGHT.sub(r"\1", _squash(raw))
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise _BadValueError(
            f"{_shown(text)} is not a date and time: type it as 30/11/2026 14:05",
            f"{_shown(text)} n'est pas une date et heure : la taper sous la forme 30/11/2026 14:05",
        )
    naive = datetime.combine(_date_of(match, text), _time_of(match, text))
    if not 1900 <= naive.year <= 2999:
        raise _BadValueError(
            f"{_shown(text)}: the year {naive.year} cannot be right",
            f"{_shown(text)} : l'année {naive.year} ne peut pas être juste",
        )
    groups = match.groupdict()
    if groups["Z"] is not None:
        return naive.replace(tzinfo=UTC)
    if groups["OH"] is not None:
        hours, minutes = int(groups["OH"]), int(groups["OM"] or 0)
        if abs(hours) > 14 or minutes > 59:
            raise _BadValueError(
                f"{_shown(text)}: {groups['OH']} is not a time-zone offset",
                f"{_shown(text)} : {groups['OH']} n'est pas un décalage horaire",
            )
        offset = timedelta(hours=abs(hours), minutes=minutes)
        zone = timezone(-offset if groups["OH"].startswith("-") else offset)
        return naive.replace(tzinfo=zone).astimezone(UTC)
    return _localise(naive, tz, _shown(text))


_NIR_SHAPE = re.compile(r"[1-478][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{8}", re.ASCII)


def _read_nir(raw: str) -> str:
    nir = normalise_nir(_squash(raw))
    if len(nir) != 15:
        raise _BadValueError(
            f"has {len(nir)} characters; a NIR has 15 with its key",
            f"fait {len(nir)} caractères ; un NIR en a 15 avec sa clé",
        )
    if not _NIR_SHAPE.fullmatch(nir):
        raise _BadValueError(
            "is not of the form S AA MM DD CCC NNN KK (first digit 1, 2, 3, 4, 7 or 8; "
            "digits only, except 2A/2B for Corsica)",
            "n'a pas la forme S AA MM DD CCC NNN KK (premier chiffre 1, 2, 3, 4, 7 ou 8 ; "
            "uniquement des chiffres, sauf 2A/2B pour la Corse)",
        )
    if nir[3:5] == "00":
        raise _BadValueError(
            "birth month 00 is not allowed", "le mois de naissance 00 n'existe pas"
        )
    if nir_key(nir[:13]) != int(nir[13:]):
        # The expected key is not shown: "fixing" the key would hide a typo in the body.
        raise _BadValueError(
            "the key (last 2 digits) does not match the 13 before it: one character is mistyped",
            "la clé (2 derniers chiffres) ne correspond pas aux 13 premiers : un caractère "
            "est mal saisi",
        )
    try:
        return validate_nir(nir)
    except InvalidNirError as exc:  # pragma: no cover - the checks above are the same
        raise _BadValueError(str(exc), str(exc)) from None


_INSEE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})", re.ASCII)


def _read_insee(raw: str) -> str:
    code = "".join(raw.split()).upper()
    if not _INSEE.fullmatch(code):
        raise _BadValueError(
            f"{_shown(code)} is not an INSEE commune code: 5 characters, digits "
            "(99 + country code if born abroad), or 2A/2B + 3 digits for Corsica",
            f"{_shown(code)} n'est pas un code INSEE de commune : 5 caractères, chiffres "
            "(99 + code pays si né à l'étranger), ou 2A/2B + 3 chiffres pour la Corse",
        )
    if code.startswith("00"):
        raise _BadValueError(
            f"{code}: there is no department 00", f"{code} : le département 00 n'existe pas"
        )
    return code


def _read_choice(spec: FieldSpec, raw: str) -> str:
    key = _choice_key(raw)
    for choice in spec.choices:
        names = (choice.value, choice.label_fr, choice.label_en, *choice.aliases)
        if any(_choice_key(name) == key for name in names):
            return choice.value
    values = ", ".join(choice.value for choice in spec.choices)
    labels = ", ".join(choice.label_fr for choice in spec.choices)
    raise _BadValueError(
        f"{_shown(_squash(raw))} is not one of {values}",
        f"{_shown(_squash(raw))} n'est pas l'un de : {labels}",
    )


_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,9}(?:[.,][0-9]{1,6})?|[.,][0-9]{1,6})", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}", re.ASCII)


def _number_text(number: Decimal | int) -> str:
    if isinstance(number, int):
        return str(number)
    if abs(number.adjusted()) > 30:
        return str(number)
    return format(number.normalize(), "f")


def _check_range(spec: FieldSpec, number: Decimal) -> None:
    unit = f" {spec.unit}" if spec.unit else ""
    low, high = spec.minimum, spec.maximum
    if low is not None and (number <= low if spec.exclusive_minimum else number < low):
        word_en = "more than" if spec.exclusive_minimum else "at least"
        word_fr = "supérieur à" if spec.exclusive_minimum else "au moins"
        raise _BadValueError(
            f"{_number_text(number)}{unit}: must be {word_en} {_number_text(low)}{unit}",
            f"{_number_text(number)}{unit} : doit être {word_fr} {_number_text(low)}{unit}",
        )
    if high is not None and number > high:
        raise _BadValueError(
            f"{_number_text(number)}{unit}: must be at most {_number_text(high)}{unit}",
            f"{_number_text(number)}{unit} : doit être au plus {_number_text(high)}{unit}",
        )


def _read_number(spec: FieldSpec, raw: str) -> Decimal | int:
    text = _squash(raw)
    pattern = _INTEGER if spec.kind == "integer" else _DECIMAL
    if not pattern.fullmatch(text):
        if spec.kind == "integer":
            raise _BadValueError(
                f"{_shown(text)} is not a whole number", f"{_shown(text)} n'est pas un entier"
            )
        raise _BadValueError(
            f"{_shown(text)} is not a number: digits, with a comma or a point for "
            "decimals (2,5), no unit and no spaces",
            f"{_shown(text)} n'est pas un nombre : des chiffres, avec une virgule pour les "
            "décimales (2,5), sans unité ni espace",
        )
    number = Decimal(text.replace(",", "."))
    _check_range(spec, number)
    return int(number) if spec.kind == "integer" else number


def _read_downtime_id(raw: str) -> str:
    text = "".join(raw.split()).replace("-", "").upper()
    if not re.fullmatch(r"D[0-9]{9}", text, re.ASCII):
        raise _BadValueError(
            "is not a downtime id: D followed by 9 digits, as on the label (D-0000123-45)",
            "n'est pas un n° de secours : D puis 9 chiffres, comme sur l'étiquette (D-0000123-45)",
        )
    try:
        return downtime_id(parse_downtime_id(text))
    except DowntimeIdError:
        raise _BadValueError(
            "the check digits (last 2) do not match: one digit is mistyped",
            "les chiffres de contrôle (2 derniers) ne correspondent pas : un chiffre est mal saisi",
        ) from None


def _read_postcode(raw: str) -> str:
    code = "".join(raw.split())
    if not re.fullmatch(r"[0-9]{5}", code, re.ASCII):
        raise _BadValueError(
            f"{_shown(code)} is not a French postcode (5 digits)",
            f"{_shown(code)} n'est pas un code postal (5 chiffres)",
        )
    return code


def _read_phone(raw: str) -> str:
    text = re.sub(r"[\s.\-/()]", "", _squash(raw).replace("(0)", ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"0[1-9][0-9]{8}|\+[1-9][0-9]{6,14}", text, re.ASCII):
        return text
    raise _BadValueError(
        "is not a phone number: 10 digits starting with 0, or + and the country code",
        "n'est pas un numéro de téléphone : 10 chiffres commençant par 0, ou + et "
        "l'indicatif du pays",
    )


def _read_initials(raw: str) -> str:
    text = re.sub(r"[\s.]", "", unicodedata.normalize("NFC", raw)).upper()
    if not (2 <= len(text) <= 4 and text.isalpha()):
        raise _BadValueError(
            f"{_shown(text)}: initials are 2 to 4 letters",
            f"{_shown(text)} : les initiales font 2 à 4 lettres",
        )
    return text


def _read(spec: FieldSpec, raw: str, tz: tzinfo) -> Any:
    if len(raw) > MAX_INPUT:
        raise _BadValueError(
            f"is far too long ({len(raw)} characters)", f"est bien trop long ({len(raw)})"
        )
    readers: dict[str, Callable[[], Any]] = {
        "text": lambda: _read_text(spec, raw),
        "name": lambda: _read_name(spec, raw),
        "date": lambda: _read_date(raw),
        "datetime": lambda: _read_datetime(raw, tz),
        "time": lambda: _read_time(raw),
        "nir": lambda: _read_nir(raw),
        "insee": lambda: _read_insee(raw),
        "sex": lambda: Sex(_read_choice(spec, raw)),
        "choice": lambda: _read_choice(spec, raw),
        "decimal": lambda: _read_number(spec, raw),
        "integer": lambda: _read_number(spec, raw),
        "downtime_id": lambda: _read_downtime_id(raw),
        "postcode": lambda: _read_postcode(raw),
        "phone": lambda: _read_phone(raw),
        "initials": lambda: _read_initials(raw),
    }
    return readers[spec.kind]()


def parse_value(spec: FieldSpec, raw: str, *, tz: tzinfo = GROUP_TIME_ZONE) -> Any:
    """The clean value of one non-empty typed value, or :class:`FieldValueError`.

    Checks that need no other field and no incident window: format, existence of the
    date, NIR key, ranges of numbers, text length.
    """
    try:
        return _read(spec, raw, tz)
    except _BadValueError as bad:
        raise FieldValueError(*_messages(spec, bad)) from None


def _messages(spec: FieldSpec, bad: _BadValueError) -> tuple[str, str]:
    return f"{spec.label_en}: {bad.en}", f"{spec.label_fr} : {bad.fr}"


# -- showing and comparing values ------------------------------------------------------


def _day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _local(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    text = f"{_day(local)} {local:%H:%M}"
    if local.second or local.microsecond:
        text += f":{local:%S}" + (f".{local.microsecond:06d}" if local.microsecond else "")
    naive = local.replace(tzinfo=None)
    if naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
        text += f" {_offset_text(local.utcoffset())}"
    return text


def as_typed(spec: FieldSpec, value: Any, *, tz: tzinfo = GROUP_TIME_ZONE) -> str:
    """A clean value as a clerk would type it (French dates, local times, decimal comma)."""
    if value is None or isinstance(value, str):
        return value or ""
    match spec.kind:
        case "datetime":
            return _local(value if value.tzinfo else value.replace(tzinfo=UTC), tz)
        case "date":
            return _day(value)
        case "time":
            return f"{value:%H:%M}"
        case "decimal":
            return _number_text(Decimal(value)).replace(".", ",")
        case _:
            return str(value)


def canonical(spec: FieldSpec, value: Any, *, tz: tzinfo = GROUP_TIME_ZONE) -> str:
    """The form of a value in which two typings are compared.

    Accepts clean values and typed strings alike (a string is read first; one that cannot
    be read is compared as text). Empty and missing are the same. Text and names ignore
    whitespace and case (and spaces around hyphens and apostrophes) but not accents.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, str) and spec.kind not in ("text", "name"):
        try:
            value = _read(spec, value, tz)
        except _BadValueError:
            return _fold(value)
    try:
        return _canonical_clean(spec, value, tz)
    except (TypeError, ValueError, AttributeError, ArithmeticError):
        return _fold(str(value))


def _canonical_clean(spec: FieldSpec, value: Any, tz: tzinfo) -> str:
    match spec.kind:
        case "text" | "name":
            return _fold(str(value))
        case "datetime":
            moment = value if value.tzinfo else value.replace(tzinfo=tz)
            return str(moment.astimezone(UTC).isoformat())
        case "date" | "time":
            return str(value.isoformat())
        case "decimal" | "integer":
            return _number_text(Decimal(value))
        case "sex":
            return Sex(value).value
        case _:
            return str(value)


# -- validating a whole form -----------------------------------------------------------


def _check_window(window: Window) -> Window:
    start, end = window
    if start.tzinfo is None or end.tzinfo is None or start > end:
        raise ValueError("the incident window needs two aware datetimes, start before end")
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_when(spec: FieldSpec, value: Any, window: Window, tz: tzinfo) -> None:
    start, end = window
    if spec.kind == "datetime":
        shown = _local(value, tz)
        if value < start:
            raise _BadValueError(
                f"{shown} is before the incident began ({_local(start, tz)})",
                f"{shown} est avant le début de l'incident ({_local(start, tz)})",
            )
        if value > end:
            raise _BadValueError(
                f"{shown} is after the end of the incident window ({_local(end, tz)})",
                f"{shown} est après la fin de la période de l'incident ({_local(end, tz)})",
            )
    elif spec.kind == "date":
        shown, today = _day(value), end.astimezone(tz).date()
        if value < EARLIEST_BIRTH:
            raise _BadValueError(f"{shown} is before 1900", f"{shown} est avant 1900")
        if value > today:
            raise _BadValueError(f"{shown} is in the future", f"{shown} est dans le futur")


def validate(
    form_type: FormType,
    values: Mapping[str, str | None],
    *,
    window: Window,
    tz: tzinfo = GROUP_TIME_ZONE,
    partial: bool = False,
) -> Validated:
    """Check a typed form; ``partial`` (a draft) does not ask for the required fields.

    Times are typed in ``tz`` wall time and come back as aware UTC datetimes, all within
    the incident ``window``; dates must exist, and be neither in the future (relative to
    the window's end) nor before 1900.
    """
    span = _check_window(window)
    specs = form_fields(form_type)
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    for spec in specs:
        raw = values.get(spec.name)
        text = "" if raw is None else str(raw)
        if not text.strip():
            clean[spec.name] = None
            if spec.required and not partial:
                errors.append(
                    FieldError(
                        spec.name, f"{spec.label_en}: required", f"{spec.label_fr} : obligatoire"
                    )
                )
            continue
        try:
            value = _read(spec, text, tz)
            _check_when(spec, value, span, tz)
        except _BadValueError as bad:
            errors.append(FieldError(spec.name, *_messages(spec, bad)))
            continue
        clean[spec.name] = value
    by_name = {spec.name: spec for spec in specs}
    for chain in ORDERS.get(form_type, ()):
        errors.extend(_order_errors(chain, clean, by_name, tz))
    rule = _RULES.get(form_type)
    if rule is not None:
        errors.extend(rule(clean, by_name, partial))
    return Validated(clean, tuple(errors))


def _order_errors(
    chain: tuple[str, ...], clean: Mapping[str, Any], specs: Mapping[str, FieldSpec], tz: tzinfo
) -> list[FieldError]:
    errors = []
    previous: str | None = None
    for name in chain:
        if clean.get(name) is None:
            continue
        if previous is not None and clean[name] < clean[previous]:
            later, earlier = specs[name], specs[previous]
            shown, before = _local(clean[name], tz), _local(clean[previous], tz)
            errors.append(
                FieldError(
                    name,
                    f"{later.label_en}: {shown} is before {earlier.label_en} ({before})",
                    f"{later.label_fr} : {shown} est avant « {earlier.label_fr} » ({before})",
                )
            )
        previous = name
    return errors


def _admission_rule(
    clean: Mapping[str, Any], specs: Mapping[str, FieldSpec], _partial: bool
) -> list[FieldError]:
    """What a valid NIR says for certain must agree with the sex and the birth date."""
    nir, sex, born = clean.get("nir"), clean.get("sex"), clean.get("birth_date")
    if nir is None or nir[0] not in "12":
        return []
    problems: list[tuple[str, str]] = []
    said = Sex.MALE if nir[0] == "1" else Sex.FEMALE
    if sex in (Sex.MALE, Sex.FEMALE) and sex is not said:
        problems.append(
            (
                f"starts with {nir[0]} ({'male' if said is Sex.MALE else 'female'}) "
                f"but the sex typed is {sex.value}",
                f"commence par {nir[0]} ({'homme' if said is Sex.MALE else 'femme'}) "
                f"mais le sexe saisi est {sex.value}",
            )
        )
    month = int(nir[3:5])
    # Months 20, 30-42 and 50-99 stand for an unknown birth month: then nothing is certain.
    if born is not None and 1 <= month <= 12:
        if nir[1:3] != f"{born.year % 100:02d}":
            problems.append(
                (
                    f"year digits {nir[1:3]} do not match the birth year {born.year}",
                    f"l'année {nir[1:3]} ne correspond pas à l'année de naissance {born.year}",
                )
            )
        if month != born.month:
            problems.append(
                (
                    f"month digits {nir[3:5]} do not match the birth month {born.month:02d}",
                    f"le mois {nir[3:5]} ne correspond pas au mois de naissance {born.month:02d}",
                )
            )
    spec = specs["nir"]
    return [FieldError("nir", *_messages(spec, _BadValueError(en, fr))) for en, fr in problems]


def _medication_rule(
    clean: Mapping[str, Any], specs: Mapping[str, FieldSpec], partial: bool
) -> list[FieldError]:
    """A dose plausible for its unit; a reason for every dose not given."""
    errors = []
    dose, unit = clean.get("dose"), clean.get("unit")
    if dose is not None and unit in DOSE_MAXIMUM and dose > DOSE_MAXIMUM[unit]:
        top = _number_text(DOSE_MAXIMUM[unit])
        bad = _BadValueError(
            f"{_number_text(dose)} {unit} is more than the plausible maximum of {top} {unit}: "
            "check the unit and the decimal comma",
            f"{_number_text(dose)} {unit} dépasse le maximum plausible de {top} {unit} : "
            "vérifier l'unité et la virgule",
        )
        errors.append(FieldError("dose", *_messages(specs["dose"], bad)))
    if not partial and clean.get("administered") == "no" and not clean.get("not_given_reason"):
        spec = specs["not_given_reason"]
        errors.append(
            FieldError(
                spec.name,
                f"{spec.label_en}: required when the dose was not given",
                f"{spec.label_fr} : obligatoire quand la dose n'a pas été administrée",
            )
        )
    return errors


_RULES: dict[
    FormType, Callable[[Mapping[str, Any], Mapping[str, FieldSpec], bool], list[FieldError]]
] = {
    FormType.ADMISSION: _admission_rule,
    FormType.MEDICATION_RECORD: _medication_rule,
}
