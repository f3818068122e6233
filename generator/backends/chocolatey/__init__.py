"""The Chocolatey back end: render the nuspec and the install/uninstall scripts, pack a .nupkg.

Rendering walks the plan's steps in order and picks one template macro per kind of step
(``nuspec/steps.ps1.j2``), pynsist style: this module decides *what* each step does and
escapes every value (the template environment applies ``ps_string``/``xml_text`` to every
expression; install-time values are rendered with ``ps_templated``); the templates hold the
layout. The uninstall script runs the undo side of each step in ``plan.undo_order()``.

Each install step records what it did (the install folder, an MSI's product code, the PATH
entries actually added) in a JSON state file in the package folder, under a key naming what the
step installs (:func:`state_keys`), so the uninstall undoes exactly that: a runtime or MSI that
was installed before the package is not recorded, and on an upgrade the replaced version's
records are carried over.

An offline (``--offline``) render internalizes the package (:func:`embed_files`): the
installers go into tools/ and the locked wheels into tools/wheels/, the same step macros
render them from there (checked against their pins again before they run) instead of from a
download, and VERIFICATION.txt and LICENSE.txt go with them.

:func:`pack` writes the .nupkg as ``choco pack`` lays it out (an OPC package) and is
reproducible: sorted entries, fixed timestamps (SOURCE_DATE_EPOCH), names derived from content.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import jinja2
from lxml import etree

from ...payload.store import ArtifactStore
from ...errors import BuildError
from ..escaping import ps_string, ps_templated, xml_text
from ...fileio import atomic_path, write_atomic
from ...lock.lockfile import format_lock
from ...plan import (FILE, INSTALL_DIR, LOCK, WHEELS, Artifact, ChangePath, InstallPlan,
                   InstallRuntime, PipInstall, RunCheck, RunInstaller, Step, Templated)
from ..sbom import EmbeddedFile, embedded_files, license_txt, verification_txt
from ..templating import Code, make_environment
from ...lock.resolve import fetch_wheels

TEMPLATES = "choconsis._nuspec"
NUSPEC_NS = "http://schemas.microsoft.com/packaging/2015/06/nuspec.xsd"
STATE_FILE = "choconsis-install-state.json"
INSTALL_SCRIPT = "chocolateyInstall.ps1"
UNINSTALL_SCRIPT = "chocolateyUninstall.ps1"

# Install-time values of the plan, as variables of the generated scripts.
PS_VARIABLES = {INSTALL_DIR: "$installDir", FILE: "$file", LOCK: "$lockFile",
                WHEELS: "$wheelsDir"}
WHEELS_DIR = "wheels"  # tools/wheels/: the locked wheels of an offline (embedded) package

# Exit codes of msiexec /x that mean "removed" or "nothing left to remove" (1605: unknown
# product, 1614: product uninstalled) besides success and reboot-required.
MSI_UNINSTALL_EXIT_CODES = (0, 1605, 1614, 1641, 3010)


@functools.lru_cache(maxsize=None)
def _environment(escape: Callable[[str], str]) -> jinja2.Environment:
    """One template environment per escaping: compiled templates are reused across renders."""
    return make_environment(TEMPLATES, escape)


def lock_file_name(plan: InstallPlan) -> str:
    """Name of the lock (a pip requirements file with hashes) inside tools/."""
    return f"{plan.recipe_name or 'requirements'}.lock"


def nuspec_name(plan: InstallPlan) -> str:
    return f"{plan.package.id}.nuspec"


def _ps(value: Templated) -> Code:
    return Code(ps_templated(value, PS_VARIABLES))


def _ps_array(codes: tuple[int, ...]) -> Code:
    return Code("@(" + ", ".join(str(int(c)) for c in codes) + ")")


@dataclass(frozen=True)
class Download:
    """The helper parameters of one checked download, for the plan's architecture."""

    url_key: str
    checksum_key: str
    checksum_type_key: str
    url: str
    sha256: str
    filename: str
    file_key: str = "file"  # Install-ChocolateyInstallPackage's parameter for $file
    embedded = False

    @classmethod
    def for_arch(cls, arch: str, artifact: Artifact) -> "Download":
        # A 64-bit-only artifact goes in the *64bit parameters: Chocolatey then refuses to
        # install it on a 32-bit Windows instead of running a binary that cannot work.
        if arch == "amd64":
            return cls("url64bit", "checksum64", "checksumType64", artifact.url,
                       artifact.sha256, artifact.filename)
        return cls("url", "checksum", "checksumType", artifact.url, artifact.sha256,
                   artifact.filename)


@dataclass(frozen=True)
class Embedded:
    """An artifact shipped in tools/ of an offline package, for the plan's architecture.

    ``file_key`` is Install-ChocolateyInstallPackage's parameter (File64 for a 64-bit-only
    artifact, for the same reason as :class:`Download`); ``unzip_key`` Get-ChocolateyUnzip's.
    """

    file_key: str
    unzip_key: str
    filename: str
    sha256: str
    embedded = True

    @classmethod
    def for_arch(cls, arch: str, artifact: Artifact) -> "Embedded":
        if arch == "amd64":
            return cls("file64", "fileFullPath64", artifact.filename, artifact.sha256)
        return cls("file", "fileFullPath", artifact.filename, artifact.sha256)


Source = Download | Embedded


# ---------------------------------------------------------------------------- scripts


class ScriptRenderer:
    """Renders each plan step through the macro of its kind, install side and undo side."""

    def __init__(self, plan: InstallPlan, offline: bool = False):
        self.plan = plan
        self.offline = offline
        self.env = _environment(ps_string)
        self.macros = self.env.get_template("steps.ps1.j2").make_module()
        self.labels = {id(step): f"step{i}" for i, step in enumerate(plan.steps)}
        self.keys = state_keys(plan)

    def _macro(self, name: str, step: Step, **values: Any) -> Code:
        macro = getattr(self.macros, name)
        return Code(str(macro(label=self.labels[id(step)], key=self.keys[id(step)], **values)))

    def _dispatch(self, prefix: str, step: Step) -> Code | None:
        method: Callable[[Any], Code | None] | None = getattr(
            self, f"{prefix}_{type(step).__name__}", None)
        if method is None:
            raise BuildError(
                f"chocolatey back end: no {prefix} side for step {type(step).__name__}")
        return method(step)

    def install_blocks(self) -> list[Code]:
        blocks = (self._dispatch("install", s) for s in self.plan.steps)
        return [b for b in blocks if b]

    def uninstall_blocks(self) -> list[Code]:
        blocks = (self._dispatch("undo", s) for s in self.plan.undo_order())
        return [b for b in blocks if b]

    def _source(self, step: InstallRuntime | RunInstaller) -> Source:
        """Where the step's installer comes from: downloaded (web) or tools/ (offline)."""
        kind = Embedded if self.offline else Download
        return kind.for_arch(self.plan.runtime.arch, step.artifact)

    # -- install side, one method per step type

    def install_InstallRuntime(self, step: InstallRuntime) -> Code:
        source = self._source(step)
        if step.kind == "zip":
            return self._macro("install_runtime_zip", step, title=step.title, source=source)
        if step.kind == "msi":
            return self._msi(step)
        return self._macro("install_runtime_exe", step, title=step.title,
                           display_name=python_display_name(step), source=source,
                           silent_args=_ps(step.silent_command),
                           exit_codes=_ps_array(step.valid_exit_codes))

    def install_RunInstaller(self, step: RunInstaller) -> Code:
        if step.kind == "msi":
            return self._msi(step)
        return self._macro("install_exe", step, title=step.title,
                           source=self._source(step),
                           silent_args=_ps(step.silent_command),
                           exit_codes=_ps_array(step.valid_exit_codes))

    def _msi(self, step: InstallRuntime | RunInstaller) -> Code:
        return self._macro("install_msi", step, title=step.title,
                           source=self._source(step),
                           silent_args=_ps(step.silent_command),
                           exit_codes=_ps_array(step.valid_exit_codes))

    def install_ChangePath(self, step: ChangePath) -> Code:
        entries = Code(", ".join(_ps(e) for e in step.entries))
        return self._macro("install_path", step, title=step.title,
                           scope=_path_type(step.scope), entries=entries)

    def install_PipInstall(self, step: PipInstall) -> Code:
        program, *arguments = step.install_args(offline=self.offline)
        return self._macro("install_pip", step, title=step.title,
                           program=_ps(program), arguments=[_ps(a) for a in arguments])

    def install_RunCheck(self, step: RunCheck) -> Code:
        program, *arguments = step.cmd_args
        return self._macro("install_check", step, title=step.title,
                           program=_ps(program), arguments=[_ps(a) for a in arguments])

    # -- undo side, one method per step type

    def undo_InstallRuntime(self, step: InstallRuntime) -> Code:
        if step.kind == "zip":
            return self._macro("undo_runtime_zip", step, title=step.title)
        program, *arguments = step.bytecode_cleanup_args or ()
        cleanup = self._macro("undo_bytecode", step, program=_ps(program),
                              arguments=[_ps(a) for a in arguments])
        if step.kind == "msi":
            undo = self._macro("undo_msi", step, title=step.title,
                               exit_codes=_ps_array(MSI_UNINSTALL_EXIT_CODES))
        else:
            undo = self._macro("undo_runtime_exe", step, title=step.title,
                               display_name=python_display_name(step),
                               exit_codes=_ps_array(step.valid_exit_codes))
        return Code(cleanup + "\n" + undo)

    def undo_RunInstaller(self, step: RunInstaller) -> Code:
        if step.kind == "msi":
            return self._macro("undo_msi", step, title=step.title,
                               exit_codes=_ps_array(MSI_UNINSTALL_EXIT_CODES))
        return self._macro("undo_exe", step, title=step.title)

    def undo_ChangePath(self, step: ChangePath) -> Code:
        return self._macro("undo_path", step, scope=_path_type(step.scope))

    def undo_PipInstall(self, step: PipInstall) -> Code:
        program, *arguments = step.uninstall_args
        return self._macro("undo_pip", step, title=step.title,
                           program=_ps(program), arguments=[_ps(a) for a in arguments])

    def undo_RunCheck(self, step: RunCheck) -> None:
        return None  # a check changes nothing


def state_keys(plan: InstallPlan) -> dict[int, str]:
    """The state-file key of each step (by id), stable across package versions.

    An upgrade carries the replaced version's records over (see the install template), so a
    key names what a step installs, not where the step sits in the plan. Keys are unique: a
    plan has one step of each kind but extra installers, whose file names the recipe keeps
    distinct.
    """
    keys: dict[int, str] = {}
    for step in plan.steps:
        if isinstance(step, InstallRuntime):
            key = "runtime"
        elif isinstance(step, RunInstaller):
            key = f"installer:{step.artifact.filename}"
        elif isinstance(step, ChangePath):
            key = "path"
        elif isinstance(step, PipInstall):
            key = "pip"
        else:
            key = type(step).__name__.lower()
        keys[id(step)] = key
    return keys


def _path_type(scope: str) -> str:
    return "Machine" if scope == "machine" else "User"


def python_display_name(step: InstallRuntime) -> str:
    """The Add/Remove Programs name the python.org EXE registers its bundle under."""
    bits = "64-bit" if step.arch == "amd64" else "32-bit"
    return f"Python {step.version} ({bits})"


def _script_context(plan: InstallPlan, offline: bool = False) -> dict[str, Any]:
    pkg = plan.package
    return {
        "wheels_dir": WHEELS_DIR if offline else None,
        "package_id": pkg.id,
        "title": pkg.title,
        "state_file": STATE_FILE,
        "lock_file": lock_file_name(plan),
        "download_dir": f"chocolatey-{pkg.id}-{pkg.version}",
        "install_dir": plan.install_dir,
    }


def render_install(plan: InstallPlan, offline: bool = False) -> str:
    renderer = ScriptRenderer(plan, offline)
    template = renderer.env.get_template(INSTALL_SCRIPT + ".j2")
    return template.render(steps=renderer.install_blocks(), **_script_context(plan, offline))


def render_uninstall(plan: InstallPlan) -> str:
    renderer = ScriptRenderer(plan)
    template = renderer.env.get_template(UNINSTALL_SCRIPT + ".j2")
    return template.render(steps=renderer.uninstall_blocks(), **_script_context(plan))


# ---------------------------------------------------------------------------- nuspec


def nuspec_metadata(plan: InstallPlan) -> list[tuple[str, str]]:
    """The nuspec's metadata elements in order; empty optional ones are left out."""
    pkg = plan.package
    items = [
        ("id", pkg.id),
        ("version", pkg.version),
        ("packageSourceUrl", pkg.package_source_url),
        # choconsis recipes have no separate maintainer: the authors maintain the package.
        ("owners", pkg.authors),
        ("title", pkg.title),
        ("authors", pkg.authors),
        ("projectUrl", pkg.project_url),
        ("iconUrl", pkg.icon_url),
        ("copyright", pkg.copyright),
        ("licenseUrl", pkg.license_url),
        ("requireLicenseAcceptance", "false"),
        ("docsUrl", pkg.docs_url),
        ("bugTrackerUrl", pkg.bug_tracker_url),
        ("tags", " ".join(pkg.tags)),
        ("summary", pkg.summary),
        ("description", pkg.description),
        ("releaseNotes", pkg.release_notes),
    ]
    return [(name, value) for name, value in items if value]


def render_nuspec(plan: InstallPlan) -> str:
    env = _environment(xml_text)
    return env.get_template("package.nuspec.j2").render(metadata=nuspec_metadata(plan))


def _ps1_bytes(text: str) -> bytes:
    # UTF-8 *with* a byte order mark: Windows PowerShell 5.1 reads a BOM-less script in the
    # ANSI code page, which would garble any non-ASCII value of the recipe.
    return b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def render(plan: InstallPlan, dest: Path, *, offline: bool = False,
           store: ArtifactStore | None = None) -> None:
    """Write dest/<id>.nuspec and dest/tools/ (install and uninstall scripts, the lock).

    ``offline``: an internalized package, as organisations without internet use Chocolatey:
    every installer (from ``store``, sha256-verified) goes into tools/, every locked wheel
    into tools/wheels/, with the VERIFICATION.txt and LICENSE.txt the moderation rules ask
    for (cpmr0006, cpmr0005); the install script downloads nothing.
    """
    tools = dest / "tools"
    if offline:
        if store is None:
            raise BuildError(f"Chocolatey package {plan.package.id}: an offline (embedded) "
                             "package needs an artifact store to take its files from")
        embed_files(plan, tools, store)
    write_atomic(dest / nuspec_name(plan), render_nuspec(plan).encode("utf-8"))
    write_atomic(tools / INSTALL_SCRIPT, _ps1_bytes(render_install(plan, offline)))
    write_atomic(tools / UNINSTALL_SCRIPT, _ps1_bytes(render_uninstall(plan)))
    write_atomic(tools / lock_file_name(plan),
                        format_lock(plan.lock, plan.recipe_name).encode("utf-8"))


def _copy(src: Path, dst: Path) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def embed_files(plan: InstallPlan, tools: Path, store: ArtifactStore) -> None:
    """Copy the plan's artifacts into tools/ and its wheels into tools/wheels/, with the
    VERIFICATION.txt and LICENSE.txt that go with embedded binaries."""
    tools.mkdir(parents=True, exist_ok=True)
    for artifact in plan.artifacts:
        _copy(store.fetch(artifact), tools / artifact.filename)
        if artifact.filename.lower().endswith(".exe"):
            # A shim director: Chocolatey puts every .exe of a package on PATH (a "shim")
            # unless an empty NAME.exe.ignore sits beside it; an installer is no command.
            write_atomic(tools / (artifact.filename + ".ignore"), b"")
    for wheel, path in zip(plan.lock.wheels, fetch_wheels(plan.lock, store)):
        _copy(path, tools / WHEELS_DIR / wheel.filename)
    write_atomic(tools / "VERIFICATION.txt",
                 _txt_bytes(verification_txt(plan, _verification_files(plan))))
    write_atomic(tools / "LICENSE.txt", _txt_bytes(license_txt(plan)))


def _verification_files(plan: InstallPlan) -> list[EmbeddedFile]:
    """The embedded files as VERIFICATION.txt lists them, wheels under their wheels\\ folder."""
    artifacts = embedded_files(plan)
    wheels = embedded_files(plan, wheels=True)[len(artifacts):]
    return artifacts + [dataclasses.replace(f, filename=f"{WHEELS_DIR}\\{f.filename}")
                        for f in wheels]


def _txt_bytes(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


# ---------------------------------------------------------------------------- pack (OPC)

CONTENT_TYPES_PART = "[Content_Types].xml"
RELS_PART = "_rels/.rels"
CORE_PROPERTIES_DIR = "package/services/metadata/core-properties"
REL_MANIFEST = "http://schemas.microsoft.com/packaging/2010/07/manifest"
REL_CORE_PROPERTIES = ("http://schemas.openxmlformats.org/package/2006/relationships/"
                       "metadata/core-properties")
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CT_CORE_PROPERTIES = "application/vnd.openxmlformats-package.core-properties+xml"
CT_DEFAULT = "application/octet"  # what NuGet writes for every other part
DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold
_PART_SAFE = "/!$&'()*+,;=:@-._~"


def part_name(relative: str) -> str:
    """A zip entry name as an OPC part name: '/'-separated, percent-encoded outside the safe set."""
    return quote(relative, safe=_PART_SAFE)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    try:
        epoch = int(raw) if raw else DEFAULT_EPOCH
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH must be an integer, got {raw!r}") from None
    epoch = min(max(epoch, DEFAULT_EPOCH), 4354819199)  # zip times span 1980..2107
    return time.gmtime(epoch)[:6]  # type: ignore[return-value]


def _read_nuspec(src: Path) -> tuple[Path, dict[str, str]]:
    nuspecs = sorted(src.glob("*.nuspec"))
    if len(nuspecs) != 1:
        raise BuildError(f"{src}: expected exactly one .nuspec, found {len(nuspecs)}")
    try:
        root = etree.parse(str(nuspecs[0]), etree.XMLParser(resolve_entities=False)).getroot()
    except etree.XMLSyntaxError as err:
        raise BuildError(f"{nuspecs[0]}: not well-formed XML: {err}") from None
    meta = root.find(f"{{{NUSPEC_NS}}}metadata")
    if meta is None:
        raise BuildError(f"{nuspecs[0]}: no <metadata> in namespace {NUSPEC_NS}")
    values = {etree.QName(el).localname: (el.text or "") for el in meta
              if isinstance(el.tag, str)}
    for required in ("id", "version", "authors", "description"):
        if not values.get(required):
            raise BuildError(f"{nuspecs[0]}: <{required}> is missing or empty")
    return nuspecs[0], values


def _payload(src: Path, nuspec: Path) -> dict[str, bytes]:
    """The package's own files: the nuspec at the root and everything under tools/."""
    files = {nuspec.name: nuspec.read_bytes()}
    tools = src / "tools"
    if not tools.is_dir():
        raise BuildError(f"{src}: no tools/ folder to pack")
    for path in sorted(tools.rglob("*")):
        if path.is_file():
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    return files


def _content_types(names: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    defaults = {"rels": CT_RELS, "psmdcp": CT_CORE_PROPERTIES}
    overrides = []
    for name in names:
        last = name.rsplit("/", 1)[-1]
        ext = last.rsplit(".", 1)[-1].lower() if "." in last.strip(".") else ""
        if ext:
            defaults.setdefault(ext, CT_DEFAULT)
        else:
            overrides.append(("/" + part_name(name), CT_DEFAULT))
    return sorted(defaults.items()), sorted(overrides)


def _opc_parts(src: Path) -> dict[str, bytes]:
    nuspec, meta = _read_nuspec(src)
    files = _payload(src, nuspec)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    token = digest.hexdigest()
    psmdcp = f"{CORE_PROPERTIES_DIR}/{token[:32]}.psmdcp"
    env = _environment(xml_text)
    parts = {part_name(name): data for name, data in files.items()}
    parts[psmdcp] = env.get_template("core-properties.psmdcp.j2").render(
        creator=meta["authors"], description=meta["description"], identifier=meta["id"],
        version=meta["version"], title=meta.get("title", ""), keywords=meta.get("tags", ""),
        last_modified_by="choconsis").encode("utf-8")
    relationships = [
        {"type": REL_MANIFEST, "target": "/" + part_name(nuspec.name), "id": "R" + token[32:48]},
        {"type": REL_CORE_PROPERTIES, "target": "/" + psmdcp, "id": "R" + token[48:64]},
    ]
    parts[RELS_PART] = env.get_template("rels.xml.j2").render(
        relationships=relationships).encode("utf-8")
    defaults, overrides = _content_types(sorted(parts))
    parts[CONTENT_TYPES_PART] = env.get_template("content_types.xml.j2").render(
        defaults=defaults, overrides=overrides).encode("utf-8")
    return parts


def pack(src: Path, nupkg: Path) -> Path:
    """Pack a rendered folder (nuspec + tools/) into a reproducible .nupkg at ``nupkg``."""
    parts = _opc_parts(src)
    stamp = _zip_time()
    with atomic_path(nupkg) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(parts):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 0  # MS-DOS: no host-specific permission bits
                info.external_attr = 0
                zf.writestr(info, parts[name], compresslevel=9)
    return nupkg
