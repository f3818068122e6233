"""The portable tree: a copy of the zip runtime with the app's packages installed into its
own site-packages at build time (what the portable zip holds beside its launchers).

A virtual environment is not relocatable (its pyvenv.cfg names the base interpreter by an
absolute path, and its launchers hold absolute paths), so the portable layout has none: the
runtime is private to the unpacked folder, and its site-packages is the app's environment.
The copy is made of hard links where the file system allows (nothing in the copy is written
in place: a replaced dist's files are unlinked, new files are new).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import BuildError
from ..lock.lockfile import Lock
from .preinstall import check_runtime_tree, install_wheels, remove_replaced_dists


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def portable_tree(pkg: str, lock: Lock, wheels: list[Path], runtime_tree: Path | None,
                  dest: Path, *, arch: str) -> Path:
    """The runtime tree copied to ``dest`` with every locked wheel installed into it (no
    launchers: the portable back end writes its own, relative ones)."""
    sdists = [w.filename for w in lock.wheels if not w.filename.endswith(".whl")]
    if sdists:
        raise BuildError(f"portable zip of {pkg}: the lock pins source archives "
                         f"({', '.join(sdists[:3])}); only wheels install at build time")
    root = check_runtime_tree(f"portable zip of {pkg}", runtime_tree)
    shutil.copytree(root, dest, copy_function=_link_or_copy)
    remove_replaced_dists(lock, dest)
    install_wheels(wheels, dest, arch=arch)
    return dest
