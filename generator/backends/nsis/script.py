"""installer.nsi: the layout template filled with the rendered step blocks and the values
around them (Add/Remove Programs entry, logs, pages)."""

from __future__ import annotations

from ...errors import BuildError
from ...payload import Payload
from ...plan import (BIN_PATH_RECORD, DISTS_FILE, ENGINE_STATE_FILE, INSTALL_DIR, LOCK_FILE,
                     PATH_RECORD, STATE_DIR, STEPS_FILE, TEMP_DIR, Delivery, InstallPlan,
                     Ownership, PipInstall, RunCheck, command_line, state_dir_name, under)
from ... import escaping
from ...wheelfiles import unpacked_size
from ..templating import Code
from .reasons import reason_macros
from .steps import NsisSteps, environment
from .values import nsis_value, vi_version

TEMPLATE = "installer.nsi.j2"
# --preinstall embeds ~80 MB of unpacked wheel files beside the ~70 MB runtime tree. Measured
# for the OpenStack client on 2 busy cores, makensis alone: zlib 17.7 s / 40.8 MB, /SOLID zlib
# 20.3 s / 37.5 MB, lzma 80 s / 35.2 MB, /SOLID lzma 89 s / 26.7 MB; whole build: zlib 25.9 s,
# /SOLID zlib 28.0 s, /SOLID lzma 97.1 s (pynsist: 76 s, 38.2 MB). SetCompressor is global, so
# this is the whole installer's cost; /SOLID zlib is the one within both build-time (0.5x) and
# size (1.0x) targets of issue 5.
PREINSTALL_COMPRESSOR = "/SOLID zlib"


def shipped_files(plan: InstallPlan) -> list[str]:
    """What setup.exe unpacks into the state folder for the engine: its files (the plan's
    list) and the steps description the back end writes."""
    return [*plan.target_files, STEPS_FILE] if plan.target_files else []


def compressor(plan: InstallPlan, payload: Payload) -> str:
    if payload.delivery is Delivery.PREINSTALLED:
        return PREINSTALL_COMPRESSOR
    return "zlib" if plan.embedded_runtime else "lzma"


def _in_state_dir(name: str) -> Code:
    return nsis_value(under(STATE_DIR, name), name)


def machine_only_reason(plan: InstallPlan) -> str:
    """Why a recipe's setup.exe cannot install per user (for its /CurrentUser refusal)."""
    if "user" in plan.scopes:
        return ""
    if any(s.install.kind == "run_msi" for s in plan.steps):
        return "it runs an MSI, which installs for the machine"
    return "its PATH change is for the machine"


def welcome_text(plan: InstallPlan) -> str:
    """The welcome page: what the package is and every step setup will take."""
    pkg = plan.package
    lines = [pkg.summary, "", "Setup will:"]
    lines += [f"  {i}. {step.title}" for i, step in enumerate(plan.steps, start=1)]
    lines += ["", f"License: {pkg.license_url}"]
    text = "\r\n".join(lines)
    limit = escaping.NSIS_MAX_STRLEN // 2  # room for the escapes and MUI's own text
    return text if len(text) <= limit else text[:limit - 3] + "..."


def estimated_size_kb(plan: InstallPlan, payload: Payload) -> int | None:
    """The install folder's size for Add/Remove Programs, known at build time when setup.exe
    embeds what goes there: the zip runtime's tree, the preinstalled tree or the wheels'
    unpacked sizes (a zip directory holds them). Measuring the folder at install instead
    (${GetSize}) took 8 s for the 11,000 files of the OpenStack client under Wine. None: the
    installer measures (web mode, or a runtime-shaped install whose folder is the runtime)."""
    if not payload.delivery.embeds or not (plan.layout.venv or plan.zip_runtime):
        return None
    total = 0
    trees = [t for t in (payload.runtime.root if payload.runtime else None,
                         payload.preinstalled.tree if payload.preinstalled else None) if t]
    for tree in trees:
        total += sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    if payload.preinstalled is None:
        for wheel in payload.wheels.values():
            size = unpacked_size(wheel)  # None: not a zip; its file size, at least
            total += wheel.stat().st_size if size is None else size
    return max(1, total // 1024)


def _step_variables(plan: InstallPlan) -> list[str]:
    """The variables only some actions use (makensis warns about a variable never used)."""
    kinds = {s.install.kind for s in plan.steps}
    fetches = kinds & {"run_exe", "run_msi"} or any(s.install.artifact for s in plan.steps
                                                   if isinstance(s.install, PipInstall))
    names = ["StepFile"] if fetches else []
    names += ["ProductCode"] if "run_msi" in kinds else []
    # own_unless (steps.nsh.j2): an unshared MSI or a zip runtime
    unshared = [s for s in plan.steps if s.owns is Ownership.UNLESS_PREEXISTING]
    return names + (["Owned"] if unshared else [])


def _context(plan: InstallPlan, payload: Payload, steps: NsisSteps,
             packer: str) -> dict[str, object]:
    pkg = plan.package
    uninstaller = under(STATE_DIR, "uninstall.exe")
    helpers = shipped_files(plan)
    check = plan.check_step.install if plan.check_step else None
    assert check is None or isinstance(check, RunCheck)
    scope_values = {
        "install_dir": {s: nsis_value(plan.layout.install_dir[s], "install folder")
                        for s in ("machine", "user")},
        "runtime_dir": {s: nsis_value(plan.layout.runtime_dir[s], "runtime folder")
                        for s in ("machine", "user")},
    }
    return {
        **scope_values,
        "execution_level": "user" if "user" in plan.scopes else "admin",
        "scope_choice": len(plan.scopes) > 1,
        "machine_only_reason": machine_only_reason(plan),
        "shares_runtime": any(getattr(s.install, "shared", None) for s in plan.steps),
        "program_files": "$PROGRAMFILES64" if plan.machine.is_64bit else "$PROGRAMFILES",
        "state_dir": nsis_value(under(INSTALL_DIR, state_dir_name(pkg.id)), "state folder"),
        "state_dir_name": state_dir_name(pkg.id),
        "lock_file": _in_state_dir(LOCK_FILE),
        "lock_name": LOCK_FILE,
        "helper_scripts": helpers,
        "helper_files": [_in_state_dir(n) for n in helpers]
        + ([_in_state_dir(ENGINE_STATE_FILE)] if helpers else [])
        + ([_in_state_dir(DISTS_FILE)] if payload.preinstalled is not None else []),
        "path_records": [_in_state_dir(PATH_RECORD), _in_state_dir(BIN_PATH_RECORD)],
        "state_ini": _in_state_dir("state.ini"),
        "log_file": _in_state_dir(f"{pkg.id}-install.log"),
        "temp_log": nsis_value((TEMP_DIR, f"\\{pkg.id}-install.log"), "log"),
        "temp_uninstall_log": nsis_value((TEMP_DIR, f"\\{pkg.id}-uninstall.log"), "log"),
        "uninstaller": nsis_value(uninstaller, "uninstaller"),
        "uninstall_string": nsis_value(command_line((uninstaller,)), "UninstallString"),
        "quiet_uninstall_string": nsis_value(command_line((uninstaller, ("/S",))),
                                             "QuietUninstallString"),
        "check_path": bool(check and (check.path_entries or check.commands_folder)),
        "welcome_text": welcome_text(plan),
        "compressor": packer,
        "estimated_kb": estimated_size_kb(plan, payload),
        "start_line": nsis_value((f"installing {pkg.id} {pkg.version} ({payload.delivery} "
                                  "mode) into ", INSTALL_DIR), "log"),
        "uninstall_start_line": nsis_value((f"uninstalling {pkg.id} {pkg.version} from ",
                                            INSTALL_DIR), "log"),
        "step_variables": _step_variables(plan),
        "download_reasons": Code(reason_macros()),
        "install_blocks": steps.blocks("install"),
        "undo_blocks": steps.blocks("undo"),
        "plan": plan,
        "pkg": pkg,
        "delivery": str(payload.delivery),
        "target": "amd64-unicode" if plan.machine.is_64bit else "x86-unicode",
        "regview": plan.machine.registry_view,
        "vi_version": vi_version(pkg.version),
        "reg_key": plan.arp.registry_key,
    }


def render_script(plan: InstallPlan, payload: Payload) -> str:
    """The text of installer.nsi (no files touched)."""
    packer = compressor(plan, payload)
    steps = NsisSteps(plan, payload, solid=packer.startswith("/SOLID"))
    try:
        return environment().get_template(TEMPLATE).render(
            **_context(plan, payload, steps, packer))
    except ValueError as err:  # a literal longer than an NSIS string
        raise BuildError(f"NSIS installer of {plan.package.id}: {err}") from None
