"""The test kit: test modules share helpers through tests/kit/, never through one another (a
test module that imports another test module, or conftest, runs that module's top level again
under another name and ties two tests' helpers together by accident); and the kit's fakes
follow the product's rules rather than copies of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from choconsis.plan import build_plan
from choconsis.recipe import parse_recipe
from kit.locks import fake_lock
from kit.recipes import exe_recipe_data, recipe_data

TESTS = Path(__file__).resolve().parent


def _imported(node: ast.AST) -> list[str]:
    """The top-level module names an import statement names (relative imports: none)."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module.split(".")[0]]
    return []


def imports_of_tests(path: Path, root: Path = TESTS.parent) -> list[str]:
    """Each import of a test module or conftest in ``path``, as 'file:line imports name'
    (the file named relative to ``root``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):  # every import, at the top or inside a function
        for name in _imported(node):
            if name == "conftest" or name.startswith("test_"):
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} imports {name}")
    return found


def test_no_test_module_imports_another_test_module_or_conftest():
    """Nor does the kit or conftest: helpers flow one way, from tests/kit/ to the tests."""
    modules = [*TESTS.glob("test_*.py"), *(TESTS / "kit").rglob("*.py"), TESTS / "conftest.py"]
    offenders = [line for path in sorted(modules) for line in imports_of_tests(path)]
    assert not offenders, ("import shared helpers from tests/kit/ instead:\n"
                           + "\n".join(offenders))


def test_the_rule_sees_imports_anywhere_in_a_module(tmp_path):
    """The check above can fail: it names file and line of each kind of offending import."""
    sample = tmp_path / "tests" / "test_sample.py"
    sample.parent.mkdir()
    sample.write_text("import os\nimport conftest\nfrom test_nsis import x\n\n"
                      "def f():\n    import test_plan.sub as p\n    from kit.recipes import y\n",
                      encoding="utf-8")
    assert imports_of_tests(sample, tmp_path) == ["tests/test_sample.py:2 imports conftest",
                                                  "tests/test_sample.py:3 imports test_nsis",
                                                  "tests/test_sample.py:6 imports test_plan"]


@pytest.mark.parametrize("version, uv", [("2.7.18", False), ("3.7.9", False),
                                         ("3.8.10", True), ("3.14.7", True)])
def test_fake_locks_pin_uv_where_the_product_installs_with_uv(version, uv):
    """README: uv installs into Python 3.8 and later, the runtime's pip before that. A fake
    lock asks the recipe (a copy of the rule once pinned uv for Python 3.0 to 3.7, where
    the product installs with pip and would never fetch it)."""
    data = exe_recipe_data()
    data["python"].update(version=version, url=f"https://www.python.org/ftp/python/{version}/"
                                               f"python-{version}-amd64.exe")
    data["install"]["environment"] = "runtime"  # a venv filled by pip needs Python 3.11+
    recipe = parse_recipe(data, "t.toml")
    assert recipe.installer == ("uv" if uv else "pip")
    lock = fake_lock(recipe)
    assert (lock.installer is not None) == uv
    assert lock.installer is None or lock.installer.filename.endswith(
        f"-py3-none-{recipe.python.platform}.whl")
    build_plan(recipe, lock)  # the product takes it as a lock of this recipe
