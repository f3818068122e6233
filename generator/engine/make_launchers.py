# -*- coding: utf-8 -*-
"""Write console-script launchers: run by choconsis installers.

    python.exe -E -s make_launchers.py [--python EXE] --site-packages DIR --scripts DIR
        (--dists FILE | --commands NAME... [--kinds KIND... --from SCRIPTS])

--commands: the app's commands folder (what goes on PATH): a launcher for each NAME, found
among the console scripts of every dist in site-packages, starting ``--python`` by its
absolute path (a copy of pip's own launcher may hold a relative ``#!python.exe``, as
WinPython's pip writes them, and then works only beside that python.exe). They belong to no
dist: the commands step's undo removes them. --kinds gives each NAME's kind (console, gui,
exe, script, batch: see write_commands) and --from the environment's Scripts folder, where
the files of the last three lie.


A ``--preinstall`` build installs every wheel at build time, without launchers: a launcher
embeds the absolute path of python.exe, which only exists once the user chose the install
folder. This script runs with that python.exe and, for each dist-info folder named in FILE
(one per line, relative to site-packages), reads entry_points.txt and writes a launcher per
console script (and GUI script) into the scripts folder with the runtime's own pip-vendored
distlib ScriptMaker (the code pip itself uses, so the launchers are the ones pip would write).
Each launcher is appended to its dist's RECORD (path relative to site-packages, sha256, size),
so ``pip uninstall`` removes it with the rest.

Python 2.7 and 3.x compatible, like choconsis_path.py. Exit code 0 on success, 1 on failure,
2 on a usage error; messages go to stderr.
"""

from __future__ import unicode_literals

import argparse
import base64
import hashlib
import io
import os
import shutil
import sys
import tempfile

try:  # Python 3
    from configparser import RawConfigParser
except ImportError:  # Python 2.7
    from ConfigParser import RawConfigParser  # type: ignore

SECTIONS = (("console_scripts", False), ("gui_scripts", True))


def read_entry_points(path):
    # type: (str) -> list
    """[(name, "module:attr", gui)] from an entry_points.txt; [] when there is none."""
    if not os.path.isfile(path):
        return []
    parser = RawConfigParser()
    parser.optionxform = str  # keep the case of script names
    with io.open(path, encoding="utf-8") as f:
        text = f.read()
    if hasattr(parser, "read_string"):
        parser.read_string(text)
    else:  # Python 2.7
        parser.readfp(io.StringIO(text))
    found = []
    for section, gui in SECTIONS:
        if parser.has_section(section):
            for name, value in parser.items(section):
                found.append((name.strip(), value.strip(), gui))
    return found


def record_line(path, site_packages):
    # type: (str, str) -> str
    """One RECORD row for a written file: relative path, urlsafe sha256, size."""
    with open(path, "rb") as f:
        data = f.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    rel = os.path.relpath(path, site_packages).replace(os.sep, "/")
    if any(c in rel for c in ',"\r\n'):
        rel = '"' + rel.replace('"', '""') + '"'
    return "%s,sha256=%s,%d\n" % (rel, digest.decode("ascii"), len(data))


def make_maker(scripts_dir, python=None):
    """distlib's ScriptMaker as pip configures it: launchers that start ``python`` (the
    app's environment, whose python.exe has no pip), else this interpreter."""
    from pip._vendor.distlib.scripts import ScriptMaker

    maker = ScriptMaker(None, scripts_dir, add_launchers=True)
    maker.executable = python or sys.executable
    maker.clobber = True  # a repair writes them again
    maker.variants = set([""])  # "openstack", not "openstack-3.12"
    return maker


def write_launchers(maker, dist_info, site_packages):
    # type: (object, str, str) -> int
    """Launchers of one dist, appended to its RECORD; returns how many were written."""
    entries = read_entry_points(os.path.join(dist_info, "entry_points.txt"))
    written = []
    for name, target, gui in entries:
        spec = "%s = %s" % (name, target)
        written += maker.make(spec, {"gui": gui})
    if written:
        with io.open(os.path.join(dist_info, "RECORD"), "a", encoding="utf-8",
                     newline="") as f:
            for path in written:
                f.write(record_line(path, site_packages))
    return len(written)


ENTRY_KINDS = ("console", "gui")  # the kinds of choconsis.wheelfiles found in entry_points.txt


def write_commands(maker, names, site_packages, kinds=None, scripts=None):
    # type: (object, list, str, list, str) -> int
    """Expose each name in the maker's folder (the app's commands folder), by its kind
    (choconsis.wheelfiles.KINDS; none: every name is an entry point):

    - console, gui: a launcher of the entry point found among site-packages' dists;
    - exe: the native program of ``scripts``, itself (a hard link, else a copy): see
      :func:`expose_program`;
    - script: a launcher that runs the Python script file of ``scripts`` with the maker's
      python.exe (never a file association, never a python on PATH);
    - batch: a .cmd of one line that hands over to the batch file of ``scripts``, which so
      runs where it lies (its ``%~dp0`` is still the Scripts folder).
    """
    kinds = kinds or ["console"] * len(names)
    wanted = [n for n, k in zip(names, kinds) if k in ENTRY_KINDS]
    found = {}
    if wanted:
        for entry in sorted(os.listdir(site_packages)):
            if entry.endswith(".dist-info"):
                path = os.path.join(site_packages, entry, "entry_points.txt")
                for name, target, gui in read_entry_points(path):
                    found.setdefault(name.lower(), (name, target, gui))
    missing = [n for n in wanted if n.lower() not in found]
    if missing:
        raise LookupError("no installed dist has the console script(s) %s"
                          % ", ".join(missing))
    for wanted_name, kind in zip(names, kinds):
        if kind in ENTRY_KINDS:
            name, target, gui = found[wanted_name.lower()]
            maker.make("%s = %s" % (name, target), {"gui": gui})
        elif kind == "exe":
            expose_program(os.path.join(scripts, wanted_name + ".exe"),
                           os.path.join(maker.target_dir, wanted_name + ".exe"))
        elif kind == "script":
            write_script_launcher(maker, script_file(scripts, wanted_name))
        elif kind == "batch":
            write_forwarder(os.path.join(scripts, wanted_name),
                            os.path.join(maker.target_dir, wanted_name))
        else:
            raise ValueError("%s: unknown kind of command %r" % (wanted_name, kind))
    return len(names)


def _need(path):
    if not os.path.isfile(path):
        raise LookupError("%s is not there (the packages step installed no such file)" % path)
    return path


def expose_program(source, target):
    """A native program of Scripts exposed as itself: a hard link where the file system
    allows (no second copy on disk), else a copy. It runs exactly as from Scripts (its own
    console, exit code and Ctrl+C; no launcher in between); a program of a wheel's
    .data/scripts cannot count on files beside it but its own, which pip puts in Scripts
    together with every other dist's scripts."""
    _need(source)
    if os.path.lexists(target):
        os.remove(target)
    try:
        os.link(source, target)
    except (AttributeError, OSError):  # Python 2 on Windows has no os.link; FAT, shares
        shutil.copyfile(source, target)


def script_file(scripts, name):
    """The script file of command ``name`` (pip names foo.py's launcher foo)."""
    for candidate in (name, name + ".py", name + ".pyw"):
        if os.path.isfile(os.path.join(scripts, candidate)):
            return os.path.join(scripts, candidate)
    raise LookupError("no script file %s in %s" % (name, scripts))


def write_script_launcher(maker, path):
    """A launcher (distlib's, as pip writes for entry points) holding the script: distlib
    rewrites a ``#!python`` first line to the maker's python.exe, and the installed file's
    first line is already rewritten (an absolute path distlib does not take for Python), so
    a copy whose first line is ``#!python`` (``#!pythonw``) is handed to it."""
    from pip._vendor.distlib.scripts import ScriptMaker

    with open(path, "rb") as handle:
        first, rest = (handle.read().split(b"\n", 1) + [b""])[:2]
    gui = b"pythonw" in first.lower()
    staging = tempfile.mkdtemp(prefix="choconsis-script-")
    try:
        with open(os.path.join(staging, os.path.basename(path)), "wb") as handle:
            handle.write((b"#!pythonw" if gui else b"#!python") + b"\n" + rest)
        copier = ScriptMaker(staging, maker.target_dir, add_launchers=True)
        copier.executable = maker.executable
        copier.clobber = copier.force = True
        copier.variants = set([""])
        copier.make(os.path.basename(path))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_forwarder(source, target):
    """A batch file of one line that hands over to ``source`` (no CALL: it does not come
    back, so its exit code is the other's). The path is relative to the forwarder's own
    folder (``%~dp0``): the install's folder names are ASCII where the install folder's may
    not be, and cmd.exe reads a batch file in the console's code page."""
    _need(source)
    try:
        where = "%~dp0" + os.path.relpath(source, os.path.dirname(target)).replace("%", "%%")
    except ValueError:  # another drive
        where = source.replace("%", "%%")
    text = '@"%s" %%*\r\n' % where
    try:
        data = text.encode("ascii")
    except UnicodeError:
        data = text.encode("mbcs" if os.name == "nt" else "utf-8")
    with open(target, "wb") as handle:
        handle.write(data)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=None,
                        help="the interpreter the launchers start (default: this one)")
    parser.add_argument("--site-packages", required=True)
    parser.add_argument("--scripts", required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--dists", help="file naming the dist-info folders")
    group.add_argument("--commands", nargs="+", metavar="NAME",
                       help="only these commands, into --scripts (a commands folder)")
    parser.add_argument("--kinds", nargs="+", metavar="KIND", default=None,
                        help="the kind of each --commands NAME (default: console scripts)")
    parser.add_argument("--from", dest="source", default=None, metavar="SCRIPTS",
                        help="the environment's Scripts folder (exe, script, batch kinds)")
    args = parser.parse_args(argv)
    if args.kinds and (not args.commands or len(args.kinds) != len(args.commands)):
        parser.error("--kinds needs one KIND per --commands NAME")
    if args.commands:
        try:
            if not os.path.isdir(args.scripts):
                os.makedirs(args.scripts)
            total = write_commands(make_maker(args.scripts, args.python), args.commands,
                                   args.site_packages, args.kinds, args.source)
        except Exception as err:  # one line for the install log, not a traceback
            sys.stderr.write("make_launchers: %s: %s\n" % (type(err).__name__, err))
            return 1
        sys.stdout.write("make_launchers: %d command(s) in %s\n" % (total, args.scripts))
        return 0
    try:
        with io.open(args.dists, encoding="utf-8") as f:
            dists = [line.strip() for line in f if line.strip()]
        if not os.path.isdir(args.scripts):
            os.makedirs(args.scripts)
        maker = make_maker(args.scripts, args.python)
        total = 0
        for dist in dists:
            dist_info = os.path.join(args.site_packages, dist)
            if not os.path.isfile(os.path.join(dist_info, "RECORD")):
                sys.stderr.write("make_launchers: %s has no RECORD\n" % dist_info)
                return 1
            total += write_launchers(maker, dist_info, args.site_packages)
    except Exception as err:  # one line for the install log, not a traceback
        sys.stderr.write("make_launchers: %s: %s\n" % (type(err).__name__, err))
        return 1
    sys.stdout.write("make_launchers: %d launcher(s) for %d dist(s) in %s\n"
                     % (total, len(dists), args.scripts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
