"""A recipe's lock: every wheel the target needs, pinned by version and sha256.

The lock lives beside its recipe (``recipes/x.toml`` -> ``recipes/x.lock``) and is itself a pip
requirements file (``name==version --hash=sha256:...``), so the installed runtime's pip can use
it directly with ``--require-hashes``. Comment lines at the top record what the lock was made
for (target tag and platform, requirements, index); a comment under each entry records the
wheel's file name and URL, which offline builds and the SBOM use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from packaging.utils import canonicalize_name

from ..errors import RecipeError
from ..fileio import write_atomic
from ..wheelfiles import KINDS

if TYPE_CHECKING:  # pragma: no cover
    from ..recipe import Recipe

HEADER = "# choconsis lock"


@dataclass(frozen=True)
class LockedWheel:
    name: str  # canonical project name
    version: str
    sha256: str
    filename: str
    url: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Lock:
    python_tag: str  # cp314
    platform: str  # win_amd64 | win32
    requirements: tuple[str, ...]  # the recipe's top-level requirements, as written
    index_url: str
    wheels: tuple[LockedWheel, ...] = field(default=())
    source: str = "<lock>"
    # the recipe's [pip] provided: left out of the lock with what only they need
    provided: tuple[str, ...] = ()
    # [pip] installer = "uv": the uv wheel whose uv.exe installs the lock at install time
    # (pinned like the wheels; not itself installed into the app)
    installer: LockedWheel | None = None
    # The commands of the wheels read at lock time (lock/scripts.py), by dist: the
    # requirements' always, every wheel's when [install] commands names another's. A dist not
    # in it was not read; None: a lock made before choconsis recorded them. (Named after the
    # console scripts, the one kind older locks recorded.)
    console_scripts: Mapping[str, tuple[str, ...]] | None = field(default=None, hash=False)
    # the kind of each command that is not a console_scripts entry point (wheelfiles.KINDS):
    # gui, exe, script, batch; a lock made before kinds were recorded has none
    command_kinds: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # in memory only: some wheel whose scripts were wanted was not at hand (check reads the
    # cache alone), so a command missing from console_scripts is not proof of a mistake
    scripts_partial: bool = field(default=False, compare=False)

    @property
    def wheels_only(self) -> bool:
        """True when every pinned file is a wheel (no source archive to build)."""
        return all(w.filename.endswith(".whl") for w in self.wheels)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.wheels)

    def wheel(self, name: str) -> LockedWheel:
        key = canonicalize_name(name)
        for w in self.wheels:
            if w.name == key:
                return w
        raise KeyError(name)

    def check_matches(self, recipe: "Recipe") -> None:
        """Refuse a lock made for other requirements, another Python or another platform."""
        hint = f"run 'choconsis lock {recipe.source}' to make it again"
        want = (recipe.python.tag, recipe.python.platform)
        if (self.python_tag, self.platform) != want:
            raise RecipeError(self.source, None,
                              f"lock is for {self.python_tag} {self.platform}, the recipe "
                              f"targets {want[0]} {want[1]}; {hint}")
        if sorted(_norm(r) for r in self.requirements) != sorted(
                _norm(r) for r in recipe.pip.requirements):
            raise RecipeError(self.source, None,
                              f"lock was made for other requirements than [pip] requirements "
                              f"of the recipe; {hint}")
        provided = sorted(canonicalize_name(p) for p in recipe.pip.provided)
        locked = sorted(set(provided) & set(self.names))
        if locked or (self.provided and sorted(
                canonicalize_name(p) for p in self.provided) != provided):
            # a lock without a '# provided:' line is only stale if it pins a provided package
            raise RecipeError(self.source, None,
                              f"lock was made for other [pip] provided packages than the "
                              f"recipe's{' (it pins ' + ', '.join(locked) + ')' if locked else ''}"
                              f"; {hint}")
        if self.index_url.rstrip("/") != recipe.pip.index_url.rstrip("/"):
            raise RecipeError(self.source, None,
                              f"lock was made from {self.index_url}, the recipe uses "
                              f"{recipe.pip.index_url}; {hint}")
        for req in recipe.pip.requirements:
            name, _, version = req.partition("==")
            try:
                locked = self.wheel(name)
            except KeyError:
                raise RecipeError(self.source, None, f"{name} is not in the lock; {hint}") from None
            if locked.version != version.strip():
                raise RecipeError(self.source, None,
                                  f"lock has {locked.name}=={locked.version}, the recipe asks "
                                  f"for {req}; {hint}")
        if recipe.installer == "uv" and self.installer is None:
            raise RecipeError(self.source, None, "the lock pins no uv wheel, and the recipe's "
                              f"[pip] installer is uv; {hint}")


def _norm(req: str) -> str:
    name, _, version = req.partition("==")
    return f"{canonicalize_name(name)}=={version.strip()}"


def format_lock(lock: Lock, recipe_name: str = "") -> str:
    lines = [
        f"{HEADER}{' of ' + recipe_name if recipe_name else ''}: made by 'choconsis lock'; "
        "edit the recipe, not this file",
        f"# target: {lock.python_tag} {lock.platform}",
        f"# index: {lock.index_url}",
        "# requirements: " + " ".join(lock.requirements),
    ]
    if lock.provided:  # only then: locks without it keep their bytes
        lines.append("# provided: " + " ".join(lock.provided))
    if lock.installer is not None:
        w = lock.installer
        lines.append(f"# installer: {w.name}=={w.version} sha256:{w.sha256} {w.filename} {w.url}")
    if lock.console_scripts is not None:
        lines.append("# console-scripts: " + " ".join(
            f"{name}={','.join(names)}" for name, names in sorted(lock.console_scripts.items())))
    if lock.command_kinds:  # only then: locks of console scripts alone keep their bytes
        lines.append("# command-kinds: " + " ".join(
            f"{name}={kind}" for name, kind in sorted(lock.command_kinds.items())))
    for w in sorted(lock.wheels, key=lambda w: w.name):
        lines.append(f"{w.name}=={w.version} \\")
        lines.append(f"    --hash=sha256:{w.sha256}")
        lines.append(f"    # wheel: {w.filename} {w.url}")
    return "\n".join(lines) + "\n"


_ENTRY_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\")
_HASH_RE = re.compile(r"\s+--hash=sha256:([0-9a-f]{64})")
_WHEEL_RE = re.compile(r"\s+# wheel: (\S+) (\S+)")


def parse_lock(text: str, source: str = "<lock>") -> Lock:
    lines = text.splitlines()
    meta: dict[str, str] = {}
    wheels: list[LockedWheel] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        if not line.strip() or (line.startswith("#") and ":" not in line):
            i += 1
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
            i += 1
            continue
        entry = _ENTRY_RE.fullmatch(line)
        if not entry:
            raise RecipeError(source, f"line {lineno}", "expected 'name==version \\'")
        hash_m = _HASH_RE.fullmatch(lines[i + 1]) if i + 1 < len(lines) else None
        wheel_m = _WHEEL_RE.fullmatch(lines[i + 2]) if i + 2 < len(lines) else None
        if not hash_m or not wheel_m:
            raise RecipeError(source, f"line {lineno + 1}",
                              "expected '--hash=sha256:...' and '# wheel: FILE URL' lines")
        wheels.append(LockedWheel(canonicalize_name(entry.group(1)), entry.group(2),
                                  hash_m.group(1), wheel_m.group(1), wheel_m.group(2)))
        i += 3
    try:
        tag, platform = meta["target"].split()
        index_url = meta["index"]
        requirements = tuple(meta["requirements"].split())
    except (KeyError, ValueError):
        raise RecipeError(source, None,
                          "not a choconsis lock (missing '# target:', '# index:' or "
                          "'# requirements:' header)") from None
    if not wheels:
        raise RecipeError(source, None, "the lock pins no wheel")
    provided = tuple(meta.get("provided", "").split())
    installer = _installer(meta["installer"], source) if "installer" in meta else None
    scripts = (_console_scripts(meta["console-scripts"], source)
               if "console-scripts" in meta else None)
    kinds = (_command_kinds(meta["command-kinds"], source)
             if "command-kinds" in meta else {})
    return Lock(tag, platform, requirements, index_url, tuple(wheels), source, provided,
                installer, scripts, command_kinds=kinds)


def _command_kinds(value: str, source: str) -> dict[str, str]:
    """'# command-kinds: ruff=exe aws=script' -> {"ruff": "exe", "aws": "script"}."""
    out = {}
    for item in value.split():
        name, _, kind = item.rpartition("=")
        if not name or kind not in KINDS:
            raise RecipeError(source, "# command-kinds:",
                              f"expected 'COMMAND=KIND ...' (KIND one of {', '.join(KINDS)}), "
                              f"found {item!r}")
        out[name] = kind
    return out


_SCRIPTS_RE = re.compile(r"([a-z0-9][a-z0-9.-]*)=([^\s=,]+(?:,[^\s=,]+)*)?")


def _console_scripts(value: str, source: str) -> dict[str, tuple[str, ...]]:
    """'# console-scripts: dist=a,b other=' -> {dist: (a, b), other: ()}."""
    out: dict[str, tuple[str, ...]] = {}
    for item in value.split():
        m = _SCRIPTS_RE.fullmatch(item)
        if not m:
            raise RecipeError(source, "# console-scripts:",
                              f"expected 'DIST=SCRIPT,SCRIPT ...', found {item!r}")
        out[m.group(1)] = tuple(m.group(2).split(",")) if m.group(2) else ()
    return out


_INSTALLER_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) sha256:([0-9a-f]{64}) (\S+) (\S+)")


def _installer(value: str, source: str) -> LockedWheel:
    m = _INSTALLER_RE.fullmatch(value)
    if not m:
        raise RecipeError(source, "# installer:", "expected 'NAME==VERSION sha256:HEX FILE URL'")
    return LockedWheel(canonicalize_name(m.group(1)), m.group(2), m.group(3), m.group(4),
                       m.group(5))


def read_lock(path: Path) -> Lock:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        recipe = path.with_suffix(".toml")
        raise RecipeError(str(path), None,
                          f"no lock beside the recipe: run 'choconsis lock {recipe}'") from None
    return parse_lock(text, str(path))


def write_lock(path: Path, lock: Lock, recipe_name: str = "") -> None:
    write_atomic(path, format_lock(lock, recipe_name))
