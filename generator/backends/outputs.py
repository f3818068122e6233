"""The outputs a build can write, by their public names, in the order a build makes them.

Every output is a :class:`~choconsis.backends.base.Backend`; ``build`` and ``check`` pick
theirs from here, so a new output is one class and one line below. The order is a dependency
order: an output comes after every output it ``needs`` or ``uses`` (winget reads setup.exe
and the portable zip, Scoop the zip), so ``produce`` sees their artifacts.
"""

from __future__ import annotations

from ..errors import RecipeError, UsageError
from .base import Backend
from .chocolatey.backend import ChocolateyBackend
from .msi.backend import MsiBackend
from .nsis.backend import NsisBackend
from .portable.backend import PortableBackend
from .portable.scoop import ScoopBackend
from .winget.backend import WingetBackend

BACKENDS: dict[str, type[Backend]] = {b.output: b for b in (
    ChocolateyBackend, NsisBackend, PortableBackend, WingetBackend, ScoopBackend, MsiBackend)}
DEFAULT_OUTPUTS = ("nupkg", "setup")


def backends_for(names: tuple[str, ...], recipe_source: str | None = None) -> list[Backend]:
    """The back ends of the named outputs, in the order of :data:`BACKENDS`; an output whose
    ``needs`` are not among them is refused (naming the recipe's release.outputs when the
    names come from ``recipe_source``)."""
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise UsageError(f"unknown output(s) {', '.join(unknown)}; choconsis writes: "
                         f"{', '.join(BACKENDS)}")
    for name in names:
        missing = [n for n in BACKENDS[name].needs if n not in names]
        if missing:
            words = (f"{name!r} is made from the {', '.join(map(repr, missing))} output's "
                     f"file: add {', '.join(map(repr, missing))} to the outputs")
            if recipe_source is not None:
                raise RecipeError(recipe_source, "release.outputs", words)
            raise UsageError(f"outputs: {words}")
    return [cls() for name, cls in BACKENDS.items() if name in names]
