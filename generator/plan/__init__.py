"""The install plan: the contract between a recipe and the back ends.

recipe + lock -> :func:`build_plan` -> :class:`InstallPlan`: ordered steps, each carrying its
install action, its undo action, what it owns and its state key (``steps.py``, ``actions.py``,
``undo.py``, ``policy.py``). Values known only at install time are markers (``values.py``). The Chocolatey
and NSIS back ends translate the same steps, in the same order, with one macro per action.
"""

from .actions import *  # noqa: F401,F403
from .undo import *  # noqa: F401,F403
from .delivery import Delivery
from .commands import (BIN_PATH_RECORD, DISTS_FILE, LAUNCHER_SCRIPT, PATH_RECORD, PATH_SCRIPT,
                       RECORD_SCRIPT)
from .layout import BIN_FOLDER, ENV_FOLDER, SITE_PACKAGES, Layout, layout_of
from .make import (LOCK_FILE, build_plan, default_runtime_args, python_display_name,
                   state_dir_name)
from .policy import DEFAULT_VALID_EXIT_CODES, REBOOT_CODES, ExitPolicy, Ownership
from .steps import (ENGINE_FILES, ENGINE_KINDS, ENGINE_SCRIPT, ENGINE_STATE_FILE, STEPS_FILE,
                    ArpEntry, InstallPlan, Machine, Step)
from .engine import earlier_state, engine_command, engine_description, engine_json, placeholder
from .values import (ALL_USERS, EXPOSE, FILE, PREINSTALLED, INSTALL_DIR, LOCK, PRODUCT_CODE,
                     PROGRAM_FILES, RUNTIME_DIR, SCOPE, SCRIPTS, STATE_DIR, TEMP_DIR,
                     USER_PROGRAMS, WHEELS, Command, Marker, Part, Templated, command_line, join,
                     literal, templated, under)
