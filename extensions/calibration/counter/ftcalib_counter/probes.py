"""Stress probes for the counter fixture: ``ftcalib_counter.probes:RacyCounterProbe`` (finds
``corruption``) and ``ftcalib_counter.probes:LockedCounterProbe`` (finds nothing)."""

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op


class RacyCounterProbe(Probe):
    subject = "ftcalib-counter"

    def make(self):
        from ftcalib_counter import RacyCounter

        return RacyCounter()

    @op(st.integers(1, 3))
    def add(self, obj, n):
        return obj.add(n)

    @op()
    def get(self, obj):
        return obj.get()

    def invariant(self, obj):
        assert obj.get() >= 0, "negative count"

    def state(self, obj):
        return obj.get()


class LockedCounterProbe(RacyCounterProbe):
    def make(self):
        from ftcalib_counter import LockedCounter

        return LockedCounter()
