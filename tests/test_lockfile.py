"""The lock file: format/parse round trip, matching a recipe, and malformed files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from choconsis.errors import RecipeError
from choconsis.lock.lockfile import Lock, LockedWheel, format_lock, parse_lock, read_lock, write_lock
from choconsis.recipe import loads_recipe

from kit.recipes import RECIPES, demo_recipe_text
from kit.locks import uv_wheel

def make_recipe(**kwargs):
    return loads_recipe(demo_recipe_text(**kwargs), "demo.toml", Path("demo.lock"))


def wheel(name: str, version: str) -> LockedWheel:
    sha = hashlib.sha256(f"{name}{version}".encode()).hexdigest()
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    return LockedWheel(name, version, sha, filename, f"https://files.example/{filename}")


def make_lock(**overrides) -> Lock:
    values = dict(python_tag="cp312", platform="win_amd64",
                  requirements=("Demo_App==1.0", "helper==2.1"),
                  index_url="https://pypi.org/simple",
                  wheels=(wheel("demo-app", "1.0"), wheel("helper", "2.1"),
                          wheel("zzz-dep", "0.3"), wheel("aaa-dep", "5.0")),
                  installer=uv_wheel())
    values.update(overrides)
    return Lock(**values)


def test_round_trip_keeps_every_field():
    lock = make_lock()
    text = format_lock(lock, "demo")
    back = parse_lock(text, "demo.lock")
    assert (back.python_tag, back.platform, back.index_url) == ("cp312", "win_amd64",
                                                                "https://pypi.org/simple")
    assert back.requirements == lock.requirements
    assert sorted(back.wheels, key=lambda w: w.name) == sorted(lock.wheels, key=lambda w: w.name)
    assert back.source == "demo.lock"
    assert back.installer == lock.installer
    assert format_lock(back, "demo") == text


def test_a_recipe_installing_with_uv_needs_a_lock_that_pins_uv():
    with pytest.raises(RecipeError, match="the lock pins no uv wheel"):
        make_lock(installer=None).check_matches(make_recipe())
    assert parse_lock(format_lock(make_lock(installer=None)), "x.lock").installer is None


def test_a_malformed_installer_line_is_refused_with_its_place():
    text = format_lock(make_lock()).replace(" sha256:", " md5:")
    with pytest.raises(RecipeError, match="# installer:.*NAME==VERSION sha256:HEX FILE URL"):
        parse_lock(text, "x.lock")


def test_lock_text_is_a_hashed_requirements_file():
    text = format_lock(make_lock())
    w = wheel("helper", "2.1")
    assert f"helper==2.1 \\\n    --hash=sha256:{w.sha256}\n    # wheel: {w.filename} {w.url}\n" in text
    names = [line.split("==")[0] for line in text.splitlines() if "==" in line and
             not line.startswith("#")]
    assert names == sorted(names)


def test_write_and_read(tmp_path):
    path = tmp_path / "sub" / "demo.lock"
    write_lock(path, make_lock(), "demo")
    assert read_lock(path).wheel("Demo_App").version == "1.0"
    assert [p.name for p in path.parent.iterdir()] == ["demo.lock"]  # no temporary left


def test_missing_lock_names_the_command(tmp_path):
    with pytest.raises(RecipeError, match=r"choconsis lock .*demo\.toml"):
        read_lock(tmp_path / "demo.lock")


def test_matching_lock_passes():
    make_lock().check_matches(make_recipe())


@pytest.mark.parametrize("recipe_kwargs, message", [
    ({"reqs": ("Demo_App==1.1", "helper==2.1")}, "other requirements"),
    ({"reqs": ("Demo_App==1.0",)}, "other requirements"),
    ({"python": "3.13.1"}, "lock is for cp312 win_amd64, the recipe targets cp313 win_amd64"),
    ({"arch": "x86"}, "the recipe targets cp312 win32"),
    ({"index": "https://mirror.example/simple"}, "lock was made from https://pypi.org/simple"),
])
def test_stale_lock_is_refused(recipe_kwargs, message):
    with pytest.raises(RecipeError) as err:
        make_lock().check_matches(make_recipe(**recipe_kwargs))
    assert message in str(err.value)
    assert "choconsis lock demo.toml" in str(err.value)


def test_lock_missing_a_top_level_requirement_is_refused():
    lock = make_lock(wheels=(wheel("demo-app", "1.0"),))
    with pytest.raises(RecipeError, match="helper is not in the lock"):
        lock.check_matches(make_recipe())


def test_lock_with_other_version_of_requirement_is_refused():
    lock = make_lock(wheels=(wheel("demo-app", "1.0"), wheel("helper", "2.0")))
    with pytest.raises(RecipeError, match="lock has helper==2.0, the recipe asks for helper==2.1"):
        lock.check_matches(make_recipe())


def test_index_trailing_slash_does_not_matter():
    make_lock(index_url="https://pypi.org/simple/").check_matches(make_recipe())


def _lines(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize("mutate, where", [
    (lambda ls: ls[:4] + ["not a requirement at all"] + ls[4:], "line 5"),
    (lambda ls: ls[:5] + ["    --hash=md5:abc"] + ls[6:], "line 6"),
    (lambda ls: ls[:5] + ["    --hash=sha256:" + "f" * 63] + ls[6:], "line 6"),
    (lambda ls: ls[:6] + ["    # wheel: only-a-filename.whl"] + ls[7:], "line 6"),
    (lambda ls: ls[:-1], None),  # last entry cut short
])
def test_malformed_entry_names_the_line(mutate, where):
    text = "\n".join(mutate(_lines(format_lock(make_lock(installer=None))))) + "\n"
    with pytest.raises(RecipeError) as err:
        parse_lock(text, "demo.lock")
    assert str(err.value).startswith("demo.lock: line ")
    if where:
        assert str(err.value).startswith(f"demo.lock: {where}:")


@pytest.mark.parametrize("drop", ["# target:", "# index:", "# requirements:"])
def test_missing_header_is_refused(drop):
    text = "\n".join(line for line in _lines(format_lock(make_lock()))
                     if not line.startswith(drop)) + "\n"
    with pytest.raises(RecipeError, match="not a choconsis lock"):
        parse_lock(text, "demo.lock")


def test_lock_without_wheels_is_refused():
    text = "\n".join(_lines(format_lock(make_lock()))[:4]) + "\n"
    with pytest.raises(RecipeError, match="pins no wheel"):
        parse_lock(text, "demo.lock")


def test_shipped_2013_lock_parses_and_matches_its_recipe():
    from choconsis.recipe import load_recipe

    recipe = load_recipe(RECIPES / "openstack-clients-2013.toml")
    lock = read_lock(recipe.lock_path)  # Python 2.7: the old format
    lock.check_matches(recipe)
    assert all(w.url.endswith(w.filename) for w in lock.wheels)
