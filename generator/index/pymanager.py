"""A client of python.org's install-manager index (PEP 773): the runtime packages ``py install``
installs, listed with their sha256.

The index is JSON, ``{"versions": [...], "next": URL?}``; ``next`` names a further page. Each
version entry of schema 1 has ``id`` (``pythoncore-3.14-64``), ``sort-version`` (``3.14.7``,
pre-releases too), ``company`` (``PythonCore``), ``tag`` (``3.14-64``), ``install-for`` (the
tags it installs for: ``3.14.7-64``, ``3.14-64``, ``3-64``), ``display-name``, ``executable``
(``.\\python.exe``, relative to the install folder), ``url`` (relative URLs resolve against the
URL of the page that lists them) and ``hash`` (``{"sha256": ...}``, optional in the schema).

The index may be python.org's, a mirror's URL, or a local file (a path or ``file:`` URL): for
networks that reach a package mirror but not python.org. Entries of other schemas are left
out, as the install manager does; an entry of schema 1 that lacks a field the choice needs is
refused with the page and the entry named.

Which entries can be an app's private runtime (:meth:`RuntimeIndex.usable`): CPython's own
full builds (company ``PythonCore``; not the free-threaded ``3.14t`` builds, whose wheels
differ, nor the embeddable ``PythonEmbed`` ones, which have no venv or site-packages), for the
architecture asked for (``-64`` amd64, ``-32`` x86 in the tag), with ``python.exe`` at the
package's root (how a zip runtime is unpacked) and a sha256 (a recipe pins it).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from packaging.version import InvalidVersion, Version

from .. import ui
from ..errors import ChoconsisError, UsageError
from ..netreasons import request_error_reason
from .simple import DEFAULT_TIMEOUT

if TYPE_CHECKING:  # pragma: no cover
    import requests

DEFAULT_RUNTIME_INDEX_URL = "https://www.python.org/ftp/python/index-windows.json"
OPTION = "--python-index-url"
MIRROR_HINT = f"{OPTION} URL|FILE points at a mirror or a local copy of the index"
MAX_PAGES = 100
ARCH_SUFFIX = {"amd64": "64", "x86": "32"}
_TAG_RE = re.compile(r"(?P<minor>\d+\.\d+)(?P<dev>-dev)?-(?P<platform>64|32|arm64)")


class RuntimeIndexUnreachable(ChoconsisError):
    """The index could not be fetched (network: exit 1); the message names the option."""


class RuntimeIndexError(UsageError):
    """The index was read but is not usable: no such file, not JSON, not schema 1, no entry
    that fits (exit 2)."""


class UnknownTagError(RuntimeIndexError):
    """No entry of the index installs for a tag (a recipe's index_tag, or X.Y-64)."""


@dataclass(frozen=True)
class RuntimePackage:
    """One entry of the index: a runtime package the install manager can install."""

    id: str
    version: Version  # sort-version
    tag: str
    install_for: tuple[str, ...]
    company: str
    display_name: str
    executable: str
    url: str  # absolute
    sha256: str | None
    page: str  # the index page that lists it

    @property
    def filename(self) -> str:
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1])

    @property
    def arch(self) -> str | None:
        """amd64, x86 (or arm64) by the tag's platform suffix; None for another tag."""
        match = _TAG_RE.fullmatch(self.tag)
        if match is None:
            return None
        return {"64": "amd64", "32": "x86"}.get(match.group("platform"), match.group("platform"))

    @property
    def is_cpython(self) -> bool:
        """CPython's full build: not free-threaded (3.14t), not embeddable, not another
        company's runtime."""
        return self.company.casefold() == "pythoncore" and _TAG_RE.fullmatch(self.tag) is not None

    @property
    def python_at_root(self) -> bool:
        return self.executable.replace("/", "\\").removeprefix(".\\").lower() == "python.exe"

    def installs_for(self, tag: str) -> bool:
        return tag.casefold() in {t.casefold() for t in (self.tag, *self.install_for)}

    def describe(self) -> str:
        return f"{self.id} {self.version} ({self.url})"


def is_local(location: str) -> bool:
    """A file path or file: URL rather than an http(s) URL."""
    scheme = urlsplit(location).scheme.lower()
    return scheme not in ("http", "https") or re.match(r"[A-Za-z]:[\\/]", location) is not None


class RuntimeIndex:
    """Reads every page of one install-manager index once (through ``next``)."""

    def __init__(self, location: str = DEFAULT_RUNTIME_INDEX_URL,
                 session: "requests.Session | None" = None, timeout: float = DEFAULT_TIMEOUT):
        self.location = location
        self.session = session
        self.timeout = timeout
        self._entries: list[RuntimePackage] | None = None
        self._reading = threading.Lock()  # update reads one index for several recipes
        self.unpinned: list[RuntimePackage] = []  # entries usable() passed over: no sha256

    @property
    def url(self) -> str:
        """The first page as a URL (a local file as file:...)."""
        if is_local(self.location) and not self.location.lower().startswith("file:"):
            return Path(self.location).expanduser().resolve().as_uri()
        return self.location

    def entries(self) -> list[RuntimePackage]:
        """Every schema-1 entry of every page, newest sort-version first."""
        with self._reading:
            return self._read_all()

    def _read_all(self) -> list[RuntimePackage]:
        if self._entries is None:
            found: list[RuntimePackage] = []
            seen: set[str] = set()
            page: str | None = self.url
            while page is not None:
                if page in seen:
                    raise RuntimeIndexError(f"python runtime index {self.location}: page {page} "
                                            "names itself again as 'next' (a loop)")
                if len(seen) >= MAX_PAGES:
                    raise RuntimeIndexError(f"python runtime index {self.location}: more than "
                                            f"{MAX_PAGES} pages through 'next'")
                seen.add(page)
                data = self._read(page)
                found += list(_entries(data, page))
                nxt = data.get("next")
                page = urljoin(page, nxt) if isinstance(nxt, str) and nxt else None
            self._entries = sorted(found, key=lambda e: e.version, reverse=True)
        return self._entries

    def _read(self, page: str) -> dict[str, Any]:
        text = _read_local(page) if page.lower().startswith("file:") else self._get(page)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise RuntimeIndexError(f"python runtime index {page}: not JSON ({err}); "
                                    f"{MIRROR_HINT}") from None
        if not isinstance(data, dict) or not isinstance(data.get("versions"), list):
            raise RuntimeIndexError(f"python runtime index {page}: not an install-manager index "
                                    "(no 'versions' list)")
        return data

    def _get(self, url: str) -> str:
        import requests

        if self.session is None:
            from ..store import make_session

            self.session = make_session()
        try:
            resp = self.session.get(url, timeout=self.timeout,
                                    headers={"Accept": "application/json"})
        except requests.RequestException as err:
            raise RuntimeIndexUnreachable(f"python runtime index {url}: cannot read it: "
                                          f"{request_error_reason(err)}; {MIRROR_HINT}") from None
        if resp.status_code != 200:
            raise RuntimeIndexUnreachable(f"python runtime index {url}: cannot read it: HTTP "
                                          f"{resp.status_code}; {MIRROR_HINT}")
        return resp.content.decode("utf-8-sig", errors="replace")

    def usable(self, arch: str, *, pre: bool = False,
               tag: str | None = None) -> Iterator[RuntimePackage]:
        """Entries that can be an app's private runtime (see the module docstring), newest
        first. A newer entry left out only for its missing sha256 is said, once, as a note."""
        for entry in self.entries():
            if tag is not None and not entry.installs_for(tag):
                continue
            if not entry.is_cpython or entry.arch != arch or not entry.python_at_root:
                continue
            if entry.version.is_prerelease and not pre:
                continue
            if entry.sha256 is None:
                if entry not in self.unpinned:
                    self.unpinned.append(entry)
                ui.note(f"python runtime index: {entry.describe()} has no sha256, so a recipe "
                        "cannot pin it: skipped")
                continue
            yield entry

    def for_tag(self, tag: str, arch: str, *, pre: bool = False) -> list[RuntimePackage]:
        """The usable entries that install for a tag (``3.14-64``), newest first; refuses a
        tag that no entry of the index installs for at all."""
        if not any(e.installs_for(tag) for e in self.entries()):
            tags = sorted({e.tag for e in self.entries()})
            shown = ", ".join(tags[:12]) + (", ..." if len(tags) > 12 else "")
            raise UnknownTagError(f"python runtime index {self.location}: no entry installs "
                                    f"for the tag {tag!r} (its tags: {shown or 'none'})")
        return list(self.usable(arch, pre=pre, tag=tag))


def default_tag(version: str, arch: str) -> str:
    """The install manager's tag of a minor version and architecture: 3.14-64, 3.14-32."""
    minor = ".".join(version.split(".")[:2])
    return f"{minor}-{ARCH_SUFFIX[arch]}"


def _read_local(url: str) -> str:
    path = Path(url2pathname(urlsplit(url).path))
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except FileNotFoundError:
        raise RuntimeIndexError(f"python runtime index {path}: no such file; "
                                f"{MIRROR_HINT}") from None
    except OSError as err:
        raise RuntimeIndexError(f"python runtime index {path}: cannot read it: "
                                f"{err.strerror or err}") from None


def _entries(data: dict[str, Any], page: str) -> Iterator[RuntimePackage]:
    for i, raw in enumerate(data["versions"]):
        if not isinstance(raw, dict) or raw.get("schema") != 1:
            continue  # another schema: the install manager leaves it out too
        where = f"python runtime index {page}: versions[{i}]"
        if isinstance(raw.get("id"), str):
            where += f" ({raw['id']})"

        def text(key: str, default: str | None = None) -> str:
            value = raw.get(key, default)
            if not isinstance(value, str) or not value:
                raise RuntimeIndexError(f"{where}: {key!r} is missing or not a string")
            return value

        try:
            version = Version(text("sort-version"))
        except InvalidVersion:
            raise RuntimeIndexError(f"{where}: 'sort-version' {raw['sort-version']!r} is "
                                    "not a version") from None
        install_for = raw.get("install-for", [])
        if not isinstance(install_for, list) or not all(isinstance(t, str) for t in install_for):
            raise RuntimeIndexError(f"{where}: 'install-for' is not a list of tags")
        hashes = raw.get("hash") or {}
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        if sha256 is not None and not (isinstance(sha256, str)
                                       and re.fullmatch(r"[0-9a-fA-F]{64}", sha256)):
            raise RuntimeIndexError(f"{where}: 'hash' sha256 {sha256!r} is not 64 hex digits")
        yield RuntimePackage(
            id=text("id"), version=version, tag=text("tag"), install_for=tuple(install_for),
            company=text("company", "PythonCore"),
            display_name=str(raw.get("display-name") or f"Python {version}"),
            executable=text("executable", "python.exe"), url=urljoin(page, text("url")),
            sha256=sha256.lower() if sha256 else None, page=page)
