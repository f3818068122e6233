"""Recipe loading: every field's check names the file, the field and what was expected."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import tomlkit

from choconsis.errors import RecipeError
from choconsis.recipe import (SCHEMA, builtin_recipe_path, load_recipe, parse_recipe,
                              resolve_recipe_arg, schema_markdown)
from kit import ROOT
from kit.recipes import exe_recipe_data, RECIPES, recipe_data, recipe_text

GOOD = exe_recipe_data()
GOOD_2013 = recipe_data("openstack-clients-2013")


def with_value(section: str, key: str, value, base=GOOD) -> dict:
    data = copy.deepcopy(base)
    if section == "installer":
        data["installer"][0][key] = value
    else:
        data.setdefault(section, {})[key] = value
    return data


def without(section: str, key: str | None = None, base=GOOD) -> dict:
    data = copy.deepcopy(base)
    if key is None:
        del data[section]
    elif section == "installer":
        del data["installer"][0][key]
    else:
        del data[section][key]
    return data


def refused(data: dict) -> RecipeError:
    with pytest.raises(RecipeError) as info:
        parse_recipe(data, "r.toml")
    return info.value


def test_shipped_recipes_load():
    for name in ("openstack-clients", "openstack-clients-2013"):
        recipe = load_recipe(RECIPES / f"{name}.toml")
        assert recipe.package.id == name
        lock = f"{name}.lock" if recipe.python.version.startswith("2.") else f"pylock.{name}.toml"
        assert recipe.lock_path == RECIPES / lock
    default = load_recipe(builtin_recipe_path())
    assert default.python.installer == "package" and default.python.arch == "amd64"
    assert default.python.private and not default.python.install_dir
    assert default.python.package_tag == "3.14-64"
    assert default.python.tag == "cp314" and default.python.platform == "win_amd64"
    old = load_recipe(RECIPES / "openstack-clients-2013.toml")
    assert (old.python.installer, old.python.arch, old.python.tag) == ("msi", "x86", "cp27")
    assert old.installers[0].name.startswith("pyOpenSSL")
    assert old.path.prepend == ("{install_dir}", "{install_dir}\\Scripts")


def test_every_required_field_is_named_when_missing():
    for section in SCHEMA:
        base = GOOD_2013 if section.array or section.name == "path" else GOOD
        for field in section.fields:
            if not field.required:
                continue
            err = refused(without(section.name, field.name, base))
            where = f"{section.name}[1].{field.name}" if section.array else \
                f"{section.name}.{field.name}"
            assert err.field == where, (where, str(err))
            assert "missing required field" in str(err)
            assert str(err).startswith("r.toml: ")


def test_missing_required_section():
    for name in ("package", "python", "pip", "check"):
        err = refused(without(name))
        assert err.field == f"[{name}]"


def test_optional_sections_may_be_absent():
    recipe = parse_recipe(without("path", base=GOOD_2013), "r.toml")
    assert recipe.path.prepend == ()
    recipe = parse_recipe(without("install"), "r.toml")
    assert (recipe.environment, recipe.scope, recipe.install.commands) == ("venv", "user", None)


def test_install_defaults_follow_the_runtime():
    old = parse_recipe(without("install", base=GOOD_2013), "r.toml")
    # Python 2 has no venv; an MSI installs for the machine
    assert (old.environment, old.scopes, old.scope) == ("runtime", ("machine",), "machine")
    machine_path = with_value("path", "prepend", ["{install_dir}"])
    machine_path["path"]["scope"] = "machine"
    assert refused(machine_path).field == "install.scope"  # the default recipe asks for user
    del machine_path["install"]["scope"]
    assert parse_recipe(machine_path, "r.toml").scopes == ("machine",)
    assert parse_recipe(with_value("path", "prepend", ["{runtime_dir}\\x"]), "r.toml").scopes \
        == ("user", "machine")


@pytest.mark.parametrize("base,key,value,field,expect", [
    ("2013", "scope", "user", "install.scope", "the runtime is an MSI"),
    ("2013", "environment", "venv", "install.environment", "needs Python 3"),
    ("default", "commands", ["open stack"], "install.commands", "command names"),
    ("default", "commands", ["openstack.exe"], "install.commands", "no .exe"),
    ("default", "commands", ["nova", "nova"], "install.commands", "twice"),
    ("default", "scope", "everyone", "install.scope", "'user', 'machine'"),
])
def test_wrong_install_values_are_refused_with_the_field(base, key, value, field, expect):
    err = refused(with_value("install", key, value, GOOD_2013 if base == "2013" else GOOD))
    assert err.field == field
    assert expect in str(err), str(err)


def test_a_venv_needs_a_runtime_whose_pip_can_fill_it():
    data = with_value("python", "version", "3.10.11")
    data["python"]["url"] = "https://www.python.org/ftp/python/3.10.11/python-3.10.11-amd64.exe"
    assert parse_recipe(data, "r.toml").installer == "uv"  # uv fills a venv of any Python 3.8+
    data["pip"]["installer"] = "pip"
    err = refused(data)
    assert err.field == "install.environment" and "Python 3.11 or later" in str(err)
    data["install"]["environment"] = "runtime"
    assert parse_recipe(data, "r.toml").environment == "runtime"
    del data["install"]
    assert refused(data).field == "python.version"  # the default environment is venv


@pytest.mark.parametrize("section,key,value,expect", [
    ("package", "id", "OpenStack", "lowercase Chocolatey package id"),
    ("package", "id", "a b", "lowercase"),
    ("package", "id", "-x", "lowercase"),
    ("package", "version", "10", "Chocolatey version"),
    ("package", "version", "1.2.3.4.5", "Chocolatey version"),
    ("package", "version", "v1.2", "Chocolatey version"),
    ("package", "title", 3, "expected a string, got an integer"),
    ("package", "title", "", "must not be empty"),
    ("package", "title", "two\nlines", "single line"),
    ("package", "summary", "bell\x07", "control character U+0007"),
    ("package", "authors", "x" * 2000, "at most 1023"),
    ("package", "description", "nul\x00", "U+0000"),
    ("package", "project_url", "http://example.org/", "https://"),
    ("package", "project_url", "ftp://example.org/", "https:// URL"),
    ("package", "license_url", "https://x/a b", "percent-encoded"),
    ("package", "docs_url", "javascript:alert(1)", "https:// URL"),
    ("package", "docs_url", "https://example.org/#a#b", "more than one '#'"),
    ("package", "tags", "a b", "list of strings"),
    ("package", "tags", ["two words"], "cannot contain spaces"),
    ("package", "icon_url", "http://10.0.0.1/i.png", "loopback"),
    ("python", "version", "3.14", "full Python version"),
    ("python", "arch", "arm64", "'amd64', 'x86'"),
    ("python", "installer", "appx", "'exe', 'msi', 'zip'"),
    ("python", "url", "https://example.org/", "file name"),
    ("python", "url", "http://example.org/python.exe", "https://"),
    ("python", "sha256", "abc", "64 hexadecimal"),
    ("python", "install_dir", "Python314", "absolute Windows folder"),
    ("python", "install_dir", "C:/Python314", "absolute Windows folder"),
    ("python", "install_dir", 'C:\\Py"thon', "absolute Windows folder"),
    ("python", "install_dir", "C:\\" + "a" * 148, "151 characters long; at most 150"),
    ("python", "install_dir", "C:\\a\\..\\b", "'..'"),
    ("python", "args", ["/quiet", "TargetDir={installdir}"], "unknown placeholder"),
    ("python", "args", "/quiet", "list of strings"),
    ("path", "prepend", ["{install_dir"], "unmatched brace"),
    ("path", "scope", "global", "'machine', 'user'"),
    ("pip", "requirements", ["python-openstackclient"], "pinned requirement"),
    ("pip", "requirements", ["python-openstackclient>=1"], "pinned requirement"),
    ("pip", "requirements", ["x==1.*"], "pinned requirement"),
    ("pip", "requirements", ["not a req!"], "not a valid requirement"),
    ("pip", "requirements", [], "at least one"),
    ("pip", "index_url", "http://pypi.org/simple", "https://"),
    ("check", "command", "openstack --version & del C:\\x", "shell syntax"),
    ("check", "command", 'openstack "--version"', "shell syntax"),
    ("check", "command", "openstack $(x)", "shell syntax"),
])
def test_wrong_values_are_refused_with_the_field(section, key, value, expect):
    err = refused(with_value(section, key, value, GOOD_2013 if section == "path" else GOOD))
    assert err.field == f"{section}.{key}"
    assert expect in str(err), str(err)


@pytest.mark.parametrize("key,value,expect", [
    ("kind", "zip", "'msi', 'exe'"),
    ("url", "https://example.org/x.exe", "needs a .msi file"),
    ("sha256", "z" * 64, "64 hexadecimal"),
    ("valid_exit_codes", [], "non-empty list"),
    ("valid_exit_codes", ["0"], "integer exit codes"),
    ("valid_exit_codes", [True], "integer exit codes"),
    ("args", ["{pwd}"], "unknown placeholder"),
])
def test_installer_fields(key, value, expect):
    err = refused(with_value("installer", key, value, GOOD_2013))
    assert err.field.startswith("installer[1].")
    assert expect in str(err), str(err)


def test_unknown_keys_and_sections_are_refused():
    err = refused(with_value("package", "colour", "blue"))
    assert err.field == "package.colour" and "unknown field" in str(err)
    data = copy.deepcopy(GOOD)
    data["extras"] = {}
    assert refused(data).field == "extras"


def test_cross_field_rules():
    err = refused(with_value("python", "url", "https://example.org/python.msi"))
    assert err.field == "python.url" and ".exe" in str(err)
    data = copy.deepcopy(GOOD_2013)
    data["installer"].append(dict(data["installer"][0]))
    assert "duplicate installer name" in str(refused(data))
    data["installer"][1]["name"] = "other"
    assert "collide" in str(refused(data))
    data = with_value("pip", "requirements", ["a==1", "A==2"])
    assert "listed twice" in str(refused(data))


def test_loopback_http_urls_are_allowed():
    data = with_value("python", "url", "http://127.0.0.1:8000/python-3.14.7-amd64.exe")
    data["pip"]["index_url"] = "http://localhost:9/simple"
    recipe = parse_recipe(data, "r.toml")
    assert recipe.python.url.startswith("http://127.0.0.1")


def test_values_that_escape_safely_are_kept_verbatim():
    hostile = "O'Brien \u2019s `$(calc)` $x; %PATH% \"q\" <b>&amp; ${NSISDIR} é ✓"
    recipe = parse_recipe(with_value("package", "title", hostile), "r.toml")
    assert recipe.package.title == hostile


def test_file_errors(tmp_path):
    with pytest.raises(RecipeError, match="no such recipe file"):
        load_recipe(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[package\nid = 1")
    with pytest.raises(RecipeError, match="not valid TOML") as info:
        load_recipe(bad)
    assert str(bad) in str(info.value)


def test_recipe_argument_resolution(tmp_path):
    assert resolve_recipe_arg(None) == builtin_recipe_path()
    assert resolve_recipe_arg("openstack-clients-2013").name == "openstack-clients-2013.toml"
    assert resolve_recipe_arg("x/y.toml") == Path("x/y.toml")
    with pytest.raises(RecipeError, match="no such built-in recipe"):
        resolve_recipe_arg("nope")


def test_schema_docs_cover_every_field():
    text = schema_markdown()
    for section in SCHEMA:
        for field in section.fields:
            assert f"| `{field.name}` |" in text
    assert "[[installer]]" in text


def test_readme_reference_matches_the_schema():
    text = (ROOT / "README.md").read_text()
    begin = text.index("-->", text.index("<!-- schema:begin")) + 4
    end = text.index("<!-- schema:end -->")
    assert text[begin:end] == schema_markdown(), "README recipe reference is stale: " \
        "paste the output of `choconsis schema` between the schema markers"


def test_python_org_file_names_must_match_version_and_arch():
    def url_error(**python) -> RecipeError:
        data = copy.deepcopy(GOOD)
        data["python"].update(python)
        return refused(data)

    err = url_error(version="3.14.6")
    assert err.field == "python.url" and "is Python 3.14.7 (python.org file naming)" in str(err)
    err = url_error(arch="x86")
    assert err.field == "python.url"
    assert "python-3.14.7-amd64.exe is the amd64 build" in str(err) and "'x86'" in str(err)
    err = url_error(version="3.14.8", url="https://www.python.org/ftp/python/3.14.8/"
                    "python-3.14.8rc1-amd64.exe")
    assert "is Python 3.14.8rc1" in str(err)
    # other file names carry no version we could trust: left alone
    ok = copy.deepcopy(GOOD)
    ok["python"].update(version="3.14.6", url="https://mirror.example/runtime-amd64.exe")
    assert parse_recipe(ok, "r.toml").python.version == "3.14.6"
    old = copy.deepcopy(GOOD_2013)  # python-2.7.18.msi is the x86 MSI
    assert parse_recipe(old, "r.toml").python.arch == "x86"


def test_recipe_text_encodings(tmp_path):
    from choconsis.recipe import decode_recipe, loads_recipe

    text = recipe_text("openstack-clients")
    assert loads_recipe("\ufeff" + text, "r.toml").package.id == "openstack-clients"
    assert decode_recipe(b"\xef\xbb\xbfa = 1\n", "r.toml") == "a = 1\n"
    with pytest.raises(RecipeError, match=r"r\.toml: byte 5 is not UTF-8: save the recipe as "
                                          r"UTF-8"):
        decode_recipe(b"a = \xe9\n", "r.toml")
    with pytest.raises(RecipeError, match="save the recipe as UTF-8"):
        decode_recipe("a = 1\n".encode("utf-16-le"), "r.toml")  # no BOM: the NULs tell
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(RecipeError, match="is a folder, not a recipe file"):
        load_recipe(folder)


def test_uv_installs_by_default_on_python_3_and_pip_on_python_2():
    assert parse_recipe(copy.deepcopy(GOOD), "r.toml").installer == "uv"
    data = with_value("pip", "installer", "pip")
    assert parse_recipe(data, "r.toml").installer == "pip"
    old = recipe_data("openstack-clients-2013")
    assert parse_recipe(old, "r.toml").installer == "pip"
    old["pip"]["installer"] = "uv"
    err = refused(old)
    assert err.field == "pip.installer" and "Python 3.8 or later" in str(err)
    assert refused(with_value("pip", "installer", "poetry")).field == "pip.installer"


def test_runtime_args_naming_install_dir_where_the_app_has_its_own_folder():
    """{install_dir} was the runtime's folder before apps had their own: a recipe of that
    time, now with a venv (the default on Python 3), is refused at load and told the new name;
    where the runtime is the install folder ("runtime") it still means the runtime's."""
    data = with_value("python", "args", ["/quiet", "TargetDir={install_dir}"])
    err = refused(data)
    assert err.field == "python.args[2]"
    assert "{runtime_dir}" in err.problem and "TargetDir={install_dir}" in err.problem
    data["python"]["args"] = ["/quiet", "TargetDir={runtime_dir}"]
    assert parse_recipe(data, "r.toml").python.args[1] == "TargetDir={runtime_dir}"
    old = copy.deepcopy(GOOD_2013)
    old["python"]["args"] = ["/qn", "TARGETDIR={install_dir}"]  # the form documented before
    assert parse_recipe(old, "r.toml").environment == "runtime"  # there it is the runtime's
    old["install"] = {"environment": "venv"}
    old["python"]["version"] = "3.12.10"
    old["python"]["url"] = "https://www.python.org/ftp/python/3.12.10/python-3.12.10.msi"
    old["python"]["arch"] = "x86"
    assert refused(old).field == "python.args[2]"


def test_runtime_args_error_exits_2(tmp_path, capsys):
    from choconsis.cli import main

    text = tomlkit.dumps(exe_recipe_data()).replace(
        "[python]\n", "[python]\nargs = ['/quiet', 'TargetDir={install_dir}']\n", 1)
    path = tmp_path / "old.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "python.args[2]" in err[0] and "{runtime_dir}" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_binary_file_is_not_a_text_file(tmp_path, capsys):
    """A program (or any binary) given as the recipe: said as such, exit 2, one line; the
    UTF-16 message stays for UTF-16 text (with or without its BOM)."""
    from choconsis.cli import main
    from choconsis.recipe import decode_recipe

    elf = tmp_path / "ls"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    png = tmp_path / "x.toml"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    for path in (elf, png, Path("/bin/ls")):
        if not path.is_file():
            continue
        assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].endswith(
            f"{path}: not a text file (it holds binary data): a recipe is a TOML text file "
            "in UTF-8"), err
    for wide in ("a = 1\n".encode("utf-16-le"), "a = 1\n".encode("utf-16-be"),
                 "a = 1\n".encode("utf-16")):
        with pytest.raises(RecipeError, match="UTF-16"):
            decode_recipe(wide, "r.toml")
