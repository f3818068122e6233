"""What a smoke test expects of an installer: the recipe's folders, PATH entries, check
command and registry key, for the scope it is installed in, as a given Wine prefix names them."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.exit_status import exit_words
from .paths import split_check_output
from .report import Phase


@dataclass
class Expectation:
    """What the recipe says the installer does, with its folders as this prefix has them."""

    package_id: str
    version: str
    scope: str  # user | machine
    install_dir: str
    path: dict[str, list[str]]  # PATH scope -> the entries the install must prepend
    check_command: str
    given_dir: bool = False  # /D= passes install_dir
    given_scope: bool = False  # /AllUsers or /CurrentUser passes scope
    installer: str = "pip"  # what installs the lock (uv needs a newer Wine's DLL: see .prng)
    check_expect: str = ""  # [check] expect: text the check's output must contain

    @classmethod
    def from_recipe(cls, recipe_arg: str | None, install_dir: str | None = None,
                    scope: str | None = None,
                    folders: dict[str, str] | None = None) -> "Expectation":
        """``folders``: the prefix's %ProgramFiles% ("program_files"), %ProgramFiles(x86)%
        ("program_files_x86": an x86 setup.exe's $PROGRAMFILES) and %LOCALAPPDATA%\\Programs
        ("user_programs"), for the default install folder."""
        from ..plan import INSTALL_DIR, PROGRAM_FILES, RUNTIME_DIR, USER_PROGRAMS, layout_of
        from ..recipe import load_recipe, resolve_recipe_arg

        recipe = load_recipe(resolve_recipe_arg(recipe_arg))
        layout = layout_of(recipe)
        chosen = scope or recipe.scope
        folders = folders or {"program_files": "C:\\Program Files",
                              "program_files_x86": "C:\\Program Files (x86)",
                              "user_programs": "C:\\users\\Public\\AppData\\Local\\Programs"}
        program_files = "program_files_x86" if recipe.python.arch == "x86" else "program_files"
        values = {PROGRAM_FILES: folders[program_files],
                  USER_PROGRAMS: folders["user_programs"]}
        folder = install_dir or "".join(values.get(p, p) if not isinstance(p, str) else p
                                        for p in layout.install_dir[chosen])
        values[INSTALL_DIR] = folder
        runtime = "".join(values.get(p, p) if not isinstance(p, str) else p
                          for p in layout.runtime_dir[chosen])
        values[RUNTIME_DIR] = runtime
        path: dict[str, list[str]] = {}
        if recipe.install.commands != ():
            path.setdefault(chosen, []).append(folder + "\\bin")
        path_scope = chosen if recipe.path.scope == "install" else recipe.path.scope
        for entry in recipe.path.prepend:
            text = entry.replace("{install_dir}", folder).replace("{runtime_dir}", runtime)
            path.setdefault(path_scope, []).append(text)
        return cls(recipe.package.id, recipe.package.version, chosen, folder, path,
                   recipe.check.command, given_dir=install_dir is not None,
                   given_scope=scope is not None, installer=recipe.installer,
                   check_expect=recipe.check.expect)

    def judge_check(self, phase: Phase, code: int, timed_out: bool, output: str) -> None:
        """The check command's verdict: exit 0 and, with [check] expect, its text in the
        output. The phase keeps the output, which the report shows when a check failed."""
        output, whole = split_check_output(output)
        phase.output = output
        tail = output.strip().splitlines()[-1:] or [""]
        shown = whole if whole is not None and code != 0 else code
        words = exit_words(shown)
        phase.check(f"'{self.check_command}' exits 0 through the new PATH",
                    code == 0 and not timed_out,
                    "timed out" if timed_out else
                    f"exit {shown}" + (f" ({words})" if words else "") + f": {tail[0]}")
        if self.check_expect:
            found = self.check_expect in output
            phase.check(f"its output contains {self.check_expect!r}", found,
                        "" if found else "not found in the output below")

    @property
    def reg_key(self) -> str:
        root = "HKLM" if self.scope == "machine" else "HKCU"
        return f"{root}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\" \
            f"{self.package_id}"
