"""The installer the target runs at install time: uv, pinned in the lock like a wheel.

uv publishes one wheel per Windows platform (``uv-<version>-py3-none-win_amd64.whl``, and
``win32``) holding ``uv.exe``, a single program that needs nothing else. The lock pins the
newest release's wheel for the recipe's platform, with the sha256 the index gives, so the
install fetches and verifies it exactly as it does every other wheel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.tags import Tag

from ..errors import BuildError
from ..index.simple import SimpleIndex
from .lockfile import LockedWheel

if TYPE_CHECKING:  # pragma: no cover
    from ..recipe import Recipe

UV = "uv"


def uv_member(wheel: LockedWheel) -> str:
    """Where uv.exe lies inside the wheel (its data scripts folder)."""
    return f"{wheel.name}-{wheel.version}.data/scripts/uv.exe"


def resolve_installer(recipe: "Recipe", index: SimpleIndex) -> LockedWheel | None:
    """The uv wheel for the recipe's platform (None when the recipe installs with pip)."""
    if recipe.installer != UV:
        return None
    tag = Tag("py3", "none", recipe.python.platform)
    page = index.project(UV)
    candidates = [f for f in page.files
                  if f.tags is not None and tag in f.tags and not f.yanked
                  and not f.version.is_prerelease and f.sha256]
    if not candidates:
        raise BuildError(f"{recipe.source}: the index {index.index_url} has no uv wheel for "
                         f"{recipe.python.platform} with a sha256 ([pip] installer = \"uv\"; "
                         "use \"pip\" for an index without uv)")
    best = max(candidates, key=lambda f: f.version)
    return LockedWheel(page.name, str(best.version), best.sha256 or "", best.filename, best.url)
