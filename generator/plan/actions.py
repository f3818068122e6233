"""The actions of the plan's steps: what to do at install, and how to undo it.

Each action is data: a back end translates it into its language with one template macro per
action kind (``install_<kind>`` / ``undo_<kind>``, the same names in ``nsis/steps.nsh.j2``
and ``nuspec/steps.ps1.j2``). Where a back end cannot do what an action says with its own
means, it does the same thing another way, and its macro says why. The actions that run in
the runtime's python (``steps.ENGINE_KINDS``) are run by the target-side engine instead, from
the description :mod:`.engine` makes of them; their commands say what each does as a
separate program would (the benchmarks run them so, one at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..recipe import url_filename
from ..wheelfiles import CONSOLE, WheelCommand
from .policy import PROGRAM, ExitPolicy
from .values import (RUNTIME_DIR, TEMP_DIR, Command, Templated,
                     command_line, join, under)


@dataclass(frozen=True)
class Artifact:
    """A file the install needs: downloaded at install time (web) or embedded (offline)."""

    name: str
    url: str
    sha256: str

    @property
    def filename(self) -> str:
        return url_filename(self.url)


@dataclass(frozen=True)
class Action:
    kind: ClassVar[str]


# ---------------------------------------------------------------------------- probes
# How an install tells that what a step installs was on the machine before it (then it is
# not recorded, so no uninstall removes it).


@dataclass(frozen=True)
class Probe:
    kind: ClassVar[str]


@dataclass(frozen=True)
class MsiProductInstalled(Probe):
    """The MSI's ProductCode (read from the file) is installed already."""

    kind: ClassVar[str] = "msi_product"


@dataclass(frozen=True)
class PythonRegistered(Probe):
    """PEP 514: a Python of this version is registered (HKLM, or HKCU for a user install)
    under Software\\Python\\PythonCore\\<tag>, where python.org's installers register it."""

    tag: str  # 3.14, or 3.14-32 for a 32-bit Python
    wow64_32: bool  # the key lives in the 32-bit registry view
    kind: ClassVar[str] = "python_registered"


@dataclass(frozen=True)
class FileExists(Probe):
    path: Templated
    kind: ClassVar[str] = "file_exists"


# ---------------------------------------------------------------------------- install side


def _msi_head() -> Command:
    return (("msiexec.exe",), ("/i",))


@dataclass(frozen=True)
class RunExe(Action):
    """Run an EXE installer with its silent switches.

    A shared runtime (``shared``: its key among the runtimes choconsis apps share) is only
    installed when no Python of its version is registered (the probe), and the installer is
    kept in the shared runtimes' folder: the python.org bundle uninstalls itself with its
    own file, and the last app that uses the runtime runs that.
    """

    artifact: Artifact
    args: Command
    exit: ExitPolicy
    probe: Probe | None = None
    shared: str | None = None
    kind: ClassVar[str] = "run_exe"

    @property
    def silent_command(self) -> Templated:
        return command_line(self.args)


@dataclass(frozen=True)
class RunMsi(Action):
    """msiexec /i FILE with the silent switches and properties; the ProductCode is read from
    the MSI first, recorded for the undo side."""

    artifact: Artifact
    args: Command
    exit: ExitPolicy
    probe: Probe = MsiProductInstalled()
    shared: bool = False  # a runtime MSI: shared by ProductCode among choconsis apps
    log: Templated = ()  # msiexec's verbose log, named when it fails (empty: args name one)
    kind: ClassVar[str] = "run_msi"

    @property
    def silent_command(self) -> Templated:
        return command_line(self.args)


@dataclass(frozen=True)
class UnpackZip(Action):
    """Unpack a zip or package runtime into the runtime folder.

    Embedded (``fetch`` false): the build unpacks it and setup.exe embeds the tree; the
    Chocolatey package unzips it with Chocolatey's helper. Fetched (``fetch``: a runtime
    package in web mode): the archive is downloaded at install time, checked against its
    sha256 and unpacked there, by setup.exe with Windows' own tar.exe (Windows 10 1803 and
    later; it reads zip files), by the Chocolatey package with Get-ChocolateyWebFile and
    Get-ChocolateyUnzip. The build then never fetches it.
    """

    artifact: Artifact
    probe: Probe = FileExists(under(RUNTIME_DIR, "python.exe"))
    fetch: bool = False
    kind: ClassVar[str] = "unpack_zip"


@dataclass(frozen=True)
class MakeVenv(Action):
    """The app's own virtual environment (python -m venv --without-pip): the packages go
    there, never into the runtime. An environment an earlier version of the app made is
    removed first (an upgrade starts from a clean environment); a folder of that name the
    app did not make is refused."""

    folder: Templated
    command: Command
    exit: ExitPolicy = PROGRAM
    kind: ClassVar[str] = "make_venv"


@dataclass(frozen=True)
class ExposeCommands(Action):
    """Put the app's commands, and only those, on PATH. The engine writes a launcher for each
    into the app's bin folder (make_launchers.py's logic: starting the environment's
    python.exe by its absolute path); setup.exe has it put that folder on PATH, Chocolatey
    makes a shim of each launcher (Install-BinFile) and changes no PATH."""

    names: tuple[str, ...]
    scripts: Templated  # where pip wrote the launchers
    bin: Templated  # setup.exe: the folder put on PATH
    command: Command  # setup.exe: make_launchers.py --commands NAME... into BIN
    path_command: Command  # setup.exe: choconsis_path.py add ... BIN
    exit: ExitPolicy = PROGRAM
    kinds: tuple[str, ...] = ()  # of each name (wheelfiles.KINDS); none: console scripts
    kind: ClassVar[str] = "expose_commands"

    @property
    def commands(self) -> tuple[WheelCommand, ...]:
        """Each name with its kind, and so its file in the commands folder."""
        kinds = self.kinds or (CONSOLE,) * len(self.names)
        return tuple(WheelCommand(n, k) for n, k in zip(self.names, kinds))


@dataclass(frozen=True)
class PrependPath(Action):
    """Put entries at the front of the machine or user PATH (those not there yet), recording
    what was added. The engine does it (choconsis_path.py's logic, in the runtime's python):
    neither NSIS (1024-character strings) nor Chocolatey (Install-ChocolateyPath appends)
    can prepend to a PATH of any length and keep its type."""

    entries: tuple[Templated, ...]
    scope: str  # machine | user
    command: Command
    exit: ExitPolicy = PROGRAM
    kind: ClassVar[str] = "prepend_path"


@dataclass(frozen=True)
class PipInstall(Action):
    """Install the lock with --require-hashes: the runtime's pip, or uv (see plan.commands).

    With uv, ``artifact`` is the uv wheel (fetched and verified like any installer),
    ``prepare`` takes uv.exe out of it into ``tool_folder``, and that folder goes again once
    the lock is installed: uv is a tool of the install, not part of the app.
    """

    command: Command
    exit: ExitPolicy = PROGRAM
    artifact: Artifact | None = None
    prepare: Command | None = None
    tool_folder: Templated | None = None
    tool_member: str | None = None  # uv.exe's name inside the wheel
    installer: str = "pip"  # pip | uv
    record: Command | None = None  # into the runtime: write down what went in (see undo)
    kind: ClassVar[str] = "pip_install"


@dataclass(frozen=True)
class CopyPreinstalled(Action):
    """--preinstall: copy the tree the build installed the wheels into, then write the
    console-script launchers with the installed interpreter (the engine: make_launchers.py's
    logic). The back end unpacks the tree to a staging folder; the engine moves it in."""

    command: Command
    exit: ExitPolicy = PROGRAM
    record: Command | None = None  # into the runtime: write down what went in (see undo)
    kind: ClassVar[str] = "copy_preinstalled"


@dataclass(frozen=True)
class RunCheck(Action):
    """The recipe's check command through cmd.exe, with the new PATH entries in front.

    ``commands_folder``: the folder of the app's command launchers, which setup.exe puts on
    PATH; the Chocolatey package exposes the same commands as shims, on PATH already.
    """

    command: Command
    path_entries: tuple[Templated, ...]
    commands_folder: Templated | None = None
    exit: ExitPolicy = PROGRAM
    expect: str = ""  # text the output (stdout and stderr) must contain; "": exit code only
    kind: ClassVar[str] = "run_check"


def msi_install_args(extra: Command) -> Command:
    """The switches after msiexec /i FILE: silent, no restart, then the recipe's properties."""
    return (("/qn",), ("/norestart",), *extra)


def msi_logged(args: Command, filename: str) -> tuple[Command, Templated]:
    """The switches with msiexec's verbose log added, and that log's path.

    A silent msiexec says why it failed (the failing action, its error number) only in a
    log, so every MSI step writes one where Chocolatey's own template puts it
    (``/l*v %TEMP%\\<name>.log``) and a failure names it. A recipe whose switches name a log
    (``/l...``, ``/log``) keeps its own, and the failure message names none."""
    if any(arg and isinstance(arg[0], str) and arg[0][:2].lower() in ("/l", "-l")
           for arg in args):
        return args, ()
    log = under(TEMP_DIR, f"{filename}.install.log")
    return (*args, ("/l*v",), log), log


__all__ = [name for name in dir() if not name.startswith("_")] + ["join"]
