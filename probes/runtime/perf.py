"""The `perf` command: what a subject costs on this lane, cold and under load.

Cold: each sample is a fresh child of ``sys.executable``, so every number is a cold import as a CLI or
a worker process sees it. Bare interpreter startups are sampled the same way, interleaved, so the
import's own cost can be told from the interpreter's.

Under load: the subject's probes' operations are the workloads (``ftlab_probes.runtime.perf_workload``):
1, 2, 4... threads call them on one shared object for a fixed time after a warm-up, in ``repeats``
fresh processes, so the spread between repeats is known. A probe comes from the host (hand-written
or declared in the project's pyproject.toml), or from the installed distribution's ``ftlab.probes``
entry points (a wheel carries no pyproject.toml).

Options (``job["options"]``)::

    modules: [str]       # what to import; default: the subject distribution's top-level modules
                         # (none for the standard library: bare startups only)
    samples: int = 15    # children per cold measurement
    timeout_s: float     # per cold child (20)
    probes: [str]        # workloads, "module:Class"; default: the distribution's ftlab.probes entry points
    max_workloads: int = 2
    seconds: float = 0.2 # per thread count and repeat
    warmup_s: float = 0.1
    repeats: int = 5
    measure_lock: str    # a file the perf jobs of a run take turns on (flock), chunk by chunk
    threads: [int]       # default: 1, 2, 4... up to the cores
    seed: int = 0

``data``::

    {"startup_ms": stats, "import_ms": stats, "cpu_ms": stats, "rss_mb": stats,
     "bare_startup_ms": stats, "bare_rss_mb": stats, "modules": [...], "samples": int, "failed": str|null,
     "workloads": [{"probe": str, "repeats": int, "seconds": float, "warmup_s": float, "threads": [int],
                    "points": [{"threads": n, "ops_per_s": spread, "speedup": float,
                                "cpu_us_per_op": spread, "latency_us": {"p50": spread, "p95": spread,
                                "p99": spread}, "errors": int}],
                    "rss_mb": spread, "error": str|null}],
     "scaling": [{"threads", "ops_per_s", "speedup"}],   # the first workload's medians, for the plots
     "workload_note": str|null,                          # why nothing was measured under load
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
#: Workloads per subject (the standard library has dozens of probes): the first ones, in order.
MAX_WORKLOADS = 2
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

    from ftlab_probes.runtime import imports

    options = imports.read_options({"subject": job.get("subject"), "options": {}})
    targets, _, _ = imports.plan_modules(options, list(machinery.EXTENSION_SUFFIXES))
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


def workload_repeat(probe, options, workdir, index):
    """One repeat in a fresh process: its document, or ``{"error": why}``."""
    counts = options["threads"]
    out = os.path.join(workdir, "workload-%d-%d.json" % (os.getpid(), index))
    cmd = [sys.executable, "-m", "ftlab_probes.runtime.perf_workload", "--probe", probe,
           "--seed", str(options["seed"]), "--seconds", str(options["seconds"]),
           "--warmup", str(options["warmup_s"]), "--out", out]
    if counts:
        cmd += ["--threads", ",".join(str(n) for n in counts)]
    # 1, 2, 4... up to the cores (at least 2): as many windows as the cores' bit length.
    windows = len(counts) or max(2, os.cpu_count() or 2).bit_length()
    timeout = (options["seconds"] + options["warmup_s"]) * windows + WORKLOAD_OVERHEAD_S
    return run_json_child(cmd, out, timeout, "the workload")


def summarise(probe, repeats, options):
    """Repeats of one workload -> per thread count medians and ranges (``data["workloads"]`` entry)."""
    good = [r for r in repeats if "points" in r]
    entry = {"probe": probe, "repeats": len(good), "seconds": options["seconds"], "warmup_s": options["warmup_s"],
             "threads": [], "points": [], "rss_mb": None, "error": None}
    failed = [r["error"] for r in repeats if "error" in r]
    if failed:
        entry["error"] = "%d of %d repeats failed: %s" % (len(failed), len(repeats), failed[0])
    if not good:
        return entry
    counts = [p["threads"] for p in good[0]["points"]]
    entry["threads"] = counts
    for i, n in enumerate(counts):
        rows = [r["points"][i] for r in good if len(r["points"]) > i]
        point = {"threads": n, "ops_per_s": spread([p["ops_per_s"] for p in rows]),
                 "errors": sum(p.get("errors", 0) for p in rows)}
        cpu = [p["cpu_us_per_op"] for p in rows if p.get("cpu_us_per_op") is not None]
        point["cpu_us_per_op"] = spread(cpu) if cpu else None
        point["latency_us"] = {}
        for q in ("p50", "p95", "p99"):
            values = [p["latency_us"][q] for p in rows if p["latency_us"].get(q) is not None]
            point["latency_us"][q] = spread(values) if values else None
        entry["points"].append(point)
    base = entry["points"][0]["ops_per_s"]["median"] if counts and counts[0] == 1 else None
    for point in entry["points"]:
        # ftscalingbench's speedup, t1 x N / tN, is the ratio of total rates for a fixed time.
        point["speedup"] = round(point["ops_per_s"]["median"] / base, 3) if base else None
    entry["rss_mb"] = spread([r["rss_mb"] for r in good])
    return entry


def measure_workloads(job, options, workdir, waits=None):
    """``(workloads, note)``: the subject's probes timed under load, or why none were."""
    probes = list(options.get("probes") or [])
    subject = (job.get("subject") or {}).get("name")
    if not probes and subject:
        probes = declared_entry_points(subject)
    if not probes:
        return [], "no probe for this subject (hand-written, declared in pyproject.toml or as an " \
                    "ftlab.probes entry point): nothing measured under load"
    note = None
    limit = MAX_WORKLOADS if options.get("max_workloads") is None else int(options["max_workloads"])
    if limit <= 0:
        return [], "workloads not measured (max_workloads is 0)"
    if len(probes) > limit:
        note = "%d of %d probes timed (max_workloads)" % (limit, len(probes))
        probes = probes[:limit]
    settings = {"seconds": float(options.get("seconds") or SECONDS),
                "warmup_s": float(options.get("warmup_s") if options.get("warmup_s") is not None else WARMUP_S),
                "threads": [int(n) for n in options.get("threads") or []], "seed": int(options.get("seed") or 0)}
    repeats = max(1, int(options.get("repeats") or REPEATS))
    out = []
    for probe in probes:
        runs = []
        for index in range(repeats):
            with exclusive(options.get("measure_lock"), waits):
                runs.append(workload_repeat(probe, settings, workdir, index))
            if "error" in runs[-1] and index == 0:
                break  # a workload that cannot start will not start on the next try either
        out.append(summarise(probe, runs, settings))
    return out, note


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
    workloads, note = measure_workloads(job, options, workdir, waits)
    data.update({"workloads": workloads, "scaling": scaling_points(workloads), "workload_note": note,
                 # None: measured without the run's lock (no lock file, or no flock on this OS).
                 "turns": {"count": len(waits), "waited_s": round(sum(waits), 3)} if waits else None})
    return {"status": status, "data": data, "signals": []}
