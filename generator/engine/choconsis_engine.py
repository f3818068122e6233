# -*- coding: utf-8 -*-
"""The choconsis install engine: every step that runs in the runtime's python, in ONE start.

    python.exe -E -s choconsis_engine.py install|undo --steps STEPS.json
        --var NAME=VALUE ... [--log FILE ...]

STEPS.json is written at build time by the installer's back end from the install plan
(``choconsis.plan.engine``): the steps the engine runs (the app's environment, PATH entries,
the packages, the commands' launchers), each with its number, state key and title as the
plan names them, and its install and undo actions. A value that is only known at install
time is ``{"var": NAME}``, given with ``--var NAME=VALUE``.

Each start of python.exe costs about 2.7 s under Wine: the installers used to start it once
per helper (venv, uv extraction, launchers, PATH, record); this runs them all in-process.

``install`` records in ``<state_dir>\\engine-state.json`` what each step did (before doing
it, so a half-done step is undone too); when a step fails, it undoes its own completed parts
in reverse, prints ONE line naming the step and the cause (a Windows crash status in words:
exit_status.py), followed by the failing tool's last output lines (up to 20, cut to fit an
NSIS string), and exits 1. ``undo`` removes exactly what the state file records, in reverse
step order, and then the state file. Exit codes: 0 done, 1 failed, 2 usage error.

Progress lines go to each ``--log`` file (UTF-16LE with a BOM, "YYYY-MM-DD HH:MM:SS  TEXT",
as setup.exe's own log lines) and, without ``--log``, to stdout; the failure line always goes
to stdout, last. Python 2.7 and 3.x compatible, standard library only.
"""

from __future__ import unicode_literals

import io
import json
import os
import sys
import time

# No __pycache__ of the engine's own modules in the state folder: the uninstall removes the
# files it shipped, and a folder left behind would keep the install folder from going.
if __name__ == "__main__":
    sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine_actions  # noqa: E402 - the sibling module, from this script's own folder
from choconsis_path import _unicode_argv, text_type  # noqa: E402

STATE_FILE = "engine-state.json"
DESCRIPTION_VERSION = 1


class EngineError(Exception):
    """A failure with a message for a person."""


# --------------------------------------------------------------------------- description


def resolve(value, variables):
    """A description value: a list of parts (text, or {"var": NAME}) -> text."""
    if isinstance(value, list):
        out = []
        for part in value:
            if isinstance(part, dict):
                name = part.get("var")
                if name not in variables:
                    raise EngineError("the installer passed no --var %s=..." % name)
                out.append(variables[name])
            else:
                out.append(part)
        return "".join(out)
    if isinstance(value, dict) and "var" in value:
        return resolve([value], variables)
    return value


def resolve_action(action, variables):
    """Every field of an action with its values resolved (lists of values stay lists)."""
    out = {}
    for name, value in action.items():
        if name in ("names", "kinds", "files"):  # plain words (the commands)
            out[name] = list(value)
        elif name in ("command", "entries") and isinstance(value, list):
            out[name] = [resolve(v, variables) for v in value]
        elif isinstance(value, dict) and "var" not in value:
            out[name] = resolve_action(value, variables)
        else:
            out[name] = resolve(value, variables)
    return out


def read_description(path):
    try:
        with io.open(path, encoding="utf-8") as handle:
            description = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise EngineError("cannot read the steps description %s: %s" % (path, exc))
    if not isinstance(description, dict) or description.get("version") != DESCRIPTION_VERSION:
        raise EngineError("%s is not a version %d choconsis steps description"
                          % (path, DESCRIPTION_VERSION))
    return description


# --------------------------------------------------------------------------- state and log


class State(object):
    """What the engine did, per state key, saved after every change."""

    def __init__(self, path):
        self.path = path
        self.done = {}
        # an install killed while saving (Python 2: between the remove and the rename) left
        # only the new file, complete: its record is the one to take over
        for candidate in (path, path + ".tmp"):
            if os.path.isfile(candidate):
                with io.open(candidate, encoding="utf-8") as handle:
                    self.done = json.load(handle).get("done", {})
                break

    def record(self, key, value):
        self.done[key] = value
        self.save()

    def save(self):
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            os.makedirs(folder)
        temp = self.path + ".tmp"
        with io.open(temp, "w", encoding="utf-8") as handle:
            handle.write(text_type(json.dumps({"version": 1, "done": self.done}, indent=1)))
        replace = getattr(os, "replace", None)
        if replace is not None:  # one step: a kill leaves the old record or the new one
            replace(temp, self.path)
            return
        if os.path.exists(self.path):
            os.remove(self.path)  # Python 2 on Windows has no os.replace
        os.rename(temp, self.path)

    def remove(self):
        for path in (self.path, self.path + ".tmp"):
            if os.path.exists(path):
                os.remove(path)


class Log(object):
    """Progress lines into the installer's log files (or ``stream`` when there are none)."""

    def __init__(self, files, stream):
        self.files = files
        self.stream = stream

    def __call__(self, text):
        if not self.files:
            say(text, self.stream)
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        line = "".join("%s  %s\r\n" % (stamp, part) for part in text.splitlines() or [""])
        for path in self.files:
            try:
                fresh = not os.path.exists(path) or os.path.getsize(path) == 0
                with io.open(path, "ab") as handle:
                    handle.write((b"\xff\xfe" if fresh else b"") + line.encode("utf-16-le"))
            except (IOError, OSError):
                pass  # a log that cannot be written never fails the install


class LogStream(object):
    """sys.stdout while the steps run: what the sibling modules print goes to the log, so
    that the engine's own stdout holds nothing but the failure line."""

    def __init__(self, log):
        self.log = log
        self.pending = ""

    def write(self, text):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            if line.strip():
                self.log(line.rstrip())

    def flush(self):
        if self.pending.strip():
            self.log(self.pending.rstrip())
        self.pending = ""


def say(text, stream):
    """Print a line whatever the stream's encoding (a pipe may be ASCII or a code page);
    nothing under pythonw.exe, which has no stdout (the MSI runs the engine with it)."""
    if stream is None:
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    data = (text + "\n").encode(encoding, "replace")
    stream.write(data.decode(encoding) if text_type is str else data)
    stream.flush()


# --------------------------------------------------------------------------- runs


def step_name(step):
    return "step %d (%s)" % (step["number"], step["title"])


def install(description, variables, state, log):
    """Run every step; on a failure undo the steps done (the failing one too) and raise."""
    steps = description["steps"]
    started = []
    for step in steps:
        name = step_name(step)
        action = resolve_action(step["install"], variables)
        log("%s: start (%s; owns: %s)" % (name, action["kind"], step["owns"]))
        started.append(step)
        try:
            engine_actions.install(action, step["key"], state, log, name)
        except Exception as exc:  # one line for the person, after undoing what was done
            message = "%s failed: %s" % (name, engine_actions.describe(exc))
            log("FAILED: " + message.splitlines()[0])  # the tool's lines are in the log above
            left = undo(started, variables, state, log)
            raise EngineError("; ".join([message] + left))
        log("%s: done" % name)


def undo(steps, variables, state, log):
    """Undo what the state records for these steps, in reverse; returns the failures."""
    failures = []
    for step in reversed(steps):
        if not state.done.get(step["key"]):
            continue
        name = step_name(step)
        action = resolve_action(step["undo"], variables)
        log("undo %s: %s" % (name, action["kind"]))
        try:
            engine_actions.undo(action, state.done[step["key"]], log, name)
        except Exception as exc:
            failures.append("undo %s failed: %s" % (name, engine_actions.describe(exc)))
            log(failures[-1])
            continue
        del state.done[step["key"]]
        state.save()
    if not failures:
        state.remove()
    return failures


def parse(argv):
    """(side, steps file, variables, log files) from the command line."""
    if not argv or argv[0] not in ("install", "undo"):
        raise ValueError("the first argument is install or undo")
    side, steps, variables, logs = argv[0], None, {}, []
    rest = list(argv[1:])
    while rest:
        option = rest.pop(0)
        if not rest:
            raise ValueError("%s needs a value" % option)
        value = rest.pop(0)
        if option == "--steps":
            steps = value
        elif option == "--var" and "=" in value:
            name, _, text = value.partition("=")
            # an MSI folder property always ends with a backslash: C:\App\ -> C:\App
            variables[name] = text[:-1] if text.endswith("\\") and len(text) > 3 else text
        elif option == "--log":
            logs.append(value)
        else:
            raise ValueError("unknown argument %s %s" % (option, value))
    if steps is None or "state_dir" not in variables:
        raise ValueError("--steps FILE and --var state_dir=DIR are required")
    return side, steps, variables, logs


def main(argv=None):
    real = sys.stdout
    try:
        side, steps_file, variables, logs = parse(_unicode_argv() if argv is None else argv)
    except ValueError as exc:
        say("choconsis_engine: usage error: %s" % exc, real)
        return 2
    log = Log(logs, real)
    sys.stdout = LogStream(log)
    failures = []
    try:
        description = read_description(steps_file)
        state = State(os.path.join(variables["state_dir"], STATE_FILE))
        if side == "install":
            install(description, variables, state, log)
        else:
            failures = undo(description["steps"], variables, state, log)
    except EngineError as exc:
        failures = ["%s" % (exc,)]
    except Exception as exc:  # a state file that cannot be read or written, ...
        failures = ["%s: %s" % (type(exc).__name__, exc)]
    finally:
        sys.stdout.flush()
        sys.stdout = real
    if failures:
        say("choconsis_engine: " + "; ".join(failures), real)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
