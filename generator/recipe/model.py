"""The typed recipe: frozen dataclasses, one per section of the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .fields import DEFAULT_INDEX_URL, DEFAULT_VALID_EXIT_CODES
from .release import Release, default_outputs



def default_installer(python_version: str) -> str:
    """What installs the lock when [pip] installer is not given: uv where it can (it installs
    into Python 3.8 and later), the runtime's pip before that."""
    major, minor = python_version.split(".")[:2]
    return "uv" if (int(major), int(minor)) >= (3, 8) else "pip"


@dataclass(frozen=True)
class PackageMeta:
    id: str
    version: str
    title: str
    authors: str
    summary: str
    description: str
    project_url: str
    license_url: str
    owners: str = ""  # the loader fills in the authors when the recipe names no owners
    project_source_url: str = ""
    package_source_url: str = ""
    docs_url: str = ""
    bug_tracker_url: str = ""
    mailing_list_url: str = ""
    tags: tuple[str, ...] = ()
    release_notes: str = ""
    copyright: str = ""
    icon_url: str = ""


@dataclass(frozen=True)
class PythonRuntime:
    version: str
    arch: str
    installer: str
    url: str
    sha256: str
    install_dir: str = ""  # required for exe and msi (see load.py)
    index_id: str = ""  # installer = "package": the install-manager index entry's id, tag
    index_tag: str = ""
    args: tuple[str, ...] | None = None

    @property
    def private(self) -> bool:
        """A zip or package runtime: unpacked into the app's own folder, never registered,
        never shared, removed with the app."""
        return self.installer in ("zip", "package")

    @property
    def package_tag(self) -> str:
        """The install-manager tag a package runtime follows: the recipe's, else X.Y-64 or
        X.Y-32."""
        bits = "64" if self.arch == "amd64" else "32"
        return self.index_tag or f"{self.minor_version}-{bits}"

    @property
    def tag(self) -> str:
        """cp314 for 3.14.x."""
        major, minor, _ = self.version.split(".")
        return f"cp{major}{minor}"

    @property
    def minor_version(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def platform(self) -> str:
        """The wheel platform tag of the target."""
        return "win_amd64" if self.arch == "amd64" else "win32"


@dataclass(frozen=True)
class ExtraInstaller:
    name: str
    kind: str
    url: str
    sha256: str
    args: tuple[str, ...] = ()
    valid_exit_codes: tuple[int, ...] = DEFAULT_VALID_EXIT_CODES


@dataclass(frozen=True)
class InstallConfig:
    """[install]; None where the recipe left the choice to the defaults (see load.py)."""

    scope: str | None = None  # user | machine
    environment: str | None = None  # venv | runtime
    commands: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PathChange:
    prepend: tuple[str, ...] = ()
    scope: str = "install"  # install | machine | user


@dataclass(frozen=True)
class PipConfig:
    requirements: tuple[str, ...]
    index_url: str = DEFAULT_INDEX_URL
    provided: tuple[str, ...] = ()
    installer: str | None = None  # uv | pip; None: see Recipe.installer


@dataclass(frozen=True)
class CheckConfig:
    command: str
    at_install: bool = True
    expect: str = ""  # text the check's output must contain ("" : the exit code alone)


@dataclass(frozen=True)
class Recipe:
    package: PackageMeta
    python: PythonRuntime
    pip: PipConfig
    check: CheckConfig
    installers: tuple[ExtraInstaller, ...] = ()
    path: PathChange = field(default_factory=PathChange)
    install: InstallConfig = field(default_factory=InstallConfig)
    release: Release = field(default_factory=Release)
    source: str = "<recipe>"  # file name, for messages
    lock_path: Path | None = None  # where this recipe's lock lives (beside the recipe)

    @property
    def name(self) -> str:
        return Path(self.source).stem

    @property
    def environment(self) -> str:
        """venv, or runtime (the recipe's, else venv on Python 3 and runtime on Python 2)."""
        if self.install.environment:
            return self.install.environment
        return "runtime" if self.python.version.startswith("2.") else "venv"

    @property
    def installer(self) -> str:
        """What installs the lock at install time: the recipe's, else uv where it can (it
        installs into Python 3.8 and later) and the runtime's pip before that."""
        return self.pip.installer or default_installer(self.python.version)

    @property
    def scopes(self) -> tuple[str, ...]:
        """The install scopes setup.exe may take: an MSI (msiexec) or a machine PATH change
        needs a machine install."""
        if self.python.installer == "msi" or any(i.kind == "msi" for i in self.installers) \
                or self.path.scope == "machine" and self.path.prepend:
            return ("machine",)
        return ("user", "machine")

    @property
    def outputs(self) -> tuple[str, ...]:
        """What ``build`` writes: [release] outputs, else its default (see release.py)."""
        if self.release.outputs is not None:
            return self.release.outputs
        return default_outputs(self.release, self.python.installer)

    @property
    def scope(self) -> str:
        """setup.exe's default scope: the recipe's, else user where possible."""
        return self.install.scope or self.scopes[0]


_SECTION_TYPES = {
    "package": PackageMeta,
    "python": PythonRuntime,
    "installer": ExtraInstaller,
    "install": InstallConfig,
    "path": PathChange,
    "pip": PipConfig,
    "check": CheckConfig,
    "release": Release,
}

