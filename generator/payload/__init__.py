"""The payload: every file the back ends embed or describe, fetched and verified once.

Resolved in build between the plan and the back ends (:func:`resolve_payload`): the verified
installers and wheels, the unpacked zip runtime, the preinstalled tree (``--preinstall``), and
the license facts read from the verified files. The back ends, the SBOM and VERIFICATION.txt
read it; none of them fetches anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError
from ..lock.lockfile import Lock, LockedWheel
from ..plan import Delivery, InstallPlan
from ..store import ArtifactStore
from ..wheelfiles import wheel_metadata
from .licenses import License, artifact_license, license_from_metadata
from .portable import portable_tree
from .preinstall import format_dists, install_wheels, stage_preinstalled
from .runtime import RuntimeTree, unpack_runtime
from .wheels import fetch_wheels


@dataclass(frozen=True)
class Preinstalled:
    tree: Path  # laid out like the runtime folder (Lib/site-packages, Scripts, ...)
    dists: tuple[str, ...]  # dist-info folders, relative to site-packages

    @property
    def dists_text(self) -> str:
        return format_dists(list(self.dists))


@dataclass(frozen=True)
class Payload:
    delivery: Delivery
    artifacts: dict[str, Path] = field(default_factory=dict)  # by file name: verified files
    wheels: dict[str, Path] = field(default_factory=dict)  # by wheel file name: verified
    runtime: RuntimeTree | None = None  # a zip runtime, unpacked
    preinstalled: Preinstalled | None = None
    wheel_licenses: dict[str, License | None] = field(default_factory=dict)  # by dist name
    portable: Path | None = None  # the runtime tree with the app installed (part "portable")

    def artifact(self, filename: str) -> Path:
        try:
            return self.artifacts[filename]
        except KeyError:
            raise BuildError(f"the payload has no {filename} (a back end asked for a file the "
                             f"{self.delivery} build does not embed)") from None

    def license_of(self, wheel: LockedWheel) -> License | None:
        return self.wheel_licenses.get(wheel.name)


def _wheel_license(path: Path | None) -> License | None:
    """The license in a verified wheel's METADATA; None when it is not there or unreadable
    (the file is still what the lock pins: it is listed, without a license)."""
    if path is None:
        return None
    try:
        return license_from_metadata(wheel_metadata(path))
    except BuildError:
        return None


PARTS = frozenset({"portable"})


def resolve_payload(plan: InstallPlan, store: ArtifactStore, work: Path,
                    parts: frozenset[str] = frozenset()) -> Payload:
    """Fetch (or take from the cache / --artifacts) and verify what a build of ``plan`` needs.

    Embedding builds take every installer and wheel. Every build takes a zip runtime (it is
    unpacked and embedded in web mode too, and its top-level entries are what uninstall
    removes), except a runtime package that a web build leaves to the install (the plan's
    ``embedded_runtime``; the portable part still needs its tree). A web build fetches no wheel: licenses come from wheels already in the cache.
    ``work`` receives the unpacked trees; the caller removes it after the build.
    ``parts`` names extra parts the outputs need: "portable", the runtime tree with every
    locked wheel installed (fetched in any delivery mode).
    """
    unknown = parts - PARTS
    if unknown:
        raise BuildError(f"unknown payload part(s): {', '.join(sorted(unknown))}")
    delivery = plan.delivery
    artifacts: dict[str, Path] = {}
    runtime: RuntimeTree | None = None
    for artifact in plan.artifacts:
        is_zip_runtime = plan.zip_runtime and artifact == plan.runtime_step.artifact
        if is_zip_runtime and not (plan.embedded_runtime or "portable" in parts):
            continue  # a runtime package fetched at install time: the build never needs it
        if delivery.embeds or is_zip_runtime:
            artifacts[artifact.filename] = store.fetch(artifact)
        if is_zip_runtime:
            runtime = unpack_runtime(artifacts[artifact.filename], work / "runtime")
            if plan.layout.venv and not (runtime.root / "Lib" / "venv").is_dir():
                raise BuildError(f"{plan.package.id}: the zip runtime {artifact.filename} "
                                 "cannot make a virtual environment (it has no Lib\\venv): "
                                 "set [install] environment = \"runtime\"")
    if delivery.embeds or "portable" in parts:
        files = fetch_wheels(plan.lock, store)
        wheels = {w.filename: path for w, path in zip(plan.lock.wheels, files)}
    else:
        wheels = {}
    licenses = wheel_licenses(plan.lock, store, wheels)
    preinstalled = None
    if delivery is Delivery.PREINSTALLED:
        pkg = f"{plan.package.id} {plan.package.version}"
        files = [wheels[w.filename] for w in plan.lock.wheels]
        if plan.layout.venv:  # the app's environment starts empty: nothing to replace in it
            (work / "preinstall").mkdir(parents=True, exist_ok=True)
            dists = install_wheels(files, work / "preinstall", arch=plan.runtime.arch)
        else:
            dists = stage_preinstalled(pkg, plan.lock, files, work / "preinstall",
                                       runtime.root if runtime else None,
                                       arch=plan.runtime.arch)
        preinstalled = Preinstalled(work / "preinstall", tuple(dists))
    portable = None
    if "portable" in parts:
        pkg = f"{plan.package.id} {plan.package.version}"
        portable = portable_tree(pkg, plan.lock, [wheels[w.filename] for w in plan.lock.wheels],
                                 runtime.root if runtime else None, work / "portable",
                                 arch=plan.runtime.arch)
    if not delivery.embeds:  # the wheels were fetched for the portable tree only
        wheels = {}
    return Payload(delivery, artifacts, wheels, runtime, preinstalled, licenses, portable)


def wheel_licenses(lock: Lock, store: ArtifactStore,
                   wheels: dict[str, Path]) -> dict[str, License | None]:
    """The license of each locked dist, from its verified file: the ones given (``wheels``,
    by file name), else the ones already in the cache; None where there is no file."""
    return {w.name: _wheel_license(wheels.get(w.filename) or _cached(store, w))
            for w in lock.wheels}


def _cached(store: ArtifactStore, wheel: LockedWheel) -> Path | None:
    path = store.cached_path(wheel.sha256, wheel.filename)
    return path if path.is_file() else None


__all__ = ["ArtifactStore", "License", "Payload", "Preinstalled", "RuntimeTree",
           "artifact_license", "fetch_wheels", "resolve_payload", "wheel_licenses"]
