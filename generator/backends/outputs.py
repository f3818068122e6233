"""The outputs a build can write, by their public names, in the order a build makes them.

Every output is a :class:`~choconsis.backends.base.Backend`; ``build`` and ``check`` pick
theirs from here, so a new output is one class and one line below.
"""

from __future__ import annotations

from ..errors import UsageError
from .base import Backend
from .chocolatey.backend import ChocolateyBackend
from .nsis.backend import NsisBackend

BACKENDS: dict[str, type[Backend]] = {b.output: b for b in (ChocolateyBackend, NsisBackend)}
DEFAULT_OUTPUTS = ("nupkg", "setup")


def backends_for(names: tuple[str, ...]) -> list[Backend]:
    """The back ends of the named outputs, in the order of :data:`BACKENDS`."""
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise UsageError(f"unknown output(s) {', '.join(unknown)}; choconsis writes: "
                         f"{', '.join(BACKENDS)}")
    return [cls() for name, cls in BACKENDS.items() if name in names]
