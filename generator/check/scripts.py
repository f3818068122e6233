"""Script rules: PowerShell syntax (tree-sitter-powershell), downloads and their checksums,
and the moderation rules about commands, variables, strings and comments."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..recipe import LOOPBACK_HOSTS
from .helpers import helper_rules
from .package import base_name
from .powershell import Script, syntax_errors
from .rules import Package, Report


DOWNLOAD_COMMANDS = {"install-chocolateypackage", "install-chocolateyzippackage",
                     "get-chocolateywebfile", "install-chocolateypowershellcommand",
                     "install-chocolateyvsixpackage"}
# url parameter -> (checksum parameter, checksum type parameter); aliases as Chocolatey's.
_URL_CHECKSUMS = {"url": ("checksum", "checksumtype"),
                  "url64bit": ("checksum64", "checksumtype64"),
                  "url64": ("checksum64", "checksumtype64")}
_STRONG_CHECKSUMS = {"sha256", "sha512"}
_CHOCO_COMMANDS = {"choco", "choco.exe", "cinst", "cup", "cuninst", "clist", "cpush", "cpack"}
_CUSTOM_DOWNLOADERS = {"invoke-webrequest", "iwr", "wget", "curl", "curl.exe", "wget.exe",
                       "start-bitstransfer", "invoke-restmethod", "irm"}
_INTERNAL_VARIABLES = {"$env:chocolateyignorechecksums", "$env:chocolateyforce",
                       "$env:chocolateyinstalloverride", "$env:chocolateyforcex86",
                       "$env:chocolateyenvironmentdebug", "$env:chocolateyenvironmentverbose",
                       "$env:chocolateyallowemptychecksums",
                       "$env:chocolateyallowemptychecksumssecure"}
_TEMPLATE_COMMENT_MARKERS = ("before releasing this package", "remove all comments from this file",
                             "please remove any commented lines", "# todo")


def _is_plain_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


def _download_rules(name: str, script: Script, report: Report) -> None:
    for cmd in script.commands():
        if cmd.name.lower() not in DOWNLOAD_COMMANDS:
            continue
        args = script.arguments(cmd)
        where = f"{name}:{cmd.line}"
        for url_key, (sum_key, type_key) in _URL_CHECKSUMS.items():
            if url_key not in args:
                continue
            url = args[url_key]
            if url is not None and _is_plain_http(url):
                report.add("CDL0001", f"{cmd.name} downloads over plain http: {url}", where)
            if not args.get(sum_key) and sum_key not in args:
                report.add("cpmr0027", f"{cmd.name} downloads -{url_key} without "
                           f"-{sum_key}", where)
                continue
            kind = args.get(type_key)
            if type_key not in args or (kind is not None and kind.lower() not in
                                        _STRONG_CHECKSUMS):
                report.add("CDL0002", f"{cmd.name}: -{type_key} is "
                           f"{kind or 'not set (Chocolatey then assumes md5)'}", where)


def _command_rules(name: str, script: Script, all_commands: set[str],
                   report: Report) -> None:
    install = base_name(name.lower()) == "chocolateyinstall.ps1"
    for cmd in script.commands():
        low, where = cmd.name.lower(), f"{name}:{cmd.line}"
        if low in _CHOCO_COMMANDS:
            report.add("cpmr0010", f"runs {cmd.name}", where)
        if low == "import-module" and "chocolateyinstaller" in cmd.text.lower():
            report.add("cpmr0011", "imports the Chocolatey installer module", where)
        if install and "chocolateyuninstall.ps1" in cmd.text.lower():
            report.add("cpmr0018", "the install script runs the uninstall script", where)
        if low == "get-binroot":
            report.add("cpmr0035", "Get-BinRoot is deprecated", where)
        if low == "install-binfile" and "uninstall-binfile" not in all_commands \
                and "remove-binfile" not in all_commands:
            report.add("cpmr0036", "Install-BinFile without Uninstall-BinFile", where)
        if low == "install-chocolateydesktoplink":
            report.add("cpmr0044", "Install-ChocolateyDesktopLink is deprecated", where)
        if low in ("write-chocolateysuccess", "write-chocolateyfailure"):
            report.add("cpmr0045", f"{cmd.name} is deprecated", where)
        if low in ("start-process", "saps"):
            report.add("cpmr0046", "use Chocolatey's helpers instead of Start-Process", where)
        if low in _CUSTOM_DOWNLOADERS:
            report.add("cpmr0055", f"downloads with {cmd.name}", where)
        if low in ("get-wmiobject", "gwmi", "get-ciminstance") and \
                "win32_product" in cmd.text.lower():
            report.add("cpmr0059", "queries Win32_Product", where)
        if low in ("rundll32", "rundll32.exe"):
            report.add("cpmr0065", "runs rundll32", where)
        if low in ("msiexec", "msiexec.exe"):
            report.add("cpmr0066", "runs msiexec directly", where)


def _text_rules(name: str, script: Script, report: Report) -> None:
    text = script.text.lower()
    for var, line in script.variables():
        low = var.lower()
        if low == "$env:chocolateyinstallarguments":
            report.add("cpmr0016", f"uses {var}", f"{name}:{line}")
        elif low in _INTERNAL_VARIABLES:
            report.add("cpmr0012", f"uses {var}", f"{name}:{line}")
    for comment, line in script.comments():
        if any(marker in comment.lower() for marker in _TEMPLATE_COMMENT_MARKERS):
            report.add("cpmr0022", "comment left from the package template", f"{name}:{line}")
    for literal, line in script.strings():
        low = literal.lower()
        if "fosshub.com" in low:
            report.add("cpmr0028", "downloads from FossHub", f"{name}:{line}")
        if "sourceforge.net" in low:
            report.add("cpmr0034", "uses SourceForge", f"{name}:{line}")
        if "user-images.githubusercontent.com" in low or "github.com/user-attachments" in low:
            report.add("cpmr0075", "uses a GitHub comment asset", f"{name}:{line}")
    if "wscript." in text or "-comobject wscript" in text:
        report.add("cpmr0063", "uses WScript", name)
    if ".createshortcut(" in text:
        report.add("cpmr0064", "uses .CreateShortcut", name)


def script_rules(pkg: Package, report: Report) -> None:
    scripts = pkg.scripts()
    parsed = {name: Script(text) for name, text in scripts.items()}
    all_commands = {c.name.lower() for s in parsed.values() for c in s.commands()}
    for name, text in scripts.items():
        for problem in syntax_errors(text):
            report.add("CPS0001", problem.message, f"{name}:{problem.line}:{problem.column}")
        script = parsed[name]
        _download_rules(name, script, report)
        _command_rules(name, script, all_commands, report)
        _text_rules(name, script, report)
    helper_rules(pkg, parsed, report)
