"""Closes stdin, stdout and stderr at the file-descriptor level, then fails: its evidence must still
reach the lab (results travel on their own channel)."""
import os

for fd in (0, 1, 2):
    os.close(fd)
raise RuntimeError("closestdout: failed after closing its standard streams")
