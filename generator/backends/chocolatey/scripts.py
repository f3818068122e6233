"""chocolateyInstall.ps1 and chocolateyUninstall.ps1: the plan's steps through the macros of
``nuspec/steps.ps1.j2``, one per action kind (the dispatch of :mod:`..steps`, shared with the
NSIS back end).

This module decides which helper parameters each action becomes and renders every value with
``ps_templated`` (install-time markers become the script's variables); the template
environment escapes every other value as a PowerShell string.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import jinja2

from ...payload import Payload
from ...plan import (ALL_USERS, DISTS_FILE, ENGINE_STATE_FILE, EXPOSE, FILE, INSTALL_DIR, LOCK,
                     PREINSTALLED, PRODUCT_CODE, PROGRAM_FILES, RUNTIME_DIR, SCOPE, SCRIPTS,
                     STATE_DIR, TEMP_DIR, WHEELS, Artifact, Command, CopyPreinstalled,
                     ExposeCommands, InstallPlan, PipInstall, RemoveCommands, RunCheck, RunExe,
                     RunMsi, Step, Templated, UninstallExeRuntime, UninstallMsi, UnpackZip,
                     command_line, earlier_state, engine_command, python_display_name,
                     state_dir_name, under)
from ...escaping import ps_string, ps_templated
from ...wheelfiles import BATCH, CONSOLE, WheelCommand
from ..steps import StepTranslator
from ..templating import Code, make_environment
from .reasons import download_reasons, exit_code_words

TEMPLATES = "choconsis._nuspec"
STATE_FILE = "choconsis-install-state.json"
INSTALL_SCRIPT = "chocolateyInstall.ps1"
UNINSTALL_SCRIPT = "chocolateyUninstall.ps1"
HELPERS_SCRIPT = "choconsis.ps1"  # functions both scripts dot-source
WHEELS_DIR = "wheels"  # tools/wheels/: the locked wheels of an embedding package
PREINSTALL_ARCHIVE = "preinstall.zip"  # tools/: the preinstalled tree (--preinstall)

# Install-time values of the plan, as variables of the generated scripts.
PS_VARIABLES = {INSTALL_DIR: "$installDir", RUNTIME_DIR: "$runtimeDir", FILE: "$file",
                LOCK: "$lockFile", WHEELS: "$wheelsDir", SCRIPTS: "$toolsDir",
                STATE_DIR: "$stateDir", PRODUCT_CODE: "$productCode", SCOPE: "$scope",
                ALL_USERS: "$allUsers", PROGRAM_FILES: "$programFiles",
                EXPOSE: "'shims'",  # the commands become Chocolatey shims, PATH is not changed
                PREINSTALLED: "$preinstalledDir", TEMP_DIR: "$env:TEMP"}


@functools.lru_cache(maxsize=None)
def environment(escape: Callable[[str], str]) -> jinja2.Environment:
    """One template environment per escaping: compiled templates are reused across renders."""
    return make_environment(TEMPLATES, escape)


def ps(value: Templated) -> Code:
    return Code(ps_templated(value, PS_VARIABLES))


def ps_array(codes: tuple[int, ...]) -> Code:
    return Code("@(" + ", ".join(str(int(c)) for c in codes) + ")")


def _shims(commands: tuple[WheelCommand, ...], bin: Templated) -> dict[str, Any]:
    """A shim per command: named as it runs (a batch file without its extension), of its
    file in the commands folder."""
    return {"names": Code(", ".join(ps_string(c.runs_as) for c in commands)),
            "files": Code(", ".join(ps_string(c.file) for c in commands)), "bin": ps(bin)}


@dataclass(frozen=True)
class Download:
    """The helper parameters of one checked download, for the plan's architecture."""

    url_key: str
    checksum_key: str
    checksum_type_key: str
    url: str
    sha256: str
    filename: str
    file_key: str = "file"  # Install-ChocolateyInstallPackage's parameter for $file
    embedded = False

    @classmethod
    def for_arch(cls, is_64bit: bool, artifact: Artifact) -> "Download":
        # A 64-bit-only artifact goes in the *64bit parameters: Chocolatey then refuses to
        # install it on a 32-bit Windows instead of running a binary that cannot work.
        if is_64bit:
            return cls("url64bit", "checksum64", "checksumType64", artifact.url,
                       artifact.sha256, artifact.filename)
        return cls("url", "checksum", "checksumType", artifact.url, artifact.sha256,
                   artifact.filename)


@dataclass(frozen=True)
class Embedded:
    """An artifact shipped in tools/ of an offline package, for the plan's architecture.

    ``file_key`` is Install-ChocolateyInstallPackage's parameter (File64 for a 64-bit-only
    artifact, for the same reason as :class:`Download`); ``unzip_key`` Get-ChocolateyUnzip's.
    """

    file_key: str
    unzip_key: str
    filename: str
    sha256: str
    embedded = True

    @classmethod
    def for_arch(cls, is_64bit: bool, artifact: Artifact) -> "Embedded":
        if is_64bit:
            return cls("file64", "fileFullPath64", artifact.filename, artifact.sha256)
        return cls("file", "fileFullPath", artifact.filename, artifact.sha256)


def _split(command: Command) -> tuple[Code, list[Code]]:
    program, *arguments = command
    return ps(program), [ps(a) for a in arguments]


class ScriptSteps(StepTranslator):
    """The values of each action kind for the PowerShell macros."""

    backend = "Chocolatey"

    def __init__(self, plan: InstallPlan, payload: Payload):
        super().__init__(plan, environment(ps_string).get_template("steps.ps1.j2").make_module())
        self.payload = payload

    def _source(self, artifact: Artifact) -> Download | Embedded:
        """Where a step's installer comes from: downloaded (web) or tools/ (embedded)."""
        kind = Embedded if self.payload.delivery.embeds else Download
        return kind.for_arch(self.plan.machine.is_64bit, artifact)

    # -- install side

    def values_run_exe(self, step: Step, action: RunExe) -> dict[str, Any]:
        probe = action.probe
        return {"source": self._source(action.artifact), "silent_args": ps(action.silent_command),
                "exit_codes": ps_array(action.exit.accepted),
                "probe": {"tag": probe.tag, "view": "32" if probe.wow64_32 else "64"}
                if probe is not None else None, "shared": action.shared,
                "display_name": python_display_name(self.plan.runtime)}

    def values_run_msi(self, step: Step, action: RunMsi) -> dict[str, Any]:
        undo = step.undo
        uninstall = (ps(command_line((("msiexec.exe",), ("/x",), *undo.args)))
                     if isinstance(undo, UninstallMsi) else None)
        return {"source": self._source(action.artifact), "silent_args": ps(action.silent_command),
                "exit_codes": ps_array(action.exit.accepted), "shared": action.shared,
                "uninstall": uninstall, "log": ps(action.log) if action.log else ""}

    def values_unpack_zip(self, step: Step, action: UnpackZip) -> dict[str, Any]:
        # fetched at install (a runtime package in web mode), or as every installer of the
        # delivery: a web package downloads a zip runtime too (Chocolatey's unzip needs no
        # build-time tree; setup.exe embeds one)
        if action.fetch:
            return {"source": Download.for_arch(self.plan.machine.is_64bit, action.artifact)}
        return {"source": self._source(action.artifact)}

    def _run(self, command: Command, exit_codes: tuple[int, ...]) -> dict[str, Any]:
        program, arguments = _split(command)
        return {"program": program, "arguments": arguments, "exit_codes": ps_array(exit_codes)}

    def values_engine(self, side: str) -> dict[str, Any]:
        """One start of choconsis_engine.py for every engine step; before it, the native part
        of those steps: the uv wheel fetched and verified, the preinstalled tree unzipped."""
        program, arguments = _split(engine_command(self.plan, side))
        values: dict[str, Any] = {"program": program, "arguments": arguments}
        state = ps(under(STATE_DIR, ENGINE_STATE_FILE))
        if side == "undo":
            return {**values, "state_file": state}
        earlier = earlier_state(self.plan)
        values["earlier"] = ({"key": earlier[0], "text": earlier[1], "state_file": state}
                             if earlier else None)
        tool = preinstalled = None
        for step in self.plan.engine_steps:
            action = step.install
            if isinstance(action, PipInstall) and action.artifact is not None:
                tool = {"source": self._source(action.artifact)}
            if isinstance(action, CopyPreinstalled):
                preinstalled = {"archive": PREINSTALL_ARCHIVE, "dists_file": DISTS_FILE}
        return {**values, "tool": tool, "preinstalled": preinstalled}

    def values_engine_expose_commands(self, step: Step, action: ExposeCommands
                                      ) -> dict[str, Any]:
        """Chocolatey's own part of the commands step: a shim of each launcher the engine
        wrote into the commands folder (setup.exe puts that folder on PATH instead)."""
        return _shims(action.commands, action.bin)

    def values_engine_remove_commands(self, step: Step, action: RemoveCommands
                                      ) -> dict[str, Any]:
        files = action.files or tuple(n + ".exe" for n in action.names)
        kinds = [BATCH if f != n + ".exe" else CONSOLE for n, f in zip(action.names, files)]
        return _shims(tuple(WheelCommand(n, k) for n, k in zip(action.names, kinds)),
                      action.bin)

    def values_run_check(self, step: Step, action: RunCheck) -> dict[str, Any]:
        entries = Code(", ".join(ps(e) for e in action.path_entries))
        return {"path_entries": entries if action.path_entries else None,
                "expect": action.expect, **self._run(action.command, action.exit.accepted)}

    # -- undo side

    def values_uninstall_exe_runtime(self, step: Step,
                                     action: UninstallExeRuntime) -> dict[str, Any]:
        program, arguments = _split(action.cleanup)
        return {"shared": action.shared, "cleanup_program": program,
                "cleanup_arguments": arguments, "exit_codes": ps_array(action.exit.accepted)}

    def values_uninstall_msi(self, step: Step, action: UninstallMsi) -> dict[str, Any]:
        program, arguments = _split(action.cleanup) if action.cleanup else (None, [])
        return {"cleanup_program": program, "cleanup_arguments": arguments,
                "silent_args": ps(command_line(action.args)),
                "exit_codes": ps_array(action.exit.accepted), "shared": action.shared}

    def values_remove_unpacked(self, step: Step, action: Any) -> dict[str, Any]:
        if action.whole:
            return {"entries": Code("@()"), "whole": True}
        tree = self.payload.runtime
        names = (*tree.dirs, *tree.files) if tree is not None else ()
        return {"entries": Code(", ".join(ps_string(n) for n in names) or "@()"), "whole": False}

    def values_leave_installed(self, step: Step, action: Any) -> dict[str, Any]:
        return {}

    def values_nothing(self, step: Step, action: Any) -> dict[str, Any]:
        return {}


def _script_context(plan: InstallPlan, payload: Payload, lock_file: str) -> dict[str, Any]:
    pkg = plan.package
    return {
        "wheels_dir": WHEELS_DIR if payload.delivery.embeds else None,
        "package_id": pkg.id,
        "title": pkg.title,
        "state_file": STATE_FILE,
        "state_dir_name": state_dir_name(pkg.id),
        "lock_file": lock_file,
        "download_dir": f"chocolatey-{pkg.id}-{pkg.version}",
        "install_dir": ps(plan.layout.install_dir["machine"]),
        "runtime_dir": ps(plan.layout.runtime_dir["machine"]),
        "program_files": "$env:ProgramFiles" if plan.machine.is_64bit
        else "${env:ProgramFiles(x86)}",
        "helpers": HELPERS_SCRIPT,
    }


def render_helpers(plan: InstallPlan) -> str:
    template = environment(ps_string).get_template(HELPERS_SCRIPT + ".j2")
    return template.render(package_id=plan.package.id, version=plan.package.version,
                           regview=plan.machine.registry_view, **exit_code_words())


def render_install(plan: InstallPlan, payload: Payload, lock_file: str) -> str:
    steps = ScriptSteps(plan, payload)
    template = environment(ps_string).get_template(INSTALL_SCRIPT + ".j2")
    return template.render(steps=[block for _, block in steps.blocks("install")],
                           **_script_context(plan, payload, lock_file), **download_reasons())


def render_uninstall(plan: InstallPlan, payload: Payload, lock_file: str) -> str:
    steps = ScriptSteps(plan, payload)
    template = environment(ps_string).get_template(UNINSTALL_SCRIPT + ".j2")
    return template.render(steps=[block for _, block in steps.blocks("undo")],
                           **_script_context(plan, payload, lock_file))
