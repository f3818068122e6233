"""The ``choconsis`` command. The one place where errors become exit codes.

Exit codes: 0 success, 1 a failed build (or a check/smoke that found problems), 2 a usage or
recipe error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .errors import ChoconsisError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: exit 2 too
        self.print_usage(sys.stderr)
        raise UsageError(message)


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
                        "runtime tree (zip runtime, wheels only), so setup.exe copies files and "
                        "only writes the launchers instead of running pip")
    p.add_argument("--artifacts", type=Path, metavar="DIR",
                   help="folder of pre-fetched artifacts, found by the file name of their URL "
                        "and used only if the sha256 matches")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="download cache (default: $XDG_CACHE_HOME/choconsis)")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="choconsis", description=(
        "Turn one recipe into native Windows installers for a Python command-line tool: "
        "a Chocolatey package (.nupkg) and an NSIS installer (setup.exe)."))
    parser.add_argument("--version", action="version", version=f"choconsis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("build", help="build the .nupkg and setup.exe of a recipe",
                       description="Build <out>/<id>.<version>.nupkg and "
                                   "<out>/<id>-<version>-setup.exe, with the rendered sources "
                                   "under <out>/<id>/chocolatey and <out>/<id>/nsis.")
    _recipe_arg(p)
    _build_options(p)
    p.add_argument("--sign-cert", type=Path, metavar="CERT",
                   help="sign setup.exe and its uninstaller with this certificate (PEM or PFX)")
    p.add_argument("--sign-key", type=Path, metavar="KEY", help="private key for --sign-cert")
    p.add_argument("--sign-password", metavar="PASSWORD", help="password of a PFX or key")

    p = sub.add_parser("render", help="render the sources only (nuspec, .ps1, installer.nsi)",
                       description="Write <out>/<id>/chocolatey and <out>/<id>/nsis without "
                                   "packing or compiling.")
    _recipe_arg(p)
    _build_options(p)

    p = sub.add_parser("lock", help="resolve and pin every wheel for the recipe's target",
                       description="Resolve every wheel for the recipe's Windows platform and "
                                   "Python version with pip's resolver and write the lock "
                                   "(name==version + sha256) beside the recipe.")
    _recipe_arg(p)

    p = sub.add_parser("check", help="lint a .nupkg, a rendered folder, or a recipe",
                       description="Report Chocolatey moderation rules (by rule id) and "
                                   "PowerShell syntax errors of a package, or the signature "
                                   "of a setup.exe. Exit 1 when a rule fails.")
    p.add_argument("path", type=Path, help=".nupkg, rendered folder, recipe .toml, or setup.exe")
    p.add_argument("--ca-file", type=Path, metavar="PEM",
                   help="trusted root certificate(s) for a setup.exe's signature")

    p = sub.add_parser("smoke", help="install, run, check and uninstall a setup.exe under Wine",
                       description="Install SETUP.EXE silently in a fresh Wine prefix, run the "
                                   "recipe's check command, check registry and PATH, uninstall, "
                                   "and check that nothing is left behind.")
    p.add_argument("setup_exe", type=Path, metavar="SETUP.EXE")
    p.add_argument("--recipe", default=None, help="the recipe the installer was built from")
    p.add_argument("--keep-prefix", type=Path, metavar="DIR",
                   help="keep the Wine prefix in DIR for inspection")
    p.add_argument("--scope", choices=("user", "machine"), default=None,
                   help="install with /CurrentUser or /AllUsers (default: the recipe's scope)")

    p = sub.add_parser("update", help="find newer upstream releases and bump the recipes",
                       description="Find the newest releases of each recipe's requirements (and "
                                   "with --python, the newest patch release of its Python), "
                                   "rewrite the pins, re-lock, bump the package version, and "
                                   "print a table of what changed.")
    p.add_argument("recipes", nargs="+", help="recipe files")
    p.add_argument("--dry-run", action="store_true", help="change nothing; print the table")
    p.add_argument("--python", action="store_true",
                   help="also update the Python runtime to the newest patch release")
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.add_argument("--index-url", default=None,
                   help="package index (simple API), as pip's --index-url "
                        "(default: the recipe's index_url)")
    p.add_argument("--python-index-url", default="https://www.python.org/ftp/python/",
                   help="python.org-style folder listing of Python releases")

    p = sub.add_parser("schema", help="print the recipe reference (Markdown)")
    return parser


def _cmd_build(args: argparse.Namespace, compile_outputs: bool) -> int:
    from .build import BuildOptions, build
    from .recipe import resolve_recipe_arg

    if args.preinstall and not args.offline:
        raise UsageError("--preinstall needs --offline (the pre-installed wheels are embedded)")
    opts = BuildOptions(out_dir=args.out, offline=args.offline, preinstall=args.preinstall,
                        artifacts_dir=args.artifacts, cache_dir=args.cache,
                        sign_cert=getattr(args, "sign_cert", None),
                        sign_key=getattr(args, "sign_key", None),
                        sign_password=getattr(args, "sign_password", None))
    if (opts.sign_cert is None) != (opts.sign_key is None) and not (
            opts.sign_cert and opts.sign_cert.suffix.lower() in (".pfx", ".p12")):
        raise UsageError("--sign-cert and --sign-key go together (a .pfx needs no key)")
    result = build(resolve_recipe_arg(args.recipe), opts, compile_outputs=compile_outputs)
    for path in (result.nupkg, result.setup_exe, result.sbom, *result.sources):
        if path is not None:
            print(path)
    return 0


def _cmd_lock(args: argparse.Namespace) -> int:
    from .recipe import load_recipe, resolve_recipe_arg
    from .lock.resolve import lock_recipe

    recipe = load_recipe(resolve_recipe_arg(args.recipe))
    lock = lock_recipe(recipe)
    sdists = sum(1 for w in lock.wheels if not w.filename.endswith(".whl"))
    kinds = f"{len(lock.wheels) - sdists} wheels" + (f", {sdists} source archives" if sdists else "")
    print(f"{recipe.lock_path}: {len(lock.wheels)} files ({kinds}) for "
          f"{lock.python_tag} {lock.platform}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import check_path, format_findings

    findings = check_path(args.path, cafile=args.ca_file)
    print(format_findings(findings, args.path))
    return 1 if any(f.severity == "error" for f in findings) else 0


def _cmd_smoke(args: argparse.Namespace) -> int:
    from .smoke import run_smoke

    report = run_smoke(args.setup_exe, recipe=args.recipe, keep_prefix=args.keep_prefix,
                       scope=args.scope)
    print(report.format())
    return 0 if report.ok else 1


def _cmd_update(args: argparse.Namespace) -> int:
    from .update import UpdateOptions, run_update

    opts = UpdateOptions(dry_run=args.dry_run, python=args.python, pre=args.pre,
                         index_url=args.index_url, python_index_url=args.python_index_url)
    return run_update([Path(r) for r in args.recipes], opts)


def run(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "build":
        return _cmd_build(args, compile_outputs=True)
    if args.command == "render":
        return _cmd_build(args, compile_outputs=False)
    if args.command == "lock":
        return _cmd_lock(args)
    if args.command == "check":
        return _cmd_check(args)
    if args.command == "smoke":
        return _cmd_smoke(args)
    if args.command == "update":
        return _cmd_update(args)
    if args.command == "schema":
        from .recipe import schema_markdown

        print(schema_markdown())
        return 0
    raise UsageError(f"unknown command {args.command}")  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
