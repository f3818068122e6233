"""Jinja environments for the templates under nuspec/ and nsis/.

Delimiters are ``[[ expr ]]``, ``[% stmt %]`` and ``[# comment #]`` so that NSIS ``${...}`` and
PowerShell ``$(...)`` read as themselves. Undefined values fail the build (StrictUndefined).
Every ``[[ expr ]]`` passes through the target language's escaping function (``finalize``);
a template that needs already-rendered code (from a back end's Python) receives it wrapped in
:class:`Code`, which is the only way around the escaping.
"""

from __future__ import annotations

from typing import Any, Callable

import jinja2

from ..datafiles import template_dir


class Code(str):
    """Text that a back end has already rendered (and escaped) for the target language."""


def make_environment(package: str, escape: Callable[[str], str]) -> jinja2.Environment:
    def finalize(value: Any) -> str:
        if isinstance(value, Code):
            return str(value)
        if isinstance(value, bool) or value is None:
            raise TypeError(f"refusing to render {value!r} into a template; pass a string")
        if isinstance(value, int):
            return str(value)
        if not isinstance(value, str):
            raise TypeError(f"refusing to render {type(value).__name__} into a template")
        return escape(value)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir(package))),
        block_start_string="[%",
        block_end_string="%]",
        variable_start_string="[[",
        variable_end_string="]]",
        comment_start_string="[#",
        comment_end_string="#]",
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = Code
    return env
