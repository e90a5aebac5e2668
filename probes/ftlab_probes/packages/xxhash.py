"""xxhash: one streaming hasher fed from several threads (a running checksum of a shared stream),
small and large updates."""

import xxhash
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "xxhash"
CHUNKS = st.sampled_from([b"a", b"bc", b"x" * 4096, b"y" * 100_000])


class _HasherProbe(Probe):
    subject = SUBJECT
    algorithm = "xxh64"

    def make(self):
        return getattr(xxhash, self.algorithm)(seed=7)

    @op(CHUNKS)
    def update(self, obj, data):
        return obj.update(data)

    @op()
    def intdigest(self, obj):
        return obj.intdigest()

    @op()
    def copy_hexdigest(self, obj):
        return obj.copy().hexdigest()

    @op()
    def reset(self, obj):
        return obj.reset()

    def state(self, obj):
        return obj.hexdigest()


class Xxh64Probe(_HasherProbe):
    """xxh64."""


class Xxh3_128Probe(_HasherProbe):
    """xxh3_128."""

    algorithm = "xxh3_128"
