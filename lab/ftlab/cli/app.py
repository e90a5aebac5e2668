"""The command line: one registry of commands, each command's parser and handler side by side in its
module (ftlab.cli.run, .info, .stored, .maintainers, .scale; ftlab.cli.common holds what they share).
Everything a command does is callable from Python too.

The command modules import the engine, the store and the reports inside their handlers, not at module
level: every invocation builds every parser, and importing those up front measured ~14 ms -> ~200 ms+
for `ftlab --help` (python -X importtime, ftlab.cli.app cumulative); the layers below import at module
level.

Exit codes: 0 go (or nothing found), 1 findings (no-go, or a diff that regressed), 2 bad input or an
unusable environment, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from ftlab.cli import info, maintainers, run, scale, stored
from ftlab.cli.common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, Command, Parser
from ftlab.errors import NO_SPACE_ERRNOS, FtlabError
from ftlab.version import __version__

#: Every command, in the order `ftlab --help` lists them.
ORDER = ("lanes", "run", "readiness", "runs", "checks", "probes", "demo", "report", "diff", "check", "ci", "lock",
         "merge", "survey")
_ALL = {**info.COMMANDS, **run.COMMANDS, **stored.COMMANDS, **maintainers.COMMANDS, **scale.COMMANDS}
#: The registry: command name -> its parser and handler.
COMMANDS: dict[str, Command] = {name: _ALL[name] for name in ORDER}


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="ftlab", description="Free-threaded compatibility lab: does this dependency tree work on CPython 3.14t?")
    p.add_argument("--version", action="version", version=f"ftlab {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS.values():
        command.add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        return main_inner(argv)
    except FtlabError as exc:
        if debug:
            traceback.print_exc()
        print(f"ftlab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ftlab: interrupted; results recorded so far are kept (resume with 'ftlab run --resume latest')", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.errno not in NO_SPACE_ERRNOS:
            raise
        if debug:
            traceback.print_exc()
        where = f" writing '{exc.filename}'" if exc.filename else ""
        print(f"ftlab: error: the disk is full: no space left on the disk{where}; free some space (results recorded so far are "
              "kept; 'ftlab run --resume' finishes an unfinished run)", file=sys.stderr)
        return EXIT_USAGE


def main_inner(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    command = COMMANDS[args.command]
    if command.cancel_on_signals:
        from ftlab.engine.session import cancel_on_signals

        cancel_on_signals()
    return command.run(args)
