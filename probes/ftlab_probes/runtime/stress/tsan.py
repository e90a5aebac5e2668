"""ThreadSanitizer reports as findings: a lane built with ``--with-thread-sanitizer`` prints
``WARNING: ThreadSanitizer: data race`` to a worker's stderr when two threads touch the same memory
without synchronisation, even when no result ever shows it (a statistics field, a flag).

Each report is parsed into its two accesses (their stacks), attributed to the first extension module
(a shared object other than the interpreter, libpython and the C runtime) found in those stacks, and
keyed by its ``SUMMARY`` location, so one race seen a thousand times is one signal. Races whose
stacks hold no extension frame are the interpreter's own: counted, not reported (CPython keeps a
suppressions list for its own). The scenario in flight is read from the marks the worker writes to
stderr before each scenario (``SCENARIO_MARK``).
"""

import os
import re

from ftlab_probes.runtime.fingerprint import sanitizer

#: The first line of every report.
MARKER = "WARNING: ThreadSanitizer:"
MARKER_BYTES = MARKER.encode()
#: ThreadSanitizer's default exit status when it reported anything (TSAN_OPTIONS exitcode=66).
EXIT_STATUS = 66
#: Worker stderr read for reports, at most: a report takes ~2-4 kB, and duplicates are suppressed
#: by ThreadSanitizer itself (one report per pair of stacks and process).
STDERR_CHARS = 4_000_000
#: Written by the worker before each scenario: the scenario's index follows.
SCENARIO_MARK = "ftlab-stress-scenario "
#: Frames kept per stack in a signal's evidence.
FRAMES_KEPT = 12

#: Binaries that are never the extension to blame.
_RUNTIME = re.compile(r"^(python\d|libpython|libtsan|libc\.|libc-|libpthread|ld-linux|libm\.|libstdc\+\+|libgcc)")
_FRAME = re.compile(r"^\s*#(?P<n>\d+) (?P<func>\S+)(?: (?P<where>.*?))? \((?P<binary>[^()+]+)\+0x[0-9a-fA-F]+\)\s*$")
_ACCESS = re.compile(r"^\s{2}(?P<what>(?:Previous )?(?:atomic )?(?:[Rr]ead|[Ww]rite)) of size (?P<size>\d+) at (?P<addr>0x[0-9a-f]+) by (?P<who>[^:]+):\s*$")
_SUMMARY = re.compile(r"^SUMMARY: ThreadSanitizer: (?P<kind>[a-z -]+?) (?P<where>\S+) in (?P<func>\S+)\s*$")


def lane_is_tsan():
    """Whether this interpreter was built with ThreadSanitizer (its build configuration says so; the
    lane's fingerprint reads the same, as its ``sanitizer``)."""
    return sanitizer() == "thread"


def _binary_module(binary):
    """``_bank.cpython-314t-x86_64-linux-gnu.so`` -> ``_bank``."""
    return os.path.basename(binary).split(".")[0]


def _stacks(lines):
    """The access stacks of one report: [(header, [frame dict, ...]), ...] in report order."""
    stacks, current = [], None
    for line in lines:
        access = _ACCESS.match(line)
        if access:
            current = (line.strip(), [])
            stacks.append(current)
            continue
        frame = _FRAME.match(line)
        if frame and current is not None:
            current[1].append(frame.groupdict())
        elif not line.strip() or not line.startswith("    "):
            current = None
    return stacks


def parse(stderr, scenarios_count=None, extensions=None):
    """Reports found in a worker's stderr: a list of dicts with ``kind``, ``location``, ``function``,
    ``module`` (the extension blamed, or None for the interpreter's own races), ``stacks`` (the two
    accesses, their frames as text), ``scenario`` (index of the scenario in flight, or None) and
    ``text`` (the report, capped). ``extensions`` maps a binary's name to its dotted module name."""
    extensions = extensions or {}
    reports = []
    scenario = None
    block = None
    for line in stderr.splitlines():
        if line.startswith(SCENARIO_MARK):
            try:
                scenario = int(line[len(SCENARIO_MARK):])
            except ValueError:
                pass
            continue
        if line.startswith(MARKER):
            block = [line]
            continue
        if block is None:
            continue
        block.append(line)
        summary = _SUMMARY.match(line)
        if summary:
            reports.append(_report(block, summary, scenario, extensions))
            block = None
    return reports


def _report(block, summary, scenario, extensions):
    stacks = _stacks(block)
    module = None
    for _, frames in stacks[:2]:
        for frame in frames:
            binary = os.path.basename(frame["binary"])
            if not _RUNTIME.match(binary) and ".so" in binary:
                module = extensions.get(binary) or _binary_module(binary)
                break
        if module:
            break
    return {
        "kind": summary.group("kind"),
        "location": summary.group("where"),
        "function": summary.group("func"),
        "module": module,
        "stacks": [
            {"access": header,
             "frames": ["#%s %s %s (%s)" % (f["n"], f["func"], f["where"] or "", os.path.basename(f["binary"]))
                        for f in frames[:FRAMES_KEPT]]}
            for header, frames in stacks[:2]
        ],
        "scenario": scenario,
        "text": "\n".join(block)[:8000],
    }


def key(report):
    """Reports with the same key are one race: the same kind at the same source location."""
    return (report["kind"], report["location"], report["module"])
