"""`ftlab demo`: a first answer in about two minutes, and `ftlab demo --full`, the whole calibration set.

The quick demo runs four subjects, one per kind of evidence ftlab gives, on the default lanes (3.14 and
3.14t), both lanes at once where there are two cores:

- ``extensions/imports/chain``: a pure module whose imports pull in two extensions that never declared
  free-threading support: on 3.14t the GIL comes back on, named with its import chain;
- ``extensions/imports/segfault``: an extension whose import segfaults: the crash with its faulthandler trace;
- ``extensions/calibration/counter``: a C counter with a lost update: the race minimised to two calls,
  with its observed rate and a standalone repro script;
- ``markupsafe``: a real package from the index, installed from its wheels (the exact tag per lane).

It ends with a screen of its own (under 40 lines): the verdicts, the three findings, the wheel tags,
the decision and the report's path. The demo checks itself: each finding is known to exist, so one
that is not seen on a lane that ran is the lab (or the machine) misbehaving, and the exit status says
so (see ``demo_exit``). ``--full`` is the earlier demo: every import and calibration fixture plus two
real packages, each built and stressed on every lane (10 to 16 minutes on 2 cores), ending with the
usual run summary.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ftlab.engine.checks import CHECKS
from ftlab.engine.pipeline import RunOutcome, RunRequest
from ftlab.errors import LaneError
from ftlab.lanes.subjects import parse_subjects
from ftlab.records import Lane, Result, Signal

#: The source checkout: the fixtures are its extensions/ folder.
ROOT = Path(__file__).resolve().parents[3]

#: The quick demo's fixtures, one per finding it shows (folders under extensions/).
GIL_FIXTURE = "imports/chain"
CRASH_FIXTURE = "imports/segfault"
RACE_FIXTURE = "calibration/counter"
#: A real package with C extensions and cp314/cp314t wheels on PyPI, small (a 20 kB wheel), quick to stress.
WHEEL_PACKAGE = "markupsafe"

#: Per module: the crash fixture dies at once; nothing in the quick set should take long to import.
QUICK_MODULE_TIMEOUT_S = 10.0
#: Stress budget per subject and lane: the counter's lost update is found in 1.2 s (median; 2.9 s at
#: most) in benchmarks/calibration.py; minimising it and measuring its rate come on top of the budget.
QUICK_BUDGET_S = 6.0

#: --full: real packages with C extensions that ship free-threaded wheels, for real install records.
DEMO_PACKAGES = ("pyyaml", "markupsafe")
#: --full: fixture folders under extensions/ (each a project directory).
DEMO_FIXTURE_DIRS = ("imports", "calibration")
#: --full, per module: the hang fixture never returns, so keep the demo's wait for it short.
DEMO_MODULE_TIMEOUT_S = 10.0
#: --full: stress budget per subject and lane, shared by a fixture's buggy probe and its twin: calibration
#: finds every bug within 5 s (benchmarks/calibration.py), so 8 s each leaves a margin.
DEMO_BUDGET_S = 16.0

#: The quick demo's last screen stays within one terminal page.
MAX_SCREEN_LINES = 40
#: Lines of a faulthandler trace shown for the crash (the report has all of it).
TRACE_LINES = 3

EXIT_OK = 0
EXIT_NOT_SEEN = 1


def fixture_dirs() -> list[str]:
    out = []
    for group in DEMO_FIXTURE_DIRS:
        base = ROOT / "extensions" / group
        if base.is_dir():
            out += sorted(str(p) for p in base.iterdir() if (p / "pyproject.toml").exists() or (p / "setup.py").exists())
    return out


def quick_subjects() -> list[str]:
    return [str(ROOT / "extensions" / folder) for folder in (GIL_FIXTURE, CRASH_FIXTURE, RACE_FIXTURE)] + [WHEEL_PACKAGE]


def demo_request(*, store_path: Path, lane_specs: tuple[str, ...], argv: tuple[str, ...], full: bool = False) -> RunRequest:
    if full:
        subjects = parse_subjects([*fixture_dirs(), *DEMO_PACKAGES], [])
        options = {"budget_s": DEMO_BUDGET_S, "module_timeout_s": DEMO_MODULE_TIMEOUT_S}
    else:
        subjects = parse_subjects(quick_subjects(), [])
        options = {"budget_s": QUICK_BUDGET_S, "module_timeout_s": QUICK_MODULE_TIMEOUT_S}
    return RunRequest(subjects=tuple(subjects), lane_specs=lane_specs, checks=tuple(CHECKS)[:4], store_path=store_path,
                      argv=argv, options=options)


# -- what the quick demo shows -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Shown:
    """One thing the demo is meant to show on one lane, and whether the run showed it."""

    what: str  # gil | crash | race | wheel
    lane: str
    seen: bool


def expected(lanes: Sequence[Lane]) -> list[tuple[str, str]]:
    """(what, lane) the quick demo must show: the crash, the race and the wheel on every lane that ran;
    the GIL coming back on only where it can, on a free-threaded lane."""
    out = []
    for lane in lanes:
        if not lane.available:
            continue
        if lane.gil_disabled:
            out.append(("gil", lane.name))
        out += [("crash", lane.name), ("race", lane.name), ("wheel", lane.name)]
    return out


def _subject_name(folder: str) -> str:
    return {"imports/chain": "ftfix-chain", "imports/segfault": "ftfix-segfault",
            "calibration/counter": "ftcalib-counter"}[folder]


def _signals(results: Sequence[Result], subject: str, check: str, kind: str) -> dict[str, list[Signal]]:
    """lane -> the signals of one kind one subject's check produced there."""
    out: dict[str, list[Signal]] = {}
    for r in results:
        if r.subject == subject and r.check == check:
            out.setdefault(r.lane, []).extend(s for s in r.signals if s.kind == kind)
    return {lane: sigs for lane, sigs in out.items() if sigs}


def _wheels(results: Sequence[Result]) -> dict[str, dict]:
    """lane -> the wheel package's install record, when it installed from a wheel."""
    out = {}
    for r in results:
        dist = (r.data or {}).get("subject_dist") if r.subject == WHEEL_PACKAGE and r.check == "install" else None
        if dist and dist.get("outcome") == "wheel":
            out[r.lane] = dist
    return out


def shown(outcome: RunOutcome) -> list[Shown]:
    results = outcome.results
    found = {
        "gil": _signals(results, _subject_name(GIL_FIXTURE), "import", "gil-reenabled"),
        "crash": _signals(results, _subject_name(CRASH_FIXTURE), "import", "crash"),
        "race": _signals(results, _subject_name(RACE_FIXTURE), "stress", "corruption"),
        "wheel": _wheels(results),
    }
    return [Shown(what=what, lane=lane, seen=lane in found[what]) for what, lane in expected(outcome.lanes)]


def demo_exit(outcome: RunOutcome) -> int:
    """0: every finding the demo must show was seen on the lanes that ran (its decision is no-go: the
    fixtures are broken on purpose). 1: one was not seen (the screen names it). No usable lane, or an
    unreachable index, is exit 2 before this (an FtlabError)."""
    return EXIT_OK if all(s.seen for s in shown(outcome)) else EXIT_NOT_SEEN


def _lane_label(lane: Lane) -> str:
    return f"{lane.name} ({lane.kind}{', ' + lane.version if lane.version else ''})"


def _chain(sig: Signal) -> str:
    return " -> ".join(sig.evidence.get("chain") or [sig.evidence.get("module", "?")])


_C_FRAME = re.compile(r'Binary file "(?P<path>[^"]+)", at (?P<symbol>[^ ]+)')


def _trace_lines(sig: Signal) -> list[str]:
    """The lines of a faulthandler trace a person reads first: the fatal error, and the C frame in the
    extension (the Python frames above it are importlib's)."""
    text = str(sig.evidence.get("faulthandler") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    picked = [ln for ln in lines if ln.startswith("Fatal Python error")][:1]
    for ln in lines:
        m = _C_FRAME.search(ln)
        if m and "PyInit_" in m["symbol"]:
            picked.append(f"C stack: {m['symbol']} in {Path(m['path']).name}")
            break
    return [_shorten(ln, 96) for ln in (picked or lines)[:TRACE_LINES]]


def _reason(text: str, width: int = 120) -> str:
    """A lane's reason on one line: what happened and the fix, without the installer's detail in between."""
    if len(text) <= width or "; " not in text:
        return _shorten(text, width)
    return _shorten(f"{text.split(' (', 1)[0]}; {text.rpartition('; ')[2]}", width)


def _shorten(text: str, width: int) -> str:
    """A long path-heavy line kept readable: its end matters (the symbol), so the middle goes."""
    if len(text) <= width:
        return text
    keep = width - 5
    return text[: keep // 3] + " ... " + text[-(keep - keep // 3):]


def summary_lines(outcome: RunOutcome, written: Mapping[str, Path], *, seconds: float) -> list[str]:
    """The quick demo's last screen, plain text: verdicts, the three findings, the wheel tags, what was
    not seen, the decision and the report. Pure."""
    ran = [lane for lane in outcome.lanes if lane.available]
    missing = [lane for lane in outcome.lanes if not lane.available]
    names = list(dict.fromkeys(v.subject for v in outcome.verdicts))
    lines = [f"ftlab demo: {len(names)} subjects on " + (" and ".join(_lane_label(lane) for lane in ran) or "no lane")
             + f", {seconds:.0f} s"]
    for lane in missing:
        lines.append(f"  lane {lane.name}: unavailable: {_reason(lane.reason)}")
    for lane in ran:
        if lane.reason:  # a stand-in baseline ("baseline fallback: no GIL CPython 3.14 found ...")
            lines.append(f"  lane {lane.name}: {_reason(lane.reason)}")
    if ran and not any(lane.gil_disabled for lane in ran):
        lines.append("  without a free-threaded lane the GIL cannot come back on: the demo shows the crash, the race "
                     "and the wheel tags; add 3.14t ('uv python install 3.14t', or --lane PATH) for the rest")
    # Verdicts: subject x lane, one line each.
    cells = {(v.subject, v.lane): v.verdict for v in outcome.verdicts}
    if names and ran:
        width = max(len(n) for n in names) + 2
        lines.append("")
        lines.append(" " * (width + 2) + "".join(f"{lane.name:<16}" for lane in ran))
        for n in names:
            lines.append(f"  {n:<{width}}" + "".join(f"{cells.get((n, lane.name), '-'):<16}" for lane in ran))
    lines.append("")
    results = outcome.results
    gil = _signals(results, _subject_name(GIL_FIXTURE), "import", "gil-reenabled")
    for lane_name, sigs in gil.items():
        mods = ", ".join(sorted({str(s.evidence.get("module")) for s in sigs}))
        lines.append(f"1. GIL re-enabled on {lane_name}: {mods} never declared free-threading support; pulled in by")
        lines += [f"     {_chain(s)}" for s in sigs[:2]]
        break
    else:
        lines.append("1. GIL re-enabled: " + ("not seen (expected on the free-threaded lane)"
                                              if any(lane.gil_disabled for lane in ran) else "needs a free-threaded lane"))
    crash = _signals(results, _subject_name(CRASH_FIXTURE), "import", "crash")
    if crash:
        # The lane whose trace shows the extension's C frame (3.14 adds C stacks to faulthandler's dump).
        lane_name, sigs = max(crash.items(), key=lambda kv: len(_trace_lines(kv[1][0])))
        sig = sigs[0]
        lines.append(f"2. Crash: importing {sig.evidence.get('module') or 'ftfix_segfault'} kills the interpreter with "
                     f"{sig.evidence.get('signal') or 'a signal'} on {', '.join(sorted(crash))}; faulthandler on {lane_name}:")
        lines += [f"     {ln}" for ln in _trace_lines(sig)]
    else:
        lines.append("2. Crash: not seen (expected on every lane)")
    race = _signals(results, _subject_name(RACE_FIXTURE), "stress", "corruption")
    if race:
        lane_name, sigs = (next(((k, v) for k, v in race.items() if k in {ln.name for ln in ran if ln.gil_disabled}), None)
                           or next(iter(race.items())))
        ev = sigs[0].evidence
        parallel = next((row[1:] for row in ev.get("table") or [] if row and row[0] == "parallel"), [])
        scenario = " | ".join(f"thread {i}: {str(cell).replace('<-', '').strip()}" for i, cell in enumerate(parallel))
        final = str(ev.get("detail", "")).rpartition("; ")[2]
        rates = ", ".join(f"{r[0]} of {r[1]} runs on {k}" for k, s in race.items()
                          if len(r := s[0].evidence.get("rate") or ()) == 2)
        lines.append(f"3. Race: {ev.get('probe', 'the counter')} loses updates; the minimal scenario, two threads:")
        lines.append(f"     {scenario or 'see the report'}" + (f"  ({final}: no sequential order gives this)" if final else ""))
        lines.append(f"   seen in {rates}")
        if ev.get("repro"):
            lines.append(f"   repro ({lane_name}): python {ev['repro']}")
    else:
        lines.append("3. Race: not seen (expected on every lane)")
    wheels = _wheels(results)
    if wheels:
        version = next(iter(wheels.values())).get("version", "")
        lines.append(f"4. Wheels: {WHEEL_PACKAGE} {version} installed from its wheels, tags as published:")
        lines += [f"     {lane}: {d.get('wheel_tag') or d.get('filename')}" for lane, d in sorted(wheels.items())]
    else:
        lines.append(f"4. Wheels: {WHEEL_PACKAGE} did not install from a wheel (see the report)")
    lines.append("")
    not_seen = [s for s in shown(outcome) if not s.seen]
    if not_seen:
        lines.append("NOT SEEN (the demo knows these exist; report it with the run's files): "
                     + ", ".join(f"{s.what} on {s.lane}" for s in not_seen))
    decision = outcome.decision
    reasons = outcome.counts()["reasons"]["total"]  # the count every report gives (per package and lane)
    lines.append(f"decision: {decision.decision.upper()} ({reasons} gating reason(s)): the fixtures "
                 "are broken on purpose, so no-go is the right answer")
    html = written.get("html")
    if html:
        others = ", ".join(k for k in written if k != "html")
        lines.append(f"report: {html}" + (f"  (also {others})" if others else ""))
    lines.append("next: ftlab run YOUR-PACKAGES (or -r requirements.txt); the whole calibration set: ftlab demo --full")
    return lines


def demo_command(args: argparse.Namespace, *, store_path: Path, run_and_render) -> int:
    """``ftlab demo [--full]``. ``run_and_render(request, args, findings_exit=...)`` is the run command's
    (the full demo ends as a run does); the quick demo writes the reports and its own last screen."""
    from ftlab.engine.pipeline import execute
    from ftlab.progress import Reporter
    from ftlab.report import jsonreport, write_reports

    request = demo_request(store_path=store_path, lane_specs=tuple(args.lane), argv=tuple(sys.argv),
                           full=bool(getattr(args, "full", False)))
    if getattr(args, "full", False):
        # The fixtures crash, hang and race on purpose: findings are the demo working, not failing.
        return run_and_render(request, args, findings_exit=EXIT_OK)
    started = time.monotonic()
    outcome = execute(request, Reporter(quiet=False))
    seconds = time.monotonic() - started
    written = write_reports(outcome, getattr(args, "report_dir", None))
    if not any(lane.available for lane in outcome.lanes):
        reasons = "; ".join(f"{lane.name}: {lane.reason}" for lane in outcome.lanes)
        raise LaneError(f"the demo found no usable interpreter ({reasons}); install one with 'uv python install 3.14 "
                        "3.14t' or pass --lane PATH")
    code = demo_exit(outcome)
    if args.json:
        # The run's JSON report document (as `ftlab report --format json` prints it), plus what the demo showed.
        doc = jsonreport.render(outcome, written)
        doc["demo"] = {"seconds": round(seconds, 1), "shown": [s.__dict__ for s in shown(outcome)]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        print("\n".join(summary_lines(outcome, written, seconds=seconds)))
    return code
