"""Does a private runtime still need a venv? Install and first run under Wine, both ways.

    python benchmarks/private_runtime.py [--repeat N] [--work DIR]

One small app (a console script that prints its name, from a wheel made here, locked with
PyPI's uv wheel, which installs it) on a python.org-style runtime package (``[python]
installer = "package"``: the WinPython CPython 3.12 runtime zip, unpacked into the app's own
folder), built twice with ``--offline`` (every file embedded, nothing fetched): once with
``[install] environment = "venv"`` (the app's venv inside its folder, made by the private
runtime's ``venv``) and once with ``environment = "runtime"`` (the packages go into the
private runtime itself). Each installs per user (``/S /CurrentUser``) in its own fresh copy
of one clean prefix through ``choconsis smoke``, with ``[check] at_install = false``, so the
smoke phases give the install alone, the first run of the command (from a new cmd.exe, as a
user would start it), and the uninstall. The table gives each phase, the files and bytes the
install left under the app's folder, and the load average: the machine is shared, so compare
rows of one run. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import tomlkit  # noqa: E402

from choconsis.build import BuildOptions, build  # noqa: E402
from choconsis.lock.lockfile import Lock, LockedWheel, write_lock  # noqa: E402
from choconsis.smoke import run_smoke  # noqa: E402
from kit.locks import UV_VERSION  # noqa: E402
from kit.wheels import app_wheel, locked  # noqa: E402
from kit.wine.artifacts import cache_dir, runtime_zip, sha256_of, uv_wheel_file  # noqa: E402

PACKAGE_NAME = "python-3.12.1-amd64.zip"  # python.org's name of a runtime package


def recipe_text(environment: str, sha256: str, index: str) -> str:
    return tomlkit.dumps({
        "package": {"id": f"bench-{environment}", "version": "1.0.0",
                    "title": "private runtime benchmark", "authors": "choconsis",
                    "summary": "A small app on a private runtime package.",
                    "description": "benchmarks/private_runtime.py",
                    "project_url": "https://example.org/bench",
                    "license_url": "https://example.org/bench/license"},
        "python": {"version": "3.12.1", "arch": "amd64", "installer": "package",
                   "url": f"https://choconsis.invalid/python/3.12.1/{PACKAGE_NAME}",
                   "sha256": sha256, "index_id": "pythoncore-3.12-64", "index_tag": "3.12-64"},
        "install": {"scope": "user", "environment": environment},
        "pip": {"requirements": ["probe-app==1.0"], "index_url": index, "installer": "uv"},
        "check": {"command": "probe-app", "at_install": False},
    })


def make(environment: str, work: Path, cache: Path) -> tuple[Path, Path]:
    folder = work / environment
    artifacts = folder / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    package = runtime_zip(cache)
    shutil.copyfile(package, artifacts / PACKAGE_NAME)
    wheel = app_wheel(artifacts, "probe-app", "1.0", "probe-app")
    uv = uv_wheel_file(cache)
    shutil.copyfile(uv, artifacts / uv.name)
    index = "https://choconsis.invalid/simple"
    recipe = folder / f"bench-{environment}.toml"
    recipe.write_text(recipe_text(environment, sha256_of(package), index), encoding="utf-8")
    write_lock(recipe.with_suffix(".lock"), Lock(
        "cp312", "win_amd64", ("probe-app==1.0",), index,
        (locked(wheel, f"https://choconsis.invalid/wheels/{wheel.name}"),),
        installer=LockedWheel("uv", UV_VERSION, sha256_of(uv), uv.name,
                              f"https://choconsis.invalid/tools/{uv.name}")))
    result = build(recipe, BuildOptions(out_dir=folder / "dist", offline=True, chocolatey=False,
                                        artifacts_dir=artifacts, cache_dir=cache / "artifacts"))
    assert result.setup_exe is not None
    return recipe, result.setup_exe


def footprint(prefix_root: Path) -> tuple[int, int]:
    files = [p for p in prefix_root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    cache = cache_dir()
    work = args.work or Path(tempfile.mkdtemp(prefix="choconsis-private-runtime-"))
    rows = []
    builds = {env: make(env, work, cache) for env in ("venv", "runtime")}
    for i in range(args.repeat):
        for env, (recipe, exe) in builds.items():
            seen: dict[str, tuple[int, int]] = {}

            def inspect(prefix, env=env) -> None:
                programs = prefix.to_linux(prefix.folders()["user_programs"])
                seen["app"] = footprint(Path(programs) / f"bench-{env}")

            report = run_smoke(exe, recipe=str(recipe), keep_prefix=None, scope="user",
                               inspect=inspect)
            phases = {p.name: p.seconds for p in report.phases}
            rows.append((i + 1, env, report.ok, phases, seen.get("app", (0, 0)),
                         os.getloadavg()[0]))
            print(f"[{time.strftime('%H:%M:%S')}] run {i + 1} {env}: ok={report.ok} " + ", ".join(
                f"{k} {v:.1f} s" for k, v in phases.items()), flush=True)
            if not report.ok:
                print(report.format())
    print()
    print("| run | environment | install (s) | first run (s) | uninstall (s) | files | MB "
          "| load1 |")
    print("|---|---|---|---|---|---|---|---|")
    for run, env, ok, ph, (files, size), load in rows:
        print(f"| {run} | {env}{'' if ok else ' (FAILED)'} | {ph.get('install', 0):.1f} | "
              f"{ph.get('check', 0):.1f} | {ph.get('uninstall', 0):.1f} | {files} | "
              f"{size / 1e6:.1f} | {load:.1f} |")


if __name__ == "__main__":
    main()
