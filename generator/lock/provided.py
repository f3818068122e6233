"""[pip] provided: packages an extra installer provides are left out of the lock, with what
only they need (so pip neither replaces nor shadows them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import RecipeError
from ..recipe.target import Target, marker_environment

if TYPE_CHECKING:  # pragma: no cover
    from ..recipe import Recipe


def _requires(item: dict[str, Any], extras: frozenset[str],
              env: dict[str, str]) -> Iterable[tuple[str, frozenset[str]]]:
    """(name, extras) of what a report item needs on the target with ``extras`` requested."""
    for text in item.get("metadata", {}).get("requires_dist", []) or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({**env, "extra": extra})
                                     for extra in ("", *sorted(extras))):
            yield canonicalize_name(req.name), frozenset(req.extras)


def needed_without(report: dict[str, Any], provided: Iterable[str],
                   env: dict[str, str]) -> set[str]:
    """Names in the report that the requested packages need when ``provided`` are installed.

    Walks Requires-Dist (markers evaluated in the target's environment ``env``, extras carried
    along) from the requested packages without entering a provided one: what is reached only
    through a provided package is not needed, what another package also needs stays.
    """
    items = {canonicalize_name(i.get("metadata", {}).get("name", "")): i
             for i in report.get("install", [])}
    skip = {canonicalize_name(p) for p in provided}
    todo = [(name, frozenset(canonicalize_name(e) for e in item.get("requested_extras", [])))
            for name, item in items.items() if item.get("requested")]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        state = todo.pop()
        name, extras = state
        if name in skip or name not in items or state in seen:
            continue
        seen.add(state)
        todo.extend(_requires(items[name], extras, env))
    return {name for name, _ in seen}


def check_provided(recipe: "Recipe") -> None:
    """Refuse a [pip] provided package that [pip] requirements also ask pip to install."""
    provided = {canonicalize_name(p) for p in recipe.pip.provided}
    asked = {canonicalize_name(Requirement(r).name) for r in recipe.pip.requirements}
    if provided & asked:
        raise RecipeError(recipe.source, "pip.provided",
                          f"{', '.join(sorted(provided & asked))} is both provided by an "
                          "installer and in [pip] requirements; list it in one of them")


def without_provided(report: dict[str, Any], recipe: "Recipe",
                      target: Target) -> dict[str, Any]:
    """The report without the recipe's [pip] provided packages and what only they need."""
    if not recipe.pip.provided:
        return report
    needed = needed_without(report, recipe.pip.provided, marker_environment(target))
    install = [i for i in report.get("install", [])
               if canonicalize_name(i.get("metadata", {}).get("name", "")) in needed]
    return {**report, "install": install}
