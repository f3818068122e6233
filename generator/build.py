"""The build pipeline: recipe -> plan -> payload -> back ends -> artifacts.

Each stage is a function of the ones before it: the recipe is loaded and checked, its lock
read (and, for a lock made before choconsis recorded console scripts, completed from the
wheels: the lock stage), the plan is built from the two for one delivery mode, the payload
resolves (fetches and verifies) every file once, and each output the build asks for renders
the plan with the payload and produces its artifact through the one back-end interface
(:mod:`choconsis.backends.base`), in the dependency order of the outputs (an output that is
made from another's file, such as winget's manifests from setup.exe, receives its
description); the SBOM describes what went in. Everything is produced in
a staging folder inside the output folder and moved into place only when every part
succeeded, so a failed build leaves nothing half-written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import outfolder, ui
from .backends import sbom
from .backends.base import Backend, Description, Options, write_rendered
from .backends.outputs import backends_for
from .errors import UsageError
from .lock.files import read_recipe_lock  # its pylock, or an old-format lock beside it
from .lock.lockfile import Lock
from .lock.scripts import record_scripts, wheel_source
from .wheelfiles import wheel_commands
from .payload import ArtifactStore, Payload, resolve_payload
from .store import sha256_file
from .plan import Delivery, InstallPlan, build_plan, layout_of
from .plan.checkprogram import check_provided
from .plan.make import check_preinstallable
from .recipe import Recipe, load_recipe


@dataclass
class BuildOptions:
    out_dir: Path = Path("dist")
    offline: bool = False
    preinstall: bool = False  # offline only: wheels installed at build time (payload.preinstall)
    artifacts_dir: Path | None = None
    cache_dir: Path | None = None
    chocolatey: bool = True  # the nupkg output (see outputs)
    nsis: bool = True  # the setup output
    sign_cert: Path | None = None
    sign_key: Path | None = None
    sign_password: str | None = None
    outputs: tuple[str, ...] | None = None  # by public name; None: the recipe's [release]
    # outputs, without nupkg or setup when chocolatey or nsis above is False
    wait: float = outfolder.DEFAULT_WAIT  # for another build writing into out_dir (seconds)

    @property
    def delivery(self) -> Delivery:
        return Delivery.of_options(offline=self.offline, preinstall=self.preinstall)

    def output_names(self, recipe: Recipe) -> tuple[str, ...]:
        if self.outputs is not None:
            return self.outputs
        dropped = {"nupkg": not self.chocolatey, "setup": not self.nsis}
        return tuple(name for name in recipe.outputs if not dropped.get(name, False))

    @property
    def backend_options(self) -> Options:
        return Options(self.sign_cert, self.sign_key, self.sign_password)


@dataclass
class BuildResult:
    recipe: Recipe
    plan: InstallPlan
    nupkg: Path | None = None
    setup_exe: Path | None = None
    sources: list[Path] = field(default_factory=list)
    sbom: Path | None = None  # <out>/<id>-<version>.cdx.json: what went into the build
    outputs: list[Description] = field(default_factory=list)  # each artifact, described
    # each built file as it was on disk when the build put it there (size, sha256)
    measured: dict[Path, tuple[int, str]] = field(default_factory=dict)


def with_console_scripts(recipe: Recipe, lock: Lock, store: ArtifactStore, *,
                         fetch: bool = True) -> Lock:
    """The lock with the console scripts its plan needs (the lock stage).

    A lock made before choconsis recorded them is completed here from its wheels (fetched
    and verified; with ``fetch=False``, only those already in the cache), never in the plan.
    """
    if lock.console_scripts is not None or recipe.install.commands == ():
        return lock  # recorded, or none wanted
    ui.note(f"{lock.source}: the lock does not record its console scripts; reading them from "
            f"the wheels (run 'choconsis lock {recipe.source}' to record them)")
    return record_scripts(lock, recipe.pip.requirements, recipe.install.commands,
                          wheel_source(store, fetch=fetch), wheel_commands)


def plan_recipe(recipe: Recipe, delivery: Delivery, store: ArtifactStore, *,
                fetch: bool = True) -> InstallPlan:
    """The one way to plan a recipe: its lock (the lock stage), then the pure plan, whose
    commands must include the check command's program (or its folder be on PATH)."""
    lock = read_recipe_lock(recipe)
    if delivery is Delivery.PREINSTALLED:  # before any wheel is fetched
        check_preinstallable(recipe, lock, layout_of(recipe))
    plan = build_plan(recipe, with_console_scripts(recipe, lock, store, fetch=fetch), delivery)
    check_provided(recipe, plan.commands, partial=plan.lock.scripts_partial)
    return plan


def render_output(backend: Backend, plan: InstallPlan, payload: Payload,
                  dest: Path) -> Path | None:
    """Render one output's sources into ``dest/<its folder>``; return that folder (None for
    an output without sources of its own)."""
    rendered = backend.render(plan, payload)
    if backend.folder is None:
        return None
    return write_rendered(rendered, dest / backend.folder)


def payload_parts(backends: list[Backend]) -> frozenset[str]:
    """The extra payload parts the outputs need."""
    return frozenset().union(*(b.payload_parts for b in backends))


def _replace(src: Path, dst: Path) -> None:
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    elif dst.exists():
        dst.unlink()
    src.replace(dst)


def build(recipe_path: Path, opts: BuildOptions, *, compile_outputs: bool = True) -> BuildResult:
    """Build (or, with compile_outputs=False, only render) a recipe into opts.out_dir."""
    delivery = opts.delivery  # usage errors, before anything is read or fetched
    recipe = load_recipe(recipe_path)
    backends = backends_for(opts.output_names(recipe),
                            recipe.source if opts.outputs is None else None)
    for backend in backends:
        if backend.delivery is not None and backend.delivery is not delivery:
            raise UsageError(f"the {backend.output} output installs {backend.delivery} only: "
                             "build it with --offline --preinstall")
    store = ArtifactStore(cache_dir=opts.cache_dir, artifacts_dir=opts.artifacts_dir)
    plan = plan_recipe(recipe, delivery, store)
    result = BuildResult(recipe, plan)
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    with outfolder.locked(opts.out_dir, opts.wait):  # one build at a time in a folder
        outfolder.remove_leftovers(opts.out_dir)  # of builds that were killed
        staging = outfolder.make_staging(opts.out_dir)
        _stage_and_place(result, backends, store, staging, opts, compile_outputs)
    result.sources = [opts.out_dir / plan.package.id / b.folder for b in backends if b.folder]
    for output in result.outputs:
        if output.output == "nupkg":
            result.nupkg = output.path
        elif output.output == "setup":
            result.setup_exe = output.path
    return result


def _stage_and_place(result: BuildResult, backends: list[Backend], store: ArtifactStore,
                     staging: Path, opts: BuildOptions, compile_outputs: bool) -> None:
    """Produce everything in ``staging``, then move it into place and measure what is now on
    disk (size, sha256: what the summary says), all under the output folder's lock."""
    plan = result.plan
    described: list[tuple[Description, Path]] = []  # each artifact, with its staged file
    try:
        payload = resolve_payload(plan, store, staging / "payload", payload_parts(backends))
        src = staging / plan.package.id
        made: list[tuple[Path, Path]] = []  # (staged, final) of each artifact
        made_before: dict[str, Description] = {}  # each artifact made so far, staged
        options = opts.backend_options
        for backend in backends:
            folder = render_output(backend, plan, payload, src)
            if folder is not None:
                made.append((folder, opts.out_dir / plan.package.id / folder.name))
            if compile_outputs:
                name = backend.artifact_name(plan)
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                artifact = backend.produce(plan, folder, staging / name, options, made_before)
                made_before[backend.output] = backend.describe(plan, artifact, options)
                final = opts.out_dir / name
                made.append((artifact, final))
                described.append((backend.describe(plan, final, options), artifact))
        if compile_outputs:
            staged_sbom = sbom.write_sbom(plan, payload, staging, described)
            made.append((staged_sbom, opts.out_dir / staged_sbom.name))
        # Everything succeeded: move into place.
        (opts.out_dir / plan.package.id).mkdir(parents=True, exist_ok=True)
        for staged, final in made:
            final.parent.mkdir(parents=True, exist_ok=True)
            _replace(staged, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.outputs = [d for d, _ in described]
    if compile_outputs:
        result.sbom = made[-1][1]
        for final in [f for d in result.outputs for f in d.files] + [result.sbom]:
            result.measured[final] = (final.stat().st_size, sha256_file(final))
