"""The `perf` command: what importing a subject costs on this lane (startup latency, CPU, peak RSS).

Each sample is a fresh child of ``sys.executable``, so every number is a cold import as a CLI or a
worker process sees it. Bare interpreter startups are sampled the same way, interleaved, so the
import's own cost can be told from the interpreter's.

Options (``job["options"]``)::

    modules: [str]       # what to import; default: the subject distribution's top-level modules
    samples: int = 15    # children per measurement
    timeout_s: float     # per child (20)

``data``::

    {"startup_ms": stats, "import_ms": stats, "cpu_ms": stats, "rss_mb": stats,
     "bare_startup_ms": stats, "bare_rss_mb": stats, "modules": [...], "samples": int, "failed": str|null}

with ``stats = {"p50", "p95", "mean", "min", "max", "n"}``. The host compares lanes against the run's
baseline lane and turns budget overruns into ``perf-regression`` signals.
"""

import os
import subprocess
import sys
import tempfile
import time

#: Enough samples for a p95 that is not just the maximum, few enough to keep a job under a minute.
SAMPLES = 15
#: A cold import of a big C extension (torch) can take tens of seconds.
CHILD_TIMEOUT_S = 20.0


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

    from probes.runtime import imports

    options = imports.read_options({"subject": job.get("subject"), "options": {}})
    targets, _ = imports.plan_modules(options, list(machinery.EXTENSION_SUFFIXES))
    return [m for m, kind, _dist in targets if "." not in m and kind != "namespace"]


def run(job):
    options = job.get("options") or {}
    modules = list(options.get("modules") or top_level_modules(job))
    if not modules:
        return {"status": "error", "data": {"error": "the distribution provides no importable top-level module"},
                "signals": []}
    n = int(options.get("samples") or SAMPLES)
    timeout = float(options.get("timeout_s") or CHILD_TIMEOUT_S)
    code = "import " + ", ".join(modules)
    bare, full = [], []
    failed = None
    for _ in range(n):
        # Interleaved, so drift in machine load hits both series alike.
        bare.append(sample("pass", timeout))
        try:
            full.append(sample(code, timeout))
        except RuntimeError as exc:
            failed = str(exc)
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
