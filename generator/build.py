"""The build pipeline: recipe -> plan -> payload -> back ends -> artifacts.

Each stage is a function of the ones before it: the recipe is loaded and checked, the plan is
built from it and its lock for one delivery mode, the payload resolves (fetches and verifies)
every file once, the Chocolatey and NSIS back ends render the plan with the payload, and the
packer, makensis and the SBOM write the outputs. Everything is produced in a staging folder
inside the output folder and moved into place only when every part succeeded, so a failed
build leaves nothing half-written.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .backends import chocolatey, nsis, sbom
from .errors import RecipeError
from .lock.lockfile import read_lock
from .payload import ArtifactStore, Payload, resolve_payload
from .payload.commands import requirement_commands
from .plan import Delivery, InstallPlan, build_plan, layout_of
from .plan.make import check_preinstallable
from .recipe import Recipe, load_recipe


@dataclass
class BuildOptions:
    out_dir: Path = Path("dist")
    offline: bool = False
    preinstall: bool = False  # offline only: wheels installed at build time (payload.preinstall)
    artifacts_dir: Path | None = None
    cache_dir: Path | None = None
    chocolatey: bool = True
    nsis: bool = True
    sign_cert: Path | None = None
    sign_key: Path | None = None
    sign_password: str | None = None

    @property
    def delivery(self) -> Delivery:
        return Delivery.of_options(offline=self.offline, preinstall=self.preinstall)


@dataclass
class BuildResult:
    recipe: Recipe
    plan: InstallPlan
    nupkg: Path | None = None
    setup_exe: Path | None = None
    sources: list[Path] = field(default_factory=list)
    sbom: Path | None = None  # <out>/<id>-<version>.cdx.json: what went into the build


def output_names(plan: InstallPlan) -> tuple[str, str]:
    pkg = plan.package
    return f"{pkg.id}.{pkg.version}.nupkg", f"{pkg.id}-{pkg.version}-setup.exe"


def render_sources(plan: InstallPlan, payload: Payload, dest: Path,
                   opts: BuildOptions) -> tuple[Path, Path]:
    """Render both back ends' sources under dest/chocolatey and dest/nsis."""
    choco_dir, nsis_dir = dest / "chocolatey", dest / "nsis"
    if opts.chocolatey:
        chocolatey.render(plan, payload, choco_dir)
    if opts.nsis:
        nsis.render(plan, payload, nsis_dir)
    return choco_dir, nsis_dir


def plan_recipe(recipe: Recipe, delivery: Delivery, store: ArtifactStore, *,
                fetch: bool = True) -> InstallPlan:
    """The plan of a recipe and its lock; the commands it puts on PATH come from the
    requirements' locked wheels unless the recipe names them (see requirement_commands)."""
    if recipe.lock_path is None:
        raise RecipeError(recipe.source, None, "recipe has no lock path")
    lock = read_lock(recipe.lock_path)
    lock.check_matches(recipe)
    if delivery is Delivery.PREINSTALLED:  # before the wheels are fetched for their commands
        check_preinstallable(recipe, lock, layout_of(recipe))
    return build_plan(recipe, lock, delivery,
                      requirement_commands(recipe, lock, store, fetch=fetch))


def _replace(src: Path, dst: Path) -> None:
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    elif dst.exists():
        dst.unlink()
    src.replace(dst)


def build(recipe_path: Path, opts: BuildOptions, *, compile_outputs: bool = True) -> BuildResult:
    """Build (or, with compile_outputs=False, only render) a recipe into opts.out_dir."""
    delivery = opts.delivery  # a usage error, before anything is read or fetched
    recipe = load_recipe(recipe_path)
    store = ArtifactStore(cache_dir=opts.cache_dir, artifacts_dir=opts.artifacts_dir)
    plan = plan_recipe(recipe, delivery, store)
    result = BuildResult(recipe, plan)
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".choconsis-", dir=opts.out_dir))
    try:
        payload = resolve_payload(plan, delivery, store, staging / "payload")
        src = staging / plan.package.id
        choco_dir, nsis_dir = render_sources(plan, payload, src, opts)
        nupkg_name, exe_name = output_names(plan)
        if compile_outputs and opts.chocolatey:
            chocolatey.pack(choco_dir, staging / nupkg_name)
        if compile_outputs and opts.nsis:
            nsis.compile_installer(nsis_dir, staging / exe_name, plan=plan,
                                   sign_cert=opts.sign_cert, sign_key=opts.sign_key,
                                   sign_password=opts.sign_password)
        if compile_outputs:
            staged_sbom = sbom.write_sbom(plan, payload, staging)
        # Everything succeeded: move into place.
        final_src = opts.out_dir / plan.package.id
        final_src.mkdir(parents=True, exist_ok=True)
        for part in (choco_dir, nsis_dir):
            if part.exists():
                _replace(part, final_src / part.name)
                result.sources.append(final_src / part.name)
        if compile_outputs and opts.chocolatey:
            _replace(staging / nupkg_name, opts.out_dir / nupkg_name)
            result.nupkg = opts.out_dir / nupkg_name
        if compile_outputs and opts.nsis:
            _replace(staging / exe_name, opts.out_dir / exe_name)
            result.setup_exe = opts.out_dir / exe_name
        if compile_outputs:
            _replace(staged_sbom, opts.out_dir / staged_sbom.name)
            result.sbom = opts.out_dir / staged_sbom.name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result
