"""Wheels: resolve a recipe's requirements for its Windows target, lock them, fetch them.

Resolution is pip's own resolver, run on the build machine as a subprocess of this interpreter:

    pip install --dry-run --ignore-installed --report FILE --only-binary=:all:
        --platform win_amd64 --python-version 3.14 --implementation cp --abi cp314
        --target TMP --index-url URL REQS...

``--dry-run`` with ``--report`` (pip 22.2; report format stable since pip 23.0) names every
package with its version, download URL and the index's sha256 without installing anything; for
wheels that only the index's metadata files (PEP 658) are needed for, nothing is downloaded.

Two things pip does not do by itself, and this module adds:

* Environment markers. ``--platform`` and ``--python-version`` choose wheel tags and check
  Requires-Python, but pip evaluates markers such as ``sys_platform == "win32"`` or
  ``python_version == "2.7"`` against the interpreter running pip (Linux, Python 3). A recipe for
  Python 2.7 needs ``futures; python_version=='2.7'`` (python-swiftclient), a Windows target
  needs ``...; sys_platform == "win32"`` dependencies. So pip runs through a three-line shim
  (:data:`_PIP_SHIM`) that replaces the marker environment of pip's vendored ``packaging`` with
  the target's (:func:`marker_environment`) and then calls pip's own entry point.
* Isolation. The lock must come from the recipe's index only, whatever this machine's pip
  configuration says (find-links, extra index URLs): pip runs with ``PIP_CONFIG_FILE`` set to
  the null device (pip then reads no configuration file) and without any other ``PIP_*``
  variable. Other variables (proxies, CA bundles) are kept.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urldefrag

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .errors import BuildError, RecipeError
from .lockfile import Lock, LockedWheel, write_lock
from .recipe import url_filename

if TYPE_CHECKING:  # pragma: no cover
    from .artifacts import ArtifactStore
    from .recipe import Recipe

MIN_PIP = Version("23.0")  # --dry-run --report with a stable report format
PIP_TIMEOUT = 900.0  # seconds for the whole resolution
PIP_NET_TIMEOUT = "60"  # pip's own per-request timeout
FETCH_WORKERS = 6

# Runs as ``python -c _PIP_SHIM MARKER_ENV_JSON pip-args...``: the target's marker environment
# replaces the build machine's in pip's vendored packaging, then pip's own entry point runs.
_PIP_SHIM = """\
import json, sys
from pip._vendor.packaging import markers
_env = json.loads(sys.argv[1])
markers.default_environment = lambda: dict(_env)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class Target:
    """What the wheels must run on: a CPython version on a Windows platform."""

    version: str  # full version, e.g. 3.14.7
    platform: str  # win_amd64 | win32

    @property
    def minor_version(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def python_tag(self) -> str:
        return "cp" + self.minor_version.replace(".", "")

    @property
    def abi(self) -> str:
        """cp314; Python 2.7 builds (narrow unicode, pymalloc) use cp27m."""
        return self.python_tag + ("m" if self.version.startswith("2.") else "")

    @property
    def label(self) -> str:
        return f"{self.python_tag} {self.platform}"

    @classmethod
    def of(cls, recipe: "Recipe") -> "Target":
        return cls(recipe.python.version, recipe.python.platform)


def marker_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of CPython ``target`` on Windows.

    platform_release/platform_version describe a Windows 10 machine; they are unknown at build
    time and no requirement we ship tests them.
    """
    py3 = not target.version.startswith("2.")
    return {
        # Python 2 has no sys.implementation; packaging used "" and "0" there.
        "implementation_name": "cpython" if py3 else "",
        "implementation_version": target.version if py3 else "0",
        "os_name": "nt",
        "platform_machine": "AMD64" if target.platform == "win_amd64" else "x86",
        "platform_python_implementation": "CPython",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.19045",
        "python_full_version": target.version,
        "python_version": target.minor_version,
        "sys_platform": "win32",
    }


def pip_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without pip configuration: no PIP_* and no config file."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def pip_args(target: Target, requirements: Iterable[str], index_url: str, report: Path,
             target_dir: Path) -> list[str]:
    """The pip command line (after ``pip``) that resolves ``requirements`` for ``target``."""
    return [
        "install", "--dry-run", "--ignore-installed", "--report", str(report),
        "--only-binary=:all:", "--platform", target.platform,
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
        cmd = [sys.executable, "-c", _PIP_SHIM, json.dumps(marker_environment(target)),
               *pip_args(target, requirements, index_url, report, Path(tmp) / "target")]
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
                      index_url: str, where: str) -> BuildError:
    """A BuildError naming the requirement that has no wheel for the target, if pip says which."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")] or lines[-6:]
    pip_says = " | ".join(errors) or "(no message)"
    prefix = f"{where}: " if where else ""
    for pattern in _NO_MATCH_RES:
        match = pattern.search(stderr)
        if match:
            req = match.group(1)
            top = {canonicalize_name(Requirement(r).name) for r in requirements}
            try:
                role = ("" if canonicalize_name(Requirement(req).name) in top
                        else " (a dependency of the recipe's requirements)")
            except ValueError:
                role = ""
            return BuildError(
                f"{prefix}no wheel for {target.label} (Python {target.minor_version}, abi "
                f"{target.abi}) satisfies {req}{role} on {index_url}; pip says: {pip_says}")
    return BuildError(f"{prefix}pip could not resolve the wheels for {target.label} from "
                      f"{index_url}; pip says: {pip_says}")


def _report_sha256(item: dict[str, Any]) -> str | None:
    archive = item.get("download_info", {}).get("archive_info", {})
    hashes = archive.get("hashes") or {}
    if "sha256" in hashes:
        return str(hashes["sha256"]).lower()
    algo, _, value = str(archive.get("hash", "")).partition("=")
    return value.lower() if algo == "sha256" and value else None


def _hash_url(url: str, label: str) -> str:
    """sha256 of a file the index gave no hash for (downloaded into a temporary folder)."""
    from .artifacts import ArtifactStore

    with tempfile.TemporaryDirectory(prefix="choconsis-hash-") as tmp:
        result = ArtifactStore(cache_dir=Path(tmp)).download(url, label=label)
        result.path.unlink(missing_ok=True)
        return result.sha256


def wheels_from_report(report: dict[str, Any], where: str = "") -> tuple[LockedWheel, ...]:
    """The locked wheels of a pip installation report, in pip's install order."""
    prefix = f"{where}: " if where else ""
    if str(report.get("version")) != "1":
        raise BuildError(f"{prefix}pip wrote a report of version {report.get('version')!r}; "
                         "choconsis reads version 1")
    wheels = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        name = canonicalize_name(meta.get("name", ""))
        version = meta.get("version", "")
        url = urldefrag(item.get("download_info", {}).get("url", "")).url
        filename = url_filename(url)
        if not (name and version and filename.endswith(".whl")):
            raise BuildError(f"{prefix}pip chose {name or '?'} {version} from {url or '?'}, "
                             "which is not a wheel")
        sha256 = _report_sha256(item) or _hash_url(url, f"{name} {version}")
        wheels.append(LockedWheel(name, version, sha256, filename, url))
    if not wheels:
        raise BuildError(f"{prefix}pip resolved no wheel at all")
    return tuple(wheels)


def resolve_lock(recipe: "Recipe", *, index_url: str | None = None) -> Lock:
    """Resolve every wheel the recipe's [pip] requirements need on its Windows target."""
    target = Target.of(recipe)
    index = index_url or recipe.pip.index_url
    report = run_pip_report(target, recipe.pip.requirements, index, where=recipe.source)
    # sorted by name, as the lock file lists them: a lock read back equals the one resolved
    wheels = tuple(sorted(wheels_from_report(report, recipe.source), key=lambda w: w.name))
    return Lock(python_tag=target.python_tag, platform=target.platform,
                requirements=tuple(recipe.pip.requirements), index_url=index, wheels=wheels,
                source=str(recipe.lock_path or "<lock>"))


def lock_recipe(recipe: "Recipe", *, index_url: str | None = None) -> Lock:
    """Resolve and write the recipe's lock beside it (atomically; nothing written on failure)."""
    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path (not loaded from a file)")
    lock = resolve_lock(recipe, index_url=index_url)
    write_lock(recipe.lock_path, lock, recipe.name)
    return lock


def fetch_wheels(lock: Lock, store: "ArtifactStore", *,
                 workers: int = FETCH_WORKERS) -> list[Path]:
    """Every locked wheel as a verified local file, in lock order, fetched concurrently.

    The first failure (download error, sha256 mismatch) cancels what has not started and is
    raised; files already verified stay in the cache.
    """
    if not lock.wheels:
        return []
    store.session  # noqa: B018 - create the shared session once, before the threads start
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(lock.wheels))),
                            thread_name_prefix="choconsis-wheel") as pool:
        futures = [pool.submit(store.fetch_url, w.url, w.sha256, w.filename, w.name)
                   for w in lock.wheels]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise
