"""INS identity traits of synthetic people: names, birth date and place, NIR, status."""

import random
from datetime import date, timedelta

from bascule.domain.nir import make_nir
from bascule.domain.patients import IdentityStatus, IdentityTraits, Sex
from bascule.synth.sites_data import SiteSpec
from bascule.synth.weighted import Picker
from bascule.synth.wordlists import Birthplace, birthplaces, family_names, given_names

AGE_PYRAMID: tuple[tuple[int, int, float], ...] = (
    (0, 4, 4.0),
    (5, 14, 6.0),
    (15, 24, 7.0),
    (25, 34, 9.0),
    (35, 44, 10.0),
    (45, 54, 12.0),
    (55, 64, 14.0),
    (65, 74, 16.0),
    (75, 84, 14.0),
    (85, 100, 8.0),
)
"""Ages of a clinic group's patient index (first age, last age, weight): older than France."""

FEMALE_SHARE = 0.53
NIR_MISSING_SHARE = 0.10
NIR_MISSING_SHARE_BORN_ABROAD = 0.30
CORSICA_SPLIT_YEAR = 1976
"""Corsica became 2A and 2B in 1976; people born there before keep department 20 in the NIR."""

_OTHER_DEPARTMENTS = (
    *("75", "69", "13", "33", "59", "14", "72", "37", "76", "67"),
    *("31", "92", "93", "94", "78", "86", "45", "63", "34", "54"),
)
_REGION_DEPARTMENTS = ("22", "29", "35", "44", "49", "53", "56", "85")
_AGES = Picker([(low, high) for low, high, _ in AGE_PYRAMID], [w for *_, w in AGE_PYRAMID])
_EXTRA_GIVEN_NAMES_OLD = Picker([0, 1, 2, 3], [15.0, 30.0, 35.0, 20.0])
_EXTRA_GIVEN_NAMES_YOUNG = Picker([0, 1, 2, 3], [25.0, 45.0, 25.0, 5.0])
_STATUS_WITH_NIR = Picker(
    [IdentityStatus.QUALIFIED, IdentityStatus.VALIDATED, IdentityStatus.PROVISIONAL],
    [60.0, 35.0, 5.0],
)
_STATUS_WITHOUT_NIR = Picker([IdentityStatus.VALIDATED, IdentityStatus.PROVISIONAL], [55.0, 45.0])


def birthplace_picker(site: SiteSpec) -> Picker[Picker[Birthplace]]:
    """Departments of birth for patients of ``site``, then a commune within the department.

    Mostly the site's own department and its neighbours, some elsewhere in France, a few in
    Corsica or overseas, and about one in fifteen abroad.
    """
    places = birthplaces()
    weights: dict[str, float] = dict.fromkeys(_REGION_DEPARTMENTS, 1.0)
    weights.update(site.birth_departments)
    weights.update(dict.fromkeys(_OTHER_DEPARTMENTS, 0.8))
    weights.update({"2A": 0.3, "2B": 0.3, "97": 0.8, "99": 7.0})
    return Picker([places[d] for d in weights], list(weights.values()))


def draw_birth_date(rng: random.Random, today: date) -> date:
    """A birth date following the patient index's age pyramid."""
    low, high = _AGES.pick(rng)
    days = rng.randrange(int(low * 365.25), int((high + 1) * 365.25))
    return today - timedelta(days=days)


def draw_family_name(rng: random.Random) -> str:
    """A family name; now and then a double name joined by a hyphen."""
    names = family_names()
    first = names.pick(rng)
    if rng.random() < 0.02:
        second = names.pick(rng)
        if second != first:
            return f"{first}-{second}"
    return first


def draw_given_names(rng: random.Random, sex: Sex, birth_year: int) -> tuple[str, ...]:
    """The list of given names, first one first; later ones often those of grandparents."""
    key = "F" if sex is Sex.FEMALE else "M"
    first = given_names(key, birth_year).pick(rng)
    extras = (_EXTRA_GIVEN_NAMES_OLD if birth_year < 1960 else _EXTRA_GIVEN_NAMES_YOUNG).pick(rng)
    if not extras:
        return (first,)
    older = given_names(key, max(1900, birth_year - 30))
    others = [name for name in older.pick_distinct(rng, extras + 1) if name != first]
    return (first, *others[:extras])


def nir_for(sex: Sex, birth_date: date, insee: str, order: int) -> str:
    """The NIR of a person: sex, birth year and month, birth place code, order, key."""
    place = insee
    if insee[:2] in ("2A", "2B") and birth_date.year < CORSICA_SPLIT_YEAR:
        place = "20" + insee[2:]
    sex_digit = "1" if sex is Sex.MALE else "2"
    return make_nir(
        f"{sex_digit}{birth_date.year % 100:02d}{birth_date.month:02d}{place}{order:03d}"
    )


def _used_name(rng: random.Random, sex: Sex, age: int, birth_name: str) -> str:
    """A married name for many adult women (sometimes joined to the birth name), rarely men."""
    if sex is Sex.FEMALE:
        chance = 0.0 if age < 22 else 0.25 if age < 30 else 0.5 if age < 45 else 0.62
    else:
        chance = 0.01 if age >= 22 else 0.0
    if rng.random() >= chance:
        return ""
    spouse = draw_family_name(rng)
    if spouse == birth_name:
        return ""
    return f"{spouse}-{birth_name}" if rng.random() < 0.1 else spouse


def draw_identity(
    rng: random.Random, today: date, places: Picker[Picker[Birthplace]]
) -> IdentityTraits:
    """A person's INS identity traits; the NIR's order number is drawn, not yet unique."""
    sex = Sex.FEMALE if rng.random() < FEMALE_SHARE else Sex.MALE
    birth_date = draw_birth_date(rng, today)
    age = (today - birth_date).days // 365
    place = places.pick(rng).pick(rng)
    birth_name = draw_family_name(rng)
    names = draw_given_names(rng, sex, birth_date.year)
    missing = NIR_MISSING_SHARE_BORN_ABROAD if place.department == "99" else NIR_MISSING_SHARE
    nir = (
        None
        if rng.random() < missing
        else nir_for(sex, birth_date, place.insee, rng.randint(1, 999))
    )
    status = (_STATUS_WITH_NIR if nir else _STATUS_WITHOUT_NIR).pick(rng)
    return IdentityTraits(
        birth_family_name=birth_name,
        first_given_name=names[0],
        birth_date=birth_date,
        sex=sex,
        given_names=names,
        used_name=_used_name(rng, sex, age, birth_name),
        birth_place_insee=place.insee,
        nir=nir,
        status=status,
    )
