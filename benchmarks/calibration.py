"""Calibration of the stress engine: does it find each known bug, and only those?

For every calibration fixture (extensions/calibration/, ground truth in extensions/README.md) this
runs the stress job N times (default 20) with the default budget on one lane and prints, per
fixture: detected k/N with the expected signal kind, the kinds seen, the median seconds and
invocations to first detection, and false positives on the correct twin (k/N). Then, side by side,
pytest-run-parallel running hand-written tests of the same fixtures the way its users write them
(each test run in 4 threads, repeated until the same time budget is spent).

    python benchmarks/calibration.py [--python /path/to/python3.12] [--runs 20] [--jobs 2]

With ``--auto``, the same question for the AUTO-PROBE (no hand-written probe): each fixture of
AUTO_FIXTURES is screened on each lane (``--python``, repeatable; default ``$FTLAB_FT_PYTHON`` and
``$FTLAB_PY314`` or the newest pyenv 3.13/3.12), then its buggy class is stressed ``--runs`` times
per schedule strategy (``--strategies``: ``adaptive`` draws from all three and weights what finds
failures; ``random``, ``preempt``, ``pct`` alone) with ``--auto-budget`` seconds (60), and its
correct twin ``--twin-runs`` times (adaptive, the default budget). Per fixture, lane and strategy:
detection k/N, median and max seconds to the first detection, how many minimal scenarios have ops
in two threads, false positives on the twin; then pytest-run-parallel on hand-written tests of the
same classes.

    python benchmarks/calibration.py --auto --python "$FTLAB_FT_PYTHON" --python "$FTLAB_PY314" \
        --runs 10 --twin-runs 20

The lane venv (fixtures, hypothesis, pytest, pytest-run-parallel) is built with uv into
``--cache`` and reused (rebuilt when a fixture's source changes). Nothing here is imported by the
lab or the tests.
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

from ftlab.sandbox import process as sandbox

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

#: The engine's default search budget (probes/ftlab_probes/runtime/stress/job.py); the peer gets the same time.
DEFAULT_BUDGET_S = 10.0

# Auto-probe fixtures: (distribution, buggy class, correct twin). Nobody wrote a probe for these
# classes' use here: screening builds the probe (extensions/README.md, "Auto-probe fixtures").
AUTO_FIXTURES = {
    "bank": ("ftcalib-bank", "ftcalib_bank.RacyBank", "ftcalib_bank.LockedBank"),
    "registry": ("ftcalib-registry", "ftcalib_registry.RacyRegistry", "ftcalib_registry.LockedRegistry"),
    "text": ("ftcalib-text", "ftcalib_text.RacyRenderer", "ftcalib_text.Renderer"),
    "bimap": ("ftcalib-bimap", "ftcalib_bimap.RacyBiMap", "ftcalib_bimap.BiMap"),
    "cache": ("ftcalib-cache", "ftcalib_cache.RacyLRUCache", "ftcalib_cache.LRUCache"),
    # Issue 22: reached only through the mapping protocol, only once filled, only with a stub's types.
    "mapping": ("ftcalib-mapping", "ftcalib_mapping.RacySlots", "ftcalib_mapping.LockedSlots"),
    "stack": ("ftcalib-stack", "ftcalib_stack.RacyStack", "ftcalib_stack.Stack"),
    "codec": ("ftcalib-codec", "fn:ftcalib_codec", "fn:ftcalib_codec_safe"),
}
#: The issue's bar: each buggy class found within this long.
AUTO_BUDGET_S = 60.0
#: Strategies compared; "adaptive" is the engine's default (all three, weighted by what fails).
STRATEGIES = ("adaptive", "random", "preempt", "pct")

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
    "bank": """
        from ftcalib_bank import RacyBank

        shared = RacyBank()

        def test_transfer_moves_money():
            b = RacyBank()
            b.transfer(0, 1, 5)
            assert b.balance(0) == 95 and b.balance(1) == 105
            assert b.total == 400

        def test_shared_bank_keeps_its_total():
            shared.transfer(0, 1, 1)
            shared.transfer(1, 0, 1)
            assert shared.total == 400
    """,
    "text": """
        from ftcalib_text import RacyRenderer

        shared = RacyRenderer()

        def test_render():
            assert RacyRenderer().render("a\\nb") == "<p>a</p><p>b</p>"

        def test_shared_renderer():
            assert shared.render("x") == "<p>x</p>"
    """,
    "bimap": """
        from ftcalib_bimap import RacyBiMap

        shared = RacyBiMap()

        def test_put_links_both_ways():
            m = RacyBiMap()
            m.put("a", 1)
            m.put("b", 1)
            assert m.key_of(1) == "b" and m.get("a") is None

        def test_shared_map_stays_consistent():
            shared.put("k", 1)
            value = shared.get("k")
            assert value is None or shared.key_of(value) in (None, "k")
    """,
    "cache": """
        from ftcalib_cache import RacyLRUCache

        shared = RacyLRUCache(2)

        def test_evicts_least_recent():
            c = RacyLRUCache(2)
            c.put("a", 1)
            c.put("b", 2)
            c.get("a")
            c.put("c", 3)
            assert c.get("b") is None and c.get("a") == 1

        def test_shared_cache_stays_bounded():
            shared.put("x", 1)
            shared.get("x")
            assert len(shared) <= 2
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


def _fixture_digest() -> str:
    """Changes when any fixture's source does: a venv built from older sources is not reused."""
    h = hashlib.sha256()
    for path in sorted(CALIBRATION.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".c", ".toml") and "build" not in path.parts:
            h.update(str(path.relative_to(CALIBRATION)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:8]


def build_venv(python: str, cache: Path) -> Path:
    digest = hashlib.sha256(os.path.realpath(python).encode()).hexdigest()[:12] + "-" + _fixture_digest()
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


def run_engine(lane: Path, probe: str, workdir: Path, options: dict | None = None, command: str = "stress") -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    options = options or {}
    job = {
        "format": "ftlab-job/1",
        "job_id": workdir.name,
        "command": command,
        "subject": {"name": options.get("distribution")} if command == "autoprobe" else None,
        "lane": {},
        "options": options if command == "autoprobe" else {"probe": probe, **options},
        "timeout_s": 120 + float(options.get("budget_s") or 0),
        "artifacts_dir": str(workdir / "artifacts"),
        "limits": {},
    }
    (workdir / "job.json").write_text(json.dumps(job))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "PYTHONPATH": sandbox.runtime_path()}
    started = time.monotonic()
    module = ["ftlab_probes.auto"] if command == "autoprobe" else ["ftlab_probes.runtime", "stress"]
    subprocess.run(
        [
            str(lane),
            "-X",
            "faulthandler",
            "-m",
            *module,
            "--job",
            "job.json",
            "--out",
            "out.json",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        timeout=job["timeout_s"] + 80,
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


def lane_version(lane: Path) -> str:
    """``3.14.7t`` for a free-threaded build, ``3.14.10`` for a GIL one."""
    return subprocess.run([str(lane), "-c", "import sys, sysconfig; print(sys.version.split()[0] + "
                           "('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))"],
                          capture_output=True, text=True).stdout.strip()


def detection(result: dict, kind: str) -> tuple[bool, list[str], float | None, int | None]:
    kinds = [s["kind"] for s in result.get("signals", [])]
    findings = result.get("data", {}).get("findings", [])
    hit = next((f for f in findings if f["kind"] == kind), None)
    if hit is None:
        return False, kinds, None, None
    return True, kinds, hit["detected_after_s"], hit["detected_after_runs"]


def auto_specs(lane: Path, work: Path, fixtures=None) -> dict[str, str]:
    """Screen the auto fixtures' distributions on a lane; class (``module.Class``, or ``fn:module`` for a
    module's functions) -> spec."""
    specs = {}
    for fixture, (distribution, _, _) in AUTO_FIXTURES.items():
        if fixtures is not None and fixture not in fixtures:
            continue
        result = run_engine(lane, "", work / f"screen-{fixture}", {"distribution": distribution}, "autoprobe")
        for spec in result["data"]["specs"]:
            if spec.startswith("cls:"):
                _, module, cls = spec.split(":")[:3]
                specs[f"{module}.{cls.split('(')[0].split('[')[0]}"] = spec
            elif spec.startswith("fn:"):
                specs["fn:" + spec.split(":")[1]] = spec
    return specs


def run_auto(args, lanes: list[tuple[str, Path]], work: Path) -> None:
    jobs = []
    for lane_name, lane in lanes:
        specs = auto_specs(lane, work / lane_name, args.fixtures)
        for fixture in args.fixtures:
            _, buggy, twin = AUTO_FIXTURES[fixture]
            if buggy not in specs or twin not in specs:
                print(f"calibration: screening on {lane_name} made no probe for {fixture}: {sorted(specs)}",
                      file=sys.stderr)
                continue
            for strategy in args.strategies:
                options = {"budget_s": args.auto_budget, "minimize_s": 8}
                if strategy != "adaptive":
                    options["schedules"] = [strategy]
                jobs += [(lane_name, lane, fixture, strategy, "buggy", specs[buggy], options, i) for i in range(args.runs)]
            jobs += [(lane_name, lane, fixture, "adaptive", "twin", specs[twin], {}, i) for i in range(args.twin_runs)]
    results: dict[tuple, list[dict]] = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            pool.submit(run_engine, lane, "ftlab_probes.auto:" + spec,
                        work / lane_name / f"{fixture}-{strategy}-{role}-{i}", options): (lane_name, fixture, strategy, role)
            for lane_name, lane, fixture, strategy, role, spec, options, i in jobs
        }
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results.setdefault(futures[future], []).append(future.result())
            print(f"\r  {done}/{len(futures)} auto-probe stress jobs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"| fixture | lane | strategy | detected (<= {args.auto_budget:.0f} s) | kinds | s to detection "
          "(median, max) | minimal scenario with ops in two threads | found by (adaptive) | twin false positives |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lane_name, _ in lanes:
        for fixture in args.fixtures:
            twin_runs = results.get((lane_name, fixture, "adaptive", "twin"), [])
            false_positives = sum(1 for r in twin_runs if r.get("signals"))
            if twin_runs and not any(results.get((lane_name, fixture, s, "buggy")) for s in args.strategies):
                print(f"| {fixture} | {lane_name} | - | - | - | - | - | - | {false_positives}/{len(twin_runs)} |")
            for strategy in args.strategies:
                runs = results.get((lane_name, fixture, strategy, "buggy"), [])
                if not runs:
                    continue
                findings = [(r["data"].get("findings") or [None])[0] for r in runs]
                found = [f for f in findings if f is not None and f["kind"] != "data-race"]
                seconds = [f["detected_after_s"] for f in found]
                kinds = sorted({f["kind"] for f in found})
                two = sum(1 for f in found if sum(1 for t in f["scenario"]["threads"] if t) >= 2)
                by = sorted({f.get("schedule", "random") for f in found}) if strategy == "adaptive" else []
                twin = f"{false_positives}/{len(twin_runs)}" if strategy == "adaptive" else ""
                print(f"| {fixture} | {lane_name} | {strategy} | {len(found)}/{len(runs)} | {', '.join(kinds) or '-'} | "
                      f"{_median(seconds)}, {max(seconds, default=0):.1f} | {two}/{len(found)} | "
                      f"{', '.join(by)} | {twin} |")
    if not args.no_peer:
        print()
        print(f"| fixture | lane | pytest-run-parallel ({PEER_THREADS} threads, {DEFAULT_BUDGET_S:.0f} s), per run |")
        print("|---|---|---|")
        for lane_name, lane in lanes:
            for fixture in (f for f in args.fixtures if f in PEER_TESTS):  # the newest fixtures have none yet
                outcomes = [run_peer(lane, fixture, work / lane_name / f"peer-{fixture}-{i}", DEFAULT_BUDGET_S)
                            for i in range(min(args.runs, 5))]
                print(f"| {fixture} | {lane_name} | {'; '.join(sorted(set(outcomes)))} ({len(outcomes)} runs) |")


def default_auto_lanes() -> list[str]:
    lanes = [os.environ[v] for v in ("FTLAB_FT_PYTHON", "FTLAB_PY314") if os.environ.get(v)]
    if not any(v == os.environ.get("FTLAB_PY314") for v in lanes):
        lanes.append(find_lane())
    return lanes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append",
                        help="a lane interpreter, repeatable (default: newest pyenv 3.13 or 3.12; with --auto, "
                             "$FTLAB_FT_PYTHON and $FTLAB_PY314 or that)")
    parser.add_argument("--auto", action="store_true", help="calibrate the auto-probe (AUTO_FIXTURES) instead")
    parser.add_argument("--strategies", nargs="*", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--auto-budget", type=float, default=AUTO_BUDGET_S)
    parser.add_argument("--twin-runs", type=int, default=20, help="runs of each correct twin (default 20)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2, help="stress jobs run at once")
    parser.add_argument("--fixtures", nargs="*", default=list(FIXTURES))
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ftlab-calibration")
    parser.add_argument("--no-peer", action="store_true", help="skip the pytest-run-parallel comparison")
    parser.add_argument("--peer-only", action="store_true", help="only the pytest-run-parallel comparison")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.auto:
        if args.fixtures == list(FIXTURES):
            args.fixtures = list(AUTO_FIXTURES)
        lanes = []
        for python in args.python or default_auto_lanes():
            lane = build_venv(python, args.cache)
            lanes.append((lane_version(lane), lane))
        print(f"calibration (auto-probe): lanes {', '.join(n for n, _ in lanes)}, {args.runs} runs per strategy, "
              f"{args.twin_runs} per twin, {args.jobs} at once", file=sys.stderr)
        run_auto(args, lanes, Path(tempfile.mkdtemp(prefix="auto-", dir=args.cache)))
        return 0
    python = (args.python or [find_lane()])[0]
    lane = build_venv(python, args.cache)
    lane_name = lane_version(lane)
    print(
        f"calibration: lane CPython {lane_name} ({python}), {args.runs} runs per probe, {args.jobs} at once",
        file=sys.stderr,
    )

    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.cache))
    jobs = []
    for fixture in [] if args.peer_only else args.fixtures:
        buggy, _, twin = FIXTURES[fixture]
        jobs += [(fixture, buggy, i) for i in range(args.runs)]
        jobs += [(fixture, twin, i) for i in range(args.twin_runs)]
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
        rows = [detection(r, kind) for r in results.get((fixture, buggy), [])]
        found = [r for r in rows if r[0]]
        seconds = [r[2] for r in found]
        runs = [r[3] for r in found]
        kinds = sorted({k for r in rows for k in r[1]})
        findings = [
            f for r in results.get((fixture, buggy), []) for f in r["data"].get("findings", []) if f["kind"] == kind
        ]
        sizes = sorted({f["minimization"]["ops_after"] for f in findings})
        rates = [f["rate"][0] / f["rate"][1] for f in findings if f["rate"][1]]
        twins = results.get((fixture, twin), [])
        false_positives = sum(1 for r in twins if r.get("signals"))
        print(
            f"| {fixture} | {lane_name} | {kind} | {len(found)}/{len(rows)} | {', '.join(kinds) or '-'} | "
            f"{_median(seconds)}, {max(seconds, default=0):.1f} | {_median(runs, '%.0f')} | {sizes} | "
            f"{_median(rates, '%.2f')} | {false_positives}/{len(twins)} |"
        )


def _median(values, fmt="%.1f"):
    return fmt % statistics.median(values) if values else "-"


if __name__ == "__main__":
    sys.exit(main())
