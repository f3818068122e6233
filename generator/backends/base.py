"""The one interface every output implements, and the rendered folder they all produce.

A back end only translates: :meth:`Backend.render` turns the plan and the payload into a
:class:`Rendered` folder in memory (texts, and payload files to link), written once by
:func:`write_rendered` (a temporary sibling renamed into place, so a failure leaves nothing
half-written); :meth:`Backend.produce` makes the artifact from the written folder;
:meth:`Backend.describe` says what the artifact is, for the build summary and the SBOM.
``build`` loops over the outputs a build asks for, and ``check`` renders through the same
calls.

Outputs may build on each other: winget's manifests hold the sha256 of setup.exe and of the
portable zip, Scoop's that of the zip. A back end names the outputs it reads in ``needs``
(they must be built too) and ``uses`` (read when built); :mod:`.outputs` lists the back ends
in an order where those come first, and ``produce`` receives the descriptions of the
artifacts made before it. A back end that makes no sources (a manifest written from other
artifacts) has no ``folder``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import ClassVar, Mapping, Union

from ..errors import BuildError
from ..payload import Payload
from ..plan import Delivery, InstallPlan
from ..store import sha256_file

# A rendered file: its bytes, or a verified payload file to link (or copy) in.
Content = Union[bytes, Path]


@dataclass
class Rendered:
    """A back end's sources: relative POSIX paths -> content. Paths are checked to stay
    inside the folder."""

    files: dict[str, Content] = field(default_factory=dict)

    def add(self, name: str, content: str | bytes | Path) -> None:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise BuildError(f"a back end tried to write outside its folder: {name!r}")
        self.files[path.as_posix()] = (content.encode("utf-8") if isinstance(content, str)
                                       else content)

    def add_tree(self, prefix: str, tree: Path) -> None:
        """Every file below ``tree``, under ``prefix``."""
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            self.add(f"{prefix}/{path.relative_to(tree).as_posix()}", path)


@dataclass(frozen=True)
class Options:
    """What producing an artifact may need beyond the plan (signing setup.exe)."""

    sign_cert: Path | None = None
    sign_key: Path | None = None
    sign_password: str | None = None

    @property
    def signs(self) -> bool:
        return self.sign_cert is not None


@dataclass(frozen=True)
class Description:
    """An artifact, as the build summary and the SBOM name it."""

    output: str  # the output's public name: nupkg | setup | winget | portable | scoop
    label: str  # what it is, for a person: "Chocolatey package"
    path: Path  # a file, or a folder of files (winget's manifests)
    media_type: str
    signed: bool | None = None  # None: not a signable file

    @property
    def files(self) -> tuple[Path, ...]:
        """The artifact's files: itself, or those of its folder, sorted."""
        if self.path.is_dir():
            return tuple(sorted(p for p in self.path.rglob("*") if p.is_file()))
        return (self.path,)

    @property
    def sha256(self) -> str:
        """sha256 of a single-file artifact."""
        if self.path.is_dir():
            raise BuildError(f"{self.path} is a folder; it has no single sha256")
        return sha256_file(self.path)


# The artifacts made before an output, by public name (what ``produce`` may read).
Made = Mapping[str, Description]


class Backend(ABC):
    """One output of a build. ``output`` is its public name (recipe and CLI use it);
    ``folder`` the name of its rendered sources under ``<out>/<id>/``."""

    output: ClassVar[str]
    folder: ClassVar[str | None]  # None: no sources of its own
    label: ClassVar[str]
    media_type: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()  # outputs produce reads; built too, before it
    uses: ClassVar[tuple[str, ...]] = ()  # outputs produce reads when the build makes them
    payload_parts: ClassVar[frozenset[str]] = frozenset()  # extra parts of the payload
    delivery: ClassVar[Delivery | None] = None  # the only delivery mode it renders, if one

    @abstractmethod
    def artifact_name(self, plan: InstallPlan) -> str:
        """The file name of the artifact in the output folder."""

    @abstractmethod
    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        """The sources of the artifact; touches no file."""

    @abstractmethod
    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        """Make the artifact at ``artifact`` from the written ``sources`` folder (None when
        ``folder`` is None) and the artifacts ``made`` before it."""

    def describe(self, plan: InstallPlan, artifact: Path, options: Options) -> Description:
        return Description(self.output, self.label, artifact, self.media_type)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def write_rendered(rendered: Rendered, dest: Path) -> Path:
    """Write the folder at ``dest`` in one go: into a temporary sibling, renamed into place
    (an existing ``dest`` is replaced only when everything was written)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp made it private; the rendered folder is an ordinary one
    try:
        for name, content in sorted(rendered.files.items()):
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                _link_or_copy(content, path)
            else:
                path.write_bytes(content)
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif dest.exists():
            dest.unlink()
        tmp.replace(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
