"""Stress probes for the buffer fixture: ``ftcalib_buffer.probes:RacyBufferProbe`` (finds ``crash``)
and ``ftcalib_buffer.probes:LockedBufferProbe`` (finds nothing)."""

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op


class RacyBufferProbe(Probe):
    subject = "ftcalib-buffer"

    def make(self):
        from ftcalib_buffer import RacyBuffer

        return RacyBuffer()

    @op(st.integers(1, 16))
    def resize(self, obj, pages):
        return obj.resize(pages)

    @op()
    def checksum(self, obj):
        return obj.checksum()

    @op()
    def size(self, obj):
        return obj.size()

    def invariant(self, obj):
        assert obj.checksum() == obj.size(), "checksum differs from size"

    def state(self, obj):
        return obj.size()


class LockedBufferProbe(RacyBufferProbe):
    def make(self):
        from ftcalib_buffer import LockedBuffer

        return LockedBuffer()
