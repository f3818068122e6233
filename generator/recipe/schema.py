"""The recipe schema: the single source for validation and for the reference docs.

:data:`SCHEMA` lists every section and field with its check, default and meaning;
:func:`schema_markdown` renders it as the reference page in the README (``choconsis schema``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .release import OUTPUT_NAMES, as_outputs, as_package_identifier, as_url_template
from .fields import DEFAULT_INDEX_URL, DEFAULT_VALID_EXIT_CODES, as_bool, as_check_command, as_choice, as_command_list, as_command_names, as_download_url, as_exit_codes, as_expect, as_install_dir, as_line, as_nonempty_line, as_optional_url, as_package_id, as_package_version, as_paragraph, as_project_name, as_python_version, as_requirements, as_runtime_name, as_sha256, as_string_list, as_tags, as_url



@dataclass(frozen=True)
class Field:
    name: str
    check: Callable[[Any], Any]
    doc: str
    required: bool = True
    default: Any = None
    type_doc: str = "string"


@dataclass(frozen=True)
class Section:
    name: str
    doc: str
    fields: tuple[Field, ...]
    array: bool = False  # [[name]]: a list of tables
    required: bool = True


SCHEMA: tuple[Section, ...] = (
    Section("package", "Package metadata (Chocolatey nuspec, Add/Remove Programs entry).", (
        Field("id", as_package_id, "Chocolatey package id, lowercase (e.g. openstack-clients)."),
        Field("version", as_package_version, "Package version (Chocolatey rules; a repackaging "
              "of the same upstream version uses the date fix notation 1.2.3.YYYYMMDD)."),
        Field("title", as_nonempty_line, "Human title."),
        Field("authors", as_nonempty_line, "Authors of the software being packaged."),
        Field("owners", as_line, "Maintainers of the package (the nuspec's owners); "
              "default: the authors.", False, ""),
        Field("summary", as_nonempty_line, "One-line summary."),
        Field("description", as_paragraph, "Long description (Markdown; may span lines).",
              type_doc="string (multi-line)"),
        Field("project_url", as_url, "Home page of the software.", type_doc="https URL"),
        Field("license_url", as_url, "License of the software.", type_doc="https URL"),
        Field("project_source_url", as_optional_url, "Source code of the software.", False, "",
              type_doc="https URL"),
        Field("package_source_url", as_optional_url, "Where this recipe lives.", False, "",
              type_doc="https URL"),
        Field("docs_url", as_optional_url, "Documentation.", False, "", type_doc="https URL"),
        Field("bug_tracker_url", as_optional_url, "Bug tracker.", False, "",
              type_doc="https URL"),
        Field("mailing_list_url", as_optional_url, "Mailing list or forum.", False, "",
              type_doc="https URL"),
        Field("tags", as_tags, "Tags (no spaces in a tag).", False, (), type_doc="list of strings"),
        Field("release_notes", as_paragraph, "What changed in this package version.", False, "",
              type_doc="string (multi-line)"),
        Field("copyright", as_line, "Copyright line.", False, ""),
        Field("icon_url", as_optional_url, "Package icon.", False, "", type_doc="https URL"),
    )),
    Section("python", "The Python runtime installed first.", (
        Field("version", as_python_version, "Full version of the runtime, e.g. 3.14.7."),
        Field("arch", as_choice("amd64", "x86"), "Architecture of runtime and installer.",
              type_doc='"amd64" | "x86"'),
        Field("installer", as_choice("exe", "msi", "zip", "package"),
              "Kind of runtime installer: python.org EXE, MSI, a zip archive with "
              "python.exe at its root, unpacked into the runtime folder, or package: a runtime "
              "package of python.org's install-manager index (a zip with python.exe at its "
              "root), unpacked into the app's own private runtime folder, never registered, "
              "never shared, removed with the app. A zip is embedded in setup.exe in every "
              "mode; a package is fetched at install time in web mode (sha256-checked, "
              "unpacked with Windows' tar.exe or Chocolatey's unzip) and embedded with "
              "--offline.",
              type_doc='"exe" | "msi" | "zip" | "package"'),
        Field("url", as_download_url, "Where the runtime installer is downloaded from.",
              type_doc="https URL"),
        Field("sha256", as_sha256, "sha256 of the file at url.", type_doc="hex string"),
        Field("install_dir", as_install_dir, "The runtime's folder for a machine install "
              "(a per-user one goes where python.org's installer puts it: "
              "%LOCALAPPDATA%\\Programs\\Python\\PythonXY). With environment = \"runtime\" it is "
              "also the install folder (overridable at install time: NSIS /D=, Chocolatey "
              "/InstallDir:). Required for exe and msi runtimes; a zip or package runtime is "
              "the app's own and lives in its install folder (default %ProgramFiles%\\<id> for "
              "a machine install).", False, "", type_doc="Windows path"),
        Field("index_id", as_runtime_name, "installer = \"package\" only: the id of the index "
              "entry the package came from (e.g. pythoncore-3.14-64), for the record.", False,
              "", type_doc="string"),
        Field("index_tag", as_runtime_name, "installer = \"package\" only: the install-manager tag "
              "`choconsis update --python` follows (e.g. 3.14-64: the newest 3.14 for amd64). "
              "Default: X.Y-64 or X.Y-32 of version and arch.", False, "", type_doc="string"),
        Field("args", as_command_list, "Replaces the default silent switches of the "
              "runtime installer (may use {runtime_dir}, the runtime's folder; {install_dir} "
              "only with environment = \"runtime\", where the two are one: elsewhere it is the "
              "app's own folder, and the recipe is refused).", False, None,
              type_doc="list of strings"),
    )),
    Section("installer", "Extra installers run after Python, in order.", (
        Field("name", as_nonempty_line, "Name shown in logs and errors."),
        Field("kind", as_choice("msi", "exe"), "msi (run with msiexec /i ... /qn /norestart) "
              "or exe.", type_doc='"msi" | "exe"'),
        Field("url", as_download_url, "Where the installer is downloaded from.",
              type_doc="https URL"),
        Field("sha256", as_sha256, "sha256 of the file at url.", type_doc="hex string"),
        Field("args", as_command_list, "Arguments: MSI properties (msi) or silent "
              "switches (exe); may use {install_dir}.", False, (), type_doc="list of strings"),
        Field("valid_exit_codes", as_exit_codes, "Exit codes that mean success (3010 and 1641 "
              "mean success with a reboot required).", False, DEFAULT_VALID_EXIT_CODES,
              type_doc="list of integers"),
    ), array=True, required=False),
    Section("install", "How the app is installed (setup.exe; the Chocolatey package always "
            "installs for the machine).", (
        Field("scope", as_choice("user", "machine"), "setup.exe's default: per user (no admin "
              "rights; files under %LOCALAPPDATA%\\Programs\\<id>, registry under HKCU) or for "
              "the machine (%ProgramFiles%\\<id>, HKLM). /CurrentUser and /AllUsers override it "
              "at install time, and the interactive installer offers the choice. Default: user, "
              "or machine when an MSI is installed (msiexec installs per machine).", False, None,
              type_doc='"user" | "machine"'),
        Field("environment", as_choice("venv", "runtime"), "venv: the app gets its own virtual "
              "environment in its install folder and the runtime's site-packages is never "
              "touched; runtime: packages go into the runtime itself, which is then the install "
              "folder (as the 2013 guide did). Default: venv on Python 3 (a private zip or package "
              "runtime too: measured no slower, see benchmarks/private_runtime.py), runtime on "
              "Python 2.",
              False, None, type_doc='"venv" | "runtime"'),
        Field("commands", as_command_names, "The commands put on PATH (setup.exe: a folder "
              "holding only these; Chocolatey: shims): console and GUI entry points, and the "
              "native programs, Python scripts and batch files (named with their .cmd or "
              ".bat) of the wheels' .data/scripts. Default: all of those of the [pip] "
              "requirements, read from the locked wheels, but a batch file beside a command "
              "of its name (awscli's aws.cmd).", False, None, type_doc="list of names"),
    ), required=False),
    Section("path", "More folders on PATH, after the installers.", (
        Field("prepend", as_command_list, "Folders put at the front of PATH "
              "(may use {install_dir} and {runtime_dir}).", type_doc="list of strings"),
        Field("scope", as_choice("install", "machine", "user"), "Which PATH: the install's "
              "(the user's for a per-user install, the machine's for a machine install), or "
              "always the machine's or the user's.", False, "install",
              type_doc='"install" | "machine" | "user"'),
    ), required=False),
    Section("pip", "Python packages, installed at install time from the recipe's lock "
            "(--require-hashes, no resolution on the target).", (
        Field("requirements", as_requirements, "Pinned requirements name==version.",
              type_doc="list of strings"),
        Field("index_url", as_url, "Package index (as pip's --index-url).", False,
              DEFAULT_INDEX_URL, type_doc="https URL"),
        Field("provided", as_string_list(as_project_name), "Distributions an extra installer "
              "already provides (e.g. pyOpenSSL from its MSI): left out of the lock together "
              "with what only they need, so pip neither replaces nor shadows them.", False, (),
              type_doc="list of names"),
        Field("installer", as_choice("uv", "pip"), "What installs the lock at install time: "
              "uv (uv.exe from the uv wheel that the lock pins by version and sha256, like any "
              "other wheel; used only during the install) or the runtime's own pip. Default: "
              "uv on Python 3, pip on Python 2 (uv installs into Python 3.8 and later).", False,
              None, type_doc='"uv" | "pip"'),
    )),
    Section("check", "What proves an install works.", (
        Field("command", as_check_command, "Command run after install through the new PATH, "
              "e.g. 'openstack --version'."),
        Field("at_install", as_bool, "Run the command as the install's last step (its first "
              "run also compiles the bytecode of what it imports). setup.exe /NoCheck and the "
              "Chocolatey package parameter /NoCheck skip it for one install; false leaves it "
              "out of both installers (`choconsis smoke` still runs it).", False, True,
              type_doc="boolean"),
        Field("expect", as_expect, "Text the check's output (stdout and stderr together) must "
              "contain, case-sensitive, e.g. the app's version: a check that exits 0 but does "
              "not print it fails, and its output is shown. `choconsis new` sets it to the "
              "project's version. Default: the exit code alone decides.", False, "",
              type_doc="string"),
    )),
    Section("release", "Where the built files are published, and what `build` writes.", (
        Field("url", as_url_template, "URL template of the published files, with {file} "
              "(and {id}, {version}), e.g. https://example.org/dl/{id}/{version}/{file}: "
              "winget and Scoop manifests hold absolute https URLs.", False, "",
              type_doc="https URL template"),
        Field("publisher", as_nonempty_line, "Who publishes the package (winget's "
              "Publisher). Default: the package's authors.", False, ""),
        Field("package_identifier", as_package_identifier, "winget's PackageIdentifier "
              "(Publisher.Package). Default: the publisher's letters and digits, a dot, "
              "the package id.", False, ""),
        Field("outputs", as_outputs, "What `build` writes, from " + ", ".join(
              f"`{n}`" for n in OUTPUT_NAMES) + ". Default: nupkg and setup; with a url also "
              "winget, and portable and scoop when the runtime is a zip or a package (an "
              "EXE or MSI runtime is laid out by its installer on the target, so it cannot "
              "be made portable). `msi` (never by default) needs a zip or package runtime and a "
              "build with --offline --preinstall.", False, None, type_doc="list of names"),
        Field("license", as_nonempty_line, "The license's SPDX expression or name (winget's "
              "License, Scoop's license); needed by the winget and scoop outputs.", False, ""),
        Field("release_notes_url", as_optional_url, "Release notes of this version "
              "(winget's ReleaseNotesUrl).", False, "", type_doc="https URL"),
    ), required=False),
)



def schema_markdown() -> str:
    """The recipe reference, generated from :data:`SCHEMA` (kept in the README)."""
    lines = []
    for section in SCHEMA:
        head = f"[[{section.name}]]" if section.array else f"[{section.name}]"
        opt = "" if section.required else " (optional)"
        lines += [f"### `{head}`{opt}", "", section.doc, "",
                  "| field | type | required | default | meaning |", "|---|---|---|---|---|"]
        for f in section.fields:
            shown = str(f.default).lower() if isinstance(f.default, bool) else repr(f.default)
            default = "" if f.required else f"`{shown}`" if f.default not in ("", None) else ""
            lines.append(f"| `{f.name}` | {f.type_doc} | {'yes' if f.required else 'no'} | "
                         f"{default} | {f.doc} |")
        lines.append("")
    return "\n".join(lines)

