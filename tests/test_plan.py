"""The install plan: steps with their actions, owners, state keys and exit policies; composed
command lines; undo order; lock matching."""

from __future__ import annotations


import subprocess
import sys
from dataclasses import replace

import pytest

from choconsis.errors import RecipeError, UsageError
from choconsis.lock.lockfile import Lock, LockedWheel
from choconsis.plan import (ALL_USERS, FILE, INSTALL_DIR, LOCK, PRODUCT_CODE, PROGRAM_FILES,
                            RUNTIME_DIR, SCOPE, SCRIPTS, STATE_DIR, TEMP_DIR, USER_PROGRAMS, WHEELS,
                            CopyPreinstalled, Delivery, ExitPolicy, ExposeCommands, FileExists,
                            LeaveInstalled, MakeVenv, MsiProductInstalled, Nothing, Ownership,
                            PipInstall, PrependPath, RemoveRecorded, PythonRegistered,
                            RemoveCommands, RemovePathEntries, RemoveTree, RemoveUnpacked,
                            RunCheck, RunExe, RunMsi, UninstallExeRuntime, UninstallMsi,
                            UnpackZip, build_plan, command_line, join, literal, templated)
from choconsis.lock.uvresolve import uv_binary, uv_environment
from choconsis.plan.commands import uv_tls_option
from choconsis.recipe import parse_recipe
from kit.locks import fake_lock, uv_wheel, with_commands
from kit.plans import web_payload
from kit.recipes import exe_recipe_data, recipe_data



def recipe(name: str = "openstack-clients", **changes):
    """A shipped recipe with changes; "openstack-clients" on python.org's EXE installer (the
    kind most of these tests are about; "shipped" is the recipe as shipped)."""
    data = exe_recipe_data(name) if name == "openstack-clients" else recipe_data(
        name if name != "shipped" else "openstack-clients")
    name = "openstack-clients" if name == "shipped" else name
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data.setdefault(section, {})[key] = value
    return parse_recipe(data, f"{name}.toml")


def lock_for(r, platform: str = "") -> Lock:
    """A fake lock of the recipe's requirements and one dependency."""
    return fake_lock(r, deps=[("dep", "1.0")], platform=platform or r.python.platform)


def shape(plan) -> list[tuple[str, str, str, str]]:
    return [(s.key, s.install.kind, s.undo.kind, str(s.owns)) for s in plan.steps]


COMMANDS = ("openstack", "nova")


def test_steps_of_the_default_recipe():
    r = recipe("shipped")
    plan = build_plan(r, with_commands(lock_for(r), COMMANDS))
    assert shape(plan) == [
        ("runtime", "unpack_zip", "remove_unpacked", "unless-preexisting"),
        ("environment", "make_venv", "remove_tree", "ours"),
        ("packages", "pip_install", "nothing", "ours"),  # gone with the environment
        ("commands", "expose_commands", "remove_commands", "ours"),
        ("check", "run_check", "nothing", "nothing"),
    ]
    assert plan.undo_order() == tuple(reversed(plan.steps))
    assert plan.artifacts[0].filename == "python-3.14.7-amd64.zip"
    # a runtime package: fetched at install time in web mode, embedded offline
    assert plan.runtime_step.install.fetch and plan.runtime_step.undo.whole
    assert not plan.embedded_runtime
    offline = build_plan(r, with_commands(lock_for(r), COMMANDS), Delivery.OFFLINE)
    assert not offline.runtime_step.install.fetch and offline.embedded_runtime
    assert (plan.scopes, plan.scope, plan.layout.environment) == (("user", "machine"), "user",
                                                                   "venv")
    # per user under %LOCALAPPDATA%\Programs; the runtime private, in the app's folder
    assert plan.layout.install_dir == {"machine": (PROGRAM_FILES, "\\openstack-clients"),
                                       "user": (USER_PROGRAMS, "\\openstack-clients")}
    assert plan.layout.runtime_dir == {"machine": (INSTALL_DIR, "\\runtime"),
                                       "user": (INSTALL_DIR, "\\runtime")}


def test_steps_of_the_default_recipe_on_the_exe_runtime():
    r = recipe()
    plan = build_plan(r, with_commands(lock_for(r), COMMANDS))
    assert shape(plan)[0] == ("runtime", "run_exe", "uninstall_exe_runtime", "shared")
    assert plan.artifacts[0].filename == "python-3.14.7-amd64.exe"
    # the runtime where python.org's installer puts it
    assert plan.layout.runtime_dir == {"machine": ("C:\\Python314",),
                                       "user": (USER_PROGRAMS, "\\Python\\Python314")}


def test_the_app_gets_its_own_environment_and_only_its_commands_on_path():
    r = recipe()
    plan = build_plan(r, with_commands(lock_for(r), COMMANDS))
    env = plan.by_role("environment")[0]
    assert isinstance(env.install, MakeVenv) and isinstance(env.undo, RemoveTree)
    assert env.install.folder == env.undo.folder == (INSTALL_DIR, "\\env")
    assert command_line(env.install.command) == (
        '"', RUNTIME_DIR, '\\python.exe" -E -s -m venv --without-pip "', INSTALL_DIR, '\\env"')
    # uv fills the app's environment, never the runtime's own site-packages
    uv = command_line(plan.packages_step.install.command)
    assert uv[:5] == ('"', STATE_DIR, '\\uv\\uv.exe" pip install --no-config --no-cache '
                      '--system-certs --python "', INSTALL_DIR,
                      '\\env\\Scripts\\python.exe" --require-hashes '
                      '--no-deps --only-binary :all: -r "')
    commands = plan.by_role("commands")[0]
    assert isinstance(commands.install, ExposeCommands)
    assert isinstance(commands.undo, RemoveCommands)
    assert commands.install.names == COMMANDS
    assert commands.install.scripts == (INSTALL_DIR, "\\env\\Scripts")
    assert commands.install.bin == (INSTALL_DIR, "\\bin")
    add = command_line(commands.install.path_command)
    assert add[4:] == ('\\choconsis_path.py" add --scope ', SCOPE, ' --record "', STATE_DIR,
                       '\\bin-path-record.txt" "', INSTALL_DIR, '\\bin"')
    assert plan.check_step.install.commands_folder == (INSTALL_DIR, "\\bin")
    # no commands: no step, and nothing of the app on PATH
    assert not build_plan(r, lock_for(r)).by_role("commands")


def test_steps_of_the_2013_recipe_chain_the_msi_after_python():
    r = recipe("openstack-clients-2013")
    plan = build_plan(r, lock_for(r))
    assert (plan.scopes, plan.layout.environment) == (("machine",), "runtime")
    assert shape(plan) == [
        ("runtime", "run_msi", "uninstall_msi", "shared"),
        ("installer:pyOpenSSL-0.13.winxp32-py2.7.msi", "run_msi", "uninstall_msi",
         "unless-preexisting"),
        ("path", "prepend_path", "remove_path_entries", "recorded"),
        ("packages", "pip_install", "remove_recorded", "ours"),
        ("check", "run_check", "nothing", "nothing"),
    ]
    msi = plan.steps[1].install
    assert isinstance(msi, RunMsi) and isinstance(msi.probe, MsiProductInstalled)
    assert msi.exit == ExitPolicy((0,), (3010, 1641))
    # msiexec's own words go to a verbose log in %TEMP%, which a failure names
    log = "\\pyOpenSSL-0.13.winxp32-py2.7.msi.install.log"
    assert msi.silent_command == ('/qn /norestart TARGETDIR="', INSTALL_DIR, '" /l*v "',
                                  TEMP_DIR, log + '"')
    assert msi.log == (TEMP_DIR, log)
    assert plan.steps[0].install.silent_command == (
        '/qn /norestart ALLUSERS=1 TARGETDIR="', RUNTIME_DIR, '" ADDLOCAL=ALL /l*v "', TEMP_DIR,
        '\\python-2.7.18.msi.install.log"')
    # the runtime's folder is the install folder here (environment = "runtime")
    assert plan.layout.runtime_dir == {"machine": (INSTALL_DIR,), "user": (INSTALL_DIR,)}
    assert plan.layout.install_dir["machine"] == ("C:\\Python27",)
    assert [a.filename for a in plan.artifacts] == [
        "python-2.7.18.msi", "pyOpenSSL-0.13.winxp32-py2.7.msi"]


def test_msi_undo_policy_and_command_live_in_the_plan():
    r = recipe("openstack-clients-2013")
    undo = build_plan(r, lock_for(r)).steps[1].undo
    assert isinstance(undo, UninstallMsi) and undo.cleanup is None
    assert undo.exit.accepted == (0, 3010, 1641, 1605, 1614)
    assert undo.exit.gone == (1605, 1614)
    assert command_line(undo.args) == (PRODUCT_CODE, " /qn /norestart")
    runtime_undo = build_plan(r, lock_for(r)).steps[0].undo
    assert isinstance(runtime_undo, UninstallMsi) and runtime_undo.cleanup is not None


def test_an_exe_installer_is_left_to_its_own_uninstaller():
    data = recipe_data("openstack-clients-2013")
    data["installer"][0].update(kind="exe", url="https://example.org/tool-setup.exe",
                                args=["/S"], valid_exit_codes=[0, 3010])
    r = parse_recipe(data, "r.toml")
    step = build_plan(r, lock_for(r)).steps[1]
    assert isinstance(step.install, RunExe) and step.install.probe is None
    assert step.install.exit == ExitPolicy((0,), (3010,))
    assert isinstance(step.undo, LeaveInstalled) and step.owns is Ownership.NOTHING


def test_exe_runtime_defaults_override_probe_and_undo():
    r = recipe()
    step = build_plan(r, lock_for(r)).steps[0]
    assert step.install.silent_command == (
        "/quiet InstallAllUsers=", ALL_USERS, " PrependPath=0 Include_pip=1 Include_launcher=0 "
        'Include_test=0 TargetDir="', RUNTIME_DIR, '"')
    assert step.install.probe == PythonRegistered("3.14", wow64_32=False)
    assert step.install.shared == step.undo.shared == "python-3.14"
    assert step.owns is Ownership.SHARED
    assert isinstance(step.undo, UninstallExeRuntime)
    assert step.undo.display_name == "Python 3.14.7 (64-bit)"
    assert step.undo.exit.gone == (1605,)
    r = recipe(python__args=["/passive", "TargetDir={runtime_dir}\\py"], python__arch="x86",
               python__url="https://www.python.org/ftp/python/3.14.7/python-3.14.7.exe")
    step = build_plan(r, lock_for(r, "win32")).steps[0]
    assert step.install.silent_command == ('/passive TargetDir="', RUNTIME_DIR, '\\py"')
    assert step.install.probe == PythonRegistered("3.14-32", wow64_32=True)
    assert step.undo.display_name == "Python 3.14.7 (32-bit)"


def test_zip_runtime_unpacks_and_removes_what_it_unpacked():
    r = recipe(python__installer="zip",
               python__url="https://example.org/python-3.14.7-embed-amd64.zip")
    step = build_plan(r, lock_for(r)).steps[0]
    assert isinstance(step.install, UnpackZip) and isinstance(step.undo, RemoveUnpacked)
    assert step.install.probe == FileExists((RUNTIME_DIR, "\\python.exe"))
    assert step.owns is Ownership.UNLESS_PREEXISTING
    # private to the app, in its install folder
    plan = build_plan(r, lock_for(r))
    assert plan.layout.runtime_dir == {"machine": (INSTALL_DIR, "\\runtime"),
                                       "user": (INSTALL_DIR, "\\runtime")}


def test_path_step_runs_the_path_editor_both_ways():
    r = recipe(path__prepend=["{install_dir}", "{runtime_dir}\\Scripts"])
    step = build_plan(r, lock_for(r)).path_step
    add, remove = step.install, step.undo
    assert isinstance(add, PrependPath) and isinstance(remove, RemovePathEntries)
    assert add.entries == ((INSTALL_DIR,), (RUNTIME_DIR, "\\Scripts"))
    assert add.scope == remove.scope == "install"  # the default: the install's own PATH
    assert command_line(add.command) == (
        '"', RUNTIME_DIR, '\\python.exe" -E -s "', SCRIPTS, '\\choconsis_path.py" add --scope ',
        SCOPE, ' --record "', STATE_DIR, '\\path-record.txt" "', INSTALL_DIR, '" "', RUNTIME_DIR,
        '\\Scripts"')
    assert command_line(remove.command)[-5:] == (
        '\\choconsis_path.py" remove --scope ', SCOPE, ' --record "', STATE_DIR,
        '\\path-record.txt"')
    r = recipe(path__prepend=["{install_dir}"], path__scope="user")
    plan = build_plan(r, lock_for(r))
    assert plan.path_change.scope == "user"
    assert "--scope user --record" in literal(command_line(plan.path_step.install.command)[4:5])


def test_uv_comes_out_of_its_locked_wheel_for_the_install_only():
    r = recipe()
    step = build_plan(r, lock_for(r)).packages_step
    action = step.install
    assert isinstance(action, PipInstall) and action.installer == "uv"
    uv = lock_for(r).installer
    assert (action.artifact.url, action.artifact.sha256) == (uv.url, uv.sha256)
    assert step.artifact == action.artifact  # fetched and verified like any installer
    line = command_line(action.prepare)
    assert line[:2] == ('"', RUNTIME_DIR) and "zipfile" in line[2]
    assert action.prepare[-3] == (FILE,)  # the wheel the step fetched
    assert action.prepare[-1] == ("uv-0.13.9.data/scripts/uv.exe",)
    assert action.prepare[-2] == (STATE_DIR, "\\uv\\uv.exe") == action.command[0]
    assert action.tool_folder == (STATE_DIR, "\\uv")
    assert step.title.startswith("uv install python-openstackclient")
    # pip where the recipe says so, and always on Python 2
    pip = build_plan(recipe(pip__installer="pip"), lock_for(recipe())).packages_step.install
    assert pip.installer == "pip" and pip.artifact is None and pip.prepare is None
    assert command_line(pip.command)[:2] == ('"', RUNTIME_DIR)


def test_pip_commands_follow_the_delivery():
    r = recipe(pip__installer="pip")
    web = build_plan(r, lock_for(r)).packages_step
    assert isinstance(web.install, PipInstall)
    assert command_line(web.install.command)[4:] == (
        '\\env\\Scripts\\python.exe" install --disable-pip-version-check '
        "--no-warn-script-location --no-compile --require-hashes --no-deps --only-binary :all: "
        '-r "', LOCK, '" --index-url https://pypi.org/simple')
    offline = build_plan(r, lock_for(r), Delivery.OFFLINE).packages_step
    assert command_line(offline.install.command)[-3:] == ('" --no-index --find-links "', WHEELS,
                                                          '"')
    assert isinstance(web.undo, Nothing)  # the environment goes as a whole
    r = recipe("openstack-clients-2013")
    step = build_plan(r, lock_for(r)).packages_step  # into the runtime: by the record
    assert isinstance(step.undo, RemoveRecorded)
    names = {RUNTIME_DIR: "<R>", SCRIPTS: "<S>", STATE_DIR: "<D>", LOCK: "<L>"}

    def text(command) -> str:
        return "".join(p if isinstance(p, str) else names[p] for p in command_line(command))

    assert text(step.install.record) == (
        '"<R>\\python.exe" -E -s "<S>\\choconsis_record.py" write --site-packages '
        '"<R>\\Lib\\site-packages" --lock "<L>" --out "<D>\\packages-record.txt"')
    assert text(step.undo.command) == (
        '"<R>\\python.exe" -E -s "<S>\\choconsis_record.py" remove --record '
        '"<D>\\packages-record.txt" --root "<R>"')
    assert "pip" not in text(step.undo.command)  # no pip runs at uninstall


def web_names(r) -> list[str]:
    return list(lock_for(r).names)


def test_preinstalled_delivery_copies_the_tree_and_writes_launchers():
    r = recipe(python__installer="zip",
               python__url="https://example.org/python-3.14.7-embed-amd64.zip")
    step = build_plan(r, lock_for(r), Delivery.PREINSTALLED).packages_step
    assert isinstance(step.install, CopyPreinstalled)
    assert command_line(step.install.command)[2:4] == (
        '\\python.exe" -E -s "', SCRIPTS)
    assert "make_launchers.py" in command_line(step.install.command)[4]
    # into the app's environment: any runtime can take a preinstalled tree
    build_plan(recipe(), lock_for(recipe()), Delivery.PREINSTALLED)
    runtime_env = recipe(install__environment="runtime")
    with pytest.raises(UsageError, match="needs a zip runtime"):
        build_plan(runtime_env, lock_for(runtime_env), Delivery.PREINSTALLED)


def test_check_step():
    r = recipe()
    check = build_plan(r, with_commands(lock_for(r), COMMANDS)).check_step
    assert isinstance(check.install, RunCheck) and isinstance(check.undo, Nothing)
    assert command_line(check.install.command) == ('cmd.exe /d /c "openstack --version"',)
    # the commands' folder (setup.exe's PATH entry; Chocolatey's shims are on PATH already)
    assert check.install.commands_folder == (INSTALL_DIR, "\\bin")
    assert check.install.path_entries == ()


def test_chocolatey_check_finds_the_commands_as_shims():
    from choconsis.backends.chocolatey.scripts import render_install

    r = recipe()
    plan = build_plan(r, with_commands(lock_for(r), COMMANDS))
    script = render_install(plan, web_payload(plan), "requirements.lock")
    check = script[script.index("Action 'run_check'"):]
    assert "\\bin" not in check and "$env:PATH =" not in check  # no folder of launchers here
    assert "Install-BinFile -Name $names[$i]" in script


def test_command_line_quoting():
    assert command_line((("a b",), (FILE,), ("X=1 2",), join("P=", INSTALL_DIR))) == (
        '"a b" "', FILE, '" X="1 2" P="', INSTALL_DIR, '"')
    assert templated("{install_dir}\\a{install_dir}") == (INSTALL_DIR, "\\a", INSTALL_DIR)
    assert join("a", ("b", INSTALL_DIR), "c", ("d",)) == ("ab", INSTALL_DIR, "cd")


def test_nsis_folder_argument_stays_raw_and_last():
    assert command_line((("/S",), join("/D=", INSTALL_DIR, "\\sub dir"))) == (
        "/S /D=", INSTALL_DIR, "\\sub dir")
    data = recipe_data("openstack-clients-2013")
    data["installer"][0].update(kind="exe", url="https://example.org/tool-setup.exe",
                                args=["/D={install_dir}", "/S"])
    with pytest.raises(RecipeError, match="must be the last argument") as info:
        parse_recipe(data, "r.toml")
    assert info.value.field == "installer[1].args"


def test_lock_must_match_the_recipe():
    r = recipe()
    good = lock_for(r)
    build_plan(r, good)
    stale = Lock(good.python_tag, good.platform, good.requirements[:-1], good.index_url,
                 good.wheels, "x.lock")
    with pytest.raises(RecipeError, match="other requirements.*choconsis lock"):
        build_plan(r, stale)
    other = Lock("cp312", good.platform, good.requirements, good.index_url, good.wheels, "x.lock")
    with pytest.raises(RecipeError, match="lock is for cp312 win_amd64"):
        build_plan(r, other)
    moved = Lock(good.python_tag, good.platform, good.requirements, "https://mirror.example/simple",
                 good.wheels, "x.lock")
    with pytest.raises(RecipeError, match="mirror.example"):
        build_plan(r, moved)
    wrong_version = tuple(
        LockedWheel(w.name, "0.0.1", w.sha256, w.filename, w.url)
        if w.name == "python-swiftclient" else w for w in good.wheels)
    bad = Lock(good.python_tag, good.platform, good.requirements, good.index_url, wrong_version)
    with pytest.raises(RecipeError, match="python-swiftclient==0.0.1"):
        build_plan(r, bad)


def test_runtime_undo_cleans_run_time_bytecode():
    r = recipe()
    args = build_plan(r, lock_for(r)).steps[0].undo.cleanup
    assert args[0] == (RUNTIME_DIR, "\\python.exe") and args[1:5] == (("-B",), ("-E",), ("-s",), ("-c",))
    assert "__pycache__" in args[5][0] and '"' not in args[5][0]
    r = recipe(python__installer="zip",
               python__url="https://example.org/python-3.14.7-embed-amd64.zip")
    assert isinstance(build_plan(r, lock_for(r)).steps[0].undo, RemoveUnpacked)


def test_state_keys_are_unique_and_name_what_a_step_installs():
    data = recipe_data("openstack-clients-2013")
    second = dict(data["installer"][0], name="another", url="https://example.org/x/other%20one.msi")
    data["installer"].append(second)
    r = parse_recipe(data, "r.toml")
    keys = [s.key for s in build_plan(r, lock_for(r)).steps]
    assert len(set(keys)) == len(keys)
    assert "installer:other_one.msi" in keys


def test_uv_verifies_tls_with_the_windows_certificate_store():
    """A proxy's root that Windows trusts works for uv as for pip: the option the pinned uv
    knows (--system-certs since uv 0.11.0, --native-tls before)."""
    assert uv_tls_option("0.10.12") == "--native-tls"
    assert uv_tls_option("0.11.0") == uv_tls_option("0.13.9") == "--system-certs"
    r = recipe()
    for version in ("0.10.12", "0.13.9"):
        lock = fake_lock(r, installer=replace(uv_wheel(r.python.platform), version=version))
        line = "".join(p for p in command_line(build_plan(r, lock).packages_step.install.command)
                       if isinstance(p, str))
        assert f" --no-cache {uv_tls_option(version)} --python " in line


def test_the_tls_option_is_one_the_real_uv_takes_without_a_warning(tmp_path):
    """PyPI's uv (the same program as the target's uv.exe) accepts the option chosen for its
    own version, and does not call it deprecated."""
    uv = uv_binary()
    version = subprocess.run([uv, "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    run = subprocess.run([uv, "pip", "install", "--no-config", "--no-cache",
                          uv_tls_option(version), "--dry-run", "--offline",
                          "--python", sys.executable, "-r", "empty.txt"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env=uv_environment())
    assert "unexpected argument" not in run.stderr and "deprecated" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
