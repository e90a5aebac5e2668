"""Stress probes for the registry fixture: ``ftcalib_registry.probes:RacyRegistryProbe`` (finds
``corruption``) and ``ftcalib_registry.probes:LockedRegistryProbe`` (finds nothing)."""

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op


class RacyRegistryProbe(Probe):
    subject = "ftcalib-registry"

    def make(self):
        from ftcalib_registry import RacyRegistry

        return RacyRegistry()

    @op(st.sampled_from(["a", "b", "c"]))
    def register(self, obj, name):
        return obj.register(name)

    @op(st.sampled_from(["a", "b", "c"]))
    def lookup(self, obj, name):
        return obj.lookup(name)

    def state(self, obj):
        return obj.snapshot()


class LockedRegistryProbe(RacyRegistryProbe):
    def make(self):
        from ftcalib_registry import LockedRegistry

        return LockedRegistry()
