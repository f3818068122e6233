"""The MSI against setup.exe for the same app: build time and size, and (with --wine) the
silent install, the first run of the command and the uninstall under Wine.

    python benchmarks/msi_vs_setup.py [--wine] [--work DIR]

One small app (tests/kit/release.py: hello-app 1.0, two console scripts) on the WinPython
CPython 3.12 runtime zip the Wine tests cache, built with ``--offline --preinstall`` once per
output (``setup``, then ``msi``; warm caches, nothing fetched). Under Wine each installer
runs per user in its own copy of one clean prefix: ``setup.exe /S /CurrentUser`` or
``msiexec /i app.msi /qn ALLUSERS=""`` (Wine 8.0 installs ALLUSERS=2 for the machine), the
first ``cmd /c hello``, and the uninstall (the registered uninstaller with ``/S``, or
``msiexec /x {ProductCode} /qn``). The machine is shared: compare the ratios of one run.
Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from choconsis.build import BuildOptions, build  # noqa: E402
from choconsis.smoke.prefixes import template_prefix  # noqa: E402
from choconsis.smoke.wine import find_wine  # noqa: E402
from kit.release import write_release  # noqa: E402
from kit.wine.artifacts import cache_dir, runtime_zip  # noqa: E402


def timed(action) -> tuple[float, object]:
    start = time.monotonic()
    result = action()
    return time.monotonic() - start, result


def build_one(work: Path, output: str) -> tuple[float, Path]:
    cache = cache_dir()
    recipe, artifacts = write_release(work / output, runtime_zip(cache), outputs=[output])
    opts = BuildOptions(out_dir=work / output / "dist", artifacts_dir=artifacts,
                        cache_dir=cache / "artifacts", offline=True, preinstall=True)
    seconds, result = timed(lambda: build(recipe, opts))
    return seconds, result.outputs[0].path  # type: ignore[attr-defined]


def product_code(msi: Path) -> str:
    rows = subprocess.run(["msiinfo", "export", str(msi), "Property"], capture_output=True,
                          text=True, check=True).stdout.splitlines()
    return next(r.split("\t")[1] for r in rows if r.startswith("ProductCode\t"))


def wine_phases(work: Path, output: str, artifact: Path) -> list[float]:
    template = template_prefix(cache_dir() / "wine", find_wine())
    prefix = template.copy_to(work / f"prefix-{output}")
    try:
        win = prefix.to_windows(artifact)
        if output == "msi":
            install = ["msiexec", "/i", win, "/qn", "ALLUSERS="]
            uninstall = ["msiexec", "/x", product_code(artifact), "/qn"]
        else:
            install = [win, "/S", "/CurrentUser"]
            folder = f"{prefix.folders()['user_programs']}\\hello-app\\choconsis-hello-app"
            uninstall = [f"{folder}\\uninstall.exe", "/S", f"_?={folder}"]
        phases = []
        for args in (install, ["cmd", "/d", "/c", "hello"], uninstall):
            seconds, result = timed(lambda: (prefix.run(args, timeout=600, cwd=work),
                                             prefix.wait())[0])
            if result.code != 0:  # type: ignore[attr-defined]
                raise SystemExit(f"{output}: {args[0]} failed: {result.output}")  # type: ignore[attr-defined]
            phases.append(seconds)
        return phases
    finally:
        prefix.kill()
        shutil.rmtree(prefix.path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wine", action="store_true", help="also install under Wine")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-msi-"))
    rows = {}
    for output in ("setup", "msi"):
        seconds, artifact = build_one(work, output)
        rows[output] = [seconds, artifact.stat().st_size / 2**20]
        if args.wine:
            rows[output] += wine_phases(work, output, artifact)
    names = ["build s", "size MiB"] + (["install s", "first run s", "uninstall s"]
                                       if args.wine else [])
    print(f"{'':10}" + "".join(f"{n:>14}" for n in names))
    for output, values in rows.items():
        print(f"{output:10}" + "".join(f"{v:14.1f}" for v in values))
    print(f"{'msi/setup':10}" + "".join(f"{m / s:14.2f}" for m, s in zip(rows["msi"],
                                                                         rows["setup"])))
    print(f"(load average {os.getloadavg()[0]:.1f}; work folder {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
