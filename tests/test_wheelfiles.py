"""choconsis/wheelfiles.py, the one reader of wheel members: the entry points in the wheel's
own order, and `new` (the recipe it writes) and `build` (the commands it puts on PATH) listing
a wheel's commands alike."""

from __future__ import annotations

import io
import zipfile

import pytest

from choconsis.errors import BuildError
from choconsis.index.simple import SimpleIndex
from choconsis.lock.lockfile import Lock, LockedWheel
from choconsis.new.project import choose_release, read_wheel
from choconsis.lock.scripts import commands_of, record_scripts, wheel_source
from choconsis.recipe import loads_recipe
from choconsis.store import ArtifactStore, make_session
from choconsis.wheelfiles import (GUI_SCRIPTS, console_scripts, read_dist_info, unpacked_size,
                                  wheel_commands, wheel_metadata)
from kit.index import FakeIndex, make_wheel
from kit.recipes import demo_recipe_text

# neither sorted nor reversed, and one name with a capital: file order is the only order
# that gives these back
SCRIPTS = {"zeta": "tool:z", "Alpha": "tool:a", "mid": "tool:m"}
IN_FILE_ORDER = ("zeta", "Alpha", "mid")


def _zip(path, members: dict[str, str]):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    path.write_bytes(buf.getvalue())
    return path


def test_console_scripts_come_in_file_order(tmp_path):
    name, data = make_wheel("tool", "1.0", console_scripts=SCRIPTS)
    (tmp_path / name).write_bytes(data)
    assert console_scripts(tmp_path / name) == IN_FILE_ORDER
    assert "Name: tool" in wheel_metadata(tmp_path / name)


def test_gui_scripts_are_their_own_group(tmp_path):
    wheel = _zip(tmp_path / "gui-1.0-py3-none-any.whl", {
        "gui-1.0.dist-info/METADATA": "Name: gui\n",
        "gui-1.0.dist-info/entry_points.txt":
            "[console_scripts]\ncli = gui:cli\n\n[gui_scripts]\nWindow = gui:w\nabout = gui:a\n",
    })
    info = read_dist_info(wheel)
    assert info.scripts() == ("cli",)
    assert info.scripts(GUI_SCRIPTS) == ("Window", "about")


def test_a_wheel_without_entry_points_has_no_commands(tmp_path):
    wheel = _zip(tmp_path / "lib-1.0-py3-none-any.whl",
                 {"lib-1.0.dist-info/METADATA": "Name: lib\n"})
    assert console_scripts(wheel) == ()


def test_entry_points_need_no_metadata_but_the_metadata_does(tmp_path):
    wheel = _zip(tmp_path / "bare-1.0-py3-none-any.whl", {
        "bare-1.0.dist-info/entry_points.txt": "[console_scripts]\nbare = bare:main\n"})
    assert console_scripts(wheel) == ("bare",)
    with pytest.raises(BuildError, match="expected one .*dist-info folder with METADATA, found 0"):
        wheel_metadata(wheel)


@pytest.mark.parametrize("members, message", [
    ({"a-1.dist-info/METADATA": "", "b-1.dist-info/METADATA": ""},
     "bad-1.0-py3-none-any.whl: expected one *.dist-info folder, found 2"),
    ({"x-1.dist-info/METADATA": "", "x-1.dist-info/entry_points.txt": "[console_scripts]\nno"},
     "bad-1.0-py3-none-any.whl: unreadable entry_points.txt"),
])
def test_a_broken_wheel_is_named(tmp_path, members, message):
    wheel = _zip(tmp_path / "bad-1.0-py3-none-any.whl", members)
    with pytest.raises(BuildError, match=message.replace("*", r"\*").replace(".", r"\.")):
        console_scripts(wheel)


def test_not_a_zip(tmp_path):
    path = tmp_path / "odd-1.0-py3-none-any.whl"
    path.write_bytes(b"not a zip")
    with pytest.raises(BuildError, match="odd-1.0-py3-none-any.whl: not a wheel"):
        read_dist_info(path)
    assert unpacked_size(path) is None
    wheel = _zip(tmp_path / "ok.whl", {"a": "12345", "b/c": "678"})
    assert unpacked_size(wheel) == 8


def test_new_and_build_list_a_wheels_commands_alike(loopback, tmp_path):
    """`new` (the commands of the recipe it writes) and `build` (the commands a recipe without
    [install] commands puts on PATH) read the same wheel into the same order."""
    idx = FakeIndex(loopback)
    idx.wheel("tool", "1.0", console_scripts=SCRIPTS)
    idx.publish()
    store = ArtifactStore(cache_dir=tmp_path / "cache")
    page = SimpleIndex(idx.url, make_session()).project("tool")

    written_by_new = tuple(c.name for c in read_wheel(choose_release(page, None), store).commands)

    file = next(f for f in page.files if f.is_wheel)
    assert file.sha256
    lock = Lock("cp312", "win_amd64", ("tool==1.0",), idx.url,
                (LockedWheel("tool", "1.0", file.sha256, file.filename, file.url),))
    recipe = loads_recipe(demo_recipe_text(reqs=("tool==1.0",), index=idx.url))
    assert recipe.install.commands is None  # build lists them itself, from the lock
    lock = record_scripts(lock, recipe.pip.requirements, None, wheel_source(store),
                          wheel_commands)
    put_on_path_by_build = commands_of(lock, recipe.pip.requirements, None, "demo.toml")

    assert written_by_new == put_on_path_by_build == IN_FILE_ORDER
