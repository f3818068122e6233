"""--offline --preinstall: wheels installed at build time, launchers written at install time.

Fast tests build small real wheels and a small zip runtime here and stage them through
nsis.render (the build's code path); make_launchers.py runs with this Python (on Linux distlib
writes shebang scripts instead of .exe launchers, the RECORD bookkeeping is the same). The slow
test builds the OpenStack client recipe offline with --preinstall and runs the smoke test
under Wine (install, ``openstack --version``, registry, uninstall, nothing left behind).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from choconsis.backends import nsis
from choconsis.store import ArtifactStore
from choconsis.cli import main as cli_main
from choconsis.errors import BuildError, UsageError
from choconsis.lock.lockfile import Lock
from choconsis.payload import resolve_payload
from choconsis.payload.preinstall import INSTALLER_NAME
from choconsis.plan import (DISTS_FILE, INSTALL_DIR, RUNTIME_DIR, SCRIPTS, STATE_DIR, STEPS_FILE,
                            Delivery, InstallPlan, build_plan, command_line, literal)
from choconsis.recipe import Recipe, parse_recipe
from kit.locks import file_wheel, lock_of
from kit.recipes import exe_recipe_data, recipe_data
from kit.wheels import make_wheel, record_hash

ROOT = Path(__file__).resolve().parent.parent
LAUNCHERS = ROOT / "generator" / "engine" / "make_launchers.py"


# ---------------------------------------------------------------------------- helpers


def runtime_zip(path: Path, *, site_packages: bool = True) -> Path:
    """A small zip runtime: python.exe at the root and, in site-packages, an old 'helper'
    (which the test lock pins too) and pip (which it does not)."""
    members = {"python.exe": b"MZ", "Lib/os.py": b"# os\n", "Lib/venv/__init__.py": b""}
    if site_packages:
        old = {"helper/__init__.py": b"OLD = True\n", "helper/old_only.py": b"x = 1\n",
               "helper/__pycache__/old_only.cpython-312.pyc": b"pyc",
               "../../Scripts/helper-old.exe": b"MZ"}
        record = [f"{p},{record_hash(b)},{len(b)}" for p, b in old.items()]
        record.append("helper-0.9.dist-info/RECORD,,")
        for rel, body in old.items():
            members[os.path.normpath("Lib/site-packages/" + rel).replace(os.sep, "/")] = body
        members["Lib/site-packages/helper-0.9.dist-info/METADATA"] = b"Name: helper\n"
        members["Lib/site-packages/helper-0.9.dist-info/RECORD"] = "\n".join(record).encode()
        members["Lib/site-packages/pip/__init__.py"] = b"# pip\n"
        members["Lib/site-packages/pip-24.0.dist-info/RECORD"] = b"pip/__init__.py,,\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return path


@dataclasses.dataclass
class Kit:
    recipe: Recipe
    lock: Lock
    store: ArtifactStore
    wheels: list[Path]
    work: Path

    @property
    def plan(self) -> InstallPlan:
        return build_plan(self.recipe, self.lock, Delivery.PREINSTALLED)


def make_kit(tmp_path: Path, *, installer: str = "zip", site_packages: bool = True,
             sdist: bool = False, extra_msi: bool = False, environment: str = "runtime") -> Kit:
    """A recipe plan (zip runtime, two wheels: demo-app with scripts, helper 2.1) and a store."""
    art = tmp_path / "artifacts"
    art.mkdir()
    app = make_wheel(art, "demo-app", "1.0",
                     {"demo_app/__init__.py": b"def main():\n    print('demo 1.0')\n",
                      "demo_app/gui.py": b"def run():\n    pass\n"},
                     "[console_scripts]\ndemo = demo_app:main\n\n[gui_scripts]\n"
                     "demo-gui = demo_app.gui:run\n",
                     data_scripts={"demo-tool.py": b"#!python\nprint('tool')\n"})
    helper = make_wheel(art, "helper", "2.1", {"helper/__init__.py": b"NEW = True\n"})
    files = [app, helper]
    if sdist:
        src = art / "helper-2.1.tar.gz"
        src.write_bytes(b"not really a tarball")
        files = [app, src]
    zip_path = runtime_zip(art / "runtime.zip", site_packages=site_packages)
    data = exe_recipe_data()
    data["python"].update(installer=installer, version="3.12.9", arch="amd64",
                          url=f"http://127.0.0.1:9/{zip_path.name}" if installer == "zip"
                          else "http://127.0.0.1:9/python-3.12.9-amd64.exe",
                          sha256=hashlib.sha256(zip_path.read_bytes()).hexdigest())
    data["python"].pop("args", None)
    data["pip"]["requirements"] = ["demo-app==1.0"]
    data["pip"].pop("provided", None)
    data["check"] = {"command": "demo"}
    # "runtime": the wheels go into the runtime's own site-packages (replacing its copies);
    # "venv": into the app's environment
    data["install"] = {"environment": environment, "scope": "machine", "commands": []}
    if extra_msi:  # embedded as it is (an MSI is compressed already)
        msi = art / "extra.msi"
        msi.write_bytes(os.urandom(4096))
        data["installer"] = [{"name": "Extra MSI", "kind": "msi",
                              "url": f"http://127.0.0.1:9/{msi.name}",
                              "sha256": hashlib.sha256(msi.read_bytes()).hexdigest()}]
    recipe = parse_recipe(data, "demo.toml")
    names = {app: ("demo-app", "1.0"), files[1]: ("helper", "2.1")}
    lock = lock_of(recipe, [file_wheel(p, n, v, "http://127.0.0.1:9/wheels/")
                            for p, (n, v) in names.items()], source="demo.lock")
    store = ArtifactStore(cache_dir=tmp_path / "cache", artifacts_dir=art)
    return Kit(recipe, lock, store, files, tmp_path / "payload-work")


def render(kit: Kit, dest: Path) -> Path:
    """The build's stages: plan (preinstalled delivery), payload, NSIS folder."""
    plan = kit.plan
    payload = resolve_payload(plan, kit.store, kit.work)
    nsis.render(plan, payload, dest)
    return dest


def read_record(dist_info: Path) -> list[list[str]]:
    with (dist_info / "RECORD").open(newline="", encoding="utf-8") as f:
        return [row for row in csv.reader(f) if row]


# ---------------------------------------------------------------------------- staging


def test_every_locked_dist_is_staged_with_a_complete_record(tmp_path: Path):
    out = render(make_kit(tmp_path), tmp_path / "nsis")
    site = out / "payload" / "preinstall" / "Lib" / "site-packages"
    dists = (out / DISTS_FILE).read_text("utf-8").split()
    assert dists == ["demo_app-1.0.dist-info", "helper-2.1.dist-info"]
    for dist in dists:
        dist_info = site / dist
        assert (dist_info / "INSTALLER").read_bytes() == INSTALLER_NAME
        rows = read_record(dist_info)
        listed = {os.path.normpath(site / row[0]) for row in rows}
        for row in rows:  # every recorded file is there, with its hash and size
            path = site / row[0]
            assert path.is_file(), row
            if row[1]:
                assert row[1] == record_hash(path.read_bytes()) and int(row[2]) == path.stat().st_size
        # every file the dist owns in the tree is recorded (bar the RECORD itself, listed too)
        owned = [p for p in site.rglob("*") if p.is_file()
                 and p.relative_to(site).parts[0] in (dist, dist.split("-")[0])]
        assert owned and all(os.path.normpath(p) in listed for p in owned)
    assert (site / "helper" / "__init__.py").read_bytes() == b"NEW = True\n"


def test_no_launchers_at_build_time(tmp_path: Path):
    out = render(make_kit(tmp_path), tmp_path / "nsis")
    scripts = out / "payload" / "preinstall" / "Scripts"
    # only the wheel's own .data/scripts file, no entry-point launcher (demo, demo-gui)
    assert sorted(p.name for p in scripts.iterdir()) == ["demo-tool.py"]
    assert (scripts / "demo-tool.py").read_bytes().startswith(b"#!python.exe")
    site = out / "payload" / "preinstall" / "Lib" / "site-packages"
    paths = [row[0] for row in read_record(site / "demo_app-1.0.dist-info")]
    assert "../../Scripts/demo-tool.py" in paths
    assert not any(re.search(r"demo(-gui)?(\.exe)?$|<launcher", p) for p in paths), paths
    assert not list(site.rglob("*.pyc"))  # no bytecode compiled at build time either


def test_a_dist_the_runtime_already_has_is_replaced_not_overlaid(tmp_path: Path):
    out = render(make_kit(tmp_path), tmp_path / "nsis")
    runtime_site = out / "payload" / "runtime" / "Lib" / "site-packages"
    assert not (runtime_site / "helper-0.9.dist-info").exists()
    assert not (runtime_site / "helper").exists()  # old files, bytecode, then the empty folder
    assert not (out / "payload" / "runtime" / "Scripts" / "helper-old.exe").exists()
    assert (runtime_site / "pip" / "__init__.py").is_file()  # not in the lock: kept


def test_the_script_copies_the_tree_and_runs_make_launchers_instead_of_pip(tmp_path: Path):
    out = render(make_kit(tmp_path), tmp_path / "nsis")
    script = (out / "installer.nsi").read_text("utf-8")
    assert (out / "make_launchers.py").read_bytes() == LAUNCHERS.read_bytes()
    # the tree is unpacked where the engine takes it from, before the engine's one call
    assert 'SetOutPath "$PLUGINSDIR\\preinstall"\n  File /r "payload\\preinstall\\*.*"' in script
    assert script.index('File /r "payload\\preinstall') < script.index(
        'choconsis_engine.py$\\" install')
    assert "-m pip install" not in script and "payload\\wheels" not in script
    assert "--var preinstalled=$\\\"$PLUGINSDIR\\preinstall$\\\"" in script
    steps = json.loads((out / STEPS_FILE).read_text("utf-8"))["steps"]
    (copy,) = [s["install"] for s in steps if s["key"] == "packages"]
    assert copy["kind"] == "copy_preinstalled"
    assert copy["source"] == [{"var": "preinstalled"}]
    assert copy["destination"] == [{"var": "runtime_dir"}]
    assert copy["python"] == [{"var": "runtime_dir"}, "\\python.exe"]
    assert copy["scripts"] == [{"var": "runtime_dir"}, "\\Scripts"]
    assert copy["dists"] == [{"var": "state_dir"}, "\\preinstalled-dists.txt"]
    assert copy["record"]["out"] == [{"var": "state_dir"}, "\\packages-record.txt"]
    assert "pip uninstall" not in script  # the undo removes what the record lists
    assert script.count("choconsis_engine.py$\\\" install") == 1
    assert script.count("choconsis_engine.py$\\\" undo") == 1
    assert (out / "choconsis_record.py").is_file()
    assert 'Delete "$StateDir\\make_launchers.py"' in script


def test_the_plan_composes_the_launcher_command(tmp_path: Path):
    step = make_kit(tmp_path).plan.packages_step
    cmd = command_line(step.install.command)
    names = {INSTALL_DIR: "<I>", SCRIPTS: "<S>", STATE_DIR: "<D>", RUNTIME_DIR: "<R>"}
    text = "".join(p if isinstance(p, str) else names[p] for p in cmd)
    assert text == ('"<R>\\python.exe" -E -s "<S>\\make_launchers.py" --python '
                    '"<R>\\python.exe" --site-packages "<R>\\Lib\\site-packages" --scripts '
                    '"<R>\\Scripts" --dists "<D>\\preinstalled-dists.txt"')
    # in the app's environment, the launchers start the environment's python.exe
    (tmp_path / "venv").mkdir()
    venv = make_kit(tmp_path / "venv", environment="venv").plan.packages_step
    text = "".join(p if isinstance(p, str) else names[p]
                   for p in command_line(venv.install.command))
    assert '--python "<I>\\env\\Scripts\\python.exe" --site-packages ' \
        '"<I>\\env\\Lib\\site-packages"' in text
    assert step.undo.kind == "remove_recorded"  # the RECORD lists the launchers too
    assert step.install.record is not None
    assert literal(command_line(((INSTALL_DIR,),))) is None


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis is not installed")
def test_a_preinstall_build_compiles(tmp_path: Path):
    """Warnings are errors: in one solid block makensis warns about SetCompress off."""
    kit = make_kit(tmp_path, extra_msi=True)
    out = render(kit, tmp_path / "nsis")
    script = (out / "installer.nsi").read_text("utf-8")
    assert f"SetCompressor {nsis.PREINSTALL_COMPRESSOR}" in script
    assert 'File "/oname=$PLUGINSDIR\\extra.msi" "payload\\extra.msi"' in script
    exe = nsis.compile_installer(out, tmp_path / "setup.exe", plan=kit.plan)
    assert exe.stat().st_size > 0


# ---------------------------------------------------------------------------- refusals


def test_a_lock_with_source_archives_is_refused(tmp_path: Path):
    dest = tmp_path / "nsis"
    with pytest.raises(UsageError, match=r"--preinstall.*1 source archive\(s\) "
                                         r"\(helper-2\.1\.tar\.gz\).*without --preinstall"):
        render(make_kit(tmp_path, sdist=True), dest)
    assert not dest.exists() and not list(tmp_path.glob(".nsis-*"))  # nothing half-written


def test_a_runtime_of_unknown_layout_is_refused(tmp_path: Path):
    with pytest.raises(UsageError, match=r"runtime layout is unknown at build time \(a exe"):
        render(make_kit(tmp_path, installer="exe"), tmp_path / "nsis")


def test_a_venv_takes_the_preinstalled_tree_and_leaves_the_runtime_alone(tmp_path: Path):
    out = render(make_kit(tmp_path, environment="venv"), tmp_path / "nsis")
    site = out / "payload" / "preinstall" / "Lib" / "site-packages"
    assert (site / "helper" / "__init__.py").read_bytes() == b"NEW = True\n"
    runtime_site = out / "payload" / "runtime" / "Lib" / "site-packages"
    assert (runtime_site / "helper-0.9.dist-info").is_dir()  # the runtime's own: untouched
    script = (out / "installer.nsi").read_text("utf-8")
    assert 'SetOutPath "$PLUGINSDIR\\preinstall"\n  File /r "payload\\preinstall\\*.*"' in script
    steps = json.loads((out / STEPS_FILE).read_text("utf-8"))["steps"]
    (copy,) = [s["install"] for s in steps if s["key"] == "packages"]
    assert copy["destination"] == [{"var": "install_dir"}, "\\env"]
    assert copy["python"] == [{"var": "install_dir"}, "\\env\\Scripts\\python.exe"]


def test_a_zip_runtime_without_site_packages_is_refused(tmp_path: Path):
    with pytest.raises(BuildError, match=r"no Lib/site-packages folder"):
        render(make_kit(tmp_path, site_packages=False), tmp_path / "nsis")


def test_preinstall_needs_offline(tmp_path: Path, capsys):
    with pytest.raises(UsageError, match="needs --offline"):
        Delivery.of_options(offline=False, preinstall=True)
    assert cli_main(["build", "openstack-clients", "--preinstall", "-o",
                     str(tmp_path / "out")]) == 2
    assert "--preinstall needs --offline" in capsys.readouterr().err


# ---------------------------------------------------------------------------- install time


def test_make_launchers_writes_and_records_each_entry_point(tmp_path: Path):
    out = render(make_kit(tmp_path), tmp_path / "nsis")
    root = out / "payload" / "preinstall"
    site, scripts = root / "Lib" / "site-packages", root / "Scripts"
    before = read_record(site / "demo_app-1.0.dist-info")
    helper_before = read_record(site / "helper-2.1.dist-info")
    proc = subprocess.run([sys.executable, "-E", "-s", str(LAUNCHERS), "--site-packages",
                           str(site), "--scripts", str(scripts), "--dists", str(out / DISTS_FILE)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "2 launcher(s) for 2 dist(s)" in proc.stdout
    after = read_record(site / "demo_app-1.0.dist-info")
    added = after[len(before):]
    assert after[:len(before)] == before
    assert sorted(row[0] for row in added) == ["../../Scripts/demo", "../../Scripts/demo-gui"]
    for row in added:
        body = (site / row[0]).read_bytes()
        assert row[1] == record_hash(body) and int(row[2]) == len(body)
        assert sys.executable.encode() in body.splitlines()[0]  # the real interpreter
    assert b"from demo_app import main" in (scripts / "demo").read_bytes()
    assert read_record(site / "helper-2.1.dist-info") == helper_before  # no entry points


def test_make_launchers_fails_cleanly_without_a_record(tmp_path: Path):
    out = render(make_kit(tmp_path), tmp_path / "nsis")
    site = out / "payload" / "preinstall" / "Lib" / "site-packages"
    (site / "helper-2.1.dist-info" / "RECORD").unlink()
    proc = subprocess.run([sys.executable, str(LAUNCHERS), "--site-packages", str(site),
                           "--scripts", str(tmp_path / "s"), "--dists", str(out / DISTS_FILE)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "helper-2.1.dist-info has no RECORD" in proc.stderr


# ---------------------------------------------------------------------------- Wine


@pytest.mark.slow
def test_offline_preinstall_openstack_installs_runs_and_uninstalls(components, locks, tmp_path,
                                                                   test_cache, measurements):
    """An offline --preinstall build of the OpenStack client on the WinPython zip runtime
    passes the smoke test: install, `openstack --version` prints the pinned version through
    the new PATH, the registry entry, and an uninstall that leaves nothing behind."""
    from choconsis.build import BuildOptions, build
    from choconsis.smoke import run_smoke
    from kit.wine.artifacts import OPENSTACK_VERSION
    from kit.wine.fixtures import OPENSTACK_REQ, RecipeSpec, artifacts_dir, write_recipe

    spec = RecipeSpec(package_id="openstack-preinstall", version=OPENSTACK_VERSION,
                      runtime_file=components.runtime_zip, install_dir="C:\\ChocoPre312")
    recipe = write_recipe(tmp_path / "openstack-preinstall.toml", spec,
                          locks.get(OPENSTACK_REQ))
    opts = BuildOptions(out_dir=tmp_path / "out", offline=True, preinstall=True,
                        artifacts_dir=artifacts_dir(tmp_path / "art", components.runtime_zip),
                        cache_dir=test_cache / "artifacts", chocolatey=False)
    result = build(recipe, opts)
    assert result.setup_exe is not None
    seen: list[str] = []

    def launcher_is_recorded(prefix) -> None:
        """Before the uninstall: openstack.exe was written at install time with the real
        interpreter path and is in the RECORD, so pip uninstall (not only the runtime's
        folder removal) accounts for it."""
        site = prefix.to_linux(spec.install_dir + "\\Lib\\site-packages")
        dist_info = next(site.glob("python_openstackclient-*.dist-info"))
        rows = {row[0]: row for row in read_record(dist_info)}
        exe = prefix.to_linux(spec.install_dir + "\\Scripts\\openstack.exe")
        row = rows["../../Scripts/openstack.exe"]
        assert row[1] == record_hash(exe.read_bytes()) and int(row[2]) == exe.stat().st_size
        assert b"#!" + spec.install_dir.encode() + b"\\python.exe" in exe.read_bytes()
        seen.append(row[0])

    report = run_smoke(result.setup_exe, recipe=str(recipe), keep_prefix=None,
                       wine_cache=test_cache / "wine", inspect=launcher_is_recorded)
    text = report.format()
    assert report.ok, text
    assert seen == ["../../Scripts/openstack.exe"], text
    assert re.search(rf"exits 0 through the new PATH: exit 0: openstack "
                     rf"{re.escape(OPENSTACK_VERSION)}\s*$", text, re.M), text
    assert "[x] everything else as before install" in text
    assert "[x] install folder removed" in text
    measurements.append("offline zip --preinstall (smoke): "
                        + ", ".join(f"{p.name} {p.seconds:.1f} s" for p in report.phases))
