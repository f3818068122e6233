"""[release] as a recipe and as manifests without a build: the default outputs, the fields
refused at load (named), the default recipe's winget manifests against the schemas, Scoop's
checkver, an app without commands, and hostile recipe values carried as data by PyYAML and
json.dumps."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from choconsis.errors import RecipeError
from choconsis.recipe import parse_recipe
from choconsis.recipe.release import OUTPUT_NAMES
from kit import reference_file
from kit.recipes import exe_recipe_data, recipe_data
from kit.release import release_data


def _schema(name: str) -> dict:
    return json.loads(reference_file(name).read_text(encoding="utf-8"))


def _load(data: dict) -> None:
    parse_recipe(data, "r.toml")


def test_the_defaults_follow_url_and_the_runtime():
    zip_data = release_data("rt.zip", "a" * 64)
    # every channel but the MSI, which needs a build with --offline --preinstall
    assert parse_recipe(zip_data, "r.toml").outputs == tuple(
        n for n in OUTPUT_NAMES if n != "msi")
    del zip_data["release"]["url"]
    assert parse_recipe(zip_data, "r.toml").outputs == ("nupkg", "setup")
    exe = exe_recipe_data()
    exe["release"] = {"url": "https://example.org/{file}", "license": "Apache-2.0"}
    recipe = parse_recipe(exe, "r.toml")
    assert recipe.outputs == ("nupkg", "setup", "winget")  # an EXE runtime is not portable
    assert recipe.release.package_identifier == "OpenStackFoundation.openstack-clients"


@pytest.mark.parametrize("change, field, words", [
    ({"outputs": ["winget"], "url": None}, "release.outputs", "'winget' needs release.url"),
    ({"outputs": ["nupkg", "msi2"]}, "release.outputs", "expected one of"),
    ({"outputs": ["setup", "setup"]}, "release.outputs", "twice"),
    ({"url": "http://example.org/{file}"}, "release.url", "https://"),
    ({"url": "https://example.org/{id}/x.zip"}, "release.url", "{file}"),
    ({"url": "https://example.org/{name}/{file}"}, "release.url", "unknown placeholder"),
    ({"license": None}, "release.license", "winget output needs the license"),
    ({"package_identifier": "NoDot"}, "release.package_identifier", "PackageIdentifier"),
    ({"license": "MI"}, "release.license", "winget's License takes 3 to 512"),
])
def test_bad_release_fields_are_refused_with_the_field_named(change, field, words):
    data = release_data("rt.zip", "a" * 64)
    for key, value in change.items():
        if value is None:
            del data["release"][key]
        else:
            data["release"][key] = value
    with pytest.raises(RecipeError) as err:
        _load(data)
    assert field in str(err.value) and words in str(err.value)


@pytest.mark.parametrize("output", ["portable", "scoop"])
def test_a_runtime_that_cannot_be_portable_is_refused_at_load(output):
    exe = exe_recipe_data()
    exe["release"] = {"url": "https://example.org/{file}", "license": "Apache-2.0",
                      "outputs": ["nupkg", output] + (["portable"] if output == "scoop" else [])}
    with pytest.raises(RecipeError, match=r"release\.outputs.*needs a zip or package runtime"):
        _load(exe)


def test_the_default_recipe_s_winget_manifests_validate():
    """The shipped recipe with a [release]: setup.exe's entries (no zip: an EXE runtime),
    its descriptions and tags within winget's limits."""
    from choconsis.backends.winget.manifests import manifest_folder, winget_manifests
    from kit.plans import plan_from

    data = exe_recipe_data()
    data["release"] = {"url": "https://example.org/{id}/{version}/{file}",
                       "license": "Apache-2.0", "release_notes_url": "https://example.org/n"}
    plan = plan_from(data)
    texts = winget_manifests(plan, "openstack-clients-10.5.0-setup.exe", "ab" * 32, None)
    kinds = {"installer": "installer", "locale": "defaultLocale"}
    for name, text in texts.items():
        kind = next((v for k, v in kinds.items() if f".{k}." in name), "version")
        jsonschema.validate(yaml.safe_load(text),
                            _schema(f"winget-1.12.0/manifest.{kind}.1.12.0.json"))
    installer = yaml.safe_load(texts["OpenStackFoundation.openstack-clients.installer.yaml"])
    assert [e["Scope"] for e in installer["Installers"]] == ["user", "machine"]
    assert manifest_folder(plan) == ("manifests/o/OpenStackFoundation/openstack-clients/"
                                     + plan.package.version)


@pytest.mark.parametrize("index, expected", [
    ("https://pypi.org/simple", {"url": "https://pypi.org/pypi/hello-app/json",
                                 "jsonpath": "$.info.version"}),
    ("https://pkgs.example.org/simple/", {"url": "https://pkgs.example.org/simple/hello-app/",
                                          "regex": "(?i)hello_app-([\\d.]+)-",
                                          "reverse": True}),
])
def test_checkver_follows_the_app_on_its_index(index, expected):
    from choconsis.backends.portable.scoop import checkver

    assert checkver("Hello.App", index) == expected
    assert re.search(expected.get("regex", "x^"), "hello_app-2.10.1-py3-none-any.whl") or \
        "jsonpath" in expected


def test_without_commands_the_manifests_hold_no_empty_entries():
    from choconsis.backends.portable.scoop import scoop_manifest
    from choconsis.backends.winget.manifests import winget_manifests
    from kit.locks import fake_lock
    from choconsis.plan import build_plan

    data = release_data("rt.zip", "a" * 64)
    data["install"]["commands"] = []
    recipe = parse_recipe(data, "r.toml")
    plan = build_plan(recipe, fake_lock(recipe))
    manifest = scoop_manifest(plan, "hello-app", "c" * 64)
    assert "bin" not in manifest
    jsonschema.validate(manifest, _schema("scoop-schema.json"))
    texts = winget_manifests(plan, "setup.exe", "a" * 64, "b" * 64)
    installer = yaml.safe_load(texts["HelloOrg.hello-app.installer.yaml"])
    assert [e["InstallerType"] for e in installer["Installers"]] == ["nullsoft", "nullsoft"]
    assert "Commands" not in installer


@pytest.mark.parametrize("field", ["title", "summary", "description", "authors", "tags"])
def test_hostile_values_stay_data_in_the_manifests(field):
    """Quotes, YAML and JSON syntax, line breaks and non-ASCII text in a recipe value: the
    recipe refuses it, or PyYAML and json.dumps carry it so that it reads back unchanged."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from choconsis.backends.portable.scoop import dumps, scoop_manifest
    from choconsis.backends.winget.manifests import winget_manifests
    from choconsis.plan import build_plan
    from kit.locks import fake_lock

    pieces = ["'", '"', ": ", "- ", "#", "&a", "*a", "!!python/object", "{", "}", "[", "]",
              "\\", "\n", "%", "@", "`", "|", ">", "---", "...", "é", "中文", "\u2028",
              "null", "true", "0x1F", "1e3", "~"]
    values = st.lists(st.one_of(st.sampled_from(pieces), st.text(min_size=1, max_size=4)),
                      min_size=1, max_size=8).map("".join)

    @settings(max_examples=25, deadline=None)
    @given(values)
    def check(value):
        data = release_data("rt.zip", "a" * 64)
        text = value.replace(" ", "-") if field == "tags" else "Zq " + value
        data["package"][field] = [text] if field == "tags" else text
        try:
            recipe = parse_recipe(data, "r.toml")
        except RecipeError:
            return
        plan = build_plan(recipe, fake_lock(recipe))
        texts = winget_manifests(plan, "setup.exe", "a" * 64, None)
        locale = yaml.safe_load(texts["HelloOrg.hello-app.locale.en-US.yaml"])
        installer = yaml.safe_load(texts["HelloOrg.hello-app.installer.yaml"])
        scoop = json.loads(dumps(scoop_manifest(plan, "hello-app", "c" * 64)))
        pkg = plan.package
        assert locale["PackageName"] == pkg.title and locale["Author"] == pkg.authors
        assert locale["ShortDescription"] == pkg.summary == scoop["description"]
        assert locale["Description"] == pkg.description.strip()
        assert locale.get("Tags", []) == [t.lower()[:40] for t in pkg.tags]
        arp = installer["Installers"][0]["AppsAndFeaturesEntries"][0]
        assert (arp["DisplayName"], arp["Publisher"]) == (pkg.title, pkg.authors)

    check()
