"""The command line as a new user meets it: each failure is one line on stderr naming the path
or field and the problem, with the right exit code, before anything is fetched or written.

Read-only folders are real: a read-only bind mount in a private mount namespace (root; the
machine's mounts are untouched), or a folder without write permission (any other user).
"""

from __future__ import annotations

import os
import shutil
import tomllib
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from kit.cli import one_error_line, run_cli
from kit.recipes import EXE_PYTHON, RECIPES


def shipped_copy(tmp_path: Path, name: str = "openstack-clients", exe: bool = False) -> Path:
    """A shipped recipe and its lock in a folder of their own; ``exe``: the default recipe
    on python.org's EXE installer (kit.recipes.EXE_PYTHON), as it shipped before."""
    folder = tmp_path / "recipe"
    folder.mkdir(exist_ok=True)
    for file in (f"{name}.toml", f"pylock.{name}.toml", f"{name}.lock"):
        if (RECIPES / file).is_file():
            shutil.copyfile(RECIPES / file, folder / file)
    recipe = folder / f"{name}.toml"
    if exe:
        data = tomllib.loads(recipe.read_text(encoding="utf-8"))
        data["python"] = dict(EXE_PYTHON)
        recipe.write_text(tomlkit.dumps(data), encoding="utf-8")
    return recipe


def nothing_in(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


# ---------------------------------------------------------------------------- output paths


@pytest.mark.parametrize("command", ["build", "render"])
def test_output_path_that_is_a_file(command, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me\n", encoding="utf-8")
    code, out, err = run_cli(capsys, command, str(shipped_copy(tmp_path)), "-o", str(afile),
                             "--cache", str(tmp_path / "cache"))
    assert code == 2 and out == ""
    assert one_error_line(err) == f"{afile}: the output folder is a file, not a folder"
    assert afile.read_text(encoding="utf-8") == "keep me\n"
    assert nothing_in(tmp_path / "cache")


def test_output_folder_below_a_file(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("", encoding="utf-8")
    code, _, err = run_cli(capsys, "build", str(shipped_copy(tmp_path)),
                           "-o", str(afile / "dist"))
    assert code == 2
    assert one_error_line(err) == (f"{afile / 'dist'}: cannot create the output folder: "
                                   f"{afile} is a file")


def _run_read_only(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """choconsis ARGS with FOLDER read-only, as a separate process."""
    cli = [sys.executable, "-m", "choconsis", *args]
    env = {**os.environ, "CHOCONSIS_CACHE": str(folder.parent / "cache")}
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            return subprocess.run(cli, capture_output=True, text=True, env=env, cwd=folder.parent)
        finally:
            folder.chmod(0o755)
    if shutil.which("unshare") is None:
        pytest.skip("root without unshare(1): cannot make a read-only folder")
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && '
              'exec "$@"')
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           script, "sh", str(folder), *cli], capture_output=True, text=True,
                          env=env, cwd=folder.parent)
    if proc.returncode != 0 and "choconsis" not in proc.stderr:
        pytest.skip(f"no private read-only mount here: {proc.stderr.strip()}")
    return proc


def _problem(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.stdout == ""
    return one_error_line(proc.stderr)


def test_read_only_output_folder(tmp_path):
    recipe = shipped_copy(tmp_path)
    out = tmp_path / "dist"
    out.mkdir()
    proc = _run_read_only(out, "build", str(recipe), "-o", str(out))
    assert proc.returncode == 2
    problem = _problem(proc)
    assert problem.startswith(f"{out}: cannot write the output folder: ")
    assert problem.endswith(("Read-only file system", "Permission denied"))
    assert nothing_in(out)


def test_read_only_recipe_folder_for_lock(tmp_path):
    recipe = shipped_copy(tmp_path)
    lock = recipe.with_name(f"pylock.{recipe.stem}.toml")
    before = lock.read_bytes()
    proc = _run_read_only(recipe.parent, "lock", str(recipe))
    assert proc.returncode == 2
    problem = _problem(proc)
    assert problem.startswith(f"{recipe.parent}: cannot write the recipe's folder (the lock is "
                              "written beside the recipe): ")
    assert problem.endswith(("Read-only file system", "Permission denied"))
    assert lock.read_bytes() == before


# ---------------------------------------------------------------------------- usage errors


def test_missing_artifacts_folder_is_refused_at_once(tmp_path, capsys):
    code, _, err = run_cli(capsys, "build", str(shipped_copy(tmp_path)), "--offline",
                           "--artifacts", str(tmp_path / "nope"), "-o", str(tmp_path / "out"),
                           "--cache", str(tmp_path / "cache"))
    assert code == 2
    assert one_error_line(err) == f"--artifacts {tmp_path / 'nope'}: no such folder"
    assert nothing_in(tmp_path / "cache") and nothing_in(tmp_path / "out")


@pytest.mark.parametrize("missing", ["--sign-cert", "--sign-key"])
def test_missing_signing_file_is_refused_before_any_download(missing, tmp_path, capsys):
    files = {"--sign-cert": tmp_path / "cert.pem", "--sign-key": tmp_path / "key.pem"}
    for option, path in files.items():
        if option != missing:
            path.write_text("-----BEGIN-----\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "build", str(shipped_copy(tmp_path)), "--offline",
                           "--sign-cert", str(files["--sign-cert"]),
                           "--sign-key", str(files["--sign-key"]),
                           "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"))
    assert code == 2
    assert one_error_line(err) == f"{missing} {files[missing]}: no such file"
    assert nothing_in(tmp_path / "cache") and nothing_in(tmp_path / "out")


def test_smoke_of_a_missing_installer(tmp_path, capsys):
    code, _, err = run_cli(capsys, "smoke", str(tmp_path / "setup.exe"))
    assert code == 2
    assert one_error_line(err) == f"{tmp_path / 'setup.exe'}: no such file"


def test_preinstall_into_an_exe_runtime_is_a_usage_error(tmp_path, capsys):
    """A venv takes a preinstalled tree on any runtime; the runtime's own site-packages only
    when the build knows its layout (a zip)."""
    recipe = shipped_copy(tmp_path, exe=True)
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace('environment = "venv"', 'environment = "runtime"'),
                      encoding="utf-8")
    code, _, err = run_cli(capsys, "build", str(recipe), "--offline",
                           "--preinstall", "-o", str(tmp_path / "out"),
                           "--cache", str(tmp_path / "cache"))
    assert code == 2
    assert "runtime layout is unknown at build time (a exe runtime" in one_error_line(err)
    assert nothing_in(tmp_path / "cache") and nothing_in(tmp_path / "out")


# ---------------------------------------------------------------------------- recipe files


def test_recipe_with_a_utf8_bom_is_accepted(tmp_path, capsys):
    recipe = shipped_copy(tmp_path)
    recipe.write_bytes(b"\xef\xbb\xbf" + recipe.read_bytes())  # as Notepad saves it
    code, out, _ = run_cli(capsys, "render", str(recipe), "-o", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / "openstack-clients" / "chocolatey").is_dir()
    assert "openstack-clients 10.5.0: rendered" in out


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_recipe_is_refused_with_the_fix(encoding, tmp_path, capsys):
    recipe = shipped_copy(tmp_path)
    recipe.write_bytes(recipe.read_text(encoding="utf-8").encode(encoding))
    code, _, err = run_cli(capsys, "render", str(recipe), "-o", str(tmp_path / "out"))
    assert code == 2
    assert one_error_line(err) == (f"{recipe}: the file is UTF-16 (or another wide encoding), "
                                   "not UTF-8: save the recipe as UTF-8")
    assert nothing_in(tmp_path / "out")


def test_python_version_that_contradicts_the_python_org_file(tmp_path, capsys):
    recipe = shipped_copy(tmp_path)
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace('version = "3.14.7"', 'version = "3.14.6"'), encoding="utf-8")
    code, _, err = run_cli(capsys, "build", str(recipe), "-o", str(tmp_path / "out"))
    assert code == 2
    assert one_error_line(err) == (
        f"{recipe}: python.url: python-3.14.7-amd64.zip is Python 3.14.7 (python.org file "
        "naming), but python.version is '3.14.6': set python.version = \"3.14.7\" or use the "
        "URL of the 3.14.6 installer")
    assert nothing_in(tmp_path / "out")


# ---------------------------------------------------------------------------- the cache, offline


def test_read_only_cache_is_named_as_the_cache(tmp_path):
    recipe = shipped_copy(tmp_path)
    cache = tmp_path / "mycache"
    cache.mkdir()
    proc = _run_read_only(cache, "build", str(recipe), "--offline", "--cache", str(cache),
                          "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    problem = _problem(proc)
    assert problem.startswith(f"{cache}: cannot write the download cache (--cache): "), problem
    assert problem.endswith(("Read-only file system", "Permission denied"))
    assert nothing_in(tmp_path / "out")


def test_a_cache_folder_that_cannot_be_written_is_named_as_the_cache(tmp_path):
    """Below the top (where the command-line check looked): the store says it is the cache."""
    from choconsis.errors import UsageError
    from choconsis.store import ArtifactStore

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "tmp").write_text("a file where the cache keeps its partial downloads")
    with pytest.raises(UsageError) as info:
        ArtifactStore(cache_dir=cache).download("http://127.0.0.1:9/x.whl")
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"the download cache {cache} cannot be written "
                                      f"({cache / 'tmp'}: ")
    assert "--cache DIR or CHOCONSIS_CACHE" in str(info.value)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_artifact_that_cannot_be_fetched_says_why_in_words(tmp_path, capsys,
                                                                     monkeypatch):
    """Not urllib3's HTTPConnectionPool(...) text: the reason netreasons words for every
    other download failure, exit 1, nothing written."""
    from choconsis import store

    real = store.make_session
    monkeypatch.setattr(store, "make_session", lambda retries=4: real(0))  # no waiting
    recipe = shipped_copy(tmp_path)
    url = f"http://127.0.0.1:{_closed_port()}/python-3.14.7-amd64.zip"
    text = recipe.read_text(encoding="utf-8")
    start = text.index('url = "https://www.python.org/ftp/python/3.14.7/')
    end = text.index("\n", start)
    recipe.write_text(text[:start] + f'url = "{url}"' + text[end:], encoding="utf-8")
    code, out, err = run_cli(capsys, "build", str(recipe), "--offline", "--cache",
                             str(tmp_path / "cache"), "-o", str(tmp_path / "out"))
    assert code == 1 and out == ""
    problem = one_error_line(err)
    assert problem == (f"Python 3.14.7: cannot download {url}: the connection was refused, or "
                       "the server could not be reached (ConnectionError) (after 4 attempts)")
    assert nothing_in(tmp_path / "out")
