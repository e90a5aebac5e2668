"""The hostile suite: `ftlab run` on extensions/hostile (twelve import-time attacks and a build script
that attacks) next to a harmless subject, in a store that already holds a run, with a loopback server
that must see no connection. ``run_suite`` does it and returns what a test or a benchmark counts:
cases contained, processes left, files touched outside the sandbox, connections that got through.

Used by ``tests/e2e/test_hostile.py`` and ``benchmarks/hostile.py``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "extensions" / "hostile"
HARMLESS = ROOT / "extensions" / "calibration" / "registry"
#: Command-line markers of the daemons the attacks start.
MARKERS = ("ftfix-hostile-daemon", "ftfix-hostile-build-daemon")
#: Files the attacks try to write outside the sandbox.
PWNED = ("ftfix-hostile-pwned.txt", "ftfix-hostile-build-pwned.txt")
#: A hung import is cut off after this: three attacks hang, so it sets most of the suite's time.
MODULE_TIMEOUT_S = 4
#: Address space per sandboxed process: the allocation attack stops at this instead of 8 GB.
MEMORY_LIMIT_MB = 512
RUN_TIMEOUT_S = 400.0

#: module -> (outcome, text its evidence must contain). extensions/README.md's hostile table.
EXPECTED = {
    "ftfix_hostile": ("ok", ""),
    "ftfix_hostile.segfault": ("crash", "SIGSEGV"),
    "ftfix_hostile.fakeresult": ("crash", "SIGSEGV"),
    "ftfix_hostile.exit0": ("import-error", "exited with status 0"),
    "ftfix_hostile.spin": ("hang", ""),
    "ftfix_hostile.csleep": ("hang", ""),
    "ftfix_hostile.ignoreterm": ("hang", ""),
    "ftfix_hostile.allocate": ("import-error", "MemoryError"),
    "ftfix_hostile.flood": ("import-error", "File too large"),
    "ftfix_hostile.network": ("import-error", "no network"),
    "ftfix_hostile.wipe": ("import-error", "could not touch anything outside the sandbox"),
    "ftfix_hostile.closestdout": ("import-error", "failed after closing its standard streams"),
    "ftfix_hostile.daemon": ("ok", ""),
}


class Listener:
    """A TCP server on loopback that counts the connections it accepts (the network attack reads
    /proc/net/tcp and tries every listening loopback port)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def survivors(run_dir: Path | None = None) -> list[str]:
    """Live processes an attack started, or any process whose command line names the run's folder."""
    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(p.info["cmdline"] or [])
        ours = any(m in cmd for m in MARKERS) or (run_dir is not None and str(run_dir) in cmd)
        if ours and p.info["status"] != psutil.STATUS_ZOMBIE and p.pid != os.getpid():
            out.append(cmd[:200])
    return out


def _inside_a_venv(relative: Path) -> bool:
    """runs/RUN/envs/LANE/...: a lane's venv, which builds may write (the sandbox lets them)."""
    parts = relative.parts
    return "envs" in parts and len(parts) > parts.index("envs") + 2


def evidence_text(row: dict) -> str:
    err = row.get("error") or {}
    return " ".join(str(x) for x in (row.get("signal"), err.get("message"), err.get("traceback"),
                                     row.get("output_tail")) if x)


def _ftlab(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FTLAB_STORE": str(workdir / ".ftlab" / "ftlab.sqlite"),
           "FTLAB_REPORT_DIR": str(workdir / "reports"), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "ftlab", *args], capture_output=True, text=True, cwd=workdir,
                          env=env, timeout=RUN_TIMEOUT_S)


def run_suite(workdir: Path, lane: str = "3.12") -> dict[str, Any]:
    """Run the hostile suite in ``workdir`` (a fresh folder) on ``lane``; counts and details."""
    workdir.mkdir(parents=True, exist_ok=True)
    first = _ftlab(workdir, "run", str(HARMLESS), "--lane", lane, "--no-provision", "--checks", "install")
    home = Path.home()
    home_before = {p.name: p.stat().st_mtime for p in home.iterdir()}
    listener = Listener()
    started = time.monotonic()
    try:
        proc = _ftlab(workdir, "run", str(HOSTILE / "runtime"), str(HOSTILE / "buildscript"), str(HARMLESS),
                      "--lane", lane, "--no-provision", "--checks", "install,import",
                      "--module-timeout", str(MODULE_TIMEOUT_S), "--memory-limit", str(MEMORY_LIMIT_MB), "--json")
    finally:
        listener.close()
    seconds = time.monotonic() - started
    out: dict[str, Any] = {"exit": proc.returncode, "first_exit": first.returncode, "seconds": round(seconds, 1),
                           "stderr_tail": proc.stderr[-2000:], "connections": listener.accepted}
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        out["error"] = f"ftlab printed no JSON (exit {proc.returncode}): {proc.stderr[-500:]}"
        return out
    results = {(r["subject"], r["check"]): r for r in doc["results"]}
    out["results"] = results
    out["verdicts"] = {v["subject"]: v["verdict"] for v in doc["verdicts"]}
    hostile = results.get(("ftfix-hostile", "import"), {})
    rows = {row["module"]: row for row in (hostile.get("data") or {}).get("modules", [])}
    out["rows"] = rows
    contained = {m: rows.get(m, {}).get("outcome") == outcome and evidence in evidence_text(rows.get(m, {}))
                 for m, (outcome, evidence) in EXPECTED.items() if m != "ftfix_hostile"}
    build = (results.get(("ftfix-hostile-build", "install"), {}).get("data") or {}).get("subject_dist") or {}
    build_daemon_killed = any(MARKERS[1] in c for c in build.get("left_running") or [])
    contained["build script"] = build.get("outcome") == "local" and build_daemon_killed
    out["contained"] = contained
    out["cases"] = len(contained)
    out["cases_contained"] = sum(contained.values())
    out["rest_of_run_ok"] = all(results.get((s, c), {}).get("status") == "ok"
                                for s in ("ftcalib-registry", "ftfix-hostile-build") for c in ("install", "import"))
    time.sleep(0.5)
    out["survivors"] = survivors(Path(doc.get("artifacts_dir", "/nonexistent")))
    stray = [str(p) for name in PWNED for p in workdir.rglob(name) if not _inside_a_venv(p.relative_to(workdir))]
    stray += [str(home / name) for name in PWNED if (home / name).exists()]
    home_after = {p.name: p.stat().st_mtime for p in home.iterdir()}
    stray += [f"{home}/{name} (changed)" for name in set(home_before) ^ set(home_after)]
    store = workdir / ".ftlab" / "ftlab.sqlite"
    try:
        with sqlite3.connect(store) as db:
            sound = db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.Error as exc:
        sound, runs = False, f"unreadable: {exc}"
    if not sound or runs != 2:
        stray.append(f"{store} (integrity ok: {sound}, runs: {runs}, expected 2)")
    out["touched_outside"] = stray
    pages = sorted((workdir / "reports").glob("*.html"), key=lambda p: p.stat().st_mtime)
    out["report_html"] = pages[-1].read_text(encoding="utf-8") if pages else ""
    return out
