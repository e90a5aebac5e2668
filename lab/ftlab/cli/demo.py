"""`ftlab demo`: the bundled fixtures and a few real packages across the default lanes, ending with a report.

The fixtures are the lab's calibration set (extensions/README.md says what each must produce), so the
demo report always has something to show: a crash with its faulthandler trace, a hang with the stacks,
an import error, races found by the stress engine with minimal scenarios and repro scripts, and real
packages installed from their wheels.
"""

from __future__ import annotations

from pathlib import Path

from ftlab.engine.checks import CHECKS
from ftlab.engine.pipeline import RunRequest
from ftlab.lanes.subjects import parse_subjects

#: Real packages with C extensions that ship free-threaded wheels: the demo shows real install records.
DEMO_PACKAGES = ("pyyaml", "markupsafe")

#: The source checkout: the fixtures are its extensions/ folder.
ROOT = Path(__file__).resolve().parents[3]

#: Fixture folders under extensions/ the demo runs (each a project directory).
DEMO_FIXTURE_DIRS = ("imports", "calibration")

#: Per module: the hang fixture never returns, so keep the demo's wait for it short.
DEMO_MODULE_TIMEOUT_S = 10.0
#: Stress budget per subject and lane, shared by a fixture's buggy probe and its twin: calibration finds
#: every bug within 5 s (benchmarks/calibration.py), so 8 s each leaves a margin.
DEMO_BUDGET_S = 16.0


def fixture_dirs() -> list[str]:
    out = []
    for group in DEMO_FIXTURE_DIRS:
        base = ROOT / "extensions" / group
        if base.is_dir():
            out += sorted(str(p) for p in base.iterdir() if (p / "pyproject.toml").exists() or (p / "setup.py").exists())
    return out


def demo_request(*, store_path: Path, lane_specs: tuple[str, ...], argv: tuple[str, ...]) -> RunRequest:
    subjects = parse_subjects([*fixture_dirs(), *DEMO_PACKAGES], [])
    return RunRequest(subjects=tuple(subjects), lane_specs=lane_specs, checks=tuple(CHECKS), store_path=store_path,
                      argv=argv, options={"budget_s": DEMO_BUDGET_S, "module_timeout_s": DEMO_MODULE_TIMEOUT_S})
