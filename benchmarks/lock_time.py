"""Lock time of the default recipe: choconsis's two resolvers, pip download, uv pip compile.

    python benchmarks/lock_time.py [RECIPE] [--warm N]

Resolves the recipe's [pip] requirements for its Windows target four ways, one after the other
on this machine in this run, each first with an empty cache (cold) and then N times with the
cache the cold run filled (warm, median); the ratios are against choconsis with pip:

* choconsis, pip  ``choconsis.lock.resolve.resolve_lock(resolver="pip")``: pip's resolver
  through the shim, ``install --dry-run --report`` (reads PEP 658 metadata, hashes come from the
  index): what a Python 2 lock uses, and what a Python 3 lock used before;
* choconsis, uv   ``resolve_lock(resolver="uv")``, the Python 3 default: ``uv pip compile
  --format pylock.toml`` for the target, read into the lock (lock/uvresolve.py);
* pip        ``pip download --only-binary=:all: --platform win_amd64 --python-version 3.14
  --implementation cp -d TMP REQS`` (downloads every wheel; hashes would need a second step);
* uv         ``uv pip compile --python-platform x86_64-pc-windows-msvc --python-version 3.14
  --generate-hashes --python THIS-PYTHON`` alone (the uv of the ``uv`` package choconsis
  depends on; ``--python`` spares it the search for an interpreter, as choconsis does).

Caches are isolated per tool and per run: pip's through XDG_CACHE_HOME (choconsis clears every
PIP_* variable, so PIP_CACHE_DIR would not reach it), uv's through UV_CACHE_DIR (the one UV_*
variable choconsis keeps) or --cache-dir.
Needs the internet (PyPI). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from choconsis.recipe import load_recipe  # noqa: E402
from choconsis.lock.resolve import resolve_lock  # noqa: E402

UV_PLATFORM = {"win_amd64": "x86_64-pc-windows-msvc", "win32": "i686-pc-windows-msvc"}


def find_uv() -> str:
    """The uv that choconsis resolves with (PyPI's uv package, a dependency)."""
    from choconsis.lock.uvresolve import uv_binary

    return uv_binary()


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recipe", nargs="?",
                        default=str(ROOT / "recipes" / "openstack-clients.toml"))
    parser.add_argument("--warm", type=int, default=3, help="warm runs per tool (median shown)")
    args = parser.parse_args()
    recipe = load_recipe(args.recipe)
    reqs = list(recipe.pip.requirements)
    minor, platform = recipe.python.minor_version, recipe.python.platform
    work = Path(tempfile.mkdtemp(prefix="choconsis-bench-"))
    try:
        uv = find_uv()
        uv_version = " ".join(run([uv, "--version"]).stdout.split()[:2])
        pip_version = run([sys.executable, "-m", "pip", "--version"]).stdout.split()[1]
        (work / "requirements.in").write_text("\n".join(reqs) + "\n", encoding="utf-8")
        runs = {0: 0}

        def fresh(name: str) -> Path:
            runs[0] += 1
            path = work / f"{name}-{runs[0]}"
            path.mkdir()
            return path

        def choconsis(resolver: str) -> Callable[[Path], int]:
            def run_it(cache: Path) -> int:
                os.environ["XDG_CACHE_HOME"] = str(cache)
                os.environ["UV_CACHE_DIR"] = str(cache / "uv")
                try:
                    return len(resolve_lock(recipe, index_url=recipe.pip.index_url,
                                            resolver=resolver).wheels)
                finally:
                    del os.environ["XDG_CACHE_HOME"], os.environ["UV_CACHE_DIR"]
            return run_it

        def pip_download(cache: Path) -> int:
            dest = fresh("pip-dest")
            env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
            env.update(XDG_CACHE_HOME=str(cache), PIP_CONFIG_FILE=os.devnull)
            run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--only-binary=:all:", "--platform", platform, "--python-version", minor,
                 "--implementation", "cp", "--index-url", recipe.pip.index_url,
                 "-d", str(dest), *reqs], env)
            return len(list(dest.glob("*.whl")))

        def uv_compile(cache: Path) -> int:
            out = run([uv, "pip", "compile", "--quiet", "--cache-dir", str(cache),
                       "--python", sys.executable,
                       "--python-platform", UV_PLATFORM[platform], "--python-version", minor,
                       "--generate-hashes", "--index-url", recipe.pip.index_url,
                       "--no-header", str(work / "requirements.in")]).stdout
            return sum(1 for line in out.splitlines() if "==" in line and not line.startswith(" "))

        tools = [("choconsis lock, pip", choconsis("pip")),
                 (f"choconsis lock, {uv_version}", choconsis("uv")),
                 (f"pip {pip_version} download", pip_download),
                 (f"{uv_version} pip compile", uv_compile)]
        caches = {name: fresh("cache") for name, _ in tools}
        results: dict[str, dict[str, object]] = {name: {} for name, _ in tools}
        for name, fn in tools:  # cold: all tools, then warm: all tools, interleaved
            results[name]["cold"], results[name]["wheels"] = timed(lambda: fn(caches[name]))
        for _ in range(args.warm):
            for name, fn in tools:
                results[name].setdefault("warm", []).append(timed(lambda: fn(caches[name]))[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = results[tools[0][0]]
    print(f"Lock time of {recipe.name} ({len(reqs)} requirements, cp{minor.replace('.', '')} "
          f"{platform}), {args.warm} warm runs (median); {os.cpu_count()} CPUs\n")
    header = ("tool", "wheels", "cold s", "warm s", "cold vs choconsis+pip",
              "warm vs choconsis+pip")
    rows = [header]
    for name, _ in tools:
        r = results[name]
        warm = statistics.median(r["warm"])  # type: ignore[arg-type]
        rows.append((name, str(r["wheels"]), f"{r['cold']:.1f}", f"{warm:.1f}",
                     f"{r['cold'] / base['cold']:.2f}x",  # type: ignore[operator]
                     f"{warm / statistics.median(base['warm']):.2f}x"))  # type: ignore[arg-type]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
