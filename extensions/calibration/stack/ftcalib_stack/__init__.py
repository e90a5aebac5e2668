"""Calibration fixture, pure Python: a stack whose ``pop`` raises on an empty stack and races once
it holds something (RacyStack), and its correct twin (Stack).

On a fresh object ``pop`` raises IndexError for every input, so a screener that only calls methods
on fresh objects drops it, and ``push`` alone (``list.append``) never races: the bug is found only
when ``pop`` is screened again after pushes and raced on a filled stack."""

import threading

__all__ = ["RacyStack", "Stack"]


class RacyStack:
    """``pop`` reads the top item, makes a Python call, then deletes the top, with no lock: two pops at
    once return the same item and delete two, so one item is never returned."""

    def __init__(self):
        self._items = []

    def push(self, item):
        self._items.append(item)

    def pop(self):
        if not self._items:
            raise IndexError("pop from an empty stack")
        top = self._items[-1]
        self._touch(top)
        del self._items[-1]
        return top

    def __len__(self):
        return len(self._items)

    def _touch(self, item):
        return item


class Stack(RacyStack):
    """The same stack with a lock around ``push`` and ``pop`` (a push between pop's read and its delete
    would otherwise be the item deleted)."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def push(self, item):
        with self._lock:
            super().push(item)

    def pop(self):
        with self._lock:
            return super().pop()
