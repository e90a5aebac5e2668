"""Calibration of the stress engine: does it find each known bug, and only those?

For every calibration fixture (extensions/calibration/, ground truth in extensions/README.md) this
runs the stress job N times (default 20) with the default budget on one lane and prints, per
fixture: detected k/N with the expected signal kind, the kinds seen, the median seconds and
invocations to first detection, and false positives on the correct twin (k/N). Then, side by side,
pytest-run-parallel running hand-written tests of the same fixtures the way its users write them
(each test run in 4 threads, repeated until the same time budget is spent).

    python benchmarks/calibration.py [--python /path/to/python3.12] [--runs 20] [--jobs 2]

The lane venv (fixtures, hypothesis, pytest, pytest-run-parallel) is built with uv into
``--cache`` and reused. Nothing here is imported by the lab or the tests.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from ftlab import sandbox

REPO = Path(__file__).resolve().parent.parent
CALIBRATION = REPO / "extensions" / "calibration"

# fixture: (buggy probe, expected signal kind, correct twin probe)
FIXTURES = {
    "counter": (
        "ftcalib_counter.probes:RacyCounterProbe",
        "corruption",
        "ftcalib_counter.probes:LockedCounterProbe",
    ),
    "buffer": ("ftcalib_buffer.probes:RacyBufferProbe", "crash", "ftcalib_buffer.probes:LockedBufferProbe"),
    "locks": (
        "ftcalib_locks.probes:InvertedAccountsProbe",
        "hang",
        "ftcalib_locks.probes:OrderedAccountsProbe",
    ),
    "registry": (
        "ftcalib_registry.probes:RacyRegistryProbe",
        "corruption",
        "ftcalib_registry.probes:LockedRegistryProbe",
    ),
}

#: The engine's default search budget (probes/runtime/stress/job.py); the peer gets the same time.
DEFAULT_BUDGET_S = 10.0

#: Threads per test for pytest-run-parallel, as its documentation's examples use.
PEER_THREADS = 4

#: One pytest round that has not answered after this long is hung (a round takes ~1 s when it passes).
PEER_ROUND_TIMEOUT_S = 30.0

# Hand-written tests in the style pytest-run-parallel users write: the suite's existing tests, run
# in threads. Each builds its objects or shares a module-level one and asserts what one thread can see.
PEER_TESTS = {
    "counter": """
        from ftcalib_counter import RacyCounter

        shared = RacyCounter()

        def test_add_returns_new_value():
            c = RacyCounter()
            assert c.add(2) == 2
            assert c.get() == 2

        def test_shared_counter_grows():
            before = shared.get()
            assert shared.add(1) > before
    """,
    "buffer": """
        from ftcalib_buffer import RacyBuffer

        shared = RacyBuffer()

        def test_resize_then_checksum():
            b = RacyBuffer()
            b.resize(4)
            assert b.checksum() == b.size() == 4 * 4096

        def test_shared_buffer_resize_and_read():
            shared.resize(8)
            assert shared.checksum() > 0
    """,
    "locks": """
        from ftcalib_locks import InvertedAccounts

        shared = InvertedAccounts()

        def test_moves_keep_the_total():
            a = InvertedAccounts()
            a.move_right(5)
            a.move_left(3)
            assert sum(a.balances()) == 200

        def test_shared_moves_keep_the_total():
            shared.move_right(1)
            shared.move_left(1)
            assert sum(shared.balances()) == 200
    """,
    "registry": """
        from ftcalib_registry import RacyRegistry

        shared = RacyRegistry()

        def test_same_name_same_id():
            r = RacyRegistry()
            assert r.register("a") == r.register("a")
            assert r.register("b") != r.register("a")

        def test_shared_registry_is_stable():
            ident = shared.register("x")
            assert shared.lookup("x") == ident
    """,
}


def find_lane() -> str:
    for version in ("3.13", "3.12"):
        for candidate in sorted(
            glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python3")), reverse=True
        ):
            return candidate
        found = shutil.which(f"python{version}")
        if found:
            return found
    raise SystemExit("calibration: no CPython 3.12/3.13 found; pass --python PATH")


def build_venv(python: str, cache: Path) -> Path:
    digest = hashlib.sha256(os.path.realpath(python).encode()).hexdigest()[:12]
    venv = cache / f"venv-{digest}"
    lane = venv / "bin" / "python"
    if not lane.exists():
        subprocess.run(["uv", "venv", "--quiet", "--python", python, str(venv)], check=True)
        fixtures = [str(p) for p in sorted(CALIBRATION.iterdir()) if (p / "pyproject.toml").exists()]
        subprocess.run(
            [
                "uv",
                "pip",
                "install",
                "--quiet",
                "--python",
                str(lane),
                *fixtures,
                "hypothesis",
                "pytest",
                "pytest-run-parallel",
            ],
            check=True,
        )
    return lane


def run_engine(lane: Path, probe: str, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    job = {
        "format": "ftlab-job/1",
        "job_id": workdir.name,
        "command": "stress",
        "subject": None,
        "lane": {},
        "options": {"probe": probe},
        "timeout_s": 120,
        "artifacts_dir": str(workdir / "artifacts"),
        "limits": {},
    }
    (workdir / "job.json").write_text(json.dumps(job))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "PYTHONPATH": sandbox.runtime_path()}
    started = time.monotonic()
    subprocess.run(
        [
            str(lane),
            "-X",
            "faulthandler",
            "-m",
            "ftlab_probes.runtime",
            "stress",
            "--job",
            "job.json",
            "--out",
            "out.json",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        timeout=200,
    )
    result = json.loads((workdir / "out.json").read_text())
    result["wall_s"] = time.monotonic() - started
    return result


def run_peer(lane: Path, fixture: str, workdir: Path, budget_s: float) -> str:
    """pytest-run-parallel on the fixture's hand-written tests, repeated until ``budget_s`` is spent."""
    tests = workdir / f"test_{fixture}.py"
    workdir.mkdir(parents=True, exist_ok=True)
    tests.write_text(textwrap.dedent(PEER_TESTS[fixture]))
    deadline = time.monotonic() + budget_s
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        try:
            proc = subprocess.run(
                [
                    str(lane),
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    f"--parallel-threads={PEER_THREADS}",
                    "--iterations=10",
                    str(tests),
                ],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=PEER_ROUND_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return f"hung (no answer in {PEER_ROUND_TIMEOUT_S:.0f} s, killed)"
        if proc.returncode < 0:
            return f"crashed (signal {-proc.returncode})"
        if proc.returncode == 1:
            return f"test failed (round {rounds})"
        if proc.returncode not in (0, 5):
            return f"error (exit {proc.returncode})"
    return f"passed ({rounds} rounds)"


def detection(result: dict, kind: str) -> tuple[bool, list[str], float | None, int | None]:
    kinds = [s["kind"] for s in result.get("signals", [])]
    findings = result.get("data", {}).get("findings", [])
    hit = next((f for f in findings if f["kind"] == kind), None)
    if hit is None:
        return False, kinds, None, None
    return True, kinds, hit["detected_after_s"], hit["detected_after_runs"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="the lane interpreter (default: newest pyenv 3.13 or 3.12)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2, help="stress jobs run at once")
    parser.add_argument("--fixtures", nargs="*", default=list(FIXTURES))
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ftlab-calibration")
    parser.add_argument("--no-peer", action="store_true", help="skip the pytest-run-parallel comparison")
    parser.add_argument("--peer-only", action="store_true", help="only the pytest-run-parallel comparison")
    args = parser.parse_args()
    python = args.python or find_lane()
    args.cache.mkdir(parents=True, exist_ok=True)
    lane = build_venv(python, args.cache)
    lane_name = subprocess.run(
        [str(lane), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"calibration: lane CPython {lane_name} ({python}), {args.runs} runs per probe, {args.jobs} at once",
        file=sys.stderr,
    )

    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.cache))
    jobs = []
    for fixture in [] if args.peer_only else args.fixtures:
        buggy, _, twin = FIXTURES[fixture]
        for probe in (buggy, twin):
            jobs += [(fixture, probe, i) for i in range(args.runs)]
    results: dict[tuple[str, str], list[dict]] = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            pool.submit(run_engine, lane, probe, work / f"{fixture}-{probe.split(':')[1]}-{i}"): (
                fixture,
                probe,
            )
            for fixture, probe, i in jobs
        }
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results.setdefault(futures[future], []).append(future.result())
            print(f"\r  {done}/{len(futures)} stress jobs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    if not args.peer_only:
        print_engine_table(results, args.fixtures, lane_name)

    if not args.no_peer:
        print()
        print(
            f"| fixture | pytest-run-parallel ({PEER_THREADS} threads, {DEFAULT_BUDGET_S:.0f} s), per run |"
        )
        print("|---|---|")
        for fixture in args.fixtures:
            outcomes = [
                run_peer(lane, fixture, work / f"peer-{fixture}-{i}", DEFAULT_BUDGET_S)
                for i in range(min(args.runs, 5))
            ]
            print(f"| {fixture} | {'; '.join(sorted(set(outcomes)))} ({len(outcomes)} runs) |")
    return 0


def print_engine_table(results, fixtures, lane_name):
    header = (
        "| fixture | lane | expected | detected | kinds seen | s to detection (median, max) | "
        "runs to detection (median) | minimal ops | rate of minimal (median) | twin false positives |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for fixture in fixtures:
        buggy, kind, twin = FIXTURES[fixture]
        rows = [detection(r, kind) for r in results[(fixture, buggy)]]
        found = [r for r in rows if r[0]]
        seconds = [r[2] for r in found]
        runs = [r[3] for r in found]
        kinds = sorted({k for r in rows for k in r[1]})
        findings = [
            f for r in results[(fixture, buggy)] for f in r["data"].get("findings", []) if f["kind"] == kind
        ]
        sizes = sorted({f["minimization"]["ops_after"] for f in findings})
        rates = [f["rate"][0] / f["rate"][1] for f in findings if f["rate"][1]]
        false_positives = sum(1 for r in results[(fixture, twin)] if r.get("signals"))
        print(
            f"| {fixture} | {lane_name} | {kind} | {len(found)}/{len(rows)} | {', '.join(kinds) or '-'} | "
            f"{_median(seconds)}, {max(seconds, default=0):.1f} | {_median(runs, '%.0f')} | {sizes} | "
            f"{_median(rates, '%.2f')} | {false_positives}/{len(results[(fixture, twin)])} |"
        )


def _median(values, fmt="%.1f"):
    return fmt % statistics.median(values) if values else "-"


if __name__ == "__main__":
    sys.exit(main())
