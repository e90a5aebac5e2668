"""Screen a distribution's modules for auto-probes: ``python -m ftlab_probes.auto --job JOB --out OUT``.

The same job/result protocol as ``ftlab_probes.runtime`` (probes/ftlab_probes/runtime/protocol.py), command
``autoprobe``. Options::

    distribution    str     installed distribution whose top-level modules are screened
    modules         [str]   explicit modules instead (no discovery)
    module_budget   int     modules screened at most (8)
    module_timeout_s float  seconds per module's screening process (60)

Each module is screened in its own process (``ftlab_probes.auto.screen``): a callable that crashes or
hangs that process is excluded and screening restarts without it (at most MAX_RESTARTS times), so
one bad function costs one restart, not the module. Result ``data``::

    {"specs": [spec, ...],                       # in the order they should be raced
     "modules": [{"module", "specs", "kept": int, "dropped": [{"target", "reason"}],
                  "excluded": [{"target", "reason"}], "error": str|null, "seconds",
                  "coverage": {"found", "screened", "kept": int, "dropped": {reason: int}}}],
     "discovery": {...}}                         # when a distribution was named

A module's ``coverage`` counts its public callables (functions, classes, methods and protocol
methods, each a target) by their last decision: ``found`` every target screening named, ``screened``
those it called, ``kept`` those that passed, ``dropped`` the others by reason ("policy", "raises on
every input", "not deterministic", "slow"...; see ``reason_class``). The host adds what was raced.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import machinery

from ftlab_probes.runtime import protocol
from ftlab_probes.runtime.children import wait_or_kill

#: Restarts after a crash or hang of the screening process, per module (each excludes a function
#: or a whole class; zstandard's C module has six stream classes that crash when built bare).
MAX_RESTARTS = 8
#: Screening a typical module takes well under a second; this caps pathological ones.
MODULE_TIMEOUT_S = 60.0
#: Modules screened per distribution: probes race the top-level API, not every submodule.
MODULE_BUDGET = 8
#: Stderr kept when a screening process dies.
TRACE_CHARS = 3000


def top_level_modules(distribution):
    """Public top-level modules of an installed distribution (private ones when it has only those)."""
    from ftlab_probes.runtime.imports.discovery import discover_distribution

    info = discover_distribution(distribution, list(machinery.EXTENSION_SUFFIXES))
    kinds = dict(info["modules"])
    info_modules = list(kinds)
    names = sorted(n for n in info_modules if "." not in n)
    public = [n for n in names if not n.startswith("_")]
    info = {k: v for k, v in info.items() if k != "modules"}
    info["top_level"] = names
    info["submodules"] = sorted(n for n in info_modules if "." in n)
    info["compiled_submodules"] = sorted(n for n in info_modules if "." in n and kinds[n] == "extension")
    return public or names, info


#: Reason classes of a dropped target, by how its reason starts (the rest of a reason names values).
REASON_CLASSES = (
    "policy", "raises on every", "not deterministic", "slow", "skipped", "not constructible",
    "keyword-only parameter", "too many parameters", "no method survived", "no deterministic method",
    "ftlab's own call", "screening it raised", "reading it raised", "its results depend",
)


def reason_class(reason):
    """The class a drop reason is counted under: ``raises on every input tried (4 ...)`` -> ``raises on every``."""
    reason = reason or ""
    return next((c for c in REASON_CLASSES if reason.startswith(c)), "other")


def coverage_of(events):
    """A module's coverage counts from its screening events (see the module docstring)."""
    last, started = {}, set()
    for e in events:
        if e["event"] == "start":
            started.add(e["target"])
        if e["event"] in ("kept", "dropped", "spec"):
            last[e["target"]] = e
    dropped = {}
    for e in last.values():
        if e["event"] == "dropped" and e.get("reason") != "policy: module denied":
            key = reason_class(e.get("reason"))
            dropped[key] = dropped.get(key, 0) + 1
    found = [t for t, e in last.items() if e.get("reason") != "policy: module denied"]
    return {"found": len(found), "screened": sum(1 for t in found if t in started),
            "kept": sum(1 for e in last.values() if e["event"] in ("kept", "spec")),
            "dropped": dict(sorted(dropped.items(), key=lambda kv: -kv[1]))}


def read_events(path):
    events = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:  # cut short by the death of the process
                    pass
    except FileNotFoundError:
        pass
    return events


def screen(module, timeout_s, workdir):
    """Screen one module with restarts; a row for the result's ``modules`` list."""
    started = time.monotonic()
    row = {"module": module, "specs": [], "kept": 0, "dropped": [], "excluded": [], "error": None}
    exclude = []
    for attempt in range(MAX_RESTARTS + 1):
        events_path = os.path.join(workdir, "%s-%d.events" % (module, attempt))
        err_path = os.path.join(workdir, "%s-%d.err" % (module, attempt))
        cmd = [sys.executable, "-X", "faulthandler", "-m", "ftlab_probes.auto.screen", module, events_path, *exclude]
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)
            wait_or_kill(proc, timeout_s, lambda p: os.killpg(p.pid, 9))
            returncode = proc.returncode
        events = read_events(events_path)
        done = next((e for e in events if e["event"] == "done"), None)
        # A target's last word counts: a kept function is screened again a moment later (screen.py).
        last = {}
        for e in events:
            if e["event"] in ("start", "kept", "dropped", "spec"):
                last[e["target"]] = e["event"]
        row["kept"] = sum(v == "kept" for v in last.values())
        row["dropped"] = [{"target": e["target"], "reason": e["reason"]} for e in events if e["event"] == "dropped"]
        row["coverage"] = coverage_of(events)
        if done is not None:
            row["specs"] = done["specs"]
            break
        in_flight = [target for target, event in last.items() if event == "start"]
        with open(err_path, "rb") as f:
            trace = f.read()[-TRACE_CHARS:].decode("utf-8", "replace")
        if not in_flight:
            row["error"] = "screening %s failed before any callable (exit %s): %s" % (
                module, returncode, (trace.strip().splitlines() or ["no output"])[-1])
            break
        how = "hung" if "Timeout (" in trace else "died with exit status %s" % returncode
        target = in_flight[-1]
        if "." in target:
            # A method that ends the process says the object is broken when built this way
            # (zstandard's ZstdCompressionReader() has no stream, and each of its methods crashes):
            # the class goes, with the method named, instead of one restart per method.
            target = target.split(".")[0]
            how += " in %s" % in_flight[-1]
        row["excluded"].append({"target": target, "reason": "screening %s" % how, "trace": trace})
        exclude.append(target)
    else:
        row["error"] = "screening %s restarted %d times; gave up" % (module, MAX_RESTARTS)
    row["seconds"] = round(time.monotonic() - started, 3)
    return row


def run(job):
    options = job.get("options") or {}
    timeout_s = float(options.get("module_timeout_s") or MODULE_TIMEOUT_S)
    budget = int(options.get("module_budget") or MODULE_BUDGET)
    data = {"specs": [], "modules": []}
    if options.get("modules"):
        modules = list(options["modules"])
    else:
        distribution = options.get("distribution") or (job.get("subject") or {}).get("name")
        modules, data["discovery"] = top_level_modules(distribution)
        if not data["discovery"]["found"]:
            data["error"] = "distribution %r is not installed in this environment" % distribution
            return {"status": "error", "data": data, "signals": []}
    data["skipped_modules"] = modules[budget:]
    job_deadline = time.monotonic() + float(job["timeout_s"]) - 5.0 if job.get("timeout_s") else None
    with tempfile.TemporaryDirectory(prefix="ftlab-autoprobe-") as workdir:
        _screen_all(modules[:budget], data, timeout_s, job_deadline, workdir)
        if data.get("discovery"):
            screened = {row["module"] for row in data["modules"]}
            if not data["specs"]:
                # Nothing at the top (packaging, dateutil keep their API in submodules): the public
                # submodules one level down, within the same budget.
                more = submodules(data["discovery"], budget)
            else:
                # The top gave something, but the C code that free-threading puts at risk may sit in
                # a compiled submodule the top never re-exports (murmurhash's ``mrmr``: only
                # ``get_include`` was raced): those too, in what is left of the budget.
                more = compiled_submodules(data["discovery"], budget - len(screened))
            _screen_all([m for m in more if m not in screened], data, timeout_s, job_deadline, workdir)
    return {"status": "ok", "data": data, "signals": []}


def _public_one_level(names):
    """The names of ``names`` one level under a top-level package, none of whose parts is private, sorted."""
    return sorted(n for n in set(names)
                  if n.count(".") == 1 and not any(part.startswith("_") for part in n.split(".")))


def compiled_submodules(discovery, budget):
    """Public extension modules one level under the distribution's top-level packages, at most ``budget``."""
    return _public_one_level(discovery.get("compiled_submodules") or ())[:max(0, budget)]


def submodules(discovery, budget):
    """Public modules one level under the distribution's top-level packages, at most ``budget``: the
    files it installs, and the submodules its type stubs declare (``cramjam/snappy.pyi``: a Rust
    extension's submodules are attributes of one shared object, with no file of their own)."""
    names = list(discovery.get("submodules") or ())
    for top in discovery.get("top_level") or ():
        names += ["%s.%s" % (top, stub) for stub in _stub_modules(top)]
    return _public_one_level(names)[:budget]


def _stub_modules(package):
    """Stem of each ``.pyi`` file beside a package's ``__init__`` (without importing it)."""
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    stems = []
    for folder in (found.submodule_search_locations or ()) if found else ():
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        stems += [e[:-4] for e in entries if e.endswith(".pyi") and e != "__init__.pyi"]
    return stems


def _screen_all(modules, data, timeout_s, job_deadline, workdir):
    for module in modules:
        left = timeout_s if job_deadline is None else min(timeout_s, job_deadline - time.monotonic())
        if left < 2.0:
            data["skipped_modules"].append(module)
            continue
        row = screen(module, left, workdir)
        data["modules"].append(row)
        data["specs"].extend(s for s in row["specs"] if s not in data["specs"] and not _raced_already(s, data["specs"]))


def _function_ops(spec):
    """(module, op texts) of a module-functions spec (``fn:module:op;op|...``), else (None, None)."""
    if not spec.startswith("fn:"):
        return None, None
    _, module, rest = spec.split(":", 2)
    return module, set(rest.split("|")[0].split(";"))


def _raced_already(spec, specs):
    """A submodule's functions that a spec of a package above it already races under the same names
    and kinds (a package's top level re-exporting its compiled submodule's functions: murmurhash and
    ``mrmr``). Another module's functions of the same names are never this (a safe twin of a codec)."""
    module, ops = _function_ops(spec)
    if not ops:
        return False
    before = set()
    for other in specs:
        parent, other_ops = _function_ops(other)
        if other_ops and module.startswith(parent + "."):
            before |= other_ops
    return ops <= before


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ftlab_probes.auto", description="screen modules for auto-probes")
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    job = protocol.read_job(args.job)
    started = time.time()
    outcome = run(job)
    protocol.write_json_atomic(args.out, {
        "format": protocol.RESULT_FORMAT, "job_id": job["job_id"], "command": "autoprobe",
        "status": outcome["status"], "data": outcome["data"], "signals": outcome["signals"],
        "started_at": started, "finished_at": time.time(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
