"""winget's multi-file manifests (``winget``), schema 1.12.0."""
