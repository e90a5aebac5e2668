"""Kill a real multi-package ftlab run with SIGKILL, resume it, and compare it with an uninterrupted run.

The subjects are tiny wheels served by the loopback index (``tests.support.index_server``): a few that
import cleanly (each import takes a moment, so the import stage has a window to be killed in), one whose
import fails (a finding, so signals are compared too), and one whose import is slow: the kill comes while
its sandboxed child runs, so "no process of the killed run survives" is asserted about a live child.
A run can also be killed while its lane venvs are being filled (``kill_during="install"``).

``kill_and_resume`` does it all and returns counts (and details for a test to assert on); it is used by
``tests/e2e/test_kill_resume.py`` and ``benchmarks/killresume.py``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from tests.support import dists

#: Each clean package's import sleeps this long: the import stage lasts long enough to be killed in.
IMPORT_DELAY_S = 0.2
#: The slow package's import: it is running when ftlab is killed, and would outlive the check below.
SLOW_IMPORT_S = 4.0
#: After the kill, processes of the run get this long to go away (the sandbox kills them with the host).
SURVIVOR_GRACE_S = 3.0
#: A run of these few wheels takes seconds; past this something hangs.
RUN_TIMEOUT_S = 300.0

CLEAN = ("kr-alpha", "kr-beta", "kr-gamma", "kr-delta")
BROKEN = "kr-broken"
SLOW = "kr-slow"
#: Run order: clean ones first, so results are recorded before the slow import starts.
PACKAGES = (CLEAN[0], CLEAN[1], BROKEN, SLOW, CLEAN[2], CLEAN[3])


def write_packages(dest: Path) -> Path:
    """The wheels of ``PACKAGES`` in ``dest`` (flat, for ``IndexServer``)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        pkg = dists.dist_name(name)
        if name == BROKEN:
            body = "import kr_no_such_module_anywhere  # an import error on every lane\n"
        else:
            delay = SLOW_IMPORT_S if name == SLOW else IMPORT_DELAY_S
            body = f"import time\ntime.sleep({delay})\n__version__ = '1.0'\n"
        meta = dists.metadata_text(name, "1.0")
        path = dest / f"{pkg}-1.0-py3-none-any.whl"
        path.write_bytes(dists.wheel_bytes(name, "1.0", "py3-none-any", meta, {f"{pkg}/__init__.py": body}))
    return dest


def _env(store: Path) -> dict[str, str]:
    return {**os.environ, "FTLAB_STORE": str(store), "FTLAB_REPORT_DIR": str(store.parent / "reports"),
            "NO_COLOR": "1", "UV_HTTP_RETRIES": "0"}


def run_args(index_url: str, lanes: Sequence[str]) -> list[str]:
    lane_args = [a for lane in lanes for a in ("--lane", lane)]
    return ["run", *PACKAGES, "--index-url", index_url, *lane_args, "--checks", "install,import",
            "--no-provision", "--jobs", "2"]


def ftlab(store: Path, *args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftlab", *args], capture_output=True, text=True, env=_env(store),
                          cwd=store.parent, timeout=timeout)


def snapshot(store: Path) -> dict[str, tuple[str, tuple[str, ...], float]]:
    """job id without its run id -> (status, signal kinds, recorded_at), for the store's only run."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        kinds: dict[str, list[str]] = {}
        for job_id, kind in conn.execute("SELECT job_id, kind FROM signals ORDER BY id"):
            kinds.setdefault(job_id, []).append(kind)
        return {job_id.split("/", 1)[1]: (status, tuple(sorted(kinds.get(job_id, ()))), recorded_at)
                for job_id, status, recorded_at in conn.execute("SELECT job_id, status, recorded_at FROM results")}
    finally:
        conn.close()


def verdict_table(store: Path) -> dict[tuple[str, str], str]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return {(s, ln): v for s, ln, v in conn.execute("SELECT subject, lane, verdict FROM verdicts")}
    finally:
        conn.close()


def _recorded(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM results").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created yet


def run_processes(runs_dir: Path) -> list[str]:
    """Command lines of live processes that belong to a run under ``runs_dir`` (by command line or cwd)."""
    needle = str(runs_dir)
    found = []
    for p in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmdline = " ".join(p.info["cmdline"] or ())
            cwd = p.info["cwd"] or ""
        except (psutil.Error, TypeError):
            continue
        if p.pid != os.getpid() and (needle in cmdline or cwd.startswith(needle)):
            found.append(f"{p.pid}: {cmdline or '(no cmdline)'} (cwd {cwd})")
    return found


#: Where a run can be killed: while the slow package's import runs (results recorded, envs built), or
#: while lane venvs are being filled (nothing recorded yet; the resume must rebuild them).
KILL_POINTS = ("import", "install")


def _kill_point_reached(kill_during: str, store: Path, runs_dir: Path) -> bool:
    if kill_during == "install":
        return any(" pip install" in c for c in run_processes(runs_dir))
    return bool(_recorded(store)) and any("/import/" in c and SLOW in c for c in run_processes(runs_dir))


def uninterrupted(index_url: str, lanes: Sequence[str], workdir: Path) -> dict[str, Any]:
    """The same run, done without interruption: what a resumed run must end up equal to."""
    store = workdir / "ftlab.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    proc = ftlab(store, *run_args(index_url, lanes))
    return {"exit": proc.returncode, "seconds": round(time.monotonic() - t0, 2), "results": snapshot(store),
            "verdicts": verdict_table(store)}


def kill_and_resume(index_url: str, lanes: Sequence[str], workdir: Path, *, kill_during: str = "import",
                    baseline: dict[str, Any] | None = None, sig: int = signal.SIGKILL) -> dict[str, Any]:
    """Run, kill ftlab at ``kill_during`` with ``sig`` (SIGINT: a Ctrl-C), resume; compare with ``baseline``
    (an ``uninterrupted`` run, done here when not given). Counts and details; ``error`` is set (and the
    rest partial) when the run could not be killed mid-way."""
    started = time.monotonic()
    killed_store = workdir / "killed" / "ftlab.sqlite"
    killed_store.parent.mkdir(parents=True, exist_ok=True)
    args = run_args(index_url, lanes)
    runs_dir = killed_store.parent / "runs"
    out: dict[str, Any] = {"packages": len(PACKAGES), "lanes": list(lanes), "kill_during": kill_during,
                           "error": None}

    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "ftlab", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=_env(killed_store), cwd=killed_store.parent)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while proc.poll() is None and time.monotonic() < deadline:
        if _kill_point_reached(kill_during, killed_store, runs_dir):
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        out["error"] = f"the run ended (exit {proc.returncode}) before it could be killed: {proc.stderr.read()[-2000:]}"
        return out
    os.kill(proc.pid, sig)
    err = proc.communicate(timeout=RUN_TIMEOUT_S)[1]
    out["exit_after_signal"] = proc.returncode
    out["stderr_after_signal"] = err[-1000:]
    out["seconds_before_kill"] = round(time.monotonic() - t0, 2)
    before = snapshot(killed_store)
    time.sleep(SURVIVOR_GRACE_S)
    out["survivors"] = run_processes(runs_dir)
    runs_listing = json.loads(ftlab(killed_store, "runs", "--json").stdout)["runs"]
    out["status_after_kill"] = runs_listing[0]["status"] if runs_listing else None

    t0 = time.monotonic()
    resumed = ftlab(killed_store, "run", "--resume", "--json")
    out["seconds_resume"] = round(time.monotonic() - t0, 2)
    out["resume_exit"] = resumed.returncode
    out["resume_stderr_tail"] = resumed.stderr[-2000:]
    after = snapshot(killed_store)
    check = ftlab(killed_store, "runs", "--check", "--json")
    out["store_check_exit"] = check.returncode
    out["store_check"] = json.loads(check.stdout) if check.stdout.strip() else None

    baseline = baseline or uninterrupted(index_url, lanes, workdir / "straight")
    out["seconds_uninterrupted"] = baseline["seconds"]
    out["uninterrupted_exit"] = baseline["exit"]
    straight = baseline["results"]

    lost = sorted(k for k in before if k not in after)
    redone = sorted(k for k in before if k in after and after[k][2] != before[k][2])
    mismatched = sorted(k for k in set(after) | set(straight)
                        if after.get(k, (None, None))[:2] != straight.get(k, (None, None))[:2])
    verdicts_killed, verdicts_straight = verdict_table(killed_store), baseline["verdicts"]
    out.update({
        "jobs_total": len(after),
        "jobs_uninterrupted": len(straight),
        "recorded_before_kill": len(before),
        "results_lost": len(lost),
        "jobs_redone": len(redone),
        "mismatches": len(mismatched),
        "verdict_mismatches": sum(verdicts_killed.get(k) != v for k, v in verdicts_straight.items())
        + len(set(verdicts_killed) - set(verdicts_straight)),
        "lost": lost, "redone": redone,
        "mismatched": {k: {"resumed": after.get(k, (None, None))[:2], "uninterrupted": straight.get(k, (None, None))[:2]}
                       for k in mismatched},
        "seconds": round(time.monotonic() - started, 2),
    })
    return out
