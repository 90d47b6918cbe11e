"""French public holidays, when the theatres of the group do not run their lists."""

from datetime import date, timedelta
from functools import cache

_FIXED = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
"""New Year, Labour Day, 8 May, Bastille Day, Assumption, All Saints, Armistice, Christmas."""


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian calendar, anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France in ``year``."""
    easter = easter_sunday(year)
    movable = {easter + timedelta(days=offset) for offset in (1, 39, 50)}
    return frozenset({date(year, month, day) for month, day in _FIXED} | movable)


def is_public_holiday(day: date) -> bool:
    """True on a French public holiday (Easter Monday, Ascension and Whit Monday included)."""
    return day in public_holidays(day.year)
