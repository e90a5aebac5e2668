"""One module's outcome from its child's facts: a row of the per-module table (pure).

The outcome comes from the first failure rule that holds (hang, crash, exit without a result, a raised
import), then the GIL rule adds ``gil-reenabled`` on a free-threaded lane with the GIL not forced."""

from ftlab_probes.runtime.imports.limits import OUTPUT_TAIL_CHARS
from ftlab_probes.runtime.imports.parsing import (
    GIL_WARNING_RE,
    HANG_RE,
    faulthandler_text,
    hang_stacks,
    parse_gil_warnings,
    parse_verbose_offenders,
    signal_name,
    unique,
)

#: Every outcome a module can have, in the order the summary counts them.
OUTCOMES = ("ok", "import-error", "optional-dependency", "crash", "hang", "gil-reenabled")


def classify(module, kind, distribution, raw, output, timeout, *, free_threaded, gil_forced):
    """One row of the per-module table from a child's raw facts and captured output (pure)."""
    result = raw.get("result")
    row = new_row(module, kind, distribution, raw, output)
    if result is not None:
        read_result(row, result, kind)
    for rule in FAILURE_RULES:
        found = rule(raw, result, output, timeout)
        if found is not None:
            row.update(found)
            break
    warned, warning_text = gil_warnings(result, output)
    if free_threaded and not gil_forced and (warned or gil_turned_on(row, result)):
        mark_reenabled(row, result, warned, warning_text)
    return row


def new_row(module, kind, distribution, raw, output):
    """A row with every key, saying ``ok`` until a rule finds otherwise."""
    return {
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
        "exit_status": raw.get("returncode"),
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


def read_result(row, result, kind):
    """What the child's ``done`` event says about the import: its time, the GIL before and after."""
    row["seconds"] = round(result.get("seconds") or 0.0, 6)
    row["preloaded_by"] = result.get("preloaded_by")
    row["gil_before"] = result.get("gil_before")
    row["gil_after"] = result.get("gil_after")
    if kind is None and result.get("kind"):
        row["kind"] = result["kind"]  # explicit modules: the child read it off __spec__


def hang(raw, result, output, timeout):
    """Killed by the parent, or faulthandler's timer fired before the import finished."""
    if raw.get("killed") or (result is None and HANG_RE.search(output or "")):
        return {"outcome": "hang", "faulthandler": hang_stacks(output), "timeout_s": timeout}
    return None


def crash(raw, result, output, timeout):
    """Killed by a signal before the import finished."""
    returncode = raw.get("returncode")
    if result is None and returncode is not None and returncode < 0:
        return {"outcome": "crash", "signal": signal_name(returncode), "faulthandler": faulthandler_text(output)}
    return None


def exited(raw, result, output, timeout):
    """The interpreter exited (``sys.exit``, ``os._exit``) before the import finished."""
    if result is not None:
        return None
    error = {
        "type": "exit",
        "message": "the interpreter exited with status %s before the import finished" % (raw.get("returncode"),),
        "traceback": faulthandler_text(output) or output[-OUTPUT_TAIL_CHARS:],
    }
    return {"outcome": "import-error", "error": error}


def raised(raw, result, output, timeout):
    """The import raised; the child recorded the exception."""
    if result.get("error"):
        return {"outcome": "import-error", "error": result["error"]}
    return None


#: Tried in order; the first that holds sets the outcome (``exited`` catches every death the two
#: before it did not, so ``raised`` always has a result to read).
FAILURE_RULES = (hang, crash, exited, raised)


def gil_warnings(result, output):
    """``(names, text)``: the modules the GIL RuntimeWarning named, from the warnings the child
    recorded and from its captured output (a crash may leave only the latter), and the first
    warning's text."""
    warned, text = [], None
    for w in (result or {}).get("warnings") or []:
        names = parse_gil_warnings(w.get("message")) if w.get("category") == "RuntimeWarning" else []
        if names and text is None:
            text = w["message"]
        warned.extend(names)
    warned = unique(warned + parse_gil_warnings(output))
    if warned and text is None:
        match = GIL_WARNING_RE.search(output)
        text = output[match.start() :].splitlines()[0]
    return warned, text


def gil_turned_on(row, result):
    """The GIL was off before the import and on after it (the warning may have been swallowed)."""
    return result is not None and row["gil_before"] is False and row["gil_after"] is True


def mark_reenabled(row, result, warned, warning_text):
    """The import turned the GIL on: name the offenders and their chains; a clean import becomes
    ``gil-reenabled``, a failed one keeps its failure."""
    row["gil_reenabled"] = True
    row["offenders"] = list(warned)
    row["warning"] = warning_text
    row["warning_offender"] = warned[0] if warned else None
    if result is not None:
        chains = result.get("chains") or {}
        row["chains"] = {name: chains[name] for name in warned if name in chains}
    if row["outcome"] == "ok":
        row["outcome"] = "gil-reenabled"


def merge_verbose(row, raw, output):
    """Name every offender from the ``-v`` child (pure): the warning fires once, ``-v`` lines every time."""
    offenders = parse_verbose_offenders(output)
    result = raw.get("result") or {}
    chains = result.get("chains") or {}
    row["offenders"] = unique(offenders + row["offenders"])
    for name in row["offenders"]:
        if name not in row["chains"] and name in chains:
            row["chains"][name] = chains[name]
    row["verbose_pass"] = {
        "exit_status": raw.get("returncode"),
        "offenders": offenders,
        "completed": raw.get("result") is not None,
    }
    return row
