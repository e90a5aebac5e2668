"""Double-forks a daemon in a new session that outlives the import, then returns normally."""
import os
import sys

from ftfix_hostile import DAEMON_MARKER

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
