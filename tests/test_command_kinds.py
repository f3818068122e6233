"""Commands of every kind a wheel installs (issue 16): read from the wheel with their kind,
recorded in both lock formats (old locks still read), defaulted, refused when no wheel has
them, and given to the back ends as the right file of the commands folder."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import tomlkit

from choconsis.backends.portable.launchers import command_launchers
from choconsis.cli import main
from choconsis.errors import RecipeError
from choconsis.lock.lockfile import format_lock, parse_lock, write_lock
from choconsis.lock.pylock import format_pylock, parse_pylock
from choconsis.lock.scripts import commands_of, exposed_commands, record_scripts
from choconsis.plan import build_plan
from choconsis.plan.checkprogram import check_provided
from choconsis.recipe import parse_recipe
from choconsis.wheelfiles import (BATCH, CONSOLE, EXE, GUI, SCRIPT, WheelCommand,
                                  data_script_command, wheel_commands)
from kit.locks import fake_lock
from kit.recipes import recipe_data
from kit.wheels import make_wheel

DATA_SCRIPTS = {
    "ruff.exe": b"MZ\x90\x00 a native program",
    "aws": b"#!python\nimport sys\nprint('aws')\n",
    "aws.cmd": b"@echo OFF\r\nREM the Windows companion of aws\r\n",
    "hello.bat": b"@echo hello\r\n",
    "tool.py": b"#!/usr/bin/env python3\nprint('tool')\n",
    "window.pyw": b"#!pythonw\nprint('window')\n",
    "aws_zsh_completer.sh": b"#!/bin/sh\necho no\n",  # not a command on Windows
    "plain.py": b"print('no shebang')\n",  # nor this
    "helper.dll": b"MZ a library",  # nor this
}
ENTRY_POINTS = ("[console_scripts]\nzeta = app:main\nalpha = app:alpha\n\n"
                "[gui_scripts]\nApp = app:gui\n")
EVERY_KIND = (WheelCommand("zeta"), WheelCommand("alpha"), WheelCommand("App", GUI),
              WheelCommand("aws", SCRIPT), WheelCommand("aws.cmd", BATCH),
              WheelCommand("hello.bat", BATCH), WheelCommand("ruff", EXE),
              WheelCommand("tool", SCRIPT), WheelCommand("window", SCRIPT))


@pytest.fixture
def app_wheel(tmp_path):
    return make_wheel(tmp_path / "wheels", "app", "1.0", {"app.py": b"def main(): pass\n"},
                      ENTRY_POINTS, data_scripts=DATA_SCRIPTS)


def test_every_kind_is_read_from_the_wheel(app_wheel):
    assert wheel_commands(app_wheel) == EVERY_KIND


@pytest.mark.parametrize("name, head, expected", [
    ("RUFF.EXE", b"MZ", WheelCommand("RUFF", EXE)),
    ("aws", b"#!python\r\nimport x", WheelCommand("aws", SCRIPT)),
    ("aws", b'#!"C:\\Program Files\\app\\env\\Scripts\\python.exe"\n', WheelCommand("aws", SCRIPT)),
    ("run.py", b"#!/usr/bin/python3.12 -u\n", WheelCommand("run", SCRIPT)),
    ("x.CMD", b"@echo", WheelCommand("x.CMD", BATCH)),
    ("x.sh", b"#!/bin/bash\n", None), ("x.ps1", b"Write-Host 1", None), (".exe", b"MZ", None),
    ("data.txt", b"pythonic\n", None),
])
def test_a_data_script_is_a_command_by_its_name_and_first_line(name, head, expected):
    assert data_script_command(name, head) == expected


def test_files_in_the_commands_folder():
    assert [c.file for c in EVERY_KIND[:5]] == ["zeta.exe", "alpha.exe", "App.exe", "aws.exe",
                                                "aws.cmd"]
    assert (WheelCommand("hello.bat", BATCH).runs_as, WheelCommand("Hello.BAT", BATCH).typed) \
        == ("hello", "hello")


def _recipe(commands=None, check: str = "aws --version"):
    data = copy.deepcopy(recipe_data("openstack-clients"))
    data["pip"]["requirements"] = ["app==1.0"]
    data["check"]["command"] = check
    if commands is not None:
        data.setdefault("install", {})["commands"] = commands
    return parse_recipe(data, "app.toml")


def _recorded(app_wheel, commands=None):
    recipe = _recipe(commands)
    return recipe, record_scripts(fake_lock(recipe), recipe.pip.requirements,
                                  recipe.install.commands, lambda _w: app_wheel, wheel_commands)


def test_the_default_is_every_command_but_a_batch_companion(app_wheel):
    recipe, lock = _recorded(app_wheel)
    assert commands_of(lock, recipe.pip.requirements, None, "app.toml") == (
        "zeta", "alpha", "App", "aws", "hello.bat", "ruff", "tool", "window")
    plan = build_plan(recipe, lock)
    assert plan.command_files[:4] == (("zeta", "zeta.exe"), ("alpha", "alpha.exe"),
                                      ("App", "App.exe"), ("aws", "aws.exe"))
    assert ("hello", "hello.bat") in plan.command_files
    undo = plan.by_role("commands")[0].undo
    assert "hello.bat" in undo.files and "ruff.exe" in undo.files


@pytest.mark.parametrize("fmt, parse", [(format_lock, parse_lock),
                                        (format_pylock, parse_pylock)])
def test_kinds_survive_both_lock_formats(app_wheel, fmt, parse):
    recipe, lock = _recorded(app_wheel)
    back = parse(fmt(lock, "app"), "app.lock")
    assert back.console_scripts == lock.console_scripts
    assert back.command_kinds == lock.command_kinds == {
        "App": GUI, "aws": SCRIPT, "aws.cmd": BATCH, "hello.bat": BATCH, "ruff": EXE,
        "tool": SCRIPT, "window": SCRIPT}
    assert exposed_commands(back, recipe.pip.requirements, ("ruff", "aws.cmd"), "app.toml") \
        == (WheelCommand("ruff", EXE), WheelCommand("aws.cmd", BATCH))


def test_an_old_lock_without_kinds_reads_as_console_scripts(app_wheel):
    recipe, lock = _recorded(app_wheel)
    old = dataclasses.replace(lock, command_kinds={})
    text = format_lock(old)
    assert "command-kinds" not in text  # the bytes of a lock of console scripts alone
    back = parse_lock(text)
    assert exposed_commands(back, recipe.pip.requirements, ("zeta",), "x") == (
        WheelCommand("zeta", CONSOLE),)
    pylock = format_pylock(old)
    assert "command-kinds" not in pylock
    assert parse_pylock(pylock).command_kinds == {}


@pytest.mark.parametrize("fmt, parse, bad, match", [
    (format_lock, parse_lock, "# command-kinds: ruff=binary", "KIND one of console"),
    (format_pylock, parse_pylock, 'ruff = "binary"', "command-kinds.ruff: expected one of"),
])
def test_an_unknown_kind_in_a_lock_is_refused(app_wheel, fmt, parse, bad, match):
    _recipe_, lock = _recorded(app_wheel)
    text = fmt(lock)
    good = next(line for line in text.splitlines()
                if line.startswith("# command-kinds:") or line.startswith("ruff = "))
    with pytest.raises(RecipeError, match=match):
        parse(text.replace(good, bad), "x.lock")


def test_a_command_no_wheel_installs_is_refused_naming_the_field(app_wheel):
    recipe, lock = _recorded(app_wheel, ["ruf"])
    with pytest.raises(RecipeError) as info:
        build_plan(recipe, lock)
    assert info.value.field == "install.commands"
    assert "no locked wheel installs the command(s) ruf" in str(info.value)
    assert "ruff" in str(info.value)  # what the requirements do install


def test_two_commands_that_run_by_one_name_are_refused(app_wheel):
    recipe, lock = _recorded(app_wheel, ["aws", "aws.cmd"])
    with pytest.raises(RecipeError, match="'aws' and 'aws.cmd' both run as 'aws'") as info:
        build_plan(recipe, lock)
    assert info.value.field == "install.commands"


def test_the_check_may_run_a_batch_command_by_its_name():
    recipe = _recipe(check="hello --version")
    check_provided(recipe, ("ruff", "hello.bat"))
    with pytest.raises(RecipeError, match="check.command"):
        check_provided(recipe, ("ruff",))


def test_an_unknown_command_through_the_cli_is_exit_2_in_one_line(app_wheel, tmp_path, capsys):
    recipe, lock = _recorded(app_wheel, ["ruf"])
    data = copy.deepcopy(recipe_data("openstack-clients"))
    data["pip"]["requirements"] = ["app==1.0"]
    data["check"]["command"] = "ruff --version"
    data.setdefault("install", {})["commands"] = ["ruf"]
    path = tmp_path / "app.toml"
    path.write_text(tomlkit.dumps(data), encoding="utf-8")
    write_lock(tmp_path / "app.lock", lock, "app")
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "install.commands" in err[0] and "ruf" in err[0], err
    assert not (tmp_path / "out").exists()


def test_the_portable_zip_has_a_file_of_each_kind(app_wheel, tmp_path):
    """bin of the portable zip from a tree the wheel was installed into."""
    from choconsis.payload.preinstall import install_wheels

    tree = tmp_path / "runtime"
    (tree / "Lib" / "site-packages").mkdir(parents=True)
    install_wheels([app_wheel], tree, arch="amd64")
    files = command_launchers(tree, (WheelCommand("ruff", EXE), WheelCommand("aws", SCRIPT),
                                     WheelCommand("hello.bat", BATCH),
                                     WheelCommand("zeta")), "amd64")
    assert files["bin/ruff.exe"] == DATA_SCRIPTS["ruff.exe"]  # itself
    assert files["bin/hello.bat"] == b'@"%~dp0..\\runtime\\Scripts\\hello.bat" %*\r\n'
    for name in ("bin/aws.exe", "bin/zeta.exe"):  # launchers of the relative runtime
        assert files[name].startswith(b"MZ")
        assert b"#!<launcher_dir>\\..\\runtime\\python.exe\n" in files[name]
    with pytest.raises(Exception, match="no script file nope"):
        command_launchers(tree, (WheelCommand("nope", SCRIPT),), "amd64")


def test_make_launchers_takes_the_kinds_on_its_command_line(tmp_path, capsys):
    """What the plan's commands step says it runs: make_launchers.py --commands ... --kinds
    ... --from SCRIPTS (the engine runs the same code in-process)."""
    from choconsis.engine import make_launchers

    scripts, site, bin_ = tmp_path / "Scripts", tmp_path / "site", tmp_path / "bin"
    scripts.mkdir()
    site.mkdir()
    (scripts / "ruff.exe").write_bytes(b"MZ ruff")
    (scripts / "aws.cmd").write_bytes(b"@echo aws\r\n")
    assert make_launchers.main(["--site-packages", str(site), "--scripts", str(bin_),
                                "--commands", "ruff", "aws.cmd", "--kinds", "exe", "batch",
                                "--from", str(scripts)]) == 0
    assert (bin_ / "ruff.exe").read_bytes() == b"MZ ruff"
    assert (bin_ / "aws.cmd").read_bytes() == b'@"%~dp0../Scripts/aws.cmd" %*\r\n'
    assert make_launchers.main(["--site-packages", str(site), "--scripts", str(bin_),
                                "--commands", "gone", "--kinds", "exe", "--from",
                                str(scripts)]) == 1
    assert "gone.exe is not there" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        make_launchers.main(["--site-packages", str(site), "--scripts", str(bin_),
                             "--commands", "a", "b", "--kinds", "exe"])
    assert info.value.code == 2


def test_the_plans_command_line_names_the_kinds(app_wheel):
    recipe, lock = _recorded(app_wheel, ["ruff", "zeta"])
    action = build_plan(recipe, lock).by_role("commands")[0].install
    words = [part for arg in action.command for part in arg if isinstance(part, str)]
    assert words[words.index("--commands"):words.index("--from")] == [
        "--commands", "ruff", "zeta", "--kinds", "exe", "console"]


def test_winget_and_scoop_name_a_batch_command_as_it_is_typed(app_wheel):
    from choconsis.backends.portable.scoop import scoop_manifest
    from choconsis.backends.winget.manifests import winget_manifests

    recipe, lock = _recorded(app_wheel, ["ruff", "hello.bat"])
    plan = build_plan(recipe, lock)
    assert plan.command_files == (("ruff", "ruff.exe"), ("hello", "hello.bat"))
    text = "".join(winget_manifests(plan, "s.exe", "0" * 64, "1" * 64).values())
    assert "RelativeFilePath: bin\\hello.bat" in text and "PortableCommandAlias: hello\n" in text
    assert "- hello\n" in text and "hello.bat\n" not in text.replace("bin\\hello.bat\n", "")
    assert scoop_manifest(plan, "app", "2" * 64)["bin"] == [
        ["bin\\ruff.exe", "ruff"], ["bin\\hello.bat", "hello"]]


def test_chocolatey_shims_each_file_by_the_name_it_runs_as(app_wheel):
    from choconsis.backends.chocolatey.scripts import render_install, render_uninstall
    from choconsis.check.powershell import syntax_errors
    from kit.plans import web_payload

    recipe, lock = _recorded(app_wheel, ["ruff", "hello.bat", "zeta"])
    plan = build_plan(recipe, lock)
    for script in (render_install(plan, web_payload(plan), "requirements.lock"),
                   render_uninstall(plan, web_payload(plan), "requirements.lock")):
        assert "$names = @('ruff', 'hello', 'zeta'); " \
               "$files = @('ruff.exe', 'hello.bat', 'zeta.exe')" in script
        assert syntax_errors(script) == []
