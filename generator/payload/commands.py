"""The console scripts a recipe's requirements install, read from their locked wheels.

They are what ``[install] commands`` defaults to, and what an explicit list is checked
against: a command no locked wheel declares would leave a dead entry on PATH.
"""

from __future__ import annotations

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import RecipeError
from ..lock.lockfile import Lock, LockedWheel
from ..recipe import Recipe
from ..store import ArtifactStore
from ..wheelfiles import console_scripts


def _scripts_of(wheels: list[LockedWheel], store: ArtifactStore,
                fetch: bool) -> dict[str, tuple[str, ...]]:
    out = {}
    for wheel in wheels:
        if not wheel.filename.endswith(".whl"):
            continue
        cached = store.cached_path(wheel.sha256, wheel.filename)
        if fetch or cached.is_file():
            path = store.fetch_url(wheel.url, wheel.sha256, wheel.filename, wheel.name)
            out[wheel.name] = console_scripts(path)
    return out


def requirement_commands(recipe: Recipe, lock: Lock, store: ArtifactStore, *,
                         fetch: bool = True) -> tuple[str, ...]:
    """The commands to put on PATH: the recipe's [install] commands (each checked to be a
    console script of a locked wheel), else every console script of its requirements, in
    the order of [pip] requirements.

    ``fetch=False`` (``choconsis check`` of a recipe, which downloads nothing) reads only the
    wheels already in the cache: an explicit list is then checked against those alone.
    """
    top = [canonicalize_name(Requirement(r).name) for r in recipe.pip.requirements]
    wanted = recipe.install.commands
    if wanted == ():
        return ()
    own = _scripts_of([w for w in lock.wheels if w.name in top], store, fetch)
    declared = [name for dist in top for name in own.get(dist, [])]
    if wanted is None:
        return tuple(dict.fromkeys(declared))
    missing = [n for n in wanted if n not in declared]
    if missing:  # perhaps a dependency's: look at every locked wheel before refusing
        others = _scripts_of([w for w in lock.wheels if w.name not in top], store, fetch)
        everything = set(declared) | {n for names in others.values() for n in names}
        missing = [n for n in missing if n not in everything]
        if not fetch and len(own) + len(others) < len(lock.wheels):
            missing = []  # not every wheel is at hand: nothing to refuse on
    if missing:
        raise RecipeError(recipe.source, "install.commands",
                          f"no locked wheel declares the console script(s) "
                          f"{', '.join(missing)}; the requirements declare: "
                          f"{', '.join(declared) or 'none'}")
    return tuple(wanted)
