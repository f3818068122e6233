"""The plan's steps as NSIS code: the macros of ``nsis/steps.nsh.j2``, one per action kind,
through the dispatch of :mod:`..steps` (shared with the Chocolatey back end)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import jinja2

from ...payload import Payload
from ...plan import (DISTS_FILE, ENGINE_STATE_FILE, FILE, RUNTIME_DIR, STATE_DIR, Artifact,
                     CopyPreinstalled, Delivery, InstallPlan, PipInstall, RemoveUnpacked,
                     RunCheck, RunExe, RunMsi, Step, UninstallExeRuntime, UninstallMsi, UnpackZip, earlier_state,
                     engine_command, join, under)
from ...escaping import nsis_string
from ..steps import StepTranslator
from ..templating import Code, make_environment
from .values import (KEPT_RUNTIMES, LOG_COPY, LOG_FILE, PLUGINSDIR, PREINSTALL_DIR, SYSDIR,
                     WHEELS_DIR, nsis_command, nsis_value)

TEMPLATE_PACKAGE = "choconsis._nsis"
PAYLOAD = "payload"
RUNTIME_TREE = "runtime"
PREINSTALL_TREE = "preinstall"


@dataclass(frozen=True)
class Source:
    """Where a step's installer comes from: embedded in setup.exe, or downloaded."""

    file: Code  # "$PLUGINSDIR\\name"
    file_oname: Code  # "/oname=$PLUGINSDIR\\name" for File
    payload: str  # payload path relative to the .nsi
    url: Code
    sha256: str
    embedded: bool
    solid: bool  # one solid compressor block: SetCompress is ignored there


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The NSIS template environment, made once: compiled templates are reused. The filter
    ``inner`` gives the body of a rendered NSIS string, to embed in a longer one."""
    env = make_environment(TEMPLATE_PACKAGE, nsis_string)
    env.filters["inner"] = _inner
    return env


def _inner(value: Code) -> Code:
    text = str(value)
    if not (isinstance(value, Code) and len(text) >= 2 and text[0] == text[-1] == '"'):
        raise ValueError(f"not a rendered NSIS string: {text!r}")
    return Code(text[1:-1])


class NsisSteps(StepTranslator):
    backend = "NSIS"

    def __init__(self, plan: InstallPlan, payload: Payload, *, solid: bool):
        super().__init__(plan, environment().get_template("steps.nsh.j2").make_module())
        self.payload = payload
        self.solid = solid

    def _where(self, step: Step) -> str:
        return f"step {step.title}"

    def _source(self, step: Step, artifact: Artifact) -> Source:
        name, where = artifact.filename, self._where(step)
        return Source(nsis_value((PLUGINSDIR, "\\" + name), where),
                      nsis_value(("/oname=", PLUGINSDIR, "\\" + name), where),
                      f"{PAYLOAD}\\{name}", nsis_value((artifact.url,), where), artifact.sha256,
                      self.payload.delivery.embeds, self.solid)

    def _run(self, step: Step, command: tuple, kind: str) -> Code:
        """'"FILE" ARGS' for an EXE, '"$SYSDIR\\msiexec.exe" /i "FILE" ARGS' for an MSI."""
        head = ((join(SYSDIR, "\\msiexec.exe"), ("/i",), (FILE,)) if kind == "msi"
                else ((FILE,),))
        return nsis_command((*head, *command), self._where(step))

    # -- install side

    def values_run_exe(self, step: Step, action: RunExe) -> dict[str, Any]:
        probe, where = action.probe, self._where(step)
        values = {"src": self._source(step, action.artifact),
                  "command": self._run(step, action.args, "exe"), "exit": action.exit,
                  "probe": {"tag": probe.tag, "view": "32" if probe.wow64_32 else "64"}
                  if probe is not None else None, "shared": action.shared,
                  "kept_dir": None, "kept_file": None, "uninstall": None}
        if action.shared and isinstance(step.undo, UninstallExeRuntime):
            kept = under(KEPT_RUNTIMES, action.artifact.filename)
            values.update(kept_dir=nsis_value((KEPT_RUNTIMES,), where),
                          kept_file=nsis_value(kept, where),
                          uninstall=nsis_command((kept, *step.undo.uninstall_args), where))
        return values

    def values_run_msi(self, step: Step, action: RunMsi) -> dict[str, Any]:
        undo = step.undo
        uninstall = (nsis_command((join(SYSDIR, "\\msiexec.exe"), ("/x",), *undo.args),
                                  self._where(step))
                     if isinstance(undo, UninstallMsi) else None)
        return {"src": self._source(step, action.artifact),
                "command": self._run(step, action.args, "msi"), "exit": action.exit,
                "shared": action.shared, "uninstall": uninstall,
                "log": nsis_value(action.log, self._where(step)) if action.log else ""}

    def values_unpack_zip(self, step: Step, action: UnpackZip) -> dict[str, Any]:
        where = self._where(step)
        values = {"payload": f"{PAYLOAD}\\{RUNTIME_TREE}\\*.*",
                  "probe_file": nsis_value(action.probe.path, where),  # type: ignore[attr-defined]
                  "src": None, "tar": None}
        if action.fetch:  # downloaded at install (never embedded), unpacked by tar.exe
            values["src"] = dataclasses.replace(self._source(step, action.artifact),
                                                embedded=False)
            values["tar"] = nsis_command((join(SYSDIR, "\\tar.exe"), ("-xf",), (FILE,),
                                          ("-C",), (RUNTIME_DIR,)), where)
        return values

    def values_engine(self, side: str) -> dict[str, Any]:
        """One start of choconsis_engine.py for every engine step; before it, the native
        part of those steps: the uv wheel fetched and verified, the wheels (offline) and the
        preinstalled tree unpacked for it."""
        command = (*engine_command(self.plan, side), ("--log",), (LOG_FILE,), ("--log",),
                   (LOG_COPY,))
        values: dict[str, Any] = {"command": nsis_command(command, "the engine's call")}
        state = nsis_value(under(STATE_DIR, ENGINE_STATE_FILE), "the engine's state file")
        if side == "undo":
            return {**values, "state_file": state}
        earlier = earlier_state(self.plan)
        values["earlier"] = ({"key": earlier[0], "text": earlier[1], "state_file": state}
                             if earlier else None)
        numbers = [n for n, s in enumerate(self.plan.steps, start=1) if s.in_engine]
        tool = wheels = preinstalled = None
        for number, step in zip(numbers, self.plan.engine_steps):
            action = step.install
            if isinstance(action, PipInstall) and action.artifact is not None:
                tool = {"src": self._source(step, action.artifact),
                        "name": self.head(number, step).name}
            if isinstance(action, PipInstall) and self.payload.delivery is Delivery.OFFLINE:
                wheels = {"dir": WHEELS_DIR, "payload": f"{PAYLOAD}\\{WHEELS_DIR}\\*.whl"}
            if isinstance(action, CopyPreinstalled):
                preinstalled = {"dir": PREINSTALL_DIR,
                                "payload": f"{PAYLOAD}\\{PREINSTALL_TREE}\\*.*",
                                "dists_file": DISTS_FILE}
        return {**values, "last": numbers[-1], "tool": tool, "wheels": wheels,
                "preinstalled": preinstalled}

    def values_run_check(self, step: Step, action: RunCheck) -> dict[str, Any]:
        entries = None
        every = ((action.commands_folder,) if action.commands_folder else ()) \
            + action.path_entries
        if every:
            parts: list = []
            for n, entry in enumerate(every):
                parts += [(";",), entry] if n else [entry]
            entries = nsis_value(join(*parts), self._where(step) + ", PATH for the check")
        return {"command": nsis_command(action.command, self._where(step)), "exit": action.exit,
                "path_entries": entries, "expect": action.expect}

    # -- undo side

    def values_uninstall_exe_runtime(self, step: Step,
                                     action: UninstallExeRuntime) -> dict[str, Any]:
        return {"cleanup": nsis_command(action.cleanup, self._where(step)),
                "shared": action.shared, "exit": action.exit}

    def values_uninstall_msi(self, step: Step, action: UninstallMsi) -> dict[str, Any]:
        where = self._where(step)
        return {"cleanup": nsis_command(action.cleanup, where) if action.cleanup else None,
                "command": nsis_command((join(SYSDIR, "\\msiexec.exe"), ("/x",),
                                         *action.args), where),
                "exit": action.exit, "shared": action.shared}

    def values_remove_unpacked(self, step: Step, action: RemoveUnpacked) -> dict[str, Any]:
        tree, where = self.payload.runtime, self._where(step)
        if action.whole:
            return {"dirs": [], "files": [], "whole": True}
        dirs = tree.dirs if tree is not None else ()
        files = tree.files if tree is not None else ()
        return {"dirs": [nsis_value(under(RUNTIME_DIR, d), where) for d in dirs],
                "files": [nsis_value(under(RUNTIME_DIR, f), where) for f in files],
                "whole": False}

    def values_leave_installed(self, step: Step, action: Any) -> dict[str, Any]:
        return {}

    def values_nothing(self, step: Step, action: Any) -> dict[str, Any]:
        return {}
