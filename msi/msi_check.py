"""The MSI's check step, run by the runtime's pythonw.exe from a deferred custom action.

    pythonw.exe -E -s -B msi_check.py LOG PATH_ENTRIES COMMAND_LINE EXPECT

Runs COMMAND_LINE (cmd.exe /d /c "the recipe's check", as setup.exe runs it) with
PATH_ENTRIES (";"-separated) in front of PATH, its output appended to LOG; exits with its exit
code, or 1 when EXPECT is not empty and the output does not hold it. A program started by
Windows Installer has no console: here the command gets a pipe for its output and the null
device for its input (under Wine, python.exe started without them stops at
"init_sys_streams: Invalid handle"). Python 2.7 and 3, standard library only.
"""

import os
import subprocess
import sys


def main(argv):
    if len(argv) != 5:
        return 2
    log, entries, command, expect = argv[1:]
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
    if process.returncode:
        return process.returncode
    if expect and expect not in output.decode("utf-8", "replace"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
