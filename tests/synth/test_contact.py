import random
from datetime import date

from bascule.synth.contact import draw_contact
from bascule.synth.identity import birthplace_picker, draw_identity
from bascule.synth.sites_data import SITE_SPECS
from bascule.synth.wordlists import birthplaces


def test_people_live_near_their_site_and_mostly_have_a_phone() -> None:
    rng = random.Random("test-contact")
    site = SITE_SPECS[0]
    places = birthplace_picker(site)
    region = {department for department, _ in site.birth_departments}
    communes = {place.name for department in region for place in birthplaces()[department].items}
    drawn = [
        draw_contact(rng, site, draw_identity(rng, date(2026, 12, 7), places)) for _ in range(500)
    ]
    assert all(contact.city in communes for contact in drawn)
    assert all(contact.postcode == "" for contact in drawn)
    assert 0.8 < sum(bool(contact.phone) for contact in drawn) / len(drawn) < 0.97
    emails = [contact.email for contact in drawn if contact.email]
    assert 0.3 < len(emails) / len(drawn) < 0.6
    assert all(email.isascii() and email.count("@") == 1 for email in emails)


def test_the_same_stream_draws_the_same_contact() -> None:
    site = SITE_SPECS[1]
    person = draw_identity(random.Random(1), date(2026, 12, 7), birthplace_picker(site))
    assert draw_contact(random.Random("x"), site, person) == draw_contact(
        random.Random("x"), site, person
    )
