"""Fixtures of the Wine end-to-end tests (imported by tests/conftest.py).

Everything here is real: the WinPython CPython build, MSIs made with wixl, the pyOpenSSL 0.13
MSI from PyPI, wheels from PyPI, installers made by ``choconsis.build.build``. Products that are
slow to make (runtime zip/MSI, locks, wheels, the clean Wine prefix) live in the persistent
test cache (tests/kit/wine/artifacts.py) so that a rerun starts in seconds.

Fixtures that need wine skip when it is not installed, so importing this module is harmless
for the fast suite.
"""

from __future__ import annotations

import dataclasses
import html
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from choconsis.smoke.registry import ENV_KEY, USER_ENV_KEY
from kit.wine import artifacts as wa

if TYPE_CHECKING:
    from choconsis.smoke.wine import WinePrefix

OPENSTACK_REQ = f"python-openstackclient=={wa.OPENSTACK_VERSION}"
SMALL_REQ = "six==1.17.0"  # one small pure wheel: installers whose pip step must be quick
PYPI = "https://pypi.org/simple"
OFFLINE_BASE = "https://choconsis.invalid/artifacts/"  # never fetched: --artifacts has the files


# ---------------------------------------------------------------------------- session fixtures


def pypi_reachable(timeout: float = 10.0) -> bool:
    import requests

    try:
        return requests.head("https://pypi.org/simple/", timeout=timeout).status_code < 500
    except requests.RequestException:
        return False


def needs_pypi(make, what: str):
    """Run make(); if it fails while PyPI cannot be reached, skip (first run on a cold cache)."""
    try:
        return make()
    except Exception as err:
        if not pypi_reachable():
            pytest.skip(f"{what} must be fetched from PyPI once, and PyPI is not reachable: "
                        f"{type(err).__name__}: {err}")
        raise


@pytest.fixture(scope="session")
def wine_tools():
    from choconsis.errors import ToolMissingError
    from choconsis.smoke.wine import find_wine

    try:
        tools = find_wine()
    except ToolMissingError as err:
        pytest.skip(str(err))
    for tool, package in (("wixl", "wixl"), ("makensis", "nsis")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")
    return tools


@pytest.fixture(scope="session")
def test_cache() -> Path:
    return wa.cache_dir()


@pytest.fixture(scope="session")
def wine_template(wine_tools, test_cache):
    """The clean prefix, made once per cache (6-13 s) and copied per test (1-3 s)."""
    from choconsis.smoke.prefixes import template_prefix

    return template_prefix(test_cache / "wine", wine_tools)


@pytest.fixture
def wine_prefix(wine_template, tmp_path):
    """A fresh copy of the clean prefix; its processes are ended after the test."""
    prefix = wine_template.copy_to(tmp_path / "prefix")
    yield prefix
    prefix.kill()
    shutil.rmtree(prefix.path, ignore_errors=True)  # ~700 MB each; pytest keeps old tmp dirs


@pytest.fixture(scope="session")
def components(test_cache, wine_tools) -> "Components":
    return Components(test_cache)


@dataclass
class Components:
    """The real files the installers chain, made on first use."""

    cache: Path
    _made: dict[str, Path] = field(default_factory=dict)

    def _get(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = needs_pypi(lambda: getattr(wa, name)(self.cache), name)
        return self._made[name]

    @property
    def runtime_zip(self) -> Path:
        return self._get("runtime_zip")

    @property
    def runtime_msi(self) -> Path:
        return self._get("runtime_msi")

    @property
    def runtime_msi_x86(self) -> Path:
        return self._get("runtime_msi_x86")

    @property
    def failing_msi(self) -> Path:
        return self._get("failing_msi")

    @property
    def marker_msi(self) -> Path:
        return self._get("marker_msi")

    @property
    def reboot_exe(self) -> Path:
        return self._get("reboot_exe")

    @property
    def pyopenssl_msi(self) -> Path:
        return self._get("pyopenssl_msi")


@pytest.fixture(scope="session")
def locks(test_cache, wine_tools) -> "Locks":
    return Locks(test_cache / "locks")


class Locks:
    """Locks for cp312 win_amd64 resolved from PyPI with choconsis.lock, cached by requirement."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[str, Any] = {}

    def get(self, requirement: str):
        from choconsis.lock.files import read_lock_file as read_lock

        if requirement in self._cache:
            return self._cache[requirement]
        stem = f"{requirement.replace('==', '-')}-{_lock_code_key()}"
        lock_path = self.folder / f"pylock.{stem}.toml"  # as lock_recipe names it
        if not lock_path.is_file():
            from choconsis.recipe import load_recipe
            from choconsis.lock.resolve import lock_recipe

            recipe_path = self.folder / f"{stem}.toml"
            # locked as for uv: the lock then also pins PyPI's uv wheel, for the tests that
            # install with uv (the others install the same lock with the runtime's pip)
            write_recipe(recipe_path, RecipeSpec(requirement=requirement, installer="uv"),
                         lock=None)
            needs_pypi(lambda: lock_recipe(load_recipe(recipe_path)), f"lock of {requirement}")
        lock = read_lock(lock_path)
        self._cache[requirement] = lock
        return lock


def _lock_code_key() -> str:
    """A short hash of the code that writes and reads locks: a new lock format, a new lock."""
    import hashlib

    import choconsis

    package = Path(choconsis.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("lock/*.py"), *package.glob("recipe/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def wheel_store(test_cache, wine_tools):
    """The artifact cache the builds use (wheels fetched once, sha256-checked)."""
    from choconsis.store import ArtifactStore

    return ArtifactStore(cache_dir=test_cache / "artifacts")


def fetch_lock_wheels(lock, store) -> list[Path]:
    from choconsis.payload.wheels import fetch_wheels

    return needs_pypi(lambda: fetch_wheels(lock, store), "the wheels of the lock")


# ---------------------------------------------------------------------------- recipes


@dataclass
class Extra:
    """An extra [[installer]] of a test recipe."""

    name: str
    kind: str
    file: Path
    args: tuple[str, ...] = ()
    valid_exit_codes: tuple[int, ...] = (0, 3010, 1641)
    url: str = ""  # default: OFFLINE_BASE + file name
    sha256: str = ""  # default: the file's


@dataclass
class RecipeSpec:
    """The few things the test recipes vary; everything else is fixed and valid."""

    package_id: str = "choconsis-e2e"
    version: str = "1.0.0"
    arch: str = "amd64"  # amd64 | x86 (setup.exe's architecture: x86 needs wine32)
    runtime: str = "zip"  # zip | msi
    runtime_file: Path | None = None
    runtime_url: str = ""  # default: OFFLINE_BASE + file name
    runtime_sha256: str = ""
    runtime_args: tuple[str, ...] | None = None
    install_dir: str = "C:\\ChocoPy312"
    installers: tuple[Extra, ...] = ()
    path_scope: str = "machine"
    path_prepend: tuple[str, ...] = ("{install_dir}", "{install_dir}\\Scripts")
    requirement: str = OPENSTACK_REQ
    index_url: str = PYPI
    check: str = "openstack --version"
    # [install]: by default the shape most of these tests were written for (into the runtime,
    # for the machine, the runtime's folders on PATH); tests/test_wine_isolation.py proves
    # the per-app model (venv, per user, only the app's commands on PATH)
    environment: str = "runtime"
    scope: str = "machine"
    commands: tuple[str, ...] | None = ()
    installer: str = "pip"  # [pip] installer: what installs the lock at install time


def recipe_data(spec: RecipeSpec) -> dict[str, Any]:
    rt_file = spec.runtime_file
    rt_name = rt_file.name if rt_file else f"winpython-cp312.{spec.runtime}"
    python: dict[str, Any] = {
        "version": wa.RUNTIME_VERSION,
        "arch": spec.arch,
        "installer": spec.runtime,
        "url": spec.runtime_url or OFFLINE_BASE + rt_name,
        "sha256": spec.runtime_sha256 or (wa.sha256_of(rt_file) if rt_file else "0" * 64),
        "install_dir": spec.install_dir,
    }
    if spec.runtime_args is not None:
        python["args"] = list(spec.runtime_args)
    data: dict[str, Any] = {
        "package": {
            "id": spec.package_id, "version": spec.version,
            "title": f"choconsis end-to-end test ({spec.package_id})",
            "authors": "choconsis tests", "summary": "A test package for the Wine suite.",
            "description": "Built by tests/test_wine_e2e.py.",
            "project_url": "https://example.org/choconsis-tests",
            "license_url": "https://example.org/choconsis-tests/license",
        },
        "python": python,
        "pip": {"requirements": [spec.requirement], "index_url": spec.index_url,
                "installer": spec.installer},
        "check": {"command": spec.check},
    }
    if spec.installers:
        data["installer"] = [{
            "name": e.name, "kind": e.kind, "url": e.url or OFFLINE_BASE + e.file.name,
            "sha256": e.sha256 or wa.sha256_of(e.file), "args": list(e.args),
            "valid_exit_codes": list(e.valid_exit_codes),
        } for e in spec.installers]
    if spec.path_prepend:
        data["path"] = {"prepend": list(spec.path_prepend), "scope": spec.path_scope}
    data["install"] = {"environment": spec.environment, "scope": spec.scope}
    if spec.commands is not None:
        data["install"]["commands"] = list(spec.commands)
    return data


def write_recipe(path: Path, spec: RecipeSpec, lock) -> Path:
    """Write the recipe TOML (and, given a lock, its lock beside it for the recipe's index)."""
    import tomlkit

    from choconsis.lock.lockfile import write_lock

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(recipe_data(spec)), encoding="utf-8")
    if lock is not None:
        write_lock(path.with_suffix(".lock"),
                   dataclasses.replace(lock, index_url=spec.index_url, source=str(path)),
                   path.stem)
    return path


def artifacts_dir(folder: Path, *files: Path) -> Path:
    """A --artifacts folder holding the given files (hard links where possible)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        dest = folder / f.name
        if not dest.exists():
            try:
                dest.hardlink_to(f)
            except OSError:
                shutil.copyfile(f, dest)
    return folder


def build_installer(recipe: Path, out: Path, *, offline: bool, artifacts: Path | None,
                    cache: Path, reuse: Path | None = None) -> Path:
    """setup.exe through the real build code path (choconsis.build.build).

    With ``reuse`` (a folder), an offline build is kept there under a key made of the recipe,
    its lock, the artifacts it embeds and every source file of choconsis and nsis/: compiling
    the 28 MB runtime with LZMA takes minutes on 2 cores, and an unchanged input gives the same
    installer. Any change to the code or the recipe gives a new key and a fresh build.
    """
    from choconsis.build import BuildOptions, build

    key_dir = None
    if reuse is not None:
        key_dir = reuse / _build_key(recipe, artifacts)
        kept = sorted(key_dir.glob("*-setup.exe")) if key_dir.is_dir() else []
        if kept:
            out.mkdir(parents=True, exist_ok=True)
            target = out / kept[0].name
            shutil.copyfile(kept[0], target)
            return target
    opts = BuildOptions(out_dir=out, offline=offline, artifacts_dir=artifacts, cache_dir=cache,
                        chocolatey=False, nsis=True)
    result = build(recipe, opts)
    assert result.setup_exe is not None and result.setup_exe.is_file()
    if key_dir is not None:
        tmp = key_dir.with_name(key_dir.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        shutil.copyfile(result.setup_exe, tmp / result.setup_exe.name)
        shutil.rmtree(key_dir, ignore_errors=True)
        tmp.rename(key_dir)
        _prune(reuse, keep=KEEP_BUILDS)
    return result.setup_exe


KEEP_BUILDS = 4


def _prune(folder: Path, keep: int) -> None:
    """Keep the newest `keep` reusable builds (each key is one state of the code)."""
    kept = sorted((d for d in folder.iterdir() if d.is_dir() and not d.name.endswith(".part")),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for old in kept[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _build_key(recipe: Path, artifacts: Path | None) -> str:
    import hashlib

    import choconsis
    from choconsis.datafiles import template_dir

    digest = hashlib.sha256()
    package = Path(choconsis.__file__).resolve().parent  # a checkout or an installed wheel
    # smoke/ runs installers, it never takes part in making one
    code = [p for p in package.rglob("*.py") if "smoke" not in p.relative_to(package).parts]
    sources = sorted([*code, *Path(template_dir("choconsis._nsis")).glob("*")])
    pylock = recipe.with_name(f"pylock.{recipe.stem}.toml")
    inputs = [recipe, pylock, recipe.with_suffix(".lock"), *sources]
    if artifacts is not None:
        inputs += sorted(artifacts.iterdir())
    for path in inputs:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


# ---------------------------------------------------------------------------- registry, PATH

_UNINSTALL = r"Software\Microsoft\Windows\CurrentVersion\Uninstall"
# What an install may change and its uninstall must give back (an MSI's as setup.exe's): both
# PATHs, both Add/Remove lists, choconsis' own records.
APP_KEYS = [ENV_KEY, USER_ENV_KEY, f"HKCU\\{_UNINSTALL}", f"HKLM\\{_UNINSTALL}",
            r"HKCU\Software\choconsis", r"HKLM\Software\choconsis"]


def dump(prefix: WinePrefix, keys: list[str]) -> list:
    """Every value under each key (both registry views), as reg.exe prints them.

    Keys that hold no value are left out: a fresh Wine prefix lacks keys every Windows has
    (HKCU's Uninstall key), and removing our own subkey leaves such a parent behind empty.
    """
    answers = prefix.reg_query_many([(k, view, True) for k in keys for view in (64, 32)])
    return [{key: values for key, values in answer.items() if values} or None
            if answer is not None else None for answer in answers]


def run_in_new_cmd(prefix: WinePrefix, command: str) -> tuple[int, str]:
    """A command as a new cmd.exe runs it: with the PATH the registry gives (machine, then
    user), read as Windows would (Wine cuts long inherited values; see smoke.paths)."""
    from choconsis.smoke.paths import check_script, effective_path
    from choconsis.smoke.registry import ENV_KEY, USER_ENV_KEY

    path = effective_path(prefix.reg_value(ENV_KEY, "Path"), prefix.reg_value(USER_ENV_KEY, "Path"))
    script = prefix.drive_c / "windows" / "temp" / "choconsis-iso.cmd"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(check_script(path, command), encoding="ascii", newline="")
    result = prefix.run(["cmd", "/d", "/c", prefix.to_windows(script)], timeout=300)
    prefix.wait()
    script.unlink(missing_ok=True)
    return result.code, result.output


def long_path(length: int) -> str:
    """A machine-like PATH of at least `length` characters with %VAR% references and spaces."""
    entries = ["%SystemRoot%\\system32", "%SystemRoot%", "%SystemRoot%\\System32\\Wbem"]
    i = 0
    while len(";".join(entries)) < length:
        entries.append(f"C:\\Program Files\\Vendor {i:03d}\\Tool Suite\\bin")
        i += 1
    return ";".join(entries)


# ---------------------------------------------------------------------------- a simple index


def serve_simple_index(server, wheels: list[Path], prefix: str = "/simple") -> str:
    """Serve wheels as a PEP 503 simple index on the loopback server; return the index URL."""
    from packaging.utils import canonicalize_name, parse_wheel_filename

    projects: dict[str, list[Path]] = {}
    for wheel in wheels:
        name = canonicalize_name(parse_wheel_filename(wheel.name)[0])
        projects.setdefault(name, []).append(wheel)
    root_links = []
    for name, files in sorted(projects.items()):
        links = []
        for wheel in files:
            url = server.add(f"/wheels/{wheel.name}", wheel.read_bytes())
            links.append(f'<a href="{html.escape(url)}#sha256={wa.sha256_of(wheel)}">'
                         f"{html.escape(wheel.name)}</a><br/>")
        server.add(f"{prefix}/{name}/", _page(name, links), content_type="text/html")
        root_links.append(f'<a href="{html.escape(name)}/">{html.escape(name)}</a><br/>')
    server.add(f"{prefix}/", _page("simple index", root_links), content_type="text/html")
    return server.url(prefix)


def _page(title: str, links: list[str]) -> str:
    return ("<!DOCTYPE html><html><head><meta name=\"pypi:repository-version\" "
            f"content=\"1.0\"><title>{html.escape(title)}</title></head><body>"
            + "\n".join(links) + "</body></html>\n")


@pytest.fixture(scope="session")
def measurements(test_cache) -> Iterator[list[str]]:
    """Lines of measured times; printed and written to <cache>/last-wine-times.txt at the end."""
    lines: list[str] = []
    yield lines
    if lines:
        text = "\n".join(lines) + "\n"
        (test_cache / "last-wine-times.txt").write_text(text, encoding="utf-8")
        print("\nWine end-to-end times:\n" + text)
