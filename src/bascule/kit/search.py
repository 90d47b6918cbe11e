"""Finding patients in a decrypted kit: by name (tolerant to accents, case and one typo),
birth date, local id or NIR; and the patient sheet shown in the terminal.

The offline viewer implements the same rules in JavaScript (kit/viewer/search.js).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bascule.errors import BasculeError
from bascule.kit.content import decode_index

_DATE_FR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MAX_RESULTS = 50


def normalise(text: str) -> str:
    """Lower case, accents and ligatures removed, punctuation turned into spaces."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )
    return re.sub(r"[^a-z0-9]+", " ", stripped.lower()).strip()


def within_typo(query: str, word: str) -> bool:
    """True when ``word`` starts with ``query`` or is at most one edit (two for long
    queries) away from it, transpositions counting as one edit."""
    if word.startswith(query):
        return True
    if len(query) < 4:
        return False
    allowed = 2 if len(query) >= 8 else 1
    if abs(len(word) - len(query)) > allowed:
        # the query may be a mistyped prefix of a longer word
        word = word[: len(query) + allowed]
    return _distance(query, word[: len(query)]) <= allowed or _distance(query, word) <= allowed


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau–Levenshtein without substring moves)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def parse_birth_date(query: str) -> str | None:
    """``DD/MM/YYYY`` or ``YYYY-MM-DD`` as ISO, or None when the query is not a date."""
    found = _DATE_FR.match(query.strip())
    if found:
        day, month, year = (int(part) for part in found.groups())
    elif found := _DATE_ISO.match(query.strip()):
        year, month, day = (int(part) for part in found.groups())
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class IndexMatch:
    """One patient of the identity index."""

    id: str
    family: str
    used: str
    given: str
    birth: str
    sex: str
    nir: str | None
    status: str
    local: str

    @property
    def display_name(self) -> str:
        """Used name (birth name in brackets when different), then given names."""
        if self.used and self.used != self.family:
            return f"{self.used.upper()} (née {self.family.upper()}) {self.given}"
        return f"{self.family.upper()} {self.given}"


def find_patients(content: dict[str, Any], query: str) -> list[IndexMatch]:
    """Patients of the index matching ``query``, best first (at most 50)."""
    rows = decode_index(content["index"])
    text = query.strip()
    if not text:
        raise BasculeError("empty search")
    compact = re.sub(r"[\s.]", "", text).upper()
    birth = parse_birth_date(text)
    if birth is not None:
        hits = [row for row in rows.values() if row[4] == birth]
    elif re.fullmatch(r"[0-9]{13}[0-9]{2}|[0-9]{5}2[AB][0-9]{8}", compact):
        hits = [row for row in rows.values() if row[6] == compact]
    else:
        hits = _by_local_id(rows, compact) or _by_name(rows, normalise(text).split())
    return [IndexMatch(*row) for row in hits[:MAX_RESULTS]]


def _by_local_id(rows: dict[str, list[Any]], compact: str) -> list[list[Any]]:
    wanted = compact.lower()
    return [
        row
        for row in rows.values()
        if any(pair.split(":", 1)[1].lower() == wanted for pair in row[8].split())
    ]


def _by_name(rows: dict[str, list[Any]], tokens: list[str]) -> list[list[Any]]:
    if not tokens:
        return []
    scored = []
    for row in rows.values():
        words = normalise(f"{row[1]} {row[2]} {row[3]}").split()
        exact = 0
        for token in tokens:
            if token in words:
                exact += 1
            elif not any(within_typo(token, word) for word in words):
                break
        else:
            scored.append((-exact, row[1], row[3], row))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored]


def patient_sheet(content: dict[str, Any], patient_id: str) -> Group:
    """The patient's essentials for the terminal, allergies first."""
    record = content["collections"]["patients"].get(patient_id)
    if record is None:
        index = decode_index(content["index"])
        if patient_id not in index:
            raise BasculeError(f"no patient {patient_id!r} in this kit")
        raise BasculeError(
            f"patient {patient_id} is in the group index but not active at "
            f"{content['site']['id']}: only identity traits are in this kit"
        )
    identity = Table.grid(padding=(0, 2))
    for label, value in (
        ("Nom de naissance", record["family"].upper()),
        ("Nom utilisé", record["used"].upper()),
        ("Prénoms", record["given"]),
        ("Né(e) le", record["birth"]),
        ("Sexe", record["sex"]),
        ("NIR", record["nir"] or "—"),
        ("Statut identité", record["status"]),
        ("IPP", record["local_id"] or "—"),
        ("Groupe sanguin", record["blood_group"] or "inconnu"),
        ("Contact", record["emergency_contact_phone"] or "—"),
    ):
        identity.add_row(label, value)
    allergies = Text()
    for allergy in record["allergies"]:
        allergies.append(
            f"⚠ {allergy['substance']} ({allergy['severity']}) {allergy['reaction']}\n",
            style="bold red",
        )
    medications = "\n".join(
        f"• {m['name']} {m['dose']} {m['route']} {m['frequency']}".strip()
        for m in record["medications"]
    )
    return Group(
        Panel(identity, title=f"Patient {patient_id}"),
        Panel(allergies or Text("Aucune allergie connue"), title="ALLERGIES", border_style="red"),
        Panel(medications or "—", title="Traitements en cours"),
        Panel("\n".join(record["alerts"]) or "—", title="Alertes"),
    )
