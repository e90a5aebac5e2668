"""Calibration fixture, pure Python: an LRU cache whose constructor needs its size (RacyLRUCache)
and its correct twin (LRUCache)."""

import threading
from collections import OrderedDict


class RacyLRUCache:
    """At most ``maxsize`` entries, least recently used evicted first. ``put`` checks the size, then
    evicts, then inserts, with method calls between and no lock; the hit and miss counters are read,
    then written. Two puts at once overfill it or evict one entry twice; two gets lose a count."""

    def __init__(self, maxsize):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._data = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        if key in self._data:
            self._touch(key)
            self.hits = self._bump(self.hits)
            return self._data[key]
        self.misses = self._bump(self.misses)
        return None

    def put(self, key, value):
        if key not in self._data and self._full():
            self._evict()
        self._data[key] = value
        self._touch(key)

    def stats(self):
        return (self.hits, self.misses, len(self._data))

    def __len__(self):
        return len(self._data)

    def _full(self):
        return len(self._data) >= self.maxsize

    def _evict(self):
        oldest = next(iter(self._data), None)
        if oldest is not None:
            self._data.pop(oldest, None)

    def _touch(self, key):
        if key in self._data:
            self._data.move_to_end(key)

    def _bump(self, count):
        return count + 1


class LRUCache(RacyLRUCache):
    """The same cache with a lock around ``get`` and ``put``."""

    def __init__(self, maxsize):
        super().__init__(maxsize)
        self._lock = threading.RLock()

    def get(self, key):
        with self._lock:
            return super().get(key)

    def put(self, key, value):
        with self._lock:
            super().put(key, value)

    def stats(self):
        with self._lock:
            return super().stats()

    def __len__(self):
        with self._lock:
            return super().__len__()
