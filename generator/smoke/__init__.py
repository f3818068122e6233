"""``choconsis smoke``: install, run, check and uninstall a setup.exe in a fresh Wine prefix.

:mod:`.run` holds the phases, :mod:`.expect` what the recipe leads them to expect,
:mod:`.report` the report, :mod:`.snapshot` the before/after state, :mod:`.paths` PATH and
uninstall-command logic, :mod:`.wine` the Wine prefix and its registry.
"""

from .paths import (check_path_after_install, check_script, describe_change, effective_path,
                    expected_path, norm_dir, path_entries, split_command, uninstall_args)
from .report import Check, Phase, SmokeReport
from .expect import Expectation
from .run import default_wine_cache, find_log, read_log, run_smoke
from .snapshot import (VOLATILE_FILES, Snapshot, diff_snapshots, is_volatile, list_files,
                       take_snapshot)
