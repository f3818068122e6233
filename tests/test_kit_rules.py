"""The shape of the test kit: test modules share helpers through tests/kit/, never through one
another. A test module that imports another test module (or conftest) runs that module's
top level again under another name and ties two tests' helpers together by accident."""

from __future__ import annotations

import ast
from pathlib import Path

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
