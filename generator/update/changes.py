"""One recipe's update, computed without writing anything: new pins, the new lock, what
changed, the next package version (see the package docstring for the steps)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import ArtifactError, RecipeError
from ..index.pythonorg import PythonRelease
from ..lock.files import found_lock, parse_lock_file
from ..lock.lockfile import Lock
from ..recipe import Recipe, loads_recipe_at, read_recipe_text
from ..recipe.target import Target
from ..store import ArtifactStore
from .lookups import Lookups
from .model import MAX_NOTED_DEPENDENCIES, Change, RecipeUpdate, UpdateOptions
from .rewrite import rewrite_recipe
from .versioning import next_package_version



def _resolve_lock(recipe: Recipe, index_url: str | None) -> Lock:
    from ..lock.resolve import resolve_lock
    from ..lock.scripts import wheel_source
    from ..store import ArtifactStore

    return resolve_lock(recipe, index_url=index_url, wheel_source=wheel_source(ArtifactStore()))


def _pin(req: str) -> tuple[str, Version]:
    parsed = Requirement(req)
    return parsed.name, Version(next(iter(parsed.specifier)).version)


def _newest_pins(recipe: Recipe, lookups: Lookups, index_url: str,
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


def _python_fields(recipe: Recipe, release: PythonRelease, lookups: Lookups,
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
    from ..payload.wheels import fetch_wheels

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
        return text, parse_lock_file(path, text)
    except RecipeError:
        return text, None  # an unreadable lock is replaced


def _expect_fields(old: Recipe, new: Recipe) -> dict[str, str]:
    """[check] expect that names the first requirement's version (as `choconsis new` writes
    it) follows that version; any other text is the recipe's own and stays."""
    before = old.pip.requirements[0].split("==", 1)[-1].strip()
    after = new.pip.requirements[0].split("==", 1)[-1].strip()
    if old.check.expect and old.check.expect in (before, str(_pin(old.pip.requirements[0])[1])) \
            and after != before:
        return {"expect": after}
    return {}


def plan_update(path: Path, opts: UpdateOptions, lookups: Lookups,
                resolve: Callable[[Recipe, str | None], Lock] | None = None) -> RecipeUpdate:
    """Everything an update of one recipe would change, computed without writing anything."""
    text = read_recipe_text(path)
    recipe = loads_recipe_at(text, path)
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
    pinned = loads_recipe_at(pinned_text, path)
    lock = (resolve or _resolve_lock)(pinned, opts.index_url)
    if lock.index_url.rstrip("/") != pinned.pip.index_url.rstrip("/"):
        lock = dataclasses.replace(lock, index_url=pinned.pip.index_url)  # --index-url: a mirror
    lock.check_matches(pinned)
    update.lock_path, update.old_lock_path = pinned.lock_path, found_lock(recipe)
    update.old_lock_text, old_lock = _read_old_lock(update.old_lock_path)
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
    update.new_text = rewrite_recipe(pinned_text, package=package_fields,
                                     check=_expect_fields(recipe, pinned))
    loads_recipe_at(update.new_text, path)  # the result must be a valid recipe
    return update
