"""FHIR references, the resources of the current import they point to, and bascule ids.

A bascule id is derived from the site and the resource's key, so that importing the
same data again finds the same records without any table of FHIR ids:
``prefix + first 16 hex digits of SHA-256(site id, key)``, upper case. The key is
``Type/id`` (or the Bundle entry's ``fullUrl`` for a resource without id); practitioners
and locations, which feeds refer to by identifier (``Practitioner?identifier=…``), are
keyed by their first identifier ``Type?identifier=system|value`` when they have one, so
that such a reference finds them in the store without the resource itself.
"""

import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qs

from bascule.ingest.fhir_model import Reference, Resource
from bascule.ingest.fhir_values import FhirMappingError

PATIENT = "PF"
STAY = "SF"
VISIT = "VF"
CASE = "CF"
WARD = "WF"
ROOM = "RF"
SURGEON = "DF"
_KEYED_BY_IDENTIFIER = frozenset({"Practitioner", "Location"})


def derived_id(prefix: str, site_id: str, key: str) -> str:
    """The bascule id of the resource keyed ``key`` at ``site_id``."""
    digest = hashlib.sha256(f"{site_id}\x1f{key}".encode()).hexdigest()
    return f"{prefix}{digest[:16].upper()}"


def resource_key(model: Resource, full_url: str | None) -> str:
    """The key bascule ids of ``model`` derive from."""
    kind = model.resourceType
    if kind in _KEYED_BY_IDENTIFIER:
        for identifier in model.identifier:
            if identifier.system and identifier.value:
                return f"{kind}?identifier={identifier.system}|{identifier.value}"
    key = plain_key(kind, model.id, full_url)
    if key is not None:
        return key
    raise FhirMappingError(f"{kind} has neither id nor fullUrl: it cannot be imported again")


def plain_key(resource_type: str, fhir_id: object, full_url: str | None) -> str | None:
    """The key of a resource not keyed by identifier, from its raw ``id`` (None: none)."""
    if isinstance(fhir_id, str) and fhir_id:
        return f"{resource_type}/{fhir_id}"
    return full_url


@dataclass(frozen=True, slots=True)
class Target:
    """What a reference designates, as far as its text tells."""

    text: str
    resource_type: str | None = None
    id: str | None = None
    full_url: str | None = None
    system: str | None = None
    value: str | None = None
    contained: str | None = None

    def candidate_keys(self) -> list[str]:
        """Keys under which the designated resource may have been derived or indexed."""
        keys = []
        if self.full_url:
            keys.append(self.full_url)
        if self.resource_type and self.id:
            keys.append(f"{self.resource_type}/{self.id}")
        if self.resource_type and self.value:
            keys.append(f"{self.resource_type}?identifier={self.system or '*'}|{self.value}")
        return keys


def parse_reference(reference: Reference | None, expected: str) -> Target | None:
    """The target of ``reference`` (of type ``expected`` unless it says otherwise)."""
    if reference is None:
        return None
    text = (reference.reference or "").strip()
    if not text:
        identifier = reference.identifier
        if identifier is None or not identifier.value:
            return None
        shown = f"{expected}?identifier={identifier.system or ''}|{identifier.value}"
        return Target(shown, expected, system=identifier.system, value=identifier.value)
    if text.startswith("#"):
        return Target(text, expected, contained=text[1:])
    if text.startswith("urn:"):
        return Target(text, None, full_url=text)
    if "?" in text:
        return _conditional(text)
    path = text.split("/_history/")[0].rstrip("/")
    parts = path.split("/")
    if len(parts) < 2:
        return Target(text)
    full_url = text if "://" in text else None
    return Target(text, parts[-2], id=parts[-1], full_url=full_url)


def _conditional(text: str) -> Target:
    resource_type, query = text.split("?", 1)
    values = parse_qs(query).get("identifier")
    if not values:
        return Target(text, resource_type)
    system, bar, value = values[0].rpartition("|")
    if not bar:
        return Target(text, resource_type, value=value)
    return Target(text, resource_type, system=system or None, value=value)


@dataclass(slots=True)
class Indexed:
    """A resource of the current import that others may refer to."""

    model: Resource
    key: str
    entity_id: str | None = None


class RunIndex:
    """Resources read so far in this import, found by id, fullUrl or identifier."""

    def __init__(self) -> None:
        self._by_key: dict[str, Indexed] = {}

    def add(self, indexed: Indexed, full_url: str | None) -> None:
        """Make ``indexed`` findable by every way a reference may name it."""
        model = indexed.model
        kind = model.resourceType
        keys = [indexed.key]
        if model.id:
            keys.append(f"{kind}/{model.id}")
        if full_url:
            keys.append(full_url)
        for identifier in model.identifier:
            if identifier.value:
                keys.append(f"{kind}?identifier=*|{identifier.value}")
                if identifier.system:
                    keys.append(f"{kind}?identifier={identifier.system}|{identifier.value}")
        for key in keys:
            self._by_key[key] = indexed

    def find(self, target: Target) -> Indexed | None:
        """The resource of this import ``target`` designates, if any."""
        for key in target.candidate_keys():
            found = self._by_key.get(key)
            if found is not None and (
                target.resource_type is None or found.model.resourceType == target.resource_type
            ):
                return found
        return None
