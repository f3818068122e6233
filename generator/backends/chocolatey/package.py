"""The rendered Chocolatey folder: <id>.nuspec and tools/ (scripts, lock, helper scripts and,
for an embedding build, the installers and wheels with VERIFICATION.txt and LICENSE.txt)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from ...fileio import atomic_path, write_atomic
from ...lock.lockfile import format_lock
from ...payload import Payload
from ...plan import DISTS_FILE, LOCK_FILE, STEPS_FILE, Delivery, InstallPlan, engine_json
from ...reproducible import zip_date_time
from ..templating import template_dir
from .nuspec import nuspec_name, render_nuspec
from .scripts import (HELPERS_SCRIPT, INSTALL_SCRIPT, PREINSTALL_ARCHIVE, UNINSTALL_SCRIPT,
                      WHEELS_DIR, render_helpers, render_install, render_uninstall)
from .verification import embedded_files, license_txt, verification_txt

ENGINE_PACKAGE = "choconsis.engine"  # the engine's files (InstallPlan.target_files)


def _ps1_bytes(text: str) -> bytes:
    # UTF-8 *with* a byte order mark: Windows PowerShell 5.1 reads a BOM-less script in the
    # ANSI code page, which would garble any non-ASCII value of the recipe.
    return b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _txt_bytes(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _copy(src: Path, dst: Path) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def render(plan: InstallPlan, payload: Payload, dest: Path) -> None:
    """Write dest/<id>.nuspec and dest/tools/ (install and uninstall scripts, the lock, the
    engine's files and its steps description).

    An embedding payload makes an internalized package, as organisations without internet
    use Chocolatey: every installer goes into tools/, every locked wheel into tools/wheels/
    (or, preinstalled, the installed tree as tools/preinstall.zip), with VERIFICATION.txt
    and LICENSE.txt; the install script then downloads nothing.
    """
    tools = dest / "tools"
    if payload.delivery.embeds:
        embed_files(plan, payload, tools)
    write_atomic(dest / nuspec_name(plan), render_nuspec(plan).encode("utf-8"))
    write_atomic(tools / INSTALL_SCRIPT, _ps1_bytes(render_install(plan, payload, LOCK_FILE)))
    write_atomic(tools / UNINSTALL_SCRIPT, _ps1_bytes(render_uninstall(plan, payload,
                                                                       LOCK_FILE)))
    write_atomic(tools / HELPERS_SCRIPT, _ps1_bytes(render_helpers(plan)))
    write_atomic(tools / LOCK_FILE, format_lock(plan.lock, plan.recipe_name).encode("utf-8"))
    engine = template_dir(ENGINE_PACKAGE)
    for name in plan.target_files:
        _copy(engine / name, tools / name)
    if plan.target_files:
        write_atomic(tools / STEPS_FILE, engine_json(plan).encode("utf-8"))
    if payload.preinstalled is not None:
        write_atomic(tools / DISTS_FILE, payload.preinstalled.dists_text.encode("utf-8"))


def embed_files(plan: InstallPlan, payload: Payload, tools: Path) -> None:
    """Copy the payload's installers into tools/ and its wheels into tools/wheels/ (or the
    preinstalled tree into tools/preinstall.zip), with VERIFICATION.txt and LICENSE.txt."""
    tools.mkdir(parents=True, exist_ok=True)
    for artifact in plan.artifacts:
        _copy(payload.artifact(artifact.filename), tools / artifact.filename)
        if artifact.filename.lower().endswith(".exe"):
            # A shim director: Chocolatey puts every .exe of a package on PATH (a "shim")
            # unless an empty NAME.exe.ignore sits beside it; an installer is no command.
            write_atomic(tools / (artifact.filename + ".ignore"), b"")
    if payload.delivery is Delivery.PREINSTALLED and payload.preinstalled is not None:
        _zip_tree(payload.preinstalled.tree, tools / PREINSTALL_ARCHIVE)
    else:
        for wheel in plan.lock.wheels:
            _copy(payload.wheels[wheel.filename], tools / WHEELS_DIR / wheel.filename)
    files = embedded_files(plan, payload, WHEELS_DIR)
    write_atomic(tools / "VERIFICATION.txt", _txt_bytes(verification_txt(plan, files)))
    write_atomic(tools / "LICENSE.txt", _txt_bytes(license_txt(plan)))


def _zip_tree(tree: Path, archive: Path) -> None:
    """A reproducible zip of a folder: sorted entries, the build's fixed time."""
    stamp = zip_date_time()
    with atomic_path(archive) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
