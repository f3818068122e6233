"""A recipe's lock file, in either format, and which one a recipe has.

A Python 3 recipe's lock is PEP 751's ``pylock.<name>.toml`` (:mod:`.pylock`); a Python 2
recipe's, and a Python 3 recipe's from before PEP 751 locks, is ``<name>.lock``
(:mod:`.lockfile`). Both read into the same :class:`Lock`. A Python 3 recipe with only the old
file still builds from it; ``choconsis lock`` writes the pylock and then removes the old file,
so that a recipe never has two locks that could disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RecipeError
from ..fileio import write_atomic
from .lockfile import Lock, format_lock, parse_lock
from ..recipe import is_pylock_name as is_pylock
from .pylock import format_pylock, parse_pylock

if TYPE_CHECKING:  # pragma: no cover
    from ..recipe import Recipe


def format_lock_file(path: Path, lock: Lock, recipe_name: str = "") -> str:
    """The text of the lock file ``path`` (its format follows its name)."""
    if is_pylock(path.name):
        return format_pylock(lock, recipe_name)
    return format_lock(lock, recipe_name)


def parse_lock_file(path: Path, text: str) -> Lock:
    if is_pylock(path.name):
        return parse_pylock(text, str(path))
    return parse_lock(text, str(path))


def read_lock_file(path: Path, recipe_source: str = "") -> Lock:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        recipe = recipe_source or str(path.with_suffix(".toml"))
        raise RecipeError(str(path), None,
                          f"no lock beside the recipe: run 'choconsis lock {recipe}'") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RecipeError(str(path), None, f"cannot read the lock: {err}") from None
    return parse_lock_file(path, text)


def write_lock_file(path: Path, lock: Lock, recipe_name: str = "") -> None:
    write_atomic(path, format_lock_file(path, lock, recipe_name))


def old_lock_of(recipe: "Recipe") -> Path | None:
    """The recipe's ``<name>.lock`` when its own lock is a pylock (None otherwise)."""
    if recipe.lock_path is None or not is_pylock(recipe.lock_path.name):
        return None
    return recipe.lock_path.with_name(f"{recipe.name}.lock")


def found_lock(recipe: "Recipe") -> Path:
    """The lock file the recipe builds from: its own, else the old-format one beside it."""
    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path")
    old = old_lock_of(recipe)
    if not recipe.lock_path.is_file() and old is not None and old.is_file():
        return old
    return recipe.lock_path


def read_recipe_lock(recipe: "Recipe") -> Lock:
    """The recipe's lock, checked against the recipe."""
    lock = read_lock_file(found_lock(recipe), recipe.source)
    lock.check_matches(recipe)
    return lock


def save_recipe_lock(recipe: "Recipe", lock: Lock) -> Path | None:
    """Write the recipe's lock (atomically) and remove an old-format lock beside it; returns
    the removed file, if any."""
    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path (not loaded from a file)")
    write_lock_file(recipe.lock_path, lock, recipe.name)
    old = old_lock_of(recipe)
    if old is not None and old.is_file():
        old.unlink()
        return old
    return None
