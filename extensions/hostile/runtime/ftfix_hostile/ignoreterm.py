"""Ignores SIGTERM (and SIGINT, SIGHUP), then sleeps forever: only SIGKILL ends it."""
import signal
import time

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
time.sleep(10**6)
