"""queue.Queue: the standard library's designated thread-safe channel, raced with the non-blocking
calls only (a blocking ``get`` on an empty queue would hang the sequential replays)."""

import queue

from ftlab_probes.api import Probe, op
from ftlab_probes.stdlib._values import SMALL_INTS

SUBJECT = "stdlib"


class QueueProbe(Probe):
    """put_nowait/get_nowait on a bounded FIFO, with its size queries."""

    subject = SUBJECT
    raises = (queue.Empty, queue.Full)

    def make(self):
        return queue.Queue(maxsize=3)

    @op(SMALL_INTS)
    def put_nowait(self, obj, item):
        return obj.put_nowait(item)

    @op()
    def get_nowait(self, obj):
        return obj.get_nowait()

    @op()
    def qsize(self, obj):
        return obj.qsize()

    @op()
    def empty(self, obj):
        return obj.empty()

    @op()
    def full(self, obj):
        return obj.full()

    def invariant(self, obj):
        assert 0 <= obj.qsize() <= 3, "queue size out of bounds"

    def state(self, obj):
        return list(obj.queue)


class LifoQueueProbe(QueueProbe):
    """The same on a LIFO queue."""

    def make(self):
        return queue.LifoQueue(maxsize=3)


class SimpleQueueProbe(Probe):
    """queue.SimpleQueue (C implementation, unbounded)."""

    subject = SUBJECT
    raises = (queue.Empty,)

    def make(self):
        return queue.SimpleQueue()

    @op(SMALL_INTS)
    def put(self, obj, item):
        return obj.put(item)

    @op()
    def get_nowait(self, obj):
        return obj.get_nowait()

    @op()
    def qsize(self, obj):
        return obj.qsize()
