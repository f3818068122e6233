# -*- coding: utf-8 -*-
"""The actions choconsis_engine.py runs, one function per kind (install and undo side).

The kinds and their fields are the plan's (``choconsis.plan.engine`` writes them); values
arrive resolved (install-time variables substituted). The PATH editor, the launcher writer
and the record of a runtime's packages are the sibling modules, called in-process. Python
2.7 and 3.x compatible, standard library only.
"""

from __future__ import unicode_literals

import collections
import os
import shutil
import stat
import subprocess
import zipfile

import choconsis_path
import choconsis_record
import make_launchers
from exit_status import describe_exit

TAIL_LINES = 20  # of a failing tool's output, kept for the message that says why
# setup.exe reads the engine's failure text with nsExec (an NSIS string: 1024 characters) and
# shows it in its dialog with a few words around it: the tail is cut to fit this many
TAIL_CHARACTERS = 600
LINE_CHARACTERS = 160


class ToolError(Exception):
    """A program the step ran failed: its exit code and the last lines it printed."""

    def __init__(self, program, code, tail):
        Exception.__init__(self, program, code, tail)
        self.program, self.code, self.tail = program, code, tail

    def __str__(self):
        text = "%s exited with %s" % (os.path.basename(self.program), describe_exit(self.code))
        lines = fit_tail(self.tail)
        if not lines:
            return text
        return "%s; its last %d line(s):\n%s" % (text, len(lines),
                                                 "\n".join("  " + line for line in lines))


def fit_tail(tail, budget=TAIL_CHARACTERS):
    """The newest lines of a tool's output that fit in ``budget`` characters (each line cut
    to LINE_CHARACTERS): the last lines say why a tool stopped."""
    kept, used = [], 0
    for line in reversed(list(tail)):
        if len(line) > LINE_CHARACTERS:
            line = line[:LINE_CHARACTERS - 3] + "..."
        used += len(line) + 3
        if used > budget:
            break
        kept.insert(0, line)
    return kept


def describe(exc):
    """The cause of a failure in words: the message, and its kind when that helps."""
    if isinstance(exc, (ToolError, choconsis_path.PathError)):
        return "%s" % (exc,)
    return "%s: %s" % (type(exc).__name__, exc)


# --------------------------------------------------------------------------- helpers


def remove_tree(folder):
    """shutil.rmtree that also removes read-only files (Windows refuses those otherwise)."""
    def retry(function, path, _info):
        os.chmod(path, stat.S_IWRITE)
        function(path)
    if os.path.isdir(folder):
        shutil.rmtree(folder, onerror=retry)


def run_tool(command, log):
    """Run a program, each output line into the log; raise ToolError unless it exits 0."""
    with open(os.devnull, "rb") as nothing:
        process = subprocess.Popen(command, stdin=nothing, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        tail = collections.deque(maxlen=TAIL_LINES)
        for raw in iter(process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if line.strip():
                tail.append(line.strip())
                log("  " + line)
        process.stdout.close()
        code = process.wait()
    log("  (%s exited with %s)" % (os.path.basename(command[0]), describe_exit(code)))
    if code != 0:
        raise ToolError(command[0], code, list(tail))


def extract_member(wheel, member, program):
    """uv.exe out of its wheel (the installer verified the wheel's sha256 before)."""
    folder = os.path.dirname(program)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    archive = zipfile.ZipFile(wheel)
    try:
        data = archive.read(member)
    finally:
        archive.close()
    with open(program, "wb") as handle:
        handle.write(data)


def move_tree(source, destination):
    """Move every file of a staged tree into destination (merging with what is there)."""
    for folder, _dirs, files in os.walk(source):
        target = os.path.join(destination, os.path.relpath(folder, source))
        if not os.path.isdir(target):
            os.makedirs(target)
        for name in files:
            path = os.path.join(target, name)
            if os.path.exists(path):
                os.remove(path)
            shutil.move(os.path.join(folder, name), path)
    remove_tree(source)


def write_record(record):
    choconsis_record.write(record["site_packages"], record["out"],
                           choconsis_record.locked_names(record["lock"]))


# --------------------------------------------------------------------------- install side


def make_venv(action, key, state, log, name):
    folder = action["folder"]
    if os.path.isdir(folder) and os.listdir(folder):
        if state.done.get(key) != "made":
            raise RuntimeError("%s is there already and this app did not make it; refusing "
                               "to replace it" % folder)
        log("%s: removing the environment an earlier version made" % name)
        remove_tree(folder)
    try:
        import venv
    except ImportError:
        raise RuntimeError("this Python has no venv module (Python 3.3 or later makes one)")
    state.record(key, "made")
    venv.EnvBuilder(with_pip=False).create(folder)


def prepend_path(action, key, state, log, name):
    state.record(key, "recorded")
    log("%s: %s" % (name, choconsis_path.command_add(action["scope"], action["record"],
                                                     action["entries"])))


def pip_install(action, key, state, log, name):
    uv = action.get("uv")
    if uv:
        extract_member(uv["wheel"], uv["member"], uv["program"])
        log("%s: took %s out of %s" % (name, uv["member"], uv["wheel"]))
    state.record(key, "installed")
    try:
        run_tool(action["command"], log)
    finally:
        # what went into a runtime is written down also after a failure: the undo removes
        # what got in; the install tool goes either way
        if uv:
            remove_tree(uv["folder"])
        if action.get("record"):
            write_record(action["record"])


def copy_preinstalled(action, key, state, log, name):
    state.record(key, "installed")
    try:
        move_tree(action["source"], action["destination"])
        log("%s: pre-installed files copied" % name)
        with open(action["dists"], "rb") as handle:
            dists = [line.strip() for line in handle.read().decode("utf-8").splitlines()
                     if line.strip()]
        if not os.path.isdir(action["scripts"]):
            os.makedirs(action["scripts"])
        maker = make_launchers.make_maker(action["scripts"], action["python"])
        total = 0
        for dist in dists:
            dist_info = os.path.join(action["site_packages"], dist)
            if not os.path.isfile(os.path.join(dist_info, "RECORD")):
                raise RuntimeError("%s has no RECORD" % dist_info)
            total += make_launchers.write_launchers(maker, dist_info, action["site_packages"])
        log("%s: %d launcher(s) for %d dist(s)" % (name, total, len(dists)))
    finally:
        if action.get("record"):
            write_record(action["record"])


def expose_commands(action, key, state, log, name):
    state.record(key, "exposed")
    folder = action["bin"]
    if not os.path.isdir(folder):
        os.makedirs(folder)
    maker = make_launchers.make_maker(folder, action["python"])
    total = make_launchers.write_commands(maker, action["names"], action["site_packages"],
                                          action.get("kinds"), action.get("scripts"))
    log("%s: %d command(s) in %s" % (name, total, folder))
    if action["expose"] == "path":
        log("%s: %s" % (name, choconsis_path.command_add(action["scope"], action["record"],
                                                         [folder])))


INSTALL = {"make_venv": make_venv, "prepend_path": prepend_path, "pip_install": pip_install,
           "copy_preinstalled": copy_preinstalled, "expose_commands": expose_commands}


def install(action, key, state, log, name):
    if action["kind"] not in INSTALL:
        raise RuntimeError("this engine cannot run a %s step" % action["kind"])
    INSTALL[action["kind"]](action, key, state, log, name)


# --------------------------------------------------------------------------- undo side


def undo_remove_tree(action, done, log, name):
    if done == "made" and os.path.isdir(action["folder"]):
        log("undo %s: removing %s" % (name, action["folder"]))
        remove_tree(action["folder"])


def undo_remove_path_entries(action, done, log, name):
    if os.path.isfile(action["record"]):
        log("undo %s: %s" % (name, choconsis_path.command_remove(action["scope"],
                                                                 action["record"])))


def undo_remove_recorded(action, done, log, name):
    if os.path.isfile(action["record"]):
        log("undo %s: removing the files it recorded" % name)
        if choconsis_record.remove(action["record"], action["root"]) != 0:
            raise RuntimeError("some recorded files could not be removed")


def undo_remove_commands(action, done, log, name):
    folder = action["bin"]
    if action["expose"] == "path" and os.path.isfile(action["record"]):
        log("undo %s: %s" % (name, choconsis_path.command_remove(action["scope"],
                                                                 action["record"])))
    # each command's file (name.exe, a batch file as named; a launcher is name elsewhere)
    files = action.get("files") or [n + ".exe" for n in action["names"]]
    for command, file_name in zip(action["names"], files):
        for path in (os.path.join(folder, file_name), os.path.join(folder, command)):
            if os.path.isfile(path):
                os.remove(path)
    if os.path.isdir(folder) and not os.listdir(folder):
        os.rmdir(folder)


UNDO = {"remove_tree": undo_remove_tree, "remove_path_entries": undo_remove_path_entries,
        "remove_recorded": undo_remove_recorded, "remove_commands": undo_remove_commands,
        "nothing": lambda action, done, log, name: None}


def undo(action, done, log, name):
    if action["kind"] not in UNDO:
        raise RuntimeError("this engine cannot undo a %s step" % action["kind"])
    UNDO[action["kind"]](action, done, log, name)
