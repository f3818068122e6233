"""Both back ends render the same plan the same way.

For the shipped recipes and test recipes that use every kind of step, the NSIS script and the
Chocolatey scripts are parsed (NSIS by its lines, PowerShell with tree-sitter) and must give
the same sequence of (step number, state key, install action, ownership rule) at install and
of (step number, state key, undo action) at uninstall, the plan's; and per step the same exit
codes, the same kind of "was it there before" probe, and a record of what the step did.

The steps the target-side engine runs are one call of choconsis_engine.py in both, at the
first of them (install and undo), with the same steps description and the same install-time
variables; Chocolatey adds its shims of the commands after it (its own way of exposing them).
"""

from __future__ import annotations

import re

import pytest
from choconsis.backends import chocolatey, nsis
from choconsis.check.powershell import Script
from choconsis.payload import Payload
from choconsis.plan import Delivery, InstallPlan, Ownership, build_plan, engine_description
from choconsis.plan.engine import engine_variables
from choconsis.recipe import parse_recipe
from kit.locks import fake_lock
from kit.parity import CASES, expected
from kit.plans import web_payload


def rendered(case: str) -> tuple[InstallPlan, str, str, str]:
    """(plan, installer.nsi, chocolateyInstall.ps1, chocolateyUninstall.ps1) of a case."""
    make, delivery = CASES[case]
    data = make()
    recipe = parse_recipe(data, f"{case}.toml")
    plan = build_plan(recipe, fake_lock(recipe), delivery)
    payload = web_payload(plan)
    if delivery.embeds:  # names only: nothing here reads the files
        payload = Payload(delivery, runtime=payload.runtime)
    return (plan, nsis.render_script(plan, payload),
            chocolatey.render_install(plan, payload, "requirements.lock"),
            chocolatey.render_uninstall(plan, payload, "requirements.lock"))


# ---------------------------------------------------------------------------- NSIS


def _nsis_blocks(text: str, begin: str) -> list[tuple[str, str]]:
    """(key, block) of each step block: the text from its StrCpy $StepKey to the next one."""
    starts = [(m.start(), m.group(1)) for m in
              re.finditer(r'^  StrCpy \$StepKey "([^"]*)"\n  !insertmacro ' + begin, text, re.M)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return [(key, text[s:e]) for (s, key), e in zip(starts, ends)]


def nsis_install(script: str) -> list[tuple[int, str, str, str]]:
    install = script.split('Section "-install"')[1].split("SectionEnd")[0]
    return [(int(n), k, a, o) for k, n, a, o in re.findall(
        r'^  StrCpy \$StepKey "([^"]*)"\n  !insertmacro ChoconsisBeginStep (\d+) "(\w+)" '
        r'"([\w-]+)"$', install, re.M)]


def nsis_undo(script: str) -> list[tuple[int, str, str]]:
    """The undo macros in the order the uninstaller inserts them (an engine step other than
    the first has none of its own: the engine's call undoes it)."""
    bodies = dict(re.findall(r"^!macro ChoconsisUndoStep(\d+) PREFIX\n(.*?)^!macroend",
                             script, re.M | re.S))
    uninstall = script.split('Section "Uninstall"')[1]
    order = re.findall(r'!insertmacro ChoconsisUndoStep(\d+) "un\."', uninstall)
    out = []
    for n in order:
        for key, action in re.findall(r'StrCpy \$StepKey "([^"]*)"\n  !insertmacro '
                                      r'ChoconsisBeginUndo "\$\{PREFIX\}" "(\w+)"', bodies[n]):
            out.append((int(n), key, action))
    return out


def engine_calls(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(side, the --var names in order) of each call of choconsis_engine.py, NSIS or
    PowerShell alike (the names are plain words in both)."""
    return [(side, tuple(re.findall(r"--var\W+(\w+)=", rest.split("\n\n")[0])))
            for side, rest in re.findall(
                r"choconsis_engine\.py\W+(install|undo)\W+--steps\W+[^\n]*?"
                r"choconsis-steps\.json(.*?)(?=^\S|\Z)", text, re.M | re.S)]


def nsis_codes(block: str) -> set[int]:
    return {int(c) for c in re.findall(r'\$\{If\} \$0 == "(\d+)"', block)}


# ---------------------------------------------------------------------------- PowerShell


def ps_calls(text: str, command: str) -> list[dict[str, str | None]]:
    """The named arguments of each call of ``command`` (string literals; -Number as text)."""
    script = Script(text)
    calls = []
    for cmd in script.commands():
        if cmd.name == command:
            args = script.arguments(cmd)
            args["number"] = re.search(r"-Number (\d+)", cmd.text).group(1)
            calls.append(args)
    return calls


def ps_install(text: str) -> list[tuple[int, str, str, str]]:
    return [(int(c["number"] or 0), c["key"], c["action"], c["owns"])
            for c in ps_calls(text, "Start-ChoconsisStep")]


def ps_undo(text: str) -> list[tuple[int, str, str]]:
    return [(int(c["number"] or 0), c["key"], c["action"])
            for c in ps_calls(text, "Start-ChoconsisUndo")]


def ps_blocks(text: str, command: str) -> list[str]:
    return text.split(f"\n{command} ")[1:]


def ps_codes(block: str) -> set[int]:
    found = re.findall(r"validExitCodes = @\(([\d, ]*)\)|if \(@\(([\d, ]*)\) -notcontains", block)
    return {int(c) for pair in found for group in pair for c in group.split(",") if c.strip()}


# ---------------------------------------------------------------------------- the test

PROBES = {  # probe kind -> what each back end runs for it
    "msi_product": ("ChoconsisMsiInstalled", "Test-MsiProductInstalled"),
    "python_registered": ("ChoconsisPythonRegistered", "Get-PythonInstallPath"),
    "file_exists": ('${FileExists} "$RuntimeDir\\python.exe"',
                    "Test-Path -LiteralPath (Join-Path $runtimeDir 'python.exe')"),
}


def native(found: list, plan: InstallPlan) -> list:
    """Chocolatey's own parts of engine steps (the shims) left out."""
    keys = {s.key for s in plan.engine_steps}
    return [entry for entry in found if entry[1] not in keys]


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_back_ends_render_the_plans_steps_in_order(case):
    plan, nsi, ps_in, ps_un = rendered(case)
    want_install, want_undo = expected(plan)
    assert nsis_install(nsi) == want_install
    assert native(ps_install(ps_in), plan) == want_install
    assert nsis_undo(nsi) == want_undo
    assert native(ps_undo(ps_un), plan) == want_undo


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_back_ends_call_the_engine_once_each_way_with_the_same_values(case):
    """One engine call for install (in the install section) and one for undo (in the undo
    macro both the uninstaller and the rollback use), with the same --var names, which are
    every placeholder of the description's side."""
    plan, nsi, ps_in, ps_un = rendered(case)
    assert plan.engine_steps, case
    want = [("install", engine_variables(plan, "install"))]
    assert engine_calls(nsi.split('Section "-install"')[1].split("SectionEnd")[0]) == want
    assert engine_calls(ps_in) == want
    want_undo = [("undo", engine_variables(plan, "undo"))]
    assert engine_calls(nsi.split("Function ChoconsisRollback")[0]) == want_undo
    assert engine_calls(ps_un) == want_undo
    names = {p["var"] for s in engine_description(plan)["steps"] for side in ("install", "undo")
             for p in _placeholders(s[side])}
    assert names <= set(engine_variables(plan, "install")) | set(engine_variables(plan, "undo"))


def _placeholders(value):
    if isinstance(value, dict):
        if set(value) == {"var"}:
            yield value
        else:
            for v in value.values():
                yield from _placeholders(v)
    elif isinstance(value, list):
        for v in value:
            yield from _placeholders(v)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_step_has_the_same_exit_codes_probe_and_record(case):
    """Per native step (the engine's are its own: tests/test_engine.py)."""
    plan, nsi, ps_in, ps_un = rendered(case)
    install = nsi.split('Section "-install"')[1].split("SectionEnd")[0]
    nsis_steps = dict(_nsis_blocks(install, "ChoconsisBeginStep"))
    ps_steps = dict(zip([k for _, k, _, _ in ps_install(ps_in)],
                        ps_blocks(ps_in, "Start-ChoconsisStep")))
    bodies = dict(re.findall(r"^!macro ChoconsisUndoStep(\d+) PREFIX\n(.*?)^!macroend",
                             nsi, re.M | re.S))
    ps_undos = dict(zip([(n, k) for n, k, _ in ps_undo(ps_un)],
                        ps_blocks(ps_un, "Start-ChoconsisUndo")))
    native_steps = [(n, s) for n, s in enumerate(plan.steps, start=1) if not s.in_engine]
    assert {k for k in nsis_steps if k != "engine"} == {s.key for _, s in native_steps}
    for number, step in native_steps:
        n_block, p_block = nsis_steps[step.key], ps_steps[step.key]
        codes = set(getattr(step.install, "exit").accepted) if hasattr(step.install, "exit") \
            else set()
        assert nsis_codes(n_block) == codes, (case, step.key, "NSIS install codes")
        assert ps_codes(p_block) == codes, (case, step.key, "PowerShell install codes")
        probe = getattr(step.install, "probe", None)
        for kind, (n_token, p_token) in PROBES.items():
            expected = probe is not None and probe.kind == kind
            assert (n_token in n_block) == expected, (case, step.key, kind, "NSIS probe")
            assert (p_token in p_block) == expected, (case, step.key, kind, "PowerShell probe")
        records = step.owns is not Ownership.NOTHING or step.install.kind == "run_exe"
        assert ("ChoconsisRecord" in n_block) == records, (case, step.key, "NSIS record")
        assert ("Set-StepRecord" in p_block) == records, (case, step.key, "PS record")
        undo_codes = set(getattr(step.undo, "exit").accepted) if hasattr(step.undo, "exit") \
            else set()
        n_undo, p_undo = bodies[str(number)], ps_undos[(number, step.key)]
        assert nsis_codes(n_undo) == undo_codes, (case, step.key, "NSIS undo codes")
        assert ps_codes(p_undo) == undo_codes, (case, step.key, "PowerShell undo codes")


def test_the_parsers_see_what_a_back_end_renders():
    """The extraction itself: a step rendered out of order, with another key or another
    action, is seen as such (so the parity test can fail)."""
    plan, nsi, ps_in, _ = rendered("openstack-clients-2013")
    swapped = nsi.replace('"installer:pyOpenSSL-0.13.winxp32-py2.7.msi"', '"installer:other"')
    assert nsis_install(swapped) != nsis_install(nsi)
    assert [a for _, _, a, _ in nsis_install(nsi)] == [
        "engine" if s == plan.engine_steps[0] else s.install.kind
        for s in plan.steps if not s.in_engine or s == plan.engine_steps[0]]
    assert engine_calls(nsi.replace("--var", "--other")) != engine_calls(nsi)
    changed = ps_in.replace("-Action 'run_msi'", "-Action 'run_exe'")
    assert ps_install(changed) != ps_install(ps_in)
    assert ps_codes("validExitCodes = @(0, 3010, 1641)\nif (@(0) -notcontains $x)") == {
        0, 3010, 1641}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_runtime_is_downloaded_at_install_by_both_or_by_neither(case):
    """The plan's fetch fact: a runtime package in web mode is downloaded and sha256-checked
    at install time by setup.exe (then tar.exe) and by the package (then Chocolatey's unzip),
    and its undo removes the runtime's own folder in both; else setup.exe downloads no
    runtime archive."""
    plan, nsi, ps_in, ps_un = rendered(case)
    step = plan.runtime_step
    fetch = getattr(step.install, "fetch", False)
    install = nsi.split('Section "-install"')[1].split("SectionEnd")[0]
    n_block = dict(_nsis_blocks(install, "ChoconsisBeginStep")).get(step.key, "")
    p_block = dict(zip([k for _, k, _, _ in ps_install(ps_in)],
                       ps_blocks(ps_in, "Start-ChoconsisStep"))).get(step.key, "")
    downloads = f'ChoconsisDownloadVerified "{step.artifact.url}" "$StepFile" ' \
                f'"{step.artifact.sha256}"'
    assert (downloads in n_block) is fetch or (not plan.zip_runtime and
                                               not plan.delivery.embeds)
    tar = 'nsExec::ExecToStack "$\\"$SYSDIR\\tar.exe$\\" -xf $\\"$StepFile$\\" -C $\\"$RuntimeDir$\\""'
    assert (tar in n_block) is fetch
    if plan.zip_runtime:
        assert ("Get-ChocolateyWebFile" in p_block) is (fetch or not plan.delivery.embeds)
        assert ("Get-ChocolateyUnzip" in p_block)
        assert ('RMDir /r "$RuntimeDir"' in nsi) is fetch
        assert ("Remove-Item -LiteralPath $runtimeDir -Recurse -Force" in ps_un) is fetch
    assert fetch is (plan.runtime.installer == "package" and plan.delivery is Delivery.WEB)
