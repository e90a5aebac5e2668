"""One import in a fresh interpreter: the child half of the import check.

``imports.py`` runs this file's *source* with ``LANE_PYTHON -X faulthandler -c SOURCE MODULE OUT TIMEOUT``
from an empty working directory, so nothing of ftlab lands on the child's ``sys.path`` and no file
of ours can shadow a tested module. It imports MODULE once and writes one JSON document to OUT::

    {"module": str, "ok": bool, "seconds": float,
     "gil_before": bool|null, "gil_after": bool|null,     # sys._is_gil_enabled(), null before 3.13
     "error": {"type": str, "message": str, "traceback": str} | null,
     "warnings": [{"category": str, "message": str, "filename": str, "lineno": int}],
     "kind": str, "origin": str|null,                     # from the imported module's __spec__
     "chains": {module: [outer import, ..., module]}}     # every module this import loaded

A crash or a hang leaves no OUT file: the parent reads the exit status and faulthandler's text instead.
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


def _emit(text):
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def check(module):
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    result = {"module": module, "ok": False, "error": None, "warnings": [], "kind": "unknown", "origin": None}
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
            result["error"] = {
                "type": "%s.%s" % (type(exc).__module__, type(exc).__qualname__)
                if type(exc).__module__ not in ("builtins", "__main__")
                else type(exc).__qualname__,
                "message": str(exc)[:2000],
                "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[
                    -TRACEBACK_CHARS:
                ],
            }
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
    return result


def main(argv):
    module, out_path, timeout = argv[1], argv[2], float(argv[3])
    if not faulthandler.is_enabled():
        faulthandler.enable()
    if timeout > 0:
        # Dump every thread's stack and exit before the parent kills the process group.
        faulthandler.dump_traceback_later(timeout, exit=True)
    result = check(module)
    faulthandler.cancel_dump_traceback_later()
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, default=repr)
    os.replace(tmp, out_path)
    # Skip interpreter shutdown: the tested package's atexit handlers and non-daemon threads are not
    # part of the import check, and must not turn a finished import into a hang.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
