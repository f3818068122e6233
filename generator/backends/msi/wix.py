"""product.wxs: the MSI's WiX source, and the folder wixl compiles it in.

Rendered folder (``<out>/<id>/msi/``)::

    product.wxs        the WiX source (msi/product.wxs.j2)
    files/runtime/     the private runtime (the payload's unpacked zip runtime)
    files/state/       the target engine, its steps description, the preinstalled dists list
    files/preinstall/  the app's packages, installed at build time (--preinstall)

Installed: ``<install folder>\\runtime``, ``<install folder>\\choconsis-<id>`` (and its
``preinstall``, which the engine moves into the app's environment). The install folder is
``%LOCALAPPDATA%\\Programs\\<id>`` per user, ``Program Files\\<id>`` per machine, written to
``Software\\choconsis\\<id>`` (HKCU or HKLM: Windows Installer's HKMU) and read back by a
RegistrySearch, so that the uninstall finds it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ...errors import BuildError
from ...payload import Payload
from ...plan import (DISTS_FILE, INSTALL_DIR, SCOPE, STEPS_FILE, USER_PROGRAMS, Delivery, InstallPlan,
                     engine_json, join, state_dir_name, under)
from ...datafiles import template_dir
from ..base import Rendered
from ..nsis.script import estimated_size_kb
from .steps import (CHECK_SCRIPT, TEMPLATE_PACKAGE, MsiSteps, environment, formatted,
                    remove_folders, scope_variants)
from .tree import MsiDir, build_tree

TEMPLATE = "product.wxs.j2"
SOURCE = "product.wxs"
ENGINE_PACKAGE = "choconsis.engine"
PYTHON_FILE = "RuntimePythonW"  # the File id of the runtime's pythonw.exe (custom actions' source)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "msi.choconsis")
RECORD_KEY = "Software\\choconsis\\{id}"


def upgrade_code(package_id: str) -> str:
    """Stable for a recipe id: every version of the app is one product family."""
    return str(uuid.uuid5(NAMESPACE, f"upgrade:{package_id}")).upper()


def product_code(package_id: str, version: str) -> str:
    """One per version (a major upgrade needs a new one), the same in every build of it."""
    return str(uuid.uuid5(NAMESPACE, f"product:{package_id}:{version}")).upper()


def msi_version(version: str) -> str:
    """ProductVersion: major.minor.build (< 256, < 256, < 65536), from the version's release
    numbers; Windows Installer compares only these three for upgrades."""
    head = version.split("+", 1)[0]
    numbers: list[int] = []
    for part in head.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match.group()))
        if match.group() != part:
            break
    numbers = (numbers + [0, 0, 0])[:3]
    if not head[:1].isdigit() or numbers[0] > 255 or numbers[1] > 255 or numbers[2] > 65535:
        raise BuildError(f"MSI of version {version}: an MSI's ProductVersion is major.minor."
                         "build with major and minor below 256 and build below 65536")
    return ".".join(map(str, numbers))


def _check(plan: InstallPlan, payload: Payload) -> None:
    pkg = plan.package.id
    if payload.delivery is not Delivery.PREINSTALLED or payload.preinstalled is None:
        raise BuildError(f"MSI of {pkg}: the MSI installs offline with the packages installed "
                         "at build time: build with --offline --preinstall")
    if payload.runtime is None or not plan.layout.venv:
        raise BuildError(f"MSI of {pkg}: the MSI needs a private runtime (zip or package) and "
                         "[install] environment = \"venv\"")
    if plan.layout.runtime_dir["user"] != under(INSTALL_DIR, "runtime"):
        raise BuildError(f"MSI of {pkg}: the runtime must be the app's own runtime folder")


def msi_sources(plan: InstallPlan, payload: Payload) -> tuple[Rendered, dict[str, Any]]:
    """The rendered folder's files, and the template's folder values."""
    _check(plan, payload)
    out = Rendered()
    assert payload.runtime is not None and payload.preinstalled is not None
    runtime_files: dict[str, str] = {}
    for path in sorted(p for p in payload.runtime.root.rglob("*") if p.is_file()):
        rel = path.relative_to(payload.runtime.root).as_posix()
        out.add(f"files/runtime/{rel}", path)
        runtime_files[rel] = f"files/runtime/{rel}"
    if "pythonw.exe" not in runtime_files:
        raise BuildError(f"MSI of {plan.package.id}: the runtime has no pythonw.exe at its root "
                         "(the MSI's custom actions run it: a program Windows Installer starts "
                         "has no console)")
    state: dict[str, str] = {}
    engine = template_dir(ENGINE_PACKAGE)
    for name in plan.target_files:
        out.add(f"files/state/{name}", engine / name)
        state[name] = f"files/state/{name}"
    out.add(f"files/state/{STEPS_FILE}", engine_json(plan))
    out.add(f"files/state/{CHECK_SCRIPT}", template_dir(TEMPLATE_PACKAGE) / CHECK_SCRIPT)
    state[CHECK_SCRIPT] = f"files/state/{CHECK_SCRIPT}"
    out.add(f"files/state/{DISTS_FILE}", payload.preinstalled.dists_text)
    state.update({n: f"files/state/{n}" for n in (STEPS_FILE, DISTS_FILE)})
    pre: dict[str, str] = {}
    tree = payload.preinstalled.tree
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = path.relative_to(tree).as_posix()
        out.add(f"files/preinstall/{rel}", path)
        pre[rel] = f"files/preinstall/{rel}"
    state_dir = build_tree("STATEDIR", state_dir_name(plan.package.id), state, {})
    preinstall = build_tree("PREINSTALLDIR", "preinstall", pre, {})
    state_dir.children.append(preinstall)
    folders = [build_tree("RUNTIMEDIR", "runtime", runtime_files, {"pythonw.exe": PYTHON_FILE}),
               state_dir]
    return out, {"folders": folders}


def records(plan: InstallPlan) -> list[dict[str, str]]:
    """The components that remember the install folder and scope: under HKCU for a per-user
    install and HKLM for a per-machine one, chosen by the scope (which AppSearch reads back at
    uninstall: Wine 8.0 evaluates component conditions again then, with ALLUSERS=1 even for
    a per-user product). Not one HKMU component: wixl 0.101 writes root 4 for HKMU, and Wine
    removes an HKMU value from HKLM at the uninstall of a per-user install."""
    package_id = plan.package.id
    per_user, per_machine = "user" in plan.scopes, "machine" in plan.scopes
    both = per_user and per_machine
    found = []
    for scope, root, condition, wanted in (("User", "HKCU", 'CHOCOSCOPE<>"machine"', per_user),
                                           ("Machine", "HKLM", 'CHOCOSCOPE="machine"', per_machine)):
        if wanted:
            guid = str(uuid.uuid5(NAMESPACE, f"record:{scope}:{package_id}")).upper()
            found.append({"id": f"InstallDirRecord{scope}", "guid": "{" + guid + "}",
                          "root": root, "condition": condition if both else ""})
    return found


def _context(plan: InstallPlan, payload: Payload, folders: list[MsiDir]) -> dict[str, Any]:
    pkg, win64 = plan.package, plan.machine.is_64bit
    per_user, per_machine = "user" in plan.scopes, "machine" in plan.scopes
    program_files = "ProgramFiles64Folder" if win64 else "ProgramFilesFolder"
    properties = [("ARPNOMODIFY", "1"), ("ARPNOREPAIR", "1"), ("ARPCOMMENTS", pkg.summary),
                  ("ARPURLINFOABOUT", pkg.project_url), ("CHOCOEXPOSE", "path")]
    size = estimated_size_kb(plan, payload)
    if size is not None:
        properties.append(("ARPSIZE", str(size)))
    if per_user:
        properties.append(("ALLUSERS", "2"))
        if plan.scope == "user" or not per_machine:
            properties.append(("MSIINSTALLPERUSER", "1"))
    # per machine only: InstallScope="perMachine" makes wixl write ALLUSERS=1 itself (a second
    # row of it fails the build: "libmsi_query_execute")
    blocks = {}
    for part in ("actions", "sequence"):
        steps = MsiSteps(plan, payload, part, PYTHON_FILE)
        blocks[part] = (steps.blocks("install"), steps.blocks("undo"))
    state = under(INSTALL_DIR, state_dir_name(pkg.id))
    return {
        "pkg": pkg, "win64": win64, "folders": folders, "variants": scope_variants(plan),
        "components": [c for d in folders for c in d.components()],
        "product_code": "{" + product_code(pkg.id, pkg.version) + "}",
        "upgrade_code": "{" + upgrade_code(pkg.id) + "}",
        "version": msi_version(pkg.version), "publisher": plan.release.publisher or pkg.authors,
        "install_scope": "perUser" if per_user else "perMachine",
        "properties": properties,
        "base_folder": "LocalAppDataFolder" if per_user else program_files,
        "programs_folder": per_user,
        "machine_dir": (f"[{program_files}]" + formatted((pkg.id,)) + "\\"
                        if per_user and per_machine else ""),
        "record_key": RECORD_KEY.format(id=pkg.id),
        "records": records(plan),
        "remembered": [("INSTALLDIR", "InstallDir", ""), ("CHOCOSCOPE", "Scope", "user")],
        "search_roots": ["HKLM", "HKCU"] if per_user else ["HKLM"],
        "cmd_exe": "[System64Folder]cmd.exe" if win64 else "[SystemFolder]cmd.exe",
        "state_cleanup": remove_folders([state]),
        "programs_cleanup": formatted(join('/d /s /c "rmdir "', (USER_PROGRAMS,), '""')),
        # rollback, last: the install folder and %LOCALAPPDATA%\Programs when they are empty
        "folders_cleanup": formatted(join(
            '/d /s /c "rmdir "', (INSTALL_DIR,), '"',
            *((' & if not "', (SCOPE,), '"=="machine" rmdir "', (USER_PROGRAMS,), '"')
              if per_user else ()), '"')),
        "install_actions": blocks["actions"][0], "undo_actions": blocks["actions"][1],
        "install_sequence": blocks["sequence"][0], "undo_sequence": blocks["sequence"][1],
    }


def msi_files(plan: InstallPlan, payload: Payload) -> Rendered:
    """The rendered MSI folder (see the module's layout), in memory."""
    out, values = msi_sources(plan, payload)
    text = environment().get_template(TEMPLATE).render(
        **_context(plan, payload, values["folders"]))
    out.add(SOURCE, text)
    return out
