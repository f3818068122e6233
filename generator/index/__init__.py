"""Clients of the indexes choconsis reads: package indexes (PEP 503 simple pages and the
PEP 691 JSON API, ``simple.py``) and python.org's install-manager index of runtimes
(``pythonorg.py``). Below the lock, which resolves against them, and used by ``new`` and
``update`` to look releases up."""
