"""The Python runtime of a new recipe: the newest python.org runtime that the project supports.

A runtime package (the default: ``installer = "package"``) comes from python.org's
install-manager index (:mod:`..index.pymanager`), pinned by the sha256 the index gives; an EXE
or MSI installer (``--installer exe|msi``) from the release folders of python.org's listing.

Supported means: its Requires-Python accepts the version, and one of the release's wheels
installs on it (a project with cp312-only wheels does not get 3.13). Folders are visited newest
first and only until one holds the Windows installer of the kind and architecture asked for
(python.org publishes source-only security releases). The installer's sha256 is the one the
downloaded file has, as ``choconsis update --python`` pins it (cached by sha256).
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .. import ui
from ..errors import UsageError
from ..index.pymanager import RuntimeIndex, RuntimeIndexError, RuntimePackage, default_tag
from ..index.pythonorg import PythonIndex, PythonRelease
from ..index.simple import IndexFile, accepts
from ..recipe.fields import Bad, as_download_url
from ..recipe.target import Target
from ..store import ArtifactStore


@dataclass(frozen=True)
class Runtime:
    release: PythonRelease
    sha256: str
    kind: str  # exe | msi
    arch: str  # amd64 | x86

    @property
    def version(self) -> str:
        return str(self.release.version)


def _platform(arch: str) -> str:
    return "win_amd64" if arch == "amd64" else "win32"


def _wanted(version: Version, python: str | None) -> bool:
    """--python 3.12 (a minor version) or --python 3.12.10 (exactly that release)."""
    if python is None:
        return True
    want = Version(python).release
    return version.release[:len(want)] == want


def choose_runtime(listing: PythonIndex, requires_python: SpecifierSet,
                   wheels: tuple[IndexFile, ...], *, kind: str, arch: str,
                   python: str | None, project: str) -> PythonRelease:
    """The newest release the project supports that has an installer of kind/arch."""
    checked = []
    for version, url in listing.all_folders():
        if version.release[0] < 3 or not _wanted(version, python):
            continue
        if not requires_python.contains(version, prereleases=True):
            continue
        target = Target(str(version), _platform(arch))
        if not any(accepts(target, f) for f in wheels):
            checked.append(str(version))
            continue
        release = listing.installer_in(url, version, kind, arch)
        if release is not None:
            return release
    wanted = f" {python}" if python else ""
    needs = f" (Requires-Python {requires_python})" if str(requires_python) else ""
    no_wheel = (f"; no wheel of {project} installs on {', '.join(checked[:5])}"
                if checked else "")
    raise UsageError(f"{project}: no Python{wanted} release on {listing.url} with an {arch} "
                     f"{kind} installer suits the project{needs}{no_wheel}")


def _suits(version: Version, requires_python: SpecifierSet, wheels: tuple[IndexFile, ...],
           arch: str) -> bool | None:
    """True when the project runs on this Python; None when only its wheels do not."""
    if not requires_python.contains(version, prereleases=True):
        return False
    target = Target(f"{version.major}.{version.minor}.{version.micro}", _platform(arch))
    return True if any(accepts(target, f) for f in wheels) else None


def choose_package(index: RuntimeIndex, requires_python: SpecifierSet,
                   wheels: tuple[IndexFile, ...], *, arch: str, python: str | None,
                   project: str) -> RuntimePackage:
    """The newest runtime package of the index, for arch, that the project supports (final
    X.Y.Z releases of CPython 3 with python.exe at the package's root and a sha256)."""
    no_wheel: list[str] = []
    for entry in index.usable(arch):
        version = entry.version
        if len(version.release) != 3 or version.release[0] < 3 or not _wanted(version, python):
            continue
        fits = _suits(version, requires_python, wheels, arch)
        if fits is None:
            no_wheel.append(str(version))
        if fits:
            return entry
    wanted = f" {python}" if python else ""
    needs = f" (Requires-Python {requires_python})" if str(requires_python) else ""
    wheel_note = (f"; no wheel of {project} installs on {', '.join(no_wheel[:5])}"
                  if no_wheel else "")
    unpinned = (f"; {index.unpinned[0].describe()} has no sha256, so a recipe cannot pin it"
                if index.unpinned else "")
    raise RuntimeIndexError(f"{project}: no Python{wanted} runtime package for {arch} in the "
                            f"python runtime index {index.location} suits the project"
                            f"{needs}{wheel_note}{unpinned}")


def pin_runtime(release: PythonRelease, store: ArtifactStore, *, kind: str,
                arch: str) -> Runtime:
    """Download the installer once (streamed, hashed, cached) and pin its sha256."""
    _, sha256 = store.fetch_unpinned(release.url, release.filename, f"python {release.version}")
    return Runtime(release, sha256, kind, arch)


def runtime_table(*, installer: str, arch: str, python: str | None, index_url: str,
                  requires_python: SpecifierSet, wheels: tuple[IndexFile, ...], project: str,
                  store: ArtifactStore, timeout: float) -> dict[str, str]:
    """The [python] table of a new recipe (without install_dir for a private runtime: it
    lives in the app's own folder)."""
    if installer == "package":
        index = RuntimeIndex(index_url, store.session, timeout)
        entry = choose_package(index, requires_python, wheels, arch=arch, python=python,
                               project=project)
        try:
            url = as_download_url(entry.url)
        except Bad as bad:
            raise RuntimeIndexError(f"python runtime index {entry.page}: {entry.id} "
                                    f"{entry.version}: its url {bad}; a recipe downloads its "
                                    "runtime from an https:// URL") from None
        ui.note(f"python {entry.version}: runtime package {entry.id} ({url})")
        assert entry.sha256 is not None  # usable() keeps only pinned entries
        return {"version": str(entry.version), "arch": arch, "installer": "package",
                "url": url, "sha256": entry.sha256, "index_id": entry.id,
                "index_tag": default_tag(str(entry.version), arch)}
    listing = PythonIndex(index_url, store.session, timeout)
    chosen = choose_runtime(listing, requires_python, wheels, kind=installer, arch=arch,
                            python=python, project=project)
    ui.note(f"python {chosen.version}: {chosen.url}")
    runtime = pin_runtime(chosen, store, kind=installer, arch=arch)
    return {"version": runtime.version, "arch": arch, "installer": installer,
            "url": chosen.url, "sha256": runtime.sha256}
