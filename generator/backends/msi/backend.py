"""The MSI output (``msi``: ``<id>-<version>.msi``) on the back-end interface."""

from __future__ import annotations

from pathlib import Path

from ...payload import Payload
from ...plan import Delivery, InstallPlan
from ..base import Backend, Description, Made, Options, Rendered
from .compile import compile_msi
from .wix import msi_files


class MsiBackend(Backend):
    output = "msi"
    folder = "msi"
    label = "MSI package"
    media_type = "application/x-msi"
    delivery = Delivery.PREINSTALLED  # offline, the packages installed at build time

    def artifact_name(self, plan: InstallPlan) -> str:
        return f"{plan.package.id}-{plan.package.version}.msi"

    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        return msi_files(plan, payload)

    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        assert sources is not None
        return compile_msi(sources, artifact, plan=plan, sign_cert=options.sign_cert,
                           sign_key=options.sign_key, sign_password=options.sign_password)

    def describe(self, plan: InstallPlan, artifact: Path, options: Options) -> Description:
        return Description(self.output, self.label, artifact, self.media_type,
                           signed=options.signs)
