"""choconsis: one recipe -> Chocolatey package and NSIS installer for a Python CLI on Windows."""

__version__ = "0.1.0"
