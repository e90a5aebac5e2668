"""Running one child: the importer (``child.py``) started in a fresh interpreter of the lane, its
events read back, split into what it says about each module, and its captured output read."""

import json
import os
import signal as signal_module
import subprocess
import sys
import time

from ftlab_probes.runtime.children import wait_or_kill
from ftlab_probes.runtime.imports.limits import OUTPUT_READ_BYTES, OUTPUT_TAIL_CHARS

#: After the child's own faulthandler timer fires it needs a moment to dump stacks and exit; only then
#: does the parent kill the process group.
KILL_GRACE_S = 3.0
#: Below this much time left in the job, starting another child would only produce a false hang.
MIN_MODULE_TIMEOUT_S = 2.0

CHILD_SOURCE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.py")


def child_env(gil):
    """The child's environment: ours (already allowlisted by the host) minus what would change the
    experiment, plus PYTHON_GIL when forced."""
    env = dict(os.environ)
    for var in ("PYTHON_GIL", "PYTHONVERBOSE", "PYTHONINSPECT", "PYTHONFAULTHANDLER", "PYTHONSTARTUP"):
        env.pop(var, None)
    if gil is not None:
        env["PYTHON_GIL"] = gil
    return env


def run_child(modules, timeout, gil, workdir, tag, verbose=False, budget_s=None):
    """Import ``modules`` in order in one fresh interpreter (see child.py). Returns the raw facts::

    {"returncode": int, "killed": bool, "events": [dict], "logs": [path per module], "log": path,
     "wall_seconds": float}

    ``log`` holds what the child printed before its first module (a failed start); each module's own
    output is in its entry of ``logs``. ``budget_s``: the time the whole child may take.
    """
    with open(CHILD_SOURCE_PATH, encoding="utf-8") as f:
        source = f.read()
    plan_path = os.path.join(workdir, tag + ".plan.json")
    out_path = os.path.join(workdir, tag + ".jsonl")
    log_path = os.path.join(workdir, tag + ".log")
    logs = [os.path.join(workdir, "%s-%04d.log" % (tag, i)) for i in range(len(modules))]
    with open(plan_path, "w", encoding="utf-8") as f:
        json.dump(
            {
                "modules": [{"module": m, "log": lp} for m, lp in zip(modules, logs, strict=True)],
                "timeout_s": timeout,
                "budget_s": budget_s,
                "min_timeout_s": MIN_MODULE_TIMEOUT_S,
            },
            f,
        )
    cwd = os.path.join(workdir, "cwd")  # empty: the child's sys.path[0] must shadow nothing
    os.makedirs(cwd, exist_ok=True)
    cmd = [sys.executable, "-X", "faulthandler"]
    if verbose:
        cmd.append("-v")
    cmd += ["-c", source, plan_path, out_path]
    # The child's own per-module timers fire first; this only stops a child that cannot act on them.
    limit = (budget_s if budget_s is not None else timeout * len(modules)) + KILL_GRACE_S
    posix = hasattr(os, "killpg")
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=child_env(gil),
            start_new_session=posix,
        )
        killed = wait_or_kill(proc, limit, lambda p: kill_group(p, posix))
        if posix:
            # Leave nothing behind: daemons or workers the import started share the group.
            kill_group(proc, posix)
    return {
        "returncode": proc.returncode,
        "killed": killed,
        "events": read_events(out_path),
        "logs": logs,
        "log": log_path,
        "wall_seconds": time.monotonic() - started,
    }


def read_events(path):
    """The child's event lines; a line cut short by its death is not an event."""
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    events.append(event)
    except OSError:
        pass
    return events


def split_child(raw, modules):
    """What one child says about each of its modules (pure).

    Returns ``(judged, end)``. ``judged`` is ``[(module, raw, log, kept)]`` in order, one per module
    the child got to: ``raw`` has classify()'s shape (``result`` None when the import died: its fork
    was killed, or the child itself died during it, or before its first module), ``kept`` the modules
    the child held loaded when this one was imported. ``end`` is the child's own reason to stop
    (``done``, ``time``, ``not-kept``) or None when it died.
    """
    logs = dict(zip(modules, raw["logs"], strict=True))
    judged, kept, started, end = [], [], None, None

    def died(module, returncode, timeout_s, log):
        facts = {"returncode": returncode, "killed": False, "result": None, "timeout_s": timeout_s}
        judged.append((module, {**facts, "wall_seconds": None}, log, list(kept)))

    for event in raw["events"]:
        kind, module = event.get("event"), event.get("module")
        if kind in ("start", "done", "died", "kept") and module not in logs:
            continue
        if kind == "start":
            if started is not None:  # its fork ended without a word
                died(started["module"], None, started.get("timeout_s"), logs[started["module"]])
            started = event
        elif kind == "done":
            facts = {"returncode": 0, "killed": False, "result": event, "wall_seconds": event.get("seconds")}
            judged.append((module, facts, logs[module], list(kept)))
            started = None
        elif kind == "died" and started is not None and started["module"] == module:
            died(module, event.get("returncode"), started.get("timeout_s"), logs[module])
            started = None
        elif kind == "kept":
            kept.append(module)
        elif kind == "end":
            end = event.get("reason")
    if end is None and len(judged) < len(modules):
        # The child itself died: during the module it had started, or before its first one.
        if started is not None:
            module, log = started["module"], logs[started["module"]]
        else:
            module, log = modules[len(judged)], judged[-1][2] if judged else raw["log"]
        judged.append(
            (
                module,
                {
                    "returncode": raw["returncode"],
                    "killed": raw["killed"],
                    "result": None,
                    "wall_seconds": raw["wall_seconds"],
                    "timeout_s": (started or {}).get("timeout_s"),
                },
                log,
                list(kept),
            )
        )
    return judged, end


def kill_group(proc, posix):
    """Kill the child's whole process group (the child alone without process groups)."""
    try:
        if posix:
            os.killpg(proc.pid, signal_module.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def read_output(path, tail_chars=OUTPUT_TAIL_CHARS, max_bytes=OUTPUT_READ_BYTES):
    """``(text, tail)`` of a child's captured output: all of it, or its head and tail when a module
    printed more than ``max_bytes`` (the GIL warning comes first, faulthandler's text last)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(0)
            if size <= max_bytes:
                data = f.read()
            else:
                half = max_bytes // 2
                head = f.read(half)
                f.seek(size - half)
                data = head + b"\n[... %d bytes cut by ftlab ...]\n" % (size - 2 * half) + f.read()
    except OSError:
        return "", ""
    text = data.decode("utf-8", "replace")
    return text, text[-tail_chars:]
