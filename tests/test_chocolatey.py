"""The Chocolatey back end: nuspec (against Chocolatey's XSD), install/uninstall scripts
(parsed with tree-sitter-powershell), hostile values, and the OPC .nupkg."""

from __future__ import annotations

import dataclasses

import copy
import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from choconsis.backends import chocolatey
from choconsis.lock.lockfile import format_lock
from choconsis.plan import (ENGINE_FILES, LOCK_FILE, STEPS_FILE, WHEELS, Delivery, InstallPlan,
                            Ownership, RunExe, RunMsi, engine_command, engine_json)
from choconsis.check.powershell import Script, entry_value, syntax_errors, verbatim_value, walk
from choconsis.recipe import parse_recipe
from choconsis.backends.chocolatey.opc import CT_DEFAULT
from choconsis.errors import BuildError
from choconsis.escaping import ps_templated
from kit import reference_file
from kit.decoders import nupkg_parts, read_script
from kit.locks import dummy_lock
from kit.plans import dummy_offline, plan_from, rendered, shipped_plan, web_payload
from kit.recipes import exe_recipe_data, EXE_VARIANT, RECIPE_KINDS, SHIPPED, pin, place, recipe_data

NS = {"n": chocolatey.NUSPEC_NS}

HOSTILE_LINE = ("Tool ‘one’ ’two‛ ‚three' `tick $(whoami) $env:PATH @(1) ; & | # <x> "
                "\"q\" é中")
HOSTILE_TEXT = HOSTILE_LINE + "\nsecond line ]]> <!-- -- &amp; &#10;\n\n#third"
HOSTILE_DIR = "C:\\Tools ‘$(whoami)’ `n ;'x"


# ---------------------------------------------------------------------------- helpers


def hostile_data() -> dict:
    data = copy.deepcopy(recipe_data("openstack-clients-2013"))
    pkg = data["package"]
    pkg.update(title=HOSTILE_LINE, authors=HOSTILE_LINE, summary=HOSTILE_LINE,
               description=HOSTILE_TEXT, release_notes=HOSTILE_TEXT, copyright=HOSTILE_LINE,
               tags=["a&b", "<c>", "‘d’"])
    data["python"]["install_dir"] = HOSTILE_DIR
    data["installer"][0]["name"] = HOSTILE_LINE
    data["installer"][0]["args"] = ["TARGETDIR={install_dir}", "NOTE=" + HOSTILE_LINE]
    data["path"]["prepend"] = ["{install_dir}", "{install_dir}\\Scripts ‘$(x)’"]
    return data


def ps_value(node, variables: dict[str, str]) -> str:
    """Evaluate a generated expression made of single-quoted strings, variables and '+'."""
    out = []
    for sub in walk(node):
        if sub.type == "verbatim_string_characters":
            out.append(verbatim_value(sub.text.decode()))
        elif sub.type == "variable":
            out.append(variables[sub.text.decode()])
        elif sub.type in ("expandable_string_literal", "sub_expression", "command"):
            raise AssertionError(f"unexpected {sub.type} in a generated value: {sub.text!r}")
    return "".join(out)


def splatted(script: Script, command: str) -> list[dict[str, object]]:
    """The hashtable nodes splatted into each call of ``command``, key -> value node."""
    tables = []
    for node in script.nodes("assignment_expression"):
        table = next((n for n in walk(node) if n.type == "hash_literal_expression"), None)
        if table is not None:
            tables.append((node.children[0].text.decode().strip()[1:].lower(),
                           node.start_point[0] + 1, table))
    calls = []
    for cmd in script.commands():
        if cmd.name != command:
            continue
        for var in cmd.splats:
            _, _, table = [t for t in tables if t[0] == var and t[1] <= cmd.line][-1]
            entries = {}
            for entry in walk(table):
                if entry.type == "hash_entry":
                    entries[entry.children[0].text.decode().strip().lower()] = entry_value(entry)
            calls.append(entries)
    return calls


def array_items(script: Script, variable: str, variables: dict[str, str]) -> list[list[str]]:
    """Each assignment ``$variable = @( ... )`` as its list of evaluated items."""
    found = []
    for node in script.nodes("assignment_expression"):
        if node.children[0].text.decode().strip() != variable:
            continue
        body = next(n for n in walk(node) if n.type == "statement_list")
        found.append([ps_value(item, variables) for item in body.children
                      if item.type == "pipeline"])
    return found


VARS = {"$preinstalledDir": "C:\\tmp\\preinstall", "$installDir": "D:\\Inst Dir", "$lockFile": "C:\\pkg\\tools\\x.lock",
        "$packageName": "pkg", "$file": "C:\\tmp\\f.msi", "$toolsDir": "C:\\pkg\\tools",
        "$stateDir": "D:\\Inst Dir\\choconsis-pkg", "$productCode": "{PRODUCT}",
        "$wheelsDir": "C:\\pkg\\tools\\wheels", "$runtimeDir": "C:\\Python314",
        "$allUsers": "1", "$scope": "machine", "$programFiles": "C:\\Program Files",
        "$env:TEMP": "C:\\Users\\Jo Doe\\AppData\\Local\\Temp"}


def substituted(value, variables: dict[str, str] = VARS) -> str:
    """A plan value with each marker replaced as the script's variable evaluates."""
    return "".join(_evaluated(chocolatey.PS_VARIABLES[p], variables)
                   if not isinstance(p, str) else p for p in value)


def _evaluated(expression: str, variables: dict[str, str]) -> str:
    return expression[1:-1] if expression.startswith("'") else variables[expression]


def engine_call(plan: InstallPlan, side: str, variables: dict[str, str] = VARS) -> list[str]:
    """The engine's arguments after python.exe, as the script's values evaluate."""
    return [substituted(a, variables) for a in engine_command(plan, side)[1:]]


# ---------------------------------------------------------------------------- nuspec


@pytest.fixture(scope="module")
def nuspec_schema() -> etree.XMLSchema:
    text = reference_file("chocolatey-nuspec.xsd").read_text(encoding="utf-8")
    return etree.XMLSchema(etree.fromstring(text.replace("{0}", chocolatey.NUSPEC_NS).encode()))


@pytest.mark.parametrize("name", SHIPPED)
def test_nuspec_is_valid_against_chocolatey_schema(name, tmp_path, nuspec_schema):
    dest = rendered(shipped_plan(name), tmp_path)
    doc = etree.parse(str(dest / f"{name}.nuspec"))
    assert nuspec_schema.validate(doc), nuspec_schema.error_log


@pytest.mark.parametrize("name", SHIPPED)
def test_nuspec_carries_all_metadata_and_omits_empty(name, tmp_path):
    plan = shipped_plan(name)
    meta = etree.parse(str(rendered(plan, tmp_path) / f"{name}.nuspec")).find("n:metadata", NS)
    got = {etree.QName(el).localname: el.text for el in meta}
    pkg = plan.package
    expected = {"id": pkg.id, "version": pkg.version, "title": pkg.title, "authors": pkg.authors,
                "owners": pkg.authors, "summary": pkg.summary, "description": pkg.description,
                "projectUrl": pkg.project_url, "licenseUrl": pkg.license_url,
                "packageSourceUrl": pkg.package_source_url, "docsUrl": pkg.docs_url,
                "bugTrackerUrl": pkg.bug_tracker_url, "tags": " ".join(pkg.tags),
                "releaseNotes": pkg.release_notes, "copyright": pkg.copyright,
                "iconUrl": pkg.icon_url, "requireLicenseAcceptance": "false"}
    assert got == {k: v for k, v in expected.items() if v}
    files = meta.getparent().find("n:files", NS)
    assert [(f.get("src"), f.get("target")) for f in files] == [("tools\\**", "tools")]


def test_nuspec_enhancements_and_owners_come_from_the_recipe(tmp_path, nuspec_schema):
    """cpmr0057 asks for projectSourceUrl and mailingListUrl; owners may differ from authors."""
    data = exe_recipe_data()
    data["package"].update(
        project_source_url="https://opendev.org/openstack/python-openstackclient",
        mailing_list_url="https://lists.openstack.org/mailman3/lists/",
        owners="choconsis maintainers")
    plan = plan_from(data)
    doc = etree.parse(str(rendered(plan, tmp_path) / f"{plan.package.id}.nuspec"))
    assert nuspec_schema.validate(doc), nuspec_schema.error_log
    meta = {etree.QName(el).localname: el.text for el in doc.find("n:metadata", NS)}
    assert meta["projectSourceUrl"] == "https://opendev.org/openstack/python-openstackclient"
    assert meta["mailingListUrl"] == "https://lists.openstack.org/mailman3/lists/"
    assert (meta["owners"], meta["authors"]) == ("choconsis maintainers", "OpenStack Foundation")
    from choconsis.check import check_folder

    rules = {f.rule_id for f in check_folder(rendered(plan, tmp_path / "again"))}
    assert "cpmr0057" not in rules and "cpmr0068" in rules  # owners differ: a note


def test_owners_default_to_the_authors():
    assert shipped_plan("openstack-clients").package.owners == "OpenStack Foundation"


def test_hostile_values_round_trip_through_xml(tmp_path, nuspec_schema):
    plan = plan_from(hostile_data())
    dest = rendered(plan, tmp_path)
    doc = etree.parse(str(dest / f"{plan.package.id}.nuspec"))
    assert nuspec_schema.validate(doc), nuspec_schema.error_log
    meta = {etree.QName(el).localname: el.text for el in doc.find("n:metadata", NS)}
    assert meta["title"] == meta["authors"] == meta["copyright"] == HOSTILE_LINE
    assert meta["description"] == meta["releaseNotes"] == HOSTILE_TEXT
    assert meta["tags"] == "a&b <c> ‘d’"
    assert len(doc.getroot()) == 2  # no element injected by a value


# ---------------------------------------------------------------------------- scripts


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("script", [chocolatey.INSTALL_SCRIPT, chocolatey.UNINSTALL_SCRIPT])
def test_scripts_parse_without_errors(name, script, tmp_path):
    text = read_script(rendered(shipped_plan(name), tmp_path), script)
    assert syntax_errors(text) == []
    assert text.lstrip().splitlines()[0].startswith("#")


def _step_markers(text: str, undo: bool = False) -> list[int]:
    head = "# ---- undo step " if undo else "# ---- step "
    return [int(line[len(head):].split()[0]) for line in text.splitlines()
            if line.startswith(head)]


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_steps_render_in_plan_order_and_undo_in_reverse(name, tmp_path):
    plan = shipped_plan(name)
    dest = rendered(plan, tmp_path)
    install = _step_markers(read_script(dest, chocolatey.INSTALL_SCRIPT))
    uninstall = _step_markers(read_script(dest, chocolatey.UNINSTALL_SCRIPT), undo=True)
    # the native steps, the engine's call at its first step, the shims of the commands
    first = plan.engine_steps[0]
    shown = [(n, s) for n, s in enumerate(plan.steps, start=1)
             if not s.in_engine or s == first or s.install.kind == "expose_commands"]
    assert install == [n for n, _ in shown]
    assert uninstall == install[::-1]
    # and the helpers appear in the same order as the steps they implement
    text = read_script(dest, chocolatey.INSTALL_SCRIPT)
    helper = {"run_exe": "Install-ChocolateyPackage", "run_msi": "Install-ChocolateyInstallPackage",
              "unpack_zip": "Get-ChocolateyUnzip", "run_check": "@checkArgs",
              "expose_commands": "Install-BinFile"}
    blocks = text.split("\n# ---- step ")[1:]
    assert len(blocks) == len(shown)
    for (_, step), block in zip(shown, blocks):
        want = "@engineArgs" if step == first else helper[step.install.kind]
        assert want in block, (step.title, block[:200])


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_every_download_is_checksummed_for_its_arch(name, tmp_path):
    plan = shipped_plan(name)
    script = Script(read_script(rendered(plan, tmp_path), chocolatey.INSTALL_SCRIPT))
    calls = [c for cmd in ("Install-ChocolateyPackage", "Get-ChocolateyWebFile",
                           "Install-ChocolateyZipPackage") for c in splatted(script, cmd)]
    url_key, sum_key, type_key = (("url64bit", "checksum64", "checksumtype64")
                                  if plan.runtime.arch == "amd64"
                                  else ("url", "checksum", "checksumtype"))
    downloads = {ps_value(c[url_key], VARS): (ps_value(c[sum_key], VARS),
                                               ps_value(c[type_key], VARS))
                 for c in calls if url_key in c}
    assert downloads == {a.url: (a.sha256, "sha256") for a in plan.artifacts}
    other = {"url", "url64bit"} - {url_key}
    assert not any(other & set(c) for c in calls)


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_installers_get_silent_args_and_exit_codes_from_the_plan(name, tmp_path):
    plan = shipped_plan(name)
    script = Script(read_script(rendered(plan, tmp_path), chocolatey.INSTALL_SCRIPT))
    calls = [c for cmd in ("Install-ChocolateyPackage", "Install-ChocolateyInstallPackage")
             for c in splatted(script, cmd)]
    got = sorted((ps_value(c["silentargs"], VARS), c["validexitcodes"].text.decode())
                 for c in calls)
    steps = [s.install for s in plan.steps if isinstance(s.install, (RunExe, RunMsi))]
    expected = sorted((substituted(s.silent_command),
                       "@(" + ", ".join(map(str, s.exit.accepted)) + ")") for s in steps)
    assert got == expected


def test_a_failing_msi_names_the_log_its_silent_args_write(tmp_path):
    """msiexec /qn says why it failed only in its log: the throw names the same file."""
    plan = shipped_plan("openstack-clients-2013")
    text = read_script(rendered(plan, tmp_path), chocolatey.INSTALL_SCRIPT)
    msis = [s.install for s in plan.steps if isinstance(s.install, RunMsi)]
    assert len(msis) == 2 and all(m.log for m in msis)
    for msi in msis:
        log = ps_templated(msi.log, chocolatey.PS_VARIABLES)
        assert f"catch {{ throw ($_.Exception.Message + \" msiexec's log: \" + {log}) }}" in text
        assert substituted(msi.log) in substituted(msi.silent_command)
    assert syntax_errors(text) == []


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_the_engine_gets_the_plans_steps_and_stops_the_install_on_failure(name, tmp_path):
    plan = shipped_plan(name)
    dest = rendered(plan, tmp_path)
    text = read_script(dest, chocolatey.INSTALL_SCRIPT)
    script = Script(text)
    # the steps description setup.exe also ships: the plan's, with the packages command
    assert (dest / "tools" / STEPS_FILE).read_text("utf-8") == engine_json(plan)
    assert all((dest / "tools" / n).is_file() for n in ENGINE_FILES)
    (args,) = array_items(script, "$engineArgs", VARS)
    assert args == engine_call(plan, "install")
    assert args[:4] == ["-E", "-s", "C:\\pkg\\tools\\choconsis_engine.py", "install"]
    assert "& ($runtimeDir + '\\python.exe') @engineArgs" in text
    if plan.by_role("commands"):  # shims, not the commands folder on PATH
        assert "expose=shims" in args
    action = plan.packages_step.install
    if action.installer == "uv":  # its wheel is fetched and checked before the engine starts
        assert text.index(action.artifact.filename) < text.index("@engineArgs")
        assert f"file={VARS['$file']}" in args
    assert f"$lockFile = Join-Path $toolsDir '{LOCK_FILE}'" in text
    block = text.split("@engineArgs", 1)[1]
    # the engine's lines are shown as they come; a failure throws with its exit code in
    # words and the engine's last lines (the step, the cause, the failing tool's last lines)
    assert block.startswith(" | ForEach-Object {\r\n  $line = [string] $_\r\n  Write-Host $line")
    failed = block[block.index("if ($LASTEXITCODE -ne 0) {"):]
    assert "$engineFailure -join" in failed
    assert "throw ($stepName + ' failed with ' + (Format-ExitCode $LASTEXITCODE) + $why)" in failed
    check = text.split("'run_check'", 1)[1]
    (check_args,) = array_items(script, "$checkArgs", VARS)
    assert check_args == ["/d", "/c", plan.check_step.install.command[3][0]]
    assert "$checkOutput = (& 'cmd.exe' @checkArgs 2>&1 | ForEach-Object" in check
    assert "$checkExit = $LASTEXITCODE" in check
    assert "if (@(0) -notcontains $checkExit) {" in check


def test_install_dir_package_parameter(tmp_path):
    plan = shipped_plan("openstack-clients@exe")
    text = read_script(rendered(plan, tmp_path), chocolatey.INSTALL_SCRIPT)
    assert "$pp = Get-PackageParameters" in text
    # the app's own folder under Program Files; the runtime where the recipe puts it
    assert "$programFiles = $env:ProgramFiles" in text
    assert "$installDir = ($programFiles + '\\openstack-clients')" in text
    assert f"$runtimeDir = '{plan.install_dir}'" in text
    assert "if ($pp['InstallDir']) {\r\n  $installDir = [string] $pp['InstallDir']" in text
    # an upgrade without the parameter keeps the folder the replaced version used
    assert "$installDir = [string] $previousState.installDir" in text
    assert text.index("$previousState = Get-Content") < text.index("Get-PackageParameters")
    assert text.index("Get-PackageParameters") < text.index("# ---- step 1 ")


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_uninstall_undoes_recorded_state(name, tmp_path):
    plan = shipped_plan(name)
    dest = rendered(plan, tmp_path)
    install = read_script(dest, chocolatey.INSTALL_SCRIPT)
    uninstall = read_script(dest, chocolatey.UNINSTALL_SCRIPT)
    script = Script(uninstall)
    # the engine undoes its steps (environment, PATH, the packages in a runtime) by its record
    (args,) = array_items(script, "$engineArgs", VARS)
    assert args == engine_call(plan, "undo")
    assert "& ($runtimeDir + '\\python.exe') @engineArgs" in uninstall
    assert "(Test-Path -LiteralPath ($stateDir + '\\engine-state.json'))" in uninstall
    assert "'uninstall'" not in uninstall  # no pip runs at uninstall
    if plan.layout.venv:  # the commands' shims go before the engine removes their launchers
        assert uninstall.index("Uninstall-BinFile -Name $names[$i] -Path (Join-Path "
                               "($installDir + '\\bin')") < uninstall.index("@engineArgs")
    # each native step records under its plan key; its undo reads the same key
    for number, step in enumerate(plan.steps, start=1):
        key = "engine" if step == plan.engine_steps[0] else step.key
        if step == plan.engine_steps[0] or not step.in_engine:
            assert f"Start-ChoconsisStep -Number {number} -Key '{key}'" in install
            assert f"Start-ChoconsisUndo -Number {number} -Key '{key}'" in uninstall
    numbered = {int(b.split()[0]): b for b in install.split("\n# ---- step ")[1:]}
    blocks = {s.key: numbered[n] for n, s in enumerate(plan.steps, start=1) if n in numbered}
    for step in plan.steps:
        if isinstance(step.install, RunMsi):
            # the product code is read before installing; a product already there is left
            block = blocks[step.key]
            assert block.index("Test-MsiProductInstalled $productCode") < block.index(
                "Install-ChocolateyInstallPackage @packageArgs")
            if step.owns is Ownership.SHARED:  # the runtime MSI, shared by ProductCode
                assert "Register-SharedRuntime -Key ('msi-' + $productCode)" in block
                assert "Set-StepRecord 'shared'" in block
            else:
                assert "Set-StepRecord $productCode" in block
    if any(isinstance(s.install, RunMsi) for s in plan.steps):
        assert "silentArgs = ($productCode + ' /qn /norestart')" in uninstall
    block = blocks["runtime"]
    if plan.runtime.installer == "exe":
        # installed only where no Python 3.14 is registered; shared, by PEP 514 tag
        assert block.index("Get-PythonInstallPath -Tag '3.14' -View '64'") < block.index(
            "Install-ChocolateyPackage @packageArgs")
        assert "Get-UninstallRegistryKey -SoftwareName 'Python 3.14.7 (64-bit)'" in block
        assert "Register-SharedRuntime -Key 'python-3.14'" in block
        assert "Set-StepRecord 'shared'" in block
        assert "$others = Release-SharedRuntime 'python-3.14'" in uninstall
    elif plan.runtime.installer == "package":
        # fetched at install, sha256-checked, unzipped; its own folder goes as a whole
        assert block.index("Get-ChocolateyWebFile @webArgs") < block.index(
            "Get-ChocolateyUnzip @packageArgs") < block.index("Set-StepRecord 'unpacked'")
        assert "Remove-Item -LiteralPath $runtimeDir -Recurse -Force" in uninstall
    else:
        assert "$others = Release-SharedRuntime ('msi-' + $productCode)" in uninstall


def test_zip_runtime_unpacks_into_install_dir_and_removes_it(tmp_path):
    data = exe_recipe_data()
    data["python"].update(installer="zip",
                          url="https://example.org/python-3.14.7-embed-amd64.zip")
    plan = plan_from(data)
    dest = rendered(plan, tmp_path)
    install, uninstall = (read_script(dest, s) for s in (chocolatey.INSTALL_SCRIPT,
                                                         chocolatey.UNINSTALL_SCRIPT))
    assert syntax_errors(install) == [] and syntax_errors(uninstall) == []
    # a web package downloads it, sha256-checked, then unzips it with Chocolatey's helpers
    (fetch,) = [c for c in splatted(Script(install), "Get-ChocolateyWebFile")
                if "checksum64" in c and ps_value(c["checksum64"], VARS) == plan.runtime.sha256]
    (unzip,) = splatted(Script(install), "Get-ChocolateyUnzip")
    assert ps_value(fetch["checksumtype64"], VARS) == "sha256"
    assert ps_value(fetch["url64bit"], VARS) == plan.runtime.url
    assert fetch["filefullpath"].text.decode() == unzip["filefullpath"].text.decode() == "$file"
    assert unzip["destination"].text.decode() == "$runtimeDir"
    assert "$runtimeDir = ($installDir + '\\runtime')" in install  # private to the app
    # what the archive unpacked, by name: never the whole folder (/InstallDir may hold more)
    assert "foreach ($entry in @('DLLs', 'Lib', 'Scripts', 'python.exe', 'python312.dll'))" in \
        uninstall
    assert "Remove-Item -LiteralPath $installDir" not in uninstall
    assert "$path = Join-Path $runtimeDir $entry" in uninstall


PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def closes_early(literal: str) -> bool:
    """Whether PowerShell would end this single-quoted literal before its last character.

    PowerShell treats all four single-quote forms as quotes; inside a single-quoted string
    a quote stands for itself only when doubled. (tree-sitter-powershell only knows the
    ASCII quote, so this is checked here.)
    """
    body, i = literal[1:-1], 0
    while i < len(body):
        if body[i] in PS_QUOTES:
            if i + 1 >= len(body) or body[i + 1] not in PS_QUOTES:
                return True
            i += 1
        i += 1
    return False


@pytest.mark.parametrize("script", [chocolatey.INSTALL_SCRIPT, chocolatey.UNINSTALL_SCRIPT])
def test_hostile_values_stay_string_literals(script, tmp_path):
    plan = plan_from(hostile_data())
    text = read_script(rendered(plan, tmp_path), script)
    assert syntax_errors(text) == []
    tree = Script(text).tree
    # nothing of a value became code: no subexpression, no command named by a value
    assert not [n for n in walk(tree.root_node) if n.type == "sub_expression"]
    names = {c.name for c in Script(text).commands()}
    assert "whoami" not in names and "x" not in names
    # every place a hostile value went is one single-quoted string
    literals = [verbatim_value(n.text.decode()) for n in walk(tree.root_node)
                if n.type == "verbatim_string_characters"]
    for node in walk(tree.root_node):
        if b"whoami" in node.text and node.child_count == 0:
            assert node.type == "verbatim_string_characters", node.type
        if node.type == "verbatim_string_characters":
            assert not closes_early(node.text.decode()), node.text.decode()
    if script == chocolatey.INSTALL_SCRIPT:
        assert HOSTILE_DIR in literals
        assert HOSTILE_LINE in literals and HOSTILE_LINE + " is installed." not in text
        assert "\\Scripts ‘$(x)’" in literals


def test_hostile_silent_args_evaluate_to_the_plans_command(tmp_path):
    plan = plan_from(hostile_data())
    script = Script(read_script(rendered(plan, tmp_path), chocolatey.INSTALL_SCRIPT))
    calls = splatted(script, "Install-ChocolateyInstallPackage")
    got = [ps_value(c["silentargs"], VARS) for c in calls]
    assert got == [substituted(s.install.silent_command) for s in plan.steps
                   if isinstance(s.install, (RunExe, RunMsi))]


# ---------------------------------------------------------------------------- files and pack


def test_render_writes_the_lock_into_tools(tmp_path):
    plan = shipped_plan("openstack-clients")
    dest = rendered(plan, tmp_path)
    lock = dest / "tools" / LOCK_FILE
    assert lock.read_text(encoding="utf-8") == format_lock(plan.lock, plan.recipe_name)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == \
        sorted(["openstack-clients.nuspec", f"tools/{STEPS_FILE}", "tools/chocolateyInstall.ps1",
                "tools/chocolateyUninstall.ps1", "tools/choconsis.ps1",
                *(f"tools/{n}" for n in ENGINE_FILES), f"tools/{lock.name}"])


@pytest.fixture
def packed(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    plan = shipped_plan("openstack-clients-2013")
    dest = rendered(plan, tmp_path)
    return plan, dest, chocolatey.pack(dest, tmp_path / "out" / "p.nupkg")


def test_nupkg_is_an_opc_package_as_choco_pack_writes_it(packed):
    plan, dest, nupkg = packed
    with zipfile.ZipFile(nupkg) as zf:
        names = zf.namelist()
        parts = {n: zf.read(n) for n in names}
        infos = zf.infolist()
    psmdcp = [n for n in names if n.startswith("package/services/metadata/core-properties/")]
    assert len(psmdcp) == 1 and psmdcp[0].endswith(".psmdcp")
    assert names == sorted(["[Content_Types].xml", "_rels/.rels", psmdcp[0],
                            f"{plan.package.id}.nuspec", "tools/choconsis.ps1",
                            *(f"tools/{n}" for n in (*plan.target_files, STEPS_FILE)),
                            "tools/chocolateyInstall.ps1",
                            "tools/chocolateyUninstall.ps1", f"tools/{LOCK_FILE}"])
    for name in names[2:]:
        if not name.startswith("package/"):
            src = dest / name
            assert parts[name] == src.read_bytes()
    ct = etree.fromstring(parts["[Content_Types].xml"])
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    defaults = {d.get("Extension"): d.get("ContentType") for d in ct.iter(ns + "Default")}
    assert defaults["rels"] == "application/vnd.openxmlformats-package.relationships+xml"
    assert defaults["psmdcp"] == "application/vnd.openxmlformats-package.core-properties+xml"
    for ext in ("nuspec", "ps1", "lock", "py"):
        assert defaults[ext] == "application/octet"
    rels = etree.fromstring(parts["_rels/.rels"])
    targets = {r.get("Type").rsplit("/", 1)[-1]: r.get("Target") for r in rels}
    assert targets == {"manifest": f"/{plan.package.id}.nuspec", "core-properties": "/" + psmdcp[0]}
    assert all(r.get("Id").startswith("R") for r in rels)
    props = etree.fromstring(parts[psmdcp[0]])
    dc, cp = "{http://purl.org/dc/elements/1.1/}", \
        "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
    assert props.find(dc + "identifier").text == plan.package.id
    assert props.find(cp + "version").text == plan.package.version
    assert props.find(dc + "creator").text == plan.package.authors
    assert props.find(dc + "description").text == plan.package.description
    assert props.find(cp + "keywords").text == " ".join(plan.package.tags)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_outputs_get_the_umask_mode_not_private_temp_file_mode(packed):
    plan, dest, nupkg = packed
    mask = os.umask(0o022)
    os.umask(mask)
    for path in (nupkg, dest / f"{plan.package.id}.nuspec",
                 dest / "tools" / chocolatey.INSTALL_SCRIPT,
                 dest / "tools" / LOCK_FILE):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path


def test_pack_is_reproducible(packed, tmp_path, monkeypatch):
    plan, dest, nupkg = packed
    first = hashlib.sha256(nupkg.read_bytes()).hexdigest()
    for path in dest.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    again = chocolatey.pack(dest, tmp_path / "again.nupkg")
    assert hashlib.sha256(again.read_bytes()).hexdigest() == first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = chocolatey.pack(dest, tmp_path / "dated.nupkg")
    with zipfile.ZipFile(dated) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    # the core-properties name follows the content
    (dest / "tools" / chocolatey.INSTALL_SCRIPT).write_bytes(b"# changed\r\n")
    changed = chocolatey.pack(dest, tmp_path / "changed.nupkg")
    with zipfile.ZipFile(changed) as a, zipfile.ZipFile(nupkg) as b:
        core = lambda z: [n for n in z.namelist() if n.endswith(".psmdcp")]  # noqa: E731
        assert core(a) != core(b)


def test_pack_refuses_a_folder_without_nuspec_and_leaves_nothing(tmp_path):
    (tmp_path / "src" / "tools").mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BuildError, match="expected exactly one .nuspec"):
        chocolatey.pack(tmp_path / "src", out / "x.nupkg")
    assert list(out.iterdir()) == []


def test_hostile_values_round_trip_through_the_core_properties(tmp_path):
    plan = plan_from(hostile_data())
    dest = rendered(plan, tmp_path)
    with zipfile.ZipFile(chocolatey.pack(dest, tmp_path / "h.nupkg")) as zf:
        (core,) = [n for n in zf.namelist() if n.endswith(".psmdcp")]
        props = etree.fromstring(zf.read(core))
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert props.find(dc + "creator").text == HOSTILE_LINE
    assert props.find(dc + "title").text == HOSTILE_LINE
    assert props.find(dc + "description").text == HOSTILE_TEXT


def test_state_keys_are_stable_across_versions_and_unique():
    old = recipe_data("openstack-clients-2013")
    new = copy.deepcopy(old)
    new["package"]["version"] = "2013.3.0"
    new["installer"].insert(0, dict(new["installer"][0], name="another MSI",
                                    url="https://example.org/other-1.0.msi"))
    keys_old = [s.key for s in plan_from(old).steps]
    plan_new = plan_from(new)
    keys_new = [s.key for s in plan_new.steps]
    assert sorted(keys_old) == ["check", "installer:" + plan_new.artifacts[2].filename,
                                "packages", "path", "runtime"]
    assert set(keys_old) < set(keys_new)
    assert len(set(keys_new)) == len(plan_new.steps)


def test_x86_exe_runtime_and_an_extra_exe_installer(tmp_path):
    data = exe_recipe_data()
    data["python"].update(arch="x86", url="https://www.python.org/ftp/python/3.14.7/"
                          "python-3.14.7.exe", sha256="0" * 64)
    data["installer"] = [{"name": "Helper", "kind": "exe", "sha256": "1" * 64,
                          "url": "https://example.org/helper-setup.exe",
                          "args": ["/S", "/D={install_dir}\\helper"],
                          "valid_exit_codes": [0, 7]}]
    plan = plan_from(data)
    dest = rendered(plan, tmp_path)
    install, uninstall = (read_script(dest, s) for s in (chocolatey.INSTALL_SCRIPT,
                                                         chocolatey.UNINSTALL_SCRIPT))
    assert syntax_errors(install) == [] and syntax_errors(uninstall) == []
    script = Script(install)
    runtime, helper = splatted(script, "Install-ChocolateyPackage")
    assert ps_value(runtime["url"], VARS) == plan.runtime.url and "url64bit" not in runtime
    # an extra EXE is downloaded and run the same way, with its own switches and codes
    assert ps_value(helper["url"], VARS) == "https://example.org/helper-setup.exe"
    assert ps_value(helper["checksum"], VARS) == "1" * 64 and "url64bit" not in helper
    assert ps_value(helper["filetype"], VARS) == "exe"
    assert ps_value(helper["silentargs"], VARS) == '/S /D=D:\\Inst Dir\\helper'
    assert helper["validexitcodes"].text.decode() == "@(0, 7)"
    assert "Get-UninstallRegistryKey -SoftwareName 'Python 3.14.7 (32-bit)'" in install
    assert "Get-PythonInstallPath -Tag '3.14-32' -View '32'" in install
    assert "$others = Release-SharedRuntime 'python-3.14-32'" in uninstall
    assert "Start-ChoconsisUndo -Number 2 -Key 'installer:helper-setup.exe' -Title 'Helper'" \
        in uninstall
    assert "was installed by its own EXE installer" in uninstall


@pytest.mark.parametrize("name", ["openstack-clients-2013", EXE_VARIANT])  # shared runtimes
def test_runtime_undo_first_removes_run_time_bytecode(name, tmp_path):
    text = read_script(rendered(shipped_plan(name), tmp_path), chocolatey.UNINSTALL_SCRIPT)
    cleanup = text.index("$cleanupArgs")
    assert "'-B'" in text[cleanup:cleanup + 200]
    runtime_undo = text.index("# ---- undo step 1 runtime")
    assert runtime_undo < cleanup < text.rindex("Uninstall-ChocolateyPackage @")
    if "2013" in name:  # packages in the runtime: removed by their record before it goes
        assert text.index("@engineArgs") < runtime_undo


# ---------------------------------------------------------------------------- offline (embedded)

from choconsis.check import check_nupkg  # noqa: E402
from choconsis.cli import main  # noqa: E402

OFFLINE_VARS = VARS
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def offline_rendered(data: dict, tmp_path: Path) -> tuple[InstallPlan, Path, Path]:
    """An offline render of the recipe with dummy artifacts; (plan, dest, artifacts dir)."""
    plan, payload = dummy_offline(data, tmp_path)
    dest = tmp_path / "offline" / plan.package.id
    chocolatey.render(plan, payload, dest)
    return plan, dest, tmp_path / "artifacts"


def file_key(plan: InstallPlan) -> str:
    return "file64" if plan.runtime.arch == "amd64" else "file"


def embedded_checks(script: Script) -> list[tuple[str, str]]:
    """(file name, pin) of each `$file = Join-Path $toolsDir NAME` followed by a Get-FileHash
    comparison with PIN, in script order."""
    text = script.text
    found = []
    for node in script.nodes("assignment_expression"):
        if node.children[0].text.decode().strip() != "$file":
            continue
        value = node.text.decode()
        assert value.startswith("$file = Join-Path $toolsDir '"), value
        name = next(verbatim_value(n.text.decode()) for n in walk(node)
                    if n.type == "verbatim_string_characters")
        after = text[node.end_byte:]
        check = after.index("(Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash")
        pin = after[after.index("if ($actual -ne '", check) + 17:][:64]
        assert "throw" in after[check:check + 400]
        found.append((name, pin))
    return found


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_offline_render_embeds_every_artifact_and_wheel_unchanged(name, tmp_path):
    plan, dest, artifacts = offline_rendered(recipe_data(name), tmp_path)
    tools = dest / "tools"
    for artifact in plan.artifacts:
        body = (tools / artifact.filename).read_bytes()
        assert body == (artifacts / artifact.filename).read_bytes()
        assert hashlib.sha256(body).hexdigest() == artifact.sha256
    exes = [a.filename for a in plan.artifacts if a.filename.endswith(".exe")]
    assert [(tools / f"{e}.ignore").read_bytes() for e in exes] == [b""] * len(exes)
    assert len(exes) == name.endswith("@exe")  # the python.org EXE: no shim for it
    wheels = sorted(p.name for p in (tools / "wheels").iterdir())
    assert wheels == sorted(w.filename for w in plan.lock.wheels)
    for wheel in plan.lock.wheels:
        assert hashlib.sha256((tools / "wheels" / wheel.filename).read_bytes()).hexdigest() \
            == wheel.sha256


@pytest.mark.parametrize("name", RECIPE_KINDS)
def test_offline_install_script_runs_embedded_files_checked_against_the_pin(name, tmp_path):
    plan, dest, _ = offline_rendered(recipe_data(name), tmp_path)
    install, uninstall = (read_script(dest, s) for s in (chocolatey.INSTALL_SCRIPT,
                                                         chocolatey.UNINSTALL_SCRIPT))
    assert syntax_errors(install) == [] and syntax_errors(uninstall) == []
    script = Script(install)
    names = {c.name for c in script.commands()}
    assert not names & {"Install-ChocolateyPackage", "Install-ChocolateyZipPackage",
                        "Get-ChocolateyWebFile"}, "an offline package downloads nothing"
    # each installer: the embedded file, hash-checked against its pin, then run with -File(64)
    assert embedded_checks(script) == [(a.filename, a.sha256)
                                                     for a in plan.artifacts]
    calls = splatted(script, "Install-ChocolateyInstallPackage")
    tool = plan.packages_step.install.artifact  # the uv wheel: a tool, not an installer
    unzipped = plan.runtime_step.artifact if plan.zip_runtime else None  # Get-ChocolateyUnzip
    assert len(calls) == len([a for a in plan.artifacts if a not in (tool, unzipped)])
    other = "file" if file_key(plan) == "file64" else "file64"
    for call in calls:
        assert call[file_key(plan)].text.decode() == "$file" and other not in call
    # the engine's pip or uv: the plan's offline command, the WHEELS marker being tools\wheels
    assert "$wheelsDir = Join-Path $toolsDir 'wheels'" in install
    args = engine_call(plan, "install", OFFLINE_VARS)
    assert array_items(script, "$engineArgs", OFFLINE_VARS) == [args]
    assert f"wheels={OFFLINE_VARS['$wheelsDir']}" in args
    assert plan.packages_step.install.command[-3:] == (("--no-index",), ("--find-links",),
                                                       (WHEELS,))


def test_offline_zip_runtime_is_unpacked_from_the_package(tmp_path):
    data = exe_recipe_data()
    data["python"].update(installer="zip",
                          url="https://example.org/python-3.14.7-embed-amd64.zip")
    plan, dest, _ = offline_rendered(data, tmp_path)
    install = read_script(dest, chocolatey.INSTALL_SCRIPT)
    assert syntax_errors(install) == []
    script = Script(install)
    uv = plan.packages_step.install.artifact
    assert embedded_checks(script) == [("python-3.14.7-embed-amd64.zip", plan.runtime.sha256),
                                       (uv.filename, uv.sha256)]
    (call,) = splatted(script, "Get-ChocolateyUnzip")
    assert call["fileFullPath64".lower()].text.decode() == "$file"
    assert call["destination"].text.decode() == "$runtimeDir"
    assert not splatted(script, "Install-ChocolateyZipPackage")


def test_offline_x86_runtime_and_extra_exe_use_the_32_bit_file_parameter(tmp_path):
    data = exe_recipe_data()
    data["python"].update(arch="x86", url="https://www.python.org/ftp/python/3.14.7/"
                          "python-3.14.7.exe")
    data["installer"] = [{"name": "Helper", "kind": "exe", "sha256": "1" * 64,
                          "url": "https://example.org/helper-setup.exe", "args": ["/S"],
                          "valid_exit_codes": [0, 7]}]
    plan, dest, _ = offline_rendered(data, tmp_path)
    install = read_script(dest, chocolatey.INSTALL_SCRIPT)
    assert syntax_errors(install) == []
    script = Script(install)
    assert [n for n, _ in embedded_checks(script)] == ["python-3.14.7.exe", "helper-setup.exe",
                                                       "uv-0.13.9-py3-none-win32.whl"]
    runtime, helper = splatted(script, "Install-ChocolateyInstallPackage")
    for call in (runtime, helper):
        assert call["file"].text.decode() == "$file" and "file64" not in call
    assert ps_value(runtime["silentargs"], VARS).startswith("/quiet InstallAllUsers=1")
    assert helper["validexitcodes"].text.decode() == "@(0, 7)"


@pytest.mark.parametrize("name", SHIPPED)
def test_offline_verification_and_license_txt(name, tmp_path):
    plan, dest, _ = offline_rendered(recipe_data(name), tmp_path)
    verification = (dest / "tools" / "VERIFICATION.txt").read_text(encoding="utf-8")
    for artifact in plan.artifacts:
        assert f"tools\\{artifact.filename}" in verification
        assert artifact.url in verification and artifact.sha256.upper() in verification
    for wheel in plan.lock.wheels:
        assert f"tools\\wheels\\{wheel.filename}" in verification
        assert wheel.url in verification and wheel.sha256.upper() in verification
    license_text = (dest / "tools" / "LICENSE.txt").read_text(encoding="utf-8")
    assert plan.package.license_url in license_text


def test_offline_render_takes_its_files_from_the_payload_only(tmp_path):
    from choconsis.payload import Payload

    plan = plan_from(exe_recipe_data(), delivery=Delivery.OFFLINE)
    with pytest.raises(BuildError, match="the payload has no python-3.14.7-amd64.exe"):
        chocolatey.render(plan, Payload(Delivery.OFFLINE), tmp_path / "x")
    assert not (tmp_path / "x" / "tools" / chocolatey.INSTALL_SCRIPT).exists()


@pytest.mark.parametrize("name", SHIPPED)
def test_web_render_is_unchanged_by_the_offline_mode(name, tmp_path):
    plan = shipped_plan(name)
    default, web = tmp_path / "default", tmp_path / "web"
    chocolatey.render(plan, web_payload(plan), default)
    chocolatey.render(plan, web_payload(plan), web)
    files = lambda root: {p.relative_to(root).as_posix(): p.read_bytes()  # noqa: E731
                          for p in root.rglob("*") if p.is_file()}
    assert files(default) == files(web)
    assert not any(n.endswith((".exe", ".msi", ".zip", ".whl", ".txt")) for n in files(web))
    assert files(web)["tools/choconsis_engine.py"]  # the engine, as setup.exe has it
    install = files(web)["tools/" + chocolatey.INSTALL_SCRIPT].decode("utf-8-sig")
    assert "$toolsDir 'wheels'" not in install and "Get-FileHash" not in install


@pytest.fixture
def offline_packed(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    plan, dest, _ = offline_rendered(recipe_data("openstack-clients-2013"), tmp_path)
    return plan, dest, chocolatey.pack(dest, tmp_path / "out" / "offline.nupkg")


def test_offline_nupkg_carries_the_binaries_with_content_types(offline_packed, tmp_path):
    plan, dest, nupkg = offline_packed
    parts = nupkg_parts(nupkg)
    expected = {f"tools/{a.filename}" for a in plan.artifacts}
    expected |= {f"tools/wheels/{w.filename}" for w in plan.lock.wheels}
    expected |= {"tools/VERIFICATION.txt", "tools/LICENSE.txt"}
    assert expected <= set(parts)
    for name in expected:
        assert parts[name] == (dest / name).read_bytes()
    ct = etree.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension"): d.get("ContentType") for d in ct.iter(CT_NS + "Default")}
    for ext in ("msi", "whl", "txt"):
        assert defaults[ext] == CT_DEFAULT
    again = chocolatey.pack(dest, tmp_path / "again.nupkg")
    assert again.read_bytes() == nupkg.read_bytes()


def test_choconsis_check_passes_an_offline_nupkg(offline_packed):
    _, _, nupkg = offline_packed
    findings = check_nupkg(nupkg)
    assert not [f for f in findings if f.severity == "error"], findings
    assert "cpmr0060" in {f.rule_id for f in findings}  # binaries noted, with their files
    assert main(["check", str(nupkg)]) == 0


def test_check_flags_an_embedded_package_without_verification_txt(offline_packed, tmp_path):
    _, dest, _ = offline_packed
    (dest / "tools" / "VERIFICATION.txt").unlink()
    broken = chocolatey.pack(dest, tmp_path / "broken.nupkg")
    errors = {f.rule_id for f in check_nupkg(broken) if f.severity == "error"}
    assert errors == {"cpmr0006"}
    assert main(["check", str(broken)]) == 1


def test_build_offline_embeds_in_the_nupkg_and_web_does_not(tmp_path):
    from choconsis.build import BuildOptions, build

    data = recipe_data("openstack-clients-2013")
    files: dict[str, bytes] = {}
    pin(data["python"], files, "python-2.7.18.msi", b"dummy runtime msi\n" * 50)
    pin(data["installer"][0], files, "pyOpenSSL-0.13.winxp32-py2.7.msi", b"dummy msi\n" * 30)
    lock = dummy_lock(parse_recipe(data, "repro.toml"), files)
    recipe, artifacts = place(tmp_path, data, lock, files, 1_000_000_000)
    names = {}
    for offline in (True, False):
        opts = BuildOptions(out_dir=tmp_path / f"out-{offline}", offline=offline, nsis=False,
                            artifacts_dir=artifacts, cache_dir=tmp_path / "cache")
        result = build(recipe, opts)
        names[offline] = nupkg_parts(result.nupkg)
    assert {f"tools/{f}" for f in files if f.endswith(".msi")} <= set(names[True])
    for name, body in files.items():
        where = f"tools/{name}" if name.endswith(".msi") else f"tools/wheels/{name}"
        assert names[True][where] == body
    assert not any(n.endswith((".msi", ".whl")) for n in names[False])


def test_package_parameter_no_check_skips_the_check(tmp_path):
    plan = shipped_plan("openstack-clients")
    text = read_script(rendered(plan, tmp_path), chocolatey.INSTALL_SCRIPT)
    assert syntax_errors(text) == []
    check = text[text.index("Action 'run_check'"):]
    assert check.index("if ($pp['NoCheck']) {") < check.index("& 'cmd.exe' @checkArgs")
    assert text.index("$pp = Get-PackageParameters") < text.index("if ($pp['NoCheck'])")
    data = exe_recipe_data()
    data["check"]["at_install"] = False
    dest = rendered(plan_from(data), tmp_path / "without")
    assert "run_check" not in read_script(dest, chocolatey.INSTALL_SCRIPT)
