"""[check] command must run a program the install provides (plan/checkprogram.py), refused
at plan time with the field named and exit 2."""

from __future__ import annotations

import copy

import pytest

from choconsis.errors import RecipeError
from choconsis.plan.checkprogram import check_program, check_provided
from choconsis.recipe import parse_recipe
from kit.plans import COMMANDS, plan_from
from kit.recipes import recipe_data

DEFAULT = recipe_data("openstack-clients")  # venv, no [path]: only the commands folder
OLD = recipe_data("openstack-clients-2013")  # runtime: {install_dir} and its Scripts on PATH


def _recipe(command: str, base: dict = DEFAULT, **path):
    data = copy.deepcopy(base)
    data["check"]["command"] = command
    if path:
        data["path"] = path
    return parse_recipe(data, "r.toml")


@pytest.mark.parametrize("command, program", [
    ("openstack --version", "openstack"), ("Nova.EXE", "nova"), ("where.exe python", "where"),
    ("tool.cmd x", "tool"), ("ver", "ver"),
])
def test_check_program_is_the_first_word_as_cmd_looks_it_up(command, program):
    assert check_program(command) == program


@pytest.mark.parametrize("command", [
    "openstack --version", "NOVA --version", "nova.exe --version",  # the app's commands
    "ver", "echo ok", "where openstack", "cmd /c ver", "powershell -NoProfile -Command 1",
])
def test_commands_and_what_windows_has_pass(command):
    check_provided(_recipe(command), COMMANDS)


@pytest.mark.parametrize("command, hint", [
    ("http --version", "the app's commands are openstack, nova"),
    ("python --version", "[path] prepend = ['{runtime_dir}']"),
    ("pip --version", "the app's commands are openstack, nova"),
])
def test_a_program_the_install_does_not_provide_is_refused(command, hint):
    with pytest.raises(RecipeError) as info:
        check_provided(_recipe(command), COMMANDS)
    assert info.value.field == "check.command"
    assert f"runs {command.split()[0]!r}, which this install does not provide" in str(info.value)
    assert hint in str(info.value)
    assert "lists console scripts only: run 'choconsis lock " in str(info.value)  # old locks


def test_folders_on_path():
    """The runtime's folder holds python; another folder may hold anything (an environment's
    Scripts also has wheels' .data/scripts files, which the lock does not list)."""
    check_provided(_recipe("python -V", prepend=["{runtime_dir}"]), COMMANDS)
    check_provided(_recipe("python -V", OLD), ())  # runtime: {install_dir} is the runtime
    check_provided(_recipe("aws --version", prepend=["{install_dir}\\env\\Scripts"]), ())
    with pytest.raises(RecipeError, match="check.command"):
        check_provided(_recipe("ruff --version", prepend=["{runtime_dir}"]), COMMANDS)


def test_unknown_console_scripts_refuse_nothing():
    """A lock whose console scripts are not all known (wheels not at hand for check)."""
    check_provided(_recipe("http --version"), (), partial=True)


def test_plan_recipe_refuses_with_exit_2(tmp_path, capsys):
    """The issue's case: commands = ["https"], check http --version, through the CLI."""
    from choconsis.cli import main
    from choconsis.lock.lockfile import write_lock
    import tomlkit

    from kit.locks import fake_lock, with_commands

    data = copy.deepcopy(DEFAULT)
    data["check"]["command"] = "http --version"
    path = tmp_path / "app.toml"
    path.write_text(tomlkit.dumps(data), encoding="utf-8")
    recipe = parse_recipe(data, str(path))
    write_lock(tmp_path / "app.lock", with_commands(fake_lock(recipe), ("https",)), "app")
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "check.command" in err[0] and "'http'" in err[0], err
    assert "the app's commands are https" in err[0]
    assert not (tmp_path / "out").exists()


def test_shipped_recipes_pass():
    for base in (DEFAULT, OLD):
        plan = plan_from(copy.deepcopy(base))
        check_provided(parse_recipe(copy.deepcopy(base), "r.toml"), plan.commands)
