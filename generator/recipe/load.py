"""Loading a recipe: TOML -> checked against the schema -> :class:`Recipe`, or a
:class:`RecipeError` naming the file, the field and what was expected."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

from ..errors import RecipeError
from .fields import DEFAULT_RECIPE, Bad, tname, url_filename
from .model import _SECTION_TYPES, InstallConfig, PathChange, Recipe
from .release import Release, derived_identifier
from .release_checks import check_release
from .release import PACKAGE_IDENTIFIER_RE
from .schema import SCHEMA, Section

# A python.org runtime file name: python-3.12.10-amd64.exe, python-3.12.10.exe,
# python-2.7.18.amd64.msi, python-3.12.10-embed-amd64.zip (version, then what it runs on).
PYTHON_ORG_FILE_RE = re.compile(
    r"python-(?P<version>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)"
    r"(?P<platform>(?:-embed)?(?:[-.](?:amd64|arm64|win32))?)\.(?:exe|msi|zip)", re.I)


def lock_path_for(recipe_path: Path, python_version: str) -> Path:
    """A recipe's lock lives beside it. For a Python 3 target it is PEP 751's named lock file,
    recipes/x.toml -> recipes/pylock.x.toml; a Python 2 target keeps the pip requirements
    format of choconsis before it, recipes/x.lock (:func:`old_lock_path_for`)."""
    if python_version.startswith("2."):
        return old_lock_path_for(recipe_path)
    return recipe_path.with_name(f"pylock.{recipe_path.stem}.toml")


def is_pylock_name(filename: str) -> bool:
    """PEP 751's lock file names: pylock.toml, pylock.<name>.toml."""
    return filename == "pylock.toml" or (filename.startswith("pylock.")
                                         and filename.endswith(".toml"))


def old_lock_path_for(recipe_path: Path) -> Path:
    """Where choconsis kept a recipe's lock before PEP 751 locks: recipes/x.lock. A Python 3
    recipe that has only this one still builds from it."""
    return recipe_path.with_suffix(".lock")


def _check_section(source: str, section: Section, table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise RecipeError(source, where, f"expected a table, got {tname(table)}")
    known = {f.name for f in section.fields}
    for key in table:
        if key not in known:
            raise RecipeError(
                source, f"{where}.{key}",
                f"unknown field; [{section.name}] takes: {', '.join(sorted(known))}",
            )
    values: dict[str, Any] = {}
    for fld in section.fields:
        if fld.name not in table:
            if fld.required:
                raise RecipeError(source, f"{where}.{fld.name}",
                                  f"missing required field ({fld.type_doc}: {fld.doc})")
            values[fld.name] = fld.default
            continue
        try:
            values[fld.name] = fld.check(table[fld.name])
        except Bad as bad:
            raise RecipeError(source, f"{where}.{fld.name}", str(bad)) from None
    return values


def parse_recipe(data: dict[str, Any], source: str = "<recipe>",
                 lock_path: Path | None = None) -> Recipe:
    """Check parsed TOML against :data:`SCHEMA` and build the typed :class:`Recipe`."""
    known = {s.name for s in SCHEMA}
    for key in data:
        if key not in known:
            raise RecipeError(source, key,
                              f"unknown section; a recipe has: {', '.join(sorted(known))}")
    built: dict[str, Any] = {}
    for section in SCHEMA:
        cls = _SECTION_TYPES[section.name]
        if section.name not in data:
            if section.required:
                raise RecipeError(source, f"[{section.name}]", "missing required section")
            continue
        raw = data[section.name]
        if section.array:
            if not isinstance(raw, list):
                raise RecipeError(source, section.name,
                                  f"expected [[{section.name}]] tables, got {tname(raw)}")
            built[section.name] = tuple(
                cls(**_check_section(source, section, item, f"{section.name}[{i + 1}]"))
                for i, item in enumerate(raw)
            )
        else:
            built[section.name] = cls(**_check_section(source, section, raw, section.name))
    package = built["package"]
    if not package.owners:
        package = dataclasses.replace(package, owners=package.authors)
    recipe = Recipe(
        package=package, python=built["python"], pip=built["pip"],
        check=built["check"], installers=built.get("installer", ()),
        path=built.get("path", PathChange()), install=built.get("install", InstallConfig()),
        release=_release(built.get("release", Release()), package.id, package.authors),
        source=source, lock_path=lock_path,
    )
    _check_whole(recipe)
    return recipe


def _check_whole(recipe: Recipe) -> None:
    """Rules that relate fields to each other."""
    src = recipe.source
    names = [i.name for i in recipe.installers]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise RecipeError(src, f"installer[{i + 1}].name", f"duplicate installer name {name!r}")
    files = [url_filename(recipe.python.url)] + [url_filename(i.url) for i in recipe.installers]
    for i, name in enumerate(files):
        if files.index(name) != i:
            raise RecipeError(src, f"installer[{i}].url",
                              f"file name {name!r} is used by two downloads; they would collide")
    if recipe.python.private and not files[0].lower().endswith(".zip"):
        raise RecipeError(src, "python.url",
                          f"installer = \"{recipe.python.installer}\" needs a .zip file")
    _check_runtime_kind(recipe)
    if recipe.python.installer == "msi" and not files[0].lower().endswith(".msi"):
        raise RecipeError(src, "python.url", "installer = \"msi\" needs a .msi file")
    if recipe.python.installer == "exe" and not files[0].lower().endswith(".exe"):
        raise RecipeError(src, "python.url", "installer = \"exe\" needs a .exe file")
    _check_python_file(recipe)
    arg_lists = [("python.args", recipe.python.args or ())] + [
        (f"installer[{i + 1}].args", inst.args) for i, inst in enumerate(recipe.installers)]
    for where, args in arg_lists:
        for arg in args[:-1]:
            if arg.upper().startswith("/D="):
                raise RecipeError(src, where, "/D= (an NSIS installer's folder) must be the "
                                  "last argument: NSIS reads it to the end of the line")
    for i, inst in enumerate(recipe.installers):
        if not url_filename(inst.url).lower().endswith("." + inst.kind):
            raise RecipeError(src, f"installer[{i + 1}].url",
                              f"kind = {inst.kind!r} needs a .{inst.kind} file")
    seen: set[str] = set()
    for i, req in enumerate(recipe.pip.requirements):
        name = Requirement(req).name.lower().replace("_", "-").replace(".", "-")
        if name in seen:
            raise RecipeError(src, f"pip.requirements[{i + 1}]", f"{name} is listed twice")
        seen.add(name)
    _check_install(recipe)
    check_release(recipe)
    try:
        Version(recipe.python.version)
    except InvalidVersion:  # pragma: no cover - the regex already guarantees it
        raise RecipeError(src, "python.version", "not a version") from None


def _check_runtime_kind(recipe: Recipe) -> None:
    """Fields that belong to some kinds of runtime only."""
    py, src = recipe.python, recipe.source
    if not py.private and not py.install_dir:
        raise RecipeError(src, "python.install_dir", f"missing required field for installer = "
                          f"\"{py.installer}\" (Windows path: the runtime's folder for a "
                          "machine install, e.g. C:\\Python314)")
    for key in ("index_id", "index_tag"):
        if getattr(py, key) and py.installer != "package":
            raise RecipeError(src, f"python.{key}", "belongs to installer = \"package\" (an "
                              "install-manager index entry); remove it or change the kind")
    if py.installer == "package" and py.args is not None:
        raise RecipeError(src, "python.args", "a runtime package is unpacked, not run: it "
                          "takes no switches")
    if py.index_tag:
        match = re.fullmatch(r"(\d+\.\d+)(?:-dev)?-(64|32|arm64)", py.index_tag)
        if match is None:
            raise RecipeError(src, "python.index_tag", f"{py.index_tag!r} is not a tag of a "
                              "CPython runtime package: expected X.Y-64 or X.Y-32 (e.g. 3.14-64)")
        bits = {"amd64": "64", "x86": "32"}[py.arch]
        if match.group(1) != py.minor_version or match.group(2) != bits:
            raise RecipeError(src, "python.index_tag", f"{py.index_tag!r} does not fit "
                              f"python.version {py.version!r} and python.arch {py.arch!r} "
                              f"(their tag is {py.minor_version}-{bits})")


def _check_python_file(recipe: Recipe) -> None:
    """A python.org file name says which version and platform it installs: it must be the
    recipe's (else the installer would be labelled with a version it does not install)."""
    py = recipe.python
    match = PYTHON_ORG_FILE_RE.fullmatch(url_filename(py.url))
    if match is None:
        return
    name, version = match.group(0), match.group("version")
    if version != py.version:
        raise RecipeError(recipe.source, "python.url",
                          f"{name} is Python {version} (python.org file naming), but "
                          f"python.version is {py.version!r}: set python.version = "
                          f"\"{version}\" or use the URL of the {py.version} installer")
    platform = match.group("platform").lower()
    arch = "amd64" if "amd64" in platform else "arm64" if "arm64" in platform else "x86"
    if arch != py.arch:
        raise RecipeError(recipe.source, "python.url",
                          f"{name} is the {arch} build (python.org file naming), but "
                          f"python.arch is {py.arch!r}")


_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D} | {0x7F}


def _wide_text(head: bytes) -> bool:
    """UTF-16 without a BOM: a NUL in every other byte (ASCII-range text), the rest not."""
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return False
    for zeros, chars in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):  # LE, BE
        if not any(zeros) and all(c and c not in _CONTROL for c in chars):
            return True
    return False


def decode_recipe(data: bytes, source: str) -> str:
    """The text of a recipe file: UTF-8, with or without the BOM Notepad writes."""
    head = data[:512]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _wide_text(head):
        raise RecipeError(source, None, "the file is UTF-16 (or another wide encoding), not "
                          "UTF-8: save the recipe as UTF-8")
    if any(b in _CONTROL for b in head):  # NUL or other control bytes: a program, an image
        raise RecipeError(source, None, "not a text file (it holds binary data): a recipe "
                          "is a TOML text file in UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecipeError(source, None, f"byte {err.start + 1} is not UTF-8: save the recipe "
                          "as UTF-8") from None


def read_recipe_text(path: Path) -> str:
    """Read a recipe file's text (see :func:`decode_recipe`); RecipeError when unreadable."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RecipeError(source, None, "no such recipe file") from None
    except IsADirectoryError:
        raise RecipeError(source, None, "is a folder, not a recipe file") from None
    except OSError as err:
        raise RecipeError(source, None, f"cannot read the recipe: {err.strerror or err}") from None
    return decode_recipe(data, source)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file; its lock is expected beside it."""
    path = Path(path)
    return loads_recipe_at(read_recipe_text(path), path)


def loads_recipe_at(text: str, path: Path) -> Recipe:
    """A recipe's text that is (or will be) the file ``path``: its lock lives beside it."""
    if is_pylock_name(path.name):
        recipe = path.with_name(path.name.removeprefix("pylock."))
        raise RecipeError(str(path), None, f"a PEP 751 lock file, not a recipe (its recipe is "
                          f"{recipe})")
    recipe = loads_recipe(text, str(path))
    return dataclasses.replace(recipe, lock_path=lock_path_for(path, recipe.python.version))


def loads_recipe(text: str, source: str = "<recipe>", lock_path: Path | None = None) -> Recipe:
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RecipeError(source, None, f"not valid TOML: {err}") from None
    return parse_recipe(data, source, lock_path)


def builtin_recipe_path(name: str = DEFAULT_RECIPE) -> Path:
    """Path of a recipe shipped inside the package (recipes/NAME.toml)."""
    from ..datafiles import template_dir

    candidate = template_dir("choconsis._recipes") / f"{name}.toml"
    if not candidate.is_file():
        raise RecipeError(f"{name}.toml", None, "no such built-in recipe")
    return candidate


def resolve_recipe_arg(arg: str | None) -> Path:
    """A command-line recipe argument: a path, a built-in name, or None for the default."""
    if arg is None:
        return builtin_recipe_path()
    path = Path(arg)
    if path.exists() or arg.endswith(".toml") or "/" in arg or "\\" in arg:
        return path
    return builtin_recipe_path(arg)


def _check_install(recipe: Recipe) -> None:
    """[install] against the runtime, the installers and [path]."""
    src, install = recipe.source, recipe.install
    if install.scope == "user" and "user" not in recipe.scopes:
        why = ("the runtime is an MSI" if recipe.python.installer == "msi" else
               "an [[installer]] is an MSI" if any(i.kind == "msi" for i in recipe.installers)
               else "[path] scope = \"machine\" changes the machine PATH")
        raise RecipeError(src, "install.scope", f"\"user\" is not possible: {why}, which "
                          "needs a machine install (administrator rights); use \"machine\"")
    _check_runtime_args(recipe)
    if install.environment == "venv" and recipe.python.version.startswith("2."):
        raise RecipeError(src, "install.environment", "\"venv\" needs Python 3 (Python 2 has "
                          "no venv module); use \"runtime\"")
    if recipe.pip.installer == "uv" and _minor(recipe) < (3, 8):
        raise RecipeError(src, "pip.installer", f"uv cannot install into Python "
                          f"{recipe.python.version} (it needs Python 3.8 or later); use \"pip\"")
    if recipe.environment == "venv" and recipe.installer == "pip" and _minor(recipe) < (3, 11):
        field = "install.environment" if install.environment else "python.version"
        raise RecipeError(src, field, f"a venv for Python {recipe.python.version} cannot be "
                          "filled by the runtime's pip (pip --python needs pip 22.3, which "
                          "Python 3.11 ships first): use Python 3.11 or later, or "
                          "[install] environment = \"runtime\"")


def _check_runtime_args(recipe: Recipe) -> None:
    """{install_dir} in [python] args meant the runtime's folder before the app had a folder
    of its own; where it has one (environment = "venv") the same recipe would now point the
    runtime installer at the app's folder and fail only at install time: refuse it here."""
    if recipe.environment != "venv":
        return  # "runtime": the runtime's folder is the install folder, as it always was
    for i, arg in enumerate(recipe.python.args or ()):
        if "{install_dir}" in arg:
            raise RecipeError(recipe.source, f"python.args[{i + 1}]",
                              f"{arg!r} names {{install_dir}}, which is the app's own folder "
                              "when the app has its own environment (environment = \"venv\"), "
                              "not the runtime's: use {runtime_dir} for the runtime's folder")


def _minor(recipe: Recipe) -> tuple[int, int]:
    major, minor = recipe.python.version.split(".")[:2]
    return int(major), int(minor)


def _release(release: Release, package_id: str, authors: str) -> Release:
    """[release] with its defaults filled in: the publisher (the authors) and winget's
    PackageIdentifier, derived from the publisher and the id ("" when that gives none: only
    the winget output needs one, see release_checks)."""
    publisher = release.publisher or authors
    identifier = release.package_identifier or derived_identifier(publisher, package_id)
    if not PACKAGE_IDENTIFIER_RE.fullmatch(identifier):
        identifier = ""
    return dataclasses.replace(release, publisher=publisher, package_identifier=identifier)

