"""Every Chocolatey helper call of the generated scripts passes only parameters the helper
accepts, checked against Chocolatey's own source (../shared/reference/chocolatey-helpers.json),
and ``choconsis check`` reports an unknown helper parameter (CHP0001)."""

from __future__ import annotations

import json

import pytest

from choconsis.backends import chocolatey
from choconsis.check import check_folder
from choconsis.check.helpers import COMMON_PARAMETERS, HELPER_PARAMETERS, unknown_parameters
from choconsis.check.powershell import Script
from choconsis.plan import Delivery
from kit import reference_file
from kit.decoders import read_script
from kit.plans import dummy_offline, plan_from, web_payload
from kit.recipes import exe_recipe_data, RECIPE_KINDS, recipe_data


@pytest.fixture(scope="module")
def chocolatey_helpers() -> dict[str, set[str]]:
    data = json.loads(reference_file("chocolatey-helpers.json").read_text(encoding="utf-8"))
    return {name: set(params) for name, params in data["helpers"].items()}


def test_the_product_table_is_chocolateys(chocolatey_helpers):
    assert {name: set(p) for name, p in HELPER_PARAMETERS.items()} == chocolatey_helpers


def helper_calls(text: str, helpers: dict[str, set[str]]) -> list[tuple[str, set[str]]]:
    """(helper, the parameters it gets directly and through splatted hashtables)."""
    script = Script(text)
    by_lower = {name.lower(): name for name in helpers}
    return [(by_lower[c.name.lower()], {p.lower() for p in script.arguments(c)})
            for c in script.commands() if c.name.lower() in by_lower]


@pytest.mark.parametrize("name", RECIPE_KINDS)
@pytest.mark.parametrize("delivery", [Delivery.WEB, Delivery.OFFLINE])
def test_every_helper_call_uses_parameters_the_helper_has(name, delivery, tmp_path,
                                                           chocolatey_helpers):
    if delivery is Delivery.WEB:
        plan = plan_from(recipe_data(name), f"{name.split('@')[0]}.toml")
        dest = tmp_path / "web"
        chocolatey.render(plan, web_payload(plan), dest)
    else:
        plan, payload = dummy_offline(recipe_data(name), tmp_path)
        dest = tmp_path / "offline"
        chocolatey.render(plan, payload, dest)
    seen = set()
    for script in (chocolatey.INSTALL_SCRIPT, chocolatey.UNINSTALL_SCRIPT):
        for helper, params in helper_calls(read_script(dest, script), chocolatey_helpers):
            assert params <= chocolatey_helpers[helper] | COMMON_PARAMETERS, (helper, params)
            seen.add(helper)
    # the calls that matter were seen (a parser that finds nothing proves nothing)
    if plan.zip_runtime:  # a runtime package: fetched (web) or embedded, then unzipped
        want = {"Get-ChocolateyUnzip", "Get-PackageParameters"} | (
            set() if delivery.embeds else {"Get-ChocolateyWebFile"})
    else:
        want = {"Install-ChocolateyInstallPackage" if delivery.embeds or "2013" in name
                else "Install-ChocolateyPackage", "Get-PackageParameters",
                "Uninstall-ChocolateyPackage"}
    assert want <= seen
    assert not any(problem for s in (chocolatey.INSTALL_SCRIPT, chocolatey.UNINSTALL_SCRIPT)
                   for problem in unknown_parameters(Script(read_script(dest, s))))


def test_check_reports_an_unknown_helper_parameter(tmp_path):
    plan = plan_from(exe_recipe_data(), "openstack-clients.toml")
    dest = tmp_path / "pkg"
    chocolatey.render(plan, web_payload(plan), dest)
    script = dest / "tools" / chocolatey.INSTALL_SCRIPT
    text = script.read_bytes().decode("utf-8-sig")
    script.write_bytes(b"\xef\xbb\xbf" + text.replace(
        "  silentArgs = ", "  silentArguments = ", 1).encode("utf-8"))
    findings = [f for f in check_folder(dest) if f.rule_id == "CHP0001"]
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "Install-ChocolateyPackage has no parameter -silentarguments" in findings[0].message
    assert findings[0].location.startswith("tools/chocolateyInstall.ps1:")
