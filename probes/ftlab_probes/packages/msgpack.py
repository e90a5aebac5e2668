"""msgpack: a module-level Packer reused by every thread (``packer.pack(msg)`` in a sender), and the
module functions. A Packer owns one output buffer; nothing in msgpack's docs says it may be shared,
and a ``default`` callback runs Python code in the middle of a pack (a thread switch point). See
probes/FINDINGS.md for what sharing one does."""

import datetime

import msgpack
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "msgpack"
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-300, 70000) | st.text("ab", max_size=3) | st.binary(max_size=3),
    lambda c: st.lists(c, max_size=3).map(tuple),
    max_leaves=5,
)
WHEN = datetime.datetime(2024, 1, 2, 3, 4, 5)


def _default(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError("cannot pack %r" % (value,))


class PackerProbe(Probe):
    """One Packer with a ``default`` callback, shared; every result must unpack to what was packed."""

    subject = SUBJECT
    raises = (TypeError, ValueError)
    #: A Packer has one buffer and msgpack does not document sharing it; the callback lets another
    #: thread in mid-pack.
    expected_finding = "corruption"

    def make(self):
        return msgpack.Packer(default=_default)

    @op(VALUES)
    def pack(self, obj, value):
        return obj.pack(value)

    @op(VALUES)
    def pack_with_default(self, obj, value):
        return obj.pack([value, WHEN])

    @op(st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2).map(lambda d: tuple(d.items())))
    def pack_map_pairs(self, obj, pairs):
        return obj.pack_map_pairs(pairs)


class ModuleFunctionsProbe(Probe):
    """packb/unpackb from every thread (a fresh Packer per call inside msgpack)."""

    subject = SUBJECT
    raises = (TypeError, ValueError, msgpack.UnpackException)

    def make(self):
        return None

    @op(VALUES)
    def roundtrip(self, obj, value):
        return msgpack.unpackb(msgpack.packb([value, WHEN], default=_default), use_list=False)

    @op(st.binary(max_size=6))
    def unpack_bytes(self, obj, data):
        try:
            return msgpack.unpackb(data)
        except msgpack.ExtraData as exc:
            return ("extra", exc.unpacked)
