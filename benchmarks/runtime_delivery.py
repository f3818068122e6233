"""A runtime package fetched at install time (web) or embedded (offline): setup.exe's size
and the install under Wine, both ways.

    python benchmarks/runtime_delivery.py [--repeat N] [--work DIR]

One small app (a console script from a wheel made here, installed by PyPI's uv) on a
python.org-style runtime package (``[python] installer = "package"``: the WinPython CPython
3.12 zip, 4,441 files), per user, in its venv, built twice from the same recipe and lock:
web (the default: setup.exe downloads the package from a loopback server at install time,
checks its sha256 and unpacks it with tar.exe, under Wine the stand-in of
``choconsis.smoke.tar``; uv and the wheel come from the same server) and ``--offline`` (the
package's tree, uv and the wheel embedded). Each installs (``/S /CurrentUser``) in its own
fresh copy of one clean prefix through ``choconsis smoke``, with ``[check] at_install =
false``. The table gives setup.exe's size and the smoke phases; the machine is shared, so
compare rows of one run (the load average is printed). Nothing here asserts a timing.
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
from kit.http import LoopbackServer  # noqa: E402
from kit.locks import UV_VERSION  # noqa: E402
from kit.wheels import app_wheel, serve_index  # noqa: E402
from kit.wine.artifacts import cache_dir, runtime_zip, sha256_of, uv_wheel_file  # noqa: E402

PACKAGE_NAME = "python-3.12.1-amd64.zip"  # python.org's name of a runtime package


def make(server: LoopbackServer, work: Path, cache: Path) -> tuple[Path, dict[str, Path]]:
    """The recipe and lock (every URL on the loopback server), and setup.exe per mode."""
    artifacts = work / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    package = runtime_zip(cache)
    shutil.copyfile(package, artifacts / PACKAGE_NAME)
    wheel = app_wheel(artifacts, "probe-app", "1.0", "probe-app")
    uv = uv_wheel_file(cache)
    shutil.copyfile(uv, artifacts / uv.name)
    package_url = server.add(f"/python/3.12.1/{PACKAGE_NAME}", package.read_bytes())
    uv_url = server.add(f"/tools/{uv.name}", uv.read_bytes())
    index, wheels = serve_index(server, [wheel])
    recipe = work / "bench-delivery.toml"
    recipe.write_text(tomlkit.dumps({
        "package": {"id": "bench-delivery", "version": "1.0.0",
                    "title": "runtime delivery benchmark", "authors": "choconsis",
                    "summary": "A small app on a private runtime package.",
                    "description": "benchmarks/runtime_delivery.py",
                    "project_url": "https://example.org/bench",
                    "license_url": "https://example.org/bench/license"},
        "python": {"version": "3.12.1", "arch": "amd64", "installer": "package",
                   "url": package_url, "sha256": sha256_of(package),
                   "index_id": "pythoncore-3.12-64"},
        "install": {"scope": "user", "environment": "venv"},
        "pip": {"requirements": ["probe-app==1.0"], "index_url": index, "installer": "uv"},
        "check": {"command": "probe-app", "at_install": False},
    }), encoding="utf-8")
    write_lock(recipe.with_suffix(".lock"), Lock(
        "cp312", "win_amd64", ("probe-app==1.0",), index, tuple(wheels),
        installer=LockedWheel("uv", UV_VERSION, sha256_of(uv), uv.name, uv_url)))
    exes = {}
    for mode, offline in (("web", False), ("offline", True)):
        result = build(recipe, BuildOptions(out_dir=work / mode, offline=offline,
                                            chocolatey=False, artifacts_dir=artifacts,
                                            cache_dir=cache / "artifacts"))
        assert result.setup_exe is not None
        exes[mode] = result.setup_exe
    return recipe, exes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    cache = cache_dir()
    work = args.work or Path(tempfile.mkdtemp(prefix="choconsis-runtime-delivery-"))
    rows = []
    with LoopbackServer() as server:
        recipe, exes = make(server, work, cache)
        for i in range(args.repeat):
            for mode, exe in exes.items():
                report = run_smoke(exe, recipe=str(recipe), keep_prefix=None, scope="user")
                phases = {p.name: p.seconds for p in report.phases}
                rows.append((i + 1, mode, report.ok, exe.stat().st_size, phases,
                             os.getloadavg()[0]))
                print(f"[{time.strftime('%H:%M:%S')}] run {i + 1} {mode}: ok={report.ok} "
                      + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()), flush=True)
                if not report.ok:
                    print(report.format())
    print()
    print("| run | mode | setup.exe (MB) | install (s) | first run (s) | uninstall (s) | load1 |")
    print("|---|---|---|---|---|---|---|")
    for run, mode, ok, size, ph, load in rows:
        print(f"| {run} | {mode}{'' if ok else ' (FAILED)'} | {size / 1e6:.2f} | "
              f"{ph.get('install', 0):.1f} | {ph.get('check', 0):.1f} | "
              f"{ph.get('uninstall', 0):.1f} | {load:.1f} |")


if __name__ == "__main__":
    main()
