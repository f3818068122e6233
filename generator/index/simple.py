"""A client of the simple repository API (PEP 503 HTML, PEP 691 JSON), as pip reads it.

A project page is asked for as JSON (``Accept: application/vnd.pypi.simple.v1+json``) with the
HTML forms as fallbacks, so PyPI, devpi, Artifactory, a plain folder behind nginx and any other
private mirror all work. Versions come from the file names on the page (wheels and sdists);
they are compared as :class:`packaging.version.Version`, never as strings.

Which versions count, as pip decides it:

* a yanked file (PEP 592: ``data-yanked`` / ``"yanked"``) is skipped, unless its version is the
  one pinned exactly (``name==version``), which pip would still install;
* pre-releases (and dev releases) are skipped unless ``pre`` is asked for or the pin is one;
* with a :class:`Target`, only files the target can install count: ``requires-python`` must
  accept the target's Python, and a wheel's tags must be among the target's.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urldefrag, urljoin, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename, canonicalize_name,
                             parse_sdist_filename, parse_wheel_filename)
from packaging.version import InvalidVersion, Version

from ..errors import ChoconsisError
from ..netreasons import request_error_reason
from ..recipe.target import Target

if TYPE_CHECKING:  # pragma: no cover
    import requests

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
# PEP 691's recommended Accept header: JSON first, then the versioned and legacy HTML forms.
ACCEPT = f"{JSON_TYPE}, {HTML_TYPE};q=0.2, text/html;q=0.01"
DEFAULT_TIMEOUT = 30.0


class IndexLookupError(ChoconsisError):
    """A project page could not be read or understood (names the project and the URL)."""


class IndexUnreachableError(IndexLookupError):
    """The index did not answer at all (names the index, the page and why)."""


class ProjectNotFoundError(IndexLookupError):
    """The index answered: it has no such project (a wrong name in the recipe: exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class IndexFile:
    """One file on a project page."""

    filename: str
    url: str
    version: Version
    sha256: str | None = None
    requires_python: str | None = None
    yanked: bool = False
    tags: frozenset[Tag] | None = None  # None for an sdist

    @property
    def is_wheel(self) -> bool:
        return self.tags is not None


def accepts(target: Target, file: IndexFile) -> bool:
    """Can this target install the file? (requires-python and wheel tags; sdists: no.)"""
    if file.requires_python:
        try:
            if not SpecifierSet(file.requires_python).contains(
                    target.python_version, prereleases=True):
                return False
        except InvalidSpecifier:
            pass  # pip ignores an unparsable requires-python too
    return file.tags is not None and not file.tags.isdisjoint(target.tags)


@dataclass(frozen=True)
class ProjectPage:
    name: str  # canonical
    url: str
    files: tuple[IndexFile, ...]

    def versions(self, *, pre: bool = False, pinned: Version | None = None,
                 target: Target | None = None) -> list[Version]:
        """The versions that count (see the module docstring), oldest first."""
        found: set[Version] = set()
        for f in self.files:
            is_pin = pinned is not None and f.version == pinned
            if f.yanked and not is_pin:
                continue
            if f.version.is_prerelease and not (pre or is_pin):
                continue
            if target is not None and not accepts(target, f):
                continue
            found.add(f.version)
        return sorted(found)

    def newest(self, *, pre: bool = False, pinned: Version | None = None,
               target: Target | None = None) -> Version | None:
        versions = self.versions(pre=pre, pinned=pinned, target=target)
        return versions[-1] if versions else None

    def file(self, filename: str) -> IndexFile | None:
        for f in self.files:
            if f.filename == filename:
                return f
        return None


def project_url(index_url: str, name: str) -> str:
    """pip's rule: the index URL joined with the canonical project name and a trailing slash."""
    base = index_url if index_url.endswith("/") else index_url + "/"
    return posixpath.join(base, canonicalize_name(name)) + "/"


class SimpleIndex:
    """Reads project pages of one index through a shared requests session."""

    def __init__(self, index_url: str, session: "requests.Session | None" = None,
                 timeout: float = DEFAULT_TIMEOUT):
        if session is None:
            from ..store import make_session

            session = make_session()
        self.index_url = index_url
        self.session = session
        self.timeout = timeout

    def project(self, name: str) -> ProjectPage:
        """The project page of name; raises IndexLookupError naming the project and the URL."""
        import requests

        url = project_url(self.index_url, name)
        try:
            resp = self.session.get(url, headers={"Accept": ACCEPT}, timeout=self.timeout)
        except requests.RequestException as err:
            raise IndexUnreachableError(
                f"the index {self.index_url} could not be reached: "
                f"{request_error_reason(err)} (asked for {url})") from None
        if resp.status_code == 404:
            raise ProjectNotFoundError(f"{name}: no such project on the index {self.index_url} "
                                       f"({url}: HTTP 404)")
        if resp.status_code != 200:
            raise IndexLookupError(f"{name}: cannot read {url}: HTTP {resp.status_code}")
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if ctype == JSON_TYPE:
                raw = parse_json_page(resp.text, resp.url)
            elif ctype in (HTML_TYPE, "text/html", ""):
                raw = parse_html_page(resp.text, resp.url)
            else:
                raise ValueError(f"unexpected content type {ctype!r}")
        except ValueError as err:
            raise IndexLookupError(
                f"{name}: {url} is not a simple-API project page: {err}") from None
        return ProjectPage(canonicalize_name(name), url, tuple(_files(raw, name)))


@dataclass(frozen=True)
class _RawFile:
    filename: str
    url: str
    sha256: str | None
    requires_python: str | None
    yanked: bool


def parse_json_page(text: str, base_url: str) -> list[_RawFile]:
    """PEP 691 JSON: {"meta": ..., "files": [{"filename", "url", "hashes", "yanked"...}]}."""
    try:
        data = json.loads(text)
        files = data["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"bad JSON ({err})") from None
    out = []
    for entry in files:
        if not isinstance(entry, dict) or "filename" not in entry or "url" not in entry:
            raise ValueError("a file entry lacks 'filename' or 'url'")
        hashes = entry.get("hashes") or {}
        out.append(_RawFile(
            filename=entry["filename"],
            url=urljoin(base_url, entry["url"]),
            sha256=(hashes.get("sha256") or "").lower() or None,
            requires_python=entry.get("requires-python") or None,
            yanked=bool(entry.get("yanked", False)),  # false, true, or a reason string
        ))
    return out


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_html_page(text: str, base_url: str) -> list[_RawFile]:
    """PEP 503 HTML: one <a href="URL#sha256=HEX" data-yanked data-requires-python> per file."""
    parser = _AnchorParser()
    parser.feed(text)
    base = urljoin(base_url, parser.base) if parser.base else base_url
    out = []
    for attrs, label in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(base, href))
        algo, _, digest = fragment.partition("=")
        filename = label or posixpath.basename(urlsplit(url).path)
        out.append(_RawFile(
            filename=filename,
            url=url,
            sha256=digest.lower() if algo == "sha256" and digest else None,
            requires_python=attrs.get("data-requires-python") or None,
            yanked="data-yanked" in attrs,
        ))
    return out


def _files(raw: Iterable[_RawFile], name: str) -> Iterable[IndexFile]:
    """Keep the wheels and sdists of this project whose file names parse; drop the rest."""
    want = canonicalize_name(name)
    for r in raw:
        version, tags = _parse_filename(r.filename)
        if version is None or (tags is not None and tags[0] != want) or (
                tags is None and canonicalize_name(_sdist_name(r.filename)) != want):
            continue
        yield IndexFile(r.filename, r.url, version, r.sha256, r.requires_python, r.yanked,
                        tags[1] if tags is not None else None)


def _sdist_name(filename: str) -> str:
    try:
        return parse_sdist_filename(filename)[0]
    except (InvalidSdistFilename, InvalidVersion):
        return ""


def _parse_filename(filename: str) -> tuple[Version | None, tuple[str, frozenset[Tag]] | None]:
    """(version, (name, tags)) of a wheel, (version, None) of an sdist, (None, None) otherwise."""
    if filename.endswith(".whl"):
        try:
            wname, version, _build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return None, None
        return version, (wname, tags)
    if filename.endswith((".tar.gz", ".zip")):
        try:
            return parse_sdist_filename(filename)[1], None
        except (InvalidSdistFilename, InvalidVersion):
            return None, None
    return None, None
