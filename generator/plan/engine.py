"""What the target-side engine runs: the plan's Python-side steps as one description.

The steps whose install action runs in the runtime's python (:data:`ENGINE_KINDS`: the app's
environment, PATH entries, the packages, the commands' launchers) are run by ONE start of
``choconsis_engine.py`` (``generator/engine/``), at the position of the first of them, and
undone by one more at uninstall. This module is the one place that turns those steps into
the engine's description (JSON, written at build time by each back end with
:func:`engine_json`) and composes the engine's command line; install-time values stay
markers, which become ``{"var": NAME}`` placeholders that the back end passes with
``--var NAME=VALUE`` (:func:`placeholder`).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import BuildError
from .actions import CopyPreinstalled, ExposeCommands, MakeVenv, PipInstall, PrependPath
from .commands import (BIN_PATH_RECORD, DISTS_FILE, PACKAGES_RECORD, PATH_RECORD, path_scope,
                       runtime_python)
from .steps import ENGINE_KINDS, ENGINE_SCRIPT, STEPS_FILE, InstallPlan, Step
from .undo import RemoveCommands, RemovePathEntries, RemoveRecorded, RemoveTree
from .values import (EXPOSE, FILE, LOCK, PREINSTALLED, RUNTIME_DIR, SCRIPTS, STATE_DIR,
                     Command, Marker, Templated, join, under)

DESCRIPTION_VERSION = 1  # choconsis_engine.DESCRIPTION_VERSION

__all__ = ["DESCRIPTION_VERSION", "ENGINE_KINDS", "earlier_state", "engine_command",
           "engine_description", "engine_json", "engine_variables", "placeholder"]


def placeholder(marker: Marker) -> dict[str, str]:
    """An install-time value in the description: the back end passes --var NAME=VALUE."""
    return {"var": marker.name}


def _value(value: Templated) -> list[Any]:
    return [placeholder(p) if isinstance(p, Marker) else p for p in value]


def _record(plan: InstallPlan) -> dict[str, Any]:
    """Where a runtime-shaped install writes down what its packages step put in."""
    return {"site_packages": _value(plan.layout.site_packages), "lock": _value((LOCK,)),
            "out": _value(under(STATE_DIR, PACKAGES_RECORD))}


def _install(plan: InstallPlan, step: Step) -> dict[str, Any]:
    action, layout = step.install, plan.layout
    if isinstance(action, MakeVenv):
        return {"kind": action.kind, "folder": _value(action.folder)}
    if isinstance(action, PrependPath):
        return {"kind": action.kind, "entries": [_value(e) for e in action.entries],
                "scope": _value(path_scope(action.scope)),
                "record": _value(under(STATE_DIR, PATH_RECORD))}
    if isinstance(action, PipInstall):
        uv = None
        if action.artifact is not None and action.tool_folder and action.tool_member:
            # the wheel is the step's artifact, fetched and verified by the back end
            uv = {"wheel": _value((FILE,)), "member": action.tool_member,
                  "program": _value(action.command[0]), "folder": _value(action.tool_folder)}
        return {"kind": action.kind, "command": [_value(a) for a in action.command], "uv": uv,
                "record": _record(plan) if action.record else None}
    if isinstance(action, CopyPreinstalled):
        return {"kind": action.kind, "source": _value((PREINSTALLED,)),
                "destination": _value(layout.env_dir), "python": _value(layout.python),
                "site_packages": _value(layout.site_packages),
                "scripts": _value(layout.scripts), "dists": _value(under(STATE_DIR, DISTS_FILE)),
                "record": _record(plan) if action.record else None}
    if isinstance(action, ExposeCommands):
        return {"kind": action.kind, "names": list(action.names),
                "kinds": [c.kind for c in action.commands], "scripts": _value(layout.scripts),
                "python": _value(layout.python), "site_packages": _value(layout.site_packages),
                "bin": _value(action.bin), "expose": _value((EXPOSE,)),
                "scope": _value(path_scope("install")),
                "record": _value(under(STATE_DIR, BIN_PATH_RECORD))}
    raise BuildError(f"the engine has no {step.install.kind} action (step {step.title})")


def _undo(step: Step) -> dict[str, Any]:
    action = step.undo
    if isinstance(action, RemoveTree):
        return {"kind": action.kind, "folder": _value(action.folder)}
    if isinstance(action, RemovePathEntries):
        return {"kind": action.kind, "scope": _value(path_scope(action.scope)),
                "record": _value(under(STATE_DIR, PATH_RECORD))}
    if isinstance(action, RemoveRecorded):
        return {"kind": action.kind, "record": _value(under(STATE_DIR, PACKAGES_RECORD)),
                "root": _value((RUNTIME_DIR,))}
    if isinstance(action, RemoveCommands):
        return {"kind": action.kind, "names": list(action.names),
                "files": list(action.files or (n + ".exe" for n in action.names)),
                "bin": _value(action.bin),
                "expose": _value((EXPOSE,)), "scope": _value(path_scope("install")),
                "record": _value(under(STATE_DIR, BIN_PATH_RECORD))}
    return {"kind": action.kind}


def engine_description(plan: InstallPlan) -> dict[str, Any]:
    """The engine's steps (empty when the plan has none): number, key, title, ownership,
    install and undo action, with install-time values as placeholders."""
    numbered = [(n, s) for n, s in enumerate(plan.steps, start=1) if s.in_engine]
    numbers = [n for n, _ in numbered]
    if numbers and numbers != list(range(numbers[0], numbers[-1] + 1)):
        raise BuildError("the engine's steps must follow each other in the plan (steps "
                         f"{', '.join(map(str, numbers))}): it runs them in one start")
    return {"version": DESCRIPTION_VERSION,
            "steps": [{"number": n, "key": s.key, "title": s.title, "owns": str(s.owns),
                       "install": _install(plan, s), "undo": _undo(s)} for n, s in numbered]}


def engine_json(plan: InstallPlan) -> str:
    """The description file both back ends ship (json.dumps: every value serialized)."""
    return json.dumps(engine_description(plan), indent=1, ensure_ascii=True) + "\n"


def earlier_state(plan: InstallPlan) -> tuple[str, str] | None:
    """(state key, the engine's state file text) for an upgrade over a version built before
    the engine, which recorded its environment in the installer's own records: that
    environment is the app's, so the engine may replace it (and refuses any other folder)."""
    found = [s for s in plan.engine_steps if isinstance(s.install, MakeVenv)]
    if not found:
        return None
    key = found[0].key
    return key, json.dumps({"version": 1, "done": {key: "made"}})


def _markers(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"var"}:
            return {value["var"]}
        return set().union(*(_markers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_markers(v) for v in value)) if value else set()
    return set()


def engine_variables(plan: InstallPlan, side: str) -> tuple[str, ...]:
    """The placeholders the install or undo side of the description uses (state_dir always:
    the engine keeps its record there), sorted."""
    found = {"state_dir"}
    for step in engine_description(plan)["steps"]:
        found |= _markers(step[side])
    return tuple(sorted(found))


def engine_command(plan: InstallPlan, side: str) -> Command:
    """python.exe -E -s <scripts>\\choconsis_engine.py install|undo --steps <scripts>\\STEPS
    --var NAME=<marker>...: each back end renders the markers as its own variables."""
    args: list[Templated] = [runtime_python(), ("-E",), ("-s",), under(SCRIPTS, ENGINE_SCRIPT),
                             (side,), ("--steps",), under(SCRIPTS, STEPS_FILE)]
    for name in engine_variables(plan, side):
        args += [("--var",), join(f"{name}=", Marker(name))]
    return tuple(args)

