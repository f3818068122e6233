"""The Wine end-to-end tests' kit: real artifacts made once into the persistent test cache
(``kit.wine.artifacts``) and the pytest fixtures and recipe helpers built on them
(``kit.wine.fixtures``, registered by tests/conftest.py)."""
