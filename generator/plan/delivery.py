"""How the files of an install reach the target: downloaded (web), embedded (offline), or
embedded with the wheels already installed at build time (preinstalled). Chosen once per
build and checked here, before anything is fetched."""

from __future__ import annotations

from enum import Enum

from ..errors import UsageError


class Delivery(str, Enum):
    WEB = "web"
    OFFLINE = "offline"
    PREINSTALLED = "offline+preinstall"

    @property
    def embeds(self) -> bool:
        """Every installer and wheel ships inside setup.exe and the .nupkg."""
        return self is not Delivery.WEB

    @classmethod
    def of_options(cls, *, offline: bool, preinstall: bool) -> "Delivery":
        if preinstall and not offline:
            raise UsageError("--preinstall needs --offline (the pre-installed wheels are "
                             "embedded)")
        if preinstall:
            return cls.PREINSTALLED
        return cls.OFFLINE if offline else cls.WEB

    def __str__(self) -> str:
        return self.value
