"""Find the newest Python patch release with a Windows installer in a python.org-style listing.

python.org publishes releases as a folder listing (https://www.python.org/ftp/python/): one
folder per version (``3.14.7/``) holding that version's files. A folder can exist before its
Windows installers do (a source-only security release, or an upload in progress), so a folder
counts only when it holds the installer of the recipe's kind and architecture:

=====  =========================  =========================
kind   amd64                      x86
=====  =========================  =========================
exe    python-X.Y.Z-amd64.exe     python-X.Y.Z.exe
msi    python-X.Y.Z.amd64.msi     python-X.Y.Z.msi
=====  =========================  =========================

Pre-release folders and files (``3.15.0a1``, ``python-3.14.8rc1-amd64.exe``) count only with
``pre``. Versions are compared as :class:`packaging.version.Version`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

from packaging.version import InvalidVersion, Version

from ..errors import ChoconsisError
from ..netreasons import request_error_reason
from .simple import DEFAULT_TIMEOUT, _AnchorParser

if TYPE_CHECKING:  # pragma: no cover
    import requests

DEFAULT_PYTHON_INDEX_URL = "https://www.python.org/ftp/python/"
KINDS = ("exe", "msi")


class PythonLookupError(ChoconsisError):
    """The Python release listing could not be read (names the URL)."""


@dataclass(frozen=True)
class PythonRelease:
    version: Version
    filename: str
    url: str


def installer_pattern(kind: str, arch: str) -> re.Pattern[str]:
    """File name of a Windows installer; group 'v' is the version (maybe a pre-release)."""
    if kind not in KINDS or arch not in ("amd64", "x86"):
        raise ValueError(f"no python.org installer of kind {kind!r} for {arch!r}")
    v = r"(?P<v>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)"
    suffix = {("exe", "amd64"): r"-amd64\.exe", ("exe", "x86"): r"\.exe",
              ("msi", "amd64"): r"\.amd64\.msi", ("msi", "x86"): r"\.msi"}[(kind, arch)]
    return re.compile(rf"python-{v}{suffix}")


class PythonIndex:
    def __init__(self, url: str = DEFAULT_PYTHON_INDEX_URL,
                 session: "requests.Session | None" = None, timeout: float = DEFAULT_TIMEOUT):
        if session is None:
            from ..store import make_session

            session = make_session()
        self.url = url if url.endswith("/") else url + "/"
        self.session = session
        self.timeout = timeout

    def _links(self, url: str) -> list[tuple[str, str]]:
        """(absolute URL, last path segment) of every link of a folder listing."""
        import requests

        try:
            resp = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as err:
            raise PythonLookupError(
                f"python: cannot read {url}: {request_error_reason(err)}") from None
        if resp.status_code != 200:
            raise PythonLookupError(f"python: cannot read {url}: HTTP {resp.status_code}")
        parser = _AnchorParser()
        parser.feed(resp.text)
        out = []
        for attrs, _label in parser.anchors:
            href = attrs.get("href")
            if href:
                absolute = urljoin(resp.url, href)
                segment = unquote(urlsplit(absolute).path.rstrip("/").rsplit("/", 1)[-1])
                out.append((absolute, segment))
        return out

    def all_folders(self, *, pre: bool = False) -> list[tuple[Version, str]]:
        """Every version folder of the listing (X.Y.Z), newest first."""
        found: dict[Version, str] = {}
        for url, name in self._links(self.url):
            if not url.endswith("/") or not re.fullmatch(r"\d+\.\d+\.\d+\w*", name):
                continue
            try:
                version = Version(name)
            except InvalidVersion:
                continue
            if version.is_prerelease and not pre:
                continue
            found[version] = url
        return sorted(found.items(), reverse=True)

    def folders(self, minor: str, *, pre: bool = False) -> list[tuple[Version, str]]:
        """Version folders of one minor version (e.g. '3.14'), newest first."""
        want = Version(minor).release[:2]
        return [(v, url) for v, url in self.all_folders(pre=pre) if v.release[:2] == want]

    def installer_in(self, folder_url: str, folder: Version, kind: str, arch: str, *,
                     pre: bool = False) -> PythonRelease | None:
        """The newest installer of kind/arch in one version folder, or None."""
        pattern = installer_pattern(kind, arch)
        best: PythonRelease | None = None
        for url, name in self._links(folder_url):
            match = pattern.fullmatch(name)
            if not match:
                continue
            version = Version(match.group("v"))
            if version.release != folder.release or (version.is_prerelease and not pre):
                continue
            if best is None or version > best.version:
                best = PythonRelease(version, name, url)
        return best

    def newest(self, minor: str, kind: str, arch: str, *, pre: bool = False,
               newer_than: Version | None = None) -> PythonRelease | None:
        """The newest release of minor with a Windows installer of kind/arch.

        Folders are visited newest first and the walk stops at ``newer_than`` (the current
        version), so an up-to-date recipe costs two requests.
        """
        installer_pattern(kind, arch)  # refuse zip and unknown kinds before any request
        for version, url in self.folders(minor, pre=pre):
            if newer_than is not None and version <= newer_than:
                return None
            release = self.installer_in(url, version, kind, arch, pre=pre)
            if release is not None and (newer_than is None or release.version > newer_than):
                return release
        return None
