"""The winget output (``winget``: ``<out>/winget/manifests/...``) on the back-end interface:
written from setup.exe (and the portable zip, when built), so it has no sources."""

from __future__ import annotations

import shutil
from pathlib import Path

from ...fileio import write_atomic
from ...payload import Payload
from ...plan import InstallPlan
from ..base import Backend, Made, Options, Rendered
from .manifests import manifest_folder, winget_manifests


class WingetBackend(Backend):
    output = "winget"
    folder = None
    label = "winget manifests"
    media_type = "application/yaml"
    needs = ("setup",)
    uses = ("portable",)

    def artifact_name(self, plan: InstallPlan) -> str:
        return f"winget/{manifest_folder(plan)}"

    def render(self, plan: InstallPlan, payload: Payload) -> Rendered:
        return Rendered()  # written from the installers' files, in produce

    def produce(self, plan: InstallPlan, sources: Path | None, artifact: Path,
                options: Options, made: Made) -> Path:
        setup = made["setup"]
        portable = made.get("portable")
        texts = winget_manifests(plan, setup.path.name, setup.sha256,
                                 portable.sha256 if portable else None)
        if artifact.exists():
            shutil.rmtree(artifact)
        artifact.mkdir(parents=True)
        for name, text in texts.items():
            write_atomic(artifact / name, text)
        return artifact
