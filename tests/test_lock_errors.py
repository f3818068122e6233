"""choconsis lock against an index that cannot help: unreachable (the URL and why), without the
project (a recipe error naming the requirement, exit 2), or with the project but no wheel for
the target (the target's tags and the platforms the project has wheels for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.cli import one_error_line, run_cli
from kit.recipes import demo_recipe_text
from kit.index import FakeIndex

def nothing_written(recipe: Path) -> bool:
    return [p.name for p in recipe.parent.iterdir()] == [recipe.name]


def _demo(tmp_path: Path, index_url: str, reqs: tuple[str, ...]) -> Path:
    path = tmp_path / "demo.toml"
    path.write_text(demo_recipe_text(index=index_url, reqs=reqs), encoding="utf-8")
    return path


def test_lock_against_an_unreachable_index(tmp_path, capsys):
    recipe = _demo(tmp_path, "http://127.0.0.1:9/simple", ("demo-app==1.0",))
    code, _, err = run_cli(capsys, "lock", str(recipe))
    assert code == 1
    assert one_error_line(err) == (
        "the index http://127.0.0.1:9/simple could not be reached: the connection was "
        "refused, or the server could not be reached (ConnectionError) (asked for "
        "http://127.0.0.1:9/simple/demo-app/)")
    assert nothing_written(recipe)


@pytest.fixture
def index(loopback):
    idx = FakeIndex(loopback)
    idx.wheel("demo-app", "1.0")
    idx.wheel("linux-only", "3.0", tag="cp312-cp312-manylinux_2_17_x86_64")
    idx.wheel("linux-only", "3.0", tag="cp311-cp311-win_amd64")
    idx.wheel("needs-new", "2.0", requires_python=">=3.13")
    idx.publish()
    return idx


def test_lock_of_a_project_the_index_does_not_have(tmp_path, index, capsys):
    recipe = _demo(tmp_path, index.url, ("demo-app==1.0", "no-such-project==1.0"))
    code, _, err = run_cli(capsys, "lock", str(recipe))
    assert code == 2
    assert one_error_line(err) == (
        f"{recipe}: pip.requirements[2]: no-such-project: no such project on the index "
        f"{index.url} ({index.url}/no-such-project/: HTTP 404)")
    assert nothing_written(recipe)


def test_lock_of_a_project_without_a_wheel_for_the_target(tmp_path, index, capsys):
    recipe = _demo(tmp_path, index.url, ("demo-app==1.0", "linux-only==3.0"))
    code, _, err = run_cli(capsys, "lock", str(recipe))
    assert code == 1
    problem = one_error_line(err)
    assert problem.startswith(
        f"{recipe}: no wheel for cp312 win_amd64 (Python 3.12, abi cp312) satisfies "
        f"linux-only==3.0 on {index.url}: the target takes cp312-cp312-win_amd64, "
        "cp312-abi3-win_amd64, cp312-none-win_amd64, ..., py3-none-any (42 tags); "
        "linux-only 3.0 has wheels for manylinux_2_17_x86_64, win_amd64 (Python tags cp311, "
        "cp312); uv says: ")
    assert "linux-only==3.0 has no wheels with a matching platform tag" in problem
    assert nothing_written(recipe)


def test_lock_of_a_project_whose_wheels_need_a_newer_python(tmp_path, index, capsys):
    recipe = _demo(tmp_path, index.url, ("needs-new==2.0",))
    code, _, err = run_cli(capsys, "lock", str(recipe))
    assert code == 1
    assert ("needs-new 2.0 has wheels for this platform that require Python >=3.13, not "
            "3.12.9") in one_error_line(err)


def test_lock_says_when_the_check_runs_a_program_the_install_lacks(tmp_path, loopback,
                                                                   capsys):
    """The issue's case: the wheel installs `https`, the check runs `http`. The lock is
    right and is written; the recipe's check is refused (exit 2), before any build."""
    idx = FakeIndex(loopback)
    idx.wheel("demo-app", "1.0", console_scripts={"https": "demo_app:main"})
    idx.publish()
    path = tmp_path / "demo.toml"
    path.write_text(demo_recipe_text(index=idx.url, reqs=("demo-app==1.0",)).replace(
        'command = "demo --version"', 'command = "http --version"'), encoding="utf-8")
    assert 'command = "http --version"' in path.read_text()
    code, _, err = run_cli(capsys, "lock", str(path))
    assert code == 2
    assert one_error_line(err).startswith(
        f"{path}: check.command: 'http --version' runs 'http', which this install does not "
        "provide: the app's commands are https;")
    assert (tmp_path / "pylock.demo.toml").is_file()  # the lock is written all the same
