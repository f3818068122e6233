"""Builds that are killed or run at once (generator/outfolder.py, generator/children.py):
real `choconsis build` processes, signalled while makensis runs.

makensis is made to wait by a stand-in first on PATH that records its pid (and its child's),
then either sleeps (the build is killed meanwhile) or, after a pause that makes two builds
overlap, runs the real makensis.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from choconsis import outfolder
from kit.recipes import RECIPES

pytestmark = pytest.mark.skipif(shutil.which("makensis") is None or sys.platform != "linux",
                                reason="needs makensis (Debian package nsis) and Linux")

STAND_IN = """#!/bin/sh
echo $$ >> "$FAKE_PIDS"
if [ -n "$FAKE_DELAY" ]; then sleep "$FAKE_DELAY"; exec "$REAL_MAKENSIS" "$@"; fi
sleep 300 &
echo $! >> "$FAKE_PIDS"
wait
"""


def _recipe(tmp_path: Path) -> Path:
    """The shipped default recipe and its lock (a web build: nothing to download)."""
    for name in ("openstack-clients.toml", "pylock.openstack-clients.toml"):
        shutil.copyfile(RECIPES / name, tmp_path / name)
    return tmp_path / "openstack-clients.toml"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    stand_in = bin_dir / "makensis"
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "REAL_MAKENSIS": shutil.which("makensis") or "", "CHOCONSIS_CACHE":
            str(tmp_path / "cache"), **extra}


def _start(recipe: Path, out: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "choconsis", "build", str(recipe), "-o",
                             str(out), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _pids(path: Path, count: int, proc: subprocess.Popen[str]) -> list[int]:
    """The pids the stand-in wrote, once there are ``count`` of them."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [int(x) for x in lines]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("makensis never started")


def _gone(pid: int, within: float = 5.0) -> bool:
    """No such process (a zombie counts as gone: it runs nothing)."""
    deadline = time.monotonic() + within
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _staging(out: Path) -> list[Path]:
    return sorted(out.glob(".choconsis-*"))


def test_sigterm_during_makensis_leaves_nothing_running_or_written(tmp_path):
    out = tmp_path / "out"
    pid_file = tmp_path / "pids"
    proc = _start(_recipe(tmp_path), out, _env(tmp_path, FAKE_PIDS=str(pid_file)))
    makensis, child = _pids(pid_file, 2, proc)
    assert [p.name.split("-")[1] for p in _staging(out)] == [str(proc.pid)]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err.strip().splitlines()[-1] == "choconsis: terminated"
    assert _gone(makensis) and _gone(child)  # its whole process group
    assert list(out.iterdir()) == []  # no staging folder, no half an output


def test_sigkill_takes_makensis_along_and_the_next_build_cleans_up(tmp_path):
    out = tmp_path / "out"
    pid_file = tmp_path / "pids"
    recipe = _recipe(tmp_path)
    proc = _start(recipe, out, _env(tmp_path, FAKE_PIDS=str(pid_file)))
    makensis, child = _pids(pid_file, 2, proc)
    proc.kill()
    proc.communicate(timeout=60)
    try:
        assert _gone(makensis)  # PR_SET_PDEATHSIG: the kernel killed it with choconsis
    finally:  # what makensis started runs on (its own end bounds it): not this test's sleep
        for pid in (makensis, child):
            if not _gone(pid, within=0):
                os.kill(pid, signal.SIGKILL)
    left = _staging(out)
    assert len(left) == 1 and left[0].is_dir()  # SIGKILL runs no cleanup ...
    again = subprocess.run([sys.executable, "-m", "choconsis", "build", str(recipe), "-o",
                            str(out)], capture_output=True, text=True,
                           env={**os.environ, "CHOCONSIS_CACHE": str(tmp_path / "cache")})
    assert again.returncode == 0, again.stderr
    assert f"{left[0]}: removed what a killed build left" in again.stderr  # ... the next does
    assert _staging(out) == []


def test_two_builds_at_once_take_turns_and_report_what_is_on_disk(tmp_path):
    from choconsis.store import sha256_file

    out = tmp_path / "out"
    recipe = _recipe(tmp_path)
    env = _env(tmp_path, FAKE_PIDS=str(tmp_path / "pids"), FAKE_DELAY="2")
    first, second = _start(recipe, out, env), _start(recipe, out, env)
    results = [p.communicate(timeout=300) + (p.returncode,) for p in (first, second)]
    assert [code for _, _, code in results] == [0, 0], results
    waited = [err for _, err, _ in results if "another choconsis build (pid " in err]
    assert len(waited) == 1 and "is writing here; waiting for it" in waited[0]
    for stdout, _, _ in results:
        rows = [line.split() for line in stdout.splitlines() if "sha256" in line]
        assert len(rows) == 3
        for row in rows:  # every file the summary names is on disk, with that sha256
            assert sha256_file(Path(row[0])) == row[-1]
    assert _staging(out) == []


def test_a_second_build_stops_with_one_line_after_its_wait(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    recipe = _recipe(tmp_path)
    with outfolder.locked(out):  # a build holding the folder
        proc = subprocess.run([sys.executable, "-m", "choconsis", "render", str(recipe), "-o",
                               str(out), "--wait", "0.5"], capture_output=True, text=True,
                              env={**os.environ, "CHOCONSIS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == (f"choconsis: error: {out}: another choconsis build is writing into "
                         "this output folder; waited 0 s (--wait SECONDS waits longer, or use "
                         "another -o folder)"), proc.stderr
    assert list(out.iterdir()) == []


def test_leftovers_are_those_of_builds_that_are_gone(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        live = tmp_path / f".choconsis-{sleeper.pid}-abcdefgh"
        dead_pid = _dead_pid()
        dead = tmp_path / f".choconsis-{dead_pid}-abcdefgh"
        old = tmp_path / ".choconsis-k2j4h5g6"  # a choconsis from before the lock
        other = tmp_path / ".choconsis-notes"  # not a staging folder's name
        for folder in (live, dead, old, other):
            (folder / "payload").mkdir(parents=True)
        removed = outfolder.remove_leftovers(tmp_path)
        assert sorted(removed) == sorted([dead, old])
        assert live.is_dir() and other.is_dir() and not dead.exists() and not old.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
