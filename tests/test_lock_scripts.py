"""The console scripts a lock records (read at lock time from the locked wheels), and the
commands a plan takes from them without opening any wheel."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest

from choconsis.errors import RecipeError
from choconsis.lock.lockfile import Lock, LockedWheel, format_lock, parse_lock
from choconsis.lock.scripts import commands_of, record_scripts
from choconsis.wheelfiles import wheel_commands

REQS = ("Tool-A==1.0", "tool-b==2.0")


def wheel(name: str, version: str) -> LockedWheel:
    return LockedWheel(name, version, f"{abs(hash(name)):064x}"[:64],
                       f"{name.replace('-', '_')}-{version}-py3-none-any.whl",
                       f"https://files.example/{name}-{version}.whl")


def lock(**changes) -> Lock:
    base = Lock("cp312", "win_amd64", REQS, "https://pypi.org/simple",
                (wheel("dep", "3.0"), wheel("tool-a", "1.0"), wheel("tool-b", "2.0")))
    return dataclasses.replace(base, **changes)


def make_wheel(folder: Path, w: LockedWheel, scripts: list[str]) -> Path:
    path = folder / w.filename
    with zipfile.ZipFile(path, "w") as zf:
        info = f"{w.name.replace('-', '_')}-{w.version}.dist-info"
        zf.writestr(f"{info}/METADATA", f"Name: {w.name}\nVersion: {w.version}\n")
        if scripts:
            body = "".join(f"{s} = pkg:main\n" for s in scripts)
            zf.writestr(f"{info}/entry_points.txt", "[console_scripts]\n" + body)
    return path


@pytest.fixture
def wheels(tmp_path):
    """The wheels of lock(): tool-a declares 'a', tool-b 'b1' and 'b2', dep 'dep-tool'."""
    declared = {"tool-a": ["a"], "tool-b": ["b1", "b2"], "dep": ["dep-tool"]}
    files = {w.name: make_wheel(tmp_path, w, declared[w.name]) for w in lock().wheels}
    opened: list[str] = []

    def source(w: LockedWheel) -> Path:
        opened.append(w.name)
        return files[w.name]

    source.opened = opened  # type: ignore[attr-defined]
    return source


def test_the_requirements_wheels_are_read_and_the_lock_round_trips(wheels):
    recorded = record_scripts(lock(), REQS, None, wheels, wheel_commands)
    assert sorted(wheels.opened) == ["tool-a", "tool-b"]  # dependencies are not opened
    assert recorded.console_scripts == {"tool-a": ("a",), "tool-b": ("b1", "b2")}
    text = format_lock(recorded, "demo")
    assert "# console-scripts: tool-a=a tool-b=b1,b2\n" in text
    back = parse_lock(text, "demo.lock")
    assert back.console_scripts == recorded.console_scripts
    assert commands_of(back, REQS, None, "demo.toml") == ("a", "b1", "b2")


def test_a_dependency_script_named_by_the_recipe_is_read_and_kept(wheels):
    recorded = record_scripts(lock(), REQS, ("dep-tool",), wheels, wheel_commands)
    assert "dep" in wheels.opened
    back = parse_lock(format_lock(recorded), "x.lock")
    assert commands_of(back, REQS, ("dep-tool",), "x.toml") == ("dep-tool",)


def test_a_command_no_wheel_declares_is_refused_with_the_field(wheels):
    recorded = record_scripts(lock(), REQS, ("nope",), wheels, wheel_commands)
    with pytest.raises(RecipeError, match=r"install\.commands.*nope.*install: a, b1, b2"):
        commands_of(recorded, REQS, ("nope",), "x.toml")


def test_wheels_not_at_hand_make_the_check_lenient_not_wrong(wheels):
    partial = record_scripts(lock(), REQS, ("nope",), lambda w: None, wheel_commands)
    assert partial.scripts_partial
    assert commands_of(partial, REQS, ("nope",), "x.toml") == ("nope",)
    assert commands_of(partial, REQS, None, "x.toml") == ()
    assert commands_of(lock(), REQS, ("nope",), "x.toml") == ("nope",)  # never read


def test_a_lock_without_the_line_is_told_apart_from_one_without_scripts():
    assert parse_lock(format_lock(lock())).console_scripts is None
    none = lock(console_scripts={"tool-a": (), "tool-b": ()})
    assert parse_lock(format_lock(none)).console_scripts == {"tool-a": (), "tool-b": ()}


@pytest.mark.parametrize("line", ["tool-a", "tool-a=a b", "Tool_A=a", "tool-a=a,,b"])
def test_a_malformed_scripts_line_names_the_lock(line):
    text = format_lock(lock()).replace("# requirements:", f"# console-scripts: {line}\n"
                                       "# requirements:")
    with pytest.raises(RecipeError, match="bad.lock.*console-scripts"):
        parse_lock(text, "bad.lock")


def test_a_script_name_the_lock_cannot_hold_is_refused(tmp_path):
    w = lock().wheels[1]
    path = make_wheel(tmp_path, w, ["a,b"])
    with pytest.raises(RecipeError, match="a,b"):
        record_scripts(lock(), REQS, None, lambda _: path, wheel_commands)
