"""The NSIS output (``setup``: setup.exe) on the back-end interface."""

from __future__ import annotations

from pathlib import Path

from ...payload import Payload
from ...plan import InstallPlan
from ..base import Backend, Made, Description, Options, Rendered
from .compile import compile_installer
from .folder import nsis_files


class NsisBackend(Backend):
    output = "setup"
    folder = "nsis"
    label = "NSIS installer"
    media_type = "application/vnd.microsoft.portable-executable"

    def artifact_name(self, plan: InstallPlan) -> str:
        return f"{plan.package.id}-{plan.package.version}-setup.exe"

    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        return nsis_files(plan, payload)

    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        assert sources is not None
        return compile_installer(sources, artifact, plan=plan, sign_cert=options.sign_cert,
                                 sign_key=options.sign_key, sign_password=options.sign_password)

    def describe(self, plan: InstallPlan, artifact: Path, options: Options) -> Description:
        return Description(self.output, self.label, artifact, self.media_type,
                           signed=options.signs)
