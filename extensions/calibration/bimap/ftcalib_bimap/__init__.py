"""Calibration fixture, pure Python: a two-way map whose two sides drift apart (RacyBiMap) and its
correct twin (BiMap)."""

import threading


class RacyBiMap:
    """key <-> value, both unique. ``put`` unlinks the old pairs of the key and of the value, then
    links the new pair, in steps with method calls between them and no lock: two puts at once leave
    a key whose value maps back to another key, or a value with no key."""

    def __init__(self):
        self._forward = {}
        self._inverse = {}

    def put(self, key, value):
        self._unlink_value(value)
        old = self._forward.get(key)
        if old is not None:
            self._unlink_value(old)
        self._link(key, value)

    def get(self, key):
        return self._forward.get(key)

    def key_of(self, value):
        return self._inverse.get(value)

    def __len__(self):
        return len(self._forward)

    def __repr__(self):
        return "%s(%r, inverse=%r)" % (type(self).__name__, dict(sorted(self._forward.items())),
                                       dict(sorted(self._inverse.items())))

    def _unlink_value(self, value):
        key = self._inverse.pop(value, None)
        if key is not None:
            self._forward.pop(key, None)

    def _link(self, key, value):
        self._forward[key] = value
        self._inverse[value] = key


class BiMap(RacyBiMap):
    """The same map with a lock around ``put`` and every reader (a first version locked only ``put``,
    and the engine rightly flagged it: ``key_of`` could see a value unlinked and not yet linked
    again, a state between two sequential ones)."""

    def __init__(self):
        super().__init__()
        self._lock = threading.RLock()

    def put(self, key, value):
        with self._lock:
            super().put(key, value)

    def get(self, key):
        with self._lock:
            return super().get(key)

    def key_of(self, value):
        with self._lock:
            return super().key_of(value)

    def __len__(self):
        with self._lock:
            return super().__len__()

    def __repr__(self):
        with self._lock:
            return super().__repr__()
