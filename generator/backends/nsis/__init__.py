"""The NSIS back end: installer.nsi from the plan and the payload, then makensis.

Python computes every value (command lines, paths, exit-code policies, payload names) and
escapes it (:mod:`.values`); the step blocks come from the macros of ``nsis/steps.nsh.j2``, one
per action kind (:mod:`.steps`), laid out by ``nsis/installer.nsi.j2`` (:mod:`.script`);
:mod:`.folder` writes the self-contained folder and :mod:`.compile` runs makensis.

What setup.exe does, observably (the Wine tests and ``choconsis smoke`` rely on it):

- ``setup.exe /S [/D=FOLDER]`` installs silently; ``$INSTDIR`` defaults to the recipe's
  install_dir, or to the installed version's folder on upgrade/repair (InstallDirRegKey).
- everything choconsis keeps lives in ``$INSTDIR\\choconsis-<id>``: uninstall.exe,
  ``<id>-install.log``, requirements.lock, the helper scripts, path-record.txt, state.ini
  (what each step did, by its state key) and, for an EXE runtime, a copy of its installer
  (its quiet uninstall needs it). Logs are UTF-16LE with a BOM, one line per event:
  ``YYYY-MM-DD HH:MM:SS  step N (title): start (ACTION; owns: RULE) | exit code C | done``.
- exit code 0 on success, 3010 when a step asked for a reboot; on failure the failing
  program's exit code (1 when there is none: download refused, sha256 mismatch, program not
  startable). Every step started is undone, the Add/Remove Programs entry and choconsis' own
  files are removed, and the log is left at ``%TEMP%\\<id>-install.log``.
- the Add/Remove Programs entry ``HKLM\\...\\Uninstall\\<id>`` (64-bit view for amd64) is
  written only after every step succeeded; ``uninstall.exe /S`` runs the undo sides in
  ``plan.undo_order()``, logs to ``%TEMP%\\<id>-uninstall.log``, and exits 1 (keeping itself
  and the entry) when an undo failed. What was on the machine before the install is never
  removed.
"""

from .backend import NsisBackend
from .compile import compile_installer, find_makensis
from .folder import nsis_files, render, stage_payload
from .script import PREINSTALL_COMPRESSOR, render_script, welcome_text
from .steps import NsisSteps
from .values import NSIS_VARIABLES, nsis_value, vi_version
