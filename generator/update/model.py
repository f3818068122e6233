"""What an update run is asked for, and what it found for each recipe."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ChoconsisError
from ..index.simple import DEFAULT_TIMEOUT
from ..lock.lockfile import Lock
from ..recipe import Recipe

MAX_RECIPE_WORKERS = 4
MAX_LOOKUP_WORKERS = 8
MAX_NOTED_DEPENDENCIES = 12


@dataclass
class UpdateOptions:
    dry_run: bool = False
    python: bool = False
    pre: bool = False
    index_url: str | None = None
    python_index_url: str | None = None  # default: python.org's, of the recipe's runtime kind
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
    lock_path: Path | None = None  # where the new lock is written (the recipe's pylock)
    old_lock_path: Path | None = None  # the lock read before: the same, or an old-format one

    @property
    def changed(self) -> bool:
        """Did anything the package is made of change (and so its version)?"""
        return any(c.kind in ("requirement", "python", "dependency") for c in self.changes)

    @property
    def needs_writing(self) -> bool:
        return self.changed or any(c.kind == "lock" for c in self.changes)
