"""The command line: one registry of commands (ftlab.cli.app, the `ftlab` entry point), each command's
parser and handler side by side in its module."""

from ftlab.cli.app import main

__all__ = ["main"]
