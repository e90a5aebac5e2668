"""Standalone repro scripts: one file per finding that replays its minimal scenario K times.

The script carries the probe path, the scenario (a literal, or a pickle when an argument has no
literal form), the kind and the sys.path of the job that found it; run with the lane's interpreter
it prints ``reproduced K of N runs`` and exits 1 when the failure showed up, 0 when it did not.
In-process kinds replay in the script's own process; crashes and hangs replay in worker processes,
so the script survives them and can count.
"""

import argparse
import os
import sys
import sysconfig
import tempfile
import textwrap

from ftlab_probes.runtime.stress import launch, rate
from ftlab_probes.runtime.stress.scenario import render_table
from ftlab_probes.runtime.stress.target import Target

#: Replays per repro run unless --runs says otherwise; the engine's own rates use the same order.
DEFAULT_RUNS = 1000

#: Cap on a repro run's wall time for crashes and hangs (each costs a worker start or a timeout).
DEATH_TIME_S = 120.0

_TEMPLATE = '''\
#!{python}
"""ftlab stress repro: {kind} in {probe}.

Found with {lane}; seen in {failures} of {runs} runs of this minimal scenario:

{table}

{summary}

Run it with the same interpreter, ``{python} {name} [--runs N] [--first]``:
it prints how often the failure showed up and exits 1 when it did, 0 when it did not.
``--first`` stops at the first failure (``git bisect run`` takes the exit status as it is).
"""

import base64
import pickle
import sys

sys.path[:0] = {paths!r}

from ftlab_probes.runtime.stress import repro
from ftlab_probes.runtime.stress.scenario import scenario_from_literal

SCENARIO = {scenario}

if __name__ == "__main__":
    sys.exit(repro.main({probe!r}, SCENARIO, {kind!r}, hang_s={hang_s!r}, check_budget={check_budget!r},
                        schedule={schedule!r}))
'''


def write(path, *, probe, scenario, rows, kind, failures, runs, summary, hang_s, check_budget, schedule="random"):
    """Write the repro script for a finding to ``path``; ``rows`` is the scenario's table."""
    text = _TEMPLATE.format(
        python=sys.executable,
        kind=kind,
        probe=probe,
        lane="CPython %s%s"
        % (sys.version.split()[0], " free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else ""),
        failures=failures,
        runs=runs,
        table=textwrap.indent(render_table(rows, len(scenario.threads)), "    "),
        summary="\n".join(textwrap.wrap(summary, 100)),
        name=os.path.basename(path),
        paths=[p for p in sys.path if p],
        scenario=scenario.to_source(),
        hang_s=hang_s,
        check_budget=check_budget,
        schedule=schedule,
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def main(probe, scenario, kind, *, hang_s, check_budget, schedule="random", argv=None):
    """The body of a repro script."""
    parser = argparse.ArgumentParser(description="Replay an ftlab stress finding (%s in %s)." % (kind, probe))
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="replays (default %(default)s)")
    parser.add_argument("--first", action="store_true",
                        help="stop at the first failure: a yes/no answer, e.g. for git bisect run")
    args = parser.parse_args(argv)
    if kind in rate.DEATHS:
        settings = launch.Batch(probe, (), 0, 0.0, 0.0, (kind,), False, hang_s, 0, check_budget, ((schedule, 1.0),))
        with tempfile.TemporaryDirectory(prefix="ftlab-repro-") as workdir:
            measured = rate.in_workers(settings, scenario, kind, args.runs, DEATH_TIME_S, workdir,
                                       first_only=args.first)
        if measured.trace:
            print(measured.trace, file=sys.stderr)
    else:
        measured = rate.in_process(Target(probe), scenario, kind, args.runs, check_budget, schedule=schedule,
                                   first_only=args.first)
        if measured.first:
            print(render_table(measured.first["table"], len(scenario.threads)))
            print(measured.first["summary"])
    print("reproduced %d of %d runs (%s)" % (measured.failures, measured.runs, kind))
    return 1 if measured.failures else 0
