"""What a step's exit codes mean, and what a step may remove again.

Both are facts of the plan: a back end turns an :class:`ExitPolicy` into its own checks
(NSIS ``${If}`` lines, Chocolatey's ``validExitCodes``) and an :class:`Ownership` into its
own probes and records, but never decides either itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..recipe import DEFAULT_VALID_EXIT_CODES  # noqa: F401 - the recipe's default, a policy

REBOOT_CODES = (3010, 1641)  # ERROR_SUCCESS_REBOOT_REQUIRED, ERROR_SUCCESS_REBOOT_INITIATED


@dataclass(frozen=True)
class ExitPolicy:
    """Exit codes of one program run: success, success with a reboot required, and (undo
    only) "nothing left to remove". Any other code is a failure."""

    success: tuple[int, ...] = (0,)
    reboot: tuple[int, ...] = ()
    gone: tuple[int, ...] = ()

    @property
    def accepted(self) -> tuple[int, ...]:
        """Every code that is not a failure, in order, once each."""
        seen: list[int] = []
        for code in (*self.success, *self.reboot, *self.gone):
            if code not in seen:
                seen.append(code)
        return tuple(seen)

    @classmethod
    def of_valid_codes(cls, valid: tuple[int, ...]) -> "ExitPolicy":
        """A recipe's valid_exit_codes: 3010 and 1641 among them mean a reboot is required."""
        return cls(tuple(c for c in valid if c not in REBOOT_CODES),
                   tuple(c for c in valid if c in REBOOT_CODES))


PROGRAM = ExitPolicy()  # python.exe, cmd.exe: 0 or a failure
# msiexec /x: 1605 ERROR_UNKNOWN_PRODUCT and 1614 ERROR_PRODUCT_UNINSTALLED mean it is gone.
MSI_UNINSTALL = ExitPolicy((0,), REBOOT_CODES, (1605, 1614))
# The python.org bundle's /uninstall: 1605 when the bundle is no longer installed.
EXE_UNINSTALL = ExitPolicy((0,), REBOOT_CODES, (1605,))


class Ownership(str, Enum):
    """What the undo side of a step may remove."""

    OURS = "ours"  # everything the step made is the install's own: always removed
    UNLESS_PREEXISTING = "unless-preexisting"  # what was on the machine before is never removed
    # a runtime choconsis apps share: removed when the last app using it leaves, never when it
    # was on the machine before any of them
    SHARED = "shared"
    RECORDED = "recorded"  # only what the install recorded adding (PATH entries)
    NOTHING = "nothing"  # the step changes nothing, or leaves what it did to its own uninstaller

    def __str__(self) -> str:
        return self.value
