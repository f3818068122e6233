# -*- coding: utf-8 -*-
"""Prepend entries to the Windows Path and undo exactly that: run by choconsis installers.

    python.exe choconsis_path.py add --scope machine|user --record RECORD ENTRY...
    python.exe choconsis_path.py remove --scope machine|user --record RECORD

Runs with the runtime the installer just installed, which may be Python 2.7: the code is
Python 2.7 and 3.x compatible (no f-strings, type comments instead of annotations), and the
string logic (``add_entries``, ``remove_entries``) is pure so it can be tested anywhere.

Why not NSIS itself: ``ReadRegStr`` returns "" for values over 1024 characters, and the naive
read-modify-write wipes a long PATH. winreg reads and writes values of any length and keeps the
value type (REG_EXPAND_SZ keeps its unexpanded %VARS%).

Rules:
- entries are compared element-wise, case-insensitively, ignoring one trailing backslash and
  surrounding blanks; empty elements are never matched;
- ``add`` prepends the entries not already present, in the order given, and keeps every other
  character of the value (including empty elements and a trailing ";");
- the record (UTF-8 JSON) lists what this product added; a later ``add`` (repair, upgrade) merges
  into it, so an uninstall after two installs still removes what the first added;
- ``remove`` takes out one occurrence of each recorded entry (the first, where ``add`` put it),
  deletes the value when ``add`` created it and nothing else is left, and deletes the record.
Exit code 0 on success, 1 on failure, 2 on a usage error; messages go to stderr.
"""

from __future__ import unicode_literals

import argparse
import io
import json
import os
import sys

MACHINE_KEY = r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
USER_KEY = "Environment"
VALUE_NAME = "Path"
RECORD_VERSION = 1

try:  # Python 2
    text_type = unicode  # type: ignore[name-defined]  # noqa: F821
except NameError:  # Python 3
    text_type = str


class PathError(Exception):
    """A failure with a message for a person."""


# --------------------------------------------------------------------------- pure logic


def normalize(entry):
    # type: (text_type) -> text_type
    """The comparison key of one PATH element."""
    key = entry.strip()
    if key.endswith("\\"):
        key = key[:-1]
    return key.lower()


def add_entries(value, entries):
    # type: (text_type, list) -> tuple
    """Return (new value, entries added) after prepending the entries not yet in ``value``."""
    present = set(normalize(e) for e in value.split(";") if normalize(e))
    added = []
    for entry in entries:
        key = normalize(entry)
        if not key or key in present:
            continue
        if ";" in entry:
            raise PathError("a PATH entry cannot contain ';': %r" % (entry,))
        present.add(key)
        added.append(entry)
    if not added:
        return value, []
    head = ";".join(added)
    return (head + ";" + value if value else head), added


def remove_entries(value, entries):
    # type: (text_type, list) -> tuple
    """Return (new value, entries removed): one occurrence of each, the first one found."""
    parts = value.split(";")
    removed = []
    for entry in entries:
        key = normalize(entry)
        for index, part in enumerate(parts):
            if key and normalize(part) == key:
                del parts[index]
                removed.append(entry)
                break
    return ";".join(parts), removed


def merge_record(record, scope, added, created):
    # type: (dict, text_type, list, bool) -> dict
    """Fold one ``add`` into the product's record (``record`` may be empty)."""
    if record and record.get("scope") != scope:
        raise PathError(
            "the record belongs to scope %r, not %r" % (record.get("scope"), scope))
    known = list(record.get("added", []))
    keys = set(normalize(e) for e in known)
    for entry in added:
        if normalize(entry) not in keys:
            known.append(entry)
            keys.add(normalize(entry))
    return {
        "version": RECORD_VERSION,
        "scope": scope,
        "added": known,
        "created": bool(record.get("created", False)) or created,
    }


# --------------------------------------------------------------------------- record file


def read_record(path):
    # type: (text_type) -> dict
    if not os.path.exists(path):
        return {}
    try:
        with io.open(path, "r", encoding="utf-8") as handle:
            record = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise PathError("cannot read the PATH record %s: %s" % (path, exc))
    if not isinstance(record, dict) or not isinstance(record.get("added"), list):
        raise PathError("the PATH record %s is not a choconsis PATH record" % path)
    return record


def write_record(path, record):
    # type: (text_type, dict) -> None
    """Write through a temporary file so a crash never leaves half a record."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        os.makedirs(folder)
    temp = path + ".tmp"
    data = json.dumps(record, indent=1)  # ASCII with \u escapes: same bytes on 2.7 and 3.x
    with io.open(temp, "w", encoding="utf-8") as handle:
        handle.write(text_type(data))
    if os.path.exists(path):
        os.remove(path)  # Python 2 on Windows has no os.replace
    os.rename(temp, path)


# --------------------------------------------------------------------------- Windows side


def _winreg():
    try:
        import winreg
    except ImportError:
        try:
            import _winreg as winreg  # type: ignore[no-redef]  # Python 2
        except ImportError:
            raise PathError("this script edits the Windows registry: it runs on Windows only")
    return winreg


def _open_key(scope):
    winreg = _winreg()
    root, sub = (
        (winreg.HKEY_LOCAL_MACHINE, MACHINE_KEY) if scope == "machine"
        else (winreg.HKEY_CURRENT_USER, USER_KEY))
    access = winreg.KEY_QUERY_VALUE | winreg.KEY_SET_VALUE
    try:
        if scope == "user":
            return winreg.CreateKeyEx(root, sub, 0, access)
        return winreg.OpenKey(root, sub, 0, access)
    except EnvironmentError as exc:
        raise PathError("cannot open the %s environment key %s: %s" % (scope, sub, exc))


def read_path(key):
    """Return (value, type, existed) of the Path value; a missing value reads as ""."""
    winreg = _winreg()
    try:
        value, kind = winreg.QueryValueEx(key, VALUE_NAME)
    except EnvironmentError as exc:
        if getattr(exc, "winerror", None) == 2 or getattr(exc, "errno", None) == 2:
            return "", winreg.REG_EXPAND_SZ, False
        raise PathError("cannot read Path: %s" % exc)
    if kind not in (winreg.REG_SZ, winreg.REG_EXPAND_SZ):
        raise PathError("Path has registry type %d, not a string; refusing to edit it" % kind)
    return value or "", kind, True


def write_path(key, value, kind):
    winreg = _winreg()
    try:
        winreg.SetValueEx(key, VALUE_NAME, 0, kind, value)
    except EnvironmentError as exc:
        raise PathError("cannot write Path: %s" % exc)


def delete_path(key):
    try:
        _winreg().DeleteValue(key, VALUE_NAME)
    except EnvironmentError as exc:
        raise PathError("cannot delete Path: %s" % exc)


def broadcast_environment_change():
    """Tell running programs (Explorer) that the environment changed; never blocks long."""
    import ctypes
    from ctypes import wintypes

    send = ctypes.windll.user32.SendMessageTimeoutW
    send.argtypes = [wintypes.HWND, wintypes.UINT, wintypes.WPARAM, ctypes.c_wchar_p,
                     wintypes.UINT, wintypes.UINT, ctypes.POINTER(ctypes.c_size_t)]
    send.restype = ctypes.c_size_t
    result = ctypes.c_size_t(0)
    hwnd_broadcast, wm_settingchange, smto_abortifhung = 0xFFFF, 0x001A, 0x0002
    send(hwnd_broadcast, wm_settingchange, 0, "Environment", smto_abortifhung, 2000,
         ctypes.byref(result))


# --------------------------------------------------------------------------- commands


class WindowsRegistry(object):
    """The registry layer of the commands below: the Path value of one scope's environment
    key. A test puts another object with the same methods in :data:`registry`."""

    open_key = staticmethod(_open_key)
    read_path = staticmethod(read_path)
    write_path = staticmethod(write_path)
    delete_path = staticmethod(delete_path)
    broadcast = staticmethod(broadcast_environment_change)


registry = WindowsRegistry()


def command_add(scope, record_path, entries):
    # type: (text_type, text_type, list) -> text_type
    key = registry.open_key(scope)
    try:
        value, kind, existed = registry.read_path(key)
        new_value, added = add_entries(value, entries)
        record = merge_record(read_record(record_path), scope, added,
                              created=not existed and bool(added))
        write_record(record_path, record)  # first: the registry change is never unrecorded
        if added:
            registry.write_path(key, new_value, kind)
    finally:
        key.Close()
    if added:
        registry.broadcast()
        return "added to the %s Path: %s" % (scope, "; ".join(added))
    return "the %s Path already holds every entry; nothing added" % scope


def command_remove(scope, record_path):
    # type: (text_type, text_type) -> text_type
    record = read_record(record_path)
    if not record:
        return "no PATH record at %s; nothing to remove" % record_path
    if record.get("scope") != scope:
        raise PathError("the PATH record %s belongs to scope %r, not %r"
                        % (record_path, record.get("scope"), scope))
    key = registry.open_key(scope)
    try:
        value, kind, existed = registry.read_path(key)
        new_value, removed = remove_entries(value, record["added"])
        if removed:
            if new_value == "" and record.get("created"):
                registry.delete_path(key)
            else:
                registry.write_path(key, new_value, kind)
    finally:
        key.Close()
    os.remove(record_path)
    if removed:
        registry.broadcast()
        return "removed from the %s Path: %s" % (scope, "; ".join(removed))
    return "none of the recorded entries is in the %s Path any more" % scope


def _unicode_argv():
    """sys.argv as text: Python 2 on Windows gives ANSI bytes, which lose non-ASCII paths."""
    if text_type is str:
        return sys.argv[1:]
    import ctypes
    from ctypes import wintypes

    get_command_line = ctypes.windll.kernel32.GetCommandLineW
    get_command_line.restype = wintypes.LPCWSTR
    to_argv = ctypes.windll.shell32.CommandLineToArgvW
    to_argv.argtypes = [wintypes.LPCWSTR, ctypes.POINTER(ctypes.c_int)]
    to_argv.restype = ctypes.POINTER(wintypes.LPWSTR)
    count = ctypes.c_int(0)
    argv = to_argv(get_command_line(), ctypes.byref(count))
    words = [argv[i] for i in range(count.value)]
    ctypes.windll.kernel32.LocalFree(argv)
    # python.exe [-E -s ...] SCRIPT ARGS: ours follow the first word that is not an option
    # (the installers never pass an option that takes a value, such as -W or -X).
    for index, word in enumerate(words[1:], 1):
        if not word.startswith("-"):
            if len(words) - index - 1 == len(sys.argv) - 1:
                return words[index + 1:]
            break
    return [w.decode("mbcs") if isinstance(w, bytes) else w for w in sys.argv[1:]]


def _say(stream, text):
    """Print text whatever the stream's encoding (a pipe may be ASCII or a code page)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    data = (text + "\n").encode(encoding, "replace")
    if text_type is str:
        stream.write(data.decode(encoding))
    else:
        stream.write(data)
    stream.flush()


def _parser():
    parser = argparse.ArgumentParser(prog="choconsis_path.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    for name in ("add", "remove"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--scope", choices=("machine", "user"), required=True)
        cmd.add_argument("--record", required=True, help="JSON file of what this product added")
        if name == "add":
            cmd.add_argument("entries", nargs="+", metavar="ENTRY")
    return parser


def main(argv=None):
    # type: (list) -> int
    args = _parser().parse_args(_unicode_argv() if argv is None else argv)
    if args.command is None:
        _parser().error("a command is required: add or remove")
    try:
        if args.command == "add":
            message = command_add(args.scope, args.record, args.entries)
        else:
            message = command_remove(args.scope, args.record)
    except PathError as exc:
        _say(sys.stderr, "choconsis_path: error: %s" % (exc,))
        return 1
    _say(sys.stdout, "choconsis_path: %s" % message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
