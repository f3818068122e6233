"""The console scripts of the locked wheels, read once at lock time and kept in the lock.

They are what ``[install] commands`` defaults to (the requirements' own, in the order of
``[pip] requirements``) and what an explicit list is checked against, so the plan is a pure
function of the recipe and its lock: planning never opens a wheel. A lock made before they
were recorded is completed in memory by the build (the wheels it needs are fetched, or, for
``choconsis check``, only those already in the cache) and says so; ``choconsis lock`` writes
them.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Callable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import RecipeError
from ..store import ArtifactStore
from .lockfile import Lock, LockedWheel

# Fetches a locked wheel (verified against its sha256) and returns its path; None when it is
# not at hand (``choconsis check`` reads only the cache).
WheelSource = Callable[[LockedWheel], "Path | None"]
ReadScripts = Callable[[Path], "tuple[str, ...] | list[str]"]

_NAME_RE = re.compile(r"[^\s=,]+")


def requirement_names(requirements: tuple[str, ...]) -> list[str]:
    return [canonicalize_name(Requirement(r).name) for r in requirements]


def _read(wheels: list[LockedWheel], source: WheelSource, read: ReadScripts,
          where: str) -> dict[str, tuple[str, ...]]:
    """The scripts of each wheel at hand (a wheel the source lacks is left out)."""
    out = {}
    for wheel in wheels:
        if not wheel.filename.endswith(".whl"):
            out[wheel.name] = ()  # a source archive declares nothing we can read unbuilt
            continue
        path = source(wheel)
        if path is None:
            continue
        names = read(path)
        bad = [n for n in names if not _NAME_RE.fullmatch(n)]
        if bad:
            raise RecipeError(where, None, f"{wheel.filename} declares console scripts whose "
                              f"names hold a space, '=' or ',': {', '.join(map(repr, bad))}")
        out[wheel.name] = tuple(names)
    return out


def record_scripts(lock: Lock, requirements: tuple[str, ...],
                   commands: tuple[str, ...] | None, source: WheelSource,
                   read: ReadScripts) -> Lock:
    """The lock with the console scripts of its requirements' wheels (and of every other
    wheel when ``commands``, the recipe's [install] commands, names one they lack)."""
    top = set(requirement_names(requirements))
    known = dict(lock.console_scripts or {})
    todo = [w for w in lock.wheels if w.name in top and w.name not in known]
    known.update(_read(todo, source, read, lock.source))
    declared = {n for names in known.values() for n in names}
    if commands and any(c not in declared for c in commands):
        rest = [w for w in lock.wheels if w.name not in known]
        known.update(_read(rest, source, read, lock.source))
        wanted = lock.wheels
    else:
        wanted = tuple(w for w in lock.wheels if w.name in top)
    partial = any(w.name not in known for w in wanted)
    return dataclasses.replace(lock, console_scripts=known, scripts_partial=partial)


def commands_of(lock: Lock, requirements: tuple[str, ...], commands: tuple[str, ...] | None,
                where: str) -> tuple[str, ...]:
    """The commands an install exposes: ``commands`` (the recipe's explicit list, each checked
    against the lock's console scripts) or every console script of the requirements, in the
    order of [pip] requirements. Reads only the lock."""
    if commands == ():
        return ()
    known = lock.console_scripts or {}
    top = requirement_names(requirements)
    declared = [name for dist in top for name in known.get(dist, ())]
    if commands is None:
        return tuple(dict.fromkeys(declared))
    everything = {n for names in known.values() for n in names}
    missing = [n for n in commands if n not in everything]
    unknown = lock.console_scripts is None or lock.scripts_partial
    if missing and not unknown:  # wheels not read: nothing to refuse on
        raise RecipeError(where, "install.commands",
                          f"no locked wheel declares the console script(s) "
                          f"{', '.join(missing)}; the requirements declare: "
                          f"{', '.join(declared) or 'none'} (if the recipe changed since its "
                          f"lock was made, run 'choconsis lock {where}')")
    return tuple(commands)


def wheel_source(store: ArtifactStore, *, fetch: bool = True) -> WheelSource:
    """Locked wheels from the artifact store, verified; with ``fetch=False`` only those
    already in the cache (None for the others)."""

    def source(wheel: LockedWheel) -> Path | None:
        cached = store.cached_path(wheel.sha256, wheel.filename)
        if not (fetch or cached.is_file()):
            return None
        return store.fetch_url(wheel.url, wheel.sha256, wheel.filename, wheel.name)

    return source
