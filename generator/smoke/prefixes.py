"""Wine prefixes made once and copied: a template per cache folder, Wine version and 32-bit side.

A fresh prefix takes 6-13 s to make; :func:`template_prefix` makes one once per cache folder
and :func:`copy_prefix` clones it with ``cp -a`` (1-3 s).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from ..errors import BuildError
from .wine import WineError, WinePrefix, WineTools, copy_prefix, find_wine  # noqa: F401


def template_prefix(cache_dir: Path, tools: WineTools | None = None) -> WinePrefix:
    """A clean prefix made once under cache_dir and reused (copy it before changing it).

    It is built in a temporary folder and renamed into place, so a half-made prefix is never
    mistaken for a clean one. The wine version is part of the folder name: an upgraded wine
    gets a new template instead of a prefix it would rewrite on first use. So is its 32-bit
    side: a prefix made without wine32 has an empty syswow64, where no 32-bit program runs.
    """
    tools = tools or find_wine()
    version = _wine_version(tools)
    kind = "wow64" if tools.wine32 else "win64"
    final = Path(cache_dir) / f"template-{re.sub(r'[^A-Za-z0-9.-]', '_', version)}-{kind}"
    if (final / "system.reg").is_file():
        return _with_prng(WinePrefix(final, tools), cache_dir)
    tmp = Path(cache_dir) / f".template-{os.getpid()}-{time.time_ns()}"
    try:
        prefix = WinePrefix.create(tmp, tools)
        # A first cmd run creates the per-user folders programs write on first use, so that
        # they do not show up as differences in before/after file lists.
        prefix.run(["cmd", "/d", "/c", "exit 0"], timeout=120)
        prefix.wait()
        try:
            tmp.rename(final)
        except OSError:
            if not (final / "system.reg").is_file():  # not a lost race with another process
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _with_prng(WinePrefix(final, tools), cache_dir)


def _with_prng(prefix: WinePrefix, cache_dir: Path) -> WinePrefix:
    """The template with what the installers need of a newer Wine or of Windows 10: uv.exe's
    DLL (:mod:`.prng`) and tar.exe (:mod:`.tar`), where the stand-ins can be built here;
    without ziglang it stays as Wine made it (run_smoke says so when the installer needs
    uv; a setup.exe that needs tar.exe says it cannot start it)."""
    from . import prng, tar

    for standin in (prng, tar):
        try:
            standin.provide(prefix.drive_c, Path(cache_dir))
        except BuildError:
            pass
    return prefix


def _wine_version(tools: WineTools) -> str:
    proc = subprocess.run([tools.wine, "--version"], capture_output=True, text=True,
                          check=False, env={"PATH": "/usr/bin:/bin", "WINEDEBUG": "-all"})
    return proc.stdout.strip() or "unknown"
