"""The NSIS back end: rendering from the plan, payload staging, makensis compile (both modes).

Compile tests need makensis (Debian package ``nsis``) and skip with that reason when it is
missing. Offline builds embed small dummy files that a test recipe pins by sha256: makensis
only packs them, nothing runs them here (the Wine suite runs real installers).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest

from kit.wheels import make_wheel
from choconsis import escaping

from choconsis.backends import nsis
from choconsis.store import ArtifactStore
from choconsis.errors import BuildError, RecipeError, ToolMissingError
from choconsis.lock.lockfile import Lock, LockedWheel, parse_lock
from choconsis.payload import Payload, resolve_payload
from choconsis.backends.nsis.values import LOG_COPY, LOG_FILE
from choconsis.plan import (STEPS_FILE, Delivery, InstallPlan, build_plan, command_line,
                            engine_command, engine_description, engine_json)
from choconsis.recipe import Recipe, parse_recipe
from kit.decoders import failure_log
from kit.locks import fake_lock
from kit.plans import dummy_offline, web_payload
from kit.recipes import exe_recipe_data, EXE_VARIANT, RECIPE_KINDS, RECIPES, SHIPPED, recipe_data

needs_makensis = pytest.mark.skipif(shutil.which("makensis") is None,
                                    reason="makensis is not installed (apt-get install nsis)")


# ---------------------------------------------------------------------------- helpers


def make_lock(recipe: Recipe, extra: int = 1) -> Lock:
    """An in-memory lock: one wheel per requirement plus `extra` dependencies."""
    return fake_lock(recipe, deps=[(f"dep-{i}", "1.0") for i in range(extra)])


def plan_of(data: dict, name: str = "test", extra: int = 1,
            delivery: Delivery = Delivery.WEB) -> InstallPlan:
    recipe = parse_recipe(data, f"{name}.toml")
    return build_plan(recipe, make_lock(recipe, extra), delivery)


def shipped_plan(name: str, delivery: Delivery = Delivery.WEB) -> InstallPlan:
    return plan_of(recipe_data(name), name.split("@")[0], delivery=delivery)


def script_of(plan: InstallPlan) -> str:
    """installer.nsi of a plan, with a payload that holds no file (names only)."""
    payload = web_payload(plan)
    if plan.packages_step.install.kind != "pip_install" or "--no-index" in str(
            plan.packages_step.install.command):
        payload = Payload(Delivery.OFFLINE, runtime=payload.runtime)
    return nsis.render_script(plan, payload)


def render_folder(plan: InstallPlan, dest: Path, store: ArtifactStore | None = None,
                  delivery: Delivery = Delivery.WEB) -> Path:
    """The NSIS folder of a plan, its payload resolved from ``store`` (the real stage)."""
    store = store or ArtifactStore(cache_dir=dest.parent / "no-cache")
    assert plan.delivery is delivery, (plan.delivery, delivery)
    payload = resolve_payload(plan, store, dest.parent / f".work-{dest.name}")
    return nsis.render(plan, payload, dest)


def step_markers(script: str) -> list[tuple[int, str, str]]:
    """(number, state key, action) of every install step block, in script order."""
    install = script.split('Section "-install"')[1]
    return [(int(n), k, a) for n, k, a in
            re.findall(r"^  ; ---- step (\d+) (\S+): (\w+)", install, re.M)]


def engine_call(plan: InstallPlan, side: str) -> str:
    """The engine's command line as setup.exe runs it (its log files added)."""
    return escaping.nsis_templated(command_line((*engine_command(plan, side), ("--log",),
                                                 (LOG_FILE,), ("--log",), (LOG_COPY,))),
                                   nsis.NSIS_VARIABLES)[1:-1]


# ---------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("delivery", [Delivery.WEB, Delivery.OFFLINE])
def test_steps_are_rendered_in_plan_order(name: str, delivery: Delivery):
    plan = shipped_plan(name, delivery)
    script = script_of(plan)
    first = plan.engine_steps[0]  # the engine's one call stands for its steps
    shown = [(i, s) for i, s in enumerate(plan.steps, start=1) if not s.in_engine or s == first]
    assert step_markers(script) == [(i, "engine", "engine") if s == first
                                    else (i, s.key, s.install.kind) for i, s in shown]
    titles = re.findall(r'^  StrCpy \$StepName "step \d+ \((.*)\)"$', script.split(
        "; ---------------------------------------------------------------- install")[-1], re.M)
    fetching = [s.title for s in plan.engine_steps if getattr(s.install, "artifact", None)]
    assert titles == [s.title for s in plan.steps if not s.in_engine or s.title in fetching]
    numbers = [i for i, s in enumerate(plan.steps, start=1) if s.in_engine]
    span = f"steps {numbers[0]} to {numbers[-1]}" if len(numbers) > 1 else f"step {numbers[0]}"
    assert f'  StrCpy $StepName "the engine ({span})"' in script


@pytest.mark.parametrize("name", SHIPPED)
def test_uninstall_runs_the_undo_sides_in_undo_order(name: str):
    plan = shipped_plan(name)
    script = script_of(plan)
    uninstall = script.split('Section "Uninstall"')[1]
    order = [int(i) for i in re.findall(r"!insertmacro ChoconsisUndoStep(\d+) \"un\.\"", uninstall)]
    assert order == [plan.steps.index(s) + 1 for s in plan.undo_order()]
    rollback = script.split("Function ChoconsisRollback")[1].split("FunctionEnd")[0]
    assert [int(i) for i in re.findall(r"ChoconsisUndoStep(\d+)", rollback)] == order


def test_target_follows_the_arch():
    assert "\nTarget \"amd64-unicode\"\n" in script_of(
        shipped_plan("openstack-clients"))
    x86 = script_of(shipped_plan("openstack-clients-2013"))
    assert "\nTarget \"x86-unicode\"\n" in x86
    assert "RunningX64" not in x86  # the 64-bit guard is only for amd64 targets


def test_web_mode_downloads_each_artifact_verified_and_pip_uses_the_index():
    plan = shipped_plan("openstack-clients-2013")
    script = script_of(plan)
    for artifact in plan.artifacts:
        line = (f"!insertmacro ChoconsisDownloadVerified {escaping.nsis_string(artifact.url)} "
                f"\"$StepFile\" {escaping.nsis_string(artifact.sha256)}")
        assert line in script
    assert "File /oname=" not in script and "payload\\" not in script
    assert ("--index-url",) in plan.packages_step.install.command
    assert engine_call(plan, "install") in script
    assert "--var wheels=" not in engine_call(plan, "install")


def test_offline_mode_embeds_and_pip_uses_the_wheels_folder():
    plan = shipped_plan("openstack-clients-2013", Delivery.OFFLINE)
    script = script_of(plan)
    assert "ChoconsisDownloadVerified" not in script.split("Section \"-install\"")[1]
    for artifact in plan.artifacts:
        assert f"\"payload\\{artifact.filename}\"" in script
    assert ("--no-index",) in plan.packages_step.install.command
    call = engine_call(plan, "install")
    assert call in script and '--var wheels=$\\"$PLUGINSDIR\\wheels$\\"' in call
    # already-compressed payloads are stored, not recompressed
    assert script.count("SetCompress off") == len(plan.artifacts) + 1


def test_exit_codes_reboot_and_msi_product_codes():
    plan = shipped_plan("openstack-clients-2013")
    script = script_of(plan)
    body = script.split("; ---- step 2 ")[1].split("; ---- step 3 ")[0]
    for code in (0, 3010, 1641):
        assert f'${{If}} $0 == "{code}"' in body
    assert body.count("SetRebootFlag true") == 2
    assert "!insertmacro ChoconsisMsiProductCode \"$StepFile\"" in body
    assert 'StrCpy $StepKey "installer:pyOpenSSL-0.13.winxp32-py2.7.msi"' in body
    assert '!insertmacro ChoconsisRecord "$ProductCode"' in body
    # a product that was installed before (and not recorded by this package) is left alone
    assert body.index("ChoconsisMsiInstalled") < body.index("ChoconsisRecord") < body.index(
        "ExecWait")
    assert '"$SYSDIR\\msiexec.exe$\\" /i $\\"$StepFile$\\" /qn /norestart' in body


def test_the_install_registers_its_removal_before_anything_else_and_completes_it_last():
    """An install killed half-way can be removed from Add/Remove Programs or repaired by a
    rerun: the uninstaller and an entry marked incomplete come before every file and step;
    the entry's final values after the last step."""
    plan = shipped_plan("openstack-clients")
    script = script_of(plan)
    install = script.split('Section "-install"')[1].split("SectionEnd")[0]
    first_file = install.index("\n  File ")
    first_step = install.index("; ---- step ")
    last_step = install.rindex("; ---- step ")
    early = install[:min(first_file, first_step)]
    assert early.index("WriteUninstaller") < early.index('"ChoconsisIncomplete" 1')
    title = escaping.nsis_string(plan.package.title + " (incomplete install)")
    assert f'"DisplayName" {title}' in early
    for value in ("DisplayVersion", "Publisher", "UninstallString", "QuietUninstallString",
                  "InstallLocation", "NoModify", "NoRepair"):
        assert f'"{value}"' in early, value
    assert ('"QuietUninstallString" "$\\"$StateDir\\uninstall.exe$\\" /S"' in early)
    late = install[last_step:]
    final = f'"DisplayName" {escaping.nsis_string(plan.package.title)}'
    assert final in late and final not in early
    assert '"EstimatedSize"' in late
    assert 'DeleteRegValue SHCTX' in late and '"ChoconsisIncomplete"' in late
    assert install.count("WriteUninstaller") == 1


def test_hostile_values_are_escaped():
    data = recipe_data("openstack-clients-2013")
    hostile = 'Evil $INSTDIR "q" `t` ${X} $\\n !define $(^Name) ;c #c'
    data["package"]["title"] = hostile
    data["package"]["authors"] = "A $$ B \"C\""
    data["python"]["install_dir"] = "C:\\Pro$gram Files\\x`y ;z"
    data["installer"][0]["name"] = hostile
    data["installer"][0]["args"] = ['PROP=$WINDIR "x"', "TARGETDIR={install_dir}"]
    plan = plan_of(data)
    script = script_of(plan)
    assert f"Name {escaping.nsis_string(hostile)}" in script
    assert f"StrCpy $INSTDIR {escaping.nsis_string(plan.install_dir)}" in script
    assert escaping.nsis_string(f"step 2 ({hostile})") in script
    assert "$$WINDIR" in script and "$$INSTDIR" in script
    assert hostile not in script  # never raw


def test_a_value_longer_than_an_nsis_string_is_refused():
    data = recipe_data("openstack-clients-2013")
    data["installer"][0]["args"] = ["X" * 600, "Y" * 600]
    with pytest.raises(RecipeError, match=r"installer\[1\]\.args"):
        plan_of(data)
    # The back end keeps its own guard for plans that did not come from a checked recipe.
    plan = plan_of(recipe_data("openstack-clients-2013"))
    long_step = dataclasses.replace(plan.steps[1], install=dataclasses.replace(
        plan.steps[1].install, args=(("X" * 600,), ("Y" * 600,))))
    plan = dataclasses.replace(plan, steps=(plan.steps[0], long_step, *plan.steps[2:]))
    with pytest.raises(BuildError, match=r"step pyOpenSSL 0.13.*limit"):
        script_of(plan)


def test_a_runtime_install_records_what_went_in_and_its_uninstall_runs_no_pip():
    """The 2013 shape installs into the runtime: after the packages step the engine writes
    the installed files down (the lock's names come from the lock file, so the engine's
    command fits an NSIS string whatever the lock's size); its undo removes them by that
    record, in one call, in the uninstaller and the rollback alike."""
    plan = plan_of(recipe_data("openstack-clients-2013"), extra=120)  # packages in the runtime
    script = script_of(plan)
    assert "-m pip uninstall" not in script
    packages = next(s for s in engine_description(plan)["steps"] if s["key"] == "packages")
    assert packages["install"]["record"]["out"] == [{"var": "state_dir"},
                                                    "\\packages-record.txt"]
    assert packages["undo"] == {"kind": "remove_recorded", "record": [
        {"var": "state_dir"}, "\\packages-record.txt"], "root": [{"var": "runtime_dir"}]}
    assert script.count(engine_call(plan, "install")) == 1
    assert script.count(engine_call(plan, "undo")) == 1  # one macro: uninstall + rollback
    assert 'File "choconsis_record.py"' in script and 'File "choconsis-steps.json"' in script


def test_vi_version_has_four_numbers():
    assert nsis.vi_version("10.5.0") == "10.5.0.0"
    assert nsis.vi_version("2013.2.0-beta") == "2013.2.0.0"
    assert nsis.vi_version("1.2.3.20261126") == "1.2.3.65535"


# ---------------------------------------------------------------------------- staging


def test_render_writes_a_self_contained_folder(tmp_path: Path):
    plan, payload = dummy_offline(recipe_data("openstack-clients-2013"), tmp_path)
    script = nsis.render(plan, payload, tmp_path / "nsis")
    folder = script.parent
    names = {p.name for p in folder.iterdir()}
    assert {"installer.nsi", "choconsis.nsh", "download.nsh", *plan.target_files, STEPS_FILE,
            "requirements.lock", "payload"} <= names
    assert (folder / STEPS_FILE).read_text("utf-8") == engine_json(plan)
    written = parse_lock((folder / "requirements.lock").read_text()).wheels
    assert set(written) == set(plan.lock.wheels)
    for artifact in plan.artifacts:
        assert hashlib.sha256((folder / "payload" / artifact.filename).read_bytes()
                              ).hexdigest() == artifact.sha256
    wheels = sorted(p.name for p in (folder / "payload" / "wheels").iterdir())
    assert wheels == sorted(w.filename for w in plan.lock.wheels)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".nsis-")]


def test_web_mode_stages_nothing(tmp_path: Path):
    plan = shipped_plan("openstack-clients")
    script = nsis.render(plan, web_payload(plan), tmp_path / "n")
    assert not (script.parent / "payload").exists()


def test_a_pin_mismatch_leaves_nothing_behind(tmp_path: Path):
    art = tmp_path / "artifacts"
    plan, _ = dummy_offline(exe_recipe_data(), tmp_path)
    (art / plan.artifacts[0].filename).write_bytes(b"tampered")
    store = ArtifactStore(cache_dir=tmp_path / "cache2", artifacts_dir=art)
    (tmp_path / "out").mkdir()
    with pytest.raises(Exception, match="sha256"):
        render_folder(plan, tmp_path / "out" / "nsis", store, Delivery.OFFLINE)
    assert [p for p in (tmp_path / "out").iterdir() if p.name == "nsis"] == []


def _zip_recipe(tmp_path: Path, members: dict[str, bytes]) -> tuple[InstallPlan, ArtifactStore]:
    art = tmp_path / "artifacts"
    art.mkdir()
    archive = art / "runtime.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    data = exe_recipe_data()
    data["python"].update(installer="zip", url="http://127.0.0.1:9/runtime.zip",
                          sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    data["install"]["environment"] = "runtime"  # the zip is the install folder
    recipe = parse_recipe(data, "zip.toml")
    return (build_plan(recipe, make_lock(recipe)),
            ArtifactStore(cache_dir=tmp_path / "cache", artifacts_dir=art))


def test_zip_runtime_is_unpacked_and_embedded_in_web_mode(tmp_path: Path):
    plan, store = _zip_recipe(tmp_path, {"python.exe": b"MZ", "python3.dll": b"MZ",
                                         "Lib/os.py": b"", "DLLs/x.pyd": b""})
    script = render_folder(plan, tmp_path / "n", store).read_text()
    tree = tmp_path / "n" / "payload" / "runtime"
    assert (tree / "python.exe").read_bytes() == b"MZ" and (tree / "Lib" / "os.py").is_file()
    assert 'File /r "payload\\runtime\\*.*"' in script
    undo = script.split("!macro ChoconsisUndoStep1")[1].split("!macroend")[0]
    assert 'RMDir /r "$RuntimeDir\\DLLs"' in undo and 'RMDir /r "$RuntimeDir\\Lib"' in undo
    assert 'Delete "$RuntimeDir\\python.exe"' in undo and 'Delete "$RuntimeDir\\python3.dll"' \
        in undo
    assert "SetCompressor zlib" in script


@pytest.mark.parametrize("members,problem", [
    ({"../evil.exe": b"", "python.exe": b""}, "unsafe member path"),
    ({"/abs.exe": b"", "python.exe": b""}, "unsafe member path"),
    ({"bin/python.exe": b""}, "no python.exe at its root"),
])
def test_bad_zip_runtimes_are_refused(tmp_path: Path, members, problem):
    plan, store = _zip_recipe(tmp_path, members)
    with pytest.raises(BuildError, match=problem):
        render_folder(plan, tmp_path / "n", store)
    assert not (tmp_path / "n").exists()


# ---------------------------------------------------------------------------- compile


@needs_makensis
@pytest.mark.parametrize("name", SHIPPED)
def test_compile_web_mode(name: str, tmp_path: Path):
    plan = shipped_plan(name)
    script = nsis.render(plan, web_payload(plan), tmp_path / "nsis")
    exe = nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)
    assert exe.read_bytes()[:2] == b"MZ"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".exe"] == ["setup.exe"]


@needs_makensis
def test_compile_with_relative_paths(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = shipped_plan("openstack-clients")
    script = nsis.render(plan, web_payload(plan), Path("out/nsis"))
    exe = nsis.compile_installer(script.parent, Path("out/setup.exe"), plan=plan)
    assert (tmp_path / "out" / "setup.exe").read_bytes()[:2] == b"MZ" and not exe.is_absolute()


@needs_makensis
@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_compile_offline_mode_is_reproducible(name: str, tmp_path: Path):
    plan, payload = dummy_offline(recipe_data(name), tmp_path)
    script = nsis.render(plan, payload, tmp_path / "nsis")
    first = nsis.compile_installer(script.parent, tmp_path / "a.exe", plan=plan).read_bytes()
    for path in (script.parent / "payload").rglob("*"):
        path.touch()  # new mtimes must not change the output
    second = nsis.compile_installer(script.parent, tmp_path / "b.exe", plan=plan).read_bytes()
    assert first == second
    for artifact in plan.artifacts:  # stored uncompressed, so the bytes are in the exe
        if plan.embedded_runtime and artifact == plan.runtime_step.artifact:
            continue  # unpacked at build time: its tree is embedded, not the archive
        assert (script.parent / "payload" / artifact.filename).read_bytes() in first


@needs_makensis
@pytest.mark.parametrize("name", SHIPPED)
def test_compile_the_shipped_recipe_with_its_lock(name: str, tmp_path: Path):
    """The real lock (~60 wheels for the default recipe) needs the split pip uninstall; the
    default recipe's is its pylock, the 2013 recipe's its <name>.lock."""
    from choconsis.build import plan_recipe
    from choconsis.recipe import load_recipe

    store = ArtifactStore(cache_dir=tmp_path / "no-cache")  # the lock records its scripts
    plan = plan_recipe(load_recipe(RECIPES / f"{name}.toml"), Delivery.WEB, store, fetch=False)
    script = nsis.render(plan, web_payload(plan), tmp_path / "nsis")
    nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)


@needs_makensis
@pytest.mark.parametrize("delivery", [Delivery.WEB, Delivery.OFFLINE])
def test_a_zip_runtime_with_uv_compiles(delivery: Delivery, tmp_path: Path):
    """The uv wheel is the only file the step fetches (or unpacks) when the runtime is a zip:
    setup.exe still needs its $StepFile (a regression: makensis stopped at that StrCpy)."""
    data = exe_recipe_data()
    data["python"].update(installer="zip", url="http://127.0.0.1:9/files/runtime.zip")
    plan, payload = dummy_offline(data, tmp_path, delivery)
    assert plan.zip_runtime and plan.packages_step.install.installer == "uv"
    script = nsis.render(plan, payload, tmp_path / "nsis")
    nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)


def test_the_add_remove_size_is_known_at_build_time_when_setup_exe_embeds_it(tmp_path: Path):
    """Offline, the installed size is the embedded files' (the wheels unpacked): no ${GetSize}
    walk over the install folder at install time; web mode still measures it."""
    import re

    plan, payload = dummy_offline(exe_recipe_data(), tmp_path)
    wheel = make_wheel(tmp_path / "real", "real-one", "1.0", {"real_one.py": b"x = 1\n" * 999})
    dummies = sum(w.stat().st_size for w in payload.wheels.values())  # not zips: their size
    payload = dataclasses.replace(payload, wheels={**payload.wheels, wheel.name: wheel})
    script = nsis.render(plan, payload, tmp_path / "nsis").read_text()
    unpacked = dummies + sum(info.file_size for info in zipfile.ZipFile(wheel).infolist())
    assert unpacked and re.search(rf'StrCpy \$0 "?{max(1, unpacked // 1024)}"?', script)
    assert "${GetSize}" not in script
    web = shipped_plan("openstack-clients")
    assert '${GetSize} "$INSTDIR"' in nsis.render(web, web_payload(web),
                                                   tmp_path / "web").read_text()


@needs_makensis
def test_hostile_values_compile_without_warnings(tmp_path: Path):
    data = recipe_data("openstack-clients-2013")
    data["package"]["title"] = 'Evil $INSTDIR "q" `t` ${X} $\\n !define $(^Name)'
    data["package"]["copyright"] = "© 2013 ${NSISDIR} $$"
    data["package"]["summary"] = 'Sum $\\n $\\" ${MUI_TEXT} "q" $(^Name) `t` ;c'
    data["python"]["install_dir"] = "C:\\Pro$gram Files\\x`y ;z"
    data["installer"][0]["args"] = ['PROP=$WINDIR "x"', "TARGETDIR={install_dir}"]
    plan = plan_of(data)
    script = nsis.render(plan, web_payload(plan), tmp_path / "nsis")
    nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)


@needs_makensis
def test_makensis_errors_and_warnings_fail_the_build(tmp_path: Path):
    plan = shipped_plan("openstack-clients")
    script = nsis.render(plan, web_payload(plan), tmp_path / "nsis")
    text = script.read_text()
    script.write_text(text.replace("SetDateSave off", "SetDateSave off\nNoSuchCommand 1"))
    with pytest.raises(BuildError, match="NoSuchCommand"):
        nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)
    script.write_text(text + "\nVar NeverUsed\n")  # makensis warns 6001
    with pytest.raises(BuildError, match=r'warning 6001: Variable "NeverUsed" not referenced'):
        nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)
    warning = "choconsis test: this warning alone must fail the build"
    script.write_text(text.replace("SetDateSave off", f'SetDateSave off\n!warning "{warning}"'))
    with pytest.raises(BuildError, match="warning: !warning: " + warning):
        nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan)
    assert not list(tmp_path.glob("*.exe")) and not list(tmp_path.glob(".setup*"))
    script.write_text(text)  # the script as rendered compiles: the changes above failed it
    assert nsis.compile_installer(script.parent, tmp_path / "setup.exe", plan=plan).is_file()


@needs_makensis
def test_a_makensis_warning_fails_the_build_even_where_makensis_exits_0(tmp_path: Path,
                                                                         monkeypatch):
    """The build reads makensis' output too: a makensis that only warns (here the real one
    run without -WX, as an older or differently built one may behave) still fails it, with
    the warning in the message."""
    real = shutil.which("makensis")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "makensis"
    wrapper.write_text('#!/bin/bash\nargs=()\nfor a in "$@"; do [[ $a == -WX ]] || args+=("$a")'
                       f'; done\nexec "{real}" "${{args[@]}}"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    plan = shipped_plan("openstack-clients")
    script = nsis.render(plan, web_payload(plan), tmp_path / "nsis")
    text = script.read_text()
    warning = "choconsis test: a warning makensis does not fail on"
    script.write_text(text.replace("SetDateSave off", f'SetDateSave off\n!warning "{warning}"'))
    with pytest.raises(BuildError, match="makensis warned on (.|\n)*" + warning):
        nsis.compile_installer(script.parent, tmp_path / "out" / "setup.exe", plan=plan)
    assert not (tmp_path / "out" / "setup.exe").exists()
    script.write_text(text)  # without the warning the same makensis builds it
    assert nsis.compile_installer(script.parent, tmp_path / "out" / "setup.exe",
                                  plan=plan).is_file()


def test_missing_makensis_names_the_package(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    plan = shipped_plan("openstack-clients")
    with pytest.raises(ToolMissingError, match="apt-get install nsis"):
        nsis.compile_installer(tmp_path, tmp_path / "setup.exe", plan=plan)


# ---------------------------------------------------------------------------- under Wine
# One real install per scenario, with the WinPython zip runtime (tests/kit/wine/artifacts.py), a
# tiny wheel made here (a console script, so the check goes through PATH), and extra
# installers served by the loopback server. The thorough suite is generator/smoke.py's.

PROBE = "choconsis_probe"


def probe_wheel(folder: Path) -> Path:
    """A minimal real wheel with a console script 'choconsis-probe' printing 'probe 1.0'."""
    return make_wheel(folder, "choconsis-probe", "1.0",
                      {f"{PROBE}/__init__.py": b"def main():\n    print('probe 1.0')\n"},
                      f"[console_scripts]\nchoconsis-probe = {PROBE}:main\n")


@pytest.fixture(scope="module")
def wine_kit(tmp_path_factory):
    """(template prefix, cache of real test components), or skip without wine."""
    from choconsis.smoke import prefixes, wine

    try:
        tools = wine.find_wine()
    except ToolMissingError as err:
        pytest.skip(str(err))
    if shutil.which("makensis") is None:
        pytest.skip("makensis is not installed (apt-get install nsis)")
    from kit.wine import artifacts as wine_artifacts

    cache = wine_artifacts.cache_dir()
    return prefixes.template_prefix(cache, tools), cache


def _wine_recipe(tmp_path: Path, srv, cache: Path, extras: list[tuple[str, Path, bytes]],
                 pkg_id: str) -> Path:
    """A recipe + lock: zip runtime, the given extra installers (served), the probe wheel."""
    from kit.wine import artifacts as wine_artifacts

    runtime = wine_artifacts.runtime_zip(cache)
    wheel = probe_wheel(tmp_path)
    wsha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    wurl = srv.add(f"/files/{wheel.name}", wheel.read_bytes())
    srv.add("/simple/choconsis-probe/",
            f'<a href="{wurl}#sha256={wsha}">{wheel.name}</a>', content_type="text/html")
    data = exe_recipe_data()
    data["package"]["id"] = pkg_id
    data["python"].update(version="3.12.1", installer="zip", install_dir="C:\\Probe Dir",
                          url=f"http://127.0.0.1:9/{runtime.name}",
                          sha256=hashlib.sha256(runtime.read_bytes()).hexdigest())
    data["pip"] = {"requirements": ["choconsis-probe==1.0"], "index_url": srv.url("/simple"),
                   "installer": "pip"}  # the runtime's pip: these tests are not about uv
    data["check"] = {"command": "choconsis-probe"}
    # the shape these tests were written for: into the runtime, for the machine, its folders
    # on the machine PATH (tests/test_wine_isolation.py proves the per-app model)
    data["install"] = {"scope": "machine", "environment": "runtime", "commands": []}
    data["path"] = {"prepend": ["{install_dir}", "{install_dir}\\Scripts"], "scope": "machine"}
    data["installer"] = []
    for name, path, served in extras:
        kind = path.suffix[1:]
        data["installer"].append({
            "name": name, "kind": kind, "url": srv.add(f"/files/{path.name}", served),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "valid_exit_codes": [0, 3010, 1641]})
    import tomlkit

    recipe = tmp_path / f"{pkg_id}.toml"
    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    from choconsis.lock.lockfile import write_lock

    write_lock(recipe.with_suffix(".lock"), Lock(
        "cp312", "win_amd64", ("choconsis-probe==1.0",), srv.url("/simple"),
        (LockedWheel("choconsis-probe", "1.0", wsha, wheel.name, wurl),)))
    art = tmp_path / "artifacts"
    art.mkdir()
    shutil.copyfile(runtime, art / runtime.name)
    return recipe


def _build_and_install(tmp_path: Path, recipe: Path, wine_kit, *,
                       install_dir: str | None = None):
    from choconsis.build import BuildOptions, build

    template, _ = wine_kit
    result = build(recipe, BuildOptions(out_dir=tmp_path / "dist", chocolatey=False,
                                        artifacts_dir=tmp_path / "artifacts",
                                        cache_dir=tmp_path / "cache"))
    prefix = template.copy_to(tmp_path / "prefix")
    args = [prefix.to_windows(result.setup_exe), "/S"]
    if install_dir:
        # NSIS reads /D= only last and unquoted; wine quotes an argument holding a space
        args.append("/D=" + install_dir)
    run = prefix.run(args, timeout=600)
    prefix.wait()
    return prefix, run


UNINSTALL_KEY = "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\"


@pytest.mark.slow
def test_wine_web_install_then_uninstall(tmp_path: Path, loopback, wine_kit):
    from kit.wine import artifacts as wine_artifacts
    from choconsis.smoke import uninstall_args

    _, cache = wine_kit
    marker = wine_artifacts.marker_msi(cache)
    reboot = wine_artifacts.reboot_exe(cache)
    recipe = _wine_recipe(tmp_path, loopback, cache,
                          [("marker msi", marker, marker.read_bytes()),
                           ("reboot exe", reboot, reboot.read_bytes())], "probe-web")
    # /D= overrides the recipe's folder (no space in it: wine would quote the argument)
    prefix, run = _build_and_install(tmp_path, recipe, wine_kit, install_dir="C:\\ChosenDir")
    assert run.code == 3010 % 256, run.output  # a step asked for a reboot
    assert not (prefix.drive_c / "Probe Dir").exists()
    folder = prefix.drive_c / "ChosenDir"
    state = folder / "choconsis-probe-web"
    log = (state / "probe-web-install.log").read_text("utf-16")
    assert "reboot required (exit code 3010)" in log and "sha256 verified" in log
    # the PATH and packages steps ran in ONE start of the runtime's python (the engine),
    # which logged each of them as the other steps are logged
    assert log.count("one start of the runtime's python.exe") == 1
    assert "the engine (steps 4 to 5): one start of the runtime's python.exe" in log
    assert "step 4 (PATH): start (prepend_path; owns: recorded)" in log
    assert "step 5 (pip install choconsis-probe): done" in log
    assert "the engine (steps 4 to 5): exit code 0" in log
    assert (prefix.drive_c / "ChoconsisMarker" / "note.txt").is_file()
    assert (folder / "Scripts" / "choconsis-probe.exe").is_file()
    values = prefix.reg_query(UNINSTALL_KEY + "probe-web")
    entry = next(iter(values.values()))
    assert entry["displayversion"].data == "10.5.0"
    assert entry["installlocation"].data == "C:\\ChosenDir"
    assert entry["quietuninstallstring"].data == \
        '"C:\\ChosenDir\\choconsis-probe-web\\uninstall.exe" /S'
    assert int(entry["estimatedsize"].data, 16) > 10_000  # KB: the runtime is ~80 MB
    path = prefix.reg_value("HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\"
                            "Environment", "Path")
    assert path.type == "REG_EXPAND_SZ"
    assert path.data.startswith("C:\\ChosenDir;C:\\ChosenDir\\Scripts;")

    undo = prefix.run(uninstall_args(entry["quietuninstallstring"].data), timeout=600)
    prefix.wait()
    assert undo.code == 0, undo.output
    assert prefix.reg_query(UNINSTALL_KEY + "probe-web") is None
    assert not (prefix.drive_c / "ChoconsisMarker" / "note.txt").exists()
    after = prefix.reg_value("HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\"
                             "Environment", "Path")
    assert "ChosenDir" not in after.data and after.type == "REG_EXPAND_SZ"
    # run in place (_?=), Windows keeps the running uninstaller (Wine lets it be deleted);
    # everything else is gone
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) \
        if folder.exists() else []
    assert left in ([], ["choconsis-probe-web", "choconsis-probe-web/uninstall.exe"])


@pytest.mark.slow
def test_wine_tampered_download_is_refused_and_nothing_stays(tmp_path: Path, loopback,
                                                             wine_kit):
    from kit.wine import artifacts as wine_artifacts

    _, cache = wine_kit
    marker = wine_artifacts.marker_msi(cache)
    recipe = _wine_recipe(tmp_path, loopback, cache,
                          [("marker msi", marker, marker.read_bytes() + b"tampered")],
                          "probe-bad")
    prefix, run = _build_and_install(tmp_path, recipe, wine_kit)
    assert run.code == 1, run.output
    log = failure_log(prefix, "probe-bad")
    assert "sha256 mismatch" in log and "rollback done" in log
    assert not (prefix.drive_c / "Probe Dir").exists()
    assert not (prefix.drive_c / "ChoconsisMarker").exists()
    assert prefix.reg_query(UNINSTALL_KEY + "probe-bad") is None


@pytest.mark.slow
def test_wine_failing_msi_rolls_back_with_its_exit_code(tmp_path: Path, loopback, wine_kit):
    from kit.wine import artifacts as wine_artifacts

    _, cache = wine_kit
    failing = wine_artifacts.failing_msi(cache)
    recipe = _wine_recipe(tmp_path, loopback, cache,
                          [("failing msi", failing, failing.read_bytes())], "probe-1603")
    prefix, run = _build_and_install(tmp_path, recipe, wine_kit)
    assert run.code == 1603 % 256, run.output
    log = failure_log(prefix, "probe-1603")
    assert "FAILED: step 2 (failing msi) failed with exit code 1603" in log
    # msiexec says why only in its own log, which the FAILED line names
    [msi_log] = re.findall(r"msiexec's log: (.+\.install\.log)", log)
    raw = prefix.to_linux(msi_log).read_bytes()
    words = raw.decode("utf-16") if raw[:2] == b"\xff\xfe" else raw.decode("latin-1")
    # (Wine 8.0's msiexec logs the launch conditions, not the refusal's message that
    # Windows logs with "Return value 3")
    assert "fails-1603.msi" in words and "LaunchConditions" in words, words[-2000:]
    assert "undo step 1" in log and "rollback done" in log
    assert not (prefix.drive_c / "Probe Dir").exists()
    assert prefix.reg_query(UNINSTALL_KEY + "probe-1603") is None


@pytest.mark.slow
def test_wine_offline_install_downloads_nothing(tmp_path: Path, loopback, wine_kit):
    from kit.wine import artifacts as wine_artifacts

    _, cache = wine_kit
    marker = wine_artifacts.marker_msi(cache)
    recipe = _wine_recipe(tmp_path, loopback, cache, [("marker msi", marker, marker.read_bytes())],
                          "probe-offline")
    from choconsis.build import BuildOptions, build

    template, _ = wine_kit
    result = build(recipe, BuildOptions(out_dir=tmp_path / "dist", chocolatey=False, offline=True,
                                        artifacts_dir=tmp_path / "artifacts",
                                        cache_dir=tmp_path / "cache"))
    hits_at_build = dict(loopback.hits)
    prefix = template.copy_to(tmp_path / "prefix")
    # A hostile environment: the user's PIP_TARGET / PYTHONPATH must not redirect the install,
    # and a machine PATH far longer than an NSIS string must survive (and the check still
    # finds the new command through the prepended entries).
    prefix.reg_add("HKCU\\Environment", "PIP_TARGET", "C:\\Elsewhere")
    prefix.reg_add("HKCU\\Environment", "PYTHONPATH", "C:\\Elsewhere")
    env_key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
    long_path = prefix.reg_value(env_key, "Path").data + "".join(
        f";C:\\Long\\Entry{i:03d}" for i in range(200))
    prefix.reg_add(env_key, "Path", long_path, type="REG_EXPAND_SZ")
    run = prefix.run([prefix.to_windows(result.setup_exe), "/S"], timeout=600)
    prefix.wait()
    assert run.code == 0, run.output
    assert not (prefix.drive_c / "Elsewhere").exists()
    after = prefix.reg_value(env_key, "Path").data
    assert after == "C:\\Probe Dir;C:\\Probe Dir\\Scripts;" + long_path
    assert dict(loopback.hits) == hits_at_build  # the installer itself fetched nothing
    state = prefix.drive_c / "Probe Dir" / "choconsis-probe-offline"
    log = (state / "probe-offline-install.log").read_text("utf-16")
    assert "(offline mode)" in log and "downloading" not in log
    assert (prefix.drive_c / "ChoconsisMarker" / "note.txt").is_file()
    assert (prefix.drive_c / "Probe Dir" / "Scripts" / "choconsis-probe.exe").is_file()
    assert prefix.reg_query(UNINSTALL_KEY + "probe-offline") is not None


@pytest.mark.slow
def test_wine_repair_keeps_one_entry_and_uninstall_is_still_exact(tmp_path: Path, loopback,
                                                                  wine_kit):
    """Running the same setup.exe twice: one Add/Remove entry, PATH entries once, clean undo."""
    from choconsis.smoke import uninstall_args

    _, cache = wine_kit
    recipe = _wine_recipe(tmp_path, loopback, cache, [], "probe-repair")
    prefix, run = _build_and_install(tmp_path, recipe, wine_kit, install_dir="C:\\FirstDir")
    assert run.code == 0, run.output
    setup = next((tmp_path / "dist").glob("*-setup.exe"))
    again = prefix.run([prefix.to_windows(setup), "/S"], timeout=600)  # no /D=: same folder
    prefix.wait()
    assert again.code == 0, again.output
    assert not (prefix.drive_c / "Probe Dir").exists()
    keys = prefix.reg_query(UNINSTALL_KEY + "probe-repair")
    assert len(keys) == 1
    entry = next(iter(keys.values()))
    assert entry["installlocation"].data == "C:\\FirstDir"
    env_key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
    entries = prefix.reg_value(env_key, "Path").data.split(";")
    assert entries.count("C:\\FirstDir") == 1 and entries.count("C:\\FirstDir\\Scripts") == 1
    undo = prefix.run(uninstall_args(entry["quietuninstallstring"].data), timeout=600)
    prefix.wait()
    assert undo.code == 0, undo.output
    assert "FirstDir" not in prefix.reg_value(env_key, "Path").data
    assert prefix.reg_query(UNINSTALL_KEY + "probe-repair") is None


@pytest.mark.slow
def test_wine_exe_runtime_web_install_and_quiet_uninstall(tmp_path: Path, loopback, wine_kit):
    """The default recipe's shape: an EXE runtime downloaded at install time."""
    from kit.wine import artifacts as wine_artifacts
    from choconsis.smoke import uninstall_args

    _, cache = wine_kit
    fake = wine_artifacts.fake_python_exe(cache)
    recipe = _wine_recipe(tmp_path, loopback, cache, [], "probe-exe")
    data = tomllib.loads(recipe.read_text("utf-8"))
    data["python"].update(installer="exe", url=loopback.add("/files/python-fake.exe",
                                                           fake.read_bytes()),
                          sha256=hashlib.sha256(fake.read_bytes()).hexdigest())
    import tomlkit

    recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    # no space in the folder: wine would quote the uninstaller's _?= argument, which NSIS then
    # ignores (it relaunches itself from %TEMP% and exits 0 at once)
    prefix, run = _build_and_install(tmp_path, recipe, wine_kit, install_dir="C:\\ProbeExe")
    assert run.code == 0, run.output
    folder = prefix.drive_c / "ProbeExe"
    state = folder / "choconsis-probe-exe"
    # the bundle is kept where the last app using the shared runtime finds it
    kept = prefix.drive_c / "ProgramData" / "choconsis" / "runtimes" / "python-fake.exe"
    assert kept.read_bytes() == fake.read_bytes()
    assert (folder / "Scripts" / "choconsis-probe.exe").is_file()
    log = (state / "probe-exe-install.log").read_text("utf-16")
    assert "step 1 (Python 3.12.1 (amd64)): sha256 verified" in log
    assert prefix.reg_value("HKLM\\" + wine_artifacts.FAKE_PEP514_KEY, "", view=64).data == "C:\\ProbeExe"
    entry = next(iter(prefix.reg_query(UNINSTALL_KEY + "probe-exe").values()))
    undo = prefix.run(uninstall_args(entry["quietuninstallstring"].data), timeout=600)
    prefix.wait()
    assert undo.code == 0, undo.output
    assert prefix.reg_query("HKLM\\" + wine_artifacts.FAKE_PEP514_KEY) is None  # it uninstalled
    assert not kept.exists()
    assert not (folder / "python.exe").exists() and not (folder / "Lib").exists()
    assert prefix.reg_query(UNINSTALL_KEY + "probe-exe") is None


@pytest.mark.parametrize("name", ["openstack-clients-2013", EXE_VARIANT])  # shared runtimes
def test_runtime_undo_first_removes_run_time_bytecode(name):
    script = script_of(shipped_plan(name))
    undo = script[script.index("!macro ChoconsisUndoStep1 "):]
    undo = undo[:undo.index("!macroend")]
    cleanup = undo.index("-B -E -s -c")
    assert "__pycache__" in undo[cleanup:]
    # only the last app using the shared runtime removes it, with the command registered
    assert undo.index("ChoconsisReleaseRuntime") < cleanup < undo.index('ExecWait "$4" $0')


def test_no_check_skips_the_check_and_a_recipe_can_leave_it_out():
    """setup.exe /NoCheck skips the last step for one install; [check] at_install = false
    leaves it out of the installer (and of the Chocolatey package: see test_chocolatey)."""
    script = script_of(shipped_plan("openstack-clients"))
    init = script[script.index("Function .onInit"):]
    assert '${GetOptions} $R0 "/NoCheck" $R1' in init
    assert init.index('"/NoCheck"') < init.index("Call ChoconsisApplyScope")
    check = script[script.index('"run_check"'):]
    assert check.index("${If} $NoCheck == 1") < check.index("nsExec::ExecToStack")
    # what the check printed goes to the log, and with a failure to its message
    assert "!insertmacro ChoconsisLog \"\" \"$StepName: its output: $3\"" in check
    assert "failed with exit code $0$1; its output:$\\r$\\n$3\"" in check
    assert '"$StepName: skipped (/NoCheck)"' in check
    data = exe_recipe_data()
    data["check"]["at_install"] = False
    plan = plan_of(data)
    assert plan.check_step is None and '"run_check"' not in script_of(plan)
    data["check"]["at_install"] = "no"
    with pytest.raises(RecipeError, match=r"check\.at_install.*expected true or false"):
        plan_of(data)


def _readme_exit_codes() -> set[int]:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("| Exit code | Meaning |", 1)[1].split("\n\n", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}


def test_every_exit_code_setup_exe_sets_is_in_the_readme_table_and_no_other():
    """README's table of setup.exe's exit codes and the template agree: every literal code
    setup.exe or its uninstaller stops with (ChoconsisStop, ChoconsisFail, SetErrorLevel)
    is documented, and every documented code is one of them (0: success; 1 also NSIS's own,
    for a cancelled wizard)."""
    used: set[int] = set()
    for name in ("openstack-clients", "openstack-clients-2013"):  # per user and machine-only
        script = script_of(shipped_plan(name))
        used |= {int(c) for c in re.findall(r'!insertmacro ChoconsisStop "(?:un\.)?" (\d+) ',
                                            script)}
        used |= {int(c) for c in re.findall(r"^\s*SetErrorLevel (\d+)\s*$", script, re.M)}
        used |= {int(c) for c in re.findall(r"^\s*Push (\d+)\s*\n(?:\s*Push .*\n)+?\s*"
                                            r"Call ChoconsisFail", script, re.M)}
    assert {1, 2, 740, 3010} <= used
    assert _readme_exit_codes() == used | {0}


def test_no_abort_without_a_reason_in_the_log():
    """Every Quit and Abort of setup.exe comes after a log line saying why: inside
    ChoconsisStop and ChoconsisFail, or the scope page's Abort, which only keeps the wizard
    on its page after a dialog."""
    script = script_of(shipped_plan("openstack-clients-2013"))
    lines = script.splitlines()
    for i, line in enumerate(lines):
        if line.strip().split(" ")[0] in ("Quit", "Abort"):
            before = "\n".join(lines[max(0, i - 12):i])
            assert "ChoconsisLog" in before or "stay on the page" in line, \
                "\n".join(lines[max(0, i - 12):i + 1])
    assert "MessageBox" not in script.split("Function .onInit", 1)[1].split("FunctionEnd")[0]
