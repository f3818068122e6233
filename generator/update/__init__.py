"""``choconsis update``: new upstream releases -> new pins, a new lock and a new package version.

For each recipe (several at once, in a thread pool):

1. with ``--python``, the newest patch release of the recipe's Python minor version that has a
   Windows installer of the recipe's kind and arch (:mod:`generator.pythonorg`); its installer is
   downloaded (streamed, hashed, cached by sha256, see :meth:`ArtifactStore.fetch_unpinned`);
2. the newest release of every [pip] requirement that the target Python can install, from the
   recipe's index or ``--index-url`` (:mod:`generator.index`);
3. the pins are rewritten with tomlkit, so comments and layout survive; the recipe is re-locked
   with the core's resolver (:func:`generator.wheels.resolve_lock`), which also shows dependency
   changes when no pin moved;
4. the package version follows :mod:`generator.versioning`, and ``[package] release_notes`` says
   what changed;
5. the new recipe and lock are written through temporary files and renamed only when everything
   succeeded, the lock first and the recipe last; if the second rename fails the lock is put back.
   A failure anywhere leaves both files exactly as they were.

``--index-url`` works as pip's option: it replaces the index for this run only (a mirror). The
recipe keeps its ``index_url`` and the lock header names that index, so the lock still matches
the recipe; the wheel URLs in the lock are where the files were found.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import tomlkit
import tomlkit.items
from tomlkit.items import StringType
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..fileio import stage
from ..payload.store import ArtifactStore, make_session
from ..errors import ArtifactError, ChoconsisError, RecipeError
from ..lock.index import DEFAULT_TIMEOUT, ProjectPage, SimpleIndex, Target
from ..lock.lockfile import Lock, format_lock, parse_lock
from ..lock.pythonorg import DEFAULT_PYTHON_INDEX_URL, PythonIndex, PythonRelease
from ..recipe import Recipe, lock_path_for, loads_recipe
from .versioning import next_package_version

if TYPE_CHECKING:  # pragma: no cover
    import requests

MAX_RECIPE_WORKERS = 4
MAX_LOOKUP_WORKERS = 8
MAX_NOTED_DEPENDENCIES = 12


@dataclass
class UpdateOptions:
    dry_run: bool = False
    python: bool = False
    pre: bool = False
    index_url: str | None = None
    python_index_url: str = DEFAULT_PYTHON_INDEX_URL
    timeout: float = DEFAULT_TIMEOUT
    cache_dir: Path | None = None
    today: _dt.date | None = None  # the date of a package fix version (default: today, UTC)


class UpdateFailed(ChoconsisError):
    """One or more recipes could not be updated; the message lists each with its reason."""

    def __init__(self, failures: list[tuple[Path, ChoconsisError]]):
        self.failures = failures
        self.exit_code = max(err.exit_code for _, err in failures)
        super().__init__("\n".join(str(err) if str(path) in str(err) else f"{path}: {err}"
                                   for path, err in failures))


@dataclass(frozen=True)
class Change:
    package: str  # what changed: a requirement, "python", a dependency, or the package itself
    old: str
    new: str
    kind: str = "requirement"  # requirement | python | dependency | lock | package


@dataclass
class RecipeUpdate:
    path: Path
    recipe: Recipe
    changes: list[Change] = field(default_factory=list)
    new_text: str = ""
    new_lock: Lock | None = None
    old_lock_text: str | None = None

    @property
    def changed(self) -> bool:
        """Did anything the package is made of change (and so its version)?"""
        return any(c.kind in ("requirement", "python", "dependency") for c in self.changes)

    @property
    def needs_writing(self) -> bool:
        return self.changed or any(c.kind == "lock" for c in self.changes)


# ---------------------------------------------------------------------------- lookups


class _Lookups:
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


# ---------------------------------------------------------------------------- one recipe


def _resolve_lock(recipe: Recipe, index_url: str | None) -> Lock:
    from ..lock.resolve import resolve_lock

    return resolve_lock(recipe, index_url=index_url)


def rewrite_recipe(text: str, *, requirements: dict[int, str] | None = None,
                   python: dict[str, str] | None = None,
                   package: dict[str, str] | None = None) -> str:
    """Replace values in the recipe's TOML, keeping comments, order and layout.

    requirements: position in [pip] requirements -> new requirement string;
    python / package: field -> new value in [python] / [package].
    """
    doc = tomlkit.parse(text)
    reqs = doc["pip"]["requirements"]  # type: ignore[index]
    for i, req in (requirements or {}).items():
        reqs[i] = _like(reqs[i], req)  # type: ignore[index]
    for section, values in (("python", python), ("package", package)):
        table = doc[section]
        for key, value in (values or {}).items():
            table[key] = _like(table.get(key), value)  # type: ignore[union-attr]
    return tomlkit.dumps(doc)


def _like(old: object, value: str) -> object:
    """value as a TOML string of the same kind as old (literal 'x' stays literal, and so on);
    a value that a literal string cannot hold ("'" or a line break) becomes a basic string."""
    if not isinstance(old, tomlkit.items.String):
        return value
    literal = old.type in (StringType.SLL, StringType.MLL)
    multiline = old.type in (StringType.MLB, StringType.MLL)
    if literal and ("'" in value or "\n" in value):
        return value
    return tomlkit.string(value, literal=literal, multiline=multiline)


def _pin(req: str) -> tuple[str, Version]:
    parsed = Requirement(req)
    return parsed.name, Version(next(iter(parsed.specifier)).version)


def _newest_pins(recipe: Recipe, lookups: _Lookups, index_url: str,
                 target: Target) -> tuple[dict[int, str], list[Change]]:
    """The newest installable release of each requirement (never older than its pin)."""
    futures = [lookups.page(index_url, _pin(r)[0]) for r in recipe.pip.requirements]
    new_reqs: dict[int, str] = {}
    changes: list[Change] = []
    for i, (req, fut) in enumerate(zip(recipe.pip.requirements, futures)):
        name, pinned = _pin(req)
        page = fut.result()
        newest = page.newest(pre=lookups.opts.pre, pinned=pinned, target=target)
        if newest is None:
            raise ArtifactError(f"{name}: no release on {page.url} can be installed on "
                                f"Python {target.python_version} {target.platform}")
        if newest > pinned:
            new_reqs[i] = f"{name}=={newest}"
            changes.append(Change(name, str(pinned), str(newest)))
    return new_reqs, changes


def _python_fields(recipe: Recipe, release: PythonRelease, lookups: _Lookups,
                   dry_run: bool) -> dict[str, str]:
    if release.version.is_prerelease:
        raise RecipeError(recipe.source, "python.version",
                          f"the newest Python is the pre-release {release.version}, but a "
                          "recipe pins final X.Y.Z runtimes; run without --pre")
    fields = {"version": str(release.version), "url": release.url}
    if not dry_run:
        fields["sha256"] = lookups.installer_sha256(release)
    return fields


def _dependency_changes(old: Lock | None, new: Lock, top: set[str]) -> list[Change]:
    """Wheels of the lock that changed, other than the recipe's own requirements."""
    before = {w.name: w for w in old.wheels} if old else {}
    after = {w.name: w for w in new.wheels}
    changes = []
    for name in sorted(set(before) | set(after)):
        if name in top:
            continue
        b, a = before.get(name), after.get(name)
        if b is not None and a is not None and (b.version, b.sha256) == (a.version, a.sha256):
            continue
        old_v = b.version if b else "-"
        new_v = a.version if a else "-"
        if b is not None and a is not None and b.version == a.version:
            new_v += " (new hash)"
        changes.append(Change(name, old_v, new_v, "dependency"))
    return changes


def _fetch_new_wheels(old: Lock | None, new: Lock, store: ArtifactStore) -> None:
    """Download the wheels the lock did not have before into the sha256 cache.

    This checks the index's hashes against the bytes it serves (pip may resolve from PEP 658
    metadata files alone and never see a wheel), naming the package and URL of a mismatch, and
    the build that follows finds every wheel in the cache.
    """
    from ..lock.resolve import fetch_wheels

    known = {(w.name, w.version, w.sha256) for w in old.wheels} if old else set()
    fresh = tuple(w for w in new.wheels if (w.name, w.version, w.sha256) not in known)
    if fresh:
        fetch_wheels(dataclasses.replace(new, wheels=fresh), store)


def release_notes(package_version: str, changes: list[Change]) -> str:
    """A one-line summary of what changed (dependencies listed up to a limit)."""
    parts = [f"{c.package} {c.old} -> {c.new}" for c in changes if c.kind == "requirement"]
    parts += [f"Python {c.old} -> {c.new}" for c in changes if c.kind == "python"]
    deps = [c for c in changes if c.kind == "dependency"]
    if deps:
        shown = ", ".join(f"{c.package} {c.old} -> {c.new}" for c in deps[:MAX_NOTED_DEPENDENCIES])
        more = len(deps) - MAX_NOTED_DEPENDENCIES
        parts.append("dependencies: " + shown + (f" and {more} more" if more > 0 else ""))
    if not parts:
        return ""
    return f"{package_version}: " + "; ".join(parts) + "."


def _stale_lock(text: str | None, lock: Lock | None, recipe: Recipe) -> str:
    """Why the current lock cannot be compared with a new one ("" when it can)."""
    if text is None:
        return "missing"
    if lock is None:
        return "unreadable"
    try:
        lock.check_matches(recipe)
    except RecipeError:
        return "stale"
    return ""


def _read_old_lock(path: Path) -> tuple[str | None, Lock | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    try:
        return text, parse_lock(text, str(path))
    except RecipeError:
        return text, None  # an unreadable lock is replaced


def plan_update(path: Path, opts: UpdateOptions, lookups: _Lookups,
                resolve: Callable[[Recipe, str | None], Lock] | None = None) -> RecipeUpdate:
    """Everything an update of one recipe would change, computed without writing anything."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RecipeError(str(path), None, "no such recipe file") from None
    lock_path = lock_path_for(path)
    recipe = loads_recipe(text, str(path), lock_path)
    update = RecipeUpdate(path, recipe)
    py_fields: dict[str, str] = {}
    if opts.python:
        release = lookups.python(recipe)
        if release is not None:
            py_fields = _python_fields(recipe, release, lookups, opts.dry_run)
            update.changes.append(Change("python", recipe.python.version,
                                         py_fields["version"], "python"))
    py_version = py_fields.get("version", recipe.python.version)
    index_url = opts.index_url or recipe.pip.index_url
    target = Target(py_version, recipe.python.platform)
    new_reqs, req_changes = _newest_pins(recipe, lookups, index_url, target)
    update.changes[:0] = req_changes

    pinned_text = rewrite_recipe(text, requirements=new_reqs, python=py_fields)
    pinned = loads_recipe(pinned_text, str(path), lock_path)
    lock = (resolve or _resolve_lock)(pinned, opts.index_url)
    if lock.index_url.rstrip("/") != pinned.pip.index_url.rstrip("/"):
        lock = dataclasses.replace(lock, index_url=pinned.pip.index_url)  # --index-url: a mirror
    lock.check_matches(pinned)
    update.old_lock_text, old_lock = _read_old_lock(lock_path)
    stale = _stale_lock(update.old_lock_text, old_lock, recipe)
    if stale:  # no earlier lock to compare with: say so, and write the new one
        update.changes.append(Change("lock", stale, f"{len(lock.wheels)} wheels", "lock"))
        old_lock = None
    else:
        top = {canonicalize_name(_pin(r)[0]) for r in pinned.pip.requirements}
        update.changes += _dependency_changes(old_lock, lock, top)
    update.new_lock = lock
    if not opts.dry_run:
        _fetch_new_wheels(old_lock, lock, lookups.store)

    first_old = _pin(recipe.pip.requirements[0])[1]
    first_new = _pin(pinned.pip.requirements[0])[1]
    version = next_package_version(recipe.package.version, first_old, first_new,
                                   changed=update.changed, today=opts.today)
    update.changes.append(Change(recipe.package.id, recipe.package.version, version, "package"))
    package_fields = {}
    if update.changed:
        package_fields = {"version": version,
                          "release_notes": release_notes(version, update.changes)}
    update.new_text = rewrite_recipe(pinned_text, package=package_fields)
    loads_recipe(update.new_text, str(path), lock_path)  # the result must be a valid recipe
    return update


# ---------------------------------------------------------------------------- writing


def apply_update(update: RecipeUpdate) -> None:
    """Write the new lock and recipe: both change, or (on any failure) neither does."""
    assert update.new_lock is not None
    lock_path = lock_path_for(update.path)
    staged: list[Path] = []
    try:
        lock_tmp = stage(lock_path, format_lock(update.new_lock, update.recipe.name))
        staged.append(lock_tmp)
        recipe_tmp = stage(update.path, update.new_text)
        staged.append(recipe_tmp)
        os.replace(lock_tmp, lock_path)
        try:
            os.replace(recipe_tmp, update.path)
        except OSError:
            if update.old_lock_text is None:
                lock_path.unlink(missing_ok=True)
            else:
                os.replace(stage(lock_path, update.old_lock_text), lock_path)
            raise
    except OSError as err:
        raise ChoconsisError(f"{update.path}: cannot write the updated recipe and lock: "
                             f"{err}") from None
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- the command


def format_table(updates: list[RecipeUpdate]) -> str:
    rows = [("recipe", "package", "old", "new")]
    for u in updates:
        for c in u.changes:
            label = {"python": "python (runtime)", "dependency": f"{c.package} (dependency)",
                     "lock": "(lock)", "package": f"{c.package} (package)"}.get(c.kind,
                                                                              c.package)
            rows.append((u.recipe.name, label, c.old, c.new if c.new != c.old else
                         f"{c.new} (up to date)"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                     for r in rows)


def update_recipes(recipe_paths: list[Path], opts: UpdateOptions,
                   resolve: Callable[[Recipe, str | None], Lock] | None = None,
                   ) -> tuple[list[RecipeUpdate], list[tuple[Path, ChoconsisError]]]:
    """Update several recipes concurrently; returns the updates and the failures."""
    session = make_session()
    store = ArtifactStore(cache_dir=opts.cache_dir, session=session, timeout=opts.timeout)
    lookups = _Lookups(opts, session, store)

    def one(path: Path) -> RecipeUpdate:
        update = plan_update(path, opts, lookups, resolve)
        if update.needs_writing and not opts.dry_run:
            apply_update(update)
        return update

    try:
        workers = max(1, min(MAX_RECIPE_WORKERS, len(recipe_paths)))
        with ThreadPoolExecutor(workers, thread_name_prefix="recipe") as pool:
            futures = [(p, pool.submit(one, p)) for p in recipe_paths]
        updates, failures = [], []
        for path, fut in futures:
            err = fut.exception()
            if err is None:
                updates.append(fut.result())
            elif isinstance(err, ChoconsisError):
                failures.append((path, err))
            else:
                raise err
        return updates, failures
    finally:
        lookups.close()
        session.close()


def run_update(recipe_paths: list[Path], opts: UpdateOptions) -> int:
    """The ``choconsis update`` command: print the table; raise if any recipe failed."""
    updates, failures = update_recipes(recipe_paths, opts)
    if updates:
        print(format_table(updates))
        if opts.dry_run:
            print("(dry run: nothing was written)")
    if failures:
        raise UpdateFailed(failures)
    return 0
