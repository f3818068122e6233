"""The Chocolatey output (``nupkg``) on the back-end interface."""

from __future__ import annotations

from pathlib import Path

from ...payload import Payload
from ...plan import InstallPlan
from ..base import Backend, Made, Options, Rendered
from .pack import pack
from .package import package_files


class ChocolateyBackend(Backend):
    output = "nupkg"
    folder = "chocolatey"
    label = "Chocolatey package"
    media_type = "application/vnd.nuget.package+zip"

    def artifact_name(self, plan: InstallPlan) -> str:
        return f"{plan.package.id}.{plan.package.version}.nupkg"

    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        return package_files(plan, payload)

    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        assert sources is not None
        return pack(sources, artifact)
