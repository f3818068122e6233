"""An MSI, read with msitools' msiinfo: what Windows Installer will do with it.

Rules (:mod:`.rules`): CMS0001 the database cannot be read; CMS0002 / CMS0003 no ProductCode
/ UpgradeCode (without an UpgradeCode no later version can replace it: two entries in
Add/Remove Programs); CMS0004 a per-user package (no ALLUSERS, or ALLUSERS=2 with
MSIINSTALLPERUSER=1) that writes HKLM or installs below Program Files without a condition
(it fails without elevation); CMS0005 a PATH change that nothing undoes at uninstall (the
target engine's install run without its undo, or an Environment row that is left behind).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ..errors import ToolMissingError
from .rules import Finding, Report

MACHINE_FOLDERS = ("ProgramFilesFolder", "ProgramFiles64Folder", "CommonFilesFolder",
                   "CommonFiles64Folder", "WindowsFolder", "SystemFolder", "System64Folder")
HKLM = "2"


def read_table(path: Path, table: str) -> list[dict[str, str]] | None:
    """The rows of a table (column -> text); [] when the database has no such table, None
    when msiinfo cannot read the file."""
    tool = shutil.which("msiinfo")
    if tool is None:
        raise ToolMissingError("msiinfo", "msitools")
    tables = subprocess.run([tool, "tables", str(path)], capture_output=True, text=True)
    if tables.returncode != 0:
        return None
    if table not in tables.stdout.split():
        return []
    proc = subprocess.run([tool, "export", str(path), table], capture_output=True, text=True,
                          errors="replace")
    if proc.returncode != 0:
        return None
    lines = proc.stdout.splitlines()
    columns = lines[0].split("\t") if lines else []
    return [dict(zip(columns, line.split("\t"))) for line in lines[3:]]


def check_msi(path: Path) -> list[Finding]:
    report = Report()
    where = path.name
    properties = read_table(path, "Property")
    if properties is None:
        report.add("CMS0001", "msiinfo cannot read the file as an MSI database", where)
        return report.findings
    props = {r["Property"]: r.get("Value", "") for r in properties}
    for name, rule in (("ProductCode", "CMS0002"), ("UpgradeCode", "CMS0003")):
        if not props.get(name):
            report.add(rule, f"the Property table has no {name}", where)
    per_user = "ALLUSERS" not in props or (props["ALLUSERS"] == "2"
                                           and props.get("MSIINSTALLPERUSER") == "1")
    components = {r["Component"]: r for r in read_table(path, "Component") or []}
    if per_user:
        _machine_writes(path, components, report, where)
    _path_undo(path, report, where)
    return report.findings


def _machine_writes(path: Path, components: dict[str, dict[str, str]], report: Report,
                    where: str) -> None:
    for row in read_table(path, "Registry") or []:
        component = components.get(row.get("Component_", ""), {})
        if row.get("Root") == HKLM and not component.get("Condition"):
            report.add("CMS0004", f"a per-user package writes HKLM\\{row.get('Key')} "
                       f"(component {row.get('Component_')}, no condition)", where)
    parents = {r["Directory"]: r.get("Directory_Parent", "")
               for r in read_table(path, "Directory") or []}

    def machine(folder: str) -> str | None:
        seen = set()
        while folder and folder not in seen:
            if folder in MACHINE_FOLDERS:
                return folder
            seen.add(folder)
            folder = parents.get(folder, "")
        return None

    for name, row in components.items():
        found = machine(row.get("Directory_", ""))
        if found and not row.get("Condition"):
            report.add("CMS0004", f"a per-user package installs component {name} below "
                       f"{found}", where)


_SCOPE_CLAUSE = re.compile(r'(?:CHOCOSCOPE|ALLUSERS)\s*(?:<>|=)\s*"?\w*"?')


def _scope(condition: str) -> frozenset[str]:
    """The clauses of a condition that choose the install scope (an action pair of the same
    scope: the install of a per-user install and the undo of it)."""
    return frozenset(c.replace(" ", "") for c in _SCOPE_CLAUSE.findall(condition))


def _path_undo(path: Path, report: Report, where: str) -> None:
    actions = read_table(path, "CustomAction") or []
    sequence = {r["Action"]: r.get("Condition", "")
                for r in read_table(path, "InstallExecuteSequence") or []}
    engine = {side: [a["Action"] for a in actions
                     if f"choconsis_engine.py\" {side}" in a.get("Target", "")
                     and a["Action"] in sequence]
              for side in ("install", "undo")}
    undone = {_scope(sequence[a]) for a in engine["undo"] if "REMOVE" in sequence[a].upper()}
    for action in engine["install"]:
        if _scope(sequence[action]) not in undone:
            report.add("CMS0005", f"the engine's install (PATH, commands) runs from {action}, "
                       "and no action runs its undo at the uninstall (REMOVE=\"ALL\") of "
                       "the same scope", where)
    for row in read_table(path, "Environment") or []:
        name = row.get("Name", "")
        if name.lstrip("=+-!*").upper() == "PATH" and "[~]" not in row.get("Value", "") \
                and "-" not in name[:3]:
            report.add("CMS0005", f"Environment row {row.get('Environment')} sets PATH and "
                       "is not removed at uninstall", where)
