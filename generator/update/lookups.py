"""Project pages, Python releases and installer hashes, each fetched once per update run."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import RecipeError
from ..index.pythonorg import PythonIndex, PythonRelease
from ..index.simple import ProjectPage, SimpleIndex
from ..recipe import Recipe
from ..store import ArtifactStore
from .model import MAX_LOOKUP_WORKERS, UpdateOptions

if TYPE_CHECKING:  # pragma: no cover
    import requests



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

    def _once(self, key: tuple[str, ...], fn: Callable[[], Any]) -> "Future[Any]":
        with self._lock:
            if key not in self._futures:
                self._futures[key] = self.pool.submit(fn)
            return self._futures[key]

    def page(self, index_url: str, name: str) -> "Future[ProjectPage]":
        index = SimpleIndex(index_url, self.session, self.opts.timeout)
        return self._once(("page", index_url.rstrip("/"), canonicalize_name(name)),
                          lambda: index.project(name))

    def python(self, recipe: Recipe) -> PythonRelease | None:
        py = recipe.python
        if py.installer not in ("exe", "msi"):
            raise RecipeError(recipe.source, "python.installer",
                              f"--python updates python.org exe and msi installers, not "
                              f"{py.installer!r}")
        index = PythonIndex(self.opts.python_index_url, self.session, self.opts.timeout)
        return self._once(
            ("python", py.minor_version, py.installer, py.arch, py.version),
            lambda: index.newest(py.minor_version, py.installer, py.arch, pre=self.opts.pre,
                                 newer_than=Version(py.version))).result()

    def installer_sha256(self, release: PythonRelease) -> str:
        """Download (streamed, hashed, cached by sha256) a new Python installer once."""
        return self._once(
            ("sha256", release.url),
            lambda: self.store.fetch_unpinned(release.url, release.filename,
                                              f"python {release.version}")[1]).result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
