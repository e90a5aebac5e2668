"""Calibration fixture, pure Python: a registry that hands out duplicate ids (RacyRegistry) and its
correct twin (LockedRegistry)."""

import threading


class RacyRegistry:
    """One id per name, ids counted from 0. Check-then-act without a lock.

    ``register`` checks ``name not in ids``, then calls ``_allocate`` (a Python call: the GIL can
    switch there), then inserts; ``_allocate`` reads the next id, calls ``_audit``, then writes it
    back. Two threads can allocate the same id for two names, or two ids for one name.
    """

    def __init__(self):
        self._ids = {}
        self._next = 0

    def register(self, name):
        if name not in self._ids:
            self._ids[name] = self._allocate()
        return self._ids[name]

    def lookup(self, name):
        return self._ids.get(name)

    def snapshot(self):
        return dict(self._ids)

    def _allocate(self):
        ident = self._next
        self._audit(ident)
        self._next = ident + 1
        return ident

    def _audit(self, ident):
        if ident < 0:
            raise ValueError("negative id")


class LockedRegistry(RacyRegistry):
    """The same registry with a lock around register()."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def register(self, name):
        with self._lock:
            return super().register(name)
