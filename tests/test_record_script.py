"""choconsis_record.py (choconsis.engine): what a runtime-shaped install put into the runtime
is written down at install and removed exactly at uninstall (run here with the machine's python, on a runtime
tree laid out as on Windows by the same wheel installer --preinstall uses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from choconsis.payload.preinstall import install_wheels
from kit.wheels import make_wheel

SCRIPT = Path(__file__).resolve().parent.parent / "generator" / "engine" / "choconsis_record.py"
LOCK = """# choconsis lock of demo: made by 'choconsis lock'; edit the recipe, not this file
# target: cp312 win_amd64
demo-app==1.0 \\
    --hash=sha256:00
    # wheel: demo_app-1.0-py3-none-any.whl https://example.org/demo_app-1.0-py3-none-any.whl
helper==2.0 \\
    --hash=sha256:00
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-E", "-s", str(SCRIPT), *args], text=True,
                          capture_output=True, check=False)


def runtime(tmp_path: Path) -> tuple[Path, Path]:
    """A runtime folder with a file of its own, and the two locked packages installed."""
    root = tmp_path / "Python312"
    site = root / "Lib" / "site-packages"
    site.mkdir(parents=True)
    (root / "python.exe").write_bytes(b"MZ")
    (site / "theirs.py").write_text("x = 1\n")  # not ours: stays
    wheels = [make_wheel(tmp_path / "w", "demo-app", "1.0",
                         {"demo_app/__init__.py": b"", "demo_app/cli.py": b"def main(): pass\n"},
                         data_scripts={"demo-tool.cmd": b"@echo off\r\n"}),
              make_wheel(tmp_path / "w", "helper", "2.0", {"helper.py": b"y = 2\n"})]
    install_wheels(wheels, root, arch="amd64")
    # bytecode Python wrote at run time, beside and in __pycache__
    cache = site / "demo_app" / "__pycache__"
    cache.mkdir()
    (cache / "cli.cpython-312.pyc").write_bytes(b"pyc")
    (site / "__pycache__").mkdir()
    (site / "__pycache__" / "helper.cpython-312.pyc").write_bytes(b"pyc")
    (site / "__pycache__" / "theirs.cpython-312.pyc").write_bytes(b"pyc")
    lock = tmp_path / "state" / "requirements.lock"
    lock.parent.mkdir()
    lock.write_text(LOCK, encoding="utf-8")
    return root, lock


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_write_then_remove_takes_out_exactly_what_was_installed(tmp_path: Path):
    root, lock = runtime(tmp_path)
    record = lock.parent / "packages-record.txt"
    before_install = {"python.exe", "Lib", "Lib/site-packages", "Lib/site-packages/theirs.py"}
    result = run("write", "--site-packages", str(root / "Lib" / "site-packages"),
                 "--lock", str(lock), "--out", str(record))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "of 2 distributions" in result.stdout
    listed = record.read_text(encoding="utf-8").splitlines()
    assert str(root / "Scripts" / "demo-tool.cmd") in listed
    assert listed[0] == f"# keep: {root / 'Lib' / 'site-packages'}"
    assert all(Path(p).is_absolute() and p.startswith(str(root)) for p in listed[1:])

    result = run("remove", "--record", str(record), "--root", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    left = files_under(root)
    # only what the runtime had, and Python's bytecode of a module that is not ours
    assert left == before_install | {"Lib/site-packages/__pycache__",
                                     "Lib/site-packages/__pycache__/theirs.cpython-312.pyc"}
    assert not record.exists()
    # run again (a repeated uninstall, a rollback after it): nothing to do, no error
    assert run("remove", "--record", str(record), "--root", str(root)).returncode == 0


def test_remove_never_touches_a_path_outside_the_root(tmp_path: Path):
    root, lock = runtime(tmp_path)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("keep")
    record = tmp_path / "record.txt"
    record.write_text(f"{outside}\n{root / 'Lib' / 'site-packages' / 'helper.py'}\n",
                      encoding="utf-8")
    result = run("remove", "--record", str(record), "--root", str(root))
    assert result.returncode == 0
    assert outside.read_text() == "keep" and "outside" in result.stdout
    assert not (root / "Lib" / "site-packages" / "helper.py").exists()


def test_write_records_what_is_there_and_fails_naming_what_is_not(tmp_path: Path):
    """After a failed install only some of the lock is in: those are recorded (the rollback
    removes them) and the call fails, naming the missing one."""
    root, lock = runtime(tmp_path)
    lock.write_text(LOCK + "absent-pkg==3.0 \\\n    --hash=sha256:00\n", encoding="utf-8")
    record = lock.parent / "packages-record.txt"
    result = run("write", "--site-packages", str(root / "Lib" / "site-packages"),
                 "--lock", str(lock), "--out", str(record))
    assert result.returncode == 1
    assert "absent-pkg: no dist-info or egg-info" in result.stdout
    assert str(root / "Lib" / "site-packages" / "helper.py") in record.read_text("utf-8")


def test_an_egg_info_install_is_read_from_installed_files_txt(tmp_path: Path):
    """Python 2's pip installs a source archive with setup.py install: an egg-info folder
    with installed-files.txt (paths relative to it)."""
    site = tmp_path / "rt" / "Lib" / "site-packages"
    egg = site / "legacy-1.0-py2.7.egg-info"
    egg.mkdir(parents=True)
    (site / "legacy.py").write_text("")
    (egg / "PKG-INFO").write_text("Name: legacy\n")
    (egg / "installed-files.txt").write_text("..\\legacy.py\nPKG-INFO\n".replace("\\", "/"))
    lock = tmp_path / "x.lock"
    lock.write_text("legacy==1.0 \\\n    --hash=sha256:00\n")
    record = tmp_path / "rec.txt"
    assert run("write", "--site-packages", str(site), "--lock", str(lock),
               "--out", str(record)).returncode == 0
    assert run("remove", "--record", str(record), "--root", str(tmp_path / "rt")).returncode == 0
    assert site.is_dir() and not any(site.iterdir())  # the runtime's folder stays, empty


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("write", "--out", "x").returncode == 2
