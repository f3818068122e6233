"""The WiX template of the MSI output (shipped as choconsis._msi)."""
