"""The install plan: the contract between a recipe and the back ends.

A recipe becomes an ordered list of steps (install the runtime, run extra installers, change
PATH, pip install from the lock, run the check). The Chocolatey and NSIS back ends render the
same steps in the same order; each step carries both its install side and its undo side, and
the uninstall runs the undo sides in reverse order.

Values that are only known on the target machine (the install folder the user chose, where a
downloaded installer landed, where the lock file was unpacked) are :class:`Marker` parts of a
:data:`Templated` value. Each back end maps markers to its own variables ($INSTDIR, $installDir)
and escapes every literal part for its own language; command lines are composed here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from packaging.requirements import Requirement

from ..errors import RecipeError
from ..lock.lockfile import Lock
from ..recipe import DEFAULT_VALID_EXIT_CODES, PackageMeta, PythonRuntime, Recipe, url_filename


@dataclass(frozen=True)
class Marker:
    """A value only known at install time; back ends substitute their own variable."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


INSTALL_DIR = Marker("install_dir")  # the install folder (recipe default, user may override)
FILE = Marker("file")  # local path of the step's artifact (downloaded or embedded)
LOCK = Marker("lock")  # local path of the lock file (a pip requirements file with hashes)
WHEELS = Marker("wheels")  # local folder of embedded wheels (offline mode only)

# Where pip installs on Windows, relative to the runtime folder (CPython's sysconfig 'nt' layout).
SITE_PACKAGES = ("Lib", "site-packages")

Part = Union[str, Marker]
Templated = tuple[Part, ...]


def templated(text: str) -> Templated:
    """Turn recipe text with {install_dir} into a Templated value."""
    parts: list[Part] = []
    for i, piece in enumerate(text.split("{install_dir}")):
        if i:
            parts.append(INSTALL_DIR)
        if piece:
            parts.append(piece)
    return tuple(parts)


def join(*pieces: Part | Templated) -> Templated:
    """Concatenate parts and templated values, merging adjacent literals."""
    flat: list[Part] = []
    for piece in pieces:
        for part in piece if isinstance(piece, tuple) else (piece,):
            if isinstance(part, str) and flat and isinstance(flat[-1], str):
                flat[-1] += part
            elif part != "":
                flat.append(part)
    return tuple(flat)


def literal(value: Templated) -> str | None:
    """The plain string if a templated value holds no marker."""
    if all(isinstance(p, str) for p in value):
        return "".join(value)  # type: ignore[arg-type]
    return None


_PROPERTY_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*=)(.*)", re.S)


def _quote_arg(arg: Templated) -> Templated:
    """Quote one argument for a Windows command line.

    Literal arguments are quoted by CommandLineToArgvW rules. An argument holding a marker
    (an install-time path, which never contains a double quote) is always quoted, and an MSI
    or installer property is quoted on its value: NAME="C:\\Some Dir", as msiexec and the
    python.org installer expect.
    """
    from ..backends.escaping import windows_arg

    text = literal(arg)
    first = arg[0] if arg else ""
    if isinstance(first, str) and first.upper().startswith("/D="):
        # An NSIS-built installer reads /D= raw to the end of its command line: never quoted.
        return arg
    if text is not None:
        match = _PROPERTY_RE.fullmatch(text)
        if match and any(c in match.group(2) for c in ' \t"'):
            return (match.group(1) + windows_arg(match.group(2)),)
        return (windows_arg(text),)
    if isinstance(first, str):
        match = _PROPERTY_RE.fullmatch(first)
        if match:
            return join(match.group(1) + '"' + match.group(2), arg[1:], '"')
    return join('"', arg, '"')


def command_line(args: tuple[Templated, ...]) -> Templated:
    """Compose a Windows command line from templated arguments."""
    out: list[Part | Templated] = []
    for i, arg in enumerate(args):
        if i:
            out.append(" ")
        out.append(_quote_arg(arg))
    return join(*out)


@dataclass(frozen=True)
class Artifact:
    """A file the install needs: downloaded at install time (web) or embedded (offline)."""

    name: str
    url: str
    sha256: str

    @property
    def filename(self) -> str:
        return url_filename(self.url)


# ---------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Step:
    """Base of all steps. ``title`` names the step in logs and errors."""

    title: str


@dataclass(frozen=True)
class InstallRuntime(Step):
    """Install the Python runtime: a python.org EXE, an MSI, or a zip unpacked in place.

    ``silent_args`` are the arguments after the installer file (for an MSI, after
    ``msiexec /i FILE``). Undo: the EXE's registered quiet uninstall, ``msiexec /x`` of the
    MSI's product, or removal of the unpacked folder.
    """

    kind: str  # exe | msi | zip
    artifact: Artifact
    silent_args: tuple[Templated, ...]
    valid_exit_codes: tuple[int, ...]
    version: str
    arch: str

    @property
    def silent_command(self) -> Templated:
        return command_line(self.silent_args)

    @property
    def bytecode_cleanup_args(self) -> tuple[Templated, ...] | None:
        """Run before an EXE or MSI runtime's own uninstaller: python.exe -B removes the
        __pycache__ folders Python wrote at run time, which no installer owns and which would
        otherwise keep the install folder alive. None for a zip runtime (its folder goes
        whole)."""
        if self.kind == "zip":
            return None
        return (join(INSTALL_DIR, "\\python.exe"), ("-B",), ("-E",), ("-s",), ("-c",),
                (BYTECODE_CLEANUP,))

    @property
    def bytecode_cleanup_command(self) -> Templated | None:
        args = self.bytecode_cleanup_args
        return command_line(args) if args else None


# Python 2.7 and 3.x alike; single quotes only, so the command line needs no inner escaping.
BYTECODE_CLEANUP = (
    "import os, shutil, sys; "
    "[shutil.rmtree(os.path.join(r, '__pycache__'), True) "
    "for r, d, f in os.walk(sys.prefix) if '__pycache__' in d]"
)


@dataclass(frozen=True)
class RunInstaller(Step):
    """Run an extra installer (msi or exe) with its silent arguments and valid exit codes.

    Undo: ``msiexec /x`` of the MSI's product (the product code is read from the MSI at
    install time); an EXE is left to its own uninstaller and only reported.
    """

    kind: str  # msi | exe
    artifact: Artifact
    silent_args: tuple[Templated, ...]
    valid_exit_codes: tuple[int, ...]

    @property
    def silent_command(self) -> Templated:
        return command_line(self.silent_args)


@dataclass(frozen=True)
class ChangePath(Step):
    """Prepend entries to the machine or user PATH, each only if not already there.

    Undo: remove exactly the entries this install added; every other character and the
    value's type (REG_EXPAND_SZ) stay as they were.
    """

    entries: tuple[Templated, ...]
    scope: str  # machine | user


@dataclass(frozen=True)
class PipInstall(Step):
    """pip install everything in the lock with --require-hashes; stop on failure.

    --no-deps: the lock is the whole closure, so pip installs exactly it and never reaches for
    anything else (nor replaces what an extra installer provided). --only-binary :all: when
    the lock holds only wheels; a legacy target's lock may pin source archives, which the
    hashes still pin to the exact file.

    Undo: pip uninstall of the same packages, before the runtime is removed.
    """

    lock: Lock
    index_url: str

    def install_args(self, offline: bool) -> tuple[Templated, ...]:
        args: list[Templated] = [
            join(INSTALL_DIR, "\\python.exe"), ("-m",), ("pip",), ("install",),
            ("--disable-pip-version-check",), ("--no-warn-script-location",),
            ("--require-hashes",), ("--no-deps",),
        ]
        if self.lock.wheels_only:
            args += [("--only-binary",), (":all:",)]
        args += [("-r",), (LOCK,)]
        if offline:
            args += [("--no-index",), ("--find-links",), (WHEELS,)]
        else:
            args += [("--index-url",), (self.index_url,)]
        return tuple(args)

    def install_command(self, offline: bool) -> Templated:
        return command_line(self.install_args(offline))

    def launcher_args(self, script: Templated, dists: Templated) -> tuple[Templated, ...]:
        """The install side when the wheels were installed at build time (--preinstall).

        The back end has copied the pre-installed tree into the runtime folder; one python.exe
        then runs ``script`` (nsis/make_launchers.py) to write each dist's console-script
        launchers with the real interpreter path and add them to its RECORD. ``dists`` is the
        file naming the dist-info folders. The undo side stays pip uninstall.
        """
        site = join(INSTALL_DIR, "\\" + "\\".join(SITE_PACKAGES))
        return (join(INSTALL_DIR, "\\python.exe"), ("-E",), ("-s",), script,
                ("--site-packages",), site, ("--scripts",), join(INSTALL_DIR, "\\Scripts"),
                ("--dists",), dists)

    def launcher_command(self, script: Templated, dists: Templated) -> Templated:
        return command_line(self.launcher_args(script, dists))

    @property
    def uninstall_args(self) -> tuple[Templated, ...]:
        return (join(INSTALL_DIR, "\\python.exe"), ("-m",), ("pip",), ("uninstall",),
                ("--disable-pip-version-check",), ("-y",),
                *((name,) for name in self.lock.names))

    @property
    def uninstall_command(self) -> Templated:
        return command_line(self.uninstall_args)


@dataclass(frozen=True)
class RunCheck(Step):
    """Run the recipe's check command through the new PATH; a non-zero exit fails."""

    command: str

    @property
    def cmd_args(self) -> tuple[Templated, ...]:
        return (("cmd.exe",), ("/d",), ("/c",), (self.command,))


@dataclass(frozen=True)
class InstallPlan:
    package: PackageMeta
    runtime: PythonRuntime
    install_dir: str  # the default; back ends let the user override it
    steps: tuple[Step, ...]
    lock: Lock
    recipe_name: str

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        return tuple(s.artifact for s in self.steps if isinstance(s, (InstallRuntime, RunInstaller)))

    @property
    def path_change(self) -> ChangePath | None:
        return next((s for s in self.steps if isinstance(s, ChangePath)), None)

    @property
    def pip_step(self) -> PipInstall:
        return next(s for s in self.steps if isinstance(s, PipInstall))

    @property
    def check_step(self) -> RunCheck:
        return next(s for s in self.steps if isinstance(s, RunCheck))

    def undo_order(self) -> tuple[Step, ...]:
        """Steps whose undo side runs at uninstall, in the order it runs."""
        return tuple(reversed(self.steps))


def default_runtime_args(runtime: PythonRuntime) -> tuple[str, ...]:
    """The silent switches for each kind of runtime installer (python.org conventions)."""
    if runtime.installer == "exe":
        return ("/quiet", "InstallAllUsers=1", "PrependPath=0", "Include_pip=1",
                "Include_launcher=0", "Include_test=0", "TargetDir={install_dir}")
    if runtime.installer == "msi":
        return ("/qn", "/norestart", "ALLUSERS=1", "TARGETDIR={install_dir}", "ADDLOCAL=ALL")
    return ()


MSI_SILENT = ("/qn", "/norestart")


def build_plan(recipe: Recipe, lock: Lock) -> InstallPlan:
    """Turn a checked recipe and its lock into the ordered install plan."""
    lock.check_matches(recipe)
    rt = recipe.python
    runtime_args = rt.args if rt.args is not None else default_runtime_args(rt)
    steps: list[Step] = [
        InstallRuntime(
            title=f"Python {rt.version} ({rt.arch})",
            kind=rt.installer,
            artifact=Artifact(f"Python {rt.version}", rt.url, rt.sha256),
            silent_args=tuple(templated(a) for a in runtime_args),
            valid_exit_codes=DEFAULT_VALID_EXIT_CODES,
            version=rt.version,
            arch=rt.arch,
        )
    ]
    for inst in recipe.installers:
        args = (*MSI_SILENT, *inst.args) if inst.kind == "msi" else inst.args
        steps.append(RunInstaller(
            title=inst.name,
            kind=inst.kind,
            artifact=Artifact(inst.name, inst.url, inst.sha256),
            silent_args=tuple(templated(a) for a in args),
            valid_exit_codes=inst.valid_exit_codes,
        ))
    if recipe.path.prepend:
        steps.append(ChangePath(
            title=f"{recipe.path.scope} PATH",
            entries=tuple(templated(e) for e in recipe.path.prepend),
            scope=recipe.path.scope,
        ))
    steps.append(PipInstall(
        title="pip install " + " ".join(Requirement(r).name for r in recipe.pip.requirements),
        lock=lock,
        index_url=recipe.pip.index_url,
    ))
    steps.append(RunCheck(title=f"check: {recipe.check.command}", command=recipe.check.command))
    return InstallPlan(
        package=recipe.package,
        runtime=rt,
        install_dir=rt.install_dir,
        steps=tuple(steps),
        lock=lock,
        recipe_name=recipe.name,
    )


def load_plan(recipe: Recipe) -> InstallPlan:
    """Read the recipe's lock from beside it and build the plan."""
    from ..lock.lockfile import read_lock

    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path")
    return build_plan(recipe, read_lock(recipe.lock_path))
