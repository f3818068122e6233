"""The Python runtime of a new recipe: the newest python.org release that the project supports.

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

from ..errors import UsageError
from ..index.pythonorg import PythonIndex, PythonRelease
from ..index.simple import IndexFile, accepts
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


def pin_runtime(release: PythonRelease, store: ArtifactStore, *, kind: str,
                arch: str) -> Runtime:
    """Download the installer once (streamed, hashed, cached) and pin its sha256."""
    _, sha256 = store.fetch_unpinned(release.url, release.filename, f"python {release.version}")
    return Runtime(release, sha256, kind, arch)
