"""Kill-and-resume (issue 9): a real multi-package run killed with SIGKILL mid-way, then resumed.

Six tiny wheels from a loopback index (four clean, one whose import fails, one whose import is slow),
checks install and import, two GIL lanes. The run is killed at one of two points: once results are
recorded and the slow import's sandboxed child is live ("import"), or while the lane venvs are being
filled ("install": the resume must rebuild them). It is resumed with `ftlab run --resume`, then compared
with the same run done without interruption. Counts on stdout (JSON, one object per kill point):

- jobs_total, recorded_before_kill;
- results_lost: jobs recorded before the kill that the resumed run no longer has (must be 0);
- jobs_redone: jobs recorded before the kill that were recorded again (recorded_at changed);
- mismatches: (subject, lane, check) whose status or signal kinds differ from the uninterrupted run;
- survivors: processes of the killed run still alive 3 s after the kill;
- seconds (all of it), seconds_before_kill, seconds_resume, seconds_uninterrupted.

    python benchmarks/killresume.py [--lane 3.12 --lane 3.13] [--kill-during import|install]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import killresume
from tests.support.index_server import IndexServer

COUNTS = ("jobs_total", "recorded_before_kill", "results_lost", "jobs_redone", "mismatches",
          "verdict_mismatches", "seconds", "seconds_before_kill", "seconds_resume", "seconds_uninterrupted")


def kill_and_resume(lanes: Sequence[str] = ("3.12", "3.13"), workdir: Path | None = None, *,
                    kill_during: str = "import") -> dict[str, Any]:
    """Counts of one kill-and-resume (see the module docstring); `error` is set when the run could not
    be killed mid-way. `kill_during`: "import" (results recorded, a slow import running) or "install"
    (lane venvs being filled, nothing recorded yet)."""
    with tempfile.TemporaryDirectory(prefix="ftlab-killresume-") as tmp:
        root = Path(workdir or tmp)
        with IndexServer(killresume.write_packages(root / "dists")) as index:
            got = killresume.kill_and_resume(index.url, list(lanes), root, kill_during=kill_during)
    summary = {"kill_during": kill_during, **{k: got[k] for k in COUNTS if k in got}}
    summary["survivors"] = len(got.get("survivors", []))
    summary["store_sound"] = bool((got.get("store_check") or {}).get("sound"))
    summary["error"] = got["error"]
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lane", action="append", default=[], help="a lane spec (default: 3.12 and 3.13)")
    p.add_argument("--kill-during", choices=killresume.KILL_POINTS, action="append", default=[],
                   help="where to kill the run (repeatable; default: both)")
    args = p.parse_args(argv)
    summaries = [kill_and_resume(args.lane or ("3.12", "3.13"), kill_during=point)
                 for point in args.kill_during or killresume.KILL_POINTS]
    print(json.dumps(summaries, indent=2))
    return 0 if all(not s["error"] and s["results_lost"] == 0 for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
