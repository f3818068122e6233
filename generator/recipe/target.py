"""The one description of what a lock's files must run on: a CPython version on a Windows
platform. Used by the resolver (pip's --platform/--abi and the marker environment), by the
index client (which files count) and by the recipe (its python section)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from packaging.tags import Tag, compatible_tags, cpython_tags

if TYPE_CHECKING:  # pragma: no cover
    from .model import Recipe


@dataclass(frozen=True)
class Target:
    python_version: str  # full version, e.g. 3.14.7
    platform: str  # win_amd64 | win32

    @property
    def minor_version(self) -> str:
        return ".".join(self.python_version.split(".")[:2])

    @property
    def version_info(self) -> tuple[int, int]:
        major, minor = self.python_version.split(".")[:2]
        return int(major), int(minor)

    @property
    def python_tag(self) -> str:
        """cp314 for 3.14.x."""
        return "cp" + self.minor_version.replace(".", "")

    @property
    def abi(self) -> str:
        """The ABI tag of a Windows CPython: cp314; before 3.8 with the 'm' flag (pymalloc;
        Windows builds never had 'u' or 'd' in release), so cp37m and cp27m."""
        return self.python_tag + ("m" if self.version_info < (3, 8) else "")

    @property
    def label(self) -> str:
        return f"{self.python_tag} {self.platform}"

    @property
    def allows_sdists(self) -> bool:
        """May the lock pin source archives where the target has no wheel? Python 2 only.

        Many of the last Python 2 releases were published as sdists only (PrettyTable 0.7.2,
        warlock 1.3.3, functools32), and the 2.7 runtime's pip (19.2.3) builds pure-Python
        sdists at install time. Current targets stay wheels-only: an sdist there may need a
        compiler the target lacks, so a missing wheel is an error naming the requirement.
        """
        return self.version_info[0] == 2

    @cached_property
    def tag_list(self) -> tuple[Tag, ...]:
        """Every wheel tag the target installs, most specific first (packaging would guess
        the running interpreter's ABI flags, so the ABI is named)."""
        major, minor = self.version_info
        return tuple(
            list(cpython_tags((major, minor), abis=[self.abi], platforms=[self.platform]))
            + list(compatible_tags((major, minor), self.python_tag, platforms=[self.platform])))

    @cached_property
    def tags(self) -> frozenset[Tag]:
        return frozenset(self.tag_list)

    @classmethod
    def of(cls, recipe: "Recipe") -> "Target":
        return cls(recipe.python.version, recipe.python.platform)


def marker_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of CPython ``target`` on Windows.

    platform_release/platform_version describe a Windows 10 machine; they are unknown at build
    time and no requirement we ship tests them.
    """
    py3 = target.version_info[0] != 2
    return {
        # Python 2 has no sys.implementation; packaging used "" and "0" there.
        "implementation_name": "cpython" if py3 else "",
        "implementation_version": target.python_version if py3 else "0",
        "os_name": "nt",
        "platform_machine": "AMD64" if target.platform == "win_amd64" else "x86",
        "platform_python_implementation": "CPython",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.19045",
        "python_full_version": target.python_version,
        "python_version": target.minor_version,
        "sys_platform": "win32",
    }
