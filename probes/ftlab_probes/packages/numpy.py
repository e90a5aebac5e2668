"""numpy: one array shared by every thread.

numpy's thread-safety page (https://numpy.org/doc/stable/reference/thread_safety.html) says reading
a shared array from many threads is fine and that mutating one while others read or write it is a
data race the user must lock against. ``SharedArrayReadsProbe`` is the documented usage (reads,
reductions and new arrays from one shared array); ``SharedArrayInplaceProbe`` races in-place ufuncs
on an array large enough that numpy runs the loop without the GIL, and is expected to find lost
updates (recorded in probes/FINDINGS.md).
"""

import numpy as np
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "numpy"
#: numpy releases the GIL for loops over more than ~500 elements (NPY_BEGIN_THREADS_THRESHOLDED).
LARGE = 4096


class SharedArrayReadsProbe(Probe):
    """Reductions, fancy indexing, sorting copies and views on a read-only-by-convention array."""

    subject = SUBJECT
    raises = (IndexError, ValueError)

    def make(self):
        return np.arange(LARGE, dtype=np.float64).reshape(64, 64) % 7

    @op(st.sampled_from([None, 0, 1]))
    def sum(self, obj, axis):
        out = obj.sum(axis=axis)
        return float(out) if axis is None else out[:4].tolist()

    @op(st.integers(-2, 70))
    def row(self, obj, i):
        return obj[i, :4].tolist()

    @op(st.lists(st.integers(0, 63), min_size=1, max_size=3).map(tuple))
    def take(self, obj, idx):
        return obj.take(list(idx), axis=0)[:, :2].tolist()

    @op()
    def sort_copy(self, obj):
        return np.sort(obj, axis=None)[-5:].tolist()

    @op()
    def matmul_trace(self, obj):
        return float((obj @ obj.T).trace())

    @op(st.sampled_from([(4096,), (128, 32), (8, 8, 64)]))
    def reshape_mean(self, obj, shape):
        return float(obj.reshape(shape).mean())


class SharedArrayInplaceProbe(Probe):
    """``a += k`` style in-place ufuncs and slice assignment racing reads (a shared accumulator)."""

    subject = SUBJECT
    #: Documented as the user's to lock (numpy thread_safety page): lost updates are expected.
    expected_finding = "corruption"

    def make(self):
        return np.zeros(LARGE, dtype=np.int64)

    @op(st.integers(1, 3))
    def add_inplace(self, obj, k):
        np.add(obj, k, out=obj)

    @op(st.integers(2, 3))
    def multiply_inplace(self, obj, k):
        obj *= k

    @op(st.integers(0, 5))
    def assign_slice(self, obj, v):
        obj[: LARGE // 2] = v

    @op()
    def first_last(self, obj):
        return int(obj[0]), int(obj[-1])

    def state(self, obj):
        return int(obj.min()), int(obj.max()), int(obj.sum())
