"""ujson: dumps/loads from every thread, with and without a Python ``default`` callback."""

import ujson
from hypothesis import strategies as st

from ftlab_probes.api import Probe, op

SUBJECT = "ujson"
TEXT_DOCS = st.sampled_from(['{"a": [1, 2.5, "x"]}', "[1, 2", '"\\u00e9"', "123456789012345678901", "[]", "{}"])


class _Point:
    def __init__(self, x):
        self.x = x


class UjsonProbe(Probe):
    subject = SUBJECT
    raises = (ValueError, TypeError, OverflowError)

    def make(self):
        return None

    @op(st.dictionaries(st.sampled_from(["a", "b", "\u00e9"]), st.integers(-5, 5), max_size=3).map(lambda d: tuple(d.items())))
    def dumps(self, obj, pairs):
        return ujson.dumps(dict(pairs), sort_keys=True, ensure_ascii=False)

    @op(st.integers(0, 3))
    def dumps_default(self, obj, x):
        return ujson.dumps({"p": _Point(x), "q": [_Point(x + 1)]}, default=lambda o: {"x": o.x})

    @op(TEXT_DOCS)
    def loads(self, obj, text):
        return ujson.loads(text)

    @op(st.floats(allow_nan=False, allow_infinity=False, width=32))
    def float_roundtrip(self, obj, x):
        return ujson.loads(ujson.dumps(x))
