"""Helpers shared by the back-end tests: payloads for renders that fetch nothing."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from choconsis.lock.installer import uv_member
from choconsis.lock.lockfile import LockedWheel
from choconsis.payload import ArtifactStore, Payload, resolve_payload
from choconsis.payload.runtime import RuntimeTree
from choconsis.plan import Delivery, InstallPlan
from choconsis.recipe import Recipe

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
    assert plan.delivery is delivery, (plan.delivery, delivery)
    return resolve_payload(plan, store, work)


# ---------------------------------------------------------------------------- the uv wheel

UV_VERSION = "0.13.9"
# The real wheel on PyPI (web renders name it; the Wine tests fetch it, the fast ones never).
UV_AMD64_SHA256 = "6a44b2ed8111d2f60d2b92627c5dccda3f7ed7570b18ce115e569cd68c28246b"
UV_AMD64_URL = ("https://files.pythonhosted.org/packages/dd/ef/ceeabf3631117f7354787d9fb1ffe9"
                "43899e59ed4b887a696ed547e47e76/uv-0.13.9-py3-none-win_amd64.whl")


def uv_wheel(platform: str = "win_amd64", sha256: str | None = None,
             url: str | None = None) -> LockedWheel:
    """The uv wheel a lock pins for [pip] installer = "uv" (PyPI's, unless told)."""
    filename = f"uv-{UV_VERSION}-py3-none-{platform}.whl"
    real = platform == "win_amd64"
    digest = sha256 or (UV_AMD64_SHA256 if real else "e" * 64)
    return LockedWheel("uv", UV_VERSION, digest, filename, url or (
        UV_AMD64_URL if real else f"https://files.pythonhosted.org/packages/uv/{filename}"))


def installer_for(recipe: Recipe, **wheel: str) -> LockedWheel | None:
    """What a test lock of ``recipe`` pins as its installer (None when pip installs)."""
    return uv_wheel(recipe.python.platform, **wheel) if recipe.installer == "uv" else None


def fake_uv_wheel(folder: Path, platform: str = "win_amd64", body: bytes = b"MZ not uv\n"
                  ) -> tuple[LockedWheel, Path]:
    """A file named like the uv wheel holding a stand-in uv.exe, for builds that embed it
    (offline) but run nothing; its sha256 is pinned like the real one's."""
    wheel = uv_wheel(platform)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / wheel.filename
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo(uv_member(wheel), (2024, 1, 1, 0, 0, 0)), body)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return uv_wheel(platform, sha256=digest, url=f"http://127.0.0.1:9/wheels/{path.name}"), path
