"""What the install put into a runtime, written down at install and removed exactly at uninstall.

    python.exe -E -s choconsis_record.py write --site-packages DIR --lock LOCK --out FILE
    python.exe -E -s choconsis_record.py remove --record FILE --root DIR

Used where the lock goes into the runtime itself (``[install] environment = "runtime"``, the
2013 guide's way), so the uninstall cannot remove a folder of its own as a whole. ``write``
runs right after the packages step: for each distribution the lock pins (a lock has ~60, more
than a command line of the installer holds) it reads the record of
its files that the installer made (a dist-info's RECORD, or an egg-info's installed-files.txt
for a Python 2 source install), and writes their absolute paths, one per line, to FILE.
``remove`` deletes exactly those files, the bytecode Python wrote beside or for each .py, and
the folders that this leaves empty (but the site-packages folder itself), never a file or
folder outside ROOT, and finally FILE. It
is what pip uninstall would do, without starting pip once per chunk of names (seconds each
under Wine) and without asking an installer what it owns at uninstall time.

Python 2.7 and 3, standard library only (it runs with the runtime's own python.exe). Exit
codes: 0 done, 1 a distribution has no record (write) or a path could not be removed, 2 usage.
"""

from __future__ import print_function

import csv
import io
import os
import re
import sys


def text(value):
    """Python 2's command-line arguments are bytes: paths are handled as text throughout."""
    if isinstance(value, bytes):
        return value.decode(sys.getfilesystemencoding() or "mbcs")
    return value


KEEP = u"# keep: "


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def find_metadata(site_packages, name):
    """(folder, kind) of NAME's dist-info or egg-info under site_packages, or (None, None)."""
    want = canonical(name)
    for entry in sorted(os.listdir(site_packages)):
        stem, ext = os.path.splitext(entry)
        if ext not in (".dist-info", ".egg-info"):
            continue
        if canonical(stem.split("-")[0]) == want:
            return os.path.join(site_packages, entry), ext
    return None, None


def recorded_files(site_packages, name):
    """Absolute paths of NAME's installed files, its metadata folder's own files included."""
    folder, kind = find_metadata(site_packages, name)
    if folder is None:
        raise LookupError("%s: no dist-info or egg-info under %s" % (name, site_packages))
    paths = []
    if kind == ".dist-info":
        with io.open(os.path.join(folder, "RECORD"), encoding="utf-8") as fh:
            for row in csv.reader(fh):
                if row:
                    paths.append(os.path.join(site_packages, row[0]))
    else:
        listing = os.path.join(folder, "installed-files.txt")
        with io.open(listing, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    paths.append(os.path.join(folder, line.strip()))
        paths.append(listing)
    for entry in os.listdir(folder):  # files an installer adds after writing its record
        paths.append(os.path.join(folder, entry))
    return [os.path.normpath(p) for p in paths]


def locked_names(lock):
    """The names a choconsis lock pins: its lines 'name==version \\' at the start of a line."""
    names = []
    with io.open(lock, encoding="utf-8") as fh:
        for line in fh:
            if line[:1].strip() and not line.startswith("#") and "==" in line:
                names.append(line.split("==", 1)[0].strip())
    return names


def write(site_packages, out, names):
    """Record the files of every name that is installed; a name without a record (a failed
    install stopped before it) fails the call, after the others are recorded for the undo."""
    seen = set()
    lines = []
    missing = []
    for name in names:
        try:
            found = recorded_files(site_packages, name)
        except LookupError as err:
            missing.append(str(err))
            continue
        for path in found:
            if path.lower() not in seen:
                seen.add(path.lower())
                lines.append(path)
    tmp = out + ".tmp"
    with io.open(tmp, "w", encoding="utf-8") as fh:
        # the runtime's own folder for packages stays, however empty the uninstall leaves it
        fh.write(KEEP + os.path.normpath(site_packages) + u"\n")
        for line in lines:
            fh.write(line + u"\n")
    if os.path.exists(out):
        os.remove(out)
    os.rename(tmp, out)
    print("recorded %d files of %d distributions in %s" % (len(lines), len(names) - len(missing),
                                                            out))
    if missing:
        raise LookupError("; ".join(missing))


def inside(path, root):
    path, root = os.path.normcase(os.path.abspath(path)), os.path.normcase(os.path.abspath(root))
    return path.startswith(root.rstrip("\\/") + os.sep)


def bytecode_of(path):
    """The bytecode files Python may have written for a .py: beside it and in __pycache__."""
    folder, base = os.path.split(path)
    stem = os.path.splitext(base)[0]
    found = [path + "c", path + "o"]
    cache = os.path.join(folder, "__pycache__")
    if os.path.isdir(cache):
        found += [os.path.join(cache, f) for f in os.listdir(cache)
                  if f.startswith(stem + ".") and f.endswith((".pyc", ".pyo"))]
    return found


def remove(record, root):
    with io.open(record, encoding="utf-8") as fh:
        lines = [line.strip() for line in fh if line.strip()]
    keep = set(os.path.normcase(line[len(KEEP):]) for line in lines if line.startswith(KEEP))
    paths = [line for line in lines if not line.startswith("#")]
    failed = []
    folders = set()
    removed = 0
    for path in paths:
        if not inside(path, root):
            print("kept %s: outside %s" % (path, root))
            continue
        targets = [path] + (bytecode_of(path) if path.lower().endswith(".py") else [])
        for target in targets:
            if os.path.isfile(target) or os.path.islink(target):
                try:
                    os.remove(target)
                    removed += 1
                except OSError as err:
                    failed.append("%s (%s)" % (target, err))
            folders.add(os.path.dirname(target))
    # the folders that are empty now, deepest first, up to (not including) the root
    candidates = set()
    for folder in folders:
        while inside(folder, root):
            candidates.add(folder)
            folder = os.path.dirname(folder)
    for folder in sorted(candidates, key=len, reverse=True):
        cache = os.path.join(folder, "__pycache__")
        if os.path.isdir(cache) and not os.listdir(cache):
            os.rmdir(cache)
        if os.path.normcase(folder) in keep:
            continue
        if os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
    os.remove(record)
    print("removed %d files recorded in %s" % (removed, record))
    for line in failed:
        print("could not remove " + line)
    return 1 if failed else 0


def main(argv):
    args = [text(a) for a in argv]
    options = {}
    names = []
    while args:
        arg = args.pop(0)
        if arg in ("--site-packages", "--lock", "--out", "--record", "--root") and args:
            options[arg] = args.pop(0)
        else:
            names.append(arg)
    mode = names.pop(0) if names else ""
    if mode == "write" and not names and all(
            o in options for o in ("--site-packages", "--lock", "--out")):
        try:
            write(options["--site-packages"], options["--out"], locked_names(options["--lock"]))
        except (LookupError, IOError, OSError) as err:
            print("error: %s" % err)
            return 1
        return 0
    if mode == "remove" and "--record" in options and "--root" in options and not names:
        if not os.path.isfile(options["--record"]):
            print("nothing recorded (%s is absent)" % options["--record"])
            return 0
        return remove(options["--record"], options["--root"])
    print(__doc__.split("\n\n")[0])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
