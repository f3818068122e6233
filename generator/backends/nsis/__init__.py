"""The NSIS back end: render installer.nsi from the install plan, stage payloads, run makensis.

Python computes every value (command lines, paths, exit-code sets, payload names) and escapes
it with :mod:`generator.escaping`; ``nsis/installer.nsi.j2`` only lays the values out, one
block per step type, in the order of ``plan.steps``. The rendered folder is self-contained:
``makensis installer.nsi`` inside it builds the same setup.exe by hand.

Layout of the rendered folder::

    installer.nsi          the script
    choconsis.nsh          our logging / PATH / exit-code helpers
    download.nsh           verified download, SHA-256 and MSI ProductCode (System plugin)
    choconsis_path.py      the PATH editor run by the installed python.exe
    make_launchers.py      --preinstall: writes the console-script launchers at install time
    preinstalled-dists.txt --preinstall: the dist-info folders make_launchers.py reads
    requirements.lock      the lock (a pip requirements file with hashes)
    payload/               embedded files: artifacts (offline), wheels/ (offline),
                           runtime/ (a zip runtime, unpacked at build time, in both modes),
                           preinstall/ (--preinstall: the locked wheels installed at build time
                           into the runtime layout, see generator.preinstall)

What setup.exe does, observably (the Wine tests and ``choconsis smoke`` rely on it):

- ``setup.exe /S [/D=FOLDER]`` installs silently; ``$INSTDIR`` defaults to the recipe's
  install_dir, or to the installed version's folder on upgrade/repair (InstallDirRegKey).
- everything choconsis keeps lives in ``$INSTDIR\\choconsis-<id>`` (:func:`state_dir_name`):
  uninstall.exe, ``<id>-install.log``, requirements.lock, choconsis_path.py, path-record.txt,
  state.ini (MSI product codes by step) and, for an EXE runtime, a copy of its installer
  (its quiet uninstall needs it). Logs are UTF-16LE with a BOM, one line per event:
  ``YYYY-MM-DD HH:MM:SS  step N (title): start | exit code C | done``.
- exit code 0 on success, 3010 when a step asked for a reboot; on failure the failing
  program's exit code (1 when there is none: download refused, sha256 mismatch, program not
  startable). Every step started is undone, the Add/Remove Programs entry and choconsis' own
  files are removed, and the log is left at ``%TEMP%\\<id>-install.log``.
- the Add/Remove Programs entry ``HKLM\\...\\Uninstall\\<id>`` (64-bit view for amd64) is
  written only after every step succeeded; ``uninstall.exe /S`` runs the undo sides in
  ``plan.undo_order()``, logs to ``%TEMP%\\<id>-uninstall.log``, and exits 1 (keeping itself
  and the entry) when an undo failed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Sequence

from .. import escaping
from ...errors import BuildError, ToolMissingError
from ...lock.lockfile import LockedWheel, format_lock
from ...plan import (FILE, INSTALL_DIR, LOCK, WHEELS, Artifact, ChangePath, InstallPlan,
                   InstallRuntime, Marker, PipInstall, RunCheck, RunInstaller, Step, Templated,
                   command_line, join)
from ...payload.preinstall import DISTS_FILE, check_preinstallable, format_dists, stage_preinstalled
from .signing import makensis_sign_args, signing_time
from ..templating import Code, make_environment, template_dir

if TYPE_CHECKING:  # pragma: no cover
    from ...payload.store import ArtifactStore

TEMPLATE_PACKAGE = "choconsis._nsis"
TEMPLATE = "installer.nsi.j2"
INCLUDES = ("choconsis.nsh", "download.nsh")
PATH_SCRIPT = "choconsis_path.py"
LAUNCHER_SCRIPT = "make_launchers.py"
PREINSTALL_TREE = "preinstall"
LOCK_NAME = "requirements.lock"
PAYLOAD = "payload"
RUNTIME_TREE = "runtime"
WHEELS_DIR = "wheels"
REBOOT_CODES = (3010, 1641)
# --preinstall embeds ~80 MB of unpacked wheel files beside the ~70 MB runtime tree. Measured
# for the OpenStack client on 2 busy cores, makensis alone: zlib 17.7 s / 40.8 MB, /SOLID zlib
# 20.3 s / 37.5 MB, lzma 80 s / 35.2 MB, /SOLID lzma 89 s / 26.7 MB; whole build: zlib 25.9 s,
# /SOLID zlib 28.0 s, /SOLID lzma 97.1 s (pynsist: 76 s, 38.2 MB). SetCompressor is global, so
# this is the whole installer's cost; /SOLID zlib is the one within both build-time (0.5x) and
# size (1.0x) targets of issue 5.
PREINSTALL_COMPRESSOR = "/SOLID zlib"

# Markers that only the NSIS side knows (plan.Marker is a plain value type).
STATE_DIR = Marker("nsis_state_dir")
SYSDIR = Marker("nsis_sysdir")
PLUGINSDIR = Marker("nsis_pluginsdir")
TEMP = Marker("nsis_temp")
PRODUCT_CODE = Marker("nsis_product_code")

NSIS_VARIABLES: dict[Marker, str] = {
    INSTALL_DIR: "$INSTDIR",
    FILE: "$StepFile",
    LOCK: "$StateDir\\" + LOCK_NAME,
    WHEELS: "$PLUGINSDIR\\" + WHEELS_DIR,
    STATE_DIR: "$StateDir",
    SYSDIR: "$SYSDIR",
    PLUGINSDIR: "$PLUGINSDIR",
    TEMP: "$TEMP",
    PRODUCT_CODE: "$ProductCode",
}


def state_dir_name(plan: InstallPlan) -> str:
    """Folder under $INSTDIR that holds the uninstaller, the log and the install state."""
    return f"choconsis-{plan.package.id}"


# ---------------------------------------------------------------------------- values


def nsis_value(value: Templated, where: str) -> Code:
    """A plan value as one escaped NSIS string literal (markers become NSIS variables)."""
    try:
        return Code(escaping.nsis_templated(value, NSIS_VARIABLES))
    except ValueError as err:
        raise BuildError(f"NSIS installer, {where}: {err}") from None


def vi_version(version: str) -> str:
    """VIProductVersion needs exactly four numbers: 10.5.0-beta -> 10.5.0.0."""
    numbers = re.findall(r"\d+", version.split("-", 1)[0])[:4]
    numbers += ["0"] * (4 - len(numbers))
    return ".".join(str(min(int(n), 65535)) for n in numbers)


@dataclass
class StepView:
    """What the template needs to lay out one step: pre-rendered NSIS values and flags."""

    index: int
    type: str  # runtime | installer | path | pip | check
    kind: str  # exe | msi | zip for runtime/installer, else the type
    title: str
    command: Code | None = None  # install command line (one NSIS string)
    undo_command: Code | None = None
    cleanup_command: Code | None = None  # runtime exe/msi: bytecode caches, before undo
    undo_commands: list[Code] = field(default_factory=list)  # pip: uninstall in chunks
    file: Code | None = None  # where the artifact lands: "$PLUGINSDIR\\name"
    file_oname: Code | None = None  # "/oname=$PLUGINSDIR\\name" for File
    payload_source: str = ""  # payload path relative to the .nsi (offline)
    url: Code | None = None
    sha256: str = ""
    keep_copy: Code | None = None  # where an EXE runtime's installer is kept for uninstall
    valid_codes: tuple[int, ...] = (0,)
    reboot_codes: tuple[int, ...] = ()
    path_entries: Code | None = None  # "entry1;entry2" for the check step's PATH
    remove_dirs: list[Code] = field(default_factory=list)  # zip: top-level folders unpacked
    remove_files: list[Code] = field(default_factory=list)  # zip: top-level files unpacked


def _artifact_values(view: StepView, artifact: Artifact, where: str) -> None:
    name = artifact.filename
    view.file = nsis_value((PLUGINSDIR, "\\" + name), where)
    view.file_oname = nsis_value(("/oname=", PLUGINSDIR, "\\" + name), where)
    view.payload_source = f"{PAYLOAD}\\{name}"
    view.url = nsis_value((artifact.url,), where)
    view.sha256 = artifact.sha256


def _run_command(kind: str, silent: Templated) -> Templated:
    """'"FILE" ARGS' for an EXE, '"$SYSDIR\\msiexec.exe" /i "FILE" ARGS' for an MSI."""
    if kind == "msi":
        head = command_line((join(SYSDIR, "\\msiexec.exe"), ("/i",), (FILE,)))
    else:
        head = command_line(((FILE,),))
    return join(head, " ", silent) if silent else head


def _codes(valid: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return tuple(valid), tuple(c for c in valid if c in REBOOT_CODES)


def _runtime_view(i: int, step: InstallRuntime,
                  runtime_entries: tuple[list[str], list[str]]) -> StepView:
    where = f"step {i} ({step.title})"
    view = StepView(i, "runtime", step.kind, step.title)
    view.valid_codes, view.reboot_codes = _codes(step.valid_exit_codes)
    if step.kind == "zip":
        dirs, files = runtime_entries
        view.remove_dirs = [nsis_value(join(INSTALL_DIR, "\\" + d), where) for d in dirs]
        view.remove_files = [nsis_value(join(INSTALL_DIR, "\\" + f), where) for f in files]
        view.payload_source = f"{PAYLOAD}\\{RUNTIME_TREE}\\*.*"
        return view
    _artifact_values(view, step.artifact, where)
    view.command = nsis_value(_run_command(step.kind, step.silent_command), where)
    cleanup = step.bytecode_cleanup_command
    if cleanup is not None:
        view.cleanup_command = nsis_value(cleanup, where)
    if step.kind == "exe":
        # The python.org bundle uninstalls quietly with its own installer: keep a copy.
        kept = join(STATE_DIR, "\\" + step.artifact.filename)
        view.keep_copy = nsis_value(kept, where)
        view.undo_command = nsis_value(
            command_line((kept, ("/uninstall",), ("/quiet",))), where)
    else:
        view.undo_command = nsis_value(_msi_uninstall_command(), where)
    return view


def _installer_view(i: int, step: RunInstaller) -> StepView:
    where = f"step {i} ({step.title})"
    view = StepView(i, "installer", step.kind, step.title)
    view.valid_codes, view.reboot_codes = _codes(step.valid_exit_codes)
    _artifact_values(view, step.artifact, where)
    view.command = nsis_value(_run_command(step.kind, step.silent_command), where)
    if step.kind == "msi":
        view.undo_command = nsis_value(_msi_uninstall_command(), where)
    return view


def _msi_uninstall_command() -> Templated:
    """msiexec /x of the ProductCode read from the MSI at install time (kept in state.ini)."""
    return command_line((join(SYSDIR, "\\msiexec.exe"), ("/x",), (PRODUCT_CODE,), ("/qn",),
                         ("/norestart",)))


def path_script_args(step: ChangePath, action: str) -> tuple[Templated, ...]:
    """python.exe -E choconsis_path.py add|remove --scope S --record R [ENTRY...]."""
    args: list[Templated] = [
        join(INSTALL_DIR, "\\python.exe"), ("-E",), ("-s",), join(STATE_DIR, "\\" + PATH_SCRIPT),
        (action,), ("--scope",), (step.scope,), ("--record",), join(STATE_DIR, "\\path-record.txt"),
    ]
    if action == "add":
        args += list(step.entries)
    return tuple(args)


def _path_view(i: int, step: ChangePath) -> StepView:
    where = f"step {i} ({step.title})"
    view = StepView(i, "path", "path", step.title)
    view.command = nsis_value(command_line(path_script_args(step, "add")), where)
    view.undo_command = nsis_value(command_line(path_script_args(step, "remove")), where)
    return view


def _pip_view(i: int, step: PipInstall, offline: bool, preinstall: bool = False) -> StepView:
    where = f"step {i} ({step.title})"
    view = StepView(i, "pip", "pip", step.title)
    if preinstall:
        view.command = nsis_value(step.launcher_command(
            join(STATE_DIR, "\\" + LAUNCHER_SCRIPT), join(STATE_DIR, "\\" + DISTS_FILE)), where)
        view.payload_source = f"{PAYLOAD}\\{PREINSTALL_TREE}\\*.*"
    else:
        view.command = nsis_value(step.install_command(offline), where)
    view.undo_commands = [nsis_value(command_line(args), where)
                          for args in pip_uninstall_chunks(step)]
    return view


# What $INSTDIR may expand to at install time (MAX_PATH), for measuring command lines.
_LONGEST_INSTDIR = {**NSIS_VARIABLES, INSTALL_DIR: "X" * 260}


def _fits(args: tuple[Templated, ...]) -> bool:
    try:
        escaping.nsis_templated(command_line(args), _LONGEST_INSTDIR)
    except ValueError:
        return False
    return True


def pip_uninstall_chunks(step: PipInstall) -> list[tuple[Templated, ...]]:
    """plan's pip uninstall, split so that each command line fits in an NSIS string.

    A lock of ~60 wheels names more packages than 1024 characters hold; the uninstall then
    runs as several ``pip uninstall -y`` commands over consecutive groups of names, each
    measured with the longest $INSTDIR.
    """
    args = step.uninstall_args
    count = len(step.lock.names)
    head, names = args[:len(args) - count], args[len(args) - count:]
    chunks: list[tuple[Templated, ...]] = []
    current: list[Templated] = []
    for name in names:
        if current and not _fits((*head, *current, name)):
            chunks.append((*head, *current))
            current = []
        current.append(name)
    if current:
        chunks.append((*head, *current))
    return chunks


def _check_view(i: int, step: RunCheck, plan: InstallPlan) -> StepView:
    where = f"step {i} ({step.title})"
    view = StepView(i, "check", "check", step.title)
    view.command = nsis_value(command_line(step.cmd_args), where)
    change = plan.path_change
    if change is not None and change.entries:
        parts: list[Templated] = []
        for n, entry in enumerate(change.entries):
            parts += [(";",), entry] if n else [entry]
        view.path_entries = nsis_value(join(*parts), where + ", PATH for the check")
    return view


def step_views(plan: InstallPlan, offline: bool,
               runtime_entries: tuple[list[str], list[str]] = ([], []), *,
               preinstall: bool = False) -> list[StepView]:
    """One view per plan step, in plan order (the template renders them in this order)."""
    views: list[StepView] = []
    for i, step in enumerate(plan.steps, start=1):
        views.append(_step_view(i, step, plan, offline, runtime_entries, preinstall))
    return views


def _step_view(i: int, step: Step, plan: InstallPlan, offline: bool,
               runtime_entries: tuple[list[str], list[str]],
               preinstall: bool = False) -> StepView:
    if isinstance(step, InstallRuntime):
        return _runtime_view(i, step, runtime_entries)
    if isinstance(step, RunInstaller):
        return _installer_view(i, step)
    if isinstance(step, ChangePath):
        return _path_view(i, step)
    if isinstance(step, PipInstall):
        return _pip_view(i, step, offline, preinstall)
    if isinstance(step, RunCheck):
        return _check_view(i, step, plan)
    raise BuildError(f"the NSIS back end cannot render a {type(step).__name__} step")


# ---------------------------------------------------------------------------- staging


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def fetch_lock_wheels(plan: InstallPlan, store: "ArtifactStore") -> list[Path]:
    """Every wheel of the lock, verified by the store (generator.wheels when it is there)."""
    try:
        from ...lock.resolve import fetch_wheels  # type: ignore[attr-defined]
    except ImportError:
        return [_fetch_wheel(store, w) for w in plan.lock.wheels]
    return list(fetch_wheels(plan.lock, store))


def _fetch_wheel(store: "ArtifactStore", wheel: LockedWheel) -> Path:
    return store.fetch_url(wheel.url, wheel.sha256, wheel.filename, wheel.requirement)


def unpack_runtime(archive: Path, dest: Path) -> tuple[list[str], list[str]]:
    """Unpack a zip runtime into dest; return its top-level (folders, files), sorted.

    Refuses members that would land outside dest and archives without python.exe at the root.
    """
    top_dirs: set[str] = set()
    top_files: set[str] = set()
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = info.filename.replace("\\", "/")
                parts = PurePosixPath(name).parts
                if (name.startswith("/") or not parts or ".." in parts
                        or re.match(r"[A-Za-z]:", parts[0])):
                    raise BuildError(f"zip runtime {archive.name}: unsafe member path {name!r}")
                if info.is_dir() or len(parts) > 1:
                    top_dirs.add(parts[0])
                else:
                    top_files.add(parts[0])
            if not any(f.lower() == "python.exe" for f in top_files):
                raise BuildError(f"zip runtime {archive.name} has no python.exe at its root")
            zf.extractall(dest)
    except zipfile.BadZipFile as err:
        raise BuildError(f"zip runtime {archive.name} is not a zip archive: {err}") from None
    return sorted(top_dirs), sorted(top_files)


def stage_payload(plan: InstallPlan, dest: Path, *, offline: bool,
                  store: "ArtifactStore | None",
                  preinstall: bool = False) -> tuple[list[str], list[str]]:
    """Put every embedded file under dest/payload; return a zip runtime's top-level entries.

    With preinstall, the wheels are installed into payload/preinstall (generator.preinstall)
    instead of being embedded as files, and dest gets the dist list make_launchers.py reads.
    """
    runtime = plan.steps[0] if isinstance(plan.steps[0], InstallRuntime) else None
    needs_store = offline or (runtime is not None and runtime.kind == "zip")
    if not needs_store:
        return [], []
    if store is None:
        raise BuildError("the NSIS back end needs the artifact store to embed files "
                         "(offline mode, or a zip runtime)")
    if offline and preinstall:
        check_preinstallable(plan)  # before anything is fetched
    payload = dest / PAYLOAD
    entries: tuple[list[str], list[str]] = ([], [])
    for artifact in plan.artifacts:
        if runtime is not None and artifact == runtime.artifact and runtime.kind == "zip":
            entries = unpack_runtime(store.fetch(artifact), payload / RUNTIME_TREE)
        elif offline:
            _link_or_copy(store.fetch(artifact), payload / artifact.filename)
    if offline and preinstall:
        tree = payload / RUNTIME_TREE if runtime is not None and runtime.kind == "zip" else None
        dists = stage_preinstalled(plan, fetch_lock_wheels(plan, store),
                                   payload / PREINSTALL_TREE, tree)
        (dest / DISTS_FILE).write_text(format_dists(dists), encoding="utf-8", newline="\n")
    elif offline:
        for wheel in fetch_lock_wheels(plan, store):
            _link_or_copy(wheel, payload / WHEELS_DIR / wheel.name)
    return entries


# ---------------------------------------------------------------------------- render


def _in_state_dir(name: str) -> Code:
    return nsis_value(join(STATE_DIR, "\\" + name), name)


def _context(plan: InstallPlan, views: list[StepView], offline: bool,
             preinstall: bool = False) -> dict[str, object]:
    pkg = plan.package
    target = "amd64-unicode" if plan.runtime.arch == "amd64" else "x86-unicode"
    uninstaller = join(STATE_DIR, "\\uninstall.exe")
    check = next((v for v in views if v.type == "check"), None)
    compressor = (PREINSTALL_COMPRESSOR if preinstall
                  else "zlib" if plan.runtime.installer == "zip" else "lzma")
    return {
        "state_dir": nsis_value(join(INSTALL_DIR, "\\" + state_dir_name(plan)), "state folder"),
        "state_dir_name": state_dir_name(plan),
        "lock_file": _in_state_dir(LOCK_NAME),
        "path_script_file": _in_state_dir(PATH_SCRIPT),
        "preinstall": preinstall,
        "launcher_script": LAUNCHER_SCRIPT,
        "dists_file": DISTS_FILE,
        "launcher_script_file": _in_state_dir(LAUNCHER_SCRIPT),
        "dists_file_path": _in_state_dir(DISTS_FILE),
        "path_record": _in_state_dir("path-record.txt"),
        "state_ini": _in_state_dir("state.ini"),
        "log_file": _in_state_dir(f"{pkg.id}-install.log"),
        "temp_log": nsis_value((TEMP, f"\\{pkg.id}-install.log"), "log"),
        "temp_uninstall_log": nsis_value((TEMP, f"\\{pkg.id}-uninstall.log"), "log"),
        "uninstaller": nsis_value(uninstaller, "uninstaller"),
        "uninstall_string": nsis_value(command_line((uninstaller,)), "UninstallString"),
        "quiet_uninstall_string": nsis_value(command_line((uninstaller, ("/S",))),
                                             "QuietUninstallString"),
        "check_path": bool(check and check.path_entries),
        "welcome_text": welcome_text(plan),
        "compressor": compressor,
        "solid": compressor.startswith("/SOLID"),
        "start_line": nsis_value((f"installing {pkg.id} {pkg.version} "
                                  f"({'offline' if offline else 'web'} mode) into ", INSTALL_DIR),
                                 "log"),
        "uninstall_start_line": nsis_value((f"uninstalling {pkg.id} {pkg.version} from ",
                                            INSTALL_DIR), "log"),
        "wheels_dir": WHEELS_DIR,
        "plan": plan,
        "pkg": pkg,
        "steps": views,
        "undo_steps": list(reversed(views)),
        "offline": offline,
        "target": target,
        "vi_version": vi_version(pkg.version),
        "lock_name": LOCK_NAME,
        "path_script": PATH_SCRIPT,
        "wheels_source": f"{PAYLOAD}\\{WHEELS_DIR}\\*.whl",
        "reg_key": f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{pkg.id}",
        "has_path": plan.path_change is not None,
    }


def welcome_text(plan: InstallPlan) -> str:
    """The welcome page: what the package is and every step setup will take."""
    pkg = plan.package
    lines = [pkg.summary, "", "Setup will:"]
    lines += [f"  {i}. {step.title}" for i, step in enumerate(plan.steps, start=1)]
    lines += ["", f"License: {pkg.license_url}"]
    text = "\r\n".join(lines)
    limit = escaping.NSIS_MAX_STRLEN // 2  # room for the escapes and MUI's own text
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_mode(plan: InstallPlan, offline: bool, preinstall: bool) -> None:
    if preinstall and not offline:
        raise BuildError(f"NSIS installer of {plan.package.id}: --preinstall needs --offline "
                         "(the pre-installed wheels are embedded)")


def render_script(plan: InstallPlan, *, offline: bool,
                  runtime_entries: tuple[list[str], list[str]] = ([], []),
                  preinstall: bool = False) -> str:
    """The text of installer.nsi (no files touched)."""
    _check_mode(plan, offline, preinstall)
    env = make_environment(TEMPLATE_PACKAGE, escaping.nsis_string)
    views = step_views(plan, offline, runtime_entries, preinstall=preinstall)
    try:
        return env.get_template(TEMPLATE).render(**_context(plan, views, offline, preinstall))
    except ValueError as err:  # a literal longer than an NSIS string
        raise BuildError(f"NSIS installer of {plan.package.id}: {err}") from None


def render(plan: InstallPlan, dest: Path, *, offline: bool,
           store: "ArtifactStore | None", preinstall: bool = False) -> Path:
    """Write the self-contained NSIS folder at dest; return dest/installer.nsi.

    A zip runtime is unpacked here and embedded with ``File /r`` in web mode too: Windows has
    no unzip that can be scripted from a silent installer (and works under Wine), so shipping
    the unpacked tree is the dependable way. Everything is written in a temporary sibling
    folder and renamed into place, so a failure leaves dest as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp made it private; the rendered folder is an ordinary one
    try:
        _check_mode(plan, offline, preinstall)
        entries = stage_payload(plan, tmp, offline=offline, store=store, preinstall=preinstall)
        script = render_script(plan, offline=offline, runtime_entries=entries,
                               preinstall=preinstall)
        (tmp / "installer.nsi").write_text(script, encoding="utf-8", newline="\n")
        (tmp / LOCK_NAME).write_text(format_lock(plan.lock, plan.recipe_name), encoding="utf-8",
                                     newline="\n")
        source = template_dir(TEMPLATE_PACKAGE)
        for name in (*INCLUDES, PATH_SCRIPT, *((LAUNCHER_SCRIPT,) if preinstall else ())):
            if not (source / name).is_file():
                raise BuildError(f"the NSIS template folder {source} lacks {name}")
            shutil.copyfile(source / name, tmp / name)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.replace(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest / "installer.nsi"


# ---------------------------------------------------------------------------- compile


def find_makensis() -> str:
    exe = shutil.which("makensis")
    if exe is None:
        raise ToolMissingError("makensis", "nsis")
    return exe


_WARNING_RE = re.compile(r"^\s*(\d+ warnings?:|warning[: ])", re.I | re.M)


def compile_installer(nsis_dir: Path, exe: Path, *, plan: InstallPlan, sign_cert=None,
                      sign_key=None, sign_password=None) -> Path:
    """Run makensis on nsis_dir/installer.nsi; write exe through a temporary file.

    Warnings are errors (-WX). The output is reproducible: SetDateSave off in the script keeps
    file times out of the installer, and SOURCE_DATE_EPOCH is pinned for makensis.
    """
    makensis = find_makensis()
    nsis_dir, exe = Path(nsis_dir), Path(exe)
    script = nsis_dir / "installer.nsi"
    if not script.is_file():
        raise BuildError(f"{script} does not exist: render the NSIS sources first")
    exe.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{exe.name}-", suffix=".exe", dir=exe.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        signing: contextlib.AbstractContextManager[list[str]] = contextlib.nullcontext([])
        if sign_cert is not None:  # setup.exe and its uninstaller, signed while compiling
            signing = makensis_sign_args(Path(sign_cert), Path(sign_key) if sign_key else None,
                                         sign_password, signing_time(), output=tmp)
        with signing as sign_args:
            _run_makensis(makensis, script, tmp, plan, sign_args)
        tmp.chmod(0o755)  # mkstemp made it 0600
        tmp.replace(exe)
    finally:
        tmp.unlink(missing_ok=True)
    return exe


def _run_makensis(makensis: str, script: Path, out: Path, plan: InstallPlan,
                  extra_args: Sequence[str] = ()) -> None:
    if '"' in str(out):
        raise BuildError(f"cannot write the installer to {out}: the path holds a double quote")
    cmd = [makensis, "-V2", "-WX", "-INPUTCHARSET", "UTF8", *extra_args,
           "-DCHOCONSIS_OUTFILE=" + str(out.resolve()).replace("$", "$$"), script.name]
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"),
           "LC_ALL": "C.UTF-8"}
    proc = subprocess.run(cmd, cwd=script.parent, capture_output=True, text=True,
                          errors="replace", env=env)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise BuildError(f"makensis failed on {script} for {plan.package.id} "
                         f"(exit code {proc.returncode}):\n{output[-6000:]}")
    if _WARNING_RE.search(output):
        raise BuildError(f"makensis warned on {script}:\n{output[-6000:]}")
