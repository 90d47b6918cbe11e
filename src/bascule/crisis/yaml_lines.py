"""YAML files written by people: load them remembering lines, so errors say where to look.

Every mapping gets a ``__line__`` key (1-based) with the line it starts on; :func:`field`
reads a typed field and reports ``FILE:LINE: WHERE field NAME must be ...`` otherwise.
"""

from typing import Any

import yaml

from bascule.errors import BasculeError

LINE_KEY = "__line__"

_EXPECTED = {
    str: "text",
    int: "a whole number",
    list: "a list",
    dict: "a mapping",
    bool: "true or false",
}


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping it builds."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load(text: str, source: str, error: type[BasculeError]) -> Any:
    """The YAML document in ``text``; ``error`` names ``source`` and the line when invalid."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = "?" if mark is None else mark.line + 1
        raise error(f"{source}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc


def line_of(mapping: dict[str, Any]) -> int | str:
    """The line a mapping starts on, or '?' for one not built by :func:`load`."""
    line = mapping.get(LINE_KEY, "?")
    return line if isinstance(line, int) else "?"


def field(
    source: str,
    mapping: dict[str, Any],
    name: str,
    kind: type,
    where: str,
    *,
    error: type[BasculeError],
) -> Any:
    """``mapping[name]`` when it is a ``kind``; otherwise ``error`` naming file, line, field."""
    value = mapping.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        expected = _EXPECTED.get(kind, kind.__name__)
        raise error(f"{source}:{line_of(mapping)}: {where} field {name!r} must be {expected}")
    return value
