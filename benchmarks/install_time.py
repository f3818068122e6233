"""pip against uv at install time, under Wine, on one lock: setup.exe in both delivery modes,
and the Chocolatey side's command alone.

    python benchmarks/install_time.py [--work DIR] [--only setup|chocolatey]

The app is benchmarks/vs_pynsist.py's (python-openstackclient, cp312 win_amd64, in its own
environment, on the WinPython CPython 3.12 zip runtime), locked once; its ~55 wheels are the
same files in every row. Four setup.exe are built from that recipe and lock, differing in one
field each: ``[pip] installer`` (pip | uv) and the delivery (``--offline``: the wheels
embedded; web: setup.exe installs from a PEP 503 index that this script serves on loopback
with the same wheel files, and fetches the uv wheel from it too). Each installs with ``/S
/NoCheck`` in its own copy of one clean prefix; the table gives the whole install and the
packages step alone (from the install log's timestamps), with the load average beside.

The Chocolatey side cannot run here (no PowerShell), but what it runs to install the lock is
the plan's command, the one setup.exe runs too (``choconsis.plan.commands``): the script
takes that command from the plan, puts each install-time value where chocolateyInstall.ps1
would have it (the package's tools folder, the environment under the install folder), and
runs it under Wine in a prefix holding the runtime and the empty environment: offline (the
package's embedded wheels) and web (the loopback index), pip and uv. uv's extraction from its
wheel (the plan's other command) is timed apart. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

import vs_pynsist as vp  # noqa: E402  (the benchmark app, its lock and the Wine helpers)
from kit.wine import artifacts as wine_artifacts  # noqa: E402

from choconsis.backends.chocolatey.scripts import PS_VARIABLES  # noqa: E402
from choconsis.lock.files import found_lock, read_lock_file  # noqa: E402
from choconsis.lock.lockfile import write_lock  # noqa: E402
from choconsis.build import plan_recipe  # noqa: E402
from choconsis.payload import ArtifactStore  # noqa: E402
from choconsis.plan.actions import MakeVenv, PipInstall  # noqa: E402
from choconsis.plan.delivery import Delivery  # noqa: E402
from choconsis.plan import Command, InstallPlan  # noqa: E402
from choconsis.plan.values import command_line  # noqa: E402
from choconsis.recipe import load_recipe  # noqa: E402
from choconsis.smoke.prefixes import template_prefix  # noqa: E402
from choconsis.smoke.wine import WinePrefix  # noqa: E402
from kit.http import LoopbackServer  # noqa: E402
from kit.wheels import serve_index  # noqa: E402
from kit.wine.artifacts import uv_wheel_file  # noqa: E402

# where chocolateyInstall.ps1's variables point in the benchmark prefix
CHOCO_TOOLS = r"C:\ProgramData\chocolatey\lib\openstack-bench\tools"
CHOCO_VALUES = {"$toolsDir": CHOCO_TOOLS, "$installDir": r"C:\Program Files\openstack-bench",
                "$runtimeDir": vp.RUNTIME_DIR,
                "$stateDir": r"C:\Program Files\openstack-bench\choconsis-openstack-bench",
                "$wheelsDir": CHOCO_TOOLS + r"\wheels", "$scope": "machine", "$allUsers": "1",
                "$programFiles": r"C:\Program Files"}
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(.*)$")


@dataclass
class Row:
    label: str
    seconds: float = 0.0
    step_s: float | None = None  # the packages step alone (setup.exe's log)
    load: float = 0.0
    code: int = 0
    notes: list[str] = field(default_factory=list)


def variant(work: Path, base_recipe: Path, installer: str, index: str | None) -> Path:
    """The benchmark recipe with one installer and (web) the loopback index, its lock beside."""
    folder = work / f"{installer}-{'web' if index else 'offline'}"
    folder.mkdir(parents=True, exist_ok=True)
    text = base_recipe.read_text(encoding="utf-8")
    pip = f'installer = "{installer}"\n' + (f'index_url = "{index}"\n' if index else "")
    text = text.replace("[pip]\n", "[pip]\n" + pip, 1)
    recipe = folder / base_recipe.name
    recipe.write_text(text, encoding="utf-8")
    return recipe


def write_variant_lock(recipe: Path, base_recipe: Path, index: str | None,
                       uv_url: str | None) -> None:
    """The base recipe's lock (its pylock, or an old .lock), moved to ``index`` and ``uv_url``,
    as an old-format lock beside ``recipe`` (which still builds)."""
    lock = read_lock_file(found_lock(load_recipe(base_recipe)))
    if index:
        lock = replace(lock, index_url=index)
    if uv_url and lock.installer:
        lock = replace(lock, installer=replace(lock.installer, url=uv_url))
    write_lock(recipe.with_suffix(".lock"), lock)


def build(recipe: Path, artifacts: Path, cache: Path, offline: bool) -> Path:
    out = recipe.parent / "dist"
    shutil.rmtree(out, ignore_errors=True)
    vp.run([sys.executable, "-m", "choconsis", "build", "-q", str(recipe),
            *(["--offline"] if offline else []), "--artifacts", str(artifacts),
            "--cache", str(cache), "-o", str(out)], cwd=ROOT)
    return next(out.glob("*-setup.exe"))


def step_seconds(lines: list[str], action: str) -> float | None:
    """From the log line that starts the step of ``action`` (the plan's action kind) to the
    next step's start (or the registration that follows the last step)."""
    stamps = [(datetime.fromisoformat(m.group(1)), m.group(2))
              for m in map(LOG_LINE.match, lines) if m]
    for i, (when, text) in enumerate(stamps):
        if f": start ({action};" in text:
            rest = [w for w, t in stamps[i + 1:] if ": start (" in t or t.startswith("registering")]
            return ((rest[0] if rest else stamps[-1][0]) - when).total_seconds()
    return None


def install_setup(exe: Path, template: WinePrefix, where: Path, label: str) -> Row:
    row = Row(label)
    shutil.rmtree(where, ignore_errors=True)
    prefix = template.copy_to(where)
    try:
        start = time.monotonic()
        result = prefix.run([str(exe), "/S", "/NoCheck"], timeout=1800)
        prefix.wait(1800)
        row.seconds, row.load, row.code = time.monotonic() - start, vp.load1(), result.code
        _, location = vp.find_entry(prefix, "openstack-bench")
        lines = vp.read_install_log(prefix, location)
        row.step_s = step_seconds(lines, "pip_install")
        if row.code != 0:
            row.notes.append(f"exit code {row.code}: " + " | ".join(lines[-3:]))
    finally:
        prefix.kill()
        shutil.rmtree(where, ignore_errors=True)
    return row


def chocolatey_prefix(template: WinePrefix, where: Path, wheels: Path, lock: Path,
                      uv_wheel: Path) -> WinePrefix:
    """A prefix as chocolateyInstall.ps1 leaves it before its packages step: the runtime
    unpacked, the app's empty environment, the package's tools folder with the lock, the
    wheels (offline) and the uv wheel."""
    shutil.rmtree(where, ignore_errors=True)
    prefix = template.copy_to(where)
    runtime = prefix.to_linux(vp.RUNTIME_DIR)
    with zipfile.ZipFile(wine_artifacts.runtime_zip(wine_artifacts.cache_dir())) as archive:
        archive.extractall(runtime)
    tools = prefix.to_linux(CHOCO_TOOLS)
    shutil.copytree(wheels, tools / "wheels")
    shutil.copyfile(lock, tools / lock.name)
    shutil.copyfile(uv_wheel, tools / uv_wheel.name)
    return prefix


def run_line(prefix: WinePrefix, line: str) -> tuple[int, float, str]:
    script = prefix.drive_c / "bench-step.cmd"
    script.write_text("@echo off\r\n" + line + "\r\n", encoding="utf-8", newline="")
    start = time.monotonic()
    result = prefix.run(["cmd", "/d", "/c", "C:\\bench-step.cmd"], timeout=1800)
    prefix.wait(1800)
    return result.code, time.monotonic() - start, result.output


def chocolatey_rows(recipes: dict[tuple[str, bool], Path], template: WinePrefix, work: Path,
                    wheels: Path) -> list[Row]:
    """The plan's packages-step commands with Chocolatey's values, timed under Wine."""
    rows = []
    for (installer, offline), recipe in recipes.items():
        plan = plan_recipe(load_recipe(recipe), Delivery.OFFLINE if offline else Delivery.WEB,
                           ArtifactStore())
        action = plan.packages_step.install
        assert isinstance(action, PipInstall), action
        lock = recipe.with_suffix(".lock")
        values = {**CHOCO_VALUES, "$lockFile": CHOCO_TOOLS + "\\" + lock.name}
        uv_wheel = uv_wheel_file(wine_artifacts.cache_dir())
        values["$file"] = CHOCO_TOOLS + "\\" + uv_wheel.name

        def text(templated) -> str:
            return "".join(p if isinstance(p, str) else values[PS_VARIABLES[p]]
                           for p in command_line(templated))

        label = f"{installer}, {'offline' if offline else 'web'} (Chocolatey's command)"
        prefix = chocolatey_prefix(template, work / "prefix-choco", wheels, lock, uv_wheel)
        try:
            code, _, out = run_line(prefix, text(plan_venv_command(plan)))
            if code != 0:
                rows.append(Row(label, code=code, notes=[f"venv failed: {out[-300:]}"]))
                continue
            if action.prepare:
                code, seconds, out = run_line(prefix, text(action.prepare))
                rows.append(Row("  uv.exe out of its wheel", seconds, load=vp.load1(),
                                code=code))
            code, seconds, out = run_line(prefix, text(action.command))
            row = Row(label, seconds, load=vp.load1(), code=code)
            if code != 0:
                row.notes.append(out.strip()[-300:])
            rows.append(row)
        finally:
            prefix.kill()
            shutil.rmtree(work / "prefix-choco", ignore_errors=True)
    return rows


def plan_venv_command(plan: InstallPlan) -> Command:
    """The environment step's command (the runtime's python -m venv)."""
    for step in plan.steps:
        if isinstance(step.install, MakeVenv):
            return step.install.command
    raise SystemExit("the benchmark recipe has no environment step")


def print_rows(rows: list[Row]) -> None:
    print()
    print(f"| {'install of the lock (Wine)':<44} | {'whole':>8} | {'step':>8} | load | exit |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|------|------|")
    for row in rows:
        step = f"{row.step_s:.1f} s" if row.step_s is not None else ""
        print(f"| {row.label:<44} | {row.seconds:>6.1f} s | {step:>8} | {row.load:4.1f} | "
              f"{row.code:>4} |")
    for row in rows:
        for note in row.notes:
            print(f"{row.label}: {note}")
    by = {r.label: r for r in rows}
    print()
    for kind in ("setup.exe", "Chocolatey's command"):
        for mode in ("offline", "web"):
            pip = by.get(f"pip, {mode} ({kind})")
            uv = by.get(f"uv, {mode} ({kind})")
            if pip and uv and pip.seconds and uv.seconds:
                extra = ""
                if pip.step_s and uv.step_s:
                    extra = f"; the step alone {uv.step_s / pip.step_s:.2f}x"
                print(f"uv / pip, {mode}, {kind}: {uv.seconds / pip.seconds:.2f}x{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path,
                        default=wine_artifacts.cache_dir() / "bench-install-time")
    parser.add_argument("--only", choices=("setup", "chocolatey"))
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    base = wine_artifacts.cache_dir() / "bench-vs-pynsist"
    cache = base / "choconsis-cache"
    base_recipe, artifacts, wheels = vp.prepare_choconsis(base, cache)
    template = template_prefix(wine_artifacts.cache_dir())
    uv = uv_wheel_file(wine_artifacts.cache_dir())
    rows: list[Row] = []
    with LoopbackServer() as server:
        index, _ = serve_index(server, sorted(wheels.glob("*.whl")))
        uv_url = server.add(f"/tools/{uv.name}", uv.read_bytes())
        recipes: dict[tuple[str, bool], Path] = {}
        for installer in ("pip", "uv"):
            for offline in (True, False):
                recipe = variant(work / ("offline" if offline else "web"), base_recipe,
                                 installer, None if offline else index)
                write_variant_lock(recipe, base_recipe,
                                   None if offline else index, None if offline else uv_url)
                recipes[(installer, offline)] = recipe
        if args.only != "chocolatey":
            for (installer, offline), recipe in recipes.items():
                mode = "offline" if offline else "web"
                vp.log(f"setup.exe, {installer}, {mode}: build")
                exe = build(recipe, artifacts, cache, offline)
                vp.log(f"setup.exe, {installer}, {mode}: /S /NoCheck under Wine")
                rows.append(install_setup(exe, template, work / "prefix-setup",
                                          f"{installer}, {mode} (setup.exe)"))
        if args.only != "setup":
            vp.log("Chocolatey's commands under Wine")
            rows += chocolatey_rows(recipes, template, work, wheels)
    print_rows(rows)
    print()
    vp.print_load()
    return 0


if __name__ == "__main__":
    sys.exit(main())
