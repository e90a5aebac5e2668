"""ftlab's pytest plugin and pytest-run-parallel on the same bugs: the four calibration fixtures.

Both run inside one venv of a free-threaded interpreter (the fixtures built for it, pytest,
hypothesis, pytest-run-parallel, and this checkout's ftlab importable):

- the plugin: one pytest session per run over a test module that subclasses each fixture's probes
  (``class TestCounterBug(RacyCounterProbe)``, ``class TestCounterTwin(LockedCounterProbe)``...), with
  ``--ftlab-budget`` seconds per test; per fixture it prints bugs found k/N with the kind, the rate of
  the minimal scenario, the test's wall time, and false positives on the twin k/N;
- pytest-run-parallel: the hand-written tests of benchmarks/calibration.py (written the way its users
  write them), each run in 4 threads, repeated for the same time budget; what it reports.

    python benchmarks/plugin_vs_run_parallel.py [--python /path/to/python3.14t] [--runs 3] [--budget 10]

Figures depend on the machine's load (each test starts interpreters and worker processes): say how
busy the machine was when quoting them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibration  # the fixture table, the peer's tests and its runner

REPO = Path(__file__).resolve().parent.parent
#: Time per pytest-run-parallel measurement, the same as one plugin test's search budget by default.
PEER_RUNS = 3


def find_ft_python() -> str:
    import shutil

    explicit = os.environ.get("FTLAB_FT_PYTHON")
    found = explicit or shutil.which("python3.14t") or shutil.which("python3.13t")
    if not found:
        raise SystemExit("plugin_vs_run_parallel: no free-threaded python; pass --python or set FTLAB_FT_PYTHON")
    return found


def prepare(python: str, cache: Path) -> Path:
    """calibration.py's venv, plus psutil (the plugin's sandbox) and this checkout's two source roots on a .pth."""
    lane = calibration.build_venv(python, cache)
    subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(lane), "psutil"], check=True)
    for site in lane.parent.parent.glob("lib/python3*/site-packages"):
        (site / "ftlab-checkout.pth").write_text(f"{REPO / 'lab'}\n{REPO / 'probes'}\n")
    return lane


def plugin_module() -> str:
    lines = []
    for fixture, (buggy, _, twin) in calibration.FIXTURES.items():
        title = fixture.capitalize()
        for role, probe in (("Bug", buggy), ("Twin", twin)):
            module, cls = probe.split(":")
            lines += [f"from {module} import {cls}", "", "",
                      f"class Test{title}{role}({cls}):", "    pass", "", ""]
    return "\n".join(lines)


def run_plugin(lane: Path, workdir: Path, budget_s: float) -> dict[str, dict]:
    (workdir / "tests").mkdir(parents=True, exist_ok=True)
    (workdir / "tests" / "test_calibration.py").write_text(plugin_module())
    junit = workdir / "junit.xml"
    started = time.monotonic()
    proc = subprocess.run([str(lane), "-m", "pytest", "-q", "-p", "ftlab.pytest_plugin", "-p", "no:randomly",
                           f"--ftlab-budget={budget_s:g}", f"--junitxml={junit}", "tests"],
                          cwd=workdir, capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - started
    if not junit.exists():
        raise SystemExit(f"the plugin's pytest session ended without a report (exit {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    out: dict[str, dict] = {"_session": {"wall_s": wall, "exit": proc.returncode}}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failure = case.find("failure")
        text = (failure.text or "") if failure is not None else ""
        kind = text.split(":", 1)[0] if failure is not None else ""
        rate = ""
        if "observed rate: " in text:
            rate = text.split("observed rate: ", 1)[1].split("\n", 1)[0]
        out[case.get("name")] = {"failed": failure is not None, "kind": kind, "rate": rate,
                                 "time_s": float(case.get("time") or 0)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="a free-threaded interpreter (default: FTLAB_FT_PYTHON, python3.14t)")
    parser.add_argument("--runs", type=int, default=3, help="plugin sessions (and peer measurements)")
    parser.add_argument("--budget", type=float, default=calibration.DEFAULT_BUDGET_S,
                        help="seconds of search per plugin test, and per peer measurement")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ftlab-plugin-bench")
    args = parser.parse_args()
    python = args.python or find_ft_python()
    args.cache.mkdir(parents=True, exist_ok=True)
    lane = prepare(python, args.cache)
    version = subprocess.run([str(lane), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"lane: CPython {version} ({python}); {args.runs} runs; budget {args.budget:g} s; "
          f"load average {load:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.cache))
    sessions = []
    for i in range(args.runs):
        sessions.append(run_plugin(lane, work / f"plugin-{i}", args.budget))
        print(f"  plugin session {i + 1}/{args.runs}: {sessions[-1]['_session']['wall_s']:.0f} s", file=sys.stderr)
    print(f"| fixture | expected | plugin: bug found | kinds | rate of the minimal scenario | test wall s (median) "
          f"| plugin: twin false positives | pytest-run-parallel ({calibration.PEER_THREADS} threads, "
          f"{args.budget:g} s) |")
    print("|---|---|---|---|---|---|---|---|")
    for fixture, (_, kind, _) in calibration.FIXTURES.items():
        title = fixture.capitalize()
        bugs = [s[f"Test{title}Bug"] for s in sessions]
        twins = [s[f"Test{title}Twin"] for s in sessions]
        found = sum(b["failed"] and b["kind"] == kind for b in bugs)
        kinds = ", ".join(sorted({b["kind"] for b in bugs if b["kind"]})) or "-"
        rates = "; ".join(b["rate"] for b in bugs if b["rate"]) or "-"
        wall = statistics.median(b["time_s"] for b in bugs)
        false_pos = sum(t["failed"] for t in twins)
        peer = [calibration.run_peer(lane, fixture, work / f"peer-{fixture}-{i}", args.budget)
                for i in range(min(args.runs, PEER_RUNS))]
        print(f"| {fixture} | {kind} | {found}/{len(bugs)} | {kinds} | {rates} | {wall:.1f} | "
              f"{false_pos}/{len(twins)} | {'; '.join(sorted(set(peer)))} ({len(peer)} runs) |")
    walls = [s["_session"]["wall_s"] for s in sessions]
    print(f"\nplugin sessions (8 tests, one process): {statistics.median(walls):.0f} s median wall time; pytest "
          f"exit codes {sorted({s['_session']['exit'] for s in sessions})} (1 = test failures; the segfault and "
          "the deadlock failed their own tests only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
