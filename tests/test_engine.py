"""The target-side engine (choconsis.engine: choconsis_engine.py and its modules), run here
with this Python on a temporary folder: a real venv, a fake Windows registry behind
choconsis_path's registry layer, real programs standing in for uv and pip. What the plan
hands it (tests/test_parity.py: both back ends call it alike) is checked against what it
reads."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from choconsis.datafiles import template_dir
from choconsis.plan import (ENGINE_FILES, ENGINE_KINDS, Delivery, build_plan,
                            engine_description, engine_json)
from choconsis.plan.engine import earlier_state, engine_variables
from choconsis.recipe import parse_recipe
from kit.locks import fake_lock
from kit.recipes import recipe_data

ENGINE_DIR = template_dir("choconsis.engine")
sys.path.insert(0, str(ENGINE_DIR))
import choconsis_engine  # noqa: E402
import choconsis_path  # noqa: E402


class FakeKey:
    def Close(self) -> None:
        pass


class FakeRegistry:
    """The Path value of each scope, in memory (REG_EXPAND_SZ is 2)."""

    def __init__(self, user: str | None = None):
        self.values: dict[str, str] = {} if user is None else {"user": user}
        self.keys: dict[int, str] = {}

    def open_key(self, scope):
        key = FakeKey()
        self.keys[id(key)] = scope
        return key

    def read_path(self, key):
        scope = self.keys[id(key)]
        return self.values.get(scope, ""), 2, scope in self.values

    def write_path(self, key, value, kind):
        self.values[self.keys[id(key)]] = value

    def delete_path(self, key):
        del self.values[self.keys[id(key)]]

    def broadcast(self):
        pass


@pytest.fixture
def registry(monkeypatch) -> FakeRegistry:
    fake = FakeRegistry(user=r"C:\Windows;C:\Tools")
    monkeypatch.setattr(choconsis_path, "registry", fake)
    return fake


def v(name: str, tail: str = "") -> list:
    return [{"var": name}] + ([tail] if tail else [])


def app_site(install: Path) -> Path:
    """Where a Linux venv keeps its packages (Lib\\site-packages on Windows)."""
    return install / "env" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" \
        / "site-packages"


def description(tool_command: list, uv: dict | None = None,
                commands: tuple[tuple[str, str, str], ...] = (
                    ("demo-tool", "console", "demo-tool.exe"),)) -> dict:
    """environment, path, packages (a program standing in for uv), commands (name, kind,
    file): the steps and fields the plan gives for the default shape (checked in the last
    tests)."""
    site = "/env/lib/python%d.%d/site-packages" % sys.version_info[:2]
    names, kinds, files = (list(column) for column in zip(*commands))
    return {"version": 1, "steps": [
        {"number": 2, "key": "environment", "title": "the app's environment", "owns": "ours",
         "install": {"kind": "make_venv", "folder": v("install_dir", "/env")},
         "undo": {"kind": "remove_tree", "folder": v("install_dir", "/env")}},
        {"number": 3, "key": "path", "title": "PATH", "owns": "recorded",
         "install": {"kind": "prepend_path", "entries": [v("install_dir", r"\extra")],
                     "scope": v("scope"), "record": v("state_dir", "/path-record.txt")},
         "undo": {"kind": "remove_path_entries", "scope": v("scope"),
                  "record": v("state_dir", "/path-record.txt")}},
        {"number": 4, "key": "packages", "title": "uv install demo", "owns": "ours",
         "install": {"kind": "pip_install", "command": tool_command, "uv": uv, "record": None},
         "undo": {"kind": "nothing"}},
        {"number": 5, "key": "commands", "title": "commands on PATH: " + " ".join(names),
         "owns": "ours",
         "install": {"kind": "expose_commands", "names": names, "kinds": kinds,
                     "scripts": v("install_dir", "/env/bin"),
                     "python": v("install_dir", "/env/bin/python"),
                     "site_packages": v("install_dir", site), "bin": v("install_dir", "/bin"),
                     "expose": v("expose"), "scope": v("scope"),
                     "record": v("state_dir", "/bin-path-record.txt")},
         "undo": {"kind": "remove_commands", "names": names, "files": files,
                  "bin": v("install_dir", "/bin"), "expose": v("expose"), "scope": v("scope"),
                  "record": v("state_dir", "/bin-path-record.txt")}}]}


# A stand-in for uv: installs a dist with a console script into the environment's
# site-packages (argv 1), as uv would.
FAKE_INSTALLER = """import os, sys
site = sys.argv[1]
os.makedirs(os.path.join(site, "demo_app-1.0.dist-info"), exist_ok=True)
open(os.path.join(site, "demo_app.py"), "w").write("def main():\\n    print('demo')\\n")
open(os.path.join(site, "demo_app-1.0.dist-info", "entry_points.txt"), "w").write(
    "[console_scripts]\\ndemo-tool = demo_app:main\\n")
print("Installed 1 package")
"""

FAILING_INSTALLER = """import sys
print("Resolved 1 package", flush=True)  # a pipe buffers stdout: keep the order uv writes in
sys.stderr.write("error: Failed to download demo-app==1.0: hash mismatch\\n")
sys.exit(2)
"""


def run_engine(tmp_path: Path, side: str, steps: dict, **extra: str) -> tuple[int, str]:
    steps_file = tmp_path / "choconsis-steps.json"
    steps_file.write_text(json.dumps(steps), encoding="utf-8")
    variables = {"install_dir": str(tmp_path / "app"), "state_dir": str(tmp_path / "app" / "st"),
                 "scope": "user", "expose": "path", **extra}
    argv = [side, "--steps", str(steps_file)]
    for name, value in variables.items():
        argv += ["--var", f"{name}={value}"]
    argv += ["--log", str(tmp_path / "install.log")]
    out = io.StringIO()
    with redirect_stdout(out):
        code = choconsis_engine.main(argv)
    return code, out.getvalue()


def log_lines(tmp_path: Path) -> list[str]:
    return [line.split("  ", 1)[1] for line in
            (tmp_path / "install.log").read_text("utf-16").splitlines()]


def installer_script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "installer.py"
    script.write_text(body, encoding="utf-8")
    return script


def test_install_runs_every_step_in_one_start_and_undo_takes_back_exactly_that(
        tmp_path: Path, registry: FakeRegistry):
    app = tmp_path / "app"
    tool = [[sys.executable], [str(installer_script(tmp_path, FAKE_INSTALLER))],
            v("install_dir", str(app_site(app))[len(str(app)):])]
    code, out = run_engine(tmp_path, "install", description(tool))
    assert (code, out) == (0, "")
    assert (app / "env" / "pyvenv.cfg").is_file()
    launcher = app / "bin" / "demo-tool"
    assert launcher.is_file()
    assert launcher.read_text().startswith(f"#!{app / 'env' / 'bin' / 'python'}")
    # [path] first, then the commands folder, each in front of what was there
    assert registry.values["user"] == ";".join([str(app / "bin"), str(app) + r"\extra",
                                                r"C:\Windows", r"C:\Tools"])
    lines = log_lines(tmp_path)
    assert lines[0] == "step 2 (the app's environment): start (make_venv; owns: ours)"
    assert "  Installed 1 package" in lines  # the tool's output, in the install log
    assert [line for line in lines if line.endswith(": done")] == [
        "step 2 (the app's environment): done", "step 3 (PATH): done",
        "step 4 (uv install demo): done", "step 5 (commands on PATH: demo-tool): done"]
    state = json.loads((app / "st" / "engine-state.json").read_text())
    assert state["done"] == {"environment": "made", "path": "recorded",
                             "packages": "installed", "commands": "exposed"}

    code, out = run_engine(tmp_path, "undo", description(tool))
    assert (code, out) == (0, "")
    assert registry.values["user"] == r"C:\Windows;C:\Tools"
    assert not (app / "env").exists() and not (app / "bin").exists()
    assert sorted(p.name for p in (app / "st").iterdir()) == []
    undo_lines = log_lines(tmp_path)
    assert undo_lines.index("undo step 5 (commands on PATH: demo-tool): remove_commands") \
        < undo_lines.index("undo step 3 (PATH): remove_path_entries") \
        < undo_lines.index("undo step 2 (the app's environment): remove_tree")
    assert "undo step 3 (PATH): removed from the user Path: " + str(app) + r"\extra" \
        in undo_lines


# The stand-in installer also puts what a wheel's .data/scripts holds into the
# environment's Scripts folder (bin in a Linux venv): a native program, a Python script with
# the shebang pip wrote, its Windows companion and a batch file of its own.
DATA_SCRIPTS_INSTALLER = FAKE_INSTALLER + """
scripts = os.path.join(os.path.dirname(site), "..", "..", "bin")
open(os.path.join(scripts, "tiny.exe"), "wb").write(b"MZ native")
open(os.path.join(scripts, "legacy"), "w").write("#!/abs/env/python.exe\\nprint('legacy ran')\\n")
open(os.path.join(scripts, "legacy.cmd"), "w").write("@echo companion\\n")
open(os.path.join(scripts, "hello.cmd"), "w").write("@echo hello\\n")
"""


def test_commands_of_every_kind_are_exposed_and_taken_back(tmp_path: Path,
                                                           registry: FakeRegistry):
    app = tmp_path / "app"
    tool = [[sys.executable], [str(installer_script(tmp_path, DATA_SCRIPTS_INSTALLER))],
            v("install_dir", str(app_site(app))[len(str(app)):])]
    commands = (("demo-tool", "console", "demo-tool.exe"), ("tiny", "exe", "tiny.exe"),
                ("legacy", "script", "legacy.exe"), ("hello.cmd", "batch", "hello.cmd"))
    code, out = run_engine(tmp_path, "install", description(tool, commands=commands))
    assert (code, out) == (0, "")
    bin_, scripts = app / "bin", app / "env" / "bin"
    assert sorted(p.name for p in bin_.iterdir()) == ["demo-tool", "hello.cmd", "legacy",
                                                      "tiny.exe"]
    # the native program is itself (a hard link here), not a launcher
    assert (bin_ / "tiny.exe").read_bytes() == b"MZ native"
    assert (bin_ / "tiny.exe").stat().st_ino == (scripts / "tiny.exe").stat().st_ino
    # the script runs with the environment's python, whatever its first line said
    legacy = bin_ / "legacy"
    assert legacy.read_text().startswith(f"#!{scripts / 'python'}")
    ran = subprocess.run([str(legacy)], capture_output=True, text=True, check=True)
    assert ran.stdout == "legacy ran\n"
    # the batch file hands over to the one in Scripts, relative to its own folder
    assert (bin_ / "hello.cmd").read_bytes() == b'@"%~dp0../env/bin/hello.cmd" %*\r\n'
    assert (scripts / "legacy.cmd").is_file() and not (bin_ / "legacy.cmd").exists()

    code, out = run_engine(tmp_path, "undo", description(tool, commands=commands))
    assert (code, out) == (0, "")
    assert not bin_.exists() and not (app / "env").exists()


def test_a_command_whose_file_is_missing_fails_the_step_in_one_line(tmp_path: Path,
                                                                  registry: FakeRegistry):
    app = tmp_path / "app"
    tool = [[sys.executable], [str(installer_script(tmp_path, FAKE_INSTALLER))],
            v("install_dir", str(app_site(app))[len(str(app)):])]
    commands = (("ruff", "exe", "ruff.exe"),)
    code, out = run_engine(tmp_path, "install", description(tool, commands=commands))
    assert code == 1 and out.count("\n") == 1
    assert "step 5 (commands on PATH: ruff) failed" in out and "ruff.exe is not there" in out
    assert not (app / "bin").exists()


def test_a_failing_step_undoes_the_engines_part_and_says_why_in_one_line(
        tmp_path: Path, registry: FakeRegistry):
    app = tmp_path / "app"
    tool = [[sys.executable], [str(installer_script(tmp_path, FAILING_INSTALLER))]]
    code, out = run_engine(tmp_path, "install", description(tool))
    assert code == 1
    first, *tail = out.splitlines()
    assert first.startswith("choconsis_engine: step 4 (uv install demo) failed: ")
    assert first.endswith("exited with code 2; its last 2 line(s):")
    # the tool's last lines, after the line that says which step and why
    assert tail == ["  Resolved 1 package",
                    "  error: Failed to download demo-app==1.0: hash mismatch"]
    lines = log_lines(tmp_path)
    assert "  error: Failed to download demo-app==1.0: hash mismatch" in lines
    assert any(line.startswith("FAILED: step 4 (uv install demo) failed: ") for line in lines)
    # the environment and the PATH entry are gone again, and so is the engine's record
    assert not (app / "env").exists()
    assert registry.values["user"] == r"C:\Windows;C:\Tools"
    assert not (app / "st" / "engine-state.json").exists()
    assert "undo step 2 (the app's environment): remove_tree" in log_lines(tmp_path)
    # an undo call after that (setup.exe's rollback, an uninstall) finds nothing to do
    assert run_engine(tmp_path, "undo", description(tool)) == (0, "")


def test_a_folder_the_app_did_not_make_is_refused_and_kept(tmp_path: Path,
                                                           registry: FakeRegistry):
    env = tmp_path / "app" / "env"
    env.mkdir(parents=True)
    (env / "theirs.txt").write_text("keep me")
    code, out = run_engine(tmp_path, "install", description([[sys.executable], ["-c"], ["0"]]))
    assert code == 1
    assert "step 2 (the app's environment) failed" in out
    assert "did not make it; refusing to replace it" in out
    assert (env / "theirs.txt").read_text() == "keep me"
    assert registry.values["user"] == r"C:\Windows;C:\Tools"


def test_an_upgrade_replaces_the_environment_an_earlier_version_made(
        tmp_path: Path, registry: FakeRegistry):
    app = tmp_path / "app"
    tool = [[sys.executable], [str(installer_script(tmp_path, FAKE_INSTALLER))],
            v("install_dir", str(app_site(app))[len(str(app)):])]
    assert run_engine(tmp_path, "install", description(tool))[0] == 0
    (app_site(app) / "dropped.py").write_text("")  # a package the new lock no longer has
    assert run_engine(tmp_path, "install", description(tool)) == (0, "")
    assert not (app_site(app) / "dropped.py").exists()
    assert "step 2 (the app's environment): removing the environment an earlier version " \
        "made" in log_lines(tmp_path)
    assert registry.values["user"].count(str(app / "bin")) == 1


def test_uv_comes_out_of_its_wheel_and_goes_after_the_install(tmp_path: Path,
                                                              registry: FakeRegistry):
    wheel = tmp_path / "uv-0.1-py3-none-win_amd64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("uv-0.1.data/scripts/uv.exe", FAKE_INSTALLER)
    app = tmp_path / "app"
    program = v("state_dir", "/uv/uv.exe")
    uv = {"wheel": v("file"), "member": "uv-0.1.data/scripts/uv.exe", "program": program,
          "folder": v("state_dir", "/uv")}
    tool = [[sys.executable], program, v("install_dir", str(app_site(app))[len(str(app)):])]
    code, out = run_engine(tmp_path, "install", description(tool, uv), file=str(wheel))
    assert (code, out) == (0, "")
    assert (app / "bin" / "demo-tool").is_file()
    assert not (app / "st" / "uv").exists()


def test_without_a_value_it_needs_the_engine_stops_before_doing_anything(
        tmp_path: Path, registry: FakeRegistry):
    steps = description([[sys.executable]])
    steps["steps"][0]["install"]["folder"] = v("nowhere")
    code, out = run_engine(tmp_path, "install", steps)
    assert code == 1 and "the installer passed no --var nowhere=..." in out
    assert not (tmp_path / "app" / "env").exists()


def test_usage_errors_exit_2_from_the_command_line(tmp_path: Path):
    """... and the engine's start leaves no __pycache__ beside it (the uninstall removes the
    files it shipped, then the folder, which must be empty by then)."""
    for name in ENGINE_FILES:
        shutil.copyfile(ENGINE_DIR / name, tmp_path / name)
    for args in ([], ["install"], ["remove", "--steps", "x", "--var", "state_dir=y"]):
        proc = subprocess.run([sys.executable, "-E", "-s",
                               str(tmp_path / "choconsis_engine.py"), *args],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stdout.startswith("choconsis_engine: usage error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(ENGINE_FILES)


def test_it_runs_under_python27_too(tmp_path: Path):
    """A runtime-shaped install of a Python 2 recipe: the engine's start, its description
    reading and an undo with nothing recorded, under a real Python 2.7 if there is one."""
    try:
        subprocess.run(["python2.7", "-c", "import sys; assert sys.version_info[:2] == (2, 7)"],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no Python 2.7 here")
    steps = tmp_path / "steps.json"
    steps.write_text(json.dumps(description([["x"]])), encoding="utf-8")
    proc = subprocess.run(["python2.7", "-E", "-s", str(ENGINE_DIR / "choconsis_engine.py"),
                           "undo", "--steps", str(steps), "--var", f"state_dir={tmp_path}",
                           "--var", "install_dir=x", "--var", "scope=user", "--var",
                           "expose=path"], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


# ---------------------------------------------------------------------------- the plan's side


def default_plan(delivery: Delivery = Delivery.OFFLINE):
    data = recipe_data("openstack-clients")
    data["install"]["commands"] = ["openstack"]
    data.setdefault("path", {})["prepend"] = ["{install_dir}\\extra"]
    return build_plan(parse_recipe(data, "default.toml"), fake_lock(parse_recipe(data, "default.toml")), delivery)


def test_the_plans_description_has_the_fields_the_engine_reads():
    described = engine_description(default_plan())
    mine = description([["x"]])
    assert [s["install"]["kind"] for s in described["steps"]] == [
        "make_venv", "prepend_path", "pip_install", "expose_commands"]
    for theirs, ours in zip(described["steps"], mine["steps"]):
        assert set(theirs) == set(ours)
        assert set(theirs["install"]) == set(ours["install"]), theirs["install"]["kind"]
        assert set(theirs["undo"]) == set(ours["undo"]), theirs["undo"]["kind"]
    assert {s["install"]["kind"] for s in described["steps"]} <= ENGINE_KINDS
    assert json.loads(engine_json(default_plan())) == described


def test_install_time_values_are_placeholders_and_never_literal_paths():
    plan = default_plan()
    text = engine_json(plan)
    assert "$INSTDIR" not in text and "$installDir" not in text
    assert engine_variables(plan, "install") == (
        "expose", "file", "install_dir", "lock", "scope", "state_dir", "wheels")
    assert engine_variables(plan, "undo") == ("expose", "install_dir", "scope", "state_dir")


def test_the_engine_files_ship_in_the_wheel():
    assert all((ENGINE_DIR / name).is_file() for name in ENGINE_FILES)
    assert default_plan().target_files == ENGINE_FILES


def test_an_upgrade_over_a_version_before_the_engine_replaces_its_environment(
        tmp_path: Path, registry: FakeRegistry):
    """The back ends seed the engine's record with what the plan gives when the installer's
    own records say the environment was made by this app (a version built before the
    engine); the engine then replaces that folder as its own."""
    key, text = earlier_state(default_plan())
    assert key == "environment"
    app = tmp_path / "app"
    (app / "env").mkdir(parents=True)
    (app / "env" / "old.txt").write_text("")
    (app / "st").mkdir()
    (app / "st" / "engine-state.json").write_text(text, encoding="utf-8")
    tool = [[sys.executable], [str(installer_script(tmp_path, FAKE_INSTALLER))],
            v("install_dir", str(app_site(app))[len(str(app)):])]
    assert run_engine(tmp_path, "install", description(tool)) == (0, "")
    assert not (app / "env" / "old.txt").exists() and (app / "env" / "pyvenv.cfg").is_file()


CHATTY_INSTALLER = """import sys
for n in range(100):
    print("line %d " % n + "x" * 300)
print("error: invalid peer certificate: UnknownIssuer")
sys.exit(2)
"""


def test_the_failure_text_keeps_the_newest_lines_and_fits_an_nsis_string(
        tmp_path: Path, registry: FakeRegistry):
    """setup.exe reads the engine's answer into one NSIS string (1024 characters) and shows
    it in its dialog: the newest lines of a chatty tool are kept, cut to fit."""
    tool = [[sys.executable], [str(installer_script(tmp_path, CHATTY_INSTALLER))]]
    code, out = run_engine(tmp_path, "install", description(tool))
    assert code == 1
    first, *tail = out.splitlines()
    assert 2 <= len(tail) <= 20 and len(out) < 900
    assert tail[-1] == "  error: invalid peer certificate: UnknownIssuer"
    assert tail[-2].startswith("  line 99 xxx") and tail[-2].endswith("...")
    assert first.endswith(f"its last {len(tail)} line(s):")
    # the install log has every line the tool printed
    assert sum(line.startswith("  line ") for line in log_lines(tmp_path)) == 100


@pytest.mark.parametrize("code", [-1073741515, 3221225781, "-1073741515", "3221225781"])
def test_a_missing_dll_is_said_in_words(code):
    """0xC0000135 as ExecWait or %ERRORLEVEL% (signed) or .NET (unsigned) give it."""
    import exit_status
    assert exit_status.exit_words(code) == "0xC0000135: a DLL it needs is missing"
    assert exit_status.describe_exit(code) == \
        f"code {code} (0xC0000135: a DLL it needs is missing)"
    import engine_actions
    assert str(engine_actions.ToolError(os.path.join("st", "uv.exe"), code, [])) == \
        f"uv.exe exited with code {code} (0xC0000135: a DLL it needs is missing)"


@pytest.mark.parametrize("code", [0, 1, 2, 9009, 3010, "error", None])
def test_ordinary_exit_codes_get_no_words(code):
    import exit_status
    assert exit_status.exit_words(code) == ""
    assert exit_status.describe_exit(code) == f"code {code}"


def test_a_record_left_half_saved_by_a_kill_is_taken_over(tmp_path: Path):
    """Killed between removing the old state file and renaming the new one in (Python 2 has
    no os.replace), the new one is complete: a rerun reads it (else it would refuse the
    environment it made as "not made by this app")."""
    state = choconsis_engine.State(str(tmp_path / "engine-state.json"))
    state.record("environment", "made")
    Path(state.path).rename(state.path + ".tmp")
    again = choconsis_engine.State(state.path)
    assert again.done == {"environment": "made"}
    again.record("packages", "installed")
    assert json.loads(Path(state.path).read_text())["done"] == {"environment": "made",
                                                                "packages": "installed"}
    again.remove()
    assert list(tmp_path.iterdir()) == []
