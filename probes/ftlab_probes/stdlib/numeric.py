"""decimal and random: a shared decimal Context and a shared random.Random instance.

``random``'s docs call the generator thread-safe at the level of the C ``random()``/``getrandbits()``
calls; methods built from several of them (``randrange``, ``shuffle``) may interleave, so only
the single-call methods are raced here (see probes/FINDINGS.md).
"""

import decimal
import random

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "stdlib"
DECIMALS = st.sampled_from(["1", "2", "3", "0.1", "7", "-4.25", "1E+3"]).map(decimal.Decimal)


class DecimalContextProbe(Probe):
    """One ``decimal.Context`` passed to arithmetic from many threads (precision changes race the
    operations that read it; the status flags are shared)."""

    subject = SUBJECT
    raises = (decimal.DivisionByZero, decimal.InvalidOperation)

    def make(self):
        return decimal.Context(prec=6, traps=[decimal.DivisionByZero, decimal.InvalidOperation])

    @op(DECIMALS, DECIMALS)
    def add(self, obj, a, b):
        return str(obj.add(a, b))

    @op(DECIMALS, DECIMALS)
    def divide(self, obj, a, b):
        return str(obj.divide(a, b))

    @op(DECIMALS)
    def sqrt(self, obj, a):
        return str(obj.sqrt(abs(a)))

    @op(st.integers(2, 9))
    def set_prec(self, obj, prec):
        obj.prec = prec

    @op()
    def clear_flags(self, obj):
        return obj.clear_flags()

    @op()
    def flags(self, obj):
        return _raised(obj)

    def state(self, obj):
        return obj.prec, _raised(obj)


def _raised(context):
    # One C call takes the snapshot: iterating ``context.flags`` in Python would read the flags one
    # by one while another thread sets them, a race of the probe, not of decimal.
    return sorted(k.__name__ for k, v in context.flags.copy().items() if v)


class RandomProbe(Probe):
    """One seeded ``random.Random``: the stream of single C calls must be a permutation of the
    sequential stream (no draw repeated or lost)."""

    subject = SUBJECT

    def make(self):
        return random.Random(1234)

    @op()
    def random(self, obj):
        return obj.random()

    @op(st.sampled_from([1, 8, 32, 64, 100]))
    def getrandbits(self, obj, k):
        return obj.getrandbits(k)

    @op(st.integers(0, 3))
    def seed(self, obj, value):
        return obj.seed(value)

    @op(st.integers(1, 5))
    def randbytes(self, obj, n):
        return obj.randbytes(n)

    def state(self, obj):
        return obj.getstate()
