"""Exceptions that carry a message for a person.

Only ``choconsis.cli`` turns these into exit codes: a :class:`UsageError` or :class:`RecipeError`
exits 2, every other :class:`ChoconsisError` exits 1 (a failed build).
"""

from __future__ import annotations


class ChoconsisError(Exception):
    """Base class: ``str(err)`` is the whole message shown to the user."""

    exit_code = 1


class UsageError(ChoconsisError):
    """The command line asked for something that cannot be done."""

    exit_code = 2


class RecipeError(ChoconsisError):
    """A recipe (or its lock) is missing, unreadable, or has a wrong field."""

    exit_code = 2

    def __init__(self, source: str, field: str | None, problem: str):
        self.source = source
        self.field = field
        self.problem = problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")


class ArtifactError(ChoconsisError):
    """A download failed, or a file's sha256 does not match its pin."""


class BuildError(ChoconsisError):
    """A back end could not produce its output (makensis failed, a wheel is missing, ...)."""


class ToolMissingError(BuildError):
    """An external program (makensis, wine, wixl, ...) is not installed."""

    def __init__(self, program: str, debian_package: str, first: str = ""):
        """``first``: the commands apt-get install needs before it (as root)."""
        self.program = program
        steps = f"{first} && " if first else ""
        super().__init__(
            f"{program} is not installed: on Debian, install it with "
            f"'{steps}apt-get install {debian_package}'"
        )
