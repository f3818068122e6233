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

import os
import shutil
import tempfile
from pathlib import Path

from ...errors import BuildError
from ...lock.lockfile import format_lock
from ...payload import Payload
from ...plan import (DISTS_FILE, LOCK_FILE, STEPS_FILE, Delivery, InstallPlan, engine_json)
from ..templating import template_dir
from .script import render_script
from .steps import PAYLOAD, PREINSTALL_TREE, RUNTIME_TREE, TEMPLATE_PACKAGE
from .values import WHEELS_DIR

INCLUDES = ("choconsis.nsh", "download.nsh")
ENGINE_PACKAGE = "choconsis.engine"  # the engine's files (InstallPlan.target_files)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _link_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=lambda s, d: _link_or_copy(Path(s), Path(d)))


def stage_payload(plan: InstallPlan, payload: Payload, dest: Path) -> None:
    """Link every file setup.exe embeds under dest/payload."""
    root = dest / PAYLOAD
    if payload.runtime is not None:
        _link_tree(payload.runtime.root, root / RUNTIME_TREE)
    if not payload.delivery.embeds:
        return
    for artifact in plan.artifacts:
        if not (plan.zip_runtime and artifact == plan.runtime_step.artifact):
            _link_or_copy(payload.artifact(artifact.filename), root / artifact.filename)
    if payload.delivery is Delivery.PREINSTALLED and payload.preinstalled is not None:
        _link_tree(payload.preinstalled.tree, root / PREINSTALL_TREE)
        (dest / DISTS_FILE).write_text(payload.preinstalled.dists_text, encoding="utf-8",
                                       newline="\n")
    else:
        for wheel in plan.lock.wheels:
            _link_or_copy(payload.wheels[wheel.filename], root / WHEELS_DIR / wheel.filename)


def render(plan: InstallPlan, payload: Payload, dest: Path) -> Path:
    """Write the self-contained NSIS folder at dest; return dest/installer.nsi.

    Everything is written in a temporary sibling folder and renamed into place, so a failure
    leaves dest as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp made it private; the rendered folder is an ordinary one
    try:
        stage_payload(plan, payload, tmp)
        (tmp / "installer.nsi").write_text(render_script(plan, payload), encoding="utf-8",
                                           newline="\n")
        (tmp / LOCK_FILE).write_text(format_lock(plan.lock, plan.recipe_name), encoding="utf-8",
                                     newline="\n")
        copies = [(template_dir(TEMPLATE_PACKAGE), name) for name in INCLUDES]
        copies += [(template_dir(ENGINE_PACKAGE), name) for name in plan.target_files]
        for source, name in copies:
            if not (source / name).is_file():
                raise BuildError(f"the package folder {source} lacks {name}")
            shutil.copyfile(source / name, tmp / name)
        if plan.target_files:
            (tmp / STEPS_FILE).write_text(engine_json(plan), encoding="utf-8", newline="\n")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.replace(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest / "installer.nsi"
