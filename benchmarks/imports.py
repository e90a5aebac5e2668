"""Import check benchmark: one process per module (the old way) against batches (the default).

For each lane interpreter, a uv venv gets the packages from PyPI (pandas by default; sqlalchemy and
lxml with ``--packages``); then the in-lane import check (``python -m ftlab_probes.runtime imports``, as the
host runs it, without the sandbox) checks each package twice: ``batch_size: 1`` (every module in a
fresh process) and the default batches. Per package, lane and mode it prints the modules checked,
the children started, their wall time together ("child seconds"), the outcomes, and whether the two
modes agree module by module and signal by signal. Figures go to stdout, progress to stderr.

    python3 benchmarks/imports.py --lane /path/to/python3.14 --lane /path/to/python3.14t
    python3 benchmarks/imports.py --packages pandas sqlalchemy lxml --modes batched
    FTLAB_PY314=... FTLAB_FT_PYTHON=... python3 benchmarks/imports.py    # those two lanes

The one-process-per-module mode of pandas takes about ten minutes a lane.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ftlab.sandbox import process as sandbox

REPO = Path(__file__).resolve().parent.parent
OUTCOMES = ("ok", "optional-dependency", "import-error", "crash", "hang", "gil-reenabled")
#: Mode name -> the import check's options.
MODES = {"per-module": {"batch_size": 1}, "batched": {}}
#: Installing pandas and numpy wheels cold; building nothing.
INSTALL_TIMEOUT_S = 900.0
#: One check of pandas one process per module took ~10 min a lane on 2 CPUs.
CHECK_TIMEOUT_S = 3600.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def make_venv(root: Path, python: str, packages: list[str]) -> Path:
    venv = root / "venv"
    uv = shutil.which("uv") or sys.exit("benchmarks/imports.py needs uv on PATH")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([uv, "venv", "--quiet", "--no-project", "--python", python, str(venv)], check=True, env=env)
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *packages],
        check=True,
        env=env,
        timeout=INSTALL_TIMEOUT_S,
    )
    return venv / "bin" / "python"


def check(python: Path, package: str, options: dict, workdir: Path) -> dict:
    """The import check's result document for one distribution, run the way the host runs it."""
    workdir.mkdir(parents=True)
    job = {
        "format": "ftlab-job/1",
        "job_id": f"bench-{package}",
        "command": "imports",
        "subject": None,
        "lane": {},
        "options": {"distributions": [package], **options},
        "timeout_s": CHECK_TIMEOUT_S,
        "artifacts_dir": str(workdir / "artifacts"),
        "limits": {},
    }
    (workdir / "job.json").write_text(json.dumps(job))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHON_GIL")}
    env["PYTHONPATH"] = sandbox.runtime_path()
    cmd = [str(python), "-X", "faulthandler", "-m", "ftlab_probes.runtime", "imports"]
    cmd += ["--job", str(workdir / "job.json"), "--out", str(workdir / "result.json")]
    subprocess.run(cmd, env=env, cwd=workdir, capture_output=True, timeout=CHECK_TIMEOUT_S + 60)
    result = json.loads((workdir / "result.json").read_text())
    if result["status"] == "error":
        sys.exit(f"the import check of {package} failed: {result['data'].get('error')}")
    return result


def figures(result: dict) -> dict:
    data = result["data"]
    return {
        "modules": len(data["modules"]),
        "children": len(data["children"]),
        "child_s": data["child_seconds"],
        "summary": data["summary"],
        "outcomes": {row["module"]: row["outcome"] for row in data["modules"]},
        "signals": sorted((s["kind"], s["evidence"].get("module"), s["summary"]) for s in result["signals"]),
    }


def agreement(a: dict, b: dict) -> str:
    """``same`` or what differs between two modes' figures."""
    oa, ob = a["outcomes"], b["outcomes"]
    differ = sorted(m for m in oa.keys() | ob.keys() if oa.get(m) != ob.get(m))
    if differ:
        return "differ: " + ", ".join(f"{m} ({oa.get(m)} / {ob.get(m)})" for m in differ[:5])
    if a["signals"] != b["signals"]:
        return "same outcomes, different signals"
    return "same outcomes and signals"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lane", action="append", help="a lane interpreter (repeat); "
                        "default: $FTLAB_PY314 and $FTLAB_FT_PYTHON")
    parser.add_argument("--packages", nargs="+", default=["pandas"])
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=list(MODES))
    args = parser.parse_args()
    lanes = args.lane or [p for p in (os.environ.get("FTLAB_PY314"), os.environ.get("FTLAB_FT_PYTHON")) if p]
    if not lanes:
        sys.exit("no lane: pass --lane PATH (twice for two lanes) or set FTLAB_PY314 and FTLAB_FT_PYTHON")

    rows = []
    with tempfile.TemporaryDirectory(prefix="ftlab-bench-imports-") as tmp:
        for i, lane in enumerate(lanes):
            version = subprocess.run([lane, "-c", "import sys; print(sys.version.split()[0], "
                                      "'t' if 'free-threading' in sys.version else '')"],
                                     capture_output=True, text=True, check=True).stdout.split()
            name = "".join(version)
            say(f"{name}: installing {', '.join(args.packages)}")
            python = make_venv(Path(tmp) / f"lane{i}", lane, args.packages)
            for package in args.packages:
                by_mode = {}
                for mode in args.modes:
                    say(f"{name}: checking {package}, {mode}")
                    started = time.monotonic()
                    result = check(python, package, MODES[mode], Path(tmp) / f"lane{i}-{package}-{mode}")
                    by_mode[mode] = figures(result)
                    say(f"  {time.monotonic() - started:.1f} s")
                verdict = agreement(*by_mode.values()) if len(by_mode) == 2 else ""
                for mode, f in by_mode.items():
                    rows.append((package, name, mode, f, verdict))

    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'package':<11} {'lane':<9} {'mode':<10} {'modules':>7} {'children':>8} {'child s':>8}  outcomes")
    for package, name, mode, f, _ in rows:
        outcomes = ", ".join(f"{k} {f['summary'][k]}" for k in OUTCOMES if f["summary"].get(k))
        print(f"{package:<11} {name:<9} {mode:<10} {f['modules']:>7} {f['children']:>8} {f['child_s']:>8.1f}  {outcomes}")
    print()
    for package in args.packages:
        for mode in args.modes:
            total = sum(f["child_s"] for p, _, m, f, _ in rows if p == package and m == mode)
            print(f"{package}, {mode}, every lane: {total:.1f} child seconds")
    for package, name, mode, _, verdict in rows:
        if verdict and mode == args.modes[0]:
            print(f"{package} on {name}: {verdict}")


if __name__ == "__main__":
    main()
