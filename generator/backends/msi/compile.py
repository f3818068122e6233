"""wixl: compile the rendered MSI folder, then fix after the fact what wixl 0.101 cannot write
or writes differently in every build.

Fixed with msibuild's SQL (msitools): rollback custom actions (wixl ignores
``Execute="rollback"``: type 82 instead of 1362), the conditions of the components that
remember the install folder (wixl has no Component/Condition), and RemoveExistingProducts
right after
InstallInitialize (wixl puts it after InstallFiles: the old version's uninstall would then
undo the new version's PATH change and environment).

Reproducible: wixl writes a random package code and the current time (created, last saved)
into the summary stream, and each file's modification time into the cabinet. The files are
compiled from a copy whose times are SOURCE_DATE_EPOCH (else 1980-01-01); the package code
becomes a UUID of the database's own bytes (two different packages never share one, the same
build always gives the same), and both times SOURCE_DATE_EPOCH, patched in place: the summary
stream keeps its size, and a compound file has no checksum.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import tempfile
import time
import uuid
from pathlib import Path

from ... import ui
from ...children import run_tied
from ...errors import BuildError, ToolMissingError
from ...plan import InstallPlan
from ...reproducible import ZIP_EPOCH, signing_time, source_date_epoch
from ..nsis.signing import sign_pe
from .wix import NAMESPACE, SOURCE, records

FILETIME_UNIX = 116444736000000000  # 1970-01-01 in 100 ns units since 1601-01-01
_GUID = rb"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(name, "wixl" if name == "wixl" else "msitools")
    return found


def _run(cmd: list[str], cwd: Path, what: str) -> str:
    ui.detail(f"{what}: {' '.join(cmd)} (in {cwd})")
    proc = run_tied(cmd, cwd=cwd, errors="replace", env={**os.environ, "LC_ALL": "C.UTF-8"})
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise BuildError(f"{what} failed (exit code {proc.returncode}):\n{output[-4000:]}")
    return output


def build_epoch() -> int:
    epoch = source_date_epoch()
    return ZIP_EPOCH if epoch is None else epoch


def _copy_with_times(src: Path, dst: Path, epoch: int) -> None:
    """The rendered folder, copied (never touch the payload's or the cache's files) with every
    file's time set to ``epoch``: the cabinet records them."""
    shutil.copytree(src, dst)
    for path in dst.rglob("*"):
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def fix_tables(msi: Path, plan: InstallPlan, cwd: Path) -> None:
    """What wixl 0.101 writes wrongly or not at all (see the module's docstring)."""
    queries = ["UPDATE `CustomAction` SET `Type` = 1362 WHERE `Type` = 82",  # FileKey exe
               "UPDATE `CustomAction` SET `Type` = 1394 WHERE `Type` = 114",  # property exe
               # the same without impersonation (0x800)
               "UPDATE `CustomAction` SET `Type` = 3410 WHERE `Type` = 2130",
               "UPDATE `CustomAction` SET `Type` = 3442 WHERE `Type` = 2162",
               "UPDATE `InstallExecuteSequence` SET `Sequence` = 1501 "
               "WHERE `Action` = 'RemoveExistingProducts'"]
    for record in records(plan):  # wixl 0.101 has no Component/Condition
        if record["condition"]:
            queries.append(f"UPDATE `Component` SET `Condition` = '{record['condition']}' "
                           f"WHERE `Component` = '{record['id']}'")
    args = [tool("msibuild"), str(msi)]
    for query in queries:
        args += ["-q", query]
    _run(args, cwd, "msibuild")


def pin_summary(data: bytes, epoch: int) -> bytes:
    """The package code and the two summary times of wixl's output, made reproducible."""
    codes = re.findall(rb"\x1e\x00\x00\x00\x27\x00\x00\x00(" + _GUID + rb")\x00", data)
    if len(codes) != 1:
        raise BuildError(f"the MSI's summary stream holds {len(codes)} package codes (1 "
                         "expected): wixl's output changed")
    stamp = struct.pack("<Q", FILETIME_UNIX + epoch * 10_000_000)
    times = [m for m in re.finditer(rb"\x40\x00\x00\x00(.{8})", data, re.S)
             if abs(struct.unpack("<Q", m.group(1))[0] // 10_000_000
                    - FILETIME_UNIX // 10_000_000 - time.time()) < 24 * 3600]
    if len(times) != 2:
        raise BuildError(f"the MSI's summary stream holds {len(times)} times of today (2 "
                         "expected): wixl's output changed")
    out = bytearray(data)
    for match in times:
        out[match.start(1):match.end(1)] = stamp
    code = codes[0]
    start = out.index(code)
    out[start:start + len(code)] = b"{" + b"0" * 36 + b"}"
    digest = hashlib.sha256(bytes(out)).hexdigest()
    fixed = ("{" + str(uuid.uuid5(NAMESPACE, f"package:{digest}")).upper() + "}").encode()
    out[start:start + len(code)] = fixed
    return bytes(out)


def compile_msi(sources: Path, artifact: Path, *, plan: InstallPlan, sign_cert=None,
                sign_key=None, sign_password=None) -> Path:
    """wixl on sources/product.wxs -> artifact (through a temporary file), fixed, pinned and
    signed when a certificate is given."""
    wixl = tool("wixl")
    if not (sources / SOURCE).is_file():
        raise BuildError(f"{sources / SOURCE} does not exist: render the MSI sources first")
    artifact.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{artifact.name}-", dir=artifact.parent))
    try:
        epoch = build_epoch()
        tree = work / "src"
        _copy_with_times(sources, tree, epoch)
        out = work / "out.msi"
        arch = "x64" if plan.machine.is_64bit else "x86"
        with ui.task(f"wixl: compiling {artifact.name}"):
            _run([wixl, "-a", arch, "-o", str(out), SOURCE], tree, "wixl")
        fix_tables(out, plan, work)
        out.write_bytes(pin_summary(out.read_bytes(), epoch))
        if sign_cert is not None:
            signed = work / "signed.msi"
            sign_pe(out, signed, cert=Path(sign_cert),
                    key=Path(sign_key) if sign_key else None, password=sign_password,
                    timestamp=signing_time())
            out = signed
        out.chmod(0o644)
        out.replace(artifact)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return artifact
