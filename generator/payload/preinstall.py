"""Pre-installed wheels: the lock installed at build time into a staged runtime tree.

``choconsis build --offline --preinstall`` does at build time what pip would do at install
time, so that setup.exe only copies files: every locked wheel (already sha256-verified by the
artifact store) is installed with PyPA's ``installer`` library, the reference wheel installer,
into a tree laid out like the runtime folder (``Lib/site-packages``, ``Scripts``, ``Include``,
data at the root). setup.exe copies that tree into ``$INSTDIR`` and then runs one python.exe
with the engine's ``make_launchers.py``, which writes the console-script launchers with the real
interpreter path (known only at install time) and appends them to each RECORD, so the usual
``pip uninstall`` undo removes everything.

No launchers are written here: a launcher embeds the interpreter's absolute path. No bytecode
either: the check step's first run compiles what it imports.

Only a zip runtime has a layout known at build time (its tree is unpacked and embedded by the
build), so that is the one runtime kind this mode accepts; a lock holding source archives
(legacy targets) is refused too, since only wheels install without a build step. A dist that
both the runtime and the lock hold (WinPython ships setuptools and packaging) is removed from
the staged runtime tree first, as pip would uninstall it before installing the locked one.
"""

from __future__ import annotations

import csv
import os
import posixpath
import shutil
from pathlib import Path
from typing import Iterable

from installer import install
from installer.exceptions import InstallerError
from installer.destinations import SchemeDictionaryDestination
from installer.records import RecordEntry
from installer.sources import WheelFile
from installer.utils import Scheme

from .. import ui
from ..errors import BuildError
from ..lock.lockfile import Lock
from ..plan import SITE_PACKAGES

INSTALLER_NAME = b"choconsis\n"  # the dist-info INSTALLER file (PEP 376)


def _scheme_dict(root: Path, dist_name: str) -> dict[str, str]:
    """CPython's Windows layout relative to the runtime folder (sysconfig 'nt' scheme)."""
    site = root.joinpath(*SITE_PACKAGES)
    return {
        "purelib": str(site),
        "platlib": str(site),
        "headers": str(root / "Include" / dist_name),
        "scripts": str(root / "Scripts"),
        "data": str(root),
    }


# The RECORD entry handed back for a launcher that was not written: no real path holds NUL.
_SKIPPED = "\0launcher:"


class NoLauncherDestination(SchemeDictionaryDestination):
    """Writes a wheel's files and its RECORD, but no entry-point launchers.

    ``installer.install`` asks the destination for a launcher per entry point and records what
    it returns; here nothing is written and the placeholder entry is dropped from the RECORD.
    make_launchers.py writes the launchers at install time and records them then.
    """

    def write_script(self, name: str, module: str, attr: str, section: str) -> RecordEntry:
        return RecordEntry(_SKIPPED + name, None, None)

    def finalize_installation(self, scheme: Scheme, record_file_path: str,
                              records: Iterable[tuple[Scheme, RecordEntry]]) -> None:
        kept = [(s, r) for s, r in records if not r.path.startswith(_SKIPPED)]
        super().finalize_installation(scheme, record_file_path, kept)


def check_runtime_tree(pkg: str, runtime_tree: Path | None) -> Path:
    """The unpacked zip runtime, if it has the site-packages folder pip would install into."""
    if runtime_tree is None:
        raise BuildError(f"--preinstall for {pkg}: the zip runtime was not unpacked, so its "
                         "layout is unknown")
    if not runtime_tree.joinpath(*SITE_PACKAGES).is_dir():
        raise BuildError(f"--preinstall for {pkg}: the zip runtime has no "
                         f"{'/'.join(SITE_PACKAGES)} folder, so where pip would install is "
                         "unknown (an embeddable distribution without site-packages?)")
    return runtime_tree


def _dist_name(dist_info: Path) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(dist_info.name[:-len(".dist-info")].rsplit("-", 1)[0])


def remove_replaced_dists(lock: Lock, runtime_tree: Path) -> list[str]:
    """Remove from the staged runtime tree every dist the lock pins too; return their names.

    pip would uninstall the runtime's copy before installing the locked one (WinPython ships
    packaging and setuptools, for instance); copying the new files over the old ones would
    leave two dist-info folders and stale modules. The old files are the ones its RECORD
    lists (with the bytecode pip compiled for them); none may lie outside the runtime tree.
    """
    site = runtime_tree.joinpath(*SITE_PACKAGES)
    wanted = set(lock.names)
    removed: list[str] = []
    for dist_info in sorted(site.glob("*.dist-info")):
        name = _dist_name(dist_info)
        if name in wanted:
            _remove_recorded(dist_info, site, runtime_tree)
            removed.append(name)
    return removed


def _remove_recorded(dist_info: Path, site: Path, root: Path) -> None:
    record = dist_info / "RECORD"
    if not record.is_file():
        raise BuildError(f"--preinstall: the runtime's {dist_info.name} has no RECORD, so the "
                         "files to replace are unknown: build without --preinstall")
    root_abs = Path(os.path.abspath(root))
    targets: list[Path] = []
    with record.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if not row or not row[0]:
                continue
            target = Path(os.path.abspath(site / row[0]))
            if not target.is_relative_to(root_abs):
                raise BuildError(f"--preinstall: the runtime's {dist_info.name}/RECORD names "
                                 f"{row[0]!r}, outside the runtime folder")
            targets.append(target)
    for target in targets:
        target.unlink(missing_ok=True)
        if target.suffix == ".py":  # bytecode pip compiled but did not record
            for pyc in (target.parent / "__pycache__").glob(target.stem + ".*.pyc"):
                pyc.unlink()
    shutil.rmtree(dist_info, ignore_errors=True)
    for folder in sorted({t.parent for t in targets}, key=lambda p: len(p.parts), reverse=True):
        _remove_empty_upwards(folder, site)


def _remove_empty_upwards(folder: Path, stop: Path) -> None:
    """Remove folder and its parents while they are empty, never stop itself or above."""
    while folder != stop and folder.is_relative_to(stop) and folder.is_dir():
        if any(folder.iterdir()):
            return
        folder.rmdir()
        folder = folder.parent


def install_wheels(wheels: Iterable[Path], root: Path, *, arch: str) -> list[str]:
    """Install each wheel into the tree at root; return the dist-info folders, in order.

    ``root`` stands for the runtime folder. Files go where pip would put them on Windows; a
    file the tree already has (two wheels shipping the same path) is an error.
    """
    kind = "win-amd64" if arch == "amd64" else "win-ia32"
    dist_infos: list[str] = []
    wheels = list(wheels)
    with ui.bar("preinstall: installing wheels", len(wheels), unit="wheel") as progress:
        for path in wheels:
            _install_one(path, root, kind, dist_infos)
            progress.update(1)
    return dist_infos


def _install_one(path: Path, root: Path, kind: str, dist_infos: list[str]) -> None:
    try:
        with WheelFile.open(path) as source:
            destination = NoLauncherDestination(
                _scheme_dict(root, source.distribution),
                interpreter="python.exe",  # shebang of .data/scripts files only
                script_kind=kind,  # type: ignore[arg-type]
            )
            install(source, destination, {"INSTALLER": INSTALLER_NAME})
            dist_infos.append(source.dist_info_dir)
    except (InstallerError, OSError, ValueError, KeyError) as err:
        raise BuildError(f"--preinstall: cannot install {path.name} into the staged "
                         f"runtime tree: {err}") from None


def stage_preinstalled(pkg: str, lock: Lock, wheels: list[Path], root: Path,
                       runtime_tree: Path | None, *, arch: str) -> list[str]:
    """Install the wheels under root, laid out like the runtime folder, for ``pkg`` (id and
    version, for messages); return the dist-info folder names (what make_launchers.py reads
    at install time). The plan checked the lock and runtime first (plan.make)."""
    remove_replaced_dists(lock, check_runtime_tree(pkg, runtime_tree))
    root.mkdir(parents=True, exist_ok=True)
    return install_wheels(wheels, root, arch=arch)


def format_dists(dist_infos: list[str]) -> str:
    """The dist list file's text: one dist-info folder per line (posix separators)."""
    return "".join(posixpath.normpath(d) + "\n" for d in dist_infos)
