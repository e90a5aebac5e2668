"""Entry point inside a lane: ``python -X faulthandler -m ftlab_probes.runtime COMMAND --job J --out O``.

Each command is a module ``ftlab_probes.runtime.<command>`` (or a package) exposing ``run(job) -> dict``
with keys ``status``, ``data`` and ``signals``; this wrapper adds the envelope and writes the
result atomically. A command that raises produces an ``error`` result with the traceback, so the
host can tell "the check failed to run" from "the child died".
"""

import argparse
import faulthandler
import importlib
import sys
import time
import traceback

from ftlab_probes.runtime import protocol

#: Commands and the module that implements each.
COMMANDS = {
    "fingerprint": "ftlab_probes.runtime.fingerprint",
    "imports": "ftlab_probes.runtime.imports.check",
    "stress": "ftlab_probes.runtime.stress.job",
    "stress-replay": "ftlab_probes.runtime.stress.replay",
    "perf": "ftlab_probes.runtime.perf",
}

#: The child dumps every thread's stack this many seconds before the host's kill, so a hang always
#: leaves evidence (the host waits timeout_s + its own grace before killing the process group).
HANG_DUMP_LEAD_S = 2.0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ftlab_probes.runtime")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    # Resource limits, network and file-system isolation are the sandbox's (lab/ftlab/sandbox/bootstrap.py).
    job = protocol.read_job(args.job)
    timeout = job.get("timeout_s")
    if timeout and not faulthandler.is_enabled():
        faulthandler.enable()
    if timeout:
        faulthandler.dump_traceback_later(max(1.0, timeout - HANG_DUMP_LEAD_S), exit=True)

    started = time.time()
    try:
        module = importlib.import_module(COMMANDS[args.command])
        outcome = module.run(job)
    except Exception:
        outcome = {"status": "error", "data": {"traceback": traceback.format_exc()}, "signals": []}
    finally:
        faulthandler.cancel_dump_traceback_later()
    doc = {
        "format": protocol.RESULT_FORMAT,
        "job_id": job["job_id"],
        "command": args.command,
        "status": outcome.get("status", "ok"),
        "data": outcome.get("data", {}),
        "signals": outcome.get("signals", []),
        "started_at": started,
        "finished_at": time.time(),
    }
    protocol.write_json_atomic(args.out, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
