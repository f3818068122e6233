"""``choconsis smoke``: install, run, check and uninstall a setup.exe in a fresh Wine prefix.

The phases, each timed and each made of named checks:

prefix      a copy of a cached clean prefix, and a snapshot of what uninstall must restore
            (Uninstall keys of both registry views and of HKCU, machine and user PATH with
            their types, the list of files under drive_c);
install     ``setup.exe /S`` exits 0 (3010/1641: success, reboot required); the install
            folder and the install log exist;
registry    one Add/Remove Programs entry with the recipe's version, uninstall commands and
            install location; the recipe's PATH entries prepended, every other character and
            the value type kept;
check       the recipe's check command, run as a user would run it: ``cmd /c`` with the PATH
            read from the registry (machine PATH, then user PATH). Wine cuts environment
            values it builds from the registry at about 1,011 characters; Windows does not,
            so the PATH is set explicitly instead of trusting Wine's inherited one;
uninstall   the registered QuietUninstallString, run with ``_?=`` (what the NSIS uninstaller
            passes to its own temporary copy) so that its real exit code comes back;
leftovers   no Uninstall entry, no install folder, PATH exactly as before, and the snapshot
            otherwise unchanged.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Callable, Iterable

from ..errors import BuildError
from .wine import (ENV_KEY, UNINSTALL_KEY, USER_ENV_KEY, RegKeyDump, RegValue, WinePrefix,
                   normalize_key)

REBOOT_CODES = (3010, 1641)
INSTALL_TIMEOUT = 1800.0
CHECK_TIMEOUT = 300.0

# Files Windows programs create and delete on their own: temporary folders, caches, logs.
VOLATILE_FILES = (
    "windows/temp/*",
    "users/*/temp/*",
    "users/*/appdata/local/temp/*",
    "windows/logs/*",
    # msiexec's cache of installed packages (made on first use; products are checked through
    # the Uninstall keys instead)
    "windows/installer",
    "windows/installer/*",
    # WinINet (used by web installers for downloads) keeps its cache, cookies and history
    "users/*/appdata/local/microsoft/windows/inetcache*",
    "users/*/appdata/local/microsoft/windows/inetcookies*",
    "users/*/appdata/local/microsoft/windows/history*",
    "users/*/appdata/roaming/microsoft/windows/recent/*",
    "windows/system32/config/*",
    # per-user caches that running the check command creates (stevedore, used by the
    # OpenStack clients, caches entry points there); user data of the program, not of setup
    "users/*/appdata/local/python entry points*",
    "windows/*.log",
    "*.tmp",
)

PATH_LOCATIONS = {"machine": ENV_KEY, "user": USER_ENV_KEY}
UNINSTALL_LOCATIONS = (  # (label, key, view)
    ("HKLM 64-bit", UNINSTALL_KEY, 64),
    ("HKLM 32-bit", UNINSTALL_KEY, 32),
    ("HKCU", r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall", 64),
)


# ---------------------------------------------------------------------------- the report


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    checks: list[Check] = field(default_factory=list)
    output: str = ""  # what the phase's program printed (kept for the report and tests)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


FAILED_OUTPUT_LINES = 40  # of a failed phase's output (e.g. the install log), in the report


@dataclass
class SmokeReport:
    setup_exe: Path
    package_id: str
    version: str
    phases: list[Phase] = field(default_factory=list)
    prefix: Path | None = None  # kept prefix, if any

    @property
    def ok(self) -> bool:
        """True only if there were checks and every one held."""
        checks = [c for p in self.phases for c in p.checks]
        return bool(checks) and all(c.ok for c in checks)

    def phase(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    def seconds(self, name: str) -> float:
        return self.phase(name).seconds

    @property
    def failures(self) -> list[str]:
        return [f"{p.name}: {c.name}" + (f" ({c.detail})" if c.detail else "")
                for p in self.phases for c in p.checks if not c.ok]

    def format(self) -> str:
        lines = [f"smoke test of {self.setup_exe.name} ({self.package_id} {self.version})"]
        for p in self.phases:
            mark = "ok  " if p.ok else "FAIL"
            lines.append(f"{mark} {p.name:<10} {p.seconds:7.1f} s")
            for c in p.checks:
                detail = f": {c.detail}" if c.detail else ""
                lines.append(f"       [{'x' if c.ok else ' '}] {c.name}{detail}")
            if not p.ok and p.output.strip():
                tail = p.output.strip().splitlines()[-FAILED_OUTPUT_LINES:]
                lines.append(f"       last {len(tail)} lines of what {p.name} printed or logged:")
                lines += ["       | " + line.rstrip() for line in tail]
        total = sum(p.seconds for p in self.phases)
        verdict = "PASSED" if self.ok else f"FAILED ({len(self.failures)} checks)"
        lines.append(f"{verdict} in {total:.1f} s")
        if self.prefix is not None:
            lines.append(f"Wine prefix kept in {self.prefix}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- snapshots


@dataclass(frozen=True)
class Snapshot:
    """What uninstall must give back exactly."""

    uninstall: dict[str, RegKeyDump]  # location label -> keys -> values
    path: dict[str, RegValue | None]  # scope -> PATH value (None: no value)
    files: frozenset[str]  # paths under drive_c, relative, '/'-separated


def is_volatile(rel: str, patterns: Iterable[str] = VOLATILE_FILES) -> bool:
    low = rel.lower()
    return any(fnmatch.fnmatchcase(low, pat) for pat in patterns)


def list_files(drive_c: Path) -> frozenset[str]:
    """Every file and folder under drive_c (symlinks not followed), minus volatile ones."""
    out: set[str] = set()
    for root, dirs, files in os.walk(drive_c):
        rel_root = os.path.relpath(root, drive_c)
        for name in (*dirs, *files):
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if not is_volatile(rel):
                out.add(rel)
    return frozenset(out)


def take_snapshot(prefix: WinePrefix) -> Snapshot:
    queries = [(key, view, True) for _label, key, view in UNINSTALL_LOCATIONS]
    queries += [(key, 64, False) for key in PATH_LOCATIONS.values()]
    answers = prefix.reg_query_many(queries)
    # The Uninstall key itself is created on first use and never removed: compare subkeys.
    uninstall = {label: {k: v for k, v in (answer or {}).items() if k != normalize_key(key)}
                 for (label, key, _view), answer in zip(UNINSTALL_LOCATIONS, answers)}
    path = {scope: (answer or {}).get(normalize_key(key), {}).get("path")
            for (scope, key), answer in zip(PATH_LOCATIONS.items(),
                                            answers[len(UNINSTALL_LOCATIONS):])}
    return Snapshot(uninstall, path, list_files(prefix.drive_c))


def diff_snapshots(before: Snapshot, after: Snapshot, limit: int = 12) -> list[str]:
    """Human-readable differences; empty when after restores before exactly."""
    diffs: list[str] = []
    for label in sorted(set(before.uninstall) | set(after.uninstall)):
        b, a = before.uninstall.get(label, {}), after.uninstall.get(label, {})
        for key in sorted(set(a) - set(b)):
            diffs.append(f"{label}: registry key added: {key}")
        for key in sorted(set(b) - set(a)):
            diffs.append(f"{label}: registry key removed: {key}")
        for key in sorted(set(a) & set(b)):
            if a[key] != b[key]:
                diffs.append(f"{label}: registry values changed under {key}")
    for scope in sorted(set(before.path) | set(after.path)):
        b_val, a_val = before.path.get(scope), after.path.get(scope)
        if b_val != a_val:
            diffs.append(f"{scope} PATH differs: {describe_change(b_val, a_val)}")
    added = sorted(after.files - before.files)
    removed = sorted(before.files - after.files)
    for kind, names in (("file added", added), ("file removed", removed)):
        for name in names[:limit]:
            diffs.append(f"{kind}: C:/{name}")
        if len(names) > limit:
            diffs.append(f"... and {len(names) - limit} more ({kind})")
    return diffs


def describe_change(before: RegValue | None, after: RegValue | None) -> str:
    if before is None or after is None:
        return f"{'absent' if before is None else before.type} -> " \
               f"{'absent' if after is None else after.type}"
    if before.type != after.type:
        return f"type {before.type} -> {after.type}"
    b, a = before.data, after.data
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return (f"{len(b)} -> {len(a)} characters, first difference at {i}: "
            f"{b[i:i + 40]!r} -> {a[i:i + 40]!r}")


# ---------------------------------------------------------------------------- PATH logic


def norm_dir(entry: str) -> str:
    """Compare PATH entries as Windows does: case-insensitive, trailing backslash ignored."""
    text = entry.strip().strip('"')
    return text.rstrip("\\").lower() if len(text) > 3 else text.lower()


def path_entries(value: str) -> list[str]:
    return [e for e in value.split(";") if e]


def expected_path(before: str | None, entries: Iterable[str]) -> str:
    """The PATH an install should write: missing entries prepended in order, the rest kept."""
    old = before or ""
    present = {norm_dir(e) for e in path_entries(old)}
    new: list[str] = []
    for entry in entries:
        if norm_dir(entry) not in present and norm_dir(entry) not in {norm_dir(n) for n in new}:
            new.append(entry)
    if not new:
        return old
    return ";".join(new) + (";" + old if old else "")


def check_path_after_install(phase: Phase, scope: str, before: RegValue | None,
                             after: RegValue | None, entries: list[str]) -> None:
    if not phase.check(f"{scope} PATH value exists", after is not None):
        return
    assert after is not None
    want = expected_path(before.data if before else None, entries)
    phase.check(f"{scope} PATH = recipe entries prepended, every other character kept",
                after.data == want,
                "" if after.data == want else describe_change(
                    RegValue("Path", after.type, want), after))
    if before is not None:
        phase.check(f"{scope} PATH keeps its type {before.type}", after.type == before.type,
                    after.type)
    else:
        phase.check(f"{scope} PATH is REG_EXPAND_SZ", after.type == "REG_EXPAND_SZ", after.type)


def effective_path(machine: RegValue | None, user: RegValue | None) -> str:
    """The PATH a new Windows process gets: machine PATH, then the user's."""
    parts = [v.data for v in (machine, user) if v is not None and v.data]
    return ";".join(parts)


def check_script(path_value: str, command: str) -> str:
    """A batch file that runs command with exactly this PATH (cmd expands %VARS% in it)."""
    return ("@echo off\r\n"
            f'set "PATH={path_value}"\r\n'
            f"{command}\r\n"
            "exit /b %ERRORLEVEL%\r\n")


# ---------------------------------------------------------------------------- uninstall command


def split_command(command: str) -> list[str]:
    """Split a registry command line: a quoted or unquoted program, then its arguments."""
    command = command.strip()
    if command.startswith('"'):
        end = command.find('"', 1)
        if end < 0:
            return [command.strip('"')]
        program, rest = command[1:end], command[end + 1:]
    else:
        match = re.match(r"(.*?\.exe)(\s.*)?$", command, re.I)
        program, rest = (match.group(1), match.group(2) or "") if match else (command, "")
    return [program, *shlex.split(rest, posix=False)]


def uninstall_args(quiet_uninstall: str) -> list[str]:
    """The registered quiet uninstall, run with ``_?=`` (its folder) for a real exit code.

    Without ``_?=`` an NSIS uninstaller copies itself to %TEMP%, starts the copy with
    ``_?=<its folder>`` and exits 0 at once; passing it ourselves is the same run, waited for.
    """
    args = split_command(quiet_uninstall)
    if not any(a.startswith("_?=") for a in args):
        args.append("_?=" + str(PureWindowsPath(args[0]).parent))
    return args


# ---------------------------------------------------------------------------- the run


@dataclass
class Target:
    """What the recipe says the installer does."""

    package_id: str
    version: str
    install_dir: str
    path_entries: list[str]
    path_scope: str
    check_command: str

    @classmethod
    def from_recipe(cls, recipe_arg: str | None, install_dir: str | None = None) -> "Target":
        from ..recipe import load_recipe, resolve_recipe_arg

        recipe = load_recipe(resolve_recipe_arg(recipe_arg))
        folder = install_dir or recipe.python.install_dir
        entries = [e.replace("{install_dir}", folder) for e in recipe.path.prepend]
        return cls(recipe.package.id, recipe.package.version, folder, entries,
                   recipe.path.scope, recipe.check.command)

    @property
    def reg_key(self) -> str:
        return f"{UNINSTALL_KEY}\\{self.package_id}"


def default_wine_cache() -> Path:
    from ..payload.store import default_cache_dir

    return default_cache_dir() / "wine"


def run_smoke(setup_exe: Path, *, recipe: str | None, keep_prefix: Path | None,
              prefix: WinePrefix | None = None, install_dir: str | None = None,
              wine_cache: Path | None = None, uninstall: bool = True,
              inspect: Callable[[WinePrefix], None] | None = None) -> SmokeReport:
    """Install, check and uninstall setup_exe under Wine; see the module docstring.

    ``prefix`` runs in an existing prefix (a test that prepared a long PATH) instead of a new
    copy of the cached template; ``install_dir`` passes ``/D=`` to the installer.
    ``uninstall=False`` stops after the check (the prefix then stays installed).
    ``inspect`` is called with the prefix after a successful check, before the uninstall:
    tests use it to look at (or install over) the installed state.
    """
    from .wine import copy_prefix, find_wine, template_prefix

    setup_exe = Path(setup_exe).resolve()
    if not setup_exe.is_file():
        raise BuildError(f"{setup_exe}: no such installer")
    tools = find_wine()
    target = Target.from_recipe(recipe, install_dir)
    report = SmokeReport(setup_exe, target.package_id, target.version)
    scratch: Path | None = None
    phase = Phase("prefix")
    report.phases.append(phase)
    start = time.monotonic()
    if prefix is None:
        template = template_prefix(wine_cache or default_wine_cache(), tools)
        if keep_prefix is not None:
            keep_prefix = Path(keep_prefix)
            if keep_prefix.exists() and any(keep_prefix.iterdir()):
                raise BuildError(f"{keep_prefix}: --keep-prefix needs a new or empty folder")
            if keep_prefix.exists():
                keep_prefix.rmdir()
            prefix = copy_prefix(template.path, keep_prefix, tools)
            report.prefix = prefix.path
        else:
            scratch = Path(tempfile.mkdtemp(prefix="choconsis-smoke-"))
            prefix = copy_prefix(template.path, scratch / "prefix", tools)
    try:
        _smoke_phases(prefix, setup_exe, target, report, phase, start, uninstall, inspect)
    finally:
        prefix.kill()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


def _smoke_phases(prefix: WinePrefix, setup_exe: Path, target: Target, report: SmokeReport,
                  phase: Phase, start: float, uninstall: bool,
                  inspect: Callable[[WinePrefix], None] | None) -> None:
    before = take_snapshot(prefix)
    folder = prefix.to_linux(target.install_dir)
    phase.check("install folder absent before install", not folder.exists(), str(folder))
    phase.check("no Add/Remove Programs entry before install",
                not _entries(before, target.package_id))
    phase.seconds = time.monotonic() - start

    if not _install(prefix, setup_exe, target, report):
        return
    _check_registry(prefix, target, before, report)
    _run_check(prefix, target, report)
    if inspect is not None and report.ok:
        inspect(prefix)
    if uninstall:
        _uninstall(prefix, target, before, report)


def _entries(snapshot: Snapshot, package_id: str) -> list[str]:
    suffix = "\\uninstall\\" + package_id.lower()
    return [f"{label}: {key}" for label, keys in snapshot.uninstall.items() for key in keys
            if key.lower().endswith(suffix)]


def read_log(path: Path) -> str:
    """An installer log as text: NSIS Unicode logs are UTF-16 with a BOM, others UTF-8."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def find_log(folder: Path, name: str) -> Path | None:
    if not folder.is_dir():
        return None
    return next((p for p in folder.rglob("*") if p.name.lower() == name.lower()), None)


def _install(prefix: WinePrefix, setup_exe: Path, target: Target, report: SmokeReport) -> bool:
    phase = Phase("install")
    report.phases.append(phase)
    args = [prefix.to_windows(setup_exe), "/S"]
    if target.install_dir:
        args.append("/D=" + target.install_dir)
    result = prefix.run(args, timeout=INSTALL_TIMEOUT)
    prefix.wait()
    phase.seconds = result.seconds
    phase.output = result.output
    code_ok = result.code == 0 or result.code in (c % 256 for c in REBOOT_CODES)
    detail = f"exit {result.code}" + (" (reboot required)" if result.code and code_ok else "")
    if result.timed_out:
        detail = f"timed out after {INSTALL_TIMEOUT:.0f} s"
    phase.check("setup.exe /S succeeded", code_ok and not result.timed_out, detail)
    folder = prefix.to_linux(target.install_dir)
    phase.check("install folder exists", folder.is_dir(), target.install_dir)
    log = find_log(folder, f"{target.package_id}-install.log")
    phase.check("install log written", log is not None,
                str(log.relative_to(prefix.drive_c)) if log else "not found")
    if not code_ok:
        temp_log = find_log(prefix.drive_c / "windows" / "temp",
                            f"{target.package_id}-install.log") or find_log(
            prefix.drive_c / "users", f"{target.package_id}-install.log")
        if temp_log is not None:
            phase.output += "\n--- install log ---\n" + read_log(temp_log)
    return phase.ok


def _check_registry(prefix: WinePrefix, target: Target, before: Snapshot,
                    report: SmokeReport) -> None:
    phase = Phase("registry")
    report.phases.append(phase)
    start = time.monotonic()
    now = take_snapshot(prefix)
    entries = _entries(now, target.package_id)
    phase.check("exactly one Add/Remove Programs entry", len(entries) == 1,
                "; ".join(entries) or "none")
    values = prefix.reg_query(target.reg_key, view=64)
    values = (values or {}).get(_long_key(target.reg_key), {})
    if not values:
        values = (prefix.reg_query(target.reg_key, view=32) or {}).get(
            _long_key(target.reg_key), {})

    def get(name: str) -> str:
        value = values.get(name.lower())
        return value.data if value else ""

    phase.check("DisplayName set", bool(get("DisplayName")), get("DisplayName"))
    phase.check("DisplayVersion is the recipe's version", get("DisplayVersion") == target.version,
                get("DisplayVersion"))
    location = get("InstallLocation")
    phase.check("InstallLocation is the install folder",
                norm_dir(location) == norm_dir(target.install_dir), location)
    for name in ("UninstallString", "QuietUninstallString"):
        command = get(name)
        exe = split_command(command)[0] if command else ""
        phase.check(f"{name} names an existing program",
                    bool(exe) and prefix.to_linux(exe).is_file(), command)
    phase.check("QuietUninstallString is silent (/S)", "/S" in get("QuietUninstallString").split())
    if target.path_entries:
        check_path_after_install(phase, target.path_scope, before.path.get(target.path_scope),
                                 now.path.get(target.path_scope), target.path_entries)
    phase.seconds = time.monotonic() - start


def _long_key(key: str) -> str:
    return normalize_key(key)


def _run_check(prefix: WinePrefix, target: Target, report: SmokeReport) -> None:
    phase = Phase("check")
    report.phases.append(phase)
    path_value = effective_path(prefix.reg_value(ENV_KEY, "Path"),
                                prefix.reg_value(USER_ENV_KEY, "Path"))
    script_dir = prefix.drive_c / "windows" / "temp"
    script_dir.mkdir(parents=True, exist_ok=True)
    script = script_dir / f"choconsis-check-{os.getpid()}.cmd"
    script.write_text(check_script(path_value, target.check_command), encoding="ascii",
                      errors="replace", newline="")
    try:
        result = prefix.run(["cmd", "/d", "/c", prefix.to_windows(script)], timeout=CHECK_TIMEOUT)
        prefix.wait()
    finally:
        script.unlink(missing_ok=True)
    phase.seconds = result.seconds
    phase.output = result.output
    tail = result.output.strip().splitlines()[-1:] or [""]
    phase.check(f"'{target.check_command}' exits 0 through the new PATH",
                result.code == 0 and not result.timed_out, f"exit {result.code}: {tail[0]}")


def _uninstall(prefix: WinePrefix, target: Target, before: Snapshot, report: SmokeReport) -> None:
    phase = Phase("uninstall")
    report.phases.append(phase)
    quiet = prefix.reg_value(target.reg_key, "QuietUninstallString") or prefix.reg_value(
        target.reg_key, "QuietUninstallString", view=32)
    if not phase.check("QuietUninstallString registered", quiet is not None):
        return
    assert quiet is not None
    args = uninstall_args(quiet.data)
    result = prefix.run(args, timeout=INSTALL_TIMEOUT)
    prefix.wait()
    phase.seconds = result.seconds
    phase.output = result.output
    phase.check("uninstaller exited 0", result.code == 0 and not result.timed_out,
                f"exit {result.code}")
    _leftovers(prefix, target, before, report, PureWindowsPath(args[0]))


def _leftovers(prefix: WinePrefix, target: Target, before: Snapshot, report: SmokeReport,
               uninstaller: PureWindowsPath) -> None:
    phase = Phase("leftovers")
    report.phases.append(phase)
    start = time.monotonic()
    # Run with _?=, an NSIS uninstaller cannot delete its own running file (nor so its folder);
    # the registered command would have run a temporary copy and removed both. Only that
    # exact leftover is cleaned here; anything else left stays and fails below.
    exe = prefix.to_linux(str(uninstaller))
    folder = prefix.to_linux(target.install_dir)
    if exe.is_file() and _only_leftover(folder, exe):
        phase.check("only the running uninstaller was left (expected with _?=); removed",
                    True, str(uninstaller))
        exe.unlink()
        for parent in [exe.parent, *exe.parent.parents]:
            if parent == folder.parent or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    phase.check("install folder removed", not folder.exists(),
                ", ".join(sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))[:8])
                if folder.exists() else "")
    after = take_snapshot(prefix)
    phase.check("Add/Remove Programs entry removed", not _entries(after, target.package_id))
    if target.path_entries:
        value = after.path.get(target.path_scope)
        present = [e for e in target.path_entries
                   if value and norm_dir(e) in {norm_dir(x) for x in path_entries(value.data)}]
        phase.check(f"recipe entries gone from {target.path_scope} PATH", not present,
                    ", ".join(present))
    diffs = diff_snapshots(before, after)
    phase.check("everything else as before install", not diffs, "; ".join(diffs))
    phase.seconds = time.monotonic() - start


def _only_leftover(folder: Path, exe: Path) -> bool:
    """True when exe is the only file left under folder."""
    if not folder.is_dir():
        return False
    files = [p for p in folder.rglob("*") if not p.is_dir()]
    return files == [exe]
