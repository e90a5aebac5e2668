"""Imports in a fresh interpreter: the child half of the import check.

``launch.run_child()`` runs this file's *source* with ``LANE_PYTHON -X faulthandler -c SOURCE PLAN OUT`` from
an empty working directory, so nothing of ftlab lands on the child's ``sys.path`` and no file of ours
can shadow a tested module. PLAN is a JSON file::

    {"modules": [{"module": str, "log": path}, ...],  # judged in this order
     "timeout_s": float,                  # per module: faulthandler dumps every stack and exits
     "budget_s": float | null,            # for the whole child: stop before starting a module too late
     "min_timeout_s": float}              # ... that is, when less than this is left for it

Each module is imported in a fork of this process (``judge()``); when that import was clean (no
error, the GIL as it was), this process imports it too (``keep()``), so the next forks start with it
loaded, and with nothing a failed or GIL-enabling import left behind. Without ``os.fork`` the import
happens here (the parent then sends one module per child). Before each module fds 1 and 2 point at
that module's ``log``, so its output (and faulthandler's text, should it die) is its own. OUT gets
one JSON line per event, each written with one ``write`` as it happens::

    {"event": "start", "module": str, "timeout_s": float}     # a death after this pins the module
    {"event": "done", "module": str, "ok": bool, "seconds": float,
     "gil_before": bool|null, "gil_after": bool|null,         # sys._is_gil_enabled(), null before 3.13
     "error": {"type": str, "message": str, "traceback": str,
               "not_found": [{"name": str, "via": "ModuleNotFoundError" | "from-import"}]} | null,
     "warnings": [{"category": str, "message": str, "filename": str, "lineno": int}],
     "kind": str, "origin": str|null,                         # from the imported module's __spec__
     "chains": {module: [outer import, ..., module]},         # every module this import loaded
     "preloaded_by": [import, ..., module] | null}            # already loaded by a kept import
    {"event": "died", "module": str, "returncode": int}       # its fork ended before "done"
    {"event": "kept", "module": str}                          # loaded here for the next forks
    {"event": "end", "reason": "done" | "time" | "not-kept"}

Every warning is also written to fd 2 as it happens, so a crash after the GIL was re-enabled still
leaves the RuntimeWarning in the captured output.

Stdlib only, syntax for CPython 3.10+; it must not import anything a tested package could shadow
beyond the modules the interpreter itself has loaded at startup.
"""

import faulthandler
import importlib
import json
import os
import sys
import time
import traceback
import warnings

#: Tracebacks of a failed import are kept to this many characters (the end, where the cause is).
TRACEBACK_CHARS = 8000
#: A package that warns in a loop must not make the result file huge.
MAX_WARNINGS = 50


def _import_chain():
    """Names of the imports in progress on this thread, outermost first.

    Each pending import has a frame of ``importlib._bootstrap._find_and_load(name, ...)`` on the
    stack, also when the import was started from C (PyImport_Import goes through it), so the frames
    *are* the chain of "who pulled this module in".
    """
    names = []
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_find_and_load" and "_bootstrap" in code.co_filename:
            name = frame.f_locals.get("name")
            if isinstance(name, str):
                names.append(name)
        frame = frame.f_back
    names.reverse()
    return names


class ChainRecorder:
    """A meta path finder that finds nothing and records, for each module loaded, its import chain."""

    def __init__(self):
        self.chains = {}

    def find_spec(self, name, path=None, target=None):
        if name not in self.chains:
            try:
                self.chains[name] = _import_chain()
            except Exception:  # never let the recorder break the import it watches
                self.chains[name] = [name]
        return None


def _module_kind(module):
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if spec is not None and spec.submodule_search_locations is not None:
        if origin in (None, "namespace"):
            return "namespace", None
        return "package", origin
    if origin in ("built-in", "frozen"):
        return origin, origin
    if isinstance(origin, str):
        from importlib.machinery import EXTENSION_SUFFIXES

        if origin.endswith(tuple(EXTENSION_SUFFIXES)):
            return "extension", origin
        return "module", origin
    return "unknown", None


def not_found(exc):
    """Modules the failed import looked for and did not find, from the whole exception chain.

    Walks ``__cause__`` and ``__context__`` (pandas raises its own ImportError *while handling* the
    ModuleNotFoundError for matplotlib). ``from pkg import name`` that finds neither an attribute nor a
    submodule raises a plain ImportError with ``name`` and (3.12+) ``name_from``: recorded as
    ``via: "from-import"``, since the import system cannot tell a missing submodule from a missing
    attribute.
    """
    found, seen, todo = [], set(), [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        name = getattr(e, "name", None) if isinstance(e, ImportError) else None
        if isinstance(e, ModuleNotFoundError) and name:
            found.append({"name": name, "via": "ModuleNotFoundError"})
        elif name and getattr(e, "name_from", None):
            found.append({"name": "%s.%s" % (name, e.name_from), "via": "from-import"})
        todo.extend((e.__cause__, e.__context__))
    return found


def _error(exc):
    cls = type(exc)
    qualified = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        qualified = "%s.%s" % (cls.__module__, cls.__qualname__)
    return {
        "type": qualified,
        "message": str(exc)[:2000],
        "traceback": "".join(traceback.format_exception(cls, exc, exc.__traceback__))[-TRACEBACK_CHARS:],
        "not_found": not_found(exc),
    }


def _emit(text):
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def check(module, loaded_chains):
    """Import ``module`` once; ``loaded_chains`` holds the chains of every earlier import of this process
    (updated with this one's), so a module an earlier import loaded says which."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    result = {"module": module, "ok": False, "error": None, "warnings": [], "kind": "unknown", "origin": None}
    result["preloaded_by"] = loaded_chains.get(module) if module in sys.modules else None
    result["gil_before"] = bool(is_gil_enabled()) if is_gil_enabled else None

    def showwarning(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        if len(result["warnings"]) < MAX_WARNINGS:
            result["warnings"].append(
                {"category": category.__name__, "message": text, "filename": str(filename), "lineno": lineno}
            )
        _emit("%s:%s: %s: %s\n" % (filename, lineno, category.__name__, text))

    recorder = ChainRecorder()
    sys.meta_path.insert(0, recorder)
    with warnings.catch_warnings():
        # "always": the GIL warning must be seen even if the package filters RuntimeWarning at startup.
        warnings.simplefilter("always")
        warnings.showwarning = showwarning
        started = time.perf_counter()
        try:
            imported = importlib.import_module(module)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt raised by the module count too
            imported = None
            result["error"] = _error(exc)
        result["seconds"] = time.perf_counter() - started
    try:
        sys.meta_path.remove(recorder)
    except ValueError:
        pass
    result["gil_after"] = bool(is_gil_enabled()) if is_gil_enabled else None
    if imported is not None:
        result["ok"] = True
        result["kind"], result["origin"] = _module_kind(imported)
    result["chains"] = recorder.chains
    for name, chain in recorder.chains.items():
        loaded_chains.setdefault(name, chain)
    return result


def _record(out_path, event):
    # Opened for each line: a tested module may close every file descriptor it finds.
    line = (json.dumps(event, default=repr) + "\n").encode("utf-8")
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _redirect_output(log_path):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass  # a module replaced or closed it
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _is_clean(result):
    return result["error"] is None and not (result["gil_before"] is False and result["gil_after"] is True)


def judge(module, timeout, loaded_chains, out_path):
    """Import ``module`` once and record its result: in a fork of this process where there is
    ``os.fork``, else here (the parent then sends one module per child). Returns ``("clean" |
    "not-clean", None)`` once the result is recorded, or ``("died", exit status)`` when the import
    ended its process first (a signal, a hang's faulthandler exit, ``os._exit`` in the module)."""
    if not hasattr(os, "fork"):
        return _import_and_record(module, timeout, loaded_chains, out_path), None
    verdict_path = out_path + ".verdict"
    with warnings.catch_warnings():
        # "This process is multi-threaded, use of fork() may lead to deadlocks": a deadlock is a hang,
        # recorded with its stacks, and the module is then imported again in a process of its own.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        try:
            verdict = _import_and_record(module, timeout, loaded_chains, out_path)
            # Written by path, last: a module may close every descriptor, or exit with any status.
            with open(verdict_path, "w", encoding="utf-8") as f:
                f.write(verdict + " " + module)
        finally:
            os._exit(0)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    try:
        with open(verdict_path, encoding="utf-8") as f:
            verdict, _, judged = f.read().partition(" ")
        os.unlink(verdict_path)
    except OSError:
        verdict, judged = None, None
    return (verdict, None) if judged == module else ("died", status)


def _import_and_record(module, timeout, loaded_chains, out_path):
    # Armed for each import: a hang dumps every thread's stack and exits before the parent kills.
    faulthandler.dump_traceback_later(timeout, exit=True)
    result = check(module, loaded_chains)
    faulthandler.cancel_dump_traceback_later()
    result["event"] = "done"
    _record(out_path, result)
    return "clean" if _is_clean(result) else "not-clean"


def keep(module, timeout, loaded_chains):
    """Import ``module`` here as well, after its fork imported it cleanly, so the next forks start with
    it loaded. False when that went otherwise (it did in the fork): the module is not kept."""
    faulthandler.dump_traceback_later(timeout, exit=True)
    result = check(module, loaded_chains)
    faulthandler.cancel_dump_traceback_later()
    return _is_clean(result)


def run(plan, out_path):
    """Judge the plan's modules in order, each in a fork of a process that holds only the modules
    imported cleanly before it; the reason the child stopped."""
    started = time.monotonic()
    budget = plan.get("budget_s")
    loaded_chains = {}
    for entry in plan["modules"]:
        module, timeout = entry["module"], plan["timeout_s"]
        if budget is not None:
            timeout = min(timeout, budget - (time.monotonic() - started))
            if timeout < plan["min_timeout_s"]:
                return "time"
        _redirect_output(entry["log"])
        _record(out_path, {"event": "start", "module": module, "timeout_s": timeout})
        verdict, status = judge(module, timeout, loaded_chains, out_path)
        if verdict == "died":
            _record(out_path, {"event": "died", "module": module, "returncode": status})
        elif verdict == "clean" and hasattr(os, "fork"):
            if not keep(module, timeout, loaded_chains):
                return "not-kept"  # imported cleanly in its fork, not here: this process is no longer clean
            _record(out_path, {"event": "kept", "module": module})
    return "done"


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    out_path = argv[2]
    if not faulthandler.is_enabled():
        faulthandler.enable()
    reason = run(plan, out_path)
    _record(out_path, {"event": "end", "reason": reason})
    # Skip interpreter shutdown: the tested package's atexit handlers and non-daemon threads are not
    # part of the import check, and must not turn a finished import into a hang.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
