"""Bytecode at install or at first run: the install engine's one start of python.exe compiling
the app's environment (compileall, in that process or with workers) against leaving it to the
app's first run, under Wine, for install + first run of a venv app.

    python benchmarks/bytecode.py [--work DIR] [--small]

The app is the OpenStack client of benchmarks/vs_pynsist.py (cp312 win_amd64, its lock from
the Wine tests' cache, ~55 wheels; ``--small``: the six wheel, for a quick look), installed
into its own environment on the WinPython CPython 3.12 runtime by choconsis_engine.py with
the plan's own steps description (make the venv, uv installs the lock offline, the commands'
launchers, PATH), as setup.exe runs it. Each row starts from a copy of one prepared prefix:

- first run compiles: the engine installs, then ``openstack --version`` (which compiles what it
  imports and writes it to __pycache__);
- engine compiles (1 process): as the engine would in its one start: compileall of the
  environment's site-packages, timed inside that process (the start itself is not counted:
  the engine runs anyway), then the first run;
- engine compiles (N workers): the same with compileall's process pool (each worker is one
  more start of python.exe).

A last row installs the way the installers did before the engine, for comparison: each
helper its own start of python.exe, with the commands the plan still composes for them
(``python -m venv``, uv.exe out of its wheel, uv, make_launchers.py, choconsis_path.py), then
the first run.

The table gives each part and the ratio of install + first run to the first row; the
second run shows the state both leave. All rows are measured in one run, side by side, with
the cost of one start of the runtime's python.exe (``-E -s -c 0``, the median of five) that
the engine saves per helper it replaces. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import vs_pynsist as vp  # noqa: E402  (the benchmark app's recipe and the load helpers)
from kit.wine import artifacts as wine_artifacts  # noqa: E402

from choconsis.datafiles import template_dir  # noqa: E402
from choconsis.lock.files import read_lock_file  # noqa: E402
from choconsis.store import ArtifactStore  # noqa: E402
from choconsis.payload.wheels import fetch_wheels  # noqa: E402
from choconsis.plan import (ENGINE_FILES, STEPS_FILE, Delivery, InstallPlan,  # noqa: E402
                            Marker, build_plan, engine_json)
from choconsis.plan.engine import engine_variables  # noqa: E402
from choconsis.recipe import parse_recipe  # noqa: E402
from choconsis.smoke.prefixes import template_prefix  # noqa: E402
from choconsis.smoke.wine import WinePrefix  # noqa: E402

APP = r"C:\BenchApp"
RUNTIME = r"C:\BenchPy"
FILES = r"C:\bench"  # the engine, its description, the lock, the wheels, the uv wheel
SITE = APP + r"\env\Lib\site-packages"
COMPILE = ("import compileall, time; t = time.time(); "
           "compileall.compile_dir(r'{site}', quiet=1, workers={workers}); "
           "print('compiled in %.2f s' % (time.time() - t))")


def lock_file(small: bool) -> tuple[Path, str]:
    """(the lock, its requirement) from the Wine tests' cache."""
    name = "six" if small else "python-openstackclient"
    folder = wine_artifacts.cache_dir() / "locks"
    found = sorted([*folder.glob(f"{name}-*.lock"), *folder.glob(f"pylock.{name}-*.toml")],
                   key=lambda p: p.stat().st_mtime)  # the newest, in either format
    pattern = f"{name}-*.lock or pylock.{name}-*.toml"
    if not found:
        raise SystemExit(f"no {pattern} in the Wine tests' cache: run tests/test_wine_e2e.py")
    lock = read_lock_file(found[-1])
    return found[-1], lock.requirements[0]


def recipe_text(requirement: str, small: bool) -> str:
    text = vp.RECIPE.replace("{sha256}", "0" * 64)
    text = re.sub(r'requirements = \[.*\]', f'requirements = ["{requirement}"]', text)
    if small:  # six has no command: the first run imports it
        text = text.replace('commands = ["openstack"]', "commands = []")
        text = text.replace('command = "openstack --version"', 'command = "python -c 0"')
    return text


def separate_starts(plan: InstallPlan, values: dict[str, str]) -> list[list[str]]:
    """The helpers' command lines as the installers ran them before the engine, in plan
    order: one start of python.exe each (and uv)."""
    found = []
    for step in plan.engine_steps:
        action = step.install
        if action.kind == "pip_install":
            commands = [action.prepare, action.command] if action.prepare else [action.command]
        elif action.kind == "expose_commands":
            commands = [action.command, action.path_command]
        else:
            commands = [action.command]
        for command in commands:
            found.append(["".join(values[p.name] if isinstance(p, Marker) else p for p in arg)
                          for arg in command])
    return found


def python_starts(commands: list[list[str]]) -> int:
    return sum(1 for c in commands if c[0].lower().endswith("python.exe"))


def prepare(work: Path, small: bool) -> tuple[WinePrefix, list[str], list[str],
                                              list[list[str]]]:
    """A prefix holding the runtime, the engine with the plan's description, the lock, its
    wheels and uv's; the engine's command line, the first run's, and the helpers' commands
    as they ran before the engine."""
    cache = wine_artifacts.cache_dir()
    lock_path, requirement = lock_file(small)
    lock = read_lock_file(lock_path)
    recipe = parse_recipe(tomllib.loads(recipe_text(requirement, small)), "bench.toml")
    commands = () if small else ("openstack",)
    plan = build_plan(recipe, lock, Delivery.OFFLINE, commands)
    base = work / "base"
    shutil.rmtree(base, ignore_errors=True)
    prefix = template_prefix(cache).copy_to(base)
    shutil.copytree(wine_artifacts.runtime_tree(cache), prefix.to_linux(RUNTIME))
    files = prefix.to_linux(FILES)
    (files / "wheels").mkdir(parents=True)
    for wheel in fetch_wheels(lock, ArtifactStore(cache_dir=cache / "artifacts")):
        shutil.copyfile(wheel, files / "wheels" / wheel.name)
    uv = wine_artifacts.uv_wheel_file(cache)
    shutil.copyfile(uv, files / uv.name)
    shutil.copyfile(lock_path, files / "requirements.lock")
    for name in ENGINE_FILES:
        shutil.copyfile(template_dir("choconsis.engine") / name, files / name)
    (files / STEPS_FILE).write_text(engine_json(plan), encoding="utf-8")
    values = {"install_dir": APP, "runtime_dir": RUNTIME, "state_dir": APP + r"\state",
              "scope": "user", "expose": "path", "lock": FILES + r"\requirements.lock",
              "wheels": FILES + r"\wheels", "file": FILES + "\\" + uv.name}
    engine = [RUNTIME + r"\python.exe", "-E", "-s", FILES + r"\choconsis_engine.py", "install",
              "--steps", FILES + "\\" + STEPS_FILE]
    for name in engine_variables(plan, "install"):
        engine += ["--var", f"{name}={values[name]}"]
    first = ([APP + r"\bin\openstack.exe", "--version"] if not small
             else [APP + r"\env\Scripts\python.exe", "-c", "import six"])
    prefix.kill()
    before = separate_starts(plan, {**values, "scripts": FILES})
    return prefix, engine, first, before


COMPILE_LIMIT = 300.0  # compileall's process pool was seen to hang under Wine


def timed(prefix: WinePrefix, args: list[str],
          timeout: float = 1800) -> tuple[float, int, str]:
    start = time.monotonic()
    result = prefix.run(args, timeout=timeout)  # a timeout kills the prefix's processes
    prefix.wait(1800)
    return time.monotonic() - start, (None if result.timed_out else result.code), result.output


def measure(base: WinePrefix, where: Path, install: list[list[str]], first: list[str],
            workers: int | None) -> dict[str, float | str]:
    shutil.rmtree(where, ignore_errors=True)
    prefix = base.copy_to(where)
    row: dict[str, float | str] = {"install": 0.0}
    try:
        for command in install:
            seconds, code, out = timed(prefix, command)
            row["install"] = float(row["install"]) + seconds
            if code != 0:
                raise SystemExit(f"{command[:4]} failed ({code}): {out[-500:]}")
        row["compile"] = 0.0
        if workers is not None:
            script = COMPILE.format(site=SITE, workers=workers)
            _, code, out = timed(prefix, [RUNTIME + r"\python.exe", "-E", "-s", "-c", script],
                                 COMPILE_LIMIT)
            found = re.search(r"compiled in ([\d.]+) s", out)
            if code is None:
                row["compile"] = COMPILE_LIMIT
                row["note"] = f"compileall hung; killed after {COMPILE_LIMIT:.0f} s"
            elif code != 0 or not found:
                raise SystemExit(f"compileall failed ({code}): {out[-500:]}")
            else:
                row["compile"] = float(found.group(1))
        row["first"], code, out = timed(prefix, first)
        row["second"], _, _ = timed(prefix, first)
        row["output"] = (out.strip().splitlines() or [f"exit {code}"])[-1]
        row["load"] = vp.load1()
    finally:
        prefix.kill()
        shutil.rmtree(where, ignore_errors=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path,
                        default=wine_artifacts.cache_dir() / "bench-bytecode")
    parser.add_argument("--small", action="store_true",
                        help="the six wheel instead of the OpenStack client")
    args = parser.parse_args(argv)
    base, engine, first, before = prepare(args.work, args.small)
    cores = os.cpu_count() or 1
    variants = [("first run compiles", [engine], None),
                ("engine compiles (1 process)", [engine], 1),
                (f"engine compiles ({cores} workers)", [engine], cores),
                (f"before the engine ({python_starts(before)} starts)", before, None)]
    starts = []
    try:
        for _ in range(5):
            starts.append(timed(base, [RUNTIME + r"\python.exe", "-E", "-s", "-c", "0"])[0])
    finally:
        base.kill()
    rows = []
    for label, install, workers in variants:
        vp.log(f"measuring: {label}")
        rows.append((label, measure(base, args.work / "run", install, first, workers)))
    app = "six" if args.small else "python-openstackclient"
    print(f"\n{app}, install by the engine + first run, under Wine ({cores} cores)\n")
    print(f"| {'variant':<30} | install | compile | 1st run |   total | ratio | 2nd run | load |")
    print(f"|{'-' * 32}|---------|---------|---------|---------|-------|---------|------|")
    reference = None
    for label, row in rows:
        total = float(row["install"]) + float(row["compile"]) + float(row["first"])
        reference = reference or total
        print(f"| {label:<30} | {row['install']:>5.1f} s | {row['compile']:>5.1f} s | "
              f"{row['first']:>5.1f} s | {total:>5.1f} s | {total / reference:.2f}x | "
              f"{row['second']:>5.1f} s | {row['load']:4.1f} |")
    for label, row in rows:
        print(f"{label}: first run printed {row['output']!r}"
              + (f" ({row['note']})" if "note" in row else ""))
    print(f"python.exe starts at install: {python_starts(before)} before the engine, 1 with it")
    print(f"one start of the runtime's python.exe: {sorted(starts)[2]:.2f} s "
          f"(five: {', '.join(f'{s:.2f}' for s in starts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
