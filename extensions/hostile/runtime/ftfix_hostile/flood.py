"""Writes 4 GiB to stdout."""
import sys

block = b"x" * (1024 * 1024)
for _ in range(4096):
    sys.stdout.buffer.write(block)
