"""The rendered NSIS folder, self-contained: ``makensis installer.nsi`` inside it builds the
same setup.exe by hand.

Layout::

    installer.nsi          the script
    choconsis.nsh          logging, records, probes, process PATH (static NSIS helpers)
    download.nsh           verified download, SHA-256 and MSI ProductCode (System plugin)
    choconsis_path.py      the PATH editor run by the installed python.exe (a path step)
    make_launchers.py      --preinstall: writes the console-script launchers at install time
    preinstalled-dists.txt --preinstall: the dist-info folders make_launchers.py reads
    requirements.lock      the lock (a pip requirements file with hashes)
    payload/               embedded files, linked from the payload stage: installers and
                           wheels/ (offline), runtime/ (a zip runtime, in both modes),
                           preinstall/ (--preinstall)
"""

from __future__ import annotations

from pathlib import Path

from ...datafiles import template_dir
from ...errors import BuildError
from ...lock.lockfile import format_lock
from ...payload import Payload
from ...plan import DISTS_FILE, LOCK_FILE, Delivery, InstallPlan
from ..base import Rendered, write_rendered
from .script import helper_scripts, render_script
from .steps import PAYLOAD, PREINSTALL_TREE, RUNTIME_TREE, TEMPLATE_PACKAGE
from .values import WHEELS_DIR

INCLUDES = ("choconsis.nsh", "download.nsh")
SCRIPT = "installer.nsi"


def stage_payload(plan: InstallPlan, payload: Payload, out: Rendered) -> None:
    """Every file setup.exe embeds, under payload/ (linked from the payload stage)."""
    if payload.runtime is not None:
        out.add_tree(f"{PAYLOAD}/{RUNTIME_TREE}", payload.runtime.root)
    if not payload.delivery.embeds:
        return
    for artifact in plan.artifacts:
        if not (plan.zip_runtime and artifact == plan.runtime_step.artifact):
            out.add(f"{PAYLOAD}/{artifact.filename}", payload.artifact(artifact.filename))
    if payload.delivery is Delivery.PREINSTALLED and payload.preinstalled is not None:
        out.add_tree(f"{PAYLOAD}/{PREINSTALL_TREE}", payload.preinstalled.tree)
        out.add(DISTS_FILE, payload.preinstalled.dists_text)
    else:
        for wheel in plan.lock.wheels:
            out.add(f"{PAYLOAD}/{WHEELS_DIR}/{wheel.filename}", payload.wheels[wheel.filename])


def nsis_files(plan: InstallPlan, payload: Payload) -> Rendered:
    """The self-contained NSIS folder, rendered in memory (see the module's layout)."""
    out = Rendered()
    stage_payload(plan, payload, out)
    out.add(SCRIPT, render_script(plan, payload))
    out.add(LOCK_FILE, format_lock(plan.lock, plan.recipe_name))
    source = template_dir(TEMPLATE_PACKAGE)
    for name in (*INCLUDES, *helper_scripts(plan, payload)):
        if not (source / name).is_file():
            raise BuildError(f"the NSIS template folder {source} lacks {name}")
        out.add(name, source / name)
    return out


def render(plan: InstallPlan, payload: Payload, dest: Path) -> Path:
    """Write the self-contained NSIS folder at dest (all or nothing); return
    dest/installer.nsi."""
    return write_rendered(nsis_files(plan, payload), dest) / SCRIPT
