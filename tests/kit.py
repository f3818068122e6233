"""Helpers shared by the back-end tests: payloads for renders that fetch nothing."""

from __future__ import annotations

from pathlib import Path

from choconsis.payload import ArtifactStore, Payload, resolve_payload
from choconsis.payload.runtime import RuntimeTree
from choconsis.plan import Delivery, InstallPlan

# What a zip runtime's archive holds at its top level, for renders that unpack nothing.
ZIP_ENTRIES = (("DLLs", "Lib", "Scripts"), ("python.exe", "python312.dll"))


def web_payload(plan: InstallPlan, entries: tuple[tuple[str, ...], tuple[str, ...]] = ZIP_ENTRIES
                ) -> Payload:
    """The payload of a web build whose zip runtime (if any) lists ``entries``; nothing real
    lies behind it, so only script renders (not folder renders) can use it with a zip."""
    runtime = RuntimeTree(Path("/nonexistent/runtime"), *entries) if plan.zip_runtime else None
    return Payload(Delivery.WEB, runtime=runtime)


def payload_of(plan: InstallPlan, delivery: Delivery, store: ArtifactStore,
               work: Path) -> Payload:
    return resolve_payload(plan, delivery, store, work)
