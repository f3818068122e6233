"""Resolving a Python 3 target's wheels with uv (PyPI's ``uv``, a build dependency).

    uv pip compile --no-config --python-platform x86_64-pc-windows-msvc --python-version 3.14.7
        --only-binary :all: --generate-hashes --index-url URL --format pylock.toml -o OUT REQS

``--python-platform`` and ``--python-version`` make uv resolve for the Windows target itself:
wheel tags, Requires-Python and environment markers all take the target's values, which pip
needed a shim into its internals for (:mod:`.pipshim`, kept for Python 2 targets, which uv
does not resolve for). ``--format pylock.toml`` (uv 0.6.15 and later) writes PEP 751; uv lists
every wheel of a package that fits the platform, and :mod:`.pylock` keeps the one the target
ranks first. Isolation as for pip: ``--no-config`` (no uv.toml or pyproject settings) and no
``UV_*`` variable but the cache folder, so the lock comes from the recipe's index only.

[pip] provided needs the dependency graph, which uv's pylock.toml does not hold: uv then also
writes its requirements.txt output (from its cache: no second download), whose ``# via``
annotations name who needs each package.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Iterable

from packaging.utils import canonicalize_name

from .. import ui
from ..errors import BuildError, ChoconsisError, RecipeError
from ..recipe.target import Target
from .diagnose import explain_no_match
from .lockfile import LockedWheel
from .pylock import PylockError, package_file
from .scripts import requirement_names

UV_TIMEOUT = 900.0  # seconds for the whole resolution
UV_PLATFORM = {"win_amd64": "x86_64-pc-windows-msvc", "win32": "i686-pc-windows-msvc",
               "win_arm64": "aarch64-pc-windows-msvc"}
KEEP_UV_VARIABLES = {"UV_CACHE_DIR"}  # where the cache is, not what is resolved


def uv_binary() -> str:
    """The uv program of the ``uv`` Python package installed with choconsis."""
    try:
        from uv import find_uv_bin
    except ImportError:
        raise BuildError(f"the uv package is not installed for {sys.executable}; it resolves "
                         "the wheels of a Python 3 lock (pip install uv)") from None
    try:
        return find_uv_bin()
    except FileNotFoundError as err:
        raise BuildError(f"the uv package of {sys.executable} has no uv program: {err}") from None


def uv_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without uv settings (proxies and CA bundles stay)."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.upper().startswith("UV_") or k.upper() in KEEP_UV_VARIABLES}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def uv_args(target: Target, requirements_in: Path, index_url: str, output: Path,
            fmt: str = "pylock.toml") -> list[str]:
    """The command line (after ``uv``) that resolves the requirements file for ``target``."""
    if target.platform not in UV_PLATFORM:
        raise BuildError(f"uv cannot resolve for the platform {target.platform}")
    hashes = ["--generate-hashes"] if fmt == "pylock.toml" else []  # the other: the graph only
    # --python: this interpreter, only so that uv does not search the machine for one (that
    # search took ~10 s of a 12 s lock here); the target's version is --python-version's
    return ["pip", "compile", "--no-config", "--python", sys.executable,
            "--python-platform", UV_PLATFORM[target.platform],
            "--python-version", target.python_version, "--only-binary", ":all:",
            *hashes, "--index-url", index_url, "--format", fmt,
            "--no-header", "--annotation-style", "line", "--no-progress", "--color", "never",
            "--output-file", str(output), str(requirements_in)]


def run_uv(target: Target, requirements: tuple[str, ...], index_url: str, fmt: str,
           where: str) -> str:
    """uv's output (pylock.toml or requirements.txt) for the requirements on ``target``."""
    uv = uv_binary()
    with tempfile.TemporaryDirectory(prefix="choconsis-lock-") as tmp:
        req_in = Path(tmp) / "requirements.in"
        req_in.write_text("".join(f"{r}\n" for r in requirements), encoding="utf-8")
        out = Path(tmp) / ("pylock.toml" if fmt == "pylock.toml" else "requirements.txt")
        cmd = [uv, *uv_args(target, req_in, index_url, out, fmt)]
        ui.detail(f"uv: {' '.join(cmd[1:])}")
        try:
            proc = subprocess.run(cmd, env=uv_environment(), cwd=tmp, capture_output=True,
                                  text=True, timeout=UV_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise BuildError(f"{where}: uv did not resolve the wheels for {target.label} from "
                             f"{index_url} within {UV_TIMEOUT:.0f} s") from None
        if proc.returncode != 0 or not out.is_file():
            raise _resolution_error(proc.stderr, target, requirements, index_url, where)
        return out.read_text(encoding="utf-8")


_NOT_FOUND_RE = re.compile(r"\b([A-Za-z0-9][\w.-]*) was not found in the package registry")
_NO_WHEELS_RE = re.compile(r"\b([A-Za-z0-9][\w.-]*)(==[^\s,]+)? has no (?:usable )?wheels")
_NO_PYTHON_RE = re.compile(r"\b([A-Za-z0-9][\w.-]*)(==[^\s,]+) depends on Python")
_NO_VERSION_RE = re.compile(r"there is no version of ([A-Za-z0-9][\w.-]*)(\S*)")


def _uv_says(stderr: str) -> str:
    lines = [ln.strip(" ×╰─▶│") for ln in stderr.splitlines()]
    return " | ".join(ln for ln in lines if ln) or "(no message)"


def _requirement_text(name: str, spec: str, stderr: str, requirements: tuple[str, ...]) -> str:
    """The requirement uv found no file for, with its version range where uv names one."""
    key = canonicalize_name(name)
    for req, top in zip(requirements, requirement_names(requirements)):
        if top == key:
            return req
    if spec:
        return name + spec
    m = re.search(rf"depends? on {re.escape(name)}([^\s,]*)", stderr, re.I)
    return name + (m.group(1) if m else "")


def _resolution_error(stderr: str, target: Target, requirements: tuple[str, ...],
                      index_url: str, where: str) -> ChoconsisError:
    """A requirement uv found no file for is explained from the index
    (:func:`.diagnose.explain_no_match`); else uv's own words."""
    uv_says = _uv_says(stderr)
    for pattern in (_NOT_FOUND_RE, _NO_WHEELS_RE, _NO_PYTHON_RE, _NO_VERSION_RE):
        m = pattern.search(stderr)
        if m:
            spec = (m.group(2) or "") if pattern.groups > 1 else ""
            text = _requirement_text(m.group(1), spec, stderr, requirements)
            return explain_no_match(text, requirements, target, index_url, where, uv_says,
                                    tool="uv")
    prefix = f"{where}: " if where else ""
    return BuildError(f"{prefix}uv could not resolve the wheels for {target.label} from "
                      f"{index_url}; uv says: {uv_says}")


def _files(text: str, target: Target, where: str) -> list[LockedWheel]:
    try:
        data = tomllib.loads(text)
        packages = data["packages"]
        return [package_file(p, i, target) for i, p in enumerate(packages, 1)]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, PylockError) as err:
        raise BuildError(f"{where}: uv wrote a pylock.toml choconsis cannot read: "
                         f"{err}") from None


_LINE_RE = re.compile(r"([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?==\S+\s*#\s*via\s+(.*)")


def needed_without(requirements_txt: str, requirements: Iterable[str],
                   provided: Iterable[str]) -> set[str]:
    """Names a resolution needs when ``provided`` are installed by another installer: what the
    requirements reach through uv's ``# via`` annotations without entering a provided one."""
    needs: dict[str, set[str]] = {}
    for line in requirements_txt.splitlines():
        m = _LINE_RE.match(line.strip())
        if not m:
            continue
        for parent in m.group(2).split(","):
            parent = parent.strip()
            if parent and not parent.startswith("-"):
                parent = re.split(r"[\[\s]", parent)[0]
                needs.setdefault(canonicalize_name(parent), set()).add(
                    canonicalize_name(m.group(1)))
    skip = {canonicalize_name(p) for p in provided}
    todo = [n for n in requirement_names(tuple(requirements)) if n not in skip]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name in skip:
            continue
        seen.add(name)
        todo.extend(needs.get(name, ()))
    return seen


def resolve_with_uv(target: Target, requirements: tuple[str, ...], index_url: str,
                    provided: tuple[str, ...] = (), where: str = "") -> tuple[LockedWheel, ...]:
    """Every wheel the requirements need on ``target``, one per project, sorted by name."""
    if target.allows_sdists:
        raise RecipeError(where, "python.version", "uv resolves for Python 3 targets; a "
                          "Python 2 lock is resolved with pip")
    files = _files(run_uv(target, requirements, index_url, "pylock.toml", where), target, where)
    if provided:
        graph = run_uv(target, requirements, index_url, "requirements.txt", where)
        needed = needed_without(graph, requirements, provided)
        files = [f for f in files if f.name in needed]
    if not files:
        raise BuildError(f"{where}: uv resolved no wheel at all")
    return tuple(sorted(files, key=lambda w: w.name))
