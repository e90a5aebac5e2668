"""hashlib: one hash object fed from several threads (a running digest of a shared stream).

hashlib releases the GIL for large updates and guards the object with its own lock; updates of
both sizes are raced so both paths are covered.
"""

import hashlib

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "stdlib"
#: 1 byte, and past HASHLIB_GIL_MINSIZE (2047), where the update runs without the GIL.
CHUNKS = st.sampled_from([b"a", b"bc", b"x" * 4096, b"y" * 2048])


class _HashProbe(Probe):
    subject = SUBJECT
    algorithm = "sha256"

    def make(self):
        return hashlib.new(self.algorithm)

    @op(CHUNKS)
    def update(self, obj, data):
        return obj.update(data)

    @op()
    def hexdigest(self, obj):
        return obj.hexdigest()

    @op()
    def copy_digest(self, obj):
        return obj.copy().hexdigest()

    def state(self, obj):
        return obj.hexdigest()


class Sha256Probe(_HashProbe):
    """sha256 (OpenSSL-backed in most builds)."""


class Blake2bProbe(_HashProbe):
    """blake2b (CPython's own HACL* implementation)."""

    algorithm = "blake2b"

    def make(self):
        return hashlib.blake2b(digest_size=16)
