"""The plan's steps as WiX rows: the macros of ``msi/steps.wxs.j2``, one per action kind,
through the dispatch both other installers use (:mod:`..steps`).

Windows Installer runs each step from a custom action: the runtime's files are laid out by
InstallFiles (their leftovers, the bytecode the runtime writes, removed at uninstall and on
rollback by cmd.exe, as setup.exe removes the unpacked folders); the target engine's steps
run by ONE deferred action whose source is the installed pythonw.exe (type 1042: wixl 0.101
refuses a Directory source; pythonw, since a program Windows Installer starts has no console,
and Wine's python.exe stops without one), undone by one before RemoveFiles and by a rollback
action when a later step fails; the check runs msi_check.py with pythonw.exe, skipped with
NOCHECK=1.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from ... import escaping
from ...errors import BuildError
from ...payload import Payload
from ...plan import (EXPOSE, INSTALL_DIR, PREINSTALLED, RUNTIME_DIR, SCOPE, SCRIPTS, STATE_DIR,
                     TEMP_DIR, USER_PROGRAMS, InstallPlan, RunCheck, Step, Templated, command_line,
                     engine_command, join, under)
from ..steps import StepTranslator
from ..templating import Code, make_environment

TEMPLATE_PACKAGE = "choconsis._msi"
CHECK_SCRIPT = "msi_check.py"  # shipped beside the engine, in the state folder
# Each marker as the property that holds its value at install time; folders end with "\".
PROPERTIES = {INSTALL_DIR: "INSTALLDIR", RUNTIME_DIR: "RUNTIMEDIR", STATE_DIR: "STATEDIR",
              SCRIPTS: "STATEDIR", PREINSTALLED: "PREINSTALLDIR", TEMP_DIR: "TempFolder",
              SCOPE: "CHOCOSCOPE", EXPOSE: "CHOCOEXPOSE", USER_PROGRAMS: "UserPrograms"}
FOLDERS = frozenset({INSTALL_DIR, RUNTIME_DIR, STATE_DIR, SCRIPTS, PREINSTALLED, TEMP_DIR,
                     USER_PROGRAMS})


def scope_variants(plan: InstallPlan) -> list[tuple[str, str, str]]:
    """(id suffix, Impersonate, condition suffix) of each deferred action's variants: per
    user impersonated, per machine in the system's context (see msi/steps.wxs.j2)."""
    user, machine = "user" in plan.scopes, "machine" in plan.scopes
    if user and machine:
        return [("", "yes", ' AND CHOCOSCOPE<>"machine"'),
                ("_system", "no", ' AND CHOCOSCOPE="machine"')]
    return [("", "yes", "")] if user else [("", "no", "")]


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    return make_environment(TEMPLATE_PACKAGE, escaping.xml_text)


def formatted(value: Templated) -> str:
    """A plan value as Windows Installer formatted text (escaped; markers as [PROPERTY])."""
    return escaping.msi_templated(value, PROPERTIES, FOLDERS)


def cmd_line(commands: list[Templated]) -> str:
    """cmd.exe's arguments running ``commands`` one after the other: /d /s /c "a & b"
    (/s: cmd strips exactly the outer quotes)."""
    body = join(*[part for n, c in enumerate(commands) for part in ((" & ",) if n else ()) + (c,)])
    return formatted(join('/d /s /c "', body, '"'))


def remove_folders(folders: list[Templated]) -> str:
    """cmd.exe's arguments removing each folder and all below it (absent ones are fine)."""
    return cmd_line([join('rmdir /s /q "', f, '"') for f in folders])


class MsiSteps(StepTranslator):
    backend = "MSI"

    def __init__(self, plan: InstallPlan, payload: Payload, part: str, python_file: str):
        super().__init__(plan, environment().get_template("steps.wxs.j2").make_module(
            {"variants": scope_variants(plan)}))
        self.payload = payload
        self.part = part
        self.python_file = python_file

    def _unpacked(self) -> str:
        tree = self.payload.runtime
        if tree is None:
            raise BuildError(f"MSI of {self.plan.package.id}: the payload has no runtime tree")
        return remove_folders([under(RUNTIME_DIR, d) for d in tree.dirs])

    def values_unpack_zip(self, step: Step, action: Any) -> dict[str, Any]:
        return {"part": self.part, "cleanup": self._unpacked()}

    def values_remove_unpacked(self, step: Step, action: Any) -> dict[str, Any]:
        return {"part": self.part, "cleanup": self._unpacked()}

    def engine_args(self, side: str) -> tuple[Templated, ...]:
        """The engine's arguments after python.exe (the custom action's source)."""
        command = engine_command(self.plan, side)
        log = under(TEMP_DIR, f"{self.plan.package.id}-msi-{side}.log")
        return (*command[1:], ("--log",), log)

    def engine_arguments(self, side: str) -> str:
        return formatted(command_line(self.engine_args(side)))

    def values_engine(self, side: str) -> dict[str, Any]:
        values = {"part": self.part, "python_file": self.python_file,
                  "command": self.engine_arguments(side)}
        if side == "install":
            values["undo_command"] = self.engine_arguments("undo")
        return values

    def values_run_check(self, step: Step, action: RunCheck) -> dict[str, Any]:
        entries = [e for e in ((action.commands_folder,) if action.commands_folder else ())
                   + action.path_entries]
        path: list = []
        for n, entry in enumerate(entries):
            path += [(";",), entry] if n else [entry]
        log = under(TEMP_DIR, f"{self.plan.package.id}-msi-check.log")
        args = (("-E",), ("-s",), ("-B",), under(STATE_DIR, CHECK_SCRIPT), log, join(*path),
                command_line(action.command), (action.expect,),
                *(self.engine_args("undo") if self.plan.engine_steps else ()))
        return {"part": self.part, "python_file": self.python_file,
                "command": formatted(command_line(args))}

    def values_nothing(self, step: Step, action: Any) -> dict[str, Any]:
        return {"part": self.part}

    def blocks(self, side: str) -> list[tuple[int, Code]]:
        return [(n, code) for n, code in super().blocks(side) if code.strip()]
