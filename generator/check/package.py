"""Package rules: what files a package holds (binaries, VCS and OS files, install scripts)."""

from __future__ import annotations

import re

from .rules import Package, Report


# .whl: a wheel is a zip archive, often of compiled extension modules (an offline .nupkg
# embeds the locked wheels under tools/wheels/).
_BINARY_EXTS = (".exe", ".msi", ".msu", ".msp", ".dll", ".zip", ".7z", ".gz", ".tgz", ".cab",
                ".appx", ".msix", ".nupkg", ".whl")
_OS_INDEX_FILES = {"thumbs.db", ".ds_store", "desktop.ini", "ehthumbs.db"}
_VCS_DIRS = {".git", ".svn", ".hg", ".bzr", "cvs"}
_VCS_IGNORE = {".gitignore", ".gitattributes", ".hgignore", ".svnignore", ".bzrignore",
               ".gitmodules", ".cvsignore"}
_INTERNAL = re.compile(r"(^|/)(_rels/|package/services/|\[content_types\]\.xml$)|\.nupkg$")


def package_rules(pkg: Package, report: Report) -> None:
    lower = pkg.names_lower()
    for low, name in sorted(lower.items()):
        parts = low.split("/")
        if _INTERNAL.search(low):
            report.add("cpmr0004", "packaging internals or a package inside the package", name)
        if _VCS_DIRS.intersection(parts[:-1]):
            report.add("cpmr0013", "source control files", name)
        if parts[-1] in _VCS_IGNORE:
            report.add("cpmr0025", "source control ignore file", name)
        if parts[-1] in _OS_INDEX_FILES:
            report.add("cpmr0021", "operating system index file", name)
    binaries = [n for low, n in sorted(lower.items()) if low.endswith(_BINARY_EXTS)]
    if binaries:
        report.add("cpmr0060", "binaries: " + ", ".join(binaries), pkg.origin)
        names = {low.rsplit("/", 1)[-1] for low in lower}
        if "license.txt" not in names:
            report.add("cpmr0005", "binaries are included without LICENSE.txt", pkg.origin)
        if "verification.txt" not in names:
            report.add("cpmr0006", "binaries are included without VERIFICATION.txt", pkg.origin)
    scripts = [low for low in lower if low.endswith(".ps1")]
    if "tools/chocolateyinstall.ps1" not in lower:
        wrong = [lower[s] for s in scripts if "install" in base_name(s) and
                 "uninstall" not in base_name(s)]
        report.add("cpmr0003", "no tools/chocolateyInstall.ps1" +
                   (f" (found {', '.join(wrong)})" if wrong else ""), pkg.origin)
    wrong_uninstall = [lower[s] for s in scripts if "uninstall" in base_name(s) and
                       s != "tools/chocolateyuninstall.ps1"]
    if wrong_uninstall:
        report.add("cpmr0015", "uninstall script must be tools/chocolateyUninstall.ps1: "
                   + ", ".join(wrong_uninstall), pkg.origin)
    if len(scripts) > 3:
        report.add("cpmr0051", f"{len(scripts)} PowerShell scripts", pkg.origin)


def base_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
