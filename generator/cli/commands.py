"""What each ``choconsis`` command does with its parsed arguments (``choconsis.cli`` parses them and
turns errors into exit codes). Results go to stdout; notes and progress go through :mod:`.ui`.

Usage problems that can be seen from the command line alone (a missing file, an output path
that cannot be written) are refused first, before anything is read, fetched or built.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .. import preflight, ui
from ..errors import UsageError


def _build(args: argparse.Namespace, compile_outputs: bool) -> int:
    from ..build import BuildOptions, build
    from ..recipe import resolve_recipe_arg
    from .summary import build_summary, output_paths

    if args.wait < 0:
        raise UsageError(f"--wait {args.wait:g}: expected a number of seconds, 0 or more")
    if args.preinstall and not args.offline:
        raise UsageError("--preinstall needs --offline (the pre-installed wheels are embedded)")
    opts = BuildOptions(out_dir=args.out, offline=args.offline, preinstall=args.preinstall,
                        artifacts_dir=args.artifacts, cache_dir=args.cache, wait=args.wait,
                        sign_cert=getattr(args, "sign_cert", None),
                        sign_key=getattr(args, "sign_key", None),
                        sign_password=getattr(args, "sign_password", None))
    if (opts.sign_cert is None) != (opts.sign_key is None) and not (
            opts.sign_cert and opts.sign_cert.suffix.lower() in (".pfx", ".p12")):
        raise UsageError("--sign-cert and --sign-key go together (a .pfx needs no key)")
    if opts.sign_cert is not None:
        preflight.existing_file(opts.sign_cert, "--sign-cert")
    if opts.sign_key is not None:
        preflight.existing_file(opts.sign_key, "--sign-key")
    if opts.artifacts_dir is not None:
        preflight.existing_folder(opts.artifacts_dir, "--artifacts")
    preflight.writable_folder(opts.out_dir, "output folder")
    if opts.cache_dir is not None:
        preflight.writable_folder(opts.cache_dir, "download cache (--cache)")
    result = build(resolve_recipe_arg(args.recipe), opts, compile_outputs=compile_outputs)
    if ui.level() == ui.QUIET:
        print("\n".join(str(p) for p in output_paths(result)))
    else:
        print(build_summary(result, opts))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    return _build(args, compile_outputs=True)


def cmd_render(args: argparse.Namespace) -> int:
    return _build(args, compile_outputs=False)


def cmd_lock(args: argparse.Namespace) -> int:
    from ..lock.files import old_lock_of
    from ..lock.resolve import convert_lock, lock_recipe
    from ..lock.scripts import exposed_commands, wheel_source
    from ..plan.checkprogram import check_provided
    from ..store import ArtifactStore
    from ..recipe import load_recipe, resolve_recipe_arg

    recipe = load_recipe(resolve_recipe_arg(args.recipe))
    assert recipe.lock_path is not None  # loaded from a file
    preflight.writable_folder(recipe.lock_path.parent,
                              "recipe's folder (the lock is written beside the recipe)")
    old = old_lock_of(recipe)
    had_old = old is not None and old.is_file()
    if args.convert:
        lock = convert_lock(recipe, wheel_source=wheel_source(ArtifactStore()))
    else:
        lock = lock_recipe(recipe, wheel_source=wheel_source(ArtifactStore()))
    sdists = sum(1 for w in lock.wheels if not w.filename.endswith(".whl"))
    kinds = f"{len(lock.wheels) - sdists} wheels" + (f", {sdists} source archives" if sdists else "")
    print(f"{recipe.lock_path}: {len(lock.wheels)} files ({kinds}) for "
          f"{lock.python_tag} {lock.platform}")
    if had_old:
        ui.note(f"{old}: replaced by {recipe.lock_path.name} and removed")
    # the lock is right whatever the check says; a check the install cannot run is the
    # recipe's error, said now rather than at the first build (exit 2)
    exposed = exposed_commands(lock, recipe.pip.requirements, recipe.install.commands,
                               recipe.source)
    check_provided(recipe, tuple(c.name for c in exposed), partial=lock.scripts_partial)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from ..check import check_path, findings_json, format_findings

    if args.ca_file is not None:
        preflight.existing_file(args.ca_file, "--ca-file")
    findings = check_path(args.path, cafile=args.ca_file)
    if args.format == "json":
        print(findings_json(findings, args.path))
    else:
        print(format_findings(findings, args.path))
    return 1 if any(f.severity == "error" for f in findings) else 0


def cmd_smoke(args: argparse.Namespace) -> int:
    from ..smoke import run_smoke

    preflight.existing_file(args.setup_exe)
    if args.keep_prefix is not None:
        preflight.writable_folder(args.keep_prefix, "--keep-prefix folder")
    report = run_smoke(args.setup_exe, recipe=args.recipe, keep_prefix=args.keep_prefix,
                       scope=args.scope)
    print(report.format())
    return 0 if report.ok else 1


def cmd_update(args: argparse.Namespace) -> int:
    from ..update import UpdateOptions, run_update

    opts = UpdateOptions(dry_run=args.dry_run, python=args.python, pre=args.pre,
                         index_url=args.index_url, python_index_url=args.python_index_url)
    return run_update([Path(r) for r in args.recipes], opts)


def cmd_new(args: argparse.Namespace) -> int:
    import shlex
    import sys

    from ..new import NewOptions, new_recipe

    if args.python is not None and not re.fullmatch(r"\d+\.\d+(\.\d+)?", args.python):
        raise UsageError(f"--python {args.python!r}: expected X.Y or X.Y.Z")
    opts = NewOptions(spec=args.spec, folder=args.dir, force=args.force,
                      index_url=args.index_url, python_index_url=args.python_index_url,
                      python=args.python, arch=args.arch, installer=args.installer,
                      package_id=args.package_id, icon_url=args.icon_url,
                      package_source_url=args.package_source_url, cache_dir=args.cache)
    if args.cache is not None:
        preflight.writable_folder(args.cache, "download cache (--cache)")
    words = ["choconsis", *sys.argv[1:]] if sys.argv[1:2] == ["new"] else ["choconsis", "new",
                                                                           args.spec]
    made = new_recipe(opts, shlex.join(words))
    for note in made.notes:
        ui.note(f"review {made.recipe}: {note}")
    print(made.recipe)
    print(made.lock)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from ..recipe import schema_markdown

    print(schema_markdown())
    return 0
