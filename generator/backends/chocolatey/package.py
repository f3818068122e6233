"""The rendered Chocolatey folder: <id>.nuspec and tools/ (scripts, lock, helper scripts and,
for an embedding build, the installers and wheels with VERIFICATION.txt and LICENSE.txt)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ...lock.lockfile import format_lock
from ...payload import Payload
from ...plan import DISTS_FILE, LOCK_FILE, STEPS_FILE, Delivery, InstallPlan, engine_json
from ...datafiles import template_dir
from ...reproducible import zip_date_time
from ..base import Rendered, write_rendered
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


def package_files(plan: InstallPlan, payload: Payload) -> Rendered:
    """<id>.nuspec and tools/ (install and uninstall scripts, the lock, the helper scripts
    the steps run), rendered in memory.

    An embedding payload makes an internalized package, as organisations without internet
    use Chocolatey: every installer goes into tools/, every locked wheel into tools/wheels/
    (or, preinstalled, the installed tree as tools/preinstall.zip), with VERIFICATION.txt
    and LICENSE.txt; the install script then downloads nothing.
    """
    out = Rendered()
    if payload.delivery.embeds:
        embed_files(plan, payload, out)
    out.add(nuspec_name(plan), render_nuspec(plan))
    out.add(f"tools/{INSTALL_SCRIPT}", _ps1_bytes(render_install(plan, payload, LOCK_FILE)))
    out.add(f"tools/{UNINSTALL_SCRIPT}", _ps1_bytes(render_uninstall(plan, payload,
                                                                     LOCK_FILE)))
    out.add(f"tools/{HELPERS_SCRIPT}", _ps1_bytes(render_helpers(plan)))
    out.add(f"tools/{LOCK_FILE}", format_lock(plan.lock, plan.recipe_name))
    engine = template_dir(ENGINE_PACKAGE)
    for name in plan.target_files:
        out.add(f"tools/{name}", engine / name)
    if plan.target_files:
        out.add(f"tools/{STEPS_FILE}", engine_json(plan))
    if payload.preinstalled is not None:
        out.add(f"tools/{DISTS_FILE}", payload.preinstalled.dists_text)
    return out


def render(plan: InstallPlan, payload: Payload, dest: Path) -> None:
    """Write the folder ``choco pack`` would pack at dest (see :func:`package_files`)."""
    write_rendered(package_files(plan, payload), dest)


def embed_files(plan: InstallPlan, payload: Payload, out: Rendered) -> None:
    """The payload's installers into tools/ and its wheels into tools/wheels/ (or the
    preinstalled tree into tools/preinstall.zip), with VERIFICATION.txt and LICENSE.txt."""
    for artifact in plan.artifacts:
        out.add(f"tools/{artifact.filename}", payload.artifact(artifact.filename))
        if artifact.filename.lower().endswith(".exe"):
            # A shim director: Chocolatey puts every .exe of a package on PATH (a "shim")
            # unless an empty NAME.exe.ignore sits beside it; an installer is no command.
            out.add(f"tools/{artifact.filename}.ignore", b"")
    if payload.delivery is Delivery.PREINSTALLED and payload.preinstalled is not None:
        out.add(f"tools/{PREINSTALL_ARCHIVE}", _zip_tree(payload.preinstalled.tree))
    else:
        for wheel in plan.lock.wheels:
            out.add(f"tools/{WHEELS_DIR}/{wheel.filename}", payload.wheels[wheel.filename])
    files = embedded_files(plan, payload, WHEELS_DIR)
    out.add("tools/VERIFICATION.txt", _txt_bytes(verification_txt(plan, files)))
    out.add("tools/LICENSE.txt", _txt_bytes(license_txt(plan)))


def _zip_tree(tree: Path) -> bytes:
    """A reproducible zip of a folder: sorted entries, the build's fixed time."""
    stamp = zip_date_time()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return buffer.getvalue()
