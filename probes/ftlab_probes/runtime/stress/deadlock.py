"""A deadlock seen from outside the worker: every thread asleep in a wait that nothing can end.

The hang timeout (``hang_s``, 2 s) is the only sign of a hang that works everywhere, and a
lock-order inversion paid it in full before it was reported. On Linux the coordinator can see
sooner that nothing can move: ``/proc/PID/task/TID/syscall`` names the call each thread of the
worker sleeps in, with its arguments. The worker is deadlocked when, on two looks ``CONFIRM_S``
apart with no thread having used any CPU in between:

- at least one thread sleeps in an untimed wait on a process-private futex (a ``pthread_mutex``,
  a ``threading.Lock``, a ``PyMutex``: only a thread of this process can wake it);
- every other thread sleeps in such a wait, or in a read of an eventfd (the crew's doorbells:
  only a thread of this process writes them), except at most one in a timed futex wait
  (faulthandler's watchdog thread, armed for the whole scenario).

Anything else (a thread running or runnable, in a sleep, in a read of a pipe or socket, in a
shared futex, a second timed waiter that may wake up and release a lock) leaves the decision to
the hang timeout. A GIL build's threads waiting for the GIL wait timed, so a deadlock with the GIL
held is left to the timeout too.
"""

import os
import platform
import signal

#: Seconds between the two looks that must agree.
CONFIRM_S = 0.25
#: Seconds between looks while the worker runs.
POLL_S = 0.05
#: The worker dumps every thread's stack on this signal (faulthandler.register in worker.main).
STACKS_SIGNAL = signal.SIGUSR2
#: Seconds the coordinator waits for that dump to end (its stderr stops growing for STILL_S).
DUMP_S, STILL_S = 2.0, 0.1

#: (futex, read) system call numbers per machine; elsewhere only the hang timeout applies.
SYSCALLS = {"x86_64": (202, 0), "aarch64": (98, 63)}
FUTEX_PRIVATE_FLAG = 128
FUTEX_CLOCK_REALTIME = 256
#: FUTEX_WAIT, FUTEX_LOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2.
FUTEX_WAITS = {0, 6, 9, 11, 13}

UNTIMED, TIMED, DOORBELL = "untimed", "timed", "doorbell"


def supported():
    return platform.machine() in SYSCALLS and os.path.isdir("/proc/self/task")


def _thread(pid, tid, numbers):
    """(kind, cpu ticks) of one thread, kind None when it is not asleep in a wait we can judge."""
    base = "/proc/%d/task/%s/" % (pid, tid)
    with open(base + "stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    state, cpu = fields[0], int(fields[11]) + int(fields[12])
    if state != "S":
        return None, cpu
    with open(base + "syscall") as f:
        words = f.read().split()
    if len(words) < 5 or words[0] == "running":
        return None, cpu
    number, args = int(words[0]), [int(w, 16) for w in words[1:5]]
    futex, read = numbers
    if number == futex:
        op = args[1]
        if op & FUTEX_PRIVATE_FLAG and (op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)) in FUTEX_WAITS:
            return (TIMED if args[3] else UNTIMED), cpu
        return None, cpu
    if number == read:
        try:
            target = os.readlink("/proc/%d/fd/%d" % (pid, args[0]))
        except OSError:
            return None, cpu
        return (DOORBELL if target == "anon_inode:[eventfd]" else None), cpu
    return None, cpu


def look(pid):
    """{tid: (kind, cpu ticks)} when the process could be deadlocked, else None."""
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None:
        return None
    try:
        threads = {tid: _thread(pid, tid, numbers) for tid in os.listdir("/proc/%d/task" % pid)}
    except (OSError, ValueError, IndexError):  # the process or a thread ended while we looked
        return None
    kinds = [kind for kind, _ in threads.values()]
    if None in kinds or UNTIMED not in kinds or kinds.count(TIMED) > 1:
        return None
    return threads


class Watcher:
    """Looks at a worker every POLL_S; ``deadlocked()`` is True once two looks CONFIRM_S apart agree."""

    def __init__(self, pid, clock):
        self.pid, self.clock = pid, clock
        self.enabled = supported()
        self._first = None  # (time, look) of the first look of the current candidate

    def deadlocked(self):
        if not self.enabled:
            return False
        now = self.clock()
        seen = look(self.pid)
        if seen is None:
            self._first = None
            return False
        if self._first is None or self._first[1] != seen:
            # A first look, or a thread came, went, used CPU or changed its wait: something moves.
            self._first = (now, seen)
            return False
        return now - self._first[0] >= CONFIRM_S
