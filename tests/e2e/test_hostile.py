"""The hostile suite through the real CLI: `ftlab run` on extensions/hostile (twelve import-time
attacks and a build script that attacks), next to a harmless subject. Each attack is contained and
recorded with the right outcome, the lab exits normally, the harmless subject is unaffected, nothing
outside the sandbox changes (the store, the folders above the venv, the home folder, a loopback server
that must see no connection) and no process started by the run is left."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from pathlib import Path

import psutil
import pytest

from lab import sandbox

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "extensions" / "hostile"
HARMLESS = ROOT / "extensions" / "calibration" / "registry"
MARKERS = ("ftfix-hostile-daemon", "ftfix-hostile-build-daemon")
PWNED = ("ftfix-hostile-pwned.txt", "ftfix-hostile-build-pwned.txt")

#: module -> (outcome, what its evidence must say). From extensions/README.md's hostile table.
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

LAYERS = sandbox.isolation_prefix(False)[1]


class Listener:
    """A TCP server on loopback that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def survivors() -> list[str]:
    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if any(m in cmd for m in MARKERS) and p.info["status"] != psutil.STATUS_ZOMBIE:
            out.append(cmd)
    return out


def inside_a_venv(relative: Path) -> bool:
    """runs/RUN/envs/LANE/...: a lane's venv, which its builds may write."""
    parts = relative.parts
    return "envs" in parts and len(parts) > parts.index("envs") + 2


def error_text(row: dict) -> str:
    err = row.get("error") or {}
    return " ".join(str(x) for x in (row.get("signal"), err.get("message"), err.get("traceback"), row.get("output_tail")) if x)


@pytest.mark.slow
@pytest.mark.skipif(not {"netns", "pidns", "mountns"} <= set(LAYERS),
                    reason=f"the hostile suite needs network, PID and mount namespaces (granted here: {list(LAYERS) or 'none'})")
def test_hostile_packages_are_contained_and_recorded(cli, py312, tmp_path):
    # An earlier run in the same store must survive the attacks on it.
    cli("run", str(HARMLESS), "--lane", "3.12", "--no-provision", "--checks", "install", check=0)
    home_before = {p.name for p in Path.home().iterdir()}
    listener = Listener()
    try:
        started = time.monotonic()
        doc, proc = cli.json("run", str(HOSTILE / "runtime"), str(HOSTILE / "build"), str(HARMLESS),
                             "--lane", "3.12", "--no-provision", "--checks", "install,import",
                             "--module-timeout", "4", "--memory-limit", "1024", timeout=400)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert proc.returncode == 1, proc.stderr  # findings, not a lab failure
    assert "Traceback" not in proc.stderr

    results = {(r["subject"], r["check"]): r for r in doc["results"]}
    for subject in ("ftfix-hostile", "ftfix-hostile-build", "ftcalib-registry"):
        assert results[(subject, "install")]["status"] == "ok", results[(subject, "install")]["reason"]
    assert results[("ftcalib-registry", "import")]["status"] == "ok"
    assert results[("ftfix-hostile-build", "import")]["status"] == "ok"

    hostile = results[("ftfix-hostile", "import")]
    rows = {row["module"]: row for row in hostile["data"]["modules"]}
    assert set(rows) == set(EXPECTED)
    for module, (outcome, evidence) in EXPECTED.items():
        assert rows[module]["outcome"] == outcome, (module, rows[module])
        assert evidence in error_text(rows[module]), (module, error_text(rows[module])[-500:])
    assert {s["kind"] for s in hostile["signals"]} == {"crash", "hang", "import-error"}
    verdicts = {v["subject"]: v["verdict"] for v in doc["verdicts"]}
    assert verdicts == {"ftfix-hostile": "crashes", "ftfix-hostile-build": "ready", "ftcalib-registry": "ready"}

    # The daemon was found and killed when the job ended; the build's daemon when its install ended.
    orphans = hostile["data"]["sandbox"]["orphans"]
    assert any("ftfix-hostile-daemon" in o["cmdline"] for o in orphans), orphans
    build = results[("ftfix-hostile-build", "install")]["data"]["subject_dist"]
    assert any("ftfix-hostile-build-daemon" in c for c in build["left_running"]), build
    assert survivors() == []

    # Nothing outside the sandbox changed: no connection reached the host, nothing was written
    # outside the lane's venv (where builds may write), the store and its first run are intact.
    assert listener.accepted == 0
    stray = [p for name in PWNED for p in tmp_path.rglob(name) if not inside_a_venv(p.relative_to(tmp_path))]
    assert stray == [], stray
    assert {p.name for p in Path.home().iterdir()} == home_before
    with sqlite3.connect(cli.store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    runs = json.loads(cli("runs", "--json", check=0).stdout)
    assert len(runs["runs"]) == 2
    print(f"hostile suite: {len(EXPECTED)} modules + 1 build contained in {elapsed:.1f} s")
