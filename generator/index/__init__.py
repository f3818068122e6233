"""Clients of the indexes choconsis reads: package indexes (PEP 503 simple pages and the
PEP 691 JSON API, ``simple.py``), python.org's release folders of EXE and MSI installers
(``pythonorg.py``) and its install-manager index of runtime packages (``pymanager.py``). Below the lock, which resolves against them, and used by ``new`` and
``update`` to look releases up."""
