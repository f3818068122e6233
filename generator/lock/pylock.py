"""A recipe's lock as a PEP 751 lock file (``pylock.<recipe name>.toml``), read into and written
from the same :class:`~.lockfile.Lock` the plan uses.

The standard part names every package with its version and the one file the Windows target
installs (``wheels`` with ``name``, ``url`` and ``hashes.sha256``; an ``sdist`` table only where
a legacy target pins a source archive), the target as ``environments`` and ``requires-python``.
What PEP 751 has no key for stays under ``[tool.choconsis]``: the target's tag and platform,
the recipe's requirements, index and ``[pip] provided``, the uv wheel that installs the lock at
install time (pinned like the others, not itself installed) and the commands read from the
wheels (:mod:`.scripts`: ``console-scripts`` names them by dist, ``command-kinds`` gives the
kind of each that is not a console_scripts entry point). A lock file made by another tool (uv
lists every wheel that fits any platform) is read too when it has that table: of several wheels,
the one the target ranks first is taken.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import tomlkit
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name

from ..errors import RecipeError
from ..recipe.target import Target, marker_environment
from ..wheelfiles import KINDS
from .lockfile import Lock, LockedWheel

LOCK_VERSION = "1.0"
CREATED_BY = "choconsis"
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_SCRIPT_RE = re.compile(r"[^\s=,]+")
_TAG_RE = re.compile(r"cp(\d)(\d+)")


def _target(python_tag: str, platform: str) -> Target:
    m = _TAG_RE.fullmatch(python_tag)
    if not m:
        raise ValueError(python_tag)
    return Target(f"{m.group(1)}.{m.group(2)}", platform)


def environment_marker(target: Target) -> str:
    """The one environment a lock is for, as a PEP 508 marker."""
    env = marker_environment(target)
    keys = ("sys_platform", "platform_machine", "implementation_name", "python_version")
    return " and ".join(f"{k} == '{env[k]}'" for k in keys if env[k])


def _file(w: LockedWheel) -> Any:
    table = tomlkit.inline_table()
    table.update({"name": w.filename, "url": w.url, "hashes": {"sha256": w.sha256}})
    return table


def format_pylock(lock: Lock, recipe_name: str = "") -> str:
    """The lock as PEP 751 TOML (packages sorted by name, so equal locks are equal bytes)."""
    target = _target(lock.python_tag, lock.platform)
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"choconsis lock{' of ' + recipe_name if recipe_name else ''}: made "
                            "by 'choconsis lock'; edit the recipe, not this file"))
    doc.add("lock-version", LOCK_VERSION)
    doc.add("created-by", CREATED_BY)
    doc.add("requires-python", f"=={target.minor_version}.*")
    doc.add("environments", [environment_marker(target)])
    tool = tomlkit.table()
    tool.add("target", tomlkit.inline_table())
    tool["target"].update({"python-tag": lock.python_tag, "platform": lock.platform})
    tool.add("index-url", lock.index_url)
    tool.add("requirements", _multiline(list(lock.requirements)))
    if lock.provided:
        tool.add("provided", list(lock.provided))
    if lock.installer is not None:
        w = lock.installer
        tool.add("installer", tomlkit.inline_table())
        tool["installer"].update({"name": w.name, "version": w.version,
                                  "wheel": _file(w)})
    if lock.console_scripts is not None:
        scripts = tomlkit.table()
        for dist, names in sorted(lock.console_scripts.items()):
            scripts.add(dist, list(names))
        tool.add("console-scripts", scripts)
    if lock.command_kinds:  # the commands that are not console_scripts entry points
        kinds = tomlkit.table()
        for name, kind in sorted(lock.command_kinds.items()):
            kinds.add(name, kind)
        tool.add("command-kinds", kinds)
    outer = tomlkit.table(is_super_table=True)
    outer.add("choconsis", tool)
    doc.add("tool", outer)
    packages = tomlkit.aot()
    for w in sorted(lock.wheels, key=lambda w: w.name):
        pkg = tomlkit.table()
        pkg.update({"name": w.name, "version": w.version, "index": lock.index_url})
        if w.filename.endswith(".whl"):
            wheels = tomlkit.array()
            wheels.append(_file(w))
            pkg.add("wheels", wheels)
        else:
            pkg.add("sdist", _file(w))
        packages.append(pkg)
    doc.add("packages", packages)
    return tomlkit.dumps(doc)


def _multiline(items: list[str]) -> Any:
    array = tomlkit.array()
    array.extend(items)
    return array.multiline(len(items) > 1)


class PylockError(Exception):
    """A problem with a lock file; its text names where in the file."""


def _str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise PylockError(f"{where}{key}: expected a string")
    return value


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PylockError(f"{where}{key}: expected a list of strings")
    return tuple(value)


def _locked_file(name: str, version: str, entry: Any, where: str) -> LockedWheel:
    if not isinstance(entry, dict):
        raise PylockError(f"{where}: expected a table")
    url = _str(entry, "url", where + ".")
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256.lower()):
        raise PylockError(f"{where}: no sha256 in hashes (every file is pinned by its sha256)")
    filename = entry.get("name") or unquote(PurePosixPath(urlsplit(url).path).name)
    if not isinstance(filename, str) or not filename:
        raise PylockError(f"{where}.name: expected a file name")
    return LockedWheel(name, version, sha256.lower(), filename, url)


def _rank(filename: str, target: Target) -> int | None:
    """Where the wheel's best tag comes in the target's order (None: not for the target)."""
    parts = filename[:-len(".whl")].split("-")
    if len(parts) < 5:
        return None
    order = {tag: i for i, tag in enumerate(target.tag_list)}
    ranks = [order[t] for t in parse_tag("-".join(parts[-3:])) if t in order]
    return min(ranks) if ranks else None


def package_file(pkg: Any, i: int, target: Target) -> LockedWheel:
    """The file the target installs of ``packages[i]``: of several wheels the one whose tag
    the target ranks first, else its sdist."""
    where = f"packages[{i}]"
    if not isinstance(pkg, dict):
        raise PylockError(f"{where}: expected a table")
    name = canonicalize_name(_str(pkg, "name", where + "."))
    where = f"packages[{i}] ({name})"
    version = _str(pkg, "version", where + ": ")
    wheels = pkg.get("wheels")
    if wheels is not None:
        if not isinstance(wheels, list) or not wheels:
            raise PylockError(f"{where}: wheels: expected a list of tables")
        files = [_locked_file(name, version, w, f"{where}: wheels[{j}]")
                 for j, w in enumerate(wheels, 1)]
        ranked = [(r, f) for f in files if (r := _rank(f.filename, target)) is not None]
        if ranked:
            return min(ranked, key=lambda rf: rf[0])[1]
        if "sdist" not in pkg:
            raise PylockError(f"{where}: no wheel for {target.label} "
                       f"({', '.join(f.filename for f in files)})")
    if "sdist" in pkg:
        return _locked_file(name, version, pkg["sdist"], f"{where}: sdist")
    raise PylockError(f"{where}: neither wheels nor an sdist (choconsis installs files from "
                      "an index)")


def _console_scripts(tool: dict[str, Any]) -> dict[str, tuple[str, ...]] | None:
    table = tool.get("console-scripts")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise PylockError("tool.choconsis.console-scripts: expected a table")
    out = {}
    for dist, names in table.items():
        names = _strings(table, dist, "tool.choconsis.console-scripts.")
        bad = [n for n in names if not _SCRIPT_RE.fullmatch(n)]
        if bad:
            raise PylockError(f"tool.choconsis.console-scripts.{dist}: not a command name: "
                              f"{bad[0]!r}")
        out[canonicalize_name(dist)] = names
    return out


def _command_kinds(tool: dict[str, Any]) -> dict[str, str]:
    table = tool.get("command-kinds", {})
    if not isinstance(table, dict):
        raise PylockError("tool.choconsis.command-kinds: expected a table")
    for name, kind in table.items():
        if kind not in KINDS:
            raise PylockError(f"tool.choconsis.command-kinds.{name}: expected one of "
                              f"{', '.join(KINDS)}, found {kind!r}")
    return dict(table)


def _lock(data: dict[str, Any], source: str) -> Lock:
    version = data.get("lock-version")
    if not isinstance(version, str) or version.split(".")[0] != LOCK_VERSION.split(".")[0]:
        raise PylockError(f"lock-version {version!r}: choconsis reads PEP 751 lock-version "
                   f"{LOCK_VERSION}")
    tool = data.get("tool", {}).get("choconsis") if isinstance(data.get("tool"), dict) else None
    if not isinstance(tool, dict):
        raise PylockError("no [tool.choconsis] table (not made by 'choconsis lock')")
    where = "tool.choconsis."
    target_table = tool.get("target")
    if not isinstance(target_table, dict):
        raise PylockError(f"{where}target: expected a table with python-tag and platform")
    tag = _str(target_table, "python-tag", where + "target.")
    platform = _str(target_table, "platform", where + "target.")
    try:
        target = _target(tag, platform)
    except ValueError:
        raise PylockError(f"{where}target.python-tag: expected cpXY, found {tag!r}") from None
    installer = None
    if "installer" in tool:
        inst = tool["installer"]
        if not isinstance(inst, dict):
            raise PylockError(f"{where}installer: expected a table")
        installer = _locked_file(canonicalize_name(_str(inst, "name", where + "installer.")),
                                 _str(inst, "version", where + "installer."),
                                 inst.get("wheel"), f"{where}installer.wheel")
    packages = data.get("packages")
    if not isinstance(packages, list) or not packages:
        raise PylockError("packages: the lock pins no package")
    wheels = tuple(sorted((package_file(p, i, target) for i, p in enumerate(packages, 1)),
                          key=lambda w: w.name))
    return Lock(tag, platform, _strings(tool, "requirements", where),
                _str(tool, "index-url", where), wheels, source,
                _strings(tool, "provided", where), installer, _console_scripts(tool),
                command_kinds=_command_kinds(tool))


def parse_pylock(text: str, source: str = "<pylock>") -> Lock:
    """Read a PEP 751 lock file into a :class:`Lock`, or one :class:`RecipeError` naming
    the file and the problem."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        raise RecipeError(source, None, f"not valid TOML: {err}") from None
    try:
        return _lock(data, source)
    except PylockError as bad:
        raise RecipeError(source, None, str(bad)) from None
