"""The rendered NSIS folder, self-contained: ``makensis installer.nsi`` inside it builds the
same setup.exe by hand.

Layout::

    installer.nsi          the script
    choconsis.nsh          logging, records, probes, process PATH (static NSIS helpers)
    download.nsh           verified download, SHA-256 and MSI ProductCode (System plugin)
    choconsis_engine.py    the target-side engine (and its modules, from choconsis.engine):
                           the steps that run in the runtime's python, in one start
    choconsis-steps.json   the engine's steps description (choconsis.plan.engine)
    preinstalled-dists.txt --preinstall: the dist-info folders the engine's launchers read
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
from ...plan import DISTS_FILE, LOCK_FILE, STEPS_FILE, Delivery, InstallPlan, engine_json
from ..base import Rendered, write_rendered
from .script import render_script
from .steps import PAYLOAD, PREINSTALL_TREE, RUNTIME_TREE, TEMPLATE_PACKAGE
from .values import WHEELS_DIR

INCLUDES = ("choconsis.nsh", "download.nsh")
SCRIPT = "installer.nsi"
ENGINE_PACKAGE = "choconsis.engine"  # the engine's files (InstallPlan.target_files)


def stage_payload(plan: InstallPlan, payload: Payload, out: Rendered) -> None:
    """Every file setup.exe embeds, under payload/ (linked from the payload stage)."""
    if payload.runtime is not None and plan.embedded_runtime:
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
    copies = [(template_dir(TEMPLATE_PACKAGE), name) for name in INCLUDES]
    copies += [(template_dir(ENGINE_PACKAGE), name) for name in plan.target_files]
    for source, name in copies:
        if not (source / name).is_file():
            raise BuildError(f"the package folder {source} lacks {name}")
        out.add(name, source / name)
    if plan.target_files:
        out.add(STEPS_FILE, engine_json(plan))
    return out


def render(plan: InstallPlan, payload: Payload, dest: Path) -> Path:
    """Write the self-contained NSIS folder at dest (all or nothing); return
    dest/installer.nsi."""
    return write_rendered(nsis_files(plan, payload), dest) / SCRIPT
