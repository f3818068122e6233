"""Rewriting a recipe's values with tomlkit, keeping its comments, order and layout."""

from __future__ import annotations

import tomlkit
import tomlkit.items
from tomlkit.items import StringType

def rewrite_recipe(text: str, *, requirements: dict[int, str] | None = None,
                   python: dict[str, str] | None = None,
                   package: dict[str, str] | None = None,
                   check: dict[str, str] | None = None) -> str:
    """Replace values in the recipe's TOML, keeping comments, order and layout.

    requirements: position in [pip] requirements -> new requirement string;
    python / package / check: field -> new value in [python] / [package] / [check].
    """
    doc = tomlkit.parse(text)
    reqs = doc["pip"]["requirements"]  # type: ignore[index]
    for i, req in (requirements or {}).items():
        reqs[i] = _like(reqs[i], req)  # type: ignore[index]
    for section, values in (("python", python), ("package", package), ("check", check)):
        if not values:
            continue
        table = doc[section]
        for key, value in (values or {}).items():
            table[key] = _like(table.get(key), value)  # type: ignore[union-attr]
    return tomlkit.dumps(doc)


def _like(old: object, value: str) -> object:
    """value as a TOML string of the same kind as old (literal 'x' stays literal, and so on);
    a value that a literal string cannot hold ("'" or a line break) becomes a basic string."""
    if not isinstance(old, tomlkit.items.String):
        return value
    literal = old.type in (StringType.SLL, StringType.MLL)
    multiline = old.type in (StringType.MLB, StringType.MLL)
    if literal and ("'" in value or "\n" in value):
        return value
    return tomlkit.string(value, literal=literal, multiline=multiline)
