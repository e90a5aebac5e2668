"""The import check, in-lane half: import every module of a distribution, each judged on its own.

Children (``importchild.py``, run as ``sys.executable -X faulthandler``) import modules and report, per
module, ``sys._is_gil_enabled()`` before and after, the warnings issued (the GIL RuntimeWarning is
one), the import time, the chain of imports that loaded every module, and for a failure every module
the exception chain says was not found. Each module gets one outcome:

- ``ok``;
- ``import-error``: the import raised (type, message, traceback), or ended the process with an exit
  status and no result;
- ``optional-dependency``: a submodule failed because it needs a module its distribution does not
  provide: one that is not installed (an optional dependency, ``missing_kind: "not-installed"``), or
  one under the distribution's own package that it does not ship on this lane (another platform's
  module, a part this wheel leaves out: ``"not-in-distribution"``). Information, never a gate: the host
  escalates one the GIL baseline imports;
- ``crash``: killed by a signal (name, faulthandler's ``Fatal Python error`` text);
- ``hang``: did not finish within ``module_timeout_s`` (faulthandler's dump of every thread's stack,
  taken inside the child just before it exits; the process group is killed after a grace if not);
- ``gil-reenabled``: on a free-threaded build with the GIL not forced, the import turned the GIL on.

Batches make it fast without mixing up the facts. One child takes a batch of modules and imports
each in a *fork* of itself, then imports it itself too when the fork's import was clean (no error,
GIL unchanged): the heavy parents (pandas: 2-3 s) are imported once per batch, and every module is
judged in a process that holds only the clean imports before it. So a failed import leaves nothing
behind for the next (SQLAlchemy caches a failed first import of its asyncio extension; a second
attempt in the same interpreter succeeds), the import that turns the GIL on is the one whose
before/after differ, and a crash or hang kills only its fork: the child records it and goes on. A
module that died after the batch had kept others is imported again alone for its own outcome; if
alone it imports fine, the death is recorded as happening only after those modules, bisected to the
one it needs. Without ``os.fork`` every module gets a child of its own; ``batch_size: 1`` asks for
that anywhere. The RuntimeWarning names only the first offender of a process, so a second child with
``-v`` imports each module that turned the GIL on alone: it prints ``# loading module '<name>', which
requires the GIL`` for *every* offender, and its import chains say which import pulled each one in.

Options (``job["options"]``)::

    distributions: [str]        # installed distributions whose modules are discovered from metadata
    modules: [str]              # explicit module names (checked as given, no discovery)
    exclude_tests: bool = true  # skip tests/test/testing (sub)packages and conftest
    exclude_vendored: bool = true   # skip _vendor/_vendored/vendored/extern/_extern
    module_budget: int = 2000   # at most this many modules per distribution; the cut is recorded
    module_timeout_s: float = 60    # per module
    batch_size: int = 200       # modules per child; 1: every module in a child of its own
    isolate_extensions: bool = false    # true: every extension module in a process of its own
    gil: null | "0"             # "0": children run with PYTHON_GIL=0 (free-threaded lanes only)

With neither ``distributions`` nor ``modules``, the job's subject name is taken as a distribution.
See ``run()`` for the result's ``data`` and ``build_signals()`` for the signals' evidence.
"""

import json
import os
import re
import shutil
import signal as signal_module
import subprocess
import sys
import sysconfig
import tempfile
import time
from importlib import machinery
from importlib import metadata as importlib_metadata

from ftlab_probes.runtime import protocol
from ftlab_probes.runtime.children import wait_or_kill

#: Big C extensions (torch, tensorflow) take tens of seconds to import cold.
MODULE_TIMEOUT_S = 60.0
#: Every module of the largest packages measured (pandas 339 after exclusions, sqlalchemy 218) and
#: then some; the cap guards surveys against packages that generate thousands of modules.
MODULE_BUDGET = 2000
#: A batch imports the heavy parents (pandas: 2-3 s) once for all its modules; a cap keeps one
#: process from accumulating every module of a huge package.
BATCH_SIZE = 200
#: A crash that needs earlier imports is bisected to the one it needs in about log2(n) + 1 children;
#: beyond this many the earlier modules are named, not bisected.
BISECT_MAX_CHILDREN = 8
#: After the child's own faulthandler timer fires it needs a moment to dump stacks and exit; only then
#: does the parent kill the process group.
KILL_GRACE_S = 3.0
#: Below this much time left in the job, starting another child would only produce a false hang.
MIN_MODULE_TIMEOUT_S = 2.0
#: The job wrapper dumps stacks HANG_DUMP_LEAD_S before the host's kill; stop starting children a
#: little before that so the result file still gets written.
JOB_MARGIN_S = 3.0
#: Characters of a child's output kept in the result (the end, where faulthandler writes).
OUTPUT_TAIL_CHARS = 4000
#: Output read back per child: a module may print gigabytes (up to the sandbox's file-size limit).
OUTPUT_READ_BYTES = 4 * 1024 * 1024
#: Characters of faulthandler's text kept as evidence.
FAULTHANDLER_CHARS = 8000
#: Artifact files of failed imports are cut to this size (the end is kept).
ARTIFACT_MAX_BYTES = 1024 * 1024
#: Lists of excluded or dropped names in the result are cut to this length (counts stay exact).
LIST_CAP = 50

TEST_PARTS = frozenset(("tests", "test", "testing", "conftest"))
VENDORED_PARTS = frozenset(("_vendor", "_vendored", "vendored", "extern", "_extern"))
#: Importing ``pkg.__main__`` runs the package's command line; editable-install finders are not the
#: package's code.
NEVER_PARTS = frozenset(("__main__",))

OUTCOMES = ("ok", "import-error", "optional-dependency", "crash", "hang", "gil-reenabled")

GIL_WARNING_RE = re.compile(
    r"The global interpreter lock \(GIL\) has been enabled to load module '(?P<name>[^']+)', "
    r"which has not declared that it can run safely without the GIL\."
)
VERBOSE_GIL_RE = re.compile(r"^# loading module '(?P<name>[^']+)', which requires the GIL$", re.MULTILINE)
FATAL_RE = re.compile(r"^Fatal Python error: ", re.MULTILINE)
#: Modules/faulthandler.c format_timeout(): "Timeout (H:MM:SS)!", with ".uuuuuu" when not whole seconds.
HANG_RE = re.compile(r"^Timeout \(\d+:\d\d:\d\d(?:\.\d+)?\)!$", re.MULTILINE)

CHILD_SOURCE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "importchild.py")


# --- parsing CPython's own words -------------------------------------------------------------------


def parse_gil_warnings(text):
    """Module names from every GIL RuntimeWarning in ``text`` (a message or captured stderr), in order."""
    return _unique(m.group("name") for m in GIL_WARNING_RE.finditer(text or ""))


def parse_verbose_offenders(stderr):
    """Module names from ``-v`` lines ``# loading module 'NAME', which requires the GIL``, in order."""
    return _unique(m.group("name") for m in VERBOSE_GIL_RE.finditer(stderr or ""))


def signal_name(returncode):
    """``-11`` -> ``"SIGSEGV"``; None for a normal exit status."""
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal_module.Signals(-returncode).name
    except ValueError:
        return "signal %d" % -returncode


def faulthandler_text(output):
    """faulthandler's report of a fatal error: from the last ``Fatal Python error:`` to the end."""
    return _last_block(FATAL_RE, output)


def hang_stacks(output):
    """The stacks faulthandler dumped on timeout: from the last ``Timeout (H:MM:SS[.uuuuuu])!`` on."""
    return _last_block(HANG_RE, output)


def _last_block(pattern, text):
    matches = list(pattern.finditer(text or ""))
    if not matches:
        return None
    return text[matches[-1].start() :][:FAULTHANDLER_CHARS]


def _unique(names):
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


# --- discovery -------------------------------------------------------------------------------------


#: Which file the import system loads when one name has several: a package directory wins, then an
#: extension over a ``.py`` of the same stem (FileFinder tries extension loaders first; lxml ships
#: ``sax.py`` next to the compiled ``sax.cpython-314-x86_64-linux-gnu.so``).
_SHADOWING = ("module", "extension", "package")


def modules_from_files(paths, ext_suffixes):
    """Modules provided by files (paths relative to site-packages, as in RECORD).

    Returns ``(modules, namespaces)``: ``{name: "package"|"module"|"extension"}`` and the sorted names
    of namespace packages (directories holding modules but no ``__init__``). Files that cannot be
    imported under a valid name are ignored: scripts outside site-packages (``../../bin``),
    metadata, bytecode caches, and extension files built for another interpreter
    (``x.cpython-311-x86_64-linux-gnu.so`` on 3.13 leaves a stem that is not an identifier).
    """
    suffixes = sorted(set(ext_suffixes), key=len, reverse=True)
    found = {}
    for path in paths:
        parts = str(path).replace("\\", "/").split("/")
        if any(p in ("", ".", "..") for p in parts) or "__pycache__" in parts:
            continue
        if parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        filename = parts[-1]
        if filename.endswith(".py"):
            stem, kind = filename[:-3], "module"
        else:
            suffix = next((s for s in suffixes if filename.endswith(s)), None)
            if suffix is None:
                continue
            stem, kind = filename[: -len(suffix)], "extension"
        if stem == "__init__":
            name_parts, kind = parts[:-1], "package"
        else:
            name_parts = [*parts[:-1], stem]
        if not name_parts or not all(p.isidentifier() for p in name_parts):
            continue
        if name_parts[0].startswith("__editable__"):
            continue
        name = ".".join(name_parts)
        found[name] = max(kind, found.get(name, kind), key=_SHADOWING.index)
    namespaces = set()
    for name in found:
        parts = name.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            if prefix not in found:
                namespaces.add(prefix)
    return found, sorted(namespaces)


def exclusion_reason(name, exclude_tests=True, exclude_vendored=True):
    """Why ``name`` is not imported, or None."""
    parts = name.split(".")
    if NEVER_PARTS.intersection(parts):
        return "__main__"
    if exclude_tests and TEST_PARTS.intersection(parts):
        return "tests"
    if exclude_vendored and VENDORED_PARTS.intersection(parts):
        return "vendored"
    return None


def priority_order(modules):
    """Top-level names first, then extension modules (where GIL findings live), then by depth and name."""

    def key(item):
        name, kind = item
        depth = name.count(".")
        return (0 if depth == 0 else 1 if kind == "extension" else 2, depth, name)

    return sorted(modules.items(), key=key)


def select_modules(modules, exclude_tests=True, exclude_vendored=True, budget=MODULE_BUDGET):
    """Apply the exclusions and the budget to ``{name: kind}``.

    Returns ``(selected [(name, kind)], excluded [{"module", "reason"}], dropped [name])``.
    """
    selected, excluded = [], []
    for name, kind in priority_order(modules):
        reason = exclusion_reason(name, exclude_tests, exclude_vendored)
        if reason:
            excluded.append({"module": name, "reason": reason})
        else:
            selected.append((name, kind))
    dropped = [name for name, _ in selected[budget:]] if budget is not None else []
    if budget is not None:
        selected = selected[:budget]
    return selected, excluded, dropped


def _find_distribution(name):
    try:
        return importlib_metadata.distribution(name)
    except importlib_metadata.PackageNotFoundError:
        pass
    # Older importlib.metadata compares names less leniently than installers write them.
    wanted = _normalize(name)
    for dist in importlib_metadata.distributions():
        if _normalize(dist.metadata["Name"] or "") == wanted:
            return dist
    return None


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _walk_top_level(top, ext_suffixes):
    """Relative paths of the files of top-level module ``top``, found without importing it.

    ``importlib.util.find_spec`` on a top-level name runs finders only, never the module.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    paths = []
    if spec.submodule_search_locations is not None:
        for location in spec.submodule_search_locations:
            for dirpath, dirnames, filenames in os.walk(location):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                rel = os.path.relpath(dirpath, location)
                prefix = top if rel == "." else top + "/" + rel.replace(os.sep, "/")
                paths.extend(prefix + "/" + f for f in filenames)
    elif spec.origin and os.path.isfile(spec.origin):
        filename = os.path.basename(spec.origin)
        if filename.endswith(".py") or filename.endswith(tuple(ext_suffixes)):
            suffix = ".py" if filename.endswith(".py") else filename[len(top) :]
            paths.append(top + suffix)
    return paths


def discover_distribution(name, ext_suffixes):
    """Modules of one installed distribution: ``{"name", "found", "version", "source", "modules",
    "namespaces"}``. ``source`` says where the names came from: ``RECORD`` (the files installed),
    ``top_level.txt`` or ``name`` (the distribution name as an import name, the last resort, e.g. for
    editable installs whose RECORD holds only a ``.pth``)."""
    info = {"name": name, "found": False, "version": None, "source": None, "modules": {}, "namespaces": []}
    dist = _find_distribution(name)
    if dist is None:
        return info
    info["found"] = True
    info["version"] = dist.version
    modules, namespaces = {}, []
    files = dist.files
    if files:
        modules, namespaces = modules_from_files([f.as_posix() for f in files], ext_suffixes)
        info["source"] = "RECORD"
    if not modules:
        tops = [t.strip() for t in (dist.read_text("top_level.txt") or "").splitlines() if t.strip()]
        info["source"] = "top_level.txt"
        if not tops:
            tops = [re.sub(r"[-.]+", "_", dist.metadata["Name"] or name)]
            info["source"] = "name"
        paths = []
        for top in tops:
            paths.extend(_walk_top_level(top, ext_suffixes))
        modules, namespaces = modules_from_files(paths, ext_suffixes)
    info["modules"] = modules
    info["namespaces"] = namespaces
    return info


def plan_modules(options, ext_suffixes):
    """What to import: ``([(module, kind, distribution)], discovery, provided)`` (see ``run()``);
    ``provided`` maps each distribution to every module it provides on this lane, selected or not
    (``{name: kind}``, namespace packages as ``"namespace"``), which judges its import failures."""
    exclude_tests = options["exclude_tests"]
    exclude_vendored = options["exclude_vendored"]
    budget = options["module_budget"]
    targets, seen, provided = [], set(), {}
    discovery = {
        "distributions": [],
        "counts": {"package": 0, "module": 0, "extension": 0},
        "exclude_tests": exclude_tests,
        "exclude_vendored": exclude_vendored,
        "module_budget": budget,
        "budget_cut": 0,
        "missing": [],
    }
    for name in options["distributions"]:
        info = discover_distribution(name, ext_suffixes)
        selected, excluded, dropped = select_modules(info["modules"], exclude_tests, exclude_vendored, budget)
        entry = {
            "name": name,
            "found": info["found"],
            "version": info["version"],
            "source": info["source"],
            "modules": len(info["modules"]),
            "selected": len(selected),
            "excluded_count": len(excluded),
            "excluded": excluded[:LIST_CAP],
            "excluded_by_reason": _count_by(e["reason"] for e in excluded),
            "budget_cut": len(dropped),
            "dropped": dropped[:LIST_CAP],
            "namespaces": info["namespaces"][:LIST_CAP],
        }
        discovery["distributions"].append(entry)
        discovery["budget_cut"] += len(dropped)
        provided[name] = {**dict.fromkeys(info["namespaces"], "namespace"), **info["modules"]}
        if not info["found"]:
            discovery["missing"].append(name)
        for module, kind in selected:
            discovery["counts"][kind] = discovery["counts"].get(kind, 0) + 1
            if module not in seen:
                seen.add(module)
                targets.append((module, kind, name))
    for module in options["modules"]:
        if module not in seen:
            seen.add(module)
            targets.append((module, None, None))
    return targets, discovery, provided


def _count_by(keys):
    counts = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- children --------------------------------------------------------------------------------------


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
    """Import ``modules`` in order in one fresh interpreter (see importchild.py). Returns the raw facts::

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
        killed = wait_or_kill(proc, limit, lambda p: _kill_group(p, posix))
        if posix:
            # Leave nothing behind: daemons or workers the import started share the group.
            _kill_group(proc, posix)
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


def _kill_group(proc, posix):
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


# --- judging one module ----------------------------------------------------------------------------


def classify(module, kind, distribution, raw, output, timeout, *, free_threaded, gil_forced):
    """One row of the per-module table from a child's raw facts and captured output (pure)."""
    result = raw.get("result")
    returncode = raw.get("returncode")
    row = {
        "module": module,
        "distribution": distribution,
        "kind": kind or "unknown",
        "outcome": "ok",
        "seconds": None,
        "wall_seconds": round(raw.get("wall_seconds") or 0.0, 4),
        "gil_before": None,
        "gil_after": None,
        "gil_reenabled": False,
        "offenders": [],
        "chains": {},
        "warning": None,
        "warning_offender": None,
        "verbose_pass": None,
        "error": None,
        "exit_status": returncode,
        "signal": None,
        "faulthandler": None,
        "timeout_s": None,
        "output_tail": output[-OUTPUT_TAIL_CHARS:],
        "artifact": None,
        "scope": None,
        "needs": [],
        "missing_kind": None,
        "preloaded_by": None,
        "child": None,
        "batch_death": None,
    }
    warned, warning_text = [], None
    if result is not None:
        row["seconds"] = round(result.get("seconds") or 0.0, 6)
        row["preloaded_by"] = result.get("preloaded_by")
        row["gil_before"] = result.get("gil_before")
        row["gil_after"] = result.get("gil_after")
        if kind is None and result.get("kind"):
            row["kind"] = result["kind"]  # explicit modules: the child read it off __spec__
        for w in result.get("warnings") or []:
            names = parse_gil_warnings(w.get("message")) if w.get("category") == "RuntimeWarning" else []
            if names and warning_text is None:
                warning_text = w["message"]
            warned.extend(names)
    warned = _unique(warned + parse_gil_warnings(output))
    if warned and warning_text is None:
        match = GIL_WARNING_RE.search(output)
        warning_text = output[match.start() :].splitlines()[0]

    if raw.get("killed") or (result is None and HANG_RE.search(output or "")):
        row["outcome"] = "hang"
        row["faulthandler"] = hang_stacks(output)
        row["timeout_s"] = timeout
    elif result is None and returncode is not None and returncode < 0:
        row["outcome"] = "crash"
        row["signal"] = signal_name(returncode)
        row["faulthandler"] = faulthandler_text(output)
    elif result is None:
        row["outcome"] = "import-error"
        row["error"] = {
            "type": "exit",
            "message": "the interpreter exited with status %s before the import finished" % (returncode,),
            "traceback": faulthandler_text(output) or output[-OUTPUT_TAIL_CHARS:],
        }
    elif result.get("error"):
        row["outcome"] = "import-error"
        row["error"] = result["error"]

    reenabled = False
    if free_threaded and not gil_forced:
        if result is not None:
            reenabled = row["gil_before"] is False and row["gil_after"] is True
        reenabled = reenabled or bool(warned)
    if reenabled:
        row["offenders"] = list(warned)
        row["warning"] = warning_text
        row["warning_offender"] = warned[0] if warned else None
        if result is not None:
            chains = result.get("chains") or {}
            row["chains"] = {name: chains[name] for name in warned if name in chains}
        if row["outcome"] == "ok":
            row["outcome"] = "gil-reenabled"
    row["gil_reenabled"] = reenabled
    return row


def merge_verbose(row, raw, output):
    """Name every offender from the ``-v`` child (pure): the warning fires once, ``-v`` lines every time."""
    offenders = parse_verbose_offenders(output)
    result = raw.get("result") or {}
    chains = result.get("chains") or {}
    row["offenders"] = _unique(offenders + row["offenders"])
    for name in row["offenders"]:
        if name not in row["chains"] and name in chains:
            row["chains"][name] = chains[name]
    row["verbose_pass"] = {
        "exit_status": raw.get("returncode"),
        "offenders": offenders,
        "completed": raw.get("result") is not None,
    }
    return row


# --- judging a failure against what the distribution provides ------------------------------------


def import_scope(module, provided):
    """``top-level`` or ``submodule`` (pure). A module with no regular package of its distribution
    above it is top-level: ``pandas``, and ``google.protobuf`` (``google`` is a namespace many
    distributions share); ``numpy.random._examples.numba.extending`` is a submodule, though
    ``numba/`` there has no ``__init__``. ``provided`` None (a module named explicitly): its depth
    decides."""
    if provided is None:
        return "submodule" if "." in module else "top-level"
    return "top-level" if own_package(module, provided) is None else "submodule"


def own_package(name, provided):
    """The distribution's regular package nearest above ``name``, or None (pure)."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if provided.get(prefix) == "package":
            return prefix
    return None


def needed_modules(error, provided):
    """``(needs, missing_kind)``: the modules a failed import looked for that its distribution does not
    provide, and whether the first is ``not-installed`` (outside the distribution's own packages) or
    ``not-in-distribution`` (under them, but not shipped on this lane) (pure).

    A ``from-import`` miss (``from pkg import name``) counts only under the distribution's own packages:
    ``from numpy import gone`` is as likely a removed function as a module.
    """
    needs, kinds = [], []
    for entry in (error or {}).get("not_found") or ():
        name = entry.get("name")
        if not name or name in provided or name in needs:
            continue
        own = own_package(name, provided) is not None
        if entry.get("via") == "from-import" and not own:
            continue
        needs.append(name)
        kinds.append("not-in-distribution" if own else "not-installed")
    return needs, (kinds[0] if kinds else None)


def judge_failure(row, provided):
    """Set the row's ``scope``; a submodule's import error caused by a module its distribution does not
    provide becomes ``optional-dependency`` with ``needs`` and ``missing_kind`` (pure)."""
    row["scope"] = import_scope(row["module"], provided)
    if row["outcome"] == "import-error" and row["scope"] == "submodule" and provided is not None:
        needs, missing_kind = needed_modules(row["error"], provided)
        if needs:
            row.update(outcome="optional-dependency", needs=needs, missing_kind=missing_kind)
    return row


def judge_failures(rows, provided):
    """judge_failure() for every row, with ``provided`` per distribution (pure). A submodule that
    fails exactly like a failed package above it (same error type, message and missing modules:
    importing it ran the package's failing ``__init__`` again) is judged like that package."""
    failed = {}
    for row in sorted(rows, key=lambda r: (r["module"].count("."), r["module"])):
        judge_failure(row, provided.get(row["distribution"]))
        if row["outcome"] not in ("import-error", "optional-dependency"):
            continue
        err = row["error"] or {}
        key = (err.get("type"), err.get("message"), [e.get("name") for e in err.get("not_found") or ()])
        above = next((failed[a] for a in _ancestors(row["module"]) if a in failed), None)
        if above is not None and above[0] == key:
            origin = above[1]
            row.update(
                outcome=origin["outcome"], needs=list(origin["needs"]), missing_kind=origin["missing_kind"]
            )
        failed[row["module"]] = (key, row)
    return rows


# --- signals ---------------------------------------------------------------------------------------


def _failure_key(row):
    if row["outcome"] == "optional-dependency":
        return ("optional-dependency", tuple(row["needs"]))
    if row["outcome"] == "import-error":
        err = row["error"] or {}
        return ("import-error", err.get("type"), err.get("message"))
    if row["outcome"] == "crash":
        return ("crash", row["signal"])
    return (row["outcome"],)


def _ancestors(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def build_signals(rows):
    """Signals from the per-module table (pure).

    A failing submodule whose parent package fails the same way adds to the parent's signal
    (``also_failing``) instead of repeating it; every submodule needing the same missing modules adds
    to one ``optional-dependency`` signal, wherever it is. ``gil-reenabled`` is one signal per
    offending extension, listing every checked import that pulled it in.

    Evidence of every import-error, optional-dependency, crash and hang signal: ``module``,
    ``distribution``, ``module_kind``, ``scope`` (top-level | submodule), ``exit_status``,
    ``output_tail``, ``artifact``, ``also_failing``; import-error and optional-dependency add
    ``error_type``, ``error_message``, ``traceback``; optional-dependency adds ``needs`` and
    ``missing_kind``; crash adds ``signal`` and ``faulthandler``, hang ``timeout_s`` and ``stacks``;
    both add ``alone_outcome`` (None, or the outcome of importing the module alone after it died in a
    batch) and ``only_after`` (the earlier imports of its batch it needs to die, when alone it imports
    fine; else []).
    """
    signals = []
    by_failure = {}
    for row in sorted(rows, key=lambda r: (r["module"].count("."), r["module"])):
        outcome = row["outcome"]
        if outcome not in ("import-error", "optional-dependency", "crash", "hang"):
            continue
        key = _failure_key(row)
        if outcome == "optional-dependency":
            groups = [(row["distribution"], key)]
        else:
            groups = [(a, key) for a in _ancestors(row["module"])]
        owner = next((by_failure[g] for g in groups if g in by_failure), None)
        if owner is not None:
            if len(owner["evidence"]["also_failing"]) < LIST_CAP:
                owner["evidence"]["also_failing"].append(row["module"])
            by_failure[(row["module"], key)] = owner
            continue
        sig = _failure_signal(row)
        by_failure[(row["module"], key)] = sig
        if outcome == "optional-dependency":
            by_failure[(row["distribution"], key)] = sig
        signals.append(sig)

    by_offender = {}
    for row in rows:
        if not row.get("gil_reenabled"):
            continue
        for offender in row["offenders"] or ["<unknown>"]:
            sig = by_offender.get(offender)
            if sig is None:
                chain = row["chains"].get(offender) or [row["module"]]
                owner = _owning_distribution(offender)
                sig = protocol.signal(
                    "gil-reenabled",
                    _gil_summary(row["module"], offender, chain, owner, row["distribution"]),
                    module=offender,
                    distribution=row["distribution"],
                    offender_distribution=owner,
                    imported_by=[],
                    chain=chain,
                    warning=row.get("warning_offender") == offender,
                    offenders_in_same_import=list(row["offenders"]),
                )
                by_offender[offender] = sig
                signals.append(sig)
            elif len(sig["evidence"]["chain"]) == 1 and len(row["chains"].get(offender) or ()) > 1:
                # Importing the extension itself proves little; a chain from another import shows who pulls it in.
                sig["evidence"]["chain"] = row["chains"][offender]
                sig["summary"] = _gil_summary(row["module"], offender, row["chains"][offender],
                                              sig["evidence"]["offender_distribution"], row["distribution"])
            if len(sig["evidence"]["imported_by"]) < LIST_CAP:
                sig["evidence"]["imported_by"].append(row["module"])
    return signals


def _owning_distribution(module):
    """The installed distribution that ships ``module`` (its top-level package), or "" when unknown."""
    try:
        owners = importlib_metadata.packages_distributions().get(module.split(".")[0]) or []
    except Exception:  # a broken dist-info elsewhere must not cost the finding
        owners = []
    return owners[0] if owners else ""


def _canonical(name):
    """PEP 503 name normalisation (the lane side has no ``packaging``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _gil_summary(module, offender, chain, owner="", distribution=""):
    """One line; names the distribution the offending extension comes from when it is a dependency's
    (matplotlib's pdf backend imports fontTools' compiled modules: fonttools must declare, not matplotlib)."""
    of = ""
    if owner and distribution and _canonical(owner) != _canonical(distribution):
        of = " (from %s, a dependency)" % owner
    summary = "importing %r enables the GIL: %r%s has not declared that it can run without it" % (
        module,
        offender,
        of,
    )
    if len(chain) > 1:
        summary += " (pulled in by %s)" % " -> ".join(chain)
    return summary


def _failure_signal(row):
    module = row["module"]
    common = {
        "module": module,
        "distribution": row["distribution"],
        "module_kind": row["kind"],
        "scope": row["scope"],
        "exit_status": row["exit_status"],
        "output_tail": row["output_tail"],
        "artifact": row["artifact"],
        "also_failing": [],
    }
    if row["outcome"] in ("crash", "hang"):
        return _death_signal(row, common)
    err = row["error"] or {}
    error = {
        "error_type": err.get("type"),
        "error_message": err.get("message"),
        "traceback": err.get("traceback"),
    }
    if row["outcome"] == "optional-dependency":
        return protocol.signal(
            "optional-dependency",
            _needs_summary(module, row["needs"], row["missing_kind"]),
            needs=list(row["needs"]),
            missing_kind=row["missing_kind"],
            **error,
            **common,
        )
    return protocol.signal(
        "import-error",
        "importing %r raised %s: %s" % (module, err.get("type"), (err.get("message") or "")[:200]),
        **error,
        **common,
    )


def _needs_summary(module, needs, missing_kind):
    names = ", ".join(repr(n) for n in needs)
    if missing_kind == "not-in-distribution":
        return "%r needs %s, which this distribution does not ship on this lane" % (module, names)
    return "%r needs %s, which %s not installed" % (module, names, "is" if len(needs) == 1 else "are")


def _death_signal(row, common):
    """A crash or hang signal; one that needed the earlier imports of its batch says so."""
    death = row["batch_death"] or {}
    only_after = []
    if death.get("alone_outcome") == "ok":
        only_after = death.get("culprits") or death.get("after") or []
    context = {"alone_outcome": death.get("alone_outcome"), "only_after": list(only_after)}
    after = ""
    if only_after:
        after = " only after %s had been imported in the same process; alone it imports fine" % (
            ", ".join(repr(m) for m in only_after[:3]) + (" and more" if len(only_after) > 3 else "")
        )
    if row["outcome"] == "crash":
        return protocol.signal(
            "crash",
            "importing %r crashed the interpreter (%s)%s" % (row["module"], row["signal"], after),
            signal=row["signal"],
            faulthandler=row["faulthandler"],
            **context,
            **common,
        )
    return protocol.signal(
        "hang",
        "importing %r did not finish within %g s%s" % (row["module"], row.get("timeout_s") or 0, after),
        timeout_s=row.get("timeout_s"),
        stacks=row["faulthandler"],
        **context,
        **common,
    )


# --- the check -------------------------------------------------------------------------------------


def read_options(job):
    """The job's options with defaults, checked (ValueError says which option is wrong and why)."""
    raw = dict(job.get("options") or {})
    distributions = list(raw.get("distributions") or [])
    modules = list(raw.get("modules") or [])
    if not distributions and not modules:
        subject = job.get("subject") or {}
        if subject.get("name"):
            distributions = [subject["name"]]
    if not distributions and not modules:
        raise ValueError("imports: the job names no distributions or modules to import")
    gil = raw.get("gil")
    if gil is not None:
        gil = str(gil)
        if gil != "0":
            raise ValueError('imports: option gil must be null or "0", got %r' % (raw.get("gil"),))
    budget = raw.get("module_budget", MODULE_BUDGET)
    if budget is not None and (not isinstance(budget, int) or budget < 1):
        raise ValueError("imports: module_budget must be a positive integer or null, got %r" % (budget,))
    timeout = float(raw.get("module_timeout_s") or MODULE_TIMEOUT_S)
    if timeout <= 0:
        raise ValueError("imports: module_timeout_s must be positive, got %r" % (timeout,))
    batch_size = raw.get("batch_size", BATCH_SIZE)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError("imports: batch_size must be a positive integer, got %r" % (batch_size,))
    return {
        "distributions": distributions,
        "modules": modules,
        "exclude_tests": bool(raw.get("exclude_tests", True)),
        "exclude_vendored": bool(raw.get("exclude_vendored", True)),
        "module_budget": budget,
        "module_timeout_s": timeout,
        "batch_size": batch_size,
        "isolate_extensions": bool(raw.get("isolate_extensions", False)),
        "gil": gil,
    }


def lane_facts():
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "executable": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "gil_enabled_in_parent": bool(is_gil_enabled()) if is_gil_enabled else True,
    }


def _safe_tag(index, module, suffix=""):
    return "%04d-%s%s" % (index, re.sub(r"[^A-Za-z0-9_.]", "_", module)[:80], suffix)


def _keep_artifact(log_path, artifacts_dir, tag):
    """Move a failed import's output into the job's artifacts (cut to its end when huge)."""
    if not artifacts_dir:
        return None
    target_dir = os.path.join(artifacts_dir, "imports")
    os.makedirs(target_dir, exist_ok=True)
    target = os.path.join(target_dir, tag + ".log")
    size = os.path.getsize(log_path)
    if size <= ARTIFACT_MAX_BYTES:
        shutil.copyfile(log_path, target)
    else:
        with open(log_path, "rb") as src, open(target, "wb") as dst:
            src.seek(size - ARTIFACT_MAX_BYTES)
            dst.write(b"[... %d bytes cut ...]\n" % (size - ARTIFACT_MAX_BYTES))
            dst.write(src.read())
    return target


def run(job):
    """Import every selected module, in batches. Returns ``status``, ``data``, ``signals``.

    ``data``::

        {"lane": {"executable", "version", "free_threaded", "ext_suffix", "gil_enabled_in_parent"},
         "options": {...as read, with defaults...},
         "discovery": {"distributions": [{"name", "found", "version", "source", "modules", "selected",
                                          "excluded_count", "excluded": [{"module", "reason"}],
                                          "excluded_by_reason": {reason: n},
                                          "budget_cut", "dropped": [str], "namespaces": [str]}],
                       "counts": {"package", "module", "extension"}, "budget_cut": int,
                       "missing": [str], "exclude_tests", "exclude_vendored", "module_budget"},
         "modules": [row, ...],        # see classify() and judge_failure(); one per checked module
         "skipped": [{"module", "reason"}],     # selected, but the job's time ran out
         "not_checked": {"count": int, "by_reason": {reason: n}},   # excluded, over budget, skipped
         "children": [{"id", "mode": "batch"|"alone"|"verbose"|"bisect", "modules", "first",
                       "end", "exit_status", "seconds"}],
         "child_seconds": float,       # wall time of every child together
         "summary": {outcome: count}}

    Rows added to classify()'s: ``scope``, ``needs``, ``missing_kind`` (judge_failure()),
    ``preloaded_by`` (the import chain that had already loaded the module in its batch, or None),
    ``child`` (the id in ``children`` of the child that judged it) and ``batch_death`` (None, or
    ``{"outcome", "signal", "after", "after_count", "alone_outcome", "culprits", "artifact"}`` when
    the module's batch died while importing it: ``after`` the modules imported before it in that
    process, ``alone_outcome`` the outcome of importing it alone, ``culprits`` the earlier modules
    it needs to die, found by bisection, or None).
    """
    started = time.monotonic()
    options = read_options(job)
    lane = lane_facts()
    data = {"lane": lane, "options": options, "modules": [], "skipped": []}
    if options["gil"] == "0" and not lane["free_threaded"]:
        data["error"] = (
            "option gil=0 needs a free-threaded build; %s is a GIL build "
            "('Disabling the GIL is not supported by this build')" % lane["executable"]
        )
        return {"status": "error", "data": data, "signals": []}

    targets, discovery, provided = plan_modules(options, list(machinery.EXTENSION_SUFFIXES))
    data["discovery"] = discovery
    if not targets:
        data["error"] = "nothing to import: %s" % (
            "distribution(s) not installed: %s" % ", ".join(discovery["missing"])
            if discovery["missing"]
            else "the distributions provide no importable modules"
        )
        return {"status": "error", "data": data, "signals": []}

    job_timeout = job.get("timeout_s")
    deadline = started + float(job_timeout) - JOB_MARGIN_S if job_timeout else None
    workdir = tempfile.mkdtemp(prefix="ftlab-imports-")
    try:
        checker = Checker(options, lane, workdir, job.get("artifacts_dir"), deadline)
        rows, unstarted = checker.check_all(targets)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    data["modules"] = judge_failures(rows, provided)
    data["skipped"] = [{"module": m, "reason": "job time budget exhausted"} for m, _, _ in unstarted]
    data["not_checked"] = not_checked(discovery, data["skipped"])
    data["children"] = checker.children
    data["child_seconds"] = round(sum(c["seconds"] for c in checker.children), 3)
    summary = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        summary[row["outcome"]] += 1
    data["summary"] = summary
    signals = build_signals(rows)
    return {"status": "findings" if signals else "ok", "data": data, "signals": signals}


#: ``not_checked`` reasons, as a report finishes "N modules not checked: ...".
EXCLUSION_PHRASES = {
    "tests": "test modules (exclude_tests)",
    "vendored": "vendored copies of other packages (exclude_vendored)",
    "__main__": "__main__ (importing it runs the command line)",
}


def not_checked(discovery, skipped):
    """``{"count", "by_reason"}``: every discovered module that was not imported, and why (pure)."""
    by_reason = {}
    for dist in discovery["distributions"]:
        for reason, n in dist.get("excluded_by_reason", {}).items():
            phrase = EXCLUSION_PHRASES.get(reason, reason)
            by_reason[phrase] = by_reason.get(phrase, 0) + n
    if discovery["budget_cut"]:
        by_reason["over the module budget of %s" % discovery["module_budget"]] = discovery["budget_cut"]
    for entry in skipped:
        by_reason[entry["reason"]] = by_reason.get(entry["reason"], 0) + 1
    return {"count": sum(by_reason.values()), "by_reason": by_reason}


class Checker:
    """The children of one job: started within the job's time, accounted for in ``children``."""

    def __init__(self, options, lane, workdir, artifacts_dir, deadline):
        self.options = options
        self.lane = lane
        self.workdir = workdir
        self.artifacts_dir = artifacts_dir
        self.deadline = deadline
        self.children = []

    def time_left(self):
        """Seconds a child may still take, or None without a job deadline."""
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic() - KILL_GRACE_S

    def can_start(self):
        left = self.time_left()
        return left is None or left >= MIN_MODULE_TIMEOUT_S

    def start(self, modules, mode, verbose=False):
        """One child for ``modules``; its raw facts, with ``child`` its id."""
        child_id = len(self.children)
        tag = _safe_tag(child_id, modules[0], "-" + mode)
        raw = run_child(
            modules,
            self.options["module_timeout_s"],
            self.options["gil"],
            self.workdir,
            tag,
            verbose=verbose,
            budget_s=self.time_left(),
        )
        end = next((e.get("reason") for e in raw["events"] if e.get("event") == "end"), None)
        self.children.append(
            {
                "id": child_id,
                "mode": mode,
                "modules": len(modules),
                "first": modules[0],
                "end": end or "died",
                "exit_status": raw["returncode"],
                "seconds": round(raw["wall_seconds"], 3),
            }
        )
        raw["child"] = child_id
        return raw

    def check_all(self, targets):
        """Rows for ``targets`` in order, and the targets left unstarted when the job's time ran out."""
        rows, queue = [], list(targets)
        while queue and self.can_start():
            if self.alone(queue[0]):
                row = self.check_alone(queue[0])
                if row is None:
                    break
                rows.append(row)
                queue.pop(0)
                continue
            batch = []
            while queue and len(batch) < self.options["batch_size"] and not self.alone(queue[0]):
                batch.append(queue.pop(0))
            done, end = self.check_batch(batch)
            rows.extend(done)
            queue[:0] = batch[len(done) :]
            if end == "time":
                break
        return rows, queue

    def alone(self, target):
        """Whether ``target`` gets a child of its own: always without ``os.fork`` (a batch's imports
        would share one interpreter), with ``batch_size: 1``, and for extensions when isolated."""
        _, kind, _ = target
        isolate = self.options["isolate_extensions"] and kind in ("extension", None)
        return self.options["batch_size"] == 1 or isolate or not hasattr(os, "fork")

    def check_alone(self, target):
        """The row of ``target`` imported in a child of its own; None when the job's time ran out first."""
        raw = self.start([target[0]], "alone")
        judged, _ = split_child(raw, [target[0]])
        return self.finish(self.row(target, judged[0], raw["child"])) if judged else None

    def check_batch(self, batch):
        """Rows of the batch's modules the child got to, in order. An import that died after the child
        had kept earlier modules is imported again alone."""
        names = [module for module, _, _ in batch]
        raw = self.start(names, "batch")
        judged, end = split_child(raw, names)
        rows = []
        for target, facts in zip(batch, judged, strict=False):
            row = self.row(target, facts, raw["child"])
            kept = facts[3]
            if facts[1]["result"] is None and kept:  # the modules kept before it may be what killed it
                row = self.rerun_alone(target, row, kept)
            rows.append(self.finish(row))
        return rows, end

    def rerun_alone(self, target, batch_row, after):
        """The row of a module whose import died in a batch: its own outcome when alone it fails too;
        else the batch's death, saying which earlier imports it needs."""
        alone = self.check_alone(target)
        death = {
            "outcome": batch_row["outcome"],
            "signal": batch_row["signal"],
            "after": after[:LIST_CAP],
            "after_count": len(after),
            "alone_outcome": alone and alone["outcome"],
            "culprits": None,
            "artifact": batch_row["artifact"],
        }
        if alone is not None and alone["outcome"] not in ("ok", "gil-reenabled"):
            alone["batch_death"] = death
            return alone
        if alone is not None and batch_row["outcome"] == "crash":
            death["culprits"] = self.bisect(target[0], after)
        batch_row["batch_death"] = death
        return batch_row

    def bisect(self, module, after):
        """The earlier imports ``module`` needs to crash: the shortest prefix of ``after`` that still
        crashes it, narrowed to its last module when that one alone suffices; None when it does not
        crash again within BISECT_MAX_CHILDREN children (a hang is never bisected: each try costs a
        whole timeout)."""
        if len(after) >= 2 ** (BISECT_MAX_CHILDREN - 1):
            return None
        lo, hi, crashed = 1, len(after), False
        while lo < hi:
            mid = (lo + hi) // 2
            if self.crashes_after(module, after[:mid]):
                hi, crashed = mid, True
            else:
                lo = mid + 1
        if hi > 1 and self.crashes_after(module, [after[hi - 1]]):
            return [after[hi - 1]]
        if crashed or self.crashes_after(module, after[:hi]):
            return after[:hi][:LIST_CAP]
        return None

    def crashes_after(self, module, before):
        if not self.can_start():
            return False
        modules = [*before, module]
        raw = self.start(modules, "bisect")
        judged, _ = split_child(raw, modules)
        last = judged[-1] if judged else None
        return last is not None and last[0] == module and (last[1]["returncode"] or 0) < 0

    def row(self, target, facts, child_id):
        """The classified row of one module's facts (split_child()'s ``(module, raw, log, kept)``); a
        failure's output goes to the artifacts."""
        name, kind, distribution = target
        _, raw, log, _ = facts
        output, _ = read_output(log)
        timeout = raw.get("timeout_s") or self.options["module_timeout_s"]
        row = classify(
            name,
            kind,
            distribution,
            raw,
            output,
            timeout,
            free_threaded=self.lane["free_threaded"],
            gil_forced=self.options["gil"] is not None,
        )
        row["child"] = child_id
        if row["outcome"] != "ok" and os.path.exists(log):
            row["artifact"] = _keep_artifact(log, self.artifacts_dir, _safe_tag(child_id, name))
        return row

    def finish(self, row):
        """Name every offender of an import that turned the GIL on, from a ``-v`` child of its own."""
        if row["gil_reenabled"] and self.can_start():
            raw = self.start([row["module"]], "verbose", verbose=True)
            judged, _ = split_child(raw, [row["module"]])
            if judged:
                _, vraw, log, _ = judged[0]
                merge_verbose(row, vraw, read_output(log)[0])
        return row
