"""functools.lru_cache: one cached function called from every thread.

The docs promise the cache stays coherent under concurrent updates and warn that the wrapped
function may run more than once for one key when calls overlap; so results and the cache's
bounds are checked, never hit/miss counts.
"""

import functools

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "stdlib"
MAXSIZE = 3


def _square_plus(x, offset=0):
    return {"x": x, "value": x * x + offset}


class LruCacheProbe(Probe):
    """Calls, clears and info reads on one ``lru_cache(maxsize=3)`` wrapper (evictions race inserts)."""

    subject = SUBJECT

    def make(self):
        return functools.lru_cache(maxsize=MAXSIZE)(_square_plus)

    @op(st.integers(0, 5))
    def call(self, obj, x):
        return obj(x)

    @op(st.integers(0, 5), st.integers(0, 1))
    def call_kw(self, obj, x, offset):
        return obj(x, offset=offset)

    @op()
    def cache_clear(self, obj):
        return obj.cache_clear()

    def invariant(self, obj):
        info = obj.cache_info()
        assert 0 <= info.currsize <= MAXSIZE, "cache holds %d entries, maxsize %d" % (info.currsize, MAXSIZE)
