"""Launchers of the portable zip, which find the interpreter relative to themselves.

Each command is a ``bin\\<name>.exe``: distlib's simple launcher (the template the PyPA
``installer`` library ships; pip's launchers are the same program) followed by a shebang
line and a zip holding ``__main__.py``. That launcher resolves a shebang starting with
``<launcher_dir>\\`` against the folder the .exe itself lies in (distlib PC/launcher.c,
SUPPORT_RELATIVE_PATH: the path after the prefix is joined to the launcher's folder with
PathCombineW, which also resolves ``..``), so ``#!<launcher_dir>\\..\\runtime\\python.exe``
starts the unpacked runtime wherever the folder was unpacked or moved to, and when a shim
(Scoop's, winget's alias) starts the .exe by its full path from elsewhere. Being .exe files
they are what winget's PortableCommandAlias and Scoop's bin entries expect, and Ctrl+C
reaches the app (a .cmd launcher would ask "Terminate batch job?").

The bytes are reproducible: the zip entry carries the build's fixed time.
"""

from __future__ import annotations

import io
import zipfile
from importlib import resources
from pathlib import Path

from ...errors import BuildError
from ...reproducible import zip_date_time
from ...wheelfiles import CONSOLE_SCRIPTS, entry_point_map

RUNTIME_FOLDER = "runtime"
BIN_FOLDER = "bin"
SHEBANG = f"#!<launcher_dir>\\..\\{RUNTIME_FOLDER}\\python.exe"
TEMPLATES = {"amd64": "t64.exe", "x86": "t32.exe"}  # console launchers of installer._scripts


def launcher_template(arch: str) -> bytes:
    try:
        return resources.files("installer._scripts").joinpath(TEMPLATES[arch]).read_bytes()
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


def launcher(target: str, arch: str) -> bytes:
    """A console launcher for ``module:attr`` starting the portable runtime."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("__main__.py", date_time=zip_date_time())
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, main_code(target))
    return launcher_template(arch) + SHEBANG.encode("ascii") + b"\n" + stream.getvalue()


def console_targets(site_packages: Path) -> dict[str, str]:
    """name (lowercase) -> (name, "module:attr") of every console script installed in
    ``site_packages``, the first dist-info folder by name wins."""
    found: dict[str, str] = {}
    for dist_info in sorted(site_packages.glob("*.dist-info")):
        path = dist_info / "entry_points.txt"
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for name, target in entry_point_map(text, CONSOLE_SCRIPTS, dist_info.name).items():
                found.setdefault(name.lower(), target)
    return found


def command_launchers(site_packages: Path, commands: tuple[str, ...],
                      arch: str) -> dict[str, bytes]:
    """``bin/<name>.exe`` -> launcher bytes for each command."""
    targets = console_targets(site_packages)
    missing = [c for c in commands if c.lower() not in targets]
    if missing:
        raise BuildError(f"portable zip: no installed dist has the console script(s) "
                         f"{', '.join(missing)}")
    return {f"{BIN_FOLDER}/{name}.exe": launcher(targets[name.lower()], arch)
            for name in commands}
