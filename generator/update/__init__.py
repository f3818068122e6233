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

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..errors import ChoconsisError
from ..fileio import write_pair
from ..lock.files import format_lock_file
from ..lock.lockfile import Lock
from ..recipe import Recipe, is_pylock_name
from ..store import ArtifactStore, make_session
from .changes import _resolve_lock, plan_update, release_notes
from .lookups import Lookups
from .model import (MAX_RECIPE_WORKERS, Change, RecipeUpdate, UpdateFailed, UpdateOptions)
from .rewrite import rewrite_recipe

# ---------------------------------------------------------------------------- writing


def apply_update(update: RecipeUpdate) -> None:
    """Write the new lock and recipe: both change, or (on any failure) neither does. An
    old-format lock the update read is removed once both are written (the pylock replaces
    it)."""
    assert update.new_lock is not None and update.lock_path is not None
    lock_path = update.lock_path
    replaced = update.old_lock_path if update.old_lock_path != lock_path else None
    restore = None if replaced else update.old_lock_text
    try:
        write_pair(lock_path, format_lock_file(lock_path, update.new_lock, update.recipe.name),
                   update.path, update.new_text, restore)
        if replaced is not None:
            replaced.unlink(missing_ok=True)
    except OSError as err:
        raise ChoconsisError(f"{update.path}: cannot write the updated recipe and lock: "
                             f"{err}") from None


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
    lookups = Lookups(opts, session, store)

    def one(path: Path) -> RecipeUpdate:
        update = plan_update(path, opts, lookups, resolve or _resolve_lock)
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
    """The ``choconsis update`` command: print the table; raise if any recipe failed.

    Lock files among the paths (``recipes/*.toml`` also matches ``pylock.<recipe>.toml``)
    are passed over: each recipe's lock is updated with it."""
    recipe_paths = [p for p in recipe_paths if not is_pylock_name(p.name)]
    updates, failures = update_recipes(recipe_paths, opts)
    if updates:
        print(format_table(updates))
        if opts.dry_run:
            print("(dry run: nothing was written)")
    if failures:
        raise UpdateFailed(failures)
    return 0
