"""The layering contract of `generator/` (the package `choconsis`), checked with `ast`.

The layers, lowest first. A module imports modules of its own package or of a lower layer,
never of a higher layer, and never a peer package of its own layer (above the foundation):

    0  foundation  errors, ui, fileio, reproducible, netreasons, escaping, datafiles (where the
                   shipped templates and recipes lie), preflight (checks of command-line
                   paths), store (the sha256-keyed artifact cache and HTTP session), wheelfiles
                   (the one reader of wheel members), outfolder (a build's lock on its output
                   folder, its staging folder, leftovers of killed builds), children (external
                   programs tied to choconsis: makensis), the package's __init__ (the version),
                   and engine (the target-side install engine the installers ship and run on
                   Windows with the runtime's python: Python 2.7 and 3, standard library only;
                   it imports nothing of choconsis at all, which test_the_engine_stands_alone
                   checks)
    1  recipe      the typed schema, its loading, the Windows target it describes (target.py)
    2  index       clients of package indexes (PEP 503/691) and of python.org
    3  lock        resolution with pip, the PEP 751 lock
    4  plan        recipe + lock -> InstallPlan
    5  payload     every artifact fetched and verified once
    6  backends    chocolatey/, nsis/, templating, the SBOM
    7  build       runs the stages -> artifacts
    8  check, smoke, update        the commands beside build (peers: never import each other)
    9  new         choconsis new: writes a recipe whose versions follow update's rules
   10  cli         the parser, the commands, the one place errors become exit codes
   11  __main__    python -m choconsis

Besides the order, no import circle is allowed, among modules (an import inside a function
or under TYPE_CHECKING counts as much as one at the top) or among packages. Imports are read
from the source, absolute (`choconsis.x`) and relative (`from . import x`) alike: the test
needs neither to import the code nor a new dependency (import-linter would do the same job
with a contract file; this keeps the layers, the check and its explanation in one place).
README's Development section draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "generator"
TOP = "choconsis"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "ui", "fileio", "reproducible", "netreasons", "escaping", "datafiles",
     "preflight", "store", "wheelfiles", "outfolder", "children", "__init__", "engine"),
    ("recipe",),
    ("index",),
    ("lock",),
    ("plan",),
    ("payload",),
    ("backends",),
    ("build",),
    ("check", "smoke", "update"),
    ("new",),
    ("cli",),
    ("__main__",),
)
FOUNDATION = LAYERS[0]


def layer_of(unit: str) -> int:
    for rank, names in enumerate(LAYERS):
        if unit in names:
            return rank
    raise AssertionError(f"{unit!r} (generator/{unit}) is in no layer of tests/test_layers.py")


def module_name(path: Path, source: Path = SOURCE) -> str:
    parts = list(path.relative_to(source).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([TOP, *parts])


def all_modules(source: Path = SOURCE) -> dict[str, Path]:
    return {module_name(path, source): path for path in sorted(source.rglob("*.py"))}


def unit_of(module: str) -> str:
    """The layer unit of a module: its top-level package or module under choconsis."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported choconsis module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = package_of(module, path)
    found: list[tuple[str, int]] = []

    def resolve(name: str) -> str | None:
        # the most specific module the name reaches ("choconsis.index.simple.SimpleIndex" ->
        # "choconsis.index.simple"); None for anything outside choconsis
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == TOP or alias.name.startswith(TOP + "."):
                    target = resolve(alias.name)
                    if target:
                        found.append((target, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin != TOP and not origin.startswith(TOP + "."):
                continue
            for alias in node.names:
                target = resolve(f"{origin}.{alias.name}")
                if target:
                    found.append((target, node.lineno))
    return found


def graph(source: Path = SOURCE) -> dict[str, list[tuple[str, int]]]:
    """Each module's imports of choconsis modules, one per (module, line)."""
    modules = all_modules(source)
    return {name: list(dict.fromkeys(imports_of(name, path, modules)))
            for name, path in modules.items()}


def where(module: str, line: int, source: Path = SOURCE) -> str:
    path = all_modules(source)[module]
    return f"{path.relative_to(source.parent)}:{line}"


def upward_imports(source: Path = SOURCE) -> list[str]:
    problems: list[str] = []
    for module, edges in graph(source).items():
        unit = unit_of(module)
        for target, line in edges:
            other = unit_of(target)
            if other == unit:
                continue
            if layer_of(other) > layer_of(unit):
                problems.append(f"{where(module, line, source)}: {module} imports {target}, "
                                f"a higher layer ({other} above {unit})")
            elif layer_of(other) == layer_of(unit) and unit not in FOUNDATION:
                problems.append(f"{where(module, line, source)}: {module} imports {target}, "
                                f"a peer of the same layer ({other} beside {unit})")
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member, or a self-loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def circle_report(members: list[str], lines: dict[tuple[str, str], tuple[str, int]],
                  source: Path) -> str:
    inside = set(members)
    links = [f"{where(m, line, source)} -> {target}"
             for (a, target), (m, line) in sorted(lines.items())
             if a in inside and target in inside]
    return "circle " + " <-> ".join(members) + ": " + "; ".join(links)


def module_circles(source: Path = SOURCE) -> list[str]:
    edges: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], tuple[str, int]] = {}
    for module, imported in graph(source).items():
        for target, line in imported:
            if target == module:
                continue
            edges.setdefault(module, set()).add(target)
            lines.setdefault((module, target), (module, line))
    return [circle_report(c, lines, source) for c in cycles(edges)]


def package_circles(source: Path = SOURCE) -> list[str]:
    modules = all_modules(source)

    def package(module: str) -> str:
        # a top-level module (choconsis.errors) stands for itself
        found = package_of(module, modules[module])
        return module if found == TOP else found

    edges: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], tuple[str, int]] = {}
    for module, imported in graph(source).items():
        mine = package(module)
        for target, line in imported:
            theirs = package(target)
            if theirs == mine:
                continue
            # a package importing its own subpackage (or the reverse) is one family, not a circle
            if theirs.startswith(mine + ".") or mine.startswith(theirs + "."):
                continue
            edges.setdefault(mine, set()).add(theirs)
            lines.setdefault((mine, theirs), (module, line))
    return [circle_report(c, lines, source) for c in cycles(edges)]


def test_every_unit_has_a_layer():
    for module in all_modules():
        layer_of(unit_of(module))


def test_no_import_reaches_up():
    problems = upward_imports()
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def test_no_module_circle():
    problems = module_circles()
    assert not problems, "import circles among modules:\n" + "\n".join(problems)


def test_no_package_circle():
    problems = package_circles()
    assert not problems, "import circles among packages:\n" + "\n".join(problems)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "generator"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checks_can_fail(tmp_path):
    """An upward import inside a function, a relative circle and a package circle are found,
    each named with file and line."""
    root = _tree(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "recipe/__init__.py": "",
        "recipe/load.py": "def f():\n    from choconsis.plan import make\n",
        "plan/__init__.py": "",
        "plan/make.py": "from ..recipe import load\n",
        "lock/__init__.py": "",
        "lock/a.py": "from . import b\n",
        "lock/b.py": "\n\nfrom .a import thing\n",
    })
    up = upward_imports(root)
    assert up == ["generator/recipe/load.py:2: choconsis.recipe.load imports choconsis.plan.make,"
                  " a higher layer (plan above recipe)"]
    circles = module_circles(root)
    assert any("choconsis.lock.a <-> choconsis.lock.b" in c and "generator/lock/b.py:3" in c
               for c in circles), circles
    assert any("choconsis.plan.make <-> choconsis.recipe.load" in c for c in circles), circles
    assert package_circles(root) == [
        "circle choconsis.plan <-> choconsis.recipe: generator/plan/make.py:1 -> "
        "choconsis.recipe; generator/recipe/load.py:2 -> choconsis.plan"]


def test_a_module_in_no_layer_is_named():
    with pytest.raises(AssertionError, match="'nowhere' .generator/nowhere. is in no layer"):
        layer_of("nowhere")


def test_the_engine_stands_alone():
    """The engine runs on the target from the installer's state folder, where no choconsis
    is installed: it may import only the standard library and its own sibling modules."""
    modules = all_modules()
    siblings = {path.stem for path in (SOURCE / "engine").glob("*.py")}
    found = []
    for module, path in modules.items():
        if not module.startswith(f"{TOP}.engine"):
            continue
        for name, line in imports_of(module, path, modules):
            found.append(where(module, line))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                found.append(where(module, node.lineno))
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [where(module, node.lineno) for n in names
                      if n.split(".")[0] == TOP or n.split(".")[0] == "generator"]
    assert siblings >= {"choconsis_engine"}
    assert found == [], "the engine imports choconsis: " + ", ".join(found)
