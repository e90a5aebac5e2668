"""Does free-threading pay off? The standard library's probes and two C-extension packages on a real 3.14
and a real 3.14t, through the real CLI (issue 15's "done when").

    python3 benchmarks/perf_payoff.py                                   # lanes 3.14 and 3.14t as ftlab finds them
    python3 benchmarks/perf_payoff.py --gil /path/to/python3.14 --ft /path/to/python3.14t
    python3 benchmarks/perf_payoff.py --subjects stdlib msgpack ujson --perf-time 120 --payoff payoff=1.2

It runs ``ftlab run SUBJECTS --checks install,perf --lane 3.14=GIL --lane 3.14t=FT`` (needs the package
index for msgpack and ujson), then prints from the run's JSON report, on stdout:

- each lane's build (PGO, LTO, configure options) and the build caveat;
- per subject, workload and shape: the payoff (3.14t ops/s / 3.14 ops/s) at every thread count
  measured (1 and 2 on 2 cores), the single-thread cost, p95 at N on both lanes, the outcome;
- each subject's payoff verdict against the SLO (the default unless --payoff) and the run's;
- the upgrade gates applied between 3.14 and 3.14t (there must be none) and what was left out.

Progress goes to stderr. Figures on a shared machine are noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: argparse.Namespace, work: Path) -> tuple[dict, float]:
    cmd = [sys.executable, "-m", "ftlab", "run", *args.subjects, "--checks", "install,perf",
           "--lane", f"3.14={args.gil}", "--lane", f"3.14t={args.ft}", "--store", str(work / "ftlab.sqlite"),
           "--report-dir", str(work), "--json"]
    if args.no_provision:
        cmd.append("--no-provision")
    if args.perf_time:
        cmd += ["--perf-time", str(args.perf_time)]
    if args.payoff:
        cmd += ["--payoff", args.payoff]
    print("$ " + " ".join(cmd), file=sys.stderr)
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"ftlab run failed with exit status {proc.returncode}")
    doc = json.loads(proc.stdout)
    return json.loads(Path(doc["reports"]["json"]).read_text()), took


def fmt(x: object, suffix: str = "x") -> str:
    return f"{x:.2f}{suffix}" if isinstance(x, int | float) else "-"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gil", default=os.environ.get("FTLAB_PY314", "3.14"), help="the GIL lane (default: $FTLAB_PY314 or 3.14)")
    p.add_argument("--ft", default=os.environ.get("FTLAB_FT_PYTHON", "3.14t"),
                   help="the free-threaded lane (default: $FTLAB_FT_PYTHON or 3.14t)")
    p.add_argument("--subjects", nargs="+", default=["stdlib", "msgpack", "ujson"])
    p.add_argument("--perf-time", type=float, default=None, help="ftlab's --perf-time (default: ftlab's, 90 s)")
    p.add_argument("--payoff", default=None, help="ftlab's --payoff (default: the default SLO)")
    p.add_argument("--no-provision", action="store_true", help="do not let uv install missing lanes")
    p.add_argument("--keep", type=Path, default=None, help="keep the store and reports here")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="ftlab-payoff-"))
    work.mkdir(parents=True, exist_ok=True)
    report, took = run(args, work)

    lanes = {ln["name"]: ln for ln in report["lanes"]}
    perf = [r for r in report["results"] if r["check"] == "perf"]
    print(f"# ftlab perf payoff: {' '.join(args.subjects)}; wall time {took:.0f} s; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    for name, ln in lanes.items():
        build = next((r["data"].get("build") for r in perf if r["lane"] == name and r["data"].get("build")), {}) or {}
        print(f"lane {name}: {ln.get('version')} {'free-threaded' if ln.get('gil_disabled') else 'GIL'}; "
              f"PGO {'yes' if build.get('pgo') else 'not configured'}, LTO {'yes' if build.get('lto') else 'not configured'}; "
              f"CONFIG_ARGS {build.get('config_args') or '-'}")
    payoff = report.get("payoff") or {}
    for doc in payoff.get("lanes") or []:
        if doc.get("caveat"):
            print(f"build caveat: {doc['caveat']}")
        break
    print()
    for doc in payoff.get("lanes") or []:
        counts = sorted({pt["threads"] for w in doc["workloads"] for pt in w["points"]})
        n = doc.get("threads")
        print(f"## {doc['subject']}: {doc['lane']} against {doc['against']}: {doc['verdict'].upper()}")
        head = f"{'workload':<52} {'shape':<12}" + "".join(f"{'at ' + str(c):>8}" for c in counts)
        print(head + f"{'1-thread':>10}{'p95 FT/GIL at ' + str(n):>20}  outcome")
        for w in doc["workloads"]:
            by = {pt["threads"]: pt for pt in w["points"]}
            at = by.get(n) or {}
            p95 = f"{fmt(at.get('ft_p95'), '')}/{fmt(at.get('gil_p95'), '')} us" if at.get("ft_p95") is not None else "-"
            print(f"{w['probe'][-52:]:<52} {w['shape']:<12}" + "".join(f"{fmt(by.get(c, {}).get('payoff')):>8}" for c in counts)
                  + f"{fmt(w.get('single_thread')):>10}{p95:>20}  {w['outcome']}")
        print()
    for r in perf:
        plan = r["data"].get("workload_plan") or {}
        if plan:
            print(f"{r['subject']} on {r['lane']}: {plan.get('timed')} of {plan.get('total')} workloads timed "
                  f"({plan.get('repeats')} repeats x {plan.get('seconds')} s windows; {plan.get('took_s')} s with turns)"
                  + (f"; left out: {', '.join(plan['left_out'])}" if plan.get("left_out") else ""))
    cross = [(r["lane"], g["baseline"]) for r in perf for g in r["data"].get("gates") or []
             if lanes.get(g["baseline"], {}).get("gil_disabled") != lanes.get(r["lane"], {}).get("gil_disabled")]
    print(f"upgrade gates between a GIL and a free-threaded lane: {len(cross)}")
    print(f"payoff verdict (SLO: {describe(payoff)}): {payoff.get('verdict', 'not measured').upper()}")
    print(f"reports: {work}", file=sys.stderr)
    return 0


def describe(payoff: dict) -> str:
    docs = payoff.get("lanes") or []
    return docs[0]["summary"].split("(", 1)[1].split(";", 1)[0] if docs else "-"


if __name__ == "__main__":
    sys.exit(main())
