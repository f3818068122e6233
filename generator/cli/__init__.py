"""The ``choconsis`` command. The one place where errors become exit codes.

Exit codes: 0 success, 1 a failed build (or a check/smoke that found problems), 2 a usage or
recipe error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from .. import __version__, ui
from ..errors import ChoconsisError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: exit 2 too
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _common() -> argparse.ArgumentParser:
    """-q and -v, which every command takes (after its name: choconsis build -v)."""
    common = argparse.ArgumentParser(add_help=False)
    talk = common.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_const", dest="level", const=ui.QUIET,
                      default=ui.NORMAL, help="print results and errors only: no progress, "
                                              "no notes")
    talk.add_argument("-v", "--verbose", action="store_const", dest="level", const=ui.VERBOSE,
                      help="also say how: each download, cache hit and external command")
    return common


def _recipe_arg(p: argparse.ArgumentParser, optional: bool = True) -> None:
    if optional:
        p.add_argument("recipe", nargs="?", default=None,
                       help="recipe file or built-in recipe name (default: openstack-clients)")
    else:
        p.add_argument("recipe", help="recipe file or built-in recipe name")


def _build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--out", type=Path, default=Path("dist"),
                   help="output folder (default: dist/)")
    p.add_argument("--offline", action="store_true",
                   help="embed every installer and wheel in setup.exe and the .nupkg (nothing "
                        "is downloaded at install time)")
    p.add_argument("--preinstall", action="store_true",
                   help="with --offline: install the locked wheels at build time into the "
                        "runtime tree (zip or package runtime, wheels only), so setup.exe "
                        "copies files and only writes the launchers instead of running pip")
    p.add_argument("--artifacts", type=Path, metavar="DIR",
                   help="folder of pre-fetched artifacts, found by the file name of their URL "
                        "and used only if the sha256 matches")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="download cache (default: $XDG_CACHE_HOME/choconsis)")
    p.add_argument("--wait", type=float, metavar="SECONDS", default=600.0,
                   help="how long to wait while another build writes into the same output "
                        "folder, then stop (exit 1); default 600, 0: stop at once")


def _python_index_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--python-index-url", default=None, metavar="URL|FILE",
                   help="where python.org's runtimes are listed: for runtime packages its "
                        "install-manager index (default https://www.python.org/ftp/python/"
                        "index-windows.json; a mirror's URL or a local file), for exe and msi "
                        "installers its release folders (default https://www.python.org/ftp/"
                        "python/); for update, a folder URL ending in / serves both, its "
                        "index-windows.json the packages")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="choconsis", description=(
        "Turn one recipe into native Windows installers for a Python command-line tool: "
        "a Chocolatey package (.nupkg) and an NSIS installer (setup.exe)."))
    parser.add_argument("--version", action="version", version=f"choconsis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _common()

    def command(name: str, **kwargs: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    p = command("build", help="build the .nupkg and setup.exe of a recipe (and its "
                                     "[release] outputs)",
                       description="Build <out>/<id>.<version>.nupkg and "
                                   "<out>/<id>-<version>-setup.exe, with the rendered sources "
                                   "under <out>/<id>/chocolatey and <out>/<id>/nsis; with a "
                                   "[release] section also the winget manifests, the portable "
                                   "zip and the Scoop manifest it asks for.")
    _recipe_arg(p)
    _build_options(p)
    p.add_argument("--sign-cert", type=Path, metavar="CERT",
                   help="sign setup.exe and its uninstaller with this certificate (PEM or PFX)")
    p.add_argument("--sign-key", type=Path, metavar="KEY", help="private key for --sign-cert")
    p.add_argument("--sign-password", metavar="PASSWORD", help="password of a PFX or key")

    p = command("render", help="render the sources only (nuspec, .ps1, installer.nsi)",
                       description="Write <out>/<id>/chocolatey and <out>/<id>/nsis without "
                                   "packing or compiling.")
    _recipe_arg(p)
    _build_options(p)

    p = command("lock", help="resolve and pin every wheel for the recipe's target",
                       description="Resolve every wheel for the recipe's Windows platform and "
                                   "Python version and write the lock beside the recipe: for "
                                   "Python 3, resolved with uv into PEP 751's "
                                   "pylock.<recipe>.toml (an old <recipe>.lock is removed); "
                                   "for Python 2, with pip's resolver into <recipe>.lock "
                                   "(name==version + sha256).")
    _recipe_arg(p)
    p.add_argument("--convert", action="store_true",
                   help="write a Python 3 recipe's old <recipe>.lock as pylock.<recipe>.toml "
                        "with the same pins (nothing resolved again) and remove the old file")

    p = command("check", help="lint a .nupkg, a rendered folder, or a recipe",
                       description="Report Chocolatey moderation rules (by rule id) and "
                                   "PowerShell syntax errors of a package, the signature "
                                   "of a setup.exe, or an MSI's tables (msiinfo). Exit 1 when "
                                   "a rule fails.")
    p.add_argument("path", type=Path, help=".nupkg, rendered folder, recipe .toml, setup.exe, "
                                           ".msi, or the output folder of build (each .nupkg, "
                                           "setup.exe and .msi in it)")
    p.add_argument("--ca-file", type=Path, metavar="PEM",
                   help="trusted root certificate(s) for a setup.exe's signature")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (default) or json (one document on stdout, for CI pipelines)")

    p = command("smoke", help="install, run, check and uninstall a setup.exe under Wine",
                       description="Install SETUP.EXE silently in a fresh Wine prefix, run the "
                                   "recipe's check command, check registry and PATH, uninstall, "
                                   "and check that nothing is left behind.")
    p.add_argument("setup_exe", type=Path, metavar="SETUP.EXE")
    p.add_argument("--recipe", default=None, help="the recipe the installer was built from")
    p.add_argument("--keep-prefix", type=Path, metavar="DIR",
                   help="keep the Wine prefix in DIR for inspection")
    p.add_argument("--scope", choices=("user", "machine"), default=None,
                   help="install with /CurrentUser or /AllUsers (default: the recipe's scope)")

    p = command("update", help="find newer upstream releases and bump the recipes",
                       description="Find the newest releases of each recipe's requirements (and "
                                   "with --python, the newest patch release of its Python), "
                                   "rewrite the pins, re-lock, bump the package version, and "
                                   "print a table of what changed.")
    p.add_argument("recipes", nargs="+", help="recipe files")
    p.add_argument("--dry-run", action="store_true", help="change nothing; print the table")
    p.add_argument("--python", action="store_true",
                   help="also update the Python runtime to the newest patch release (a "
                        "runtime package: the newest the index lists for its tag)")
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.add_argument("--index-url", default=None,
                   help="package index (simple API), as pip's --index-url "
                        "(default: the recipe's index_url)")
    _python_index_option(p)

    p = command("new", help="write a recipe (and its lock) for a Python CLI on the index",
                description="Scaffold <id>.toml and its lock pylock.<id>.toml (<id>.lock for "
                            "Python 2) for PROJECT[==VERSION]: package "
                            "metadata and console scripts from the project's own wheel, a check "
                            "command (<script> --version), the newest python.org runtime the "
                            "project supports (a private runtime package, sha256-pinned), then "
                            "lock it.")
    p.add_argument("spec", metavar="PROJECT[==VERSION]",
                   help="project on the index, optionally pinned (default: its newest release)")
    p.add_argument("-d", "--dir", type=Path, default=Path("."), metavar="FOLDER",
                   help="where to write <id>.toml and its lock (default: here)")
    p.add_argument("--force", action="store_true", help="overwrite an existing recipe and lock")
    p.add_argument("--id", dest="package_id", metavar="ID",
                   help="Chocolatey package id (default: the project's normalised name)")
    p.add_argument("--python", metavar="X.Y[.Z]",
                   help="the Python to use (default: the newest the project supports)")
    p.add_argument("--arch", choices=("amd64", "x86"), default="amd64",
                   help="architecture of the runtime (default: amd64)")
    p.add_argument("--installer", choices=("package", "exe", "msi"), default="package",
                   help="kind of python.org runtime: package (default: a runtime package of "
                        "the install-manager index, private to the app), or the exe or msi "
                        "installer")
    p.add_argument("--icon-url", default="", metavar="URL", help="package icon (nuspec iconUrl)")
    p.add_argument("--package-source-url", default="", metavar="URL",
                   help="where the recipe will live (nuspec packageSourceUrl)")
    p.add_argument("--index-url", default="https://pypi.org/simple",
                   help="package index (simple API), as pip's --index-url")
    _python_index_option(p)
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="download cache (default: $XDG_CACHE_HOME/choconsis)")

    p = command("schema", help="print the recipe reference (Markdown)")
    return parser


def run(argv: list[str] | None = None) -> int:
    from . import commands

    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    command = getattr(commands, "cmd_" + args.command, None)
    if command is None:  # pragma: no cover - every subparser has its function
        raise UsageError(f"unknown command {args.command}")
    before = ui.level()
    ui.set_level(args.level)
    try:
        return command(args)
    finally:
        ui.set_level(before)


def _os_error(err: OSError) -> str:
    """One line for an OSError nothing more specific caught: the path(s) and the problem."""
    paths = " -> ".join(str(p) for p in (err.filename, err.filename2) if p is not None)
    problem = err.strerror or str(err)
    return f"{paths}: {problem}" if paths else problem


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that every ``finally`` runs: the
    staging folder goes, a running makensis is killed."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run(argv)
    except Terminated:
        print("choconsis: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except ChoconsisError as err:
        print(f"choconsis: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("choconsis: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (choconsis build | head): the work is done.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a file problem no check named more precisely: still one line
        print(f"choconsis: error: {_os_error(err)}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
