"""Helper parameters: every parameter a script passes to a Chocolatey helper, by name or in a
splatted hashtable, must be one the helper accepts; any other fails on a real Chocolatey
("A parameter cannot be found that matches parameter name").

:data:`HELPER_PARAMETERS` is that fact: the parameter names and aliases each helper takes,
lower-case (PowerShell binds them case-insensitively), read from Chocolatey's own source
(chocolatey/choco @ 219b4e88: the param blocks of src/chocolatey.resources/helpers/functions
and the [Parameter] properties of src/Chocolatey.PowerShell/Commands). PowerShell also accepts
any unambiguous prefix of a parameter name; generated scripts never rely on that, and neither
does this rule.
"""

from __future__ import annotations

from .powershell import Script
from .rules import Package, Report

# PowerShell's common parameters, which every advanced function and cmdlet accepts.
COMMON_PARAMETERS = frozenset((
    "verbose", "debug", "erroraction", "warningaction", "informationaction", "errorvariable",
    "warningvariable", "informationvariable", "outvariable", "outbuffer", "pipelinevariable",
    "progressaction", "whatif", "confirm",
))

HELPER_PARAMETERS: dict[str, tuple[str, ...]] = {
    "Format-FileSize": ("ignoredarguments", "size"),
    "Get-ChecksumValid": ("checksum", "checksumtype", "file", "ignoredarguments", "originalurl"),
    "Get-ChocolateyConfigValue": ("configkey", "ignoredarguments"),
    "Get-ChocolateyPath": ("pathtype", "type"),
    "Get-ChocolateyUnzip": (
        "destination", "disablelogging", "file", "file64", "filefullpath", "filefullpath64",
        "ignoredarguments", "packagename", "specificfolder", "unziplocation",),
    "Get-ChocolateyWebFile": (
        "checksum", "checksum64", "checksumtype", "checksumtype64", "filefullpath",
        "forcedownload", "getoriginalfilename", "ignoredarguments", "options", "packagename",
        "url", "url64", "url64bit",),
    "Get-EnvironmentVariable": ("name", "preservevariables", "scope"),
    "Get-EnvironmentVariableNames": ("scope",),
    "Get-FtpFile": ("filename", "ignoredarguments", "password", "quiet", "url", "username"),
    "Get-OSArchitectureWidth": ("compare",),
    "Get-PackageParameters": ("ignoredarguments", "parameters", "params"),
    "Get-ToolsLocation": (),
    "Get-UACEnabled": (),
    "Get-UninstallRegistryKey": ("ignoredarguments", "softwarename"),
    "Get-VirusCheckValid": ("file", "ignoredarguments", "url"),
    "Get-WebFile": (
        "filename", "ignoredarguments", "options", "passthru", "quiet", "url", "useragent",),
    "Get-WebFileName": ("defaultname", "ignoredarguments", "url", "useragent"),
    "Get-WebHeaders": ("ignoredarguments", "url", "useragent"),
    "Install-BinFile": ("command", "ignoredarguments", "isgui", "name", "path", "usestart"),
    "Install-ChocolateyEnvironmentVariable": (
        "ignoredarguments", "variablename", "variabletype", "variablevalue",),
    "Install-ChocolateyExplorerMenuItem": (
        "command", "ignoredarguments", "menukey", "menulabel", "type",),
    "Install-ChocolateyFileAssociation": (
        "arguments", "executable", "extension", "ignoredarguments",),
    "Install-ChocolateyInstallPackage": (
        "file", "file64", "filefullpath", "filefullpath64", "filetype", "ignoredarguments",
        "installertype", "installtype", "packagename", "silentargs", "useonlypackagesilentargs",
        "useonlypackagesilentarguments", "validexitcodes",),
    "Install-ChocolateyPackage": (
        "beforeinstall", "checksum", "checksum64", "checksumtype", "checksumtype64", "file",
        "file64", "filefullpath", "filefullpath64", "filetype", "ignoredarguments",
        "installertype", "installtype", "options", "packagename", "silentargs", "url", "url64",
        "url64bit", "useonlypackagesilentargs", "useonlypackagesilentarguments",
        "useoriginallocation", "validexitcodes",),
    "Install-ChocolateyPath": ("path", "pathtoinstall", "pathtype", "scope", "type"),
    "Install-ChocolateyPinnedTaskBarItem": ("ignoredarguments", "targetfilepath"),
    "Install-ChocolateyPowershellCommand": (
        "checksum", "checksum64", "checksumtype", "checksumtype64", "file", "filefullpath",
        "ignoredarguments", "options", "packagename", "psfilefullpath", "url", "url64",
        "url64bit",),
    "Install-ChocolateyShortcut": (
        "arguments", "description", "iconlocation", "ignoredarguments", "pintotaskbar",
        "runasadmin", "shortcutfilepath", "targetpath", "windowstyle", "workingdirectory",),
    "Install-ChocolateyVsixPackage": (
        "checksum", "checksumtype", "file", "filefullpath", "ignoredarguments", "name", "options",
        "packagename", "url", "visualstudioversion", "vsixurl", "vsversion",),
    "Install-ChocolateyZipPackage": (
        "checksum", "checksum64", "checksumtype", "checksumtype64", "destination",
        "disablelogging", "file", "file64", "filefullpath", "filefullpath64", "ignoredarguments",
        "options", "packagename", "specificfolder", "unziplocation", "url", "url64", "url64bit",),
    "Install-Vsix": ("ignoredarguments", "installer", "installfile"),
    "Set-EnvironmentVariable": ("name", "scope", "value"),
    "Set-PowerShellExitCode": ("exitcode", "ignoredarguments"),
    "Start-ChocolateyProcessAsAdmin": (
        "elevated", "exetorun", "ignoredarguments", "minimized", "nosleep", "sensitivestatements",
        "statements", "validexitcodes", "workingdirectory",),
    "Test-ProcessAdminRights": (),
    "Uninstall-BinFile": ("ignoredarguments", "name", "path"),
    "Uninstall-ChocolateyEnvironmentVariable": (
        "ignoredarguments", "variablename", "variabletype",),
    "Uninstall-ChocolateyPackage": (
        "file", "filetype", "ignoredarguments", "installertype", "packagename", "silentargs",
        "validexitcodes",),
    "Uninstall-ChocolateyPath": ("path", "pathtouninstall", "pathtype", "scope", "type"),
    "Uninstall-ChocolateyZipPackage": ("ignoredarguments", "packagename", "zipfilename"),
    "Update-SessionEnvironment": (),
    "Write-FunctionCallLogMessage": ("ignoredarguments", "invocation", "parameters"),
}
_BY_LOWER = {name.lower(): name for name in HELPER_PARAMETERS}


def unknown_parameters(script: Script) -> list[tuple[str, int, str]]:
    """(helper, line, parameter) for every helper call passing a parameter the helper does not
    take, directly (-Name) or in a hashtable it splats (@packageArgs)."""
    found = []
    for cmd in script.commands():
        helper = _BY_LOWER.get(cmd.name.lower())
        if helper is None:
            continue
        accepted = set(HELPER_PARAMETERS[helper]) | COMMON_PARAMETERS
        for parameter in script.arguments(cmd):
            if parameter.lower() not in accepted:
                found.append((helper, cmd.line, parameter))
    return found


def helper_rules(pkg: Package, scripts: dict[str, Script], report: Report) -> None:
    for name, script in scripts.items():
        for helper, line, parameter in unknown_parameters(script):
            report.add("CHP0001", f"{helper} has no parameter -{parameter}", f"{name}:{line}")
