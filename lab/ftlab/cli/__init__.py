"""The command line: one registry of commands, each command's parser and handler together."""

from ftlab.cli.main import main

__all__ = ["main"]
