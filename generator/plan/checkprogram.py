"""Does the install provide the program the check command runs?

The check runs through ``cmd.exe /d /c`` with the install's PATH: the app's commands folder
(setup.exe's bin; the Chocolatey shims), the recipe's [path] entries, then the machine's
PATH. So its program (the first word of ``[check] command``) must be one of:

- the app's commands (the plan's, read from the lock: entry points, programs, scripts and
  batch files of the wheels);
- a program in a folder the recipe puts on PATH: ``python``/``pythonw`` where that folder is
  the runtime's own (``{runtime_dir}``, or ``{install_dir}`` when the runtime is the install
  folder); any program at all where it is another folder, whose files choconsis cannot list
  at build time (an environment's Scripts folder also holds the files of wheels'
  ``.data/scripts``, an extra installer's folder whatever it installs);
- what every Windows has: cmd.exe's built-in commands and programs of System32.

Anything else would fail only at install time ("is not recognized", exit 9009) or, worse,
run a program of the same name that happens to be on the machine (``python`` on a clean
Windows is the Microsoft Store's alias): it is refused when the recipe is planned.
"""

from __future__ import annotations

from ..errors import RecipeError
from ..recipe import Recipe
from .values import INSTALL_DIR, RUNTIME_DIR, templated

# cmd.exe's internal commands (no file of their own).
CMD_BUILTINS = frozenset("""
assoc break call cd chdir cls color copy date del dir echo endlocal erase exit for ftype goto
if md mkdir mklink move path pause popd prompt pushd rd rem ren rename rmdir set setlocal shift
start time title type ver verify vol
""".split())

# Programs of %SystemRoot%\System32 on every supported Windows (10 and later).
SYSTEM_PROGRAMS = frozenset("""
attrib certutil chcp choice cipher clip cmd comp cscript curl find findstr fc hostname icacls
ipconfig more msiexec net netsh ping powershell reg regsvr32 robocopy rundll32 sc setx sort
systeminfo tar tasklist timeout tree where whoami wscript xcopy
""".split())

RUNTIME_PROGRAMS = frozenset({"python", "pythonw"})  # a python.org runtime's folder
_EXTENSIONS = (".exe", ".cmd", ".bat", ".com")


def check_program(command: str) -> str:
    """The program a check command runs, as cmd.exe looks it up: its first word, in lower
    case, without a program extension."""
    name = command.split(" ", 1)[0].lower()
    for ext in _EXTENSIONS:
        if name.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return name


def path_programs(recipe: Recipe) -> frozenset[str] | None:
    """What the recipe's [path] folders are known to hold; None when one of them may hold
    anything (a folder whose files choconsis cannot list at build time)."""
    runtime = {(RUNTIME_DIR,)} | ({(INSTALL_DIR,)} if recipe.environment == "runtime" else set())
    known: set[str] = set()
    for entry in recipe.path.prepend:
        value = templated(entry.rstrip("\\"))
        if value not in runtime:
            return None
        known |= RUNTIME_PROGRAMS
    return frozenset(known)


def check_provided(recipe: Recipe, commands: tuple[str, ...], *, partial: bool = False) -> None:
    """Refuse a check command whose program the install does not provide (see the module
    docstring). ``partial``: the lock's console scripts are not all known (wheels not at
    hand), so a command may be missing from ``commands``: nothing to refuse on."""
    program = check_program(recipe.check.command)
    if program in CMD_BUILTINS or program in SYSTEM_PROGRAMS:
        return
    if program in {check_program(c) for c in commands}:  # a batch file by its name too
        return
    on_path = path_programs(recipe)
    if on_path is None or program in on_path or partial:
        return
    offered = ", ".join(commands) or "none"
    python = (" (python is on PATH only when the recipe puts the runtime's folder there: "
              "[path] prepend = ['{runtime_dir}'])" if program in RUNTIME_PROGRAMS else "")
    raise RecipeError(recipe.source, "check.command",
                      f"{recipe.check.command!r} runs {program!r}, which this install does not "
                      f"provide{python}: the app's commands are {offered}; check with one of "
                      "them, add it to [install] commands, or put its folder on PATH "
                      "([path] prepend); a lock made before choconsis read every kind of "
                      "command (native programs and scripts of a wheel's .data/scripts) "
                      f"lists console scripts only: run 'choconsis lock {recipe.source}'")
