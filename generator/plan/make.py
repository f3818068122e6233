"""Recipe + lock -> the install plan (one function, :func:`build_plan`)."""

from __future__ import annotations

import re

from packaging.requirements import Requirement

from ..errors import RecipeError, UsageError
from ..lock.lockfile import Lock
from ..recipe import PythonRuntime, Recipe
from .actions import (Artifact, CopyPreinstalled, LeaveInstalled, Nothing, PipInstall,
                      PipUninstall, PrependPath, PythonRegistered, RemovePathEntries,
                      RemoveUnpacked, RunCheck, RunExe, RunMsi, UninstallExeRuntime,
                      UninstallMsi, UnpackZip, msi_install_args, runtime_cleanup)
from .delivery import Delivery
from .policy import DEFAULT_VALID_EXIT_CODES, ExitPolicy, Ownership
from .steps import InstallPlan, Step
from .values import (INSTALL_DIR, LOCK, SCRIPTS, STATE_DIR, WHEELS, Command, Templated,
                     templated, under)

# Where pip installs on Windows, relative to the runtime folder (CPython's sysconfig 'nt' layout).
SITE_PACKAGES = ("Lib", "site-packages")
PATH_SCRIPT = "choconsis_path.py"  # nsis/choconsis_path.py, shipped with both back ends
LAUNCHER_SCRIPT = "make_launchers.py"  # nsis/make_launchers.py (--preinstall)
DISTS_FILE = "preinstalled-dists.txt"  # the dist-info folders make_launchers.py reads
PATH_RECORD = "path-record.txt"  # what choconsis_path.py added (in the state folder)
LOCK_FILE = "requirements.lock"  # the lock, as shipped with both back ends


def state_dir_name(package_id: str) -> str:
    """Folder under the install folder that holds the install's own records."""
    return f"choconsis-{package_id}"


def state_key(role: str, name: str = "") -> str:
    """The key a step's records go under: what it installs, never where it sits in the plan
    (an upgrade that adds a step still finds the records of the others). Only characters that
    need no escaping in an INI section or a JSON key."""
    return role + (":" + re.sub(r"[^A-Za-z0-9._-]", "_", name) if name else "")


def default_runtime_args(runtime: PythonRuntime) -> tuple[str, ...]:
    """The silent switches for each kind of runtime installer (python.org conventions)."""
    if runtime.installer == "exe":
        return ("/quiet", "InstallAllUsers=1", "PrependPath=0", "Include_pip=1",
                "Include_launcher=0", "Include_test=0", "TargetDir={install_dir}")
    if runtime.installer == "msi":
        return ("/qn", "/norestart", "ALLUSERS=1", "TARGETDIR={install_dir}", "ADDLOCAL=ALL")
    return ()


def python_display_name(runtime: PythonRuntime) -> str:
    """The Add/Remove Programs name the python.org EXE registers its bundle under."""
    return f"Python {runtime.version} ({'64-bit' if runtime.arch == 'amd64' else '32-bit'})"


def _args(texts: tuple[str, ...]) -> Command:
    return tuple(templated(t) for t in texts)


def _python() -> Templated:
    return under(INSTALL_DIR, "python.exe")


def runtime_step(rt: PythonRuntime) -> Step:
    artifact = Artifact(f"Python {rt.version}", rt.url, rt.sha256)
    args = _args(rt.args if rt.args is not None else default_runtime_args(rt))
    exit = ExitPolicy.of_valid_codes(DEFAULT_VALID_EXIT_CODES)
    title = f"Python {rt.version} ({rt.arch})"
    if rt.installer == "zip":
        return Step(title, "runtime", UnpackZip(artifact), RemoveUnpacked(),
                    Ownership.UNLESS_PREEXISTING, "runtime")
    if rt.installer == "msi":
        return Step(title, "runtime", RunMsi(artifact, args, exit),
                    UninstallMsi(cleanup=runtime_cleanup()), Ownership.UNLESS_PREEXISTING,
                    "runtime")
    tag = rt.minor_version + ("-32" if rt.arch == "x86" else "")
    probe = PythonRegistered(tag, wow64_32=rt.arch == "x86")
    return Step(title, "runtime", RunExe(artifact, args, exit, probe, keep_copy=True),
                UninstallExeRuntime(python_display_name(rt), runtime_cleanup()),
                Ownership.UNLESS_PREEXISTING, "runtime")


def path_command(action: str, scope: str, entries: tuple[Templated, ...] = ()) -> Command:
    """python.exe -E -s choconsis_path.py add|remove --scope S --record R [ENTRY...]."""
    return (_python(), ("-E",), ("-s",), under(SCRIPTS, PATH_SCRIPT), (action,),
            ("--scope",), (scope,), ("--record",), under(STATE_DIR, PATH_RECORD), *entries)


def pip_install_command(lock: Lock, index_url: str, delivery: Delivery) -> Command:
    """pip install everything in the lock with --require-hashes; stop on failure.

    --no-deps: the lock is the whole closure, so pip installs exactly it and never reaches
    for anything else (nor replaces what an extra installer provided). --only-binary :all:
    when the lock holds only wheels; a legacy target's lock may pin source archives, which
    the hashes still pin to the exact file.
    """
    args: list[Templated] = [
        _python(), ("-m",), ("pip",), ("install",), ("--disable-pip-version-check",),
        ("--no-warn-script-location",), ("--require-hashes",), ("--no-deps",),
    ]
    if lock.wheels_only:
        args += [("--only-binary",), (":all:",)]
    args += [("-r",), (LOCK,)]
    if delivery.embeds:
        args += [("--no-index",), ("--find-links",), (WHEELS,)]
    else:
        args += [("--index-url",), (index_url,)]
    return tuple(args)


def launcher_command() -> Command:
    """--preinstall: python.exe make_launchers.py writes each dist's console-script launchers
    with the real interpreter path and adds them to its RECORD."""
    return (_python(), ("-E",), ("-s",), under(SCRIPTS, LAUNCHER_SCRIPT),
            ("--site-packages",), under(INSTALL_DIR, *SITE_PACKAGES),
            ("--scripts",), under(INSTALL_DIR, "Scripts"), ("--dists",),
            under(STATE_DIR, DISTS_FILE))


def pip_uninstall_command(lock: Lock) -> tuple[Command, int]:
    head: Command = (_python(), ("-m",), ("pip",), ("uninstall",),
                     ("--disable-pip-version-check",), ("-y",))
    return (*head, *((name,) for name in lock.names)), len(head)


def check_preinstallable(recipe: Recipe, lock: Lock) -> None:
    """Refuse, before anything is fetched, a lock or runtime --preinstall cannot handle."""
    pkg = f"{recipe.package.id} {recipe.package.version}"
    sdists = [w.filename for w in lock.wheels if not w.filename.endswith(".whl")]
    if sdists:
        raise UsageError(f"--preinstall for {pkg}: the lock {lock.source} pins "
                         f"{len(sdists)} source archive(s) ({', '.join(sdists[:3])}"
                         f"{', ...' if len(sdists) > 3 else ''}); only wheels can be installed "
                         "at build time: build without --preinstall")
    if recipe.python.installer != "zip":
        raise UsageError(f"--preinstall for {pkg}: the runtime layout is unknown at build time "
                         f"(a {recipe.python.installer} runtime is only unpacked on the "
                         "target); it needs a zip runtime, whose tree the build unpacks and "
                         "embeds")


def build_plan(recipe: Recipe, lock: Lock, delivery: Delivery = Delivery.WEB) -> InstallPlan:
    """Turn a checked recipe and its lock into the ordered install plan."""
    lock.check_matches(recipe)
    if delivery is Delivery.PREINSTALLED:
        check_preinstallable(recipe, lock)
    rt = recipe.python
    steps: list[Step] = [runtime_step(rt)]
    for inst in recipe.installers:
        artifact = Artifact(inst.name, inst.url, inst.sha256)
        exit = ExitPolicy.of_valid_codes(inst.valid_exit_codes)
        key = state_key("installer", artifact.filename)
        if any(s.key == key for s in steps):
            raise RecipeError(recipe.source, "installer",
                              f"two installers share the state key {key!r} (their file names "
                              "differ only in characters outside A-Z a-z 0-9 . _ -)")
        if inst.kind == "msi":
            steps.append(Step(inst.name, key, RunMsi(artifact, msi_install_args(
                _args(inst.args)), exit), UninstallMsi(), Ownership.UNLESS_PREEXISTING,
                "installer"))
        else:
            steps.append(Step(inst.name, key, RunExe(artifact, _args(inst.args), exit),
                              LeaveInstalled(), Ownership.NOTHING, "installer"))
    entries: tuple[Templated, ...] = ()
    if recipe.path.prepend:
        scope = recipe.path.scope
        entries = tuple(templated(e) for e in recipe.path.prepend)
        steps.append(Step(f"{scope} PATH", "path",
                          PrependPath(entries, scope, path_command("add", scope, entries)),
                          RemovePathEntries(scope, path_command("remove", scope)),
                          Ownership.RECORDED, "path"))
    names = " ".join(Requirement(r).name for r in recipe.pip.requirements)
    uninstall, names_from = pip_uninstall_command(lock)
    install = (CopyPreinstalled(launcher_command()) if delivery is Delivery.PREINSTALLED
               else PipInstall(pip_install_command(lock, recipe.pip.index_url, delivery)))
    steps.append(Step(f"pip install {names}", "packages", install,
                      PipUninstall(uninstall, names_from), Ownership.OURS, "packages"))
    check = (("cmd.exe",), ("/d",), ("/c",), (recipe.check.command,))
    steps.append(Step(f"check: {recipe.check.command}", "check", RunCheck(check, entries),
                      Nothing(), Ownership.NOTHING, "check"))
    return InstallPlan(package=recipe.package, runtime=rt, install_dir=rt.install_dir,
                       steps=tuple(steps), lock=lock, recipe_name=recipe.name)


def load_plan(recipe: Recipe, delivery: Delivery = Delivery.WEB) -> InstallPlan:
    """Read the recipe's lock from beside it and build the plan."""
    from ..lock.lockfile import read_lock

    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path")
    return build_plan(recipe, read_lock(recipe.lock_path), delivery)
