"""Authenticode signing of setup.exe (and its uninstaller) with osslsigncode.

Signing is deterministic: the signing time is given (``-time``, the build's SOURCE_DATE_EPOCH)
and RSA PKCS#1 v1.5 signatures carry no randomness, so the same input, key and time give the
same bytes. No timestamp server is contacted (that would need the network and is not
reproducible); a release pipeline that wants a countersignature adds it afterwards.

Two ways in:

- :func:`sign_pe` signs a finished file (``src`` -> ``dst``).
- :func:`finalize_lines` returns makensis ``!finalize`` / ``!uninstfinalize`` lines that sign the
  installer and the uninstaller while makensis compiles. The uninstaller is written into the
  installer's data, so it can only be signed from inside makensis, through ``!uninstfinalize``;
  signing setup.exe afterwards leaves uninstall.exe unsigned.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...errors import BuildError, ToolMissingError

PFX_SUFFIXES = (".pfx", ".p12")


def osslsigncode() -> str:
    """Path of the osslsigncode program; ToolMissingError when it is not installed."""
    found = shutil.which("osslsigncode")
    if not found:
        raise ToolMissingError("osslsigncode", "osslsigncode")
    return found


def is_pfx(cert: Path) -> bool:
    return cert.suffix.lower() in PFX_SUFFIXES


def _credential_args(cert: Path, key: Path | None, password_file: str | None) -> list[str]:
    for label, path in (("certificate", cert), ("key", key)):
        if path is not None and not path.is_file():
            raise BuildError(f"signing: {label} file {path} does not exist")
    if is_pfx(cert):
        args = ["-pkcs12", str(cert)]
    elif key is None:
        raise BuildError(f"signing: {cert} is a PEM/DER certificate; it needs a key (--sign-key)")
    else:
        args = ["-certs", str(cert), "-key", str(key)]
    if password_file is not None:
        args += ["-readpass", password_file]
    return args


def sign_args(cert: Path, key: Path | None, timestamp: int, *,
              password_file: str | None = None) -> list[str]:
    """osslsigncode arguments after ``sign`` and before ``-in``: credentials, sha256, time."""
    if timestamp < 0:
        raise BuildError(f"signing: the signing time must not be negative, got {timestamp}")
    return [*_credential_args(cert, key, password_file), "-h", "sha256", "-time", str(timestamp)]


def _run(args: list[str], what: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        raise BuildError(f"{what} failed (osslsigncode exit {proc.returncode}): "
                         + " | ".join(detail))
    return proc


def sign_pe(src: Path, dst: Path, *, cert: Path, key: Path | None, password: str | None,
            timestamp: int) -> None:
    """Sign the PE file ``src`` into ``dst`` (sha256, signing time ``timestamp``).

    ``cert`` is a PEM/DER certificate (with ``key``) or a PFX/PKCS#12 file (``key`` None).
    The password goes to osslsigncode on stdin, never on a command line. ``dst`` appears
    only when signing succeeded.
    """
    tool = osslsigncode()
    if not src.is_file():
        raise BuildError(f"signing: {src} does not exist")
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        out = work / dst.name
        args = [tool, "sign",
                *sign_args(cert, key, timestamp, password_file="-" if password else None),
                "-in", str(src), "-out", str(out)]
        _run(args, f"signing {src.name}", stdin=password)
        os.replace(out, dst)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class SignatureInfo:
    """What ``osslsigncode verify`` found in a PE file or an MSI."""

    signed: bool
    subject: str | None  # the signer's certificate subject, e.g. /CN=Example
    digest_ok: bool  # the signed digest matches the file's bytes (not tampered)
    chain_ok: bool  # the signature verifies and the certificate chains to a trusted CA
    signing_time: str | None
    output: str

    @property
    def ok(self) -> bool:
        return self.signed and self.digest_ok and self.chain_ok


# A PE file's "message digest"; an MSI's "DigitalSignature" (osslsigncode signs both).
_DIGEST_RE = re.compile(r"^(Current|Calculated) (?:message digest|DigitalSignature)\s*:\s*"
                        r"([0-9A-Fa-f]+)", re.M)


def parse_verify_output(output: str, returncode: int) -> SignatureInfo:
    """Read osslsigncode 2.x ``verify`` output."""
    if "No signature found" in output:
        return SignatureInfo(False, None, False, False, None, output)
    digests: dict[str, str] = {}
    for kind, value in _DIGEST_RE.findall(output):
        digests.setdefault(kind, value.upper())  # the primary signature comes first
    digest_ok = (len(digests) == 2 and digests["Current"] == digests["Calculated"]
                 and "MISMATCH" not in output)
    subject = re.search(r"Signer's certificate:.*?Subject:\s*(.+?)\s*$", output, re.S | re.M)
    when = re.search(r"Signing time:\s*(.+?)\s*$", output, re.M)
    chain_ok = returncode == 0 and "Signature verification: ok" in output
    return SignatureInfo(True, subject.group(1) if subject else None, digest_ok,
                         chain_ok and digest_ok, when.group(1) if when else None, output)


def verify_pe(path: Path, cafile: Path | None = None) -> SignatureInfo:
    """Check the Authenticode signature of ``path``.

    ``cafile`` holds the trusted root(s) (PEM); without it the system's CA bundle is used, so
    a self-signed certificate gives ``chain_ok`` False while ``digest_ok`` still tells whether
    the file was changed after signing.
    """
    tool = osslsigncode()
    if not path.is_file():
        raise BuildError(f"verify: {path} does not exist")
    args = [tool, "verify", "-in", str(path)]
    if cafile is not None:
        args += ["-CAfile", str(cafile)]
    proc = subprocess.run(args, capture_output=True, text=True)
    return parse_verify_output(proc.stdout + proc.stderr, proc.returncode)


# ---------------------------------------------------------------------------- makensis


_SAFE_PATH_RE = re.compile(r"[A-Za-z0-9_./+@:, -]+")


def _check_plain_path(path: Path | str, what: str) -> None:
    """Refuse a path that cannot sit in the finalize command line as it is.

    The line sits inside an NSIS backtick string and runs through /bin/sh, so only plain path
    characters are accepted (no quotes, $, %, backticks or newlines).
    """
    if not _SAFE_PATH_RE.fullmatch(str(path)):
        raise BuildError(f"signing: the {what} path {str(path)!r} has characters that cannot "
                         "be passed to makensis's !finalize safely; use a plain path")


def finalize_lines(cert: Path, key: Path | None, timestamp: int, *,
                   password_file: Path | None = None) -> tuple[str, str]:
    """makensis lines that sign the installer and its uninstaller while compiling.

    Returns ``(finalize, uninstfinalize)``, e.g.::

        !finalize `/usr/bin/osslsigncode sign ... -in '%1' -out '%1.signed' && mv -f ...` = 0
        !uninstfinalize `...same...` = 0

    makensis replaces ``%1`` with the file it just wrote and runs the command through the
    shell; ``= 0`` makes a failed signing fail the compile. The password, if any, is read by
    osslsigncode from ``password_file`` (keep it out of the .nsi and of process lists).
    Place both lines at the top level of the script (makensis 3.08 or later). The output
    file's own path (``%1``) must not contain a single quote.
    """
    tool = osslsigncode()
    for what, path in (("osslsigncode", tool), ("certificate", cert), ("key", key),
                       ("password file", password_file)):
        if path is not None:
            _check_plain_path(path, what)
    args = sign_args(cert, key, timestamp,
                     password_file=str(password_file) if password_file else None)
    command = (f"{shlex.quote(tool)} sign {' '.join(shlex.quote(a) for a in args)} "
               "-in '%1' -out '%1.signed' && mv -f '%1.signed' '%1'")
    return f"!finalize `{command}` = 0", f"!uninstfinalize `{command}` = 0"


@contextmanager
def makensis_sign_args(cert: Path, key: Path | None, password: str | None,
                       timestamp: int, *, output: Path | None = None) -> Iterator[list[str]]:
    """makensis command-line arguments that sign setup.exe and its uninstaller.

    Yields ``["-X!finalize ...", "-X!uninstfinalize ..."]`` to put before the script on the
    makensis command line (``-X`` runs a script command), so no template has to change. A
    password is written to a private temporary file for the duration of the block and read
    from there by osslsigncode. The signing time is ``timestamp`` (the build's
    SOURCE_DATE_EPOCH), which keeps the signed installer reproducible. ``output``, the file
    makensis writes, is checked to fit the shell command (no single quote).
    """
    if output is not None and "'" in str(output):
        raise BuildError(f"cannot sign {output}: the path holds a single quote")
    work = Path(tempfile.mkdtemp(prefix="choconsis-sign-"))
    try:
        password_file = None
        if password is not None:
            password_file = work / "password"
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(password)
        finalize, uninstfinalize = finalize_lines(cert.resolve(),
                                                  key.resolve() if key else None, timestamp,
                                                  password_file=password_file)
        yield ["-X" + finalize, "-X" + uninstfinalize]
    finally:
        shutil.rmtree(work, ignore_errors=True)
