"""The package version after an update, by Chocolatey's rules.

A Chocolatey version is 2 to 4 dot-separated numbers with an optional ``-tag`` (a pre-release).
The rules choconsis applies when ``choconsis update`` changed something:

1. **A recipe that tracks its upstream** - its package version is the Chocolatey form of its
   *first* [pip] requirement's version (``python-openstackclient==10.5.0`` -> ``10.5.0``), or
   that version with a package fix part (``10.5.0.20261126``):

   * when the first requirement's version changed, the package version becomes the new upstream
     version (``10.5.0`` -> ``10.6.0``; a fix part is dropped);
   * when only other things changed (other requirements, the lock's dependencies, the Python
     runtime) it is a repackaging of the same upstream version, which gets Chocolatey's
     *package fix version notation*: the upstream version padded to three parts and today's UTC
     date as a fourth part (``10.5.0`` -> ``10.5.0.20261126``, ``4.8`` -> ``4.8.0.20261126``).
     A second fix the same day (or whenever the current fix part is not older than today) uses
     the current fix part plus one (``10.5.0.20261126`` -> ``10.5.0.20261127``): versions stay
     strictly increasing and still order correctly against later dates, which an appended
     counter (``2026112601`` > ``20261127``) would not.

2. **A recipe that does not track a requirement** (its version is its own, e.g. ``2013.2.0``)
   gets its last numeric part increased by one (``2013.2.0`` -> ``2013.2.1``).

Upstream versions map to Chocolatey versions as: release numbers as they are (at most four),
pre-releases as a tag of PEP 440's letters (``10.6.0rc1`` -> ``10.6.0-rc1``, and ``a``/``b``/
``rc`` sort in that order as the tags do), post releases as a fourth number (``1.2.3.post2`` ->
``1.2.3.2``). Epochs, local versions and dev releases have no faithful Chocolatey form and are
refused, as is a fix of a version that already uses four numbers or is a pre-release (there is
no room left for the fix part): set ``[package] version`` by hand then.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from packaging.version import Version

from ..errors import ChoconsisError

INT32_MAX = 2**31 - 1  # NuGet keeps each version part in a signed 32-bit integer
FIX_MIN = 10_000_000  # a fourth part with 8 digits or more is a date-shaped fix part
_CHOCO_RE = re.compile(r"(\d+(?:\.\d+){1,3})(?:-([0-9A-Za-z]+))?")


class VersionError(ChoconsisError):
    """A version has no Chocolatey form, or no next version can be derived."""


@dataclass(frozen=True)
class ChocoVersion:
    release: tuple[int, ...]
    tag: str = ""

    @classmethod
    def parse(cls, text: str) -> "ChocoVersion":
        match = _CHOCO_RE.fullmatch(text)
        if not match:
            raise VersionError(f"{text!r} is not a Chocolatey version")
        return cls(tuple(int(p) for p in match.group(1).split(".")), match.group(2) or "")

    def __str__(self) -> str:
        return ".".join(map(str, self.release)) + (f"-{self.tag}" if self.tag else "")

    @property
    def trimmed(self) -> tuple[int, ...]:
        """Release without trailing zeros: 10.5 and 10.5.0 are the same version."""
        parts = list(self.release)
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return tuple(parts)

    def same_as(self, other: "ChocoVersion") -> bool:
        return self.trimmed == other.trimmed and self.tag == other.tag

    @property
    def fix(self) -> int | None:
        """The package fix part (a date-shaped fourth number), if there is one."""
        if len(self.release) == 4 and not self.tag and self.release[3] >= FIX_MIN:
            return self.release[3]
        return None


def choco_version(version: Version | str) -> ChocoVersion:
    """The Chocolatey form of an upstream (PEP 440) version."""
    v = Version(str(version))
    if v.epoch or v.local or v.dev is not None:
        raise VersionError(f"upstream version {v} has no Chocolatey form "
                           "(epoch, local or dev release)")
    release = v.release
    if v.post is not None:
        release = (release + (0, 0))[:3] if len(release) < 3 else release
        release = release + (v.post,)
    if len(release) > 4:
        raise VersionError(f"upstream version {v} has more than four numbers")
    if len(release) < 2:
        release = release + (0,)
    tag = f"{v.pre[0]}{v.pre[1]}" if v.pre is not None else ""
    return ChocoVersion(tuple(release), tag)


def tracks(package_version: str, upstream: Version | str) -> bool:
    """Does the package version follow this upstream version (with or without a fix part)?"""
    current = ChocoVersion.parse(package_version)
    try:
        up = choco_version(upstream)
    except VersionError:
        return False
    if current.same_as(up):
        return True
    return current.fix is not None and ChocoVersion(current.release[:3]).same_as(up)


def today_stamp(today: _dt.date | None = None) -> int:
    day = today or _dt.datetime.now(_dt.timezone.utc).date()
    return int(day.strftime("%Y%m%d"))


def fix_version(package_version: str, upstream: Version | str,
                today: _dt.date | None = None) -> str:
    """The package fix version of a repackaging of the same upstream version."""
    up = choco_version(upstream)
    if up.tag or len(up.release) > 3:
        raise VersionError(
            f"cannot add a package fix part to {up}: it is a pre-release or already has four "
            "numbers; set [package] version by hand")
    current = ChocoVersion.parse(package_version)
    stamp = today_stamp(today)
    fix = max(stamp, (current.fix or 0) + 1)
    if fix > INT32_MAX:
        raise VersionError(f"package fix part {fix} does not fit a NuGet version part")
    return str(ChocoVersion((up.release + (0, 0))[:3] + (fix,)))


def bump_last(package_version: str) -> str:
    """Increase the last numeric part by one, keeping any tag."""
    current = ChocoVersion.parse(package_version)
    return str(ChocoVersion(current.release[:-1] + (current.release[-1] + 1,), current.tag))


def next_package_version(package_version: str, old_upstream: Version | str,
                         new_upstream: Version | str, *, changed: bool,
                         today: _dt.date | None = None) -> str:
    """Apply the rules of the module docstring."""
    if not changed:
        return package_version
    if not tracks(package_version, old_upstream):
        return bump_last(package_version)
    if Version(str(new_upstream)) != Version(str(old_upstream)):
        return str(choco_version(new_upstream))
    return fix_version(package_version, old_upstream, today)
