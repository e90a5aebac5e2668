"""What ftlab can use and do: `ftlab lanes`, `ftlab checks`, `ftlab probes` (parsers and handlers)."""

from __future__ import annotations

import argparse
import os

from ftlab.cli.common import EXIT_OK, Command, emit_json
from ftlab.errors import UsageError


def add_lanes(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("lanes", help="list the interpreters ftlab can use as lanes")
    sp.add_argument("--lane", action="append", default=[], metavar="SPEC", help="also fingerprint this interpreter")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")
    return sp


def cmd_lanes(args: argparse.Namespace) -> int:
    from ftlab.lanes import interpreters as lanes_mod
    from ftlab.report import terminal

    explicit = [lanes_mod.fingerprint(s.path, source="explicit", name=s.name)
                for s in (lanes_mod.parse_spec(x) for x in args.lane) if s.is_path]
    bad = [x for x in args.lane if not lanes_mod.parse_spec(x).is_path]
    if bad:
        raise UsageError(f"'ftlab lanes --lane' takes interpreter paths; '{bad[0]}' is a version (use it with 'ftlab run --lane')")
    found = lanes_mod.discover()
    known = {os.path.realpath(lane.path) for lane in explicit}
    found = explicit + [lane for lane in found if os.path.realpath(lane.path) not in known]
    if args.json:
        emit_json({"lanes": [lane.to_report_json() for lane in found]})
    else:
        terminal.print_lanes(found)
    return EXIT_OK


def add_checks(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("checks", help="list the checks a run can do")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")
    return sp


def cmd_checks(args: argparse.Namespace) -> int:
    from ftlab.engine.checks import CHECKS

    if args.json:
        emit_json({"checks": [{"name": c.name, "per_subject": c.per_subject, "description": c.description}
                              for c in CHECKS.values()]})
    else:
        for c in CHECKS.values():
            print(f"{c.name:<12} {c.description}")
    return EXIT_OK


def add_probes(sub) -> argparse.ArgumentParser:
    sp = sub.add_parser("probes", help="list the stress probes: subject, probe path, ops, hand-written or auto")
    sp.add_argument("--json", action="store_true", help="print JSON on stdout")
    return sp


def cmd_probes(args: argparse.Namespace) -> int:
    from ftlab.engine.checks.probes_list import load_catalog
    from ftlab.engine.checks.probes_list import render as render_probes

    entries = load_catalog()
    if args.json:
        emit_json({"probes": entries})
    else:
        print(render_probes(entries))
    return EXIT_OK


COMMANDS = {
    "lanes": Command(name="lanes", add=add_lanes, run=cmd_lanes),
    "checks": Command(name="checks", add=add_checks, run=cmd_checks),
    "probes": Command(name="probes", add=add_probes, run=cmd_probes),
}
