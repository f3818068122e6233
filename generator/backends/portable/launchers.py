"""Launchers of the portable zip, which find the interpreter relative to themselves.

Each entry point or Python script is a ``bin\\<name>.exe``: distlib's simple launcher (the
template the PyPA ``installer`` library ships; pip's launchers are the same program) followed
by a shebang line and a zip holding ``__main__.py``. That launcher resolves a shebang starting with
``<launcher_dir>\\`` against the folder the .exe itself lies in (distlib PC/launcher.c,
SUPPORT_RELATIVE_PATH: the path after the prefix is joined to the launcher's folder with
PathCombineW, which also resolves ``..``), so ``#!<launcher_dir>\\..\\runtime\\python.exe``
starts the unpacked runtime wherever the folder was unpacked or moved to, and when a shim
(Scoop's, winget's alias) starts the .exe by its full path from elsewhere. Being .exe files
they are what winget's PortableCommandAlias and Scoop's bin entries expect, and Ctrl+C
reaches the app (a .cmd launcher would ask "Terminate batch job?").

A native program of the wheels is copied into ``bin`` as it is; a batch file gets a batch
file of one line that hands over to it, where it lies (:func:`command_file`).

The bytes are reproducible: the zip entry carries the build's fixed time.
"""

from __future__ import annotations

import io
import zipfile
from importlib import resources
from pathlib import Path

from ...errors import BuildError
from ...reproducible import zip_date_time
from ...plan import SITE_PACKAGES
from ...wheelfiles import (BATCH, CONSOLE, CONSOLE_SCRIPTS, EXE, GUI, GUI_SCRIPTS, SCRIPT,
                           WheelCommand, entry_point_map)

RUNTIME_FOLDER = "runtime"
BIN_FOLDER = "bin"
SHEBANG = f"#!<launcher_dir>\\..\\{RUNTIME_FOLDER}\\python.exe"
SCRIPTS_FOLDER = "Scripts"  # the runtime's: where the wheels' .data/scripts files went
TEMPLATES = {"amd64": "t64.exe", "x86": "t32.exe"}  # console launchers of installer._scripts
GUI_TEMPLATES = {"amd64": "w64.exe", "x86": "w32.exe"}  # ... and GUI ones


def launcher_template(arch: str, *, gui: bool = False) -> bytes:
    try:
        name = (GUI_TEMPLATES if gui else TEMPLATES)[arch]
        return resources.files("installer._scripts").joinpath(name).read_bytes()
    except (KeyError, FileNotFoundError, ModuleNotFoundError) as err:
        raise BuildError(f"no console launcher for {arch} in the installer library: "
                         f"{err}") from None


def main_code(target: str) -> bytes:
    """__main__.py that calls ``module:attr`` (attr may be dotted) and exits with its
    result, as the launcher pip writes does."""
    module, _, attr = target.partition(":")
    module, attr = module.strip(), attr.strip().split("[")[0].strip()
    if not module or not attr:
        raise BuildError(f"console script target {target!r} is not module:attr")
    head = attr.split(".")[0]
    return (f"import sys\nfrom {module} import {head}\n"
            "if __name__ == \"__main__\":\n"
            "    if sys.argv[0].lower().endswith(\".exe\"):\n"
            "        sys.argv[0] = sys.argv[0][:-4]\n"
            f"    sys.exit({attr}())\n").encode("utf-8")


def launcher(target: str, arch: str, *, gui: bool = False) -> bytes:
    """A console (GUI) launcher for ``module:attr`` starting the portable runtime."""
    return _with_main(main_code(target), arch, gui=gui)


def _with_main(code: bytes, arch: str, *, gui: bool = False) -> bytes:
    """A launcher that runs ``code`` as ``__main__.py`` with the portable runtime."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("__main__.py", date_time=zip_date_time())
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, code)
    shebang = SHEBANG.replace("python.exe", "pythonw.exe") if gui else SHEBANG
    return (launcher_template(arch, gui=gui) + shebang.encode("ascii") + b"\n"
            + stream.getvalue())


def console_targets(site_packages: Path) -> dict[str, tuple[str, bool]]:
    """name (lowercase) -> ("module:attr", gui) of every console and GUI script installed in
    ``site_packages``, the first dist-info folder by name wins."""
    found: dict[str, tuple[str, bool]] = {}
    for dist_info in sorted(site_packages.glob("*.dist-info")):
        path = dist_info / "entry_points.txt"
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for group, gui in ((CONSOLE_SCRIPTS, False), (GUI_SCRIPTS, True)):
                for name, target in entry_point_map(text, group, dist_info.name).items():
                    found.setdefault(name.lower(), (target, gui))
    return found


def _script_file(scripts: Path, name: str) -> Path:
    for candidate in (name, name + ".py", name + ".pyw"):
        if (scripts / candidate).is_file():
            return scripts / candidate
    raise BuildError(f"portable zip: no script file {name} in the runtime's Scripts folder")


def _installed(path: Path) -> bytes:
    if not path.is_file():
        raise BuildError(f"portable zip: the installed wheels hold no {path.name} in the "
                         "runtime's Scripts folder")
    return path.read_bytes()


def command_file(tree: Path, command: WheelCommand, arch: str,
                 entries: dict[str, tuple[str, bool]]) -> bytes:
    """The bytes of ``bin/<command.file>``, by the command's kind: a launcher of the entry
    point or of the Python script (with the script as its ``__main__.py``), the native
    program itself (a copy: a zip has no links), or a batch file of one line that hands
    over to the batch file in the runtime's Scripts folder, relative to its own folder."""
    scripts = tree / SCRIPTS_FOLDER
    if command.kind in (CONSOLE, GUI):
        target, gui = entries[command.name.lower()]
        return launcher(target, arch, gui=gui)
    if command.kind == EXE:
        return _installed(scripts / command.file)
    if command.kind == SCRIPT:
        body = _script_file(scripts, command.name).read_bytes()
        first, _, rest = body.partition(b"\n")
        return _with_main(rest if first.startswith(b"#!") else body, arch,
                          gui=b"pythonw" in first.lower())
    if command.kind == BATCH:
        _installed(scripts / command.name)
        return (f'@"%~dp0..\\{RUNTIME_FOLDER}\\{SCRIPTS_FOLDER}\\'
                f'{command.name.replace("%", "%%")}" %*\r\n').encode("ascii", "replace")
    raise BuildError(f"portable zip: {command.name}: unknown kind of command {command.kind!r}")


def command_launchers(tree: Path, commands: tuple[WheelCommand, ...],
                      arch: str) -> dict[str, bytes]:
    """``bin/<file>`` -> its bytes for each command (:func:`command_file`)."""
    entries = console_targets(tree.joinpath(*SITE_PACKAGES))
    missing = [c.name for c in commands
               if c.kind in (CONSOLE, GUI) and c.name.lower() not in entries]
    if missing:
        raise BuildError(f"portable zip: no installed dist has the console script(s) "
                         f"{', '.join(missing)}")
    return {f"{BIN_FOLDER}/{c.file}": command_file(tree, c, arch, entries) for c in commands}
