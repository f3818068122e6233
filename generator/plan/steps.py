"""A step of the install plan, and the plan itself.

A step pairs an install action with the action that undoes it, says what it owns (what its
undo may remove) and names the key under which the install records what it did, so that the
uninstall (and the rollback of a failed install) undoes exactly that. The plan is the ordered
list of steps; undo runs in reverse order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lock.lockfile import Lock
from ..recipe import PackageMeta, PythonRuntime
from ..recipe.release import Release
from .actions import Action, Artifact, PrependPath, UnpackZip
from .delivery import Delivery
from .layout import Layout
from .policy import Ownership


# The install actions the target-side engine runs (generator/engine/: one start of the
# runtime's python.exe for all of them); the others stay native to each back end.
ENGINE_KINDS = frozenset({"make_venv", "prepend_path", "pip_install", "copy_preinstalled",
                          "expose_commands"})
ENGINE_SCRIPT = "choconsis_engine.py"  # the engine's entry point
STEPS_FILE = "choconsis-steps.json"  # its steps description, written by each back end
ENGINE_STATE_FILE = "engine-state.json"  # what the engine did (state folder), for its undo
# The engine's files, shipped from choconsis.engine beside the steps description.
ENGINE_FILES = (ENGINE_SCRIPT, "engine_actions.py", "choconsis_path.py", "make_launchers.py",
                "choconsis_record.py", "exit_status.py")


@dataclass(frozen=True)
class Step:
    """One step: ``title`` names it in logs and errors, ``key`` in the install records."""

    title: str
    key: str
    install: Action
    undo: Action
    owns: Ownership
    role: str  # runtime | installer | environment | path | packages | commands | check

    @property
    def artifact(self) -> Artifact | None:
        return getattr(self.install, "artifact", None)

    @property
    def in_engine(self) -> bool:
        """Run by the target-side engine (its install and its undo), not by the back end."""
        return self.install.kind in ENGINE_KINDS


@dataclass(frozen=True)
class Machine:
    """What the target's architecture decides, once for every back end: a 64-bit runtime
    installs into the 64-bit Program Files and registers in the 64-bit registry view; a
    32-bit one in the 32-bit (WOW64) ones."""

    bits: int  # 64 | 32

    @classmethod
    def of(cls, runtime: PythonRuntime) -> "Machine":
        return cls(64 if runtime.arch == "amd64" else 32)

    @property
    def is_64bit(self) -> bool:
        return self.bits == 64

    @property
    def registry_view(self) -> str:
        """The registry view the install writes its keys in: "64" or "32"."""
        return str(self.bits)


UNINSTALL_KEYS = "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall"


@dataclass(frozen=True)
class ArpEntry:
    """setup.exe's Add/Remove Programs entry: the key it writes under HKCU or HKLM (by
    scope) and the values winget matches (its ProductCode is the key's name, and
    AppsAndFeaturesEntries repeats the values)."""

    key_name: str
    display_name: str
    publisher: str
    display_version: str

    @property
    def registry_key(self) -> str:
        """The key below HKCU or HKLM."""
        return f"{UNINSTALL_KEYS}\\{self.key_name}"


@dataclass(frozen=True)
class InstallPlan:
    package: PackageMeta
    runtime: PythonRuntime
    install_dir: str  # [python] install_dir (see layout for the folders of each scope)
    steps: tuple[Step, ...]
    lock: Lock
    recipe_name: str
    layout: Layout
    scopes: tuple[str, ...] = ("user", "machine")  # the install scopes setup.exe may take
    scope: str = "user"  # setup.exe's default
    delivery: Delivery = Delivery.WEB  # how the files reach the target (web, embedded, ...)
    machine: Machine = Machine(64)
    release: Release = Release()  # where the built files are published ([release])

    @property
    def arp(self) -> ArpEntry:
        """The Add/Remove Programs entry setup.exe writes (one fact: the NSIS script and the
        winget manifests read it here)."""
        pkg = self.package
        return ArpEntry(pkg.id, pkg.title, pkg.authors, pkg.version)

    @property
    def commands(self) -> tuple[str, ...]:
        """The app's commands (what setup.exe's bin folder and the Chocolatey shims hold)."""
        found = self.by_role("commands")
        return getattr(found[0].install, "names", ()) if found else ()

    @property
    def command_files(self) -> tuple[tuple[str, str], ...]:
        """(what it runs as, its file in the commands folder: ``<name>.exe``, a batch file
        as named) for each of :attr:`commands`."""
        found = self.by_role("commands")
        install = found[0].install if found else None
        return tuple((c.runs_as, c.file) for c in getattr(install, "commands", ()))

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        return tuple(s.artifact for s in self.steps if s.artifact is not None)

    def by_role(self, role: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.role == role)

    @property
    def runtime_step(self) -> Step:
        return self.by_role("runtime")[0]

    @property
    def path_step(self) -> Step | None:
        found = self.by_role("path")
        return found[0] if found else None

    @property
    def engine_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.in_engine)

    @property
    def target_files(self) -> tuple[str, ...]:
        """The files of choconsis.engine that ship with the installer (into the state folder
        of setup.exe, tools/ of the Chocolatey package); the steps description goes with
        them, written by the back end."""
        return ENGINE_FILES if self.engine_steps else ()

    @property
    def records_packages(self) -> bool:
        """Whether the packages step writes down what it put into the runtime (and its undo
        removes exactly that)."""
        return getattr(self.packages_step.install, "record", None) is not None

    @property
    def packages_step(self) -> Step:
        return self.by_role("packages")[0]

    @property
    def check_step(self) -> Step | None:
        """The check at the end of the install (None when the recipe leaves it out)."""
        found = self.by_role("check")
        return found[0] if found else None

    @property
    def path_change(self) -> PrependPath | None:
        step = self.path_step
        return step.install if step is not None else None  # type: ignore[return-value]

    @property
    def zip_runtime(self) -> bool:
        """A private runtime (zip or package), unpacked into the app's folder."""
        return isinstance(self.runtime_step.install, UnpackZip)

    @property
    def embedded_runtime(self) -> bool:
        """A private runtime that the build unpacks (setup.exe embeds its tree); false for
        one fetched at install time (:func:`~.make.fetched_at_install`)."""
        action = self.runtime_step.install
        return isinstance(action, UnpackZip) and not action.fetch

    def undo_order(self) -> tuple[Step, ...]:
        """Steps whose undo side runs at uninstall, in the order it runs."""
        return tuple(reversed(self.steps))
