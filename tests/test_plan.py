"""The install plan: step order, composed command lines, undo order, lock matching."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from choconsis.errors import RecipeError
from choconsis.lock.lockfile import Lock, LockedWheel
from choconsis.plan import (FILE, INSTALL_DIR, LOCK, WHEELS, ChangePath, InstallRuntime,
                            PipInstall, RunCheck, RunInstaller, build_plan, command_line, join,
                            literal, templated)
from choconsis.recipe import parse_recipe

ROOT = Path(__file__).resolve().parent.parent


def recipe(name: str = "openstack-clients", **changes):
    data = tomllib.loads((ROOT / "recipes" / f"{name}.toml").read_text())
    data = copy.deepcopy(data)
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    return parse_recipe(data, f"{name}.toml")


def lock_for(r) -> Lock:
    wheels = []
    for i, req in enumerate(r.pip.requirements):
        name, _, version = req.partition("==")
        wheels.append(LockedWheel(name, version, f"{i:064x}", f"{name}-{version}-py3-none-any.whl",
                                  f"https://files.example/{name}-{version}-py3-none-any.whl"))
    wheels.append(LockedWheel("dep", "1.0", "f" * 64, "dep-1.0-py3-none-any.whl",
                              "https://files.example/dep-1.0-py3-none-any.whl"))
    return Lock(r.python.tag, r.python.platform, r.pip.requirements, r.pip.index_url,
                tuple(wheels))


def test_step_order_default_recipe():
    r = recipe()
    plan = build_plan(r, lock_for(r))
    kinds = [type(s) for s in plan.steps]
    assert kinds == [InstallRuntime, ChangePath, PipInstall, RunCheck]
    assert plan.undo_order() == tuple(reversed(plan.steps))
    assert plan.artifacts[0].filename == "python-3.14.7-amd64.exe"
    assert plan.install_dir == "C:\\Python314"


def test_step_order_2013_recipe_chains_the_msi_after_python():
    r = recipe("openstack-clients-2013")
    plan = build_plan(r, lock_for(r))
    kinds = [type(s) for s in plan.steps]
    assert kinds == [InstallRuntime, RunInstaller, ChangePath, PipInstall, RunCheck]
    msi = plan.steps[1]
    assert msi.kind == "msi" and msi.valid_exit_codes == (0, 3010, 1641)
    assert msi.silent_command == ('/qn /norestart TARGETDIR="', INSTALL_DIR, '"')
    runtime = plan.steps[0]
    assert runtime.silent_command == (
        '/qn /norestart ALLUSERS=1 TARGETDIR="', INSTALL_DIR, '" ADDLOCAL=ALL')
    assert [a.filename for a in plan.artifacts] == [
        "python-2.7.18.msi", "pyOpenSSL-0.13.winxp32-py2.7.msi"]


def test_exe_runtime_defaults_and_override():
    r = recipe()
    runtime = build_plan(r, lock_for(r)).steps[0]
    assert runtime.silent_command == (
        "/quiet InstallAllUsers=1 PrependPath=0 Include_pip=1 Include_launcher=0 "
        'Include_test=0 TargetDir="', INSTALL_DIR, '"')
    r = recipe(python__args=["/passive", "TargetDir={install_dir}\\py"])
    runtime = build_plan(r, lock_for(r)).steps[0]
    assert runtime.silent_command == ('/passive TargetDir="', INSTALL_DIR, '\\py"')


def test_zip_runtime_has_no_switches():
    r = recipe(python__installer="zip",
               python__url="https://example.org/python-3.14.7-embed-amd64.zip")
    runtime = build_plan(r, lock_for(r)).steps[0]
    assert runtime.kind == "zip" and runtime.silent_command == ()


def test_path_entries_are_templated():
    r = recipe()
    step = build_plan(r, lock_for(r)).path_change
    assert step.entries == ((INSTALL_DIR,), (INSTALL_DIR, "\\Scripts"))
    assert step.scope == "machine"
    r = recipe(path__scope="user")
    assert build_plan(r, lock_for(r)).path_change.scope == "user"


def test_pip_commands():
    r = recipe()
    plan = build_plan(r, lock_for(r))
    web = plan.pip_step.install_command(offline=False)
    assert web == ('"', INSTALL_DIR, '\\python.exe" -m pip install --disable-pip-version-check '
                   "--no-warn-script-location --require-hashes --no-deps --only-binary :all: "
                   '-r "', LOCK, '" --index-url https://pypi.org/simple')
    offline = plan.pip_step.install_command(offline=True)
    assert offline[-3:] == ('" --no-index --find-links "', WHEELS, '"')
    uninstall = plan.pip_step.uninstall_command
    assert literal(uninstall[2:]) .endswith(" -y " + " ".join(plan.lock.names))


def test_check_step():
    r = recipe()
    check = build_plan(r, lock_for(r)).check_step
    assert check.command == "openstack --version"
    assert command_line(check.cmd_args) == ('cmd.exe /d /c "openstack --version"',)


def test_command_line_quoting():
    assert command_line((("a b",), (FILE,), ("X=1 2",), join("P=", INSTALL_DIR))) == (
        '"a b" "', FILE, '" X="1 2" P="', INSTALL_DIR, '"')
    assert templated("{install_dir}\\a{install_dir}") == (INSTALL_DIR, "\\a", INSTALL_DIR)
    assert join("a", ("b", INSTALL_DIR), "c", ("d",)) == ("ab", INSTALL_DIR, "cd")


def test_nsis_folder_argument_stays_raw_and_last():
    assert command_line((("/S",), join("/D=", INSTALL_DIR, "\\sub dir"))) == (
        "/S /D=", INSTALL_DIR, "\\sub dir")
    data = tomllib.loads((ROOT / "recipes" / "openstack-clients-2013.toml").read_text())
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
    step = build_plan(r, lock_for(r)).steps[0]
    args = step.bytecode_cleanup_args
    assert args[0] == (INSTALL_DIR, "\\python.exe") and args[1:5] == (("-B",), ("-E",), ("-s",), ("-c",))
    assert "__pycache__" in args[5][0] and '"' not in args[5][0]
    r = recipe(python__installer="zip",
               python__url="https://example.org/python-3.14.7-embed-amd64.zip")
    assert build_plan(r, lock_for(r)).steps[0].bytecode_cleanup_args is None
