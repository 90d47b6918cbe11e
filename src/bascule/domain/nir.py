"""The NIR (numéro d'inscription au répertoire), the French social security number.

15 characters: sex (1), birth year (2), birth month (2), department (2, ``2A``/``2B``
for Corsica), commune (3), order number (3), key (2). The key is
97 − (first 13 digits mod 97), with 2A read as 19 and 2B as 18 for the computation.
"""

import re

from bascule.domain.errors import InvalidNirError

_NIR_SHAPE = re.compile(r"^[1-478]\d{4}(?:\d{2}|2A|2B)\d{6}\d{2}$")
_CORSICA_AS_DIGITS = {"2A": "19", "2B": "18"}


def normalise_nir(raw: str) -> str:
    """Strip the spaces, dots and dashes people type inside a NIR and upper-case it."""
    return re.sub(r"[\s.\-]", "", raw).upper()


def _numeric_body(body13: str) -> int:
    department = body13[5:7]
    digits = body13[:5] + _CORSICA_AS_DIGITS.get(department, department) + body13[7:]
    return int(digits)


def nir_key(body13: str) -> int:
    """The two-digit control key of the 13-character NIR body."""
    if len(body13) != 13:
        raise InvalidNirError(f"NIR body must have 13 characters, got {len(body13)}")
    return 97 - (_numeric_body(body13) % 97)


def validate_nir(raw: str) -> str:
    """Return the normalised NIR, or raise InvalidNirError saying what is wrong."""
    nir = normalise_nir(raw)
    if len(nir) != 15:
        raise InvalidNirError(f"NIR {raw!r}: expected 15 characters, got {len(nir)}")
    if not _NIR_SHAPE.match(nir):
        raise InvalidNirError(
            f"NIR {raw!r}: not of the form S AA MM DD CCC NNN KK "
            "(sex 1-4/7/8, digits, department 2A/2B allowed)"
        )
    month = int(nir[3:5])
    # 20 and 30-42 and 50-99 are used for people whose birth month is unknown.
    if month == 0:
        raise InvalidNirError(f"NIR {raw!r}: birth month 00 is not allowed")
    expected = nir_key(nir[:13])
    given = int(nir[13:])
    if given != expected:
        raise InvalidNirError(f"NIR {raw!r}: wrong key {given:02d}, expected {expected:02d}")
    return nir


def make_nir(body13: str) -> str:
    """Append the control key to a 13-character NIR body."""
    return f"{body13}{nir_key(body13):02d}"


# Assigning authorities of the INS: the NIR, then the ANS's demonstration and test NIA.
INS_NIR_OID = "1.2.250.1.213.1.4.8"
INS_OIDS = frozenset({INS_NIR_OID, "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"})
