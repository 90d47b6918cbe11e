"""Identity matching (identitovigilance): typed paper identities against the patient index.

Every identity typed from paper, above all the provisional ones created under downtime ids,
is looked up in the index. ``sure``: linked automatically (score at least the sure
threshold, no veto, no rival of another person close behind). ``possible``: queued for the
identity-vigilance cell with each candidate's evidence. ``none``: the identity stays a new
provisional one. Nothing is ever merged automatically below the sure threshold.

Blocking: only people sharing a block with the typed identity are scored, and each block
forgives different errors, so that one error (and most pairs) never hides the right person.
Exact birth date, also read day/month transposed (any error in the names); phonetic family
name (and each part of a compound one) + birth year + given name's initial (day or month
wrong); phonetic family + day and month (year wrong); phonetic given + family initial +
year, and + day and month (a family typo the phonetic key does not absorb, plus a date
error); phonetic family without its first letter + phonetic given (a wrong date, even with
the first letter misread); the NIR, the phone, the e-mail (each alone). Used names are indexed
too and typed names are also looked up swapped. Blocks above ``max_block`` entries are
skipped, and counted.

Scoring (Fellegi-Sunter): each trait comparison lands on a level weighing log2(m/u) bits,
m the chance of the level for the same person typed from paper, u for two strangers; the
score is the sum. m and u are set by reasoning, written by each table. Exact agreement on a
family name, given name or birth place uses the value's frequency in the index as u (term
frequency: a rare surname agreeing says more than MARTIN), shrunk towards a default.
Complementary traits (RNIV) weigh in beside the INS traits: the commune of residence
(term frequency too; namesake communes of other départements told apart by the postcode)
and phone or e-mail, counted once as one household trait.

Vetoes forbid ``sure`` whatever the score, being how a different person looks (or too
little to tell): sex, birth date entirely different or missing, NIRs different, a typed
NIR contradicting the entry's birth date or sex, a family or given name neither equal nor
one keystroke off, a given name only part of the other or another of its given names, no
name agreeing at all. Twins share surname, birth date, sex, birth place and often a home
and a phone: the given name alone tells them apart. A parent and a child may share names
and a phone too: a phone or e-mail counts for nothing when the birth years are a
generation apart.
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from bascule.domain.errors import InvalidNirError
from bascule.domain.nir import validate_nir
from bascule.domain.patients import ContactDetails, IdentityTraits


@dataclass(frozen=True, slots=True)
class Identity:
    """The INS traits of one person as typed or as held by the index; names may be empty."""

    id: str
    birth_family_name: str
    first_given_name: str
    birth_date: date | None
    sex: str | None = None
    used_name: str = ""
    given_names: tuple[str, ...] = ()
    birth_place_insee: str = ""
    nir: str | None = None
    city: str = ""
    """Commune of residence: a complementary trait, like those below."""
    postcode: str = ""
    phone: str = ""
    email: str = ""


def identity_from_traits(
    id: str, traits: IdentityTraits, contact: ContactDetails | None = None
) -> Identity:
    """The matching view of a domain identity, with the person's contact details if known."""
    contact = contact or ContactDetails()
    return Identity(
        id=id,
        birth_family_name=traits.birth_family_name,
        first_given_name=traits.first_given_name,
        birth_date=traits.birth_date,
        sex=traits.sex.value,
        used_name=traits.used_name,
        given_names=traits.given_names,
        birth_place_insee=traits.birth_place_insee,
        nir=traits.nir,
        city=contact.city,
        postcode=contact.postcode,
        phone=contact.phone,
        email=contact.email,
    )


# --- Normalisation and phonetic key --------------------------------------------------------

_TRANSLITERATE = str.maketrans(
    {"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "Ø": "O", "ø": "o"}
    | {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th"}
)
_NOT_LETTER = re.compile(r"[^A-Z]+")
_SAINT = {"ST": "SAINT", "STE": "SAINTE"}
_PARTICLES = frozenset({"LE", "LA", "LES", "DE", "DU", "DES", "D", "L", "VAN", "VON", "DEL"})


@lru_cache(maxsize=1 << 18)
def normalise_name(text: str) -> str:
    """Upper-case A-Z words separated by single spaces: the form names are compared in.

    Accents go (NFKD), Œ/Æ/ß are spelt out, hyphens, apostrophes and any other sign become
    a space, "ST"/"STE" become "SAINT"/"SAINTE". Particles are kept (LE GOFF is not GOFF).
    Letters outside the Latin alphabet are dropped: INS traits are written in it.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    letters = decomposed.encode("ascii", "ignore").decode("ascii").upper()
    return " ".join(_SAINT.get(word, word) for word in _NOT_LETTER.sub(" ", letters).split())


# A French phonetic reduction in the spirit of Soundex-FR and Phonex, applied in this order
# to the normalised name without its spaces. Each rule maps spellings a clerk (or a
# registry, over generations) confuses onto one: silent final consonants (DUPONT/DUPON,
# RENAUD/RENO), X as KS, CH/SCH/SH (a sound, written X here), PH/F, GU/G and G/J before
# E I Y, QU/C/CK/K, C before E I Y as S, silent H, W/V, Y/I, Z/S, EAU/AU/O, OU/U, AI/EI/E,
# EU/OE/E, the nasal vowels (AIN/EIN/IN/UN, AN/AM/EN/EM, ON/OM), the final mute E, and
# doubled letters. Coarse on purpose: it only chooses which people get scored.
_PHONETIC_RULES = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?<=[A-Z]{2})[DGPSTXZ]+$", ""),
        (r"X", "KS"),
        (r"CH(?=[RL])", "K"),
        (r"S?CH|SH", "X"),
        (r"PH", "F"),
        (r"GU(?=[EIY])", "G"),
        (r"G(?=[EIY])", "J"),
        (r"QU?|CK|C(?![EIY])", "K"),
        (r"C", "S"),
        (r"H", ""),
        (r"W", "V"),
        (r"Y", "I"),
        (r"Z", "S"),
        (r"[AE]IN(?=[^AEIOU]|$)|[IU][NM](?=[^AEIOU]|$)", "IN"),
        (r"[AE][NM](?=[^AEIOU]|$)", "AN"),
        (r"O[NM](?=[^AEIOU]|$)", "ON"),
        (r"E?AU", "O"),
        (r"OU", "U"),
        (r"[AE]I|EU|OE", "E"),
        (r"(?<=[A-Z])E$", ""),
        (r"([A-Z])\1+", r"\1"),
    )
)


@lru_cache(maxsize=1 << 18)
def phonetic(text: str) -> str:
    """The French phonetic key of a name (see the rules above); '' for an empty name."""
    key = normalise_name(text).replace(" ", "")
    for pattern, replacement in _PHONETIC_RULES:
        key = pattern.sub(replacement, key)
    return key


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, up to 4 characters)."""
    # Ordering the pair makes the greedy matching, hence the result, symmetric.
    return _jaro_winkler(a, b) if a <= b else _jaro_winkler(b, a)


@lru_cache(maxsize=1 << 20)
def _jaro_winkler(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used = [False] * len(b)
    matched_a = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used[j] and b[j] == char:
                used[j] = True
                matched_a.append(char)
                break
    matches = len(matched_a)
    if not matches:
        return 0.0
    matched_b = [char for char, hit in zip(b, used, strict=True) if hit]
    out_of_order = sum(x != y for x, y in zip(matched_a, matched_b, strict=True))
    jaro = (matches / len(a) + matches / len(b) + 1 - out_of_order / 2 / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return min(1.0, jaro + prefix * 0.1 * (1 - jaro))


# --- Comparison levels and their weights ---------------------------------------------------


class NameLevel(StrEnum):
    """How two names compare, best first."""

    EXACT = "exact"
    PART = "part of a compound name"
    OTHER_GIVEN = "another of the given names"
    PHONETIC = "same sound"
    CLOSE = "one keystroke off"
    FUZZY = "similar spelling"
    DIFFERENT = "different"
    MISSING = "missing"


class DateLevel(StrEnum):
    """How two birth dates compare, best first."""

    EXACT = "exact"
    TRANSPOSED = "day and month transposed"
    TYPO = "one digit wrong or two swapped"
    CLOSE = "within a month"
    SAME_YEAR = "same year"
    DIFFERENT = "different"
    MISSING = "missing"


class TraitLevel(StrEnum):
    """How sex, birth place, NIR, residence or contact compare."""

    EQUAL = "equal"
    CLOSE = "nearly equal"
    """A digit of a phone, or up to two keystrokes of a commune or an e-mail."""
    DIFFERENT = "different"
    INVALID = "typed NIR fails its key"
    CONTRADICTS = "typed NIR contradicts the birth date or sex"
    MISSING = "missing"


def _bits(m: float, u: float) -> float:
    return math.log2(m / u)


# Names. m: out of 100 typings of the right person's family name, ~86 exact, ~3 drop or add
# half of a compound name, ~4 a keystroke off, ~4 heard (same sound), ~1 worse, ~2 another
# name altogether (married name where the index lacks it). u: two strangers agree exactly
# with the name's frequency (term-frequency adjusted, default 1 in 500), share a part, a
# sound or a keystroke in ~2 in 1,000, a similar spelling (Jaro-Winkler ≥ 0.85) 1 in 100.
_FAMILY_WEIGHTS = {
    NameLevel.PART: _bits(0.03, 0.001),
    NameLevel.PHONETIC: _bits(0.04, 0.002),
    NameLevel.CLOSE: _bits(0.04, 0.002),
    NameLevel.FUZZY: _bits(0.01, 0.01),
    NameLevel.DIFFERENT: _bits(0.02, 0.985),
    NameLevel.MISSING: 0.0,
}
# Given names are fewer and commoner (default 1 in 100 agree by chance); a person may go by
# a later given name (Marie Thérèse known as Thérèse), which is still some evidence.
_GIVEN_WEIGHTS = _FAMILY_WEIGHTS | {
    NameLevel.PART: _bits(0.03, 0.003),
    NameLevel.OTHER_GIVEN: _bits(0.02, 0.005),
    NameLevel.PHONETIC: _bits(0.04, 0.005),
    NameLevel.CLOSE: _bits(0.04, 0.005),
    NameLevel.FUZZY: _bits(0.01, 0.02),
    NameLevel.DIFFERENT: _bits(0.005, 0.95),
}
_EXACT_M = 0.86
_FAMILY_DEFAULT_U = 0.002
_GIVEN_DEFAULT_U = 0.01
_PLACE_DEFAULT_U = 0.01
_PSEUDO_COUNT = 1000.0
_RARE_FLOOR = 1e-4
"""Exact agreement is never rarer than 1 in 10,000: names have spelling variants."""
_INVERSION_PENALTY = 1.0
"""Family and given name swapped is a known paper error, but still one error."""
_USED_NAME_PENALTY = 1.0
"""Agreement through a used name rather than birth name to birth name: usual, yet weaker."""

# Birth dates, ages spread over ~80 years (29,200 days). m: ~90 % typed right, 2 %
# day/month transposed, 4 % one digit wrong or two swapped, 1 % a little off, 1 % only
# the year right, 2 % wrong altogether. u: exact or transposed 1/29,200; ~30 valid dates
# lie one digit away (1/1,000); 62 days within a month; same year 1/80.
_DATE_WEIGHTS = {
    DateLevel.EXACT: _bits(0.90, 1 / 29_200),
    DateLevel.TRANSPOSED: _bits(0.02, 1 / 29_200),
    DateLevel.TYPO: _bits(0.04, 0.001),
    DateLevel.CLOSE: _bits(0.01, 62 / 29_200),
    DateLevel.SAME_YEAR: _bits(0.01, 1 / 80),
    DateLevel.DIFFERENT: _bits(0.01, 0.95),
    DateLevel.MISSING: 0.0,
}
# Sex: 1 % ticked wrong on paper, strangers agree half the time.
_SEX_WEIGHTS = {TraitLevel.EQUAL: _bits(0.98, 0.5), TraitLevel.DIFFERENT: _bits(0.01, 0.5)}
# Birth place: 5 % typed wrong (or country vs commune); u is the commune's frequency.
_PLACE_DIFFERENT = _bits(0.05, 0.95)
# NIR: agreement is nearly proof, but capped so that a NIR copied from a parent's card
# cannot carry a different person through alone; a valid NIR that differs is another person
# (the key catches every single-digit typo).
_NIR_WEIGHTS = {
    TraitLevel.EQUAL: 12.0,
    TraitLevel.DIFFERENT: -10.0,
    TraitLevel.CONTRADICTS: -6.0,
}
# Complementary traits (RNIV): not INS traits, yet what identity-vigilance cells check when
# the INS traits leave a doubt. Residence: ~70 % of people still live in the commune the
# index holds, ~5 % have it misspelt; strangers share it with the commune's frequency
# (default 1 in 100) and misspell into it ~2 in 1,000. Phone or e-mail: ~65 % unchanged,
# ~5 % mistyped, the rest changed; strangers almost never share one, but a household does
# (a parent's number on a child's form, twins), so agreement is capped like the NIR's.
_CITY_DEFAULT_U = 0.01
_CITY_WEIGHTS = {TraitLevel.CLOSE: _bits(0.05, 0.002), TraitLevel.DIFFERENT: _bits(0.25, 0.97)}
_CONTACT_WEIGHTS = {
    TraitLevel.EQUAL: 12.0,
    TraitLevel.CLOSE: _bits(0.05, 0.0002),
    TraitLevel.DIFFERENT: _bits(0.3, 1.0),
}


@lru_cache(maxsize=1 << 20)
def compare_names(a: str, b: str) -> NameLevel:
    """Level of two normalised names (both non-empty for anything but MISSING)."""
    if not a or not b:
        return NameLevel.MISSING
    joined_a, joined_b = a.replace(" ", ""), b.replace(" ", "")
    if joined_a == joined_b:
        return NameLevel.EXACT
    if " " in a or " " in b:
        words_a, words_b = set(a.split()) - _PARTICLES, set(b.split()) - _PARTICLES
        if words_a and words_b and (words_a <= words_b or words_b <= words_a):
            return NameLevel.PART
    if _one_edit(joined_a, joined_b):
        return NameLevel.CLOSE
    if phonetic(a) == phonetic(b):
        return NameLevel.PHONETIC
    # Jaro-Winkler rewards shared prefixes, so JULIE/JULIETTE or MARIE/MARTINE score above
    # 0.92: beyond one keystroke, a near spelling is only ever "distant" (never sure).
    if _jaro_winkler_bound(joined_a, joined_b) < 0.85 or jaro_winkler(joined_a, joined_b) < 0.85:
        return NameLevel.DIFFERENT
    return NameLevel.FUZZY


@lru_cache(maxsize=1 << 16)
def _only_letters_of(name: str) -> dict[int, None]:
    """A str.translate table deleting every capital letter absent from ``name``."""
    return dict.fromkeys(ord(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in name)


def _jaro_winkler_bound(a: str, b: str) -> float:
    """An upper bound of the Jaro-Winkler similarity, ten times cheaper to compute.

    Most candidates (from the birth-date block) bear unrelated names; counting the letters
    of each name found anywhere in the other bounds the matches and rules them out early.
    """
    matches = min(len(a.translate(_only_letters_of(b))), len(b.translate(_only_letters_of(a))))
    jaro = (matches / len(a) + matches / len(b) + 1) / 3 if matches else 0.0
    prefix, longest = 0, min(4, len(a), len(b))
    while prefix < longest and a[prefix] == b[prefix]:
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def _one_edit(a: str, b: str) -> bool:
    """One keystroke apart: a letter replaced, added, dropped, or two adjacent ones swapped.

    The commonest typing error, recognised whatever the name's length (Jaro-Winkler
    forgives a typo less in a short name than in a long one).
    """
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 3:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    rest_a, rest_b = a[start:], b[start:]
    if len(a) == len(b):
        swapped = len(rest_a) >= 2 and rest_a[0] == rest_b[1] and rest_a[1] == rest_b[0]
        return rest_a[1:] == rest_b[1:] or (swapped and rest_a[2:] == rest_b[2:])
    return rest_a[1:] == rest_b if len(a) > len(b) else rest_a == rest_b[1:]


def _within_two_edits(a: str, b: str) -> bool:
    """At most two keystrokes apart (letters replaced, added, dropped or swapped in pairs).

    Optimal string alignment distance, stopped as soon as a row exceeds two.
    """
    if abs(len(a) - len(b)) > 2:
        return False
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 1)
        if min(row) > 2:
            return False
        before, previous = previous, row
    return previous[-1] <= 2


def _digits_off_by_one(a: str, b: str) -> bool:
    """One character different, or two adjacent ones swapped (1987 for 1978)."""
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diffs) == 1:
        return True
    if len(diffs) != 2 or diffs[1] != diffs[0] + 1:
        return False
    first, second = diffs
    return a[first] == b[second] and a[second] == b[first]


def compare_birth_dates(a: date | None, b: date | None) -> DateLevel:
    """Level of two birth dates."""
    if a is None or b is None:
        return DateLevel.MISSING
    if a == b:
        return DateLevel.EXACT
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return DateLevel.TRANSPOSED
    if _digits_off_by_one(a.isoformat(), b.isoformat()):
        return DateLevel.TYPO
    if abs(a.toordinal() - b.toordinal()) <= 31:
        return DateLevel.CLOSE
    if a.year == b.year:
        return DateLevel.SAME_YEAR
    return DateLevel.DIFFERENT


@lru_cache(maxsize=1 << 18)
def normalise_phone(raw: str) -> str:
    """The national significant number: digits only, French +33/0033 and trunk 0 dropped."""
    digits = "".join(c for c in raw if c.isdigit())
    for prefix in ("0033", "33"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            return digits[len(prefix) :]
    return digits[1:] if len(digits) == 10 and digits.startswith("0") else digits


def normalise_email(raw: str) -> str:
    """An e-mail address as compared: trimmed, lower case."""
    return raw.strip().lower()


@lru_cache(maxsize=1 << 16)
def compare_city(a: str, b: str) -> TraitLevel:
    """Level of two normalised communes of residence."""
    if not a or not b:
        return TraitLevel.MISSING
    if a == b:
        return TraitLevel.EQUAL
    return TraitLevel.CLOSE if _within_two_edits(a, b) else TraitLevel.DIFFERENT


def compare_contact(a: str, b: str, *, digits: bool) -> TraitLevel:
    """Level of two normalised phone numbers (``digits``) or e-mail addresses."""
    if not a or not b:
        return TraitLevel.MISSING
    if a == b:
        return TraitLevel.EQUAL
    # Short values are too easily one keystroke from a stranger's.
    if len(a) >= 8 and len(a) == len(b) and digits and _digits_off_by_one(a, b):
        return TraitLevel.CLOSE
    if not digits and min(len(a), len(b)) >= 8 and _within_two_edits(a, b):
        return TraitLevel.CLOSE
    return TraitLevel.DIFFERENT


def _sex(value: str | None) -> str | None:
    return value if value in ("M", "F") else None


def compare_sex(a: str | None, b: str | None) -> TraitLevel:
    """Level of two administrative sexes ('U' or None counts as missing)."""
    sex_a, sex_b = _sex(a), _sex(b)
    if sex_a is None or sex_b is None:
        return TraitLevel.MISSING
    return TraitLevel.EQUAL if sex_a == sex_b else TraitLevel.DIFFERENT


def valid_nir(raw: str | None) -> str | None:
    """The normalised NIR if it passes its key, else None."""
    if not raw:
        return None
    try:
        return validate_nir(raw)
    except InvalidNirError:
        return None


# --- Results -------------------------------------------------------------------------------


class Outcome(StrEnum):
    """What happens to a typed identity."""

    SURE = "sure"
    POSSIBLE = "possible"
    NONE = "none"


class Comparison(NamedTuple):
    """One trait's comparison: level and weight (bits), what was typed, what the index holds."""

    trait: str
    level: str
    weight: float
    typed: str
    found: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """An index entry scored against the typed identity, with the evidence."""

    identity: Identity
    score: float
    evidence: tuple[Comparison, ...]
    vetoes: tuple[str, ...]
    inverted: bool

    @property
    def id(self) -> str:
        """The index entry's id."""
        return self.identity.id


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome, the best candidate (None when nobody is plausible), every candidate at or
    above the possible threshold (best first), how many were scored, blocks skipped as too big.
    """

    outcome: Outcome
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    scored: int
    skipped_blocks: int


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Thresholds in bits.

    ``sure`` rises with the index: at least ``log2(size) + sure_above_log2_size``, one bit
    per doubling, since each person added is one more stranger who may look alike (a given
    entry's prior odds of being the typed person fall as 1/size). ``possible`` is fixed: it
    decides what a human gets to see. A rival within ``margin`` bits of the best candidate,
    and not another entry of the same person, turns a sure link into a possible one.
    """

    sure: float = 22.0
    sure_above_log2_size: float = 5.5
    possible: float = 16.0
    margin: float = 6.0
    max_candidates: int = 10

    def sure_for(self, size: int) -> float:
        """The sure threshold for an index of ``size`` entries."""
        return max(self.sure, math.log2(max(size, 1)) + self.sure_above_log2_size)


DEFAULT_SETTINGS = MatchSettings()


# --- Index ---------------------------------------------------------------------------------


class _Prepared(NamedTuple):
    """An identity with its names normalised and its NIR checked, once."""

    identity: Identity
    families: tuple[str, ...]
    first: str
    others: tuple[str, ...]
    nir: str | None
    city: str
    department: str
    phone: str
    email: str


def _prepare(identity: Identity) -> _Prepared:
    birth, used = normalise_name(identity.birth_family_name), normalise_name(identity.used_name)
    families = (birth, used) if birth and used and used != birth else (birth or used,)
    first = normalise_name(identity.first_given_name)
    others = tuple(n for n in map(normalise_name, identity.given_names) if n and n != first)
    return _Prepared(
        identity,
        families if families[0] else (),
        first,
        others,
        valid_nir(identity.nir),
        normalise_name(identity.city),
        identity.postcode.strip()[:2],
        normalise_phone(identity.phone),
        normalise_email(identity.email),
    )


@lru_cache(maxsize=1 << 16)
def _name_keys(families: tuple[str, ...], first: str) -> tuple[tuple[str, ...], ...]:
    """Phonetic family keys (parts of compound names too), whole-name keys, given-name key,
    family initials: what the blocks of one reading of a person's names are made of."""
    wholes = {phonetic(name) for name in families} - {""}
    parts = set(wholes)
    for name in families:
        words = [word for word in name.split() if word not in _PARTICLES]
        if len(words) > 1:
            parts.update(phonetic(word) for word in words)
    parts.discard("")
    given = phonetic(first)
    initials = {name[0] for name in families} if given else set()
    return tuple(sorted(parts)), tuple(sorted(wholes)), (given,), tuple(sorted(initials))


def _block_keys(families: tuple[str, ...], first: str, born: date | None) -> list[str]:
    """The blocks one reading of a person's names and birth date falls in."""
    parts, wholes, (given,), initials = _name_keys(families, first)
    # Without its first letter, so that a first letter misread still meets a wrong date.
    keys = [f"p{key[1:]}|{given}" for key in wholes] if given else []
    if born is not None:
        year, day = born.year, f"{born.month}-{born.day}"
        keys.append(f"d{born.isoformat()}")
        keys.extend(f"n{key}|{year}|{given[:1]}" for key in parts)
        keys.extend(f"y{key}|{day}" for key in wholes)
        keys.extend(f"g{given}|{initial}|{year}" for initial in initials)
        keys.extend(f"h{given}|{initial}|{day}" for initial in initials)
    return keys


class PatientIndex:
    """The patient index with its blocks and name frequencies, built once."""

    def __init__(self, identities: Iterable[Identity], max_block: int = 500) -> None:
        self.max_block = max_block
        self._entries: list[_Prepared] = []
        self._blocks: dict[str, list[int]] = {}
        self._counts: dict[str, Counter[str]] = {
            kind: Counter() for kind in ("family", "given", "place", "city")
        }
        self._weights: dict[tuple[str, str], float] = {}
        for identity in identities:
            self._add(_prepare(identity))

    def _add(self, entry: _Prepared) -> None:
        number = len(self._entries)
        self._entries.append(entry)
        self._counts["family"].update(entry.families)
        self._counts["given"][entry.first] += 1
        self._counts["place"][entry.identity.birth_place_insee] += 1
        self._counts["city"][entry.city] += 1
        keys = _block_keys(entry.families, entry.first, entry.identity.birth_date)
        keys.extend(_contact_keys(entry))
        blocks = self._blocks
        for key in set(keys):
            block = blocks.get(key)
            if block is None:
                blocks[key] = [number]
            else:
                block.append(number)

    def __len__(self) -> int:
        return len(self._entries)

    def exact_weight(self, kind: str, value: str) -> float:
        """Weight of exact agreement on a family name, given name, birth place or city ``kind``.

        u is the value's share of the index, shrunk towards the default share as if
        ``_PSEUDO_COUNT`` more entries at the default had been seen, floored for rare values.
        """
        cached = self._weights.get((kind, value))
        if cached is None:
            default, m = _EXACT_DEFAULTS[kind]
            count = self._counts[kind][value]
            u = (count + _PSEUDO_COUNT * default) / (len(self._entries) + _PSEUDO_COUNT)
            cached = self._weights[(kind, value)] = _bits(m, max(u, _RARE_FLOOR))
        return cached

    def _candidates(self, prepared: _Prepared) -> tuple[list[_Prepared], int]:
        """Index entries sharing a block with any reading of ``prepared``; blocks skipped."""
        typed = prepared.identity
        readings = [(prepared.families, prepared.first)]
        if prepared.first and prepared.families:
            readings.append(((prepared.first,), prepared.families[0]))
        keys = set(_contact_keys(prepared))
        for families, first in readings:
            keys.update(_block_keys(families, first, typed.birth_date))
        born = typed.birth_date
        if born is not None and born.day <= 12 and born.day != born.month:
            # Day and month transposed: the name blocks hold the year; the date block does not.
            keys.add(f"d{date(born.year, born.day, born.month).isoformat()}")
        found: set[int] = set()
        skipped = 0
        for key in keys:
            block = self._blocks.get(key, ())
            if len(block) > self.max_block:
                skipped += 1
            else:
                found.update(block)
        return [self._entries[number] for number in sorted(found)], skipped


def _contact_keys(prepared: _Prepared) -> list[str]:
    """The blocks of a person's NIR, phone and e-mail: each alone may find them."""
    keys = [f"i{prepared.nir}"] if prepared.nir else []
    if prepared.phone:
        keys.append(f"t{prepared.phone}")
    if prepared.email:
        keys.append(f"e{prepared.email}")
    return keys


_EXACT_DEFAULTS = {
    "family": (_FAMILY_DEFAULT_U, _EXACT_M),
    "given": (_GIVEN_DEFAULT_U, _EXACT_M),
    "place": (_PLACE_DEFAULT_U, 0.90),
    "city": (_CITY_DEFAULT_U, 0.70),
}


# --- Scoring -------------------------------------------------------------------------------


def _family(index: PatientIndex, typed: tuple[str, ...], found: tuple[str, ...]) -> Comparison:
    """The best agreement between the typed family names and the entry's (birth or used)."""
    best: tuple[float, NameLevel, str, str] | None = None
    for i, a in enumerate(typed):
        for j, b in enumerate(found):
            level = compare_names(a, b)
            weight = (
                index.exact_weight("family", b)
                if level is NameLevel.EXACT
                else _FAMILY_WEIGHTS[level]
            ) - (_USED_NAME_PENALTY if i or j else 0.0)
            if best is None or weight > best[0]:
                best = (weight, level, a, b)
    if best is None:
        return Comparison("family name", NameLevel.MISSING, 0.0, " / ".join(typed), "")
    weight, level, a, b = best
    return Comparison("family name", level, weight, a, b)


def _given(index: PatientIndex, typed: str, found: _Prepared) -> Comparison:
    """The typed given name against the entry's first one, or failing that its others."""
    level = compare_names(typed, found.first)
    if level is NameLevel.EXACT:
        weight = index.exact_weight("given", found.first)
        return Comparison("given name", level, weight, typed, found.first)
    if level in (NameLevel.FUZZY, NameLevel.DIFFERENT):
        for other in found.others:
            if compare_names(typed, other) is NameLevel.EXACT:
                weight = _GIVEN_WEIGHTS[NameLevel.OTHER_GIVEN]
                return Comparison("given name", NameLevel.OTHER_GIVEN, weight, typed, other)
    return Comparison("given name", level, _GIVEN_WEIGHTS[level], typed, found.first)


_GOOD_NAME = frozenset(
    {NameLevel.EXACT, NameLevel.PART, NameLevel.OTHER_GIVEN, NameLevel.PHONETIC, NameLevel.CLOSE}
)
"""Name levels good enough that reading the names swapped is not worth trying."""
_AGREEING = frozenset({NameLevel.EXACT, NameLevel.PART, NameLevel.CLOSE})
"""Name levels that count as agreeing (for inversions, and so that some name agrees)."""


def _names(
    index: PatientIndex, typed: _Prepared, found: _Prepared
) -> tuple[Comparison, Comparison, bool]:
    """Family and given name comparisons, read straight or swapped, whichever is better."""
    family = _family(index, typed.families, found.families)
    given = _given(index, typed.first, found)
    if (family.level in _GOOD_NAME and given.level in _GOOD_NAME) or not typed.families:
        return family, given, False
    swapped_family = _family(index, (typed.first,), found.families)
    swapped_given = _given(index, typed.families[0], found)
    agreeing = swapped_family.level in _AGREEING or swapped_given.level in _AGREEING
    swapped = swapped_family.weight + swapped_given.weight - _INVERSION_PENALTY
    if agreeing and swapped > family.weight + given.weight:
        return swapped_family, swapped_given, True
    return family, given, False


def _place(index: PatientIndex, typed: str, found: str) -> Comparison:
    if not typed or not found:
        return Comparison("birth place", TraitLevel.MISSING, 0.0, typed, found)
    if typed == found:
        weight = index.exact_weight("place", found)
        return Comparison("birth place", TraitLevel.EQUAL, weight, typed, found)
    return Comparison("birth place", TraitLevel.DIFFERENT, _PLACE_DIFFERENT, typed, found)


def _city(index: PatientIndex, typed: _Prepared, found: _Prepared) -> Comparison:
    level = compare_city(typed.city, found.city)
    departments = {typed.department, found.department}
    if level is not TraitLevel.MISSING and len(departments) == 2 and "" not in departments:
        # Communes of one name lie in several départements (there are 200 Saint-Martin).
        level = TraitLevel.DIFFERENT
    weight = (
        index.exact_weight("city", found.city)
        if level is TraitLevel.EQUAL
        else _CITY_WEIGHTS.get(level, 0.0)
    )
    return Comparison("residence", level, weight, typed.city, found.city)


def _contact(typed: _Prepared, found: _Prepared) -> Comparison:
    """Phone or e-mail, whichever agrees better: one household trait, counted once.

    A household shares it across generations: with birth years a generation apart (a date
    one digit off in the decade, or a parent and a child with the same names), it weighs
    nothing.
    """
    phone = compare_contact(typed.phone, found.phone, digits=True)
    email = compare_contact(typed.email, found.email, digits=False)
    best = min((phone, email), key=_CONTACT_ORDER.index)
    shown = (typed.phone, found.phone) if best is phone else (typed.email, found.email)
    a, b = typed.identity.birth_date, found.identity.birth_date
    apart = a is not None and b is not None and abs(a.year - b.year) >= _GENERATION_YEARS
    weight = 0.0 if apart else _CONTACT_WEIGHTS.get(best, 0.0)
    return Comparison("phone or e-mail", best, weight, *shown)


_GENERATION_YEARS = 15


_CONTACT_ORDER = (TraitLevel.EQUAL, TraitLevel.CLOSE, TraitLevel.DIFFERENT, TraitLevel.MISSING)


def _contradicts(nir: str, other: Identity) -> bool:
    """Whether a NIR's sex, birth year or month (when known) disagree with ``other``'s."""
    born, month = other.birth_date, int(nir[3:5])
    if born is not None and (
        int(nir[1:3]) != born.year % 100 or (1 <= month <= 12 and month != born.month)
    ):
        return True
    return nir[0] in "12" and _sex(other.sex) is not None and (nir[0] == "1") != (other.sex == "M")


def _nir(typed: _Prepared, found: _Prepared) -> Comparison:
    raw_typed, raw_found = typed.identity.nir or "", found.identity.nir or ""
    if typed.nir and not raw_found and _contradicts(typed.nir, found.identity):
        # Only the typed NIR is checked against the index's traits: a date mistyped next to
        # a correct NIR in the index is a typo, not another person.
        level = TraitLevel.CONTRADICTS
    elif not raw_typed or not raw_found:
        level = TraitLevel.MISSING
    elif typed.nir is None or found.nir is None:
        level = TraitLevel.INVALID
    else:
        level = TraitLevel.EQUAL if typed.nir == found.nir else TraitLevel.DIFFERENT
    return Comparison("NIR", level, _NIR_WEIGHTS.get(level, 0.0), raw_typed, raw_found)


_VETOES = {
    *(("family name", level) for level in (NameLevel.PHONETIC, NameLevel.FUZZY)),
    ("family name", NameLevel.DIFFERENT),
    *(("given name", level) for level in (NameLevel.PART, NameLevel.OTHER_GIVEN)),
    *(("given name", level) for level in (NameLevel.PHONETIC, NameLevel.FUZZY)),
    ("given name", NameLevel.DIFFERENT),
    ("birth date", DateLevel.DIFFERENT),
    ("birth date", DateLevel.MISSING),
    ("sex", TraitLevel.DIFFERENT),
    ("NIR", TraitLevel.DIFFERENT),
    ("NIR", TraitLevel.CONTRADICTS),
}
"""Comparisons that forbid a sure link whatever the score: how a different person looks.

Names that sound alike but are spelt differently (DUPUIS/DUPUY) are different families as
often as they are a name heard wrong; a part of a compound given name, or a later given
name, is another given name (Jean-Claude is not Claude): a human decides."""


def _score(index: PatientIndex, typed: _Prepared, found: _Prepared) -> Candidate:
    family, given, inverted = _names(index, typed, found)
    a, b = typed.identity, found.identity
    born = compare_birth_dates(a.birth_date, b.birth_date)
    sex = compare_sex(a.sex, b.sex)
    evidence: tuple[Comparison, ...] = (
        family,
        given,
        Comparison("birth date", born, _DATE_WEIGHTS[born], _iso(a.birth_date), _iso(b.birth_date)),
        Comparison("sex", sex, _SEX_WEIGHTS.get(sex, 0.0), a.sex or "", b.sex or ""),
        _place(index, a.birth_place_insee, b.birth_place_insee),
        _nir(typed, found),
        _city(index, typed, found),
        _contact(typed, found),
    )
    if inverted:
        swap = Comparison("names", "family and given name swapped", -_INVERSION_PENALTY, "", "")
        evidence += (swap,)
    score = round(sum(item.weight for item in evidence), 2)
    vetoes = tuple(f"{e.trait} {e.level}" for e in evidence if (e.trait, e.level) in _VETOES)
    if family.level not in _AGREEING and given.level not in _AGREEING:
        vetoes += ("no name agrees",)
    return Candidate(b, score, evidence, vetoes, inverted)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def score_pair(index: PatientIndex, typed: Identity, found: Identity) -> Candidate:
    """Score ``found`` as a candidate for ``typed``, with the index's name frequencies."""
    return _score(index, _prepare(typed), _prepare(found))


def _rival(
    index: PatientIndex, best: Candidate, others: Iterable[Candidate], settings: MatchSettings
) -> bool:
    """Another person scores close to the best one (two entries of one person are no rival)."""
    floor = max(settings.possible, best.score - settings.margin)
    sure = settings.sure_for(len(index))
    for other in others:
        if other.score >= floor:
            same = score_pair(index, best.identity, other.identity)
            if same.score < sure or same.vetoes:
                return True
    return False


def match(
    index: PatientIndex, typed: Identity, settings: MatchSettings = DEFAULT_SETTINGS
) -> MatchResult:
    """Match one typed identity against the index: sure, possible or none, with evidence."""
    prepared = _prepare(typed)
    entries, skipped = index._candidates(prepared)
    scored = sorted(
        (_score(index, prepared, entry) for entry in entries), key=lambda c: (-c.score, c.id)
    )
    shown = tuple(c for c in scored if c.score >= settings.possible)[: settings.max_candidates]
    if not shown:
        return MatchResult(Outcome.NONE, None, (), len(scored), skipped)
    best = shown[0]
    sure = best.score >= settings.sure_for(len(index)) and not best.vetoes
    if sure and not _rival(index, best, shown[1:], settings):
        return MatchResult(Outcome.SURE, best, shown, len(scored), skipped)
    return MatchResult(Outcome.POSSIBLE, best, shown, len(scored), skipped)
