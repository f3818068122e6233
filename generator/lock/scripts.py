"""The commands of the locked wheels, read once at lock time and kept in the lock: every kind a
wheel installs into Scripts (console_scripts and gui_scripts entry points, native programs,
Python scripts and batch files of ``.data/scripts``: see
:func:`choconsis.wheelfiles.wheel_commands`).

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
from ..wheelfiles import BATCH, CONSOLE, WheelCommand
from .lockfile import Lock, LockedWheel

# Fetches a locked wheel (verified against its sha256) and returns its path; None when it is
# not at hand (``choconsis check`` reads only the cache).
WheelSource = Callable[[LockedWheel], "Path | None"]
ReadScripts = Callable[[Path], "tuple[WheelCommand, ...] | list[WheelCommand]"]

_NAME_RE = re.compile(r"[^\s=,]+")


def requirement_names(requirements: tuple[str, ...]) -> list[str]:
    return [canonicalize_name(Requirement(r).name) for r in requirements]


def _read(wheels: list[LockedWheel], source: WheelSource, read: ReadScripts,
          where: str) -> dict[str, tuple[WheelCommand, ...]]:
    """The commands of each wheel at hand (a wheel the source lacks is left out)."""
    out: dict[str, tuple[WheelCommand, ...]] = {}
    for wheel in wheels:
        if not wheel.filename.endswith(".whl"):
            out[wheel.name] = ()  # a source archive declares nothing we can read unbuilt
            continue
        path = source(wheel)
        if path is None:
            continue
        commands = tuple(read(path))
        bad = [c.name for c in commands if not _NAME_RE.fullmatch(c.name)]
        if bad:
            raise RecipeError(where, None, f"{wheel.filename} installs commands whose "
                              f"names hold a space, '=' or ',': {', '.join(map(repr, bad))}")
        out[wheel.name] = commands
    return out


def _known(lock: Lock) -> dict[str, tuple[WheelCommand, ...]]:
    """The lock's commands by dist, each with its kind."""
    kinds = lock.command_kinds
    return {dist: tuple(WheelCommand(n, kinds.get(n, CONSOLE)) for n in names)
            for dist, names in (lock.console_scripts or {}).items()}


def record_scripts(lock: Lock, requirements: tuple[str, ...],
                   commands: tuple[str, ...] | None, source: WheelSource,
                   read: ReadScripts) -> Lock:
    """The lock with the console scripts of its requirements' wheels (and of every other
    wheel when ``commands``, the recipe's [install] commands, names one they lack)."""
    top = set(requirement_names(requirements))
    known = _known(lock)
    todo = [w for w in lock.wheels if w.name in top and w.name not in known]
    known.update(_read(todo, source, read, lock.source))
    declared = {c.name for found in known.values() for c in found}
    if commands and any(c not in declared for c in commands):
        rest = [w for w in lock.wheels if w.name not in known]
        known.update(_read(rest, source, read, lock.source))
        wanted = lock.wheels
    else:
        wanted = tuple(w for w in lock.wheels if w.name in top)
    partial = any(w.name not in known for w in wanted)
    kinds = {c.name: c.kind for found in known.values() for c in found if c.kind != CONSOLE}
    return dataclasses.replace(
        lock, console_scripts={d: tuple(c.name for c in found) for d, found in known.items()},
        command_kinds=kinds, scripts_partial=partial)


def default_commands(found: tuple[WheelCommand, ...]) -> list[WheelCommand]:
    """A dist's commands by default: all but a batch file that is the Windows companion of
    another of its commands (awscli's aws.cmd beside aws, which gets a launcher of its own)."""
    others = {c.typed for c in found if c.kind != BATCH}
    return [c for c in found if c.kind != BATCH or c.typed not in others]


def exposed_commands(lock: Lock, requirements: tuple[str, ...],
                     commands: tuple[str, ...] | None, where: str
                     ) -> tuple[WheelCommand, ...]:
    """:func:`commands_of` with the kind of each (a command the lock does not know, when its
    wheels were not read, is taken for a console script, as before kinds were recorded)."""
    names = commands_of(lock, requirements, commands, where)
    kinds = lock.command_kinds
    out = tuple(WheelCommand(n, kinds.get(n, CONSOLE)) for n in names)
    typed: dict[str, str] = {}
    for command in out:
        other = typed.setdefault(command.typed, command.name)
        if other != command.name:
            raise RecipeError(where, "install.commands",
                              f"{other!r} and {command.name!r} both run as {command.typed!r}; "
                              "name one of them")
    return out


def commands_of(lock: Lock, requirements: tuple[str, ...], commands: tuple[str, ...] | None,
                where: str) -> tuple[str, ...]:
    """The commands an install exposes: ``commands`` (the recipe's explicit list, each checked
    against the lock's commands) or every command of the requirements (but a batch file
    beside a command of its name), in the order of [pip] requirements. Reads only the lock."""
    if commands == ():
        return ()
    known = _known(lock)
    top = requirement_names(requirements)
    if commands is None:
        return tuple(dict.fromkeys(c.name for dist in top
                                   for c in default_commands(known.get(dist, ()))))
    declared = [c.name for dist in top for c in known.get(dist, ())]
    everything = {c.name for found in known.values() for c in found}
    missing = [n for n in commands if n not in everything]
    unknown = lock.console_scripts is None or lock.scripts_partial
    if missing and not unknown:  # wheels not read: nothing to refuse on
        raise RecipeError(where, "install.commands",
                          f"no locked wheel installs the command(s) "
                          f"{', '.join(missing)}; the requirements install: "
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
