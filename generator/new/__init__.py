"""``choconsis new PROJECT[==VERSION]``: a recipe for a Python command-line tool on the index.

1. the project's page on the index (:mod:`..index.simple`): the pinned version, or the newest
   final release with a wheel;
2. one of its wheels, verified by the index's sha256: core metadata (summary, authors,
   license, project URLs) and console scripts (:mod:`.project`, :mod:`.metadata`);
3. the newest python.org runtime that the project supports (:mod:`.runtime`): by default a
   runtime package of the install-manager index, private to the app and pinned by the index's
   sha256; with ``--installer exe|msi`` python.org's installer, its sha256 pinned as
   ``update --python`` pins it;
4. the recipe text (:mod:`.text`), checked by loading it like any recipe, then locked with the
   core's resolver;
5. ``<id>.toml`` and its lock, ``pylock.<id>.toml`` (``<id>.lock`` for a Python 2 runtime),
   are written together (lock first, recipe last) and only when everything succeeded;
   existing files are refused unless ``force``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from .. import preflight, ui
from ..errors import BuildError, RecipeError, UsageError
from ..fileio import write_pair
from ..index.pymanager import DEFAULT_RUNTIME_INDEX_URL
from ..index.pythonorg import DEFAULT_PYTHON_INDEX_URL
from ..index.simple import SimpleIndex
from ..lock.files import format_lock_file, old_lock_of
from ..recipe import DEFAULT_INDEX_URL, loads_recipe_at, lock_path_for, old_lock_path_for
from ..recipe.fields import Bad, as_check_command, as_expect, as_package_id, as_url
from ..recipe.model import default_installer
from ..store import ArtifactStore, make_session
from ..update.versioning import VersionError, choco_version
from ..wheelfiles import BATCH, WheelCommand
from .metadata import package_fields
from .project import choose_release, parse_spec, read_wheel
from .runtime import runtime_table
from .text import recipe_text


@dataclass
class NewOptions:
    spec: str
    folder: Path = Path(".")
    force: bool = False
    index_url: str = DEFAULT_INDEX_URL
    python_index_url: str | None = None  # default: python.org's, of the installer's kind
    python: str | None = None  # 3.12 or 3.12.10
    arch: str = "amd64"
    installer: str = "package"  # package | exe | msi
    package_id: str | None = None
    icon_url: str = ""
    package_source_url: str = ""
    cache_dir: Path | None = None
    timeout: float = 30.0


@dataclass
class NewRecipe:
    recipe: Path
    lock: Path
    notes: list[str] = field(default_factory=list)


def _checked(check, value: str, option: str) -> str:  # type: ignore[no-untyped-def]
    try:
        return check(value)
    except Bad as bad:
        raise UsageError(f"{option} {value!r}: {bad}") from None


def python_index_url(opts: NewOptions) -> str:
    """--python-index-url, else python.org's: the install-manager index for a runtime
    package, the release folders for an EXE or MSI installer."""
    if opts.python_index_url:
        return opts.python_index_url
    return DEFAULT_RUNTIME_INDEX_URL if opts.installer == "package" else DEFAULT_PYTHON_INDEX_URL


def install_dir(version: str, arch: str) -> str:
    """An EXE or MSI runtime's folder for a machine install: python.org's own all-users
    default (it may be shared with other apps on that runtime; a per-user install goes to
    %LOCALAPPDATA%\\Programs\\Python)."""
    digits = "".join(version.split(".")[:2])
    if arch == "amd64":
        return f"C:\\Program Files\\Python{digits}"
    return f"C:\\Program Files (x86)\\Python{digits}-32"


def display_name(name: str) -> str:
    """The project's name as people write it: its metadata's Name with the '_' that some
    build back ends write for '-' put back (pre_commit -> pre-commit)."""
    return name.replace("_", "-")


def check_expect(declared: str | None, version: str) -> str:
    """What the check's output must contain: the version as the project declares it (its
    METADATA, as its --version prints it), else the index's; "" when not a safe recipe line."""
    for text in (declared or "", version):
        try:
            if text.strip() and as_expect(text.strip()):
                return text.strip()
        except Bad:
            continue
    return ""


def check_command(project: str, commands: tuple[WheelCommand, ...]) -> str:
    """``<command> --version`` for the shortest command name (http for httpie's http, https,
    httpie): usually the tool itself rather than a helper; a batch file last."""
    for command in sorted(commands, key=lambda c: (c.kind == BATCH, len(c.name), c.name)):
        try:
            return as_check_command(f"{command.name} --version")
        except Bad:
            continue
    raise UsageError(f"{project}: no command name can be run as a check command "
                     f"({', '.join(c.name for c in commands)})")


def _fallback_url(index_url: str, name: str) -> str:
    if index_url.rstrip("/") == DEFAULT_INDEX_URL:
        return f"https://pypi.org/project/{canonicalize_name(name)}/"
    return index_url.rstrip("/") + f"/{canonicalize_name(name)}/"


def new_recipe(opts: NewOptions, command_line: str) -> NewRecipe:
    name, pinned = parse_spec(opts.spec)
    package_id = _checked(as_package_id, opts.package_id or canonicalize_name(name), "--id")
    for option, url in (("--icon-url", opts.icon_url),
                        ("--package-source-url", opts.package_source_url)):
        if url:
            _checked(as_url, url, option)
    recipe_path = opts.folder / f"{package_id}.toml"
    # the lock's name follows the runtime chosen below: refuse either
    for path in (recipe_path, lock_path_for(recipe_path, "3"), old_lock_path_for(recipe_path)):
        if path.exists() and not opts.force:
            raise UsageError(f"{path} exists: choconsis new does not overwrite it without "
                             "--force")
    preflight.writable_folder(opts.folder, "folder the recipe is written into")

    session = make_session()
    store = ArtifactStore(cache_dir=opts.cache_dir, session=session, timeout=opts.timeout)
    try:
        page = SimpleIndex(opts.index_url, session, opts.timeout).project(name)
        release = choose_release(page, pinned, opts.arch)
        wheel = read_wheel(release, store)
        if not wheel.commands:
            raise UsageError(f"{wheel.name} {release.version} installs no command (no "
                             "console or GUI entry point, no program, Python script or batch "
                             "file in its .data/scripts): choconsis packages command-line "
                             "tools")
        ui.note(f"{wheel.name} {release.version}: commands "
                f"{', '.join(f'{c.name} ({c.kind})' for c in wheel.commands)}")
        python = runtime_table(
            installer=opts.installer, arch=opts.arch, python=opts.python,
            index_url=python_index_url(opts), requires_python=wheel.requires_python,
            wheels=release.wheels, project=f"{name} {release.version}", store=store,
            timeout=opts.timeout)
        if opts.installer != "package":
            python["install_dir"] = install_dir(python["version"], opts.arch)
    finally:
        session.close()
    try:
        package_version = str(choco_version(release.version))
    except VersionError as err:
        raise UsageError(f"{wheel.name}: {err}") from None
    shown = display_name(wheel.name)
    package, notes = package_fields(
        wheel.metadata, name=shown, version=str(release.version), python=python["version"],
        arch=opts.arch, commands=tuple(c.name for c in wheel.commands),
        fallback_url=_fallback_url(opts.index_url, wheel.name),
        runtime=opts.installer, installer=default_installer(python["version"]))
    if release.passed_over:
        notes.insert(0, release.passed_over)
    package.update(id=package_id, version=package_version)
    for key, value in (("icon_url", opts.icon_url),
                       ("package_source_url", opts.package_source_url)):
        if value:
            package[key] = value
        else:
            rule = "cpmr0033" if key == "icon_url" else "cpmr0040"
            notes.append(f"{key}: not known to choconsis new (check warns, {rule}); "
                         f"--{key.replace('_', '-')} URL sets it")
    text = recipe_text(
        command_line=command_line, package=package,
        python=python, requirement=f"{shown}=={release.version}", index_url=opts.index_url,
        check_command=check_command(wheel.name, wheel.commands),
        check_expect=check_expect(wheel.metadata.get("Version"), str(release.version)))
    try:
        recipe = loads_recipe_at(text, recipe_path)
    except RecipeError as err:  # pragma: no cover - every value was checked on the way in
        raise BuildError(f"choconsis new wrote a recipe it cannot load: {err}") from None

    from ..lock.resolve import resolve_lock
    from ..lock.scripts import wheel_source

    lock_path = recipe.lock_path
    assert lock_path is not None  # loaded as a file's text
    lock = resolve_lock(recipe, wheel_source=wheel_source(store))
    _write_both(recipe_path, text, lock_path, format_lock_file(lock_path, lock, recipe.name))
    old = old_lock_of(recipe)
    if old is not None:  # --force over a recipe whose lock was in the old format
        old.unlink(missing_ok=True)
    return NewRecipe(recipe_path, lock_path, notes)


def _write_both(recipe_path: Path, text: str, lock_path: Path, lock_text: str) -> None:
    """The lock, then the recipe; a failure between them takes the new lock back out."""
    old_lock = lock_path.read_bytes() if lock_path.is_file() else None  # --force
    try:
        write_pair(lock_path, lock_text, recipe_path, text, old_lock)
    except OSError as err:
        raise BuildError(f"{recipe_path}: cannot write the recipe and its lock: "
                         f"{err.strerror or err}") from None
