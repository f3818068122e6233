"""The folders and files the MSI installs, as WiX Directory / Component / File rows.

Ids are derived from the path (a hash: MSI identifiers hold at most 72 characters of
[A-Za-z0-9_.]), so the same tree gives the same ids in every build; one component per folder
(its first file the key path), which keeps the tables small for the ~5,000 files of a runtime.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ...errors import BuildError


def msi_id(kind: str, text: str) -> str:
    """A stable MSI identifier for a path: kind letter + 24 hex digits."""
    return f"{kind}{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}"


@dataclass
class MsiFile:
    id: str
    name: str
    source: str  # relative POSIX path inside the rendered folder (wixl wants relative ones)


@dataclass
class MsiDir:
    id: str
    name: str
    files: list[MsiFile] = field(default_factory=list)
    children: list["MsiDir"] = field(default_factory=list)

    @property
    def component(self) -> str:
        return msi_id("c", self.id)

    def child(self, name: str, path: str) -> "MsiDir":
        for found in self.children:
            if found.name.lower() == name.lower():
                return found
        made = MsiDir(msi_id("d", path.lower()), name)
        self.children.append(made)
        return made

    def walk(self) -> list["MsiDir"]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def components(self) -> list[str]:
        return [d.component for d in self.walk() if d.files]


def build_tree(root_id: str, name: str, files: dict[str, str], file_ids: dict[str, str]) -> MsiDir:
    """The folder ``root_id`` holding ``files`` (target path below it -> source path).
    ``file_ids`` names the files other rows refer to (python.exe for the custom actions)."""
    root = MsiDir(root_id, name)
    for target in sorted(files):
        parts = PurePosixPath(target).parts
        folder = root
        for depth in range(len(parts) - 1):
            folder = folder.child(parts[depth], f"{root_id}/{'/'.join(parts[:depth + 1])}")
        key = f"{root_id}/{target}"
        folder.files.append(MsiFile(file_ids.get(target, msi_id("f", key.lower())), parts[-1],
                                    files[target]))
    seen: set[str] = set()
    for folder in root.walk():
        lowered = [f.name.lower() for f in folder.files] + [c.name.lower() for c in folder.children]
        if len(set(lowered)) != len(lowered):
            raise BuildError(f"MSI folder {folder.name}: two entries differ only in case")
        ids = [folder.id, *(f.id for f in folder.files)]
        if seen & set(ids):
            raise BuildError(f"MSI ids collide in {folder.name}")
        seen |= set(ids)
    return root
