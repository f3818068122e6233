"""The PEP 751 lock (pylock.<recipe>.toml): round trip into the plan's Lock, what the file
holds, refusing bad files with one line, and a recipe whose lock is still the old <name>.lock."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from choconsis.errors import RecipeError
from choconsis.lock.files import found_lock, read_lock_file, read_recipe_lock, write_lock_file
from choconsis.lock.lockfile import Lock, LockedWheel, format_lock, read_lock, write_lock
from choconsis.lock.pylock import format_pylock, parse_pylock
from choconsis.lock.resolve import convert_lock
from choconsis.lock.uvresolve import uv_binary, uv_environment
from choconsis.recipe import load_recipe, lock_path_for

from kit.cli import one_error_line, run_cli
from kit.locks import uv_wheel
from kit.recipes import RECIPES, demo_recipe_text


def wheel(name: str, version: str, tag: str = "py3-none-any") -> LockedWheel:
    sha = hashlib.sha256(f"{name}{version}{tag}".encode()).hexdigest()
    filename = f"{name.replace('-', '_')}-{version}-{tag}.whl"
    return LockedWheel(name, version, sha, filename, f"https://files.example/{filename}")


def make_lock(**overrides) -> Lock:
    values = dict(python_tag="cp312", platform="win_amd64",
                  requirements=("Demo_App==1.0", "helper==2.1"),
                  index_url="https://pypi.org/simple",
                  wheels=(wheel("aaa-dep", "5.0"), wheel("demo-app", "1.0"),
                          wheel("helper", "2.1", "cp312-cp312-win_amd64")),
                  source="pylock.demo.toml", installer=uv_wheel(),
                  console_scripts={"demo-app": ("demo", "demo-admin"), "helper": ()})
    values.update(overrides)
    return Lock(**values)


def write_recipe(folder: Path, **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.toml"
    path.write_text(demo_recipe_text(**kwargs), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- the format


@pytest.mark.parametrize("overrides", [
    {},
    {"installer": None, "console_scripts": None},
    {"provided": ("SSL_Lib",)},
    {"python_tag": "cp27", "platform": "win32", "installer": None,  # an sdist, as Python 2 pins
     "wheels": (wheel("demo-app", "1.0", "py2-none-any"),
                LockedWheel("helper", "2.1", "c" * 64, "helper-2.1.tar.gz",
                            "https://files.example/helper-2.1.tar.gz"))},
])
def test_round_trip_gives_the_same_lock_and_the_same_bytes(overrides):
    lock = make_lock(**overrides)
    text = format_pylock(lock, "demo")
    back = parse_pylock(text, "pylock.demo.toml")
    assert back == lock
    assert back.console_scripts == lock.console_scripts  # not compared by Lock's ==
    assert format_pylock(back, "demo") == text


def test_the_file_is_pep_751_with_choconsis_facts_under_tool():
    data = tomllib.loads(format_pylock(make_lock(), "demo"))
    assert data["lock-version"] == "1.0" and data["created-by"] == "choconsis"
    assert data["requires-python"] == "==3.12.*"
    assert data["environments"] == ["sys_platform == 'win32' and platform_machine == 'AMD64' "
                                    "and implementation_name == 'cpython' and "
                                    "python_version == '3.12'"]
    names = [p["name"] for p in data["packages"]]
    assert names == sorted(names) == ["aaa-dep", "demo-app", "helper"]
    helper = data["packages"][2]
    assert helper["version"] == "2.1" and helper["index"] == "https://pypi.org/simple"
    w = wheel("helper", "2.1", "cp312-cp312-win_amd64")
    assert helper["wheels"] == [{"name": w.filename, "url": w.url, "hashes": {"sha256": w.sha256}}]
    tool = data["tool"]["choconsis"]
    assert tool["target"] == {"python-tag": "cp312", "platform": "win_amd64"}
    assert tool["requirements"] == ["Demo_App==1.0", "helper==2.1"]
    assert tool["index-url"] == "https://pypi.org/simple"
    assert tool["installer"]["wheel"]["hashes"]["sha256"] == uv_wheel().sha256
    assert tool["console-scripts"] == {"demo-app": ["demo", "demo-admin"], "helper": []}
    assert "provided" not in tool


def test_of_several_wheels_the_target_ranks_first_is_taken():
    # as uv writes them: every wheel of the package that fits some platform
    text = format_pylock(make_lock(), "demo")
    generic, x86, amd64 = (wheel("helper", "2.1"), wheel("helper", "2.1", "cp312-cp312-win32"),
                           wheel("helper", "2.1", "cp312-cp312-win_amd64"))
    files = ", ".join(f'{{ url = "{w.url}", hashes = {{ sha256 = "{w.sha256}" }} }}'
                      for w in (generic, x86, amd64))  # no name: taken from the URL
    helper = text.index('[[packages]]\nname = "helper"')  # the last package
    text = text[:text.index("wheels = ", helper)] + f"wheels = [{files}]\n"
    assert parse_pylock(text).wheel("helper") == amd64  # win_amd64 before py3-none-any
    assert parse_pylock(text.replace('platform = "win_amd64"', 'platform = "win32"')
                        ).wheel("helper") == x86


def test_uv_installs_from_the_pylock_only_on_its_environment(tmp_path):
    """A real PEP 751 consumer reads the file: uv would install it on the Windows target and
    refuses it for another platform (its 'environments')."""
    major, minor = sys.version_info[:2]  # uv checks requires-python against its interpreter
    lock = make_lock(python_tag=f"cp{major}{minor}", installer=None,
                     wheels=(wheel("demo-app", "1.0"), wheel("helper", "2.1")))
    (tmp_path / "pylock.toml").write_text(format_pylock(lock, "demo"), encoding="utf-8")

    def dry_run(platform: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [uv_binary(), "pip", "install", "--dry-run", "--offline", "--no-config",
             "--preview-features", "pylock", "--python", sys.executable,
             "--target", str(tmp_path / "target"), "--python-platform", platform,
             "--python-version", f"{major}.{minor}", "-r", "pylock.toml"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env={**uv_environment(), "UV_CACHE_DIR": str(tmp_path / "cache")})

    windows = dry_run("x86_64-pc-windows-msvc")
    assert windows.returncode == 0, windows.stderr
    assert "+ demo-app==1.0" in windows.stderr and "+ helper==2.1" in windows.stderr
    linux = dry_run("x86_64-unknown-linux-gnu")
    assert linux.returncode != 0 and "not supported by the lockfile" in linux.stderr


def _without(text: str, line_start: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if not ln.startswith(line_start)) + "\n"


GOOD = format_pylock(make_lock(), "demo")
HEAD, PACKAGES = GOOD.split("[[packages]]", 1)


@pytest.mark.parametrize("text, problem", [
    ("lock-version = \n", "not valid TOML: "),
    (HEAD + "[[packages]]" + PACKAGES.replace('sha256 = "', 'md5 = "', 1),
     "packages[1] (aaa-dep): wheels[1]: no sha256"),
    (GOOD.replace(wheel("demo-app", "1.0").sha256, "abc"), "packages[2] (demo-app): wheels[1]: "
                                                           "no sha256"),
    (GOOD.replace('lock-version = "1.0"', 'lock-version = "2.0"'), "lock-version '2.0'"),
    (_without(GOOD, "lock-version"), "lock-version None"),
    (GOOD.replace("[tool.choconsis]", "[tool.other]").replace("[tool.choconsis.", "[tool.o."),
     "no [tool.choconsis] table"),
    (GOOD.replace('python-tag = "cp312"', 'python-tag = "py3"'), "target.python-tag: expected "
                                                                "cpXY"),
    (GOOD.replace('version = "2.1"\nindex', 'index'), "packages[3] (helper): version: expected"),
    (GOOD.replace('demo-admin"', 'demo admin"'), "not a command name: 'demo admin'"),
    (GOOD.split("[[packages]]")[0], "packages: the lock pins no package"),
    (GOOD.replace("cp312-cp312-win_amd64", "cp311-cp311-manylinux_2_17_x86_64"),
     "packages[3] (helper): no wheel for cp312 win_amd64"),
])
def test_a_bad_pylock_is_one_line_naming_the_file_and_the_problem(text, problem):
    with pytest.raises(RecipeError) as err:
        parse_pylock(text, "pylock.demo.toml")
    message = str(err.value)
    assert message.startswith("pylock.demo.toml: ") and "\n" not in message
    assert problem in message
    assert err.value.exit_code == 2


# ---------------------------------------------------------------------------- beside a recipe


def test_lock_file_names_follow_pep_751_and_python_2_keeps_the_old_name():
    assert lock_path_for(Path("r/httpie.toml"), "3.14.7") == Path("r/pylock.httpie.toml")
    assert lock_path_for(Path("r/old.toml"), "2.7.18") == Path("r/old.lock")
    assert load_recipe(RECIPES / "openstack-clients.toml").lock_path == (
        RECIPES / "pylock.openstack-clients.toml")
    assert load_recipe(RECIPES / "openstack-clients-2013.toml").lock_path == (
        RECIPES / "openstack-clients-2013.lock")


def test_a_pylock_given_as_a_recipe_is_named_as_a_lock(tmp_path, capsys):
    code, out, err = run_cli(capsys, "render", str(RECIPES / "pylock.openstack-clients.toml"),
                             "-o", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert one_error_line(err).endswith("pylock.openstack-clients.toml: a PEP 751 lock file, "
                                        "not a recipe (its recipe is "
                                        f"{RECIPES / 'openstack-clients.toml'})")


def test_shipped_lock_keeps_the_pins_it_had_and_matches_its_recipe():
    recipe = load_recipe(RECIPES / "openstack-clients.toml")
    lock = read_recipe_lock(recipe)
    assert found_lock(recipe).name == "pylock.openstack-clients.toml"
    assert lock.wheel("python-openstackclient").version == "10.5.0"
    assert lock.wheel("cryptography").filename == "cryptography-50.0.2-cp311-abi3-win_amd64.whl"
    assert lock.installer is not None and lock.installer.version == "0.13.9"
    assert lock.console_scripts and lock.console_scripts["python-openstackclient"] == (
        "openstack",)
    assert not (RECIPES / "openstack-clients.lock").exists()  # converted, not kept twice


def test_a_recipe_with_only_an_old_lock_builds_from_it(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path))
    write_lock(tmp_path / "demo.lock", replace(make_lock(), source="x"), "demo")
    assert found_lock(recipe) == tmp_path / "demo.lock"
    lock = read_recipe_lock(recipe)
    assert lock.wheel("helper").version == "2.1"
    write_lock_file(tmp_path / "pylock.demo.toml", make_lock(installer=uv_wheel("win_amd64")),
                    "demo")
    assert found_lock(recipe) == tmp_path / "pylock.demo.toml"  # the pylock comes first


def test_convert_keeps_the_pins_and_removes_the_old_lock(tmp_path, capsys):
    path = write_recipe(tmp_path)
    old = replace(make_lock(), source=str(tmp_path / "demo.lock"))
    write_lock(tmp_path / "demo.lock", old, "demo")
    code, out, err = run_cli(capsys, "lock", "--convert", str(path))
    assert code == 0, err
    pylock = tmp_path / "pylock.demo.toml"
    assert out == f"{pylock}: 3 files (3 wheels) for cp312 win_amd64\n"
    assert f"{tmp_path / 'demo.lock'}: replaced by pylock.demo.toml and removed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.toml", "pylock.demo.toml"]
    assert read_lock_file(pylock) == replace(old, source=str(pylock))
    write_lock(tmp_path / "demo.lock", old, "demo")  # both: the pylock is never overwritten
    with pytest.raises(RecipeError, match=r"pylock\.demo\.toml: exists, and builds use it"):
        convert_lock(load_recipe(path))


def test_convert_refuses_a_stale_old_lock_and_writes_nothing(tmp_path, capsys):
    path = write_recipe(tmp_path, reqs=("Demo_App==1.1", "helper==2.1"))
    write_lock(tmp_path / "demo.lock", make_lock(), "demo")
    code, out, err = run_cli(capsys, "lock", "--convert", str(path))
    assert code == 2 and out == ""
    assert one_error_line(err).endswith("lock was made for other requirements than [pip] "
                                        f"requirements of the recipe; run 'choconsis lock "
                                        f"{path}' to make it again")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.lock", "demo.toml"]


def test_convert_of_a_python_2_recipe_is_refused(tmp_path):
    recipe = load_recipe(write_recipe(tmp_path, python="2.7.18", arch="x86"))
    with pytest.raises(RecipeError, match="a Python 2 recipe keeps its <name>.lock"):
        convert_lock(recipe)


@pytest.mark.parametrize("edit, problem", [
    (lambda t: t.replace("https://pypi.org/simple", "https://mirror.example/simple"),
     "lock was made from https://mirror.example/simple, the recipe uses "
     "https://pypi.org/simple"),
    (lambda t: t.replace('platform = "win_amd64"', 'platform = "win32"'),
     "lock is for cp312 win32, the recipe targets cp312 win_amd64"),
    (lambda t: t.replace('"helper==2.1",\n]', '"helper==2.0",\n]'),
     "lock was made for other requirements"),
    (lambda t: t.replace('sha256 = "', 'sha1 = "', 1), "installer.wheel: no sha256"),
    (lambda t: t + "[[[", "not valid TOML"),
])
def test_build_refuses_a_pylock_that_does_not_fit_in_one_line(tmp_path, capsys, edit, problem):
    path = write_recipe(tmp_path)
    pylock = tmp_path / "pylock.demo.toml"
    any_platform = (wheel("aaa-dep", "5.0"), wheel("demo-app", "1.0"), wheel("helper", "2.1"))
    pylock.write_text(edit(format_pylock(make_lock(wheels=any_platform), "demo")),
                      encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, err = run_cli(capsys, "build", str(path), "-o", str(out_dir),
                             "--cache", str(tmp_path / "cache"))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert line.startswith(f"{pylock}: ") or f"{pylock}: " in line
    assert problem in line
    assert not out_dir.exists() and not (tmp_path / "cache").exists()


def test_shipped_requirements_file_is_the_pylock_in_requirements_form():
    lock = read_recipe_lock(load_recipe(RECIPES / "openstack-clients.toml"))
    text = format_lock(lock, "openstack-clients")
    for w in lock.wheels:
        assert f"{w.name}=={w.version} \\\n    --hash=sha256:{w.sha256}\n" in text
    assert text.count(" \\\n    --hash=sha256:") == len(lock.wheels)
