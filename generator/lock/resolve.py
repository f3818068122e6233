"""Wheels: resolve a recipe's requirements for its Windows target and lock them.

A Python 3 target is resolved with uv (:mod:`.uvresolve`) into a PEP 751 lock. A Python 2
target, which uv does not resolve for, is resolved with pip's own resolver, run on the build
machine as a subprocess of this interpreter:

    pip install --dry-run --ignore-installed --report FILE --only-binary=:all:
        --platform win_amd64 --python-version 3.14 --implementation cp --abi cp314
        --target TMP --index-url URL REQS...

``--dry-run`` with ``--report`` (pip 22.2; report format stable since pip 23.0) names every
package with its version, download URL and the index's sha256 without installing anything; for
wheels that only the index's metadata files (PEP 658) are needed for, nothing is downloaded.

Things pip does not do by itself, and this module adds through a small shim (:data:`PIP_SHIM`)
that adjusts pip in its own process and then calls pip's own entry point:

* Environment markers. ``--platform`` and ``--python-version`` choose wheel tags and check
  Requires-Python, but pip evaluates markers such as ``sys_platform == "win32"`` or
  ``python_version == "2.7"`` against the interpreter running pip (Linux, Python 3). A recipe for
  Python 2.7 needs ``futures; python_version=='2.7'`` (python-swiftclient), a Windows target
  needs ``...; sys_platform == "win32"`` dependencies. The shim replaces the marker environment
  of pip's vendored ``packaging`` with the target's (:func:`marker_environment`).
* Requires-Python in a distribution's own metadata. ``pip install`` checks it against the
  interpreter running pip, not ``--python-version`` (``pip download`` passes the target's);
  the shim makes ``install`` do as ``download`` does.
* Source archives for a legacy target (:attr:`Target.allows_sdists`): ``--prefer-binary``
  instead of ``--only-binary=:all:``, so an sdist is locked only where no wheel fits; the shim
  lifts pip's refusal of ``--platform`` with sdists, answers the target's tags for wheel-cache
  lookups, and falls back to an sdist's PKG-INFO when its metadata cannot be built on this
  Python but PKG-INFO settles its dependencies (functools32's setup.py exits on Python 3).
* Packages an extra installer provides ([pip] provided) are left out of the lock with what only
  they need (:func:`needed_without`).
* Isolation. The lock must come from the recipe's index only, whatever this machine's pip
  configuration says (find-links, extra index URLs): pip runs with ``PIP_CONFIG_FILE`` set to
  the null device (pip then reads no configuration file) and without any other ``PIP_*``
  variable. Other variables (proxies, CA bundles) are kept.

The shim reaches into pip's internals (pip 23.x); :data:`MIN_PIP` is the oldest pip it knows.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from packaging.version import Version

from .. import ui
from ..errors import BuildError, ChoconsisError, RecipeError
from ..index.simple import SimpleIndex
from ..recipe.target import Target, marker_environment
from .diagnose import explain_no_match, probe_index
from .installer import resolve_installer
from .files import old_lock_of, read_lock_file, save_recipe_lock
from .lockfile import Lock
from .pipshim import PIP_SHIM
from .provided import check_provided, without_provided
from .scripts import WheelSource, record_scripts
from ..wheelfiles import wheel_commands
from .report import wheels_from_report
from .uvresolve import resolve_with_uv

if TYPE_CHECKING:  # pragma: no cover
    from ..recipe import Recipe

MIN_PIP = Version("23.0")  # --dry-run --report with a stable report format
PIP_TIMEOUT = 900.0  # seconds for the whole resolution
PIP_NET_TIMEOUT = "60"  # pip's own per-request timeout


def pip_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without pip configuration: no PIP_* and no config file."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def shim_config(target: Target) -> dict[str, Any]:
    """What :data:`PIP_SHIM` makes pip believe about the target (its first argument)."""
    config: dict[str, Any] = {"markers": marker_environment(target)}
    if target.allows_sdists:
        config["target"] = {"version": target.minor_version.replace(".", ""),
                            "platform": target.platform, "abi": target.abi}
    return config


def pip_args(target: Target, requirements: Iterable[str], index_url: str, report: Path,
             target_dir: Path) -> list[str]:
    """The pip command line (after ``pip``) that resolves ``requirements`` for ``target``.

    Wheels only (``--only-binary=:all:``), or for a target that allows sdists
    ``--prefer-binary``: every wheel candidate of a project ranks before its sdists, so an
    sdist is chosen only where no wheel for the target satisfies the requirement.
    """
    formats = ["--prefer-binary"] if target.allows_sdists else ["--only-binary=:all:"]
    return [
        "install", "--dry-run", "--ignore-installed", "--report", str(report),
        *formats, "--platform", target.platform,
        "--python-version", target.minor_version, "--implementation", "cp",
        "--abi", target.abi, "--target", str(target_dir), "--index-url", index_url,
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
        "--timeout", PIP_NET_TIMEOUT, "--quiet", *requirements,
    ]


def _check_pip() -> None:
    from importlib import metadata

    try:
        found = Version(metadata.version("pip"))
    except metadata.PackageNotFoundError:
        raise BuildError(f"pip is not installed for {sys.executable}; it resolves the wheels "
                         f"of a lock (install pip {MIN_PIP} or later)") from None
    if found < MIN_PIP:
        raise BuildError(f"pip {found} of {sys.executable} is too old to resolve a lock "
                         f"(--dry-run --report needs pip {MIN_PIP} or later): run "
                         f"'{sys.executable} -m pip install --upgrade pip'")


def run_pip_report(target: Target, requirements: tuple[str, ...], index_url: str,
                   *, where: str = "") -> dict[str, Any]:
    """Run pip's resolver for ``target`` and return its installation report."""
    _check_pip()
    with tempfile.TemporaryDirectory(prefix="choconsis-lock-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-c", PIP_SHIM, json.dumps(shim_config(target)),
               *pip_args(target, requirements, index_url, report, Path(tmp) / "target")]
        ui.detail(f"pip: {' '.join(cmd[3:])}")
        try:
            proc = subprocess.run(cmd, env=pip_environment(), cwd=tmp, capture_output=True,
                                  text=True, timeout=PIP_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise BuildError(f"{where}: pip did not resolve the wheels for {target.label} "
                             f"from {index_url} within {PIP_TIMEOUT:.0f} s") from None
        if proc.returncode != 0 or not report.is_file():
            raise _resolution_error(proc.stderr, target, requirements, index_url, where)
        try:
            return json.loads(report.read_text(encoding="utf-8"))
        except ValueError as err:
            raise BuildError(f"{where}: pip wrote an unreadable report: {err}") from None


_NO_MATCH_RES = (
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"Could not find a version that satisfies the requirement (\S+)"),
)


def _resolution_error(stderr: str, target: Target, requirements: tuple[str, ...],
                      index_url: str, where: str) -> ChoconsisError:
    """The error for a failed resolution: for a requirement pip found no file for, what the
    index has instead (:func:`.diagnose.explain_no_match`); else pip's own words."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")] or lines[-6:]
    pip_says = " | ".join(errors) or "(no message)"
    prefix = f"{where}: " if where else ""
    for pattern in _NO_MATCH_RES:
        match = pattern.search(stderr)
        if match:
            return explain_no_match(match.group(1), requirements, target, index_url, where,
                                    pip_says)
    files = "wheels and source archives" if target.allows_sdists else "wheels"
    return BuildError(f"{prefix}pip could not resolve the {files} for {target.label} from "
                      f"{index_url}; pip says: {pip_says}")


def resolve_lock(recipe: "Recipe", *, index_url: str | None = None,
                 wheel_source: WheelSource | None = None, resolver: str | None = None) -> Lock:
    """Resolve every file the recipe's [pip] requirements need on its Windows target.

    Wheels, and for a target that allows them (:attr:`Target.allows_sdists`) source archives
    where no wheel fits. Packages of [pip] provided, and what only they need, are left out.
    ``resolver``: "uv" (Python 3 targets, the default there) or "pip" (Python 2 targets, the
    only one there; for a Python 3 target only to compare, benchmarks/lock_time.py).
    With ``wheel_source`` (verified wheels, e.g. from the artifact store), the lock records
    the console scripts of the requirements' wheels (:mod:`.scripts`).
    """
    check_provided(recipe)
    target = Target.of(recipe)
    index = index_url or recipe.pip.index_url
    resolver = resolver or ("pip" if target.allows_sdists else "uv")
    probe_index(recipe.pip.requirements, index, recipe.source)
    with ui.task(f"lock: resolving {len(recipe.pip.requirements)} requirement(s) for "
                 f"{target.label} with {resolver}"):
        if resolver == "uv":
            files = resolve_with_uv(target, recipe.pip.requirements, index,
                                    recipe.pip.provided, recipe.source)
        else:
            report = run_pip_report(target, recipe.pip.requirements, index,
                                    where=recipe.source)
            report = without_provided(report, recipe, target)
            files = wheels_from_report(report, recipe.source,
                                       allow_sdists=target.allows_sdists)
    installer = resolve_installer(recipe, SimpleIndex(index))
    # sorted by name, as the lock file lists them: a lock read back equals the one resolved
    lock = Lock(python_tag=target.python_tag, platform=target.platform,
                requirements=tuple(recipe.pip.requirements), index_url=index,
                wheels=tuple(sorted(files, key=lambda w: w.name)),
                source=str(recipe.lock_path or "<lock>"),
                provided=tuple(recipe.pip.provided), installer=installer)
    if wheel_source is None:
        return lock
    return record_scripts(lock, recipe.pip.requirements, recipe.install.commands, wheel_source,
                          wheel_commands)


def lock_recipe(recipe: "Recipe", *, index_url: str | None = None,
                wheel_source: WheelSource | None = None) -> Lock:
    """Resolve and write the recipe's lock beside it (atomically; nothing written on failure).

    A Python 3 recipe's old-format ``<name>.lock`` is removed once its pylock is written."""
    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path (not loaded from a file)")
    lock = resolve_lock(recipe, index_url=index_url, wheel_source=wheel_source)
    save_recipe_lock(recipe, lock)
    return lock


def convert_lock(recipe: "Recipe", *, wheel_source: WheelSource | None = None) -> Lock:
    """Write a Python 3 recipe's old-format lock as its pylock, with the same pins (nothing is
    resolved again), and remove the old file. The old lock must match the recipe."""
    old = old_lock_of(recipe)
    if old is None:
        raise RecipeError(recipe.source, None, "a Python 2 recipe keeps its <name>.lock "
                          "(pip requirements format); there is nothing to convert")
    if not old.is_file():
        raise RecipeError(str(old), None, "no old-format lock to convert; 'choconsis lock "
                          f"{recipe.source}' makes the pylock")
    assert recipe.lock_path is not None  # old_lock_of found one
    if recipe.lock_path.exists():
        raise RecipeError(str(recipe.lock_path), None, f"exists, and builds use it rather than "
                          f"{old.name}: converting would overwrite it (delete {old.name}, or "
                          f"run 'choconsis lock {recipe.source}' without --convert)")
    lock = read_lock_file(old, recipe.source)
    lock.check_matches(recipe)
    lock = dataclasses.replace(lock, source=str(recipe.lock_path))
    if lock.console_scripts is None and wheel_source is not None:
        lock = record_scripts(lock, recipe.pip.requirements, recipe.install.commands,
                              wheel_source, wheel_commands)
    save_recipe_lock(recipe, lock)
    return lock
