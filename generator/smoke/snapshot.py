"""Snapshots of what an uninstall must give back exactly: Uninstall keys of both registry
views and of HKCU, machine and user PATH with their types, and the files under drive_c."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .wine import (ENV_KEY, UNINSTALL_KEY, USER_ENV_KEY, RegKeyDump, RegValue, WinePrefix,
                   normalize_key)

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
