"""A setup.exe: a Windows PE file, and its Authenticode signature (osslsigncode)."""

from __future__ import annotations

from pathlib import Path

from .rules import Finding, Report

def check_installer(path: Path, cafile: Path | None = None) -> list[Finding]:
    """Check a setup.exe: a PE file, and its Authenticode signature (osslsigncode).

    A signature whose digest does not match the file (changed after signing) is an error;
    an unsigned installer, or one whose signer does not chain to a trusted root (the
    system's, or ``cafile``), is a warning.
    """
    from ..backends.nsis.signing import verify_pe

    report = Report()
    where = path.name
    with open(path, "rb") as fh:
        head = fh.read(0x40)
        pe_offset = int.from_bytes(head[0x3C:0x40], "little") if len(head) == 0x40 else 0
        fh.seek(pe_offset)
        pe_magic = fh.read(4)
    if head[:2] != b"MZ" or pe_magic != b"PE\0\0":
        report.add("CPE0001", "no MZ/PE header", where)
        return report.findings
    info = verify_pe(path, cafile)
    if not info.signed:
        report.add("CSG0002", "setup.exe carries no Authenticode signature "
                   "(choconsis build --sign-cert/--sign-key signs it)", where)
    elif not info.digest_ok:
        report.add("CSG0001", "the signed digest does not match the file: it was changed "
                   "after signing", where)
    elif not info.chain_ok:
        report.add("CSG0003", f"signed by {info.subject or 'an unknown signer'}, which does "
                   "not chain to a trusted root" + ("" if cafile else " (pass --ca-file)"),
                   where)
    return report.findings
