"""The command line: one registry of commands (ftlab.cli.main, the `ftlab` entry point), each command's
parser and handler side by side in its module."""

from ftlab.cli.main import main

__all__ = ["main"]
