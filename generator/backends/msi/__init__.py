"""The MSI output (``msi``: ``<id>-<version>.msi``): WiX source rendered from the plan and
compiled by msitools' wixl, the private runtime and the preinstalled packages in its cabinet,
the Python-side steps run by the target engine from deferred custom actions."""
