"""Recipe + lock -> the install plan (one function, :func:`build_plan`)."""

from __future__ import annotations

import dataclasses
import re

from packaging.requirements import Requirement

from ..errors import RecipeError, UsageError
from ..lock.installer import uv_member
from ..lock.lockfile import Lock
from ..lock.scripts import exposed_commands
from ..recipe import PythonRuntime, Recipe
from .actions import (Artifact, CopyPreinstalled, ExposeCommands, MakeVenv, PipInstall,
                      PrependPath, PythonRegistered, RunCheck, RunExe, RunMsi, UnpackZip,
                      msi_install_args, msi_logged)
from .undo import (LeaveInstalled, Nothing, RemoveCommands, RemoveRecorded, RemovePathEntries,
                   RemoveTree, RemoveUnpacked, UninstallExeRuntime, UninstallMsi,
                   runtime_cleanup)
from .commands import (BIN_PATH_RECORD, PATH_RECORD, UV_FOLDER, commands_command,
                       launcher_command, path_command, path_scope, pip_install_command,
                       record_command, remove_recorded_command, uv_extract_command,
                       uv_install_command, venv_command)
from .delivery import Delivery
from .layout import Layout, layout_of
from .policy import DEFAULT_VALID_EXIT_CODES, ExitPolicy, Ownership
from .steps import InstallPlan, Machine, Step
from .values import ALL_USERS, SCOPE, STATE_DIR, Command, Templated, templated, under

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
    """The silent switches for each kind of runtime installer (python.org conventions).
    {all_users} is 1 for a machine install, 0 for a per-user one (python.org's EXE installs
    either way); an MSI runtime installs for the machine."""
    if runtime.installer == "exe":
        return ("/quiet", "InstallAllUsers={all_users}", "PrependPath=0", "Include_pip=1",
                "Include_launcher=0", "Include_test=0", "TargetDir={runtime_dir}")
    if runtime.installer == "msi":
        return ("/qn", "/norestart", "ALLUSERS=1", "TARGETDIR={runtime_dir}", "ADDLOCAL=ALL")
    return ()


def python_display_name(runtime: PythonRuntime) -> str:
    """The Add/Remove Programs name the python.org EXE registers its bundle under."""
    return f"Python {runtime.version} ({'64-bit' if runtime.arch == 'amd64' else '32-bit'})"


def _args(texts: tuple[str, ...]) -> Command:
    return tuple(_all_users(templated(t)) for t in texts)


def _all_users(value: Templated) -> Templated:
    """{all_users} (default switches only) -> the ALL_USERS marker."""
    out: list = []
    for part in value:
        if isinstance(part, str) and "{all_users}" in part:
            pieces = part.split("{all_users}")
            for i, piece in enumerate(pieces):
                if i:
                    out.append(ALL_USERS)
                if piece:
                    out.append(piece)
        else:
            out.append(part)
    return tuple(out)


def fetched_at_install(rt: PythonRuntime, delivery: Delivery, layout: Layout) -> bool:
    """Whether the runtime archive is downloaded at install time instead of embedded: a
    runtime package (installer = "package") in web mode, in a folder of its own (the venv
    layout). A zip runtime keeps its meaning (embedded in setup.exe in every mode), and a
    package that shares the app's folder (environment = "runtime") is embedded too: its
    uninstall removes the archive's top-level entries, which only the build can list."""
    return rt.installer == "package" and delivery is Delivery.WEB and layout.venv


def runtime_step(rt: PythonRuntime, fetch: bool = False) -> Step:
    artifact = Artifact(f"Python {rt.version}", rt.url, rt.sha256)
    args = _args(rt.args if rt.args is not None else default_runtime_args(rt))
    exit = ExitPolicy.of_valid_codes(DEFAULT_VALID_EXIT_CODES)
    title = f"Python {rt.version} ({rt.arch})"
    if rt.private:  # zip or package: unpacked into the app's folder
        return Step(title, "runtime", UnpackZip(artifact, fetch=fetch), RemoveUnpacked(fetch),
                    Ownership.UNLESS_PREEXISTING, "runtime")
    if rt.installer == "msi":
        args, log = msi_logged(args, artifact.filename)
        return Step(title, "runtime", RunMsi(artifact, args, exit, shared=True, log=log),
                    UninstallMsi(cleanup=runtime_cleanup(), shared=True), Ownership.SHARED,
                    "runtime")
    tag = rt.minor_version + ("-32" if rt.arch == "x86" else "")
    shared = f"python-{tag}"
    probe = PythonRegistered(tag, wow64_32=rt.arch == "x86")
    return Step(title, "runtime", RunExe(artifact, args, exit, probe, shared=shared),
                UninstallExeRuntime(python_display_name(rt), runtime_cleanup(), shared),
                Ownership.SHARED, "runtime")


def installer_steps(recipe: Recipe) -> list[Step]:
    steps: list[Step] = []
    for inst in recipe.installers:
        artifact = Artifact(inst.name, inst.url, inst.sha256)
        exit = ExitPolicy.of_valid_codes(inst.valid_exit_codes)
        key = state_key("installer", artifact.filename)
        if any(s.key == key for s in steps):
            raise RecipeError(recipe.source, "installer",
                              f"two installers share the state key {key!r} (their file names "
                              "differ only in characters outside A-Z a-z 0-9 . _ -)")
        if inst.kind == "msi":
            args, log = msi_logged(msi_install_args(_args(inst.args)), artifact.filename)
            steps.append(Step(inst.name, key, RunMsi(artifact, args, exit, log=log),
                              UninstallMsi(), Ownership.UNLESS_PREEXISTING, "installer"))
        else:
            steps.append(Step(inst.name, key, RunExe(artifact, _args(inst.args), exit),
                              LeaveInstalled(), Ownership.NOTHING, "installer"))
    return steps


def packages_install(recipe: Recipe, lock: Lock, delivery: Delivery, layout: Layout
                     ) -> PipInstall:
    """The lock installed at install time: by uv where the recipe says so, else pip."""
    index = recipe.pip.index_url
    if recipe.installer != "uv":
        return PipInstall(pip_install_command(lock, index, delivery, layout))
    uv = lock.installer
    if uv is None:  # check_matches refuses such a lock first
        raise RecipeError(lock.source, None, "the lock pins no uv wheel")
    return PipInstall(uv_install_command(lock, index, delivery, layout),
                      artifact=Artifact(f"uv {uv.version}", uv.url, uv.sha256),
                      prepare=uv_extract_command(uv_member(uv)),
                      tool_folder=under(STATE_DIR, UV_FOLDER), tool_member=uv_member(uv),
                      installer="uv")


def check_preinstallable(recipe: Recipe, lock: Lock, layout: Layout) -> None:
    """Refuse, before anything is fetched, a lock or runtime --preinstall cannot handle."""
    pkg = f"{recipe.package.id} {recipe.package.version}"
    sdists = [w.filename for w in lock.wheels if not w.filename.endswith(".whl")]
    if sdists:
        raise UsageError(f"--preinstall for {pkg}: the lock {lock.source} pins "
                         f"{len(sdists)} source archive(s) ({', '.join(sdists[:3])}"
                         f"{', ...' if len(sdists) > 3 else ''}); only wheels can be installed "
                         "at build time: build without --preinstall")
    if not layout.venv and not recipe.python.private:
        raise UsageError(f"--preinstall for {pkg}: the runtime layout is unknown at build time "
                         f"(a {recipe.python.installer} runtime is only unpacked on the "
                         "target); it needs a zip runtime, whose tree the build unpacks and "
                         "embeds, or [install] environment = \"venv\"")


def build_plan(recipe: Recipe, lock: Lock, delivery: Delivery = Delivery.WEB) -> InstallPlan:
    """Turn a checked recipe and its lock into the ordered install plan: a pure function of
    the two (the commands put on PATH come from the console scripts the lock records, see
    :mod:`choconsis.lock.scripts`), and the one way to plan a recipe."""
    lock.check_matches(recipe)
    layout = layout_of(recipe)
    if delivery is Delivery.PREINSTALLED:
        check_preinstallable(recipe, lock, layout)
    fetch = fetched_at_install(recipe.python, delivery, layout)
    steps = [runtime_step(recipe.python, fetch), *installer_steps(recipe)]
    if layout.venv:
        steps.append(Step("the app's environment", "environment",
                          MakeVenv(layout.env_dir, venv_command(layout)),
                          RemoveTree(layout.env_dir), Ownership.OURS, "environment"))
    entries: tuple[Templated, ...] = ()
    if recipe.path.prepend:
        entries = tuple(templated(e) for e in recipe.path.prepend)
        scope = path_scope(recipe.path.scope)
        steps.append(Step("PATH", "path", PrependPath(entries, recipe.path.scope,
                                                      path_command("add", scope, PATH_RECORD,
                                                                   entries)),
                          RemovePathEntries(recipe.path.scope,
                                            path_command("remove", scope, PATH_RECORD)),
                          Ownership.RECORDED, "path"))
    names = " ".join(Requirement(r).name for r in recipe.pip.requirements)
    install = (CopyPreinstalled(launcher_command(layout)) if delivery is Delivery.PREINSTALLED
               else packages_install(recipe, lock, delivery, layout))
    if layout.venv:  # the packages go with the environment, as a whole
        undo, owns = Nothing(), Ownership.OURS
    else:
        # into the runtime: what went in is written down at install and removed exactly
        install = dataclasses.replace(install, record=record_command(layout))
        undo, owns = RemoveRecorded(remove_recorded_command()), Ownership.OURS
    tool = install.installer if isinstance(install, PipInstall) else "pip"
    steps.append(Step(f"{tool} install {names}", "packages", install, undo, owns, "packages"))
    found = exposed_commands(lock, recipe.pip.requirements, recipe.install.commands,
                             recipe.source)
    exposed = tuple(c.name for c in found)
    if exposed:
        scope = (SCOPE,)
        steps.append(Step("commands on PATH: " + " ".join(exposed), "commands",
                          ExposeCommands(exposed, layout.scripts, layout.bin,
                                         commands_command(layout, exposed,
                                                          tuple(c.kind for c in found)),
                                         path_command("add", scope, BIN_PATH_RECORD,
                                                      (layout.bin,)),
                                         kinds=tuple(c.kind for c in found)),
                          RemoveCommands(exposed, layout.scripts, layout.bin,
                                         path_command("remove", scope, BIN_PATH_RECORD),
                                         files=tuple(c.file for c in found)),
                          Ownership.OURS, "commands"))
    if recipe.check.at_install:  # setup.exe /NoCheck or the package's /NoCheck skip it
        check = (("cmd.exe",), ("/d",), ("/c",), (recipe.check.command,))
        folder = layout.bin if exposed else None
        steps.append(Step(f"check: {recipe.check.command}", "check",
                          RunCheck(check, entries, folder, expect=recipe.check.expect),
                          Nothing(), Ownership.NOTHING, "check"))
    return InstallPlan(package=recipe.package, runtime=recipe.python,
                       install_dir=recipe.python.install_dir, steps=tuple(steps), lock=lock,
                       recipe_name=recipe.name, layout=layout, scopes=recipe.scopes,
                       scope=recipe.scope, delivery=delivery, machine=Machine.of(recipe.python),
                       release=recipe.release)
