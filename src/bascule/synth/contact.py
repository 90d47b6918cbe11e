"""Where synthetic people live and how they are reached: complementary identity traits."""

import random
import unicodedata

from bascule.domain.patients import ContactDetails, IdentityTraits
from bascule.synth.clinical import draw_phone
from bascule.synth.sites_data import SiteSpec
from bascule.synth.wordlists import birthplaces

PHONE_SHARE = 0.9
EMAIL_SHARE = 0.45
HOME_DEPARTMENT_SHARE = 0.85
"""People mostly live in the site's own department, the rest in a neighbouring one."""
_PROVIDERS = ("orange.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr")


def _plain(name: str) -> str:
    letters = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in letters.lower() if c.isalnum() or c == "-")


def draw_contact(rng: random.Random, site: SiteSpec, identity: IdentityTraits) -> ContactDetails:
    """A commune of residence near ``site``, most often a phone, sometimes an e-mail.

    Postcodes are left empty: INSEE codes are not postcodes, and an invented one would be
    a wrong address rather than a missing one.
    """
    departments = [department for department, _ in site.birth_departments]
    home = departments[0] if rng.random() < HOME_DEPARTMENT_SHARE else rng.choice(departments)
    commune = birthplaces()[home].pick(rng)
    phone = draw_phone(rng) if rng.random() < PHONE_SHARE else ""
    email = ""
    if rng.random() < EMAIL_SHARE:
        given, family = _plain(identity.first_given_name), _plain(identity.birth_family_name)
        separator = rng.choice((".", "", "_"))
        # A mailbox is one person's (or one household's): the number stands for whatever
        # made the address unique when it was opened.
        number = rng.randrange(1, 10_000)
        email = f"{given}{separator}{family}{number}@{rng.choice(_PROVIDERS)}"
    return ContactDetails(city=commune.name, phone=phone, email=email)
