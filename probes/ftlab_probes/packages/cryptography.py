"""cryptography: a ``hashes.Hash`` and an ``hmac.HMAC`` context fed from several threads (Rust
objects behind PyO3; finalize consumes them, later use raises AlreadyFinalized)."""

from cryptography.exceptions import AlreadyFinalized
from cryptography.hazmat.primitives import hashes, hmac
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "cryptography"
CHUNKS = st.sampled_from([b"a", b"bc", b"x" * 4096])


class HashContextProbe(Probe):
    """update/copy/finalize on one shared context."""

    subject = SUBJECT
    raises = (AlreadyFinalized,)
    #: PyO3 classes refuse overlapping borrows with ``RuntimeError: Already (mutably) borrowed``
    #: instead of racing; cryptography does not document sharing a context.
    expected_finding = "unexpected-exception"

    def make(self):
        return hashes.Hash(hashes.SHA256())

    @op(CHUNKS)
    def update(self, obj, data):
        return obj.update(data)

    @op()
    def copy_finalize(self, obj):
        return obj.copy().finalize()

    @op()
    def finalize(self, obj):
        return obj.finalize()


class HmacContextProbe(HashContextProbe):
    """The same on an HMAC context, with verify (which also finalizes)."""

    def make(self):
        return hmac.HMAC(b"k" * 32, hashes.SHA256())

    @op(st.sampled_from([b"", b"\0" * 32]))
    def verify(self, obj, tag):
        from cryptography.exceptions import InvalidSignature

        try:
            obj.verify(tag)
            return True
        except InvalidSignature:
            return False


class OneShotProbe(Probe):
    """Module-level one-shot helpers (a fresh context per call): digests and Fernet tokens."""

    subject = SUBJECT

    def make(self):
        from cryptography.fernet import Fernet

        return Fernet(b"0" * 43 + b"=")

    @op(CHUNKS)
    def sha256(self, obj, data):
        digest = hashes.Hash(hashes.SHA256())
        digest.update(data)
        return digest.finalize()

    @op(st.binary(max_size=8))
    def fernet_roundtrip(self, obj, data):
        return obj.decrypt(obj.encrypt(data))
