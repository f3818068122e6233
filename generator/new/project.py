"""The project a new recipe packages: its release on the index, and what its own wheel says.

The metadata and the console scripts are read from a wheel of the release (METADATA and
entry_points.txt), downloaded into the artifact cache and checked against the sha256 the index
gives, so the recipe describes the file pip will install, not a web page.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ..errors import UsageError
from ..index.simple import IndexFile, ProjectPage
from ..store import ArtifactStore
from ..lock.scripts import default_commands
from ..wheelfiles import WheelCommand, read_dist_info, wheel_commands


@dataclass(frozen=True)
class Release:
    page: ProjectPage
    version: Version
    wheels: tuple[IndexFile, ...]  # every wheel of the version
    passed_over: str = ""  # why a newer release was not taken (a note for the person)


@dataclass(frozen=True)
class ProjectWheel:
    """What one wheel of the release declares."""

    file: IndexFile
    metadata: Message
    commands: tuple[WheelCommand, ...]  # what it installs that the recipe's commands default to

    @property
    def name(self) -> str:
        return self.metadata.get("Name") or self.file.filename.split("-")[0]

    @property
    def requires_python(self) -> SpecifierSet:
        text = (self.metadata.get("Requires-Python") or self.file.requires_python or "").strip()
        try:
            return SpecifierSet(text)
        except InvalidSpecifier:
            return SpecifierSet()  # pip ignores an unparsable Requires-Python too


def parse_spec(spec: str) -> tuple[str, Version | None]:
    """PROJECT or PROJECT==VERSION."""
    try:
        req = Requirement(spec)
    except InvalidRequirement as err:
        raise UsageError(f"{spec!r}: expected PROJECT or PROJECT==VERSION ({err})") from None
    pins = [s for s in req.specifier if s.operator == "=="]
    if req.url or req.extras or req.marker or len(req.specifier) != len(pins) or len(pins) > 1:
        raise UsageError(f"{spec!r}: expected PROJECT or PROJECT==VERSION")
    return req.name, Version(pins[0].version) if pins else None


def for_windows(file: IndexFile, arch: str) -> bool:
    """A wheel that can install on Windows of arch (pure, or built for win_amd64/win32)."""
    platform = "win_amd64" if arch == "amd64" else "win32"
    return any(t.platform in ("any", platform) for t in file.tags or ())


def choose_release(page: ProjectPage, pinned: Version | None, arch: str = "amd64") -> Release:
    """The pinned version (it must be on the index), else the newest final release with a
    wheel for Windows on arch; a version with no wheel at all is refused (locks hold wheels).
    Newer releases passed over for want of such a wheel are named in ``passed_over``."""
    versions = page.versions(pre=pinned is not None and pinned.is_prerelease, pinned=pinned)
    passed_over = ""
    if pinned is not None:
        if pinned not in {f.version for f in page.files}:
            listed = ", ".join(str(v) for v in versions[-8:]) or "none"
            raise UsageError(f"{page.name}: there is no version {pinned} on {page.url} "
                             f"(newest versions: {listed})")
        version = pinned
    else:
        finals = sorted({f.version for f in page.files if not f.yanked
                         and not f.version.is_prerelease})
        fitting = sorted({f.version for f in page.files if f.is_wheel and not f.yanked
                          and not f.version.is_prerelease and for_windows(f, arch)})
        if not fitting:
            raise UsageError(f"{page.name}: no release on {page.url} has a wheel for Windows "
                             f"{arch} (pure Python or {'win_amd64' if arch == 'amd64' else 'win32'})")
        version = fitting[-1]
        newer = [v for v in finals if v > version]
        if newer:
            has_wheels = any(f.is_wheel for f in page.files if f.version == newer[-1])
            why = "its wheels are not for Windows " + arch if has_wheels else \
                "it has no wheel (source archives only)"
            passed_over = (f"{page.name} {newer[-1]} is the newest release, but {why}: "
                           f"{version} is the newest with one (PROJECT==VERSION picks another)")
    wheels = tuple(f for f in page.files if f.version == version and f.is_wheel)
    if not wheels:
        raise UsageError(f"{page.name} {version} has no wheel on {page.url} (source archives "
                         "only): choconsis locks wheels")
    return Release(page, version, wheels, passed_over)


def _preferred(wheels: tuple[IndexFile, ...]) -> IndexFile:
    """A pure-Python wheel if there is one, else a Windows one, else any: they all carry the
    same METADATA and entry points."""
    def rank(f: IndexFile) -> int:
        platforms = {t.platform for t in f.tags or ()}
        return 0 if "any" in platforms else 1 if any(p.startswith("win") for p in platforms) else 2

    return sorted(wheels, key=lambda f: (rank(f), f.filename))[0]


def read_wheel(release: Release, store: ArtifactStore) -> ProjectWheel:
    """Download (cached, verified by the index's sha256) and read one wheel of the release."""
    file = _preferred(release.wheels)
    label = f"{release.page.name} {release.version}"
    if file.sha256:
        path = store.fetch_url(file.url, file.sha256, file.filename, label)
    else:  # an index without hashes: pinned by what was downloaded, as the lock does
        path, _ = store.fetch_unpinned(file.url, file.filename, label)
    info = read_dist_info(path)
    return ProjectWheel(file, HeaderParser().parsestr(info.metadata),
                        tuple(default_commands(wheel_commands(path))))
