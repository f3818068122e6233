"""The rules ``choconsis check`` reports, by id, and the findings it reports them with.

Rules are the Chocolatey community moderation rules that can apply to a generated package
(their ``cpmr`` ids and titles; a Requirement is an error, a Guideline a warning, a Suggestion
or Note a note), plus choconsis' own.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_OF_KIND = {"Requirement": "error", "Guideline": "warning", "Suggestion": "note",
                    "Note": "note"}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # Requirement | Guideline | Suggestion | Note
    title: str

    @property
    def severity(self) -> str:
        return SEVERITY_OF_KIND[self.kind]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str  # error | warning | note
    message: str
    location: str


_R = Rule
RULES: dict[str, Rule] = {r.id: r for r in (
    # Chocolatey community moderation rules (package-validator), those a generated package
    # can break.
    _R("cpmr0001", "Requirement", "Copyright Character Count Below 4 (nuspec)"),
    _R("cpmr0002", "Requirement", "Description Missing (nuspec)"),
    _R("cpmr0003", "Requirement", "Install Script Named Incorrectly (package)"),
    _R("cpmr0004", "Requirement", "Do Not Package Internal Files (package)"),
    _R("cpmr0005", "Requirement", "LICENSE.txt file missing when binaries included (package)"),
    _R("cpmr0006", "Requirement",
       "VERIFICATION.txt file missing when binaries included (package)"),
    _R("cpmr0007", "Requirement", "License Url Missing / License Acceptance is True (nuspec)"),
    _R("cpmr0009", "Requirement", "ProjectUrl Missing (nuspec)"),
    _R("cpmr0010", "Requirement", "Script Contains Choco Commands (script)"),
    _R("cpmr0011", "Requirement", "Script Imports Chocolatey Module (script)"),
    _R("cpmr0012", "Requirement", "Script Uses Internal Variables (script)"),
    _R("cpmr0013", "Requirement", "Source Control Files Are Packaged (package)"),
    _R("cpmr0014", "Requirement", "Tags Have Commas (nuspec)"),
    _R("cpmr0015", "Requirement", "Uninstall Script Named Incorrectly (script)"),
    _R("cpmr0016", "Requirement", "Script Contains Usage of Installation Arguments (script)"),
    _R("cpmr0018", "Requirement", "Install Script Shouldn't Call Uninstall Script (script)"),
    _R("cpmr0019", "Requirement", "Nuspec Contains Templated Values (nuspec)"),
    _R("cpmr0020", "Requirement", "Nuspec Contains Email (nuspec)"),
    _R("cpmr0021", "Requirement", "Operating System Index Files are packaged (package)"),
    _R("cpmr0022", "Requirement", "Comments Are Not Cleaned Up (script)"),
    _R("cpmr0023", "Requirement", "Tags Missing (nuspec)"),
    _R("cpmr0024", "Requirement",
       "Prerelease information shouldn't be included as part of Package Id (nuspec)"),
    _R("cpmr0025", "Requirement", "Source Control Ignore Files Are Packaged (package)"),
    _R("cpmr0026", "Requirement", "Description Character Count Above 4000 (nuspec)"),
    _R("cpmr0027", "Requirement", "Checksum Should Be Used (script)"),
    _R("cpmr0028", "Requirement", "Scripts Do Not Download Software From FossHub (script)"),
    _R("cpmr0029", "Requirement", "Package Id Does Not End With .config (nuspec)"),
    _R("cpmr0030", "Requirement", "Description Contains Invalid Markdown Heading (nuspec)"),
    _R("cpmr0032", "Requirement", "Description Character Count Below 30 (nuspec)"),
    _R("cpmr0033", "Guideline", "IconUrl Missing (nuspec)"),
    _R("cpmr0034", "Guideline", "Use of SourceForge (script)"),
    _R("cpmr0035", "Guideline", "Use of Get-BinRoot (script)"),
    _R("cpmr0036", "Guideline", "Install-BinFile With No Remove-BinFile (script)"),
    _R("cpmr0038", "Guideline", "LicenseUrl Matches ProjectUrl (script)"),
    _R("cpmr0039", "Guideline", "LicenseUrl Missing (nuspec)"),
    _R("cpmr0040", "Guideline", "PackageSourceUrl Missing (nuspec)"),
    _R("cpmr0041", "Guideline", "ProjectSourceUrl Matches ProjectUrl (nuspec)"),
    _R("cpmr0042", "Guideline", "ReleaseNotes Missing (nuspec)"),
    _R("cpmr0044", "Guideline", "Script Contains Install-ChocolateyDesktopLink (script)"),
    _R("cpmr0045", "Guideline", "Script Contains Write-Chocolatey* Method (script)"),
    _R("cpmr0046", "Guideline", "Script Contains Start-Process (script)"),
    _R("cpmr0047", "Guideline", "Summary Missing (nuspec)"),
    _R("cpmr0048", "Guideline", "Tags Contain Chocolatey (nuspec)"),
    _R("cpmr0049", "Guideline", "Title Missing (nuspec)"),
    _R("cpmr0050", "Guideline", "Title Matches Id (nuspec)"),
    _R("cpmr0051", "Guideline", "More Than 3 Installation Scripts (script)"),
    _R("cpmr0052", "Guideline", "Dependency With No Version (nuspec)"),
    _R("cpmr0054", "Guideline", "Nuspec File Should Be UTF-8 (nuspec)"),
    _R("cpmr0055", "Guideline", "Script Uses Custom Downloaders (script)"),
    _R("cpmr0057", "Suggestion", "Nuspec Enhancements Missing (nuspec)"),
    _R("cpmr0058", "Suggestion", "Use PNG or SVG for package icons (nuspec)"),
    _R("cpmr0059", "Suggestion",
       "Don't Use Get-WmiObject For Finding Installed Packages (script)"),
    _R("cpmr0060", "Note", "Binaries Included (package)"),
    _R("cpmr0061", "Note", 'Id Contains "." (nuspec)'),
    _R("cpmr0062", "Note", "Chocolatey Dependency (nuspec)"),
    _R("cpmr0063", "Note", "Usage of WScript (script)"),
    _R("cpmr0064", "Note", "Usage of .CreateShortcut (script)"),
    _R("cpmr0065", "Note", "Usage of Rundll32 (script)"),
    _R("cpmr0066", "Note", "Usage of msiexec (script)"),
    _R("cpmr0067", "Note", "notSilent tag is being used (nuspec)"),
    _R("cpmr0068", "Note", "Author Does Not Match Maintainer (nuspec)"),
    _R("cpmr0069", "Note", "Package Id is too long, and doesn't contain dashes (nuspec)"),
    _R("cpmr0070", "Note", "Package Id uses underscores (nuspec)"),
    _R("cpmr0074", "Requirement", "Dependency On Hook Package (nuspec)"),
    _R("cpmr0075", "Requirement", "Script uses GitHub Comment assets (script)"),
    _R("cpmr0076", "Requirement", "Raw GitHub Icon URL Is Used (nuspec)"),
    # choconsis' own rules.
    _R("CPS0001", "Requirement", "PowerShell Syntax Error (script)"),
    _R("CHP0001", "Requirement", "Unknown Chocolatey Helper Parameter (script)"),
    _R("CNS0001", "Requirement", "Nuspec Structure Invalid (nuspec)"),
    _R("CNS0002", "Requirement", "Nuspec URL Is Not HTTPS (nuspec)"),
    _R("COPC0001", "Requirement", "Package Is Not A Valid OPC Package (package)"),
    _R("CDL0001", "Requirement", "Download URL Is Not HTTPS (script)"),
    _R("CDL0002", "Requirement", "Checksum Type Is Not SHA-256 Or Better (script)"),
    _R("CPE0001", "Requirement", "Not A Windows Executable (setup.exe)"),
    _R("CSG0001", "Requirement", "Installer Signature Invalid (setup.exe)"),
    _R("CSG0002", "Guideline", "Installer Not Signed (setup.exe)"),
    _R("CSG0003", "Guideline", "Installer Signer Not Trusted (setup.exe)"),
    _R("CWG0001", "Requirement", "InstallerSha256 Is Not The Built File's (winget)"),
    _R("CWG0002", "Requirement", "InstallerUrl Is Not HTTPS (winget)"),
    _R("CWG0003", "Requirement", "ProductCode Is Not What setup.exe Writes (winget)"),
    _R("CWG0004", "Requirement", "Installer Manifest Unreadable (winget)"),
    _R("CSC0001", "Requirement", "Hash Is Not The Built File's (scoop)"),
    _R("CSC0002", "Requirement", "URL Is Not HTTPS (scoop)"),
    _R("CSC0003", "Requirement", "Manifest Unreadable (scoop)"),
    _R("CMS0001", "Requirement", "MSI Database Unreadable (msi)"),
    _R("CMS0002", "Requirement", "ProductCode Missing (msi)"),
    _R("CMS0003", "Requirement", "UpgradeCode Missing (msi)"),
    _R("CMS0004", "Requirement", "Per-User MSI Writes HKLM Or Program Files (msi)"),
    _R("CMS0005", "Requirement", "PATH Change Not Undone At Uninstall (msi)"),
)}



@dataclass
class Package:
    """The package's own files (nuspec, tools/...) by '/'-separated relative path."""

    files: dict[str, bytes]
    origin: str

    def scripts(self) -> dict[str, str]:
        return {name: data.decode("utf-8", "replace") for name, data in sorted(self.files.items())
                if name.lower().endswith(".ps1")}

    def names_lower(self) -> dict[str, str]:
        return {name.lower(): name for name in self.files}


class Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, rule_id: str, message: str, location: str) -> None:
        rule = RULES[rule_id]
        self.findings.append(Finding(rule_id, rule.severity, message, location))
