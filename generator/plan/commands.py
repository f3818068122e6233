"""The command lines the steps run, composed once for both back ends."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from ..lock.lockfile import Lock
from .delivery import Delivery
from .layout import Layout
from .values import (FILE, LOCK, RUNTIME_DIR, SCOPE, SCRIPTS, STATE_DIR, WHEELS, Command,
                     Templated, under)

PATH_SCRIPT = "choconsis_path.py"  # choconsis.engine's, shipped with both back ends
LAUNCHER_SCRIPT = "make_launchers.py"  # choconsis.engine's launcher writer
DISTS_FILE = "preinstalled-dists.txt"  # the dist-info folders make_launchers.py reads
PATH_RECORD = "path-record.txt"  # what choconsis_path.py added for [path] (state folder)
BIN_PATH_RECORD = "bin-path-record.txt"  # ... and for the commands folder
RECORD_SCRIPT = "choconsis_record.py"  # choconsis.engine's record of a runtime's packages
PACKAGES_RECORD = "packages-record.txt"  # ... what the packages step put into the runtime
UV_FOLDER = "uv"  # <state folder>\uv\uv.exe: taken out of its wheel for the install only
# uv 0.11.0 named its option to trust the platform's certificate store --system-certs (and
# from 0.11.9 warns that the older --native-tls, which every earlier uv has, is deprecated)
UV_SYSTEM_CERTS_SINCE = Version("0.11.0")

# uv.exe out of its (verified) wheel, with nothing but the runtime's own zipfile: argv 1 the
# wheel, 2 where uv.exe goes, 3 its member name. Single quotes only (no inner escaping).
EXTRACT_UV = ("import os, sys, zipfile; "
              "os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True); "
              "open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[3]))")


def runtime_python() -> Templated:
    return under(RUNTIME_DIR, "python.exe")


def path_scope(scope: str) -> Templated:
    """[path] scope as the PATH editor's --scope: "install" is the install's own scope."""
    return (SCOPE,) if scope == "install" else (scope,)


def path_command(action: str, scope: Templated, record: str,
                 entries: tuple[Templated, ...] = ()) -> Command:
    """python.exe -E -s choconsis_path.py add|remove --scope S --record R [ENTRY...], run by
    the runtime's python.exe (there before the environment, and gone only after it)."""
    return (runtime_python(), ("-E",), ("-s",), under(SCRIPTS, PATH_SCRIPT), (action,),
            ("--scope",), scope, ("--record",), under(STATE_DIR, record), *entries)


def venv_command(layout: Layout) -> Command:
    return (runtime_python(), ("-E",), ("-s",), ("-m",), ("venv",), ("--without-pip",),
            layout.env_dir)


def _lock_source(lock: Lock, index_url: str, delivery: Delivery) -> list[Templated]:
    """What pip and uv both take after their own options: wheels only (when the lock holds
    only wheels), the lock, and where the files come from (the embedded wheels or the index)."""
    args: list[Templated] = [("--only-binary",), (":all:",)] if lock.wheels_only else []
    args += [("-r",), (LOCK,)]
    if delivery.embeds:
        return args + [("--no-index",), ("--find-links",), (WHEELS,)]
    return args + [("--index-url",), (index_url,)]


def pip_install_command(lock: Lock, index_url: str, delivery: Delivery,
                        layout: Layout) -> Command:
    """pip install everything in the lock with --require-hashes; stop on failure.

    The runtime's pip installs into the app's environment (pip --python; in a "runtime"
    environment the two are one). --no-deps: the lock is the whole closure, so pip installs
    exactly it and never reaches for anything else (nor replaces what an extra installer
    provided). --only-binary :all: when the lock holds only wheels; a legacy target's lock may
    pin source archives, which the hashes still pin to the exact file. --no-compile, as uv: pip
    compiles every module, one at a time (30-40 s of the openstack client's install under
    Wine); the check's first run compiles what the app imports.
    """
    args: list[Templated] = [runtime_python(), ("-m",), ("pip",)]
    if layout.venv:
        args += [("--python",), layout.python]
    args += [("install",), ("--disable-pip-version-check",), ("--no-warn-script-location",),
             ("--no-compile",), ("--require-hashes",), ("--no-deps",)]
    return (*args, *_lock_source(lock, index_url, delivery))


def uv_program() -> Templated:
    return under(STATE_DIR, UV_FOLDER, "uv.exe")


def uv_extract_command(member: str) -> Command:
    """The runtime's python.exe takes uv.exe out of the uv wheel the step fetched (FILE)."""
    return (runtime_python(), ("-E",), ("-s",), ("-c",), (EXTRACT_UV,), (FILE,), uv_program(),
            (member,))


def uv_tls_option(version: str) -> str:
    """The option that makes this uv version verify TLS with the Windows certificate store
    (as pip does), so that a proxy's root that Windows trusts works: uv's default is its own
    bundled roots ("invalid peer certificate: UnknownIssuer" behind such a proxy)."""
    try:
        newer = Version(version) >= UV_SYSTEM_CERTS_SINCE
    except InvalidVersion:
        newer = True  # the lock pins a release; an unreadable one is taken to be recent
    return "--system-certs" if newer else "--native-tls"


def uv_install_command(lock: Lock, index_url: str, delivery: Delivery,
                       layout: Layout) -> Command:
    """uv pip install of the lock into the app's environment: the same choices as
    :func:`pip_install_command` (hashes required, no dependencies, wheels only).

    --no-config: no uv.toml of the machine changes what is installed; --no-cache: uv writes
    nothing outside the environment (its cache would stay in %LOCALAPPDATA%\\uv); the
    system certificate store (:func:`uv_tls_option`). No bytecode (uv's default): the
    check's first run compiles what the app imports.
    """
    tls = uv_tls_option(lock.installer.version if lock.installer else "")
    args: list[Templated] = [uv_program(), ("pip",), ("install",), ("--no-config",),
                             ("--no-cache",), (tls,), ("--python",), layout.python,
                             ("--require-hashes",), ("--no-deps",)]
    return (*args, *_lock_source(lock, index_url, delivery))


def launcher_command(layout: Layout) -> Command:
    """--preinstall: make_launchers.py, run by the runtime's python.exe (its pip's distlib
    writes them), writes each dist's console-script launchers starting the environment's
    python.exe, and adds them to its RECORD."""
    return (runtime_python(), ("-E",), ("-s",), under(SCRIPTS, LAUNCHER_SCRIPT),
            ("--python",), layout.python, ("--site-packages",), layout.site_packages,
            ("--scripts",), layout.scripts, ("--dists",), under(STATE_DIR, DISTS_FILE))


def commands_command(layout: Layout, names: tuple[str, ...],
                     kinds: tuple[str, ...] = ()) -> Command:
    """setup.exe's commands folder: make_launchers.py writes a launcher for each command,
    starting the environment's python.exe by its absolute path (or exposes the file of a
    command of another kind than a console script: ``kinds``, from the Scripts folder)."""
    command: Command = (runtime_python(), ("-E",), ("-s",), under(SCRIPTS, LAUNCHER_SCRIPT),
                        ("--python",), layout.python, ("--site-packages",),
                        layout.site_packages, ("--scripts",), layout.bin, ("--commands",),
                        *((n,) for n in names))
    if any(k != "console" for k in kinds):
        command += (("--kinds",), *((k,) for k in kinds), ("--from",), layout.scripts)
    return command


def record_command(layout: Layout) -> Command:
    """After the packages step into a runtime: write down every file the installers recorded
    for the distributions the lock pins (choconsis_record.py write)."""
    return (runtime_python(), ("-E",), ("-s",), under(SCRIPTS, RECORD_SCRIPT), ("write",),
            ("--site-packages",), layout.site_packages, ("--lock",), (LOCK,), ("--out",),
            under(STATE_DIR, PACKAGES_RECORD))


def remove_recorded_command() -> Command:
    """Uninstall: remove what record_command wrote down, never anything outside the runtime."""
    return (runtime_python(), ("-E",), ("-s",), under(SCRIPTS, RECORD_SCRIPT), ("remove",),
            ("--record",), under(STATE_DIR, PACKAGES_RECORD), ("--root",), (RUNTIME_DIR,))
