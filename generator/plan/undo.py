"""The undo side of the plan's actions: how each install action is taken back.

Like the install side (:mod:`.actions`), each is data that both back ends translate with one
``undo_<kind>`` macro. An undo removes only what its step's install recorded putting there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .actions import Action
from .policy import EXE_UNINSTALL, MSI_UNINSTALL, PROGRAM, ExitPolicy
from .values import PRODUCT_CODE, RUNTIME_DIR, Command, Templated, under


@dataclass(frozen=True)
class UninstallExeRuntime(Action):
    """The python.org bundle's quiet uninstall, by the last choconsis app that used it
    (``shared``); first python.exe -B removes the bytecode caches Python wrote at run time,
    which no installer owns."""

    display_name: str  # what the bundle registers in Add/Remove Programs
    cleanup: Command
    shared: str
    exit: ExitPolicy = EXE_UNINSTALL
    kind: ClassVar[str] = "uninstall_exe_runtime"

    @property
    def uninstall_args(self) -> Command:
        """After the bundle's own file: what the python.org bundle takes to leave quietly."""
        return (("/uninstall",), ("/quiet",))


@dataclass(frozen=True)
class UninstallMsi(Action):
    """msiexec /x of the ProductCode the install recorded (only if it recorded one)."""

    cleanup: Command | None = None  # a runtime MSI: the bytecode caches first
    shared: bool = False  # a runtime MSI: only by the last choconsis app that used it
    exit: ExitPolicy = MSI_UNINSTALL
    kind: ClassVar[str] = "uninstall_msi"

    @property
    def args(self) -> Command:
        """What follows msiexec /x (Chocolatey's Uninstall-ChocolateyPackage adds the /x)."""
        return ((PRODUCT_CODE,), ("/qn",), ("/norestart",))


@dataclass(frozen=True)
class RemoveUnpacked(Action):
    """Remove what the zip runtime unpacked: the archive's top-level folders and files (the
    payload lists them), nothing else of the install folder. ``whole``: a runtime fetched at
    install time, whose entries the build never saw, in a folder of its own (the runtime
    folder of the venv layout): that folder goes as a whole."""

    whole: bool = False
    kind: ClassVar[str] = "remove_unpacked"


@dataclass(frozen=True)
class RemoveTree(Action):
    """Remove a folder the install made, as a whole (the app's environment)."""

    folder: Templated
    kind: ClassVar[str] = "remove_tree"


@dataclass(frozen=True)
class RemoveCommands(Action):
    """Take the commands off PATH again: the engine removes the launchers and, for setup.exe,
    the bin folder's PATH entry; Chocolatey first removes its shims (Uninstall-BinFile)."""

    names: tuple[str, ...]
    scripts: Templated
    bin: Templated
    path_command: Command
    exit: ExitPolicy = PROGRAM
    files: tuple[str, ...] = ()  # of each name in the bin folder (none: <name>.exe)
    kind: ClassVar[str] = "remove_commands"


@dataclass(frozen=True)
class RemovePathEntries(Action):
    """Take out exactly the PATH entries the install recorded adding (the engine)."""

    scope: str
    command: Command
    exit: ExitPolicy = PROGRAM
    kind: ClassVar[str] = "remove_path_entries"


@dataclass(frozen=True)
class RemoveRecorded(Action):
    """Remove exactly the files the packages step recorded putting into the runtime (the
    installers' own records, gathered at install by the engine), their bytecode
    and the folders left empty, before the runtime goes. No pip runs at uninstall."""

    command: Command
    exit: ExitPolicy = PROGRAM
    kind: ClassVar[str] = "remove_recorded"


@dataclass(frozen=True)
class LeaveInstalled(Action):
    """An EXE installer is left to its own uninstaller: the undo only says so."""

    kind: ClassVar[str] = "leave_installed"


@dataclass(frozen=True)
class Nothing(Action):
    """The step changed nothing (the check)."""

    kind: ClassVar[str] = "nothing"


def runtime_cleanup() -> Command:
    return (under(RUNTIME_DIR, "python.exe"), ("-B",), ("-E",), ("-s",), ("-c",),
            (BYTECODE_CLEANUP,))


# Python 2.7 and 3.x alike; single quotes only, so the command line needs no inner escaping.
BYTECODE_CLEANUP = (
    "import os, shutil, sys; "
    "[shutil.rmtree(os.path.join(r, '__pycache__'), True) "
    "for r, d, f in os.walk(sys.prefix) if '__pycache__' in d]"
)


__all__ = [name for name in dir() if not name.startswith("_")]
