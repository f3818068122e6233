"""Wheels: resolve a recipe's requirements for its Windows target, lock them, fetch them.

Resolution is pip's own resolver, run on the build machine as a subprocess of this interpreter:

    pip install --dry-run --ignore-installed --report FILE --only-binary=:all:
        --platform win_amd64 --python-version 3.14 --implementation cp --abi cp314
        --target TMP --index-url URL REQS...

``--dry-run`` with ``--report`` (pip 22.2; report format stable since pip 23.0) names every
package with its version, download URL and the index's sha256 without installing anything; for
wheels that only the index's metadata files (PEP 658) are needed for, nothing is downloaded.

Things pip does not do by itself, and this module adds through a small shim (:data:`_PIP_SHIM`)
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

from ..errors import BuildError, RecipeError
from .lockfile import Lock, LockedWheel, write_lock
from ..recipe import url_filename

if TYPE_CHECKING:  # pragma: no cover
    from ..payload.store import ArtifactStore
    from ..recipe import Recipe

MIN_PIP = Version("23.0")  # --dry-run --report with a stable report format
PIP_TIMEOUT = 900.0  # seconds for the whole resolution
PIP_NET_TIMEOUT = "60"  # pip's own per-request timeout
FETCH_WORKERS = 6

# Runs as ``python -c _PIP_SHIM CONFIG_JSON pip-args...``, then calls pip's own entry point.
# Always: the target's marker environment replaces the build machine's in pip's vendored
# packaging, and ``install`` checks distributions' Requires-Python against --python-version as
# ``download`` does (pip's install command leaves the resolver on this interpreter's version).
# With "target" in the config (a target whose lock may pin sdists, Target.allows_sdists):
# * pip accepts --platform/--python-version/--abi without --only-binary=:all: (its guard,
#   cmdoptions.check_dist_restriction, is there because an sdist built here need not build the
#   same way on the target; for a Python 2 target pip 19 builds it there at install time);
# * get_supported() without arguments (pip's wheel-cache lookups) answers the target's tags,
#   not this machine's, so no wheel built here stands in for an sdist;
# * when building an sdist's metadata fails on this Python (functools32's setup.py exits on
#   Python 3), its PKG-INFO is used if that file is the whole truth about its dependencies:
#   Metadata-Version 2.2+ with Requires-Dist and Requires-Python static (PEP 643), or a
#   distutils-only setup.py that names no install_requires/extras_require.
_PIP_SHIM = """\
import email.parser, json, os, re, sys
_config = json.loads(sys.argv[1])
from pip._vendor.packaging import markers
markers.default_environment = lambda: dict(_config["markers"])
from pip._internal.cli.req_command import RequirementCommand
_make_resolver = RequirementCommand.make_resolver.__func__
def _make_resolver_for_target(cls, *args, **kwargs):
    options = kwargs.get("options")
    if kwargs.get("py_version_info") is None and options is not None:
        kwargs["py_version_info"] = options.python_version
    return _make_resolver(cls, *args, **kwargs)
RequirementCommand.make_resolver = classmethod(_make_resolver_for_target)
_target = _config.get("target")
if _target:
    from pip._internal.utils import compatibility_tags
    _get_supported = compatibility_tags.get_supported
    def _target_tags(version=None, platforms=None, impl=None, abis=None):
        return _get_supported(version or _target["version"], platforms or [_target["platform"]],
                              impl or "cp", abis or [_target["abi"]])
    compatibility_tags.get_supported = _target_tags
    from pip._internal.cli import cmdoptions
    cmdoptions.check_dist_restriction = lambda options, check_target=False: None
    from pip._internal.distributions.sdist import SourceDistribution
    from pip._internal.exceptions import InstallationSubprocessError

    def _read(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return None

    def _static_pkg_info(source):
        text = _read(os.path.join(source, "PKG-INFO"))
        if text is None:
            return None
        headers = email.parser.HeaderParser().parsestr(text)
        try:
            version = tuple(int(p) for p in headers.get("Metadata-Version", "").split("."))
        except ValueError:
            return None
        if version >= (2, 2):
            dynamic = {d.strip().lower() for d in headers.get_all("Dynamic") or []}
            return None if dynamic & {"requires-dist", "requires-python"} else text
        setup_py = _read(os.path.join(source, "setup.py")) or ""
        setup_cfg = _read(os.path.join(source, "setup.cfg")) or ""
        distutils_only = ("distutils" in setup_py and "setuptools" not in setup_py
                          and not os.path.exists(os.path.join(source, "pyproject.toml")))
        declares = re.compile(r"install_requires|extras_require|requires_dist")
        if distutils_only and not declares.search(setup_py + setup_cfg):
            return text
        return None

    def _metadata_dir(source, text):
        headers = email.parser.HeaderParser().parsestr(text)
        stem = re.sub(r"[^A-Za-z0-9.]+", "_", headers["Name"]) + "-" + headers["Version"]
        path = os.path.join(source, "choconsis-pkg-info", stem + ".dist-info")
        os.makedirs(path)
        with open(os.path.join(path, "METADATA"), "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    _prepare = SourceDistribution.prepare_distribution_metadata
    def _prepare_or_pkg_info(self, *args, **kwargs):
        try:
            return _prepare(self, *args, **kwargs)
        except InstallationSubprocessError:
            source = self.req.unpacked_source_directory
            text = _static_pkg_info(source)
            if text is None:
                sys.stderr.write(
                    "ERROR: choconsis: the metadata of %s %s (%s) could not be built on Python "
                    "%d.%d, and its PKG-INFO does not settle its dependencies (that needs "
                    "Metadata-Version 2.2+ with static Requires-Dist, or a distutils-only "
                    "setup.py)\\n" % (self.req.name, self.req.link.filename, self.req.link,
                                       sys.version_info[0], sys.version_info[1]))
                raise
            self.req.metadata_directory = _metadata_dir(source, text)
            self.req.assert_source_matches_version()
            sys.stderr.write("choconsis: metadata of %s from its PKG-INFO\\n" % self.req.link)
    SourceDistribution.prepare_distribution_metadata = _prepare_or_pkg_info
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

    @property
    def allows_sdists(self) -> bool:
        """May the lock pin source archives where the target has no wheel? Python 2 only.

        Many of the last Python 2 releases were published as sdists only (PrettyTable 0.7.2,
        warlock 1.3.3, functools32), and the 2.7 runtime's pip (19.2.3) builds pure-Python
        sdists at install time. Current targets stay wheels-only: an sdist there may need a
        compiler the target lacks, so a missing wheel is an error naming the requirement.
        """
        return self.version.startswith("2.")

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


def shim_config(target: Target) -> dict[str, Any]:
    """What :data:`_PIP_SHIM` makes pip believe about the target (its first argument)."""
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
        cmd = [sys.executable, "-c", _PIP_SHIM, json.dumps(shim_config(target)),
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
            files = "wheel or source archive" if target.allows_sdists else "wheel"
            return BuildError(
                f"{prefix}no {files} for {target.label} (Python {target.minor_version}, abi "
                f"{target.abi}) satisfies {req}{role} on {index_url}; pip says: {pip_says}")
    files = "wheels and source archives" if target.allows_sdists else "wheels"
    return BuildError(f"{prefix}pip could not resolve the {files} for {target.label} from "
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
    from ..payload.store import ArtifactStore

    with tempfile.TemporaryDirectory(prefix="choconsis-hash-") as tmp:
        result = ArtifactStore(cache_dir=Path(tmp)).download(url, label=label)
        result.path.unlink(missing_ok=True)
        return result.sha256


SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


def wheels_from_report(report: dict[str, Any], where: str = "", *,
                       allow_sdists: bool = False) -> tuple[LockedWheel, ...]:
    """The locked files of a pip installation report, in pip's install order.

    Wheels only, unless ``allow_sdists`` (a target whose lock may pin source archives).
    """
    prefix = f"{where}: " if where else ""
    allowed = (".whl", *SDIST_SUFFIXES) if allow_sdists else (".whl",)
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
        if not (name and version and filename.endswith(allowed)):
            what = "neither a wheel nor a source archive" if allow_sdists else "not a wheel"
            raise BuildError(f"{prefix}pip chose {name or '?'} {version} from {url or '?'}, "
                             f"which is {what}")
        sha256 = _report_sha256(item) or _hash_url(url, f"{name} {version}")
        wheels.append(LockedWheel(name, version, sha256, filename, url))
    if not wheels:
        raise BuildError(f"{prefix}pip resolved no wheel at all")
    return tuple(wheels)


def _requires(item: dict[str, Any], extras: frozenset[str],
              env: dict[str, str]) -> Iterable[tuple[str, frozenset[str]]]:
    """(name, extras) of what a report item needs on the target with ``extras`` requested."""
    for text in item.get("metadata", {}).get("requires_dist", []) or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({**env, "extra": extra})
                                     for extra in ("", *sorted(extras))):
            yield canonicalize_name(req.name), frozenset(req.extras)


def needed_without(report: dict[str, Any], provided: Iterable[str],
                   env: dict[str, str]) -> set[str]:
    """Names in the report that the requested packages need when ``provided`` are installed.

    Walks Requires-Dist (markers evaluated in the target's environment ``env``, extras carried
    along) from the requested packages without entering a provided one: what is reached only
    through a provided package is not needed, what another package also needs stays.
    """
    items = {canonicalize_name(i.get("metadata", {}).get("name", "")): i
             for i in report.get("install", [])}
    skip = {canonicalize_name(p) for p in provided}
    todo = [(name, frozenset(canonicalize_name(e) for e in item.get("requested_extras", [])))
            for name, item in items.items() if item.get("requested")]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        state = todo.pop()
        name, extras = state
        if name in skip or name not in items or state in seen:
            continue
        seen.add(state)
        todo.extend(_requires(items[name], extras, env))
    return {name for name, _ in seen}


def _check_provided(recipe: "Recipe") -> None:
    """Refuse a [pip] provided package that [pip] requirements also ask pip to install."""
    provided = {canonicalize_name(p) for p in recipe.pip.provided}
    asked = {canonicalize_name(Requirement(r).name) for r in recipe.pip.requirements}
    if provided & asked:
        raise RecipeError(recipe.source, "pip.provided",
                          f"{', '.join(sorted(provided & asked))} is both provided by an "
                          "installer and in [pip] requirements; list it in one of them")


def _without_provided(report: dict[str, Any], recipe: "Recipe",
                      target: Target) -> dict[str, Any]:
    """The report without the recipe's [pip] provided packages and what only they need."""
    if not recipe.pip.provided:
        return report
    needed = needed_without(report, recipe.pip.provided, marker_environment(target))
    install = [i for i in report.get("install", [])
               if canonicalize_name(i.get("metadata", {}).get("name", "")) in needed]
    return {**report, "install": install}


def resolve_lock(recipe: "Recipe", *, index_url: str | None = None) -> Lock:
    """Resolve every file the recipe's [pip] requirements need on its Windows target.

    Wheels, and for a target that allows them (:attr:`Target.allows_sdists`) source archives
    where no wheel fits. Packages of [pip] provided, and what only they need, are left out.
    """
    _check_provided(recipe)
    target = Target.of(recipe)
    index = index_url or recipe.pip.index_url
    report = run_pip_report(target, recipe.pip.requirements, index, where=recipe.source)
    report = _without_provided(report, recipe, target)
    files = wheels_from_report(report, recipe.source, allow_sdists=target.allows_sdists)
    # sorted by name, as the lock file lists them: a lock read back equals the one resolved
    return Lock(python_tag=target.python_tag, platform=target.platform,
                requirements=tuple(recipe.pip.requirements), index_url=index,
                wheels=tuple(sorted(files, key=lambda w: w.name)),
                source=str(recipe.lock_path or "<lock>"),
                provided=tuple(recipe.pip.provided))


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
