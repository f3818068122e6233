"""The recipe: a TOML file checked against a typed schema (``schema.py``, the single source
for validation and docs) and loaded into frozen dataclasses (``model.py``)."""

from .fields import (CHOCO_VERSION_RE, COMMAND_ROOM, DEFAULT_INDEX_URL, DEFAULT_RECIPE,
                     DEFAULT_VALID_EXIT_CODES, LOOPBACK_HOSTS, PACKAGE_ID_RE, PLACEHOLDERS,
                     url_filename)
from .load import (builtin_recipe_path, decode_recipe, load_recipe, loads_recipe,
                   is_pylock_name, loads_recipe_at, lock_path_for, old_lock_path_for, parse_recipe,
                   read_recipe_text, resolve_recipe_arg)
from .model import (CheckConfig, ExtraInstaller, InstallConfig, PackageMeta, PathChange,
                    PipConfig, PythonRuntime, Recipe)
from .schema import SCHEMA, Field, Section, schema_markdown
