"""The `perf` command: what a subject costs on this lane, cold and under load.

Cold: each sample is a fresh child of ``sys.executable``, so every number is a cold import as a CLI or
a worker process sees it. Bare interpreter startups are sampled the same way, interleaved, so the
import's own cost can be told from the interpreter's.

Under load: the subject's probes' operations, and the user's own callables (``--workload``), are the
workloads (``ftlab_probes.runtime.perf_workload``): 1, 2, 4... threads call them for a fixed time after
a warm-up, on one shared object and on one object per thread, in ``repeats`` fresh processes, so the
spread between repeats is known. A probe comes from the host (hand-written or declared in the
project's pyproject.toml), or from the installed distribution's ``ftlab.probes`` entry points (a
wheel carries no pyproject.toml).

Every workload is timed, within a budget (``budget_s``, measuring time per job): when they do not all
fit at the requested window and repeats, the window shrinks (to MIN_SECONDS), then the repeats (to
MIN_REPEATS), unless the host fixed them; workloads that still do not fit are left out, by name, in
``workload_plan`` and the note.

The lane's build (``CONFIG_ARGS``, PGO, LTO, compiler) is recorded beside the figures: lanes built
differently measure the build as much as the interpreter.

Options (``job["options"]``)::

    modules: [str]       # what to import; default: the subject distribution's top-level modules
                         # (none for the standard library: bare startups only)
    samples: int = 15    # children per cold measurement
    timeout_s: float     # per cold child (20)
    probes: [str]        # workloads, "module:Class"; default: the distribution's ftlab.probes entry points
    callables: [str]     # the user's workloads, "module:function" (timed first)
    paths: [str]         # folders the callables' modules are imported from (after the lane's own)
    shapes: [str]        # default ["shared", "independent"]
    max_workloads: int   # a cap on the workloads (default: none, every one within budget_s)
    budget_s: float = 90 # measuring time for all workloads of the job (an estimate: windows + processes)
    seconds: float = 0.2 # per thread count, shape and repeat (shrunk to fit budget_s unless fixed)
    warmup_s: float = 0.1
    repeats: int = 5     # (reduced to fit budget_s unless fixed)
    fixed: [str]         # which of "seconds", "repeats" the user set: the budget does not change those
    measure_lock: str    # a file the perf jobs of a run take turns on (flock), chunk by chunk
    threads: [int]       # default: 1, 2, 4... up to the cores
    seed: int = 0

``data``::

    {"startup_ms": stats, "import_ms": stats, "cpu_ms": stats, "rss_mb": stats,
     "bare_startup_ms": stats, "bare_rss_mb": stats, "modules": [...], "samples": int, "failed": str|null,
     "workloads": [{"probe": str, "kind": "probe"|"callable", "repeats": int, "seconds": float,
                    "warmup_s": float, "threads": [int],
                    "points": [{"threads": n, "ops_per_s": spread, "speedup": float,
                                "cpu_us_per_op": spread, "latency_us": {"p50": spread, "p95": spread,
                                "p99": spread}, "errors": int}],        # the shared shape
                    "independent_points": [same] | [],             # one object per thread
                    "stateless": bool,                             # a callable with one shape
                    "rss_mb": spread, "error": str|null}],
     "scaling": [{"threads", "ops_per_s", "speedup"}],   # the first workload's medians, for the plots
     "workload_note": str|null,                          # why nothing (or not everything) was measured
     "workload_plan": {"budget_s", "seconds", "warmup_s", "repeats", "shapes", "timed": int,
                       "total": int, "left_out": [str], "estimate_s": float,
                       "took_s": float}|null,                # took_s: wall time, turns on the lock included
     "build": {"version", "config_args", "pgo": bool, "lto": bool, "cc", "gil_disabled": bool},
     "turns": {"count": int, "waited_s": float}|null}    # turns taken on the run's measurement lock

with ``stats = {"p50", "p95", "mean", "min", "max", "n", "values"}`` over samples and ``spread = {"median",
"min", "max", "values"}`` over repeats. The host compares lanes against the run's baseline lane and
turns budget overruns outside the measured spread into ``perf-regression`` signals.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time

from ftlab_probes.runtime.children import run_json_child

try:
    import fcntl
except ImportError:  # Windows: jobs measure side by side
    fcntl = None

#: Enough samples for a p95 that is not just the maximum, few enough to keep a job under a minute.
SAMPLES = 15
#: A cold import of a big C extension (torch) can take tens of seconds.
CHILD_TIMEOUT_S = 20.0
#: Per thread count and repeat: long enough for thousands of calls of a 100 us operation, short
#: enough that a subject's perf job stays well under a minute (the host can ask for more).
SECONDS = 0.2
#: Warm-up before each window, not counted.
WARMUP_S = 0.1
#: Fresh processes per workload. With five a side, all five candidate repeats land above all five
#: baseline ones by chance once in 252 comparisons (three a side: once in 20), which is what keeps an
#: unchanged build from being flagged.
REPEATS = 5
#: Cold samples taken per turn of the measurement lock (the rest of a turn goes to other lanes).
COLD_CHUNK = 5
#: Measuring time for all of a job's workloads: the standard library's 19 probes fit at reduced
#: windows (about 80 s a lane on 2 cores); a package's one or two probes at the full settings.
BUDGET_S = 90.0
#: The shortest window and the fewest repeats the budget may shrink to: thousands of calls of a 10 us
#: operation, and a spread that still has a middle.
MIN_SECONDS = 0.05
MIN_REPEATS = 3
#: A workload process's start (interpreter and hypothesis: about 3 s on 2 loaded cores, measured),
#: and each workload's own set-up in it (the probe loaded, its calls drawn), for the estimate.
PROCESS_S = 3.0
WORKLOAD_S = 0.5
#: Beyond its windows, how long one workload may take in a repeat's process before it is stuck.
WORKLOAD_GRACE_S = 15.0
#: A workload process's fixed costs beyond its windows: interpreter and hypothesis start, drawing calls.
WORKLOAD_OVERHEAD_S = 30.0
#: The entry point group an installed distribution declares its probes in.
PROBE_ENTRY_POINTS = "ftlab.probes"


def percentile(values, q):
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def stats(values):
    return {
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "mean": round(sum(values) / len(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
        # Every sample, in order taken: the host's gates need the spread, not just the summary.
        "values": [round(v, 3) for v in values],
    }


def sample(code, timeout):
    """One child: (wall ms, cpu ms, peak RSS MB), or raises RuntimeError with the child's error."""
    # stderr goes to a file, not a pipe: a chatty import must not block on a full pipe while we poll.
    with tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=err_file, stdin=subprocess.DEVNULL
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise RuntimeError("import did not finish within %.0f s" % timeout)
            time.sleep(0.0005)
        wall = (time.perf_counter() - started) * 1000.0
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace")
    exit_code = os.waitstatus_to_exitcode(status)
    if exit_code != 0:
        last = (err.strip().splitlines() or ["exit status %d" % exit_code])[-1]
        raise RuntimeError(last[:300])
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss = usage.ru_maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else usage.ru_maxrss / 1024.0
    cpu = (usage.ru_utime + usage.ru_stime) * 1000.0
    return wall, cpu, rss


def top_level_modules(job):
    """The subject distribution's top-level modules, discovered as the import check discovers them."""
    from importlib import machinery

    from ftlab_probes.runtime.imports.check import read_options
    from ftlab_probes.runtime.imports.discovery import plan_modules

    options = read_options({"subject": job.get("subject"), "options": {}})
    targets, _, _ = plan_modules(options, list(machinery.EXTENSION_SUFFIXES))
    return [m for m, kind, _dist in targets if "." not in m and kind != "namespace"]


@contextlib.contextmanager
def exclusive(path, waits=None):
    """Hold the run's measurement lock (a file the host made; ``flock`` works on a read-only descriptor,
    and across the sandbox's mount namespace): perf jobs of several lanes then take turns, chunk by
    chunk, instead of measuring each other, and drift in machine load is spread over every lane.
    Seconds spent waiting for a turn are appended to ``waits``."""
    if not path or fcntl is None or not os.path.isfile(path):
        yield
        return
    with open(path, "rb") as f:
        started = time.perf_counter()
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        if waits is not None:
            waits.append(time.perf_counter() - started)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def spread(values):
    ordered = sorted(values)
    return {"median": round(percentile(ordered, 50), 4), "min": round(ordered[0], 4),
            "max": round(ordered[-1], 4), "values": [round(v, 4) for v in values]}


def declared_entry_points(name):
    """``module:Class`` probes an installed distribution declares (``[project.entry-points."ftlab.probes"]``)."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return []
    return [ep.value for ep in dist.entry_points if ep.group == PROBE_ENTRY_POINTS]


def windows(options):
    """Windows per repeat and shape: 1, 2, 4... up to the cores (at least 2), or the counts asked for."""
    return len(options.get("threads") or []) or max(2, os.cpu_count() or 2).bit_length()


def workload_repeat(todo, options, workdir, index):
    """One repeat of the workloads ``todo`` ([(name, kind)], in order) in a fresh process: the entries of
    those it finished, in order, and when the process ended early the error of the one it was running."""
    counts = options["threads"]
    out = os.path.join(workdir, "workload-%d-%d.json" % (os.getpid(), index))
    shapes = options.get("shapes") or ["shared"]
    cmd = [sys.executable, "-m", "ftlab_probes.runtime.perf_workload",
           "--seed", str(options["seed"]), "--seconds", str(options["seconds"]),
           "--warmup", str(options["warmup_s"]), "--shapes", ",".join(shapes), "--out", out]
    for name, kind in todo:
        cmd += ["--callable" if kind == "callable" else "--probe", name]
    for path in options.get("paths") or []:
        cmd += ["--path", path]
    if counts:
        cmd += ["--threads", ",".join(str(n) for n in counts)]
    per_workload = (options["seconds"] + options["warmup_s"]) * windows(options) * len(shapes) + WORKLOAD_GRACE_S
    timeout = WORKLOAD_OVERHEAD_S + per_workload * len(todo)
    doc = run_json_child(cmd, out, timeout, "the workloads' process")
    done = [w for w in doc.get("workloads") or [] if isinstance(w, dict)]
    if doc.get("complete"):
        return done, None  # all of them, or up to a stuck one: the rest go to a fresh process
    running = doc.get("running") or (todo[len(done)][0] if len(done) < len(todo) else None)
    why = doc.get("error") or "the process ended while it ran (a crash: see the perf job's artifacts)"
    return done, (running, why)


def summarise(probe, repeats, options, kind="probe"):
    """Repeats of one workload -> per thread count and shape medians and ranges (``data["workloads"]`` entry)."""
    good = [r for r in repeats if "points" in r and not r.get("error")]
    entry = {"probe": probe, "kind": kind, "repeats": len(good), "seconds": options["seconds"],
             "warmup_s": options["warmup_s"], "threads": [], "points": [], "independent_points": [],
             "stateless": any(r.get("stateless") for r in good), "rss_mb": None, "error": None}
    failed = [r["error"] for r in repeats if r.get("error")]
    if failed:
        entry["error"] = "%d of %d repeats failed: %s" % (len(failed), len(repeats), failed[0])
    if not good:
        return entry
    entry["points"] = _summarise_points(good, "points")
    entry["independent_points"] = _summarise_points(good, "independent_points")
    entry["threads"] = [p["threads"] for p in entry["points"] or entry["independent_points"]]
    entry["rss_mb"] = spread([r["rss_mb"] for r in good])
    return entry


def _summarise_points(good, key):
    counts = [p["threads"] for p in good[0].get(key) or []]
    points = []
    for i, n in enumerate(counts):
        rows = [r[key][i] for r in good if len(r.get(key) or []) > i]
        point = {"threads": n, "ops_per_s": spread([p["ops_per_s"] for p in rows]),
                 "errors": sum(p.get("errors", 0) for p in rows)}
        cpu = [p["cpu_us_per_op"] for p in rows if p.get("cpu_us_per_op") is not None]
        point["cpu_us_per_op"] = spread(cpu) if cpu else None
        point["latency_us"] = {}
        for q in ("p50", "p95", "p99"):
            values = [p["latency_us"][q] for p in rows if p["latency_us"].get(q) is not None]
            point["latency_us"][q] = spread(values) if values else None
        points.append(point)
    base = points[0]["ops_per_s"]["median"] if counts and counts[0] == 1 else None
    for point in points:
        # ftscalingbench's speedup, t1 x N / tN, is the ratio of total rates for a fixed time.
        point["speedup"] = round(point["ops_per_s"]["median"] / base, 3) if base else None
    return points


def cost(count, seconds, warmup, repeats, options):
    """Estimated seconds to time ``count`` workloads: a process per repeat, each workload's set-up and
    windows (every thread count and shape) in it."""
    per_window = windows(options) * len(options.get("shapes") or ["shared"])
    return repeats * (PROCESS_S + count * (WORKLOAD_S + per_window * (seconds + warmup)))


def plan(count, options, fixed=()):
    """(seconds, warmup_s, repeats, workloads that fit): every workload within ``budget_s`` if it can be
    done, shrinking what the user did not fix (``fixed``) first: the window, then the repeats."""
    seconds, warmup = options["seconds"], options["warmup_s"]
    repeats, budget = options["repeats"], options["budget_s"]
    per_window = windows(options) * len(options.get("shapes") or ["shared"])
    if cost(count, seconds, warmup, repeats, options) > budget and "seconds" not in fixed:
        # The window that fits, warm-up in proportion; no shorter than MIN_SECONDS.
        share = (budget / repeats - PROCESS_S) / count - WORKLOAD_S
        fit = share / (per_window * (1 + warmup / seconds)) if share > 0 else 0.0
        new = max(MIN_SECONDS, min(seconds, fit))
        warmup, seconds = round(warmup * new / seconds, 4), round(new, 4)
    if cost(count, seconds, warmup, repeats, options) > budget and "repeats" not in fixed:
        fit = int(budget // cost(count, seconds, warmup, 1, options))
        repeats = max(MIN_REPEATS, min(repeats, fit))
    fits = int((budget / repeats - PROCESS_S) // (WORKLOAD_S + per_window * (seconds + warmup)))
    return seconds, warmup, repeats, max(1, min(count, fits))


def measure_workloads(job, options, workdir, waits=None):
    """``(workloads, note, plan)``: the subject's probes and the user's callables timed under load, or
    why none were, and how the budget was spent."""
    probes = list(options.get("probes") or [])
    subject = (job.get("subject") or {}).get("name")
    if not probes and subject:
        probes = declared_entry_points(subject)
    todo = [(c, "callable") for c in options.get("callables") or []] + [(p, "probe") for p in probes]
    if not todo:
        return [], "no probe for this subject (hand-written, declared in pyproject.toml or as an " \
                   "ftlab.probes entry point) and no --workload: nothing measured under load", None
    notes = []
    limit = options.get("max_workloads")
    if limit is not None and int(limit) <= 0:
        return [], "workloads not measured (max_workloads is 0)", None
    capped = todo[:int(limit)] if limit is not None else todo
    if len(capped) < len(todo):
        notes.append("%d of %d workloads timed (max_workloads)" % (len(capped), len(todo)))
    settings = {"seconds": float(options.get("seconds") or SECONDS),
                "warmup_s": float(options.get("warmup_s") if options.get("warmup_s") is not None else WARMUP_S),
                "threads": [int(n) for n in options.get("threads") or []], "seed": int(options.get("seed") or 0),
                "shapes": list(options.get("shapes") or ["shared", "independent"]),
                "paths": list(options.get("paths") or []),
                "repeats": max(1, int(options.get("repeats") or REPEATS)),
                "budget_s": float(options.get("budget_s") or BUDGET_S)}
    seconds, warmup, repeats, fit = plan(len(capped), settings, options.get("fixed") or ())
    settings.update(seconds=seconds, warmup_s=warmup)
    timed, left = capped[:fit], capped[fit:]
    if left:
        notes.append("%d of %d workloads timed within the %.0f s budget (--perf-time); left out: %s"
                     % (len(timed), len(todo), settings["budget_s"], ", ".join(name for name, _ in left)))
    runs = {name: [] for name, _ in timed}
    started = time.perf_counter()
    for index in range(repeats):
        # A workload that failed its first repeat will not start on the next try either.
        remaining = [(n, k) for n, k in timed if not (index > 0 and all(r.get("error") for r in runs[n]))]
        while remaining:
            with exclusive(options.get("measure_lock"), waits):
                done, failed = workload_repeat(remaining, settings, workdir, index)
            for entry in done:
                runs[entry["name"]].append({"error": entry["error"]} if entry.get("error") else entry)
            remaining = remaining[len(done):]
            if failed:
                if failed[0] in runs:
                    runs[failed[0]].append({"error": failed[1]})
                remaining = [w for w in remaining if w[0] != failed[0]]
    out = [summarise(name, runs[name], settings, kind) for name, kind in timed]
    record = {"budget_s": settings["budget_s"], "seconds": seconds, "warmup_s": warmup, "repeats": repeats,
              "shapes": settings["shapes"], "timed": len(timed), "total": len(todo),
              "left_out": [name for name, _ in todo[len(timed):]],
              "estimate_s": round(cost(len(timed), seconds, warmup, repeats, settings), 1),
              "took_s": round(time.perf_counter() - started, 1)}
    return out, "; ".join(notes) or None, record


def build_info():
    """How this interpreter was built: lanes built differently (PGO+LTO against plain -O3) measure the
    build as much as free threading."""
    import sysconfig

    config = sysconfig.get_config_var("CONFIG_ARGS") or ""
    flags = " ".join(str(sysconfig.get_config_var(k) or "") for k in ("PY_CFLAGS", "PY_LDFLAGS", "LDFLAGS"))
    return {"version": sys.version.split()[0], "config_args": config,
            "pgo": "--enable-optimizations" in config or "-fprofile-use" in flags,
            "lto": "--with-lto" in config or "-flto" in flags,
            "cc": (sysconfig.get_config_var("CC") or "").split(" ")[0],
            "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED"))}


def scaling_points(workloads):
    for w in workloads:
        if w["points"]:
            return [{"threads": p["threads"], "ops_per_s": p["ops_per_s"]["median"], "speedup": p["speedup"]}
                    for p in w["points"]]
    return []


def run(job):
    options = job.get("options") or {}
    # The standard library has nothing to import cold (it is the interpreter): startup and workloads only.
    stdlib = (job.get("subject") or {}).get("kind") == "stdlib"
    modules = [] if stdlib else list(options.get("modules") or top_level_modules(job))
    if not modules and not stdlib:
        return {"status": "error", "data": {"error": "the distribution provides no importable top-level module"},
                "signals": []}
    n = int(options.get("samples") or SAMPLES)
    timeout = float(options.get("timeout_s") or CHILD_TIMEOUT_S)
    code = "import " + ", ".join(modules) if modules else None
    bare, full = [], []
    failed = None
    lock = options.get("measure_lock")
    waits = []
    for i in range(0, n, COLD_CHUNK):
        with exclusive(lock, waits):
            for _ in range(min(COLD_CHUNK, n - i)):
                # Interleaved, so drift in machine load hits both series alike.
                bare.append(sample("pass", timeout))
                if code is None:
                    continue
                try:
                    full.append(sample(code, timeout))
                except RuntimeError as exc:
                    failed = str(exc)
                    break
        if failed:
            break
    data = {"modules": modules, "samples": n, "failed": failed,
            "bare_startup_ms": stats([s[0] for s in bare]), "bare_rss_mb": stats([s[2] for s in bare])}
    if full:
        bare_p50 = percentile([s[0] for s in bare], 50)
        data.update({
            "startup_ms": stats([s[0] for s in full]),
            "import_ms": stats([max(0.0, s[0] - bare_p50) for s in full]),
            "cpu_ms": stats([s[1] for s in full]),
            "rss_mb": stats([s[2] for s in full]),
        })
    status = "error" if failed else "ok"
    if failed:
        data["error"] = "importing %s failed while measuring: %s" % (", ".join(modules), failed)
        return {"status": status, "data": data, "signals": []}
    workdir = job.get("artifacts_dir") or tempfile.gettempdir()
    os.makedirs(workdir, exist_ok=True)
    workloads, note, workload_plan = measure_workloads(job, options, workdir, waits)
    data.update({"workloads": workloads, "scaling": scaling_points(workloads), "workload_note": note,
                 "workload_plan": workload_plan, "build": build_info(),
                 # None: measured without the run's lock (no lock file, or no flock on this OS).
                 "turns": {"count": len(waits), "waited_s": round(sum(waits), 3)} if waits else None})
    return {"status": status, "data": data, "signals": []}
