"""Project pages, Python releases (python.org's release folders, or its install-manager index
for runtime packages) and installer hashes, each fetched once per update run."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import RecipeError
from ..index.pymanager import (DEFAULT_RUNTIME_INDEX_URL, RuntimeIndex, RuntimePackage,
                               UnknownTagError)
from ..index.pythonorg import DEFAULT_PYTHON_INDEX_URL, PythonIndex, PythonRelease
from ..index.simple import ProjectPage, SimpleIndex
from ..recipe import Recipe
from ..store import ArtifactStore
from .model import MAX_LOOKUP_WORKERS, UpdateOptions

if TYPE_CHECKING:  # pragma: no cover
    import requests




def runtime_index_url(given: str | None) -> str:
    """The install-manager index of --python-index-url: the URL or file itself, or, for a
    folder URL (ending in /, python.org's /ftp/python/ or a mirror of it), the
    index-windows.json in it, as python.org lays it out; so one mirror serves the recipes
    on EXE or MSI installers and those on runtime packages in one update run."""
    if not given:
        return DEFAULT_RUNTIME_INDEX_URL
    return given + "index-windows.json" if given.endswith("/") else given

class Lookups:
    """Project pages, Python releases and installer hashes: each fetched once per run (the
    first recipe that asks starts the fetch, the others wait for the same result)."""

    def __init__(self, opts: UpdateOptions, session: "requests.Session", store: ArtifactStore):
        self.opts = opts
        self.session = session
        self.store = store
        self.pool = ThreadPoolExecutor(MAX_LOOKUP_WORKERS, thread_name_prefix="lookup")
        self._futures: dict[tuple[str, ...], Future[Any]] = {}
        self._lock = threading.Lock()
        self._runtime_index: RuntimeIndex | None = None  # read once, for every recipe

    def _once(self, key: tuple[str, ...], fn: Callable[[], Any]) -> "Future[Any]":
        with self._lock:
            if key not in self._futures:
                self._futures[key] = self.pool.submit(fn)
            return self._futures[key]

    def page(self, index_url: str, name: str) -> "Future[ProjectPage]":
        index = SimpleIndex(index_url, self.session, self.opts.timeout)
        return self._once(("page", index_url.rstrip("/"), canonicalize_name(name)),
                          lambda: index.project(name))

    def python(self, recipe: Recipe) -> "PythonRelease | RuntimePackage | None":
        """The newest runtime newer than the recipe's of its kind, minor version and arch: a
        runtime package of the install-manager index that installs for the recipe's tag, or
        python.org's EXE or MSI installer of the newest patch release."""
        py = recipe.python
        if py.installer == "package":
            return self._once(("package", py.package_tag, py.arch, py.version),
                              lambda: self._newer_package(recipe)).result()
        if py.installer not in ("exe", "msi"):
            raise RecipeError(recipe.source, "python.installer",
                              f"--python updates python.org runtime packages and exe and msi "
                              f"installers, not {py.installer!r}")
        index = PythonIndex(self.opts.python_index_url or DEFAULT_PYTHON_INDEX_URL,
                            self.session, self.opts.timeout)
        return self._once(
            ("python", py.minor_version, py.installer, py.arch, py.version),
            lambda: index.newest(py.minor_version, py.installer, py.arch, pre=self.opts.pre,
                                 newer_than=Version(py.version))).result()

    def _newer_package(self, recipe: Recipe) -> RuntimePackage | None:
        py = recipe.python
        with self._lock:
            if self._runtime_index is None:
                self._runtime_index = RuntimeIndex(runtime_index_url(self.opts.python_index_url),
                                                   self.session, self.opts.timeout)
            index = self._runtime_index
        try:
            found = index.for_tag(py.package_tag, py.arch, pre=self.opts.pre)
        except UnknownTagError as err:
            raise RecipeError(recipe.source, "python.index_tag" if py.index_tag else
                              "python.version", str(err)) from None
        newest = next((e for e in found if len(e.version.release) == 3), None)
        if newest is None or newest.version <= Version(py.version):
            return None
        return newest

    def installer_sha256(self, release: "PythonRelease | RuntimePackage") -> str:
        """A runtime package's sha256 as its index gives it (the build checks the file);
        an EXE or MSI installer downloaded (streamed, hashed, cached by sha256) once."""
        if isinstance(release, RuntimePackage):
            assert release.sha256 is not None  # RuntimeIndex.usable keeps pinned entries only
            return release.sha256
        return self._once(
            ("sha256", release.url),
            lambda: self.store.fetch_unpinned(release.url, release.filename,
                                              f"python {release.version}")[1]).result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
