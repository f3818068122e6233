"""The MSI's check step, run by the runtime's pythonw.exe from a deferred custom action.

    pythonw.exe -E -s -B msi_check.py LOG PATH_ENTRIES COMMAND_LINE EXPECT UNDO_ARGS...

Runs COMMAND_LINE (cmd.exe /d /c "the recipe's check", as setup.exe runs it) with
PATH_ENTRIES (";"-separated) in front of PATH, its output appended to LOG; exits with its exit
code, or 1 when EXPECT is not empty and the output does not hold it. A failed check first
runs this python with UNDO_ARGS (the engine's undo): Windows Installer's rollback action does
the same on Windows, but Wine 8.0's msiexec removes the installed files before it runs the
rollback actions, when the installed python is gone. A program started by
Windows Installer has no console: here the command gets a pipe for its output and the null
device for its input (under Wine, python.exe started without them stops at
"init_sys_streams: Invalid handle"). Python 2.7 and 3, standard library only.
"""

import os
import subprocess
import sys


def main(argv):
    if len(argv) < 5:
        return 2
    log, entries, command, expect = argv[1:5]
    env = dict(os.environ)
    if entries:
        env["PATH"] = entries + os.pathsep + env.get("PATH", "")
    with open(os.devnull, "rb") as nothing:
        process = subprocess.Popen(command, stdin=nothing, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=env)
        output = process.communicate()[0]
    try:
        with open(log, "ab") as handle:
            handle.write(output)
    except (IOError, OSError):
        pass  # a log that cannot be written never fails the check
    code = process.returncode
    if not code and expect and expect not in output.decode("utf-8", "replace"):
        code = 1
    if code and argv[5:]:
        with open(os.devnull, "rb") as nothing:
            subprocess.Popen([sys.executable] + argv[5:], stdin=nothing, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT).communicate()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
