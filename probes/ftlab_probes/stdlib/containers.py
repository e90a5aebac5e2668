"""collections: deque, OrderedDict, Counter and defaultdict shared between threads.

``deque`` documents thread-safe appends and pops from either side; the others document nothing,
but their single C-level operations are what code sharing them relies on. Compound Python-level
methods (``Counter.update`` with a mapping) are probed too: see probes/FINDINGS.md.
"""

import collections

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.stdlib._values import KEYS, SMALL_INTS

SUBJECT = "stdlib"


class DequeProbe(Probe):
    """A bounded work deque: appends and pops from both ends, rotation, length."""

    subject = SUBJECT
    raises = (IndexError,)

    def make(self):
        return collections.deque(maxlen=6)

    @op(SMALL_INTS)
    def append(self, obj, x):
        return obj.append(x)

    @op(SMALL_INTS)
    def appendleft(self, obj, x):
        return obj.appendleft(x)

    @op()
    def pop(self, obj):
        return obj.pop()

    @op()
    def popleft(self, obj):
        return obj.popleft()

    @op(st.lists(SMALL_INTS, max_size=3).map(tuple))
    def extend(self, obj, xs):
        return obj.extend(xs)

    @op(st.integers(-2, 2))
    def rotate(self, obj, n):
        return obj.rotate(n)

    @op()
    def length(self, obj):
        return len(obj)

    def invariant(self, obj):
        assert len(obj) <= 6, "deque longer than its maxlen"

    def state(self, obj):
        return list(obj)


class OrderedDictProbe(Probe):
    """An LRU-style OrderedDict: set, get, move_to_end, popitem, pop."""

    subject = SUBJECT
    raises = (KeyError,)

    def make(self):
        return collections.OrderedDict()

    @op(KEYS, SMALL_INTS)
    def setitem(self, obj, key, value):
        obj[key] = value

    @op(KEYS)
    def get(self, obj, key):
        return obj.get(key)

    @op(KEYS, st.booleans())
    def move_to_end(self, obj, key, last):
        return obj.move_to_end(key, last)

    @op(st.booleans())
    def popitem(self, obj, last):
        return obj.popitem(last)

    @op(KEYS)
    def pop(self, obj, key):
        return obj.pop(key, None)

    @op()
    def items(self, obj):
        return list(obj.items())

    def invariant(self, obj):
        assert len(list(obj)) == len(obj), "iteration and len disagree"

    def state(self, obj):
        return list(obj.items())


class CounterProbe(Probe):
    """A shared tally: update from an iterable (one C helper call), from a mapping (a Python loop),
    subtract, most_common and totals.

    Known: ``update`` from a mapping and ``subtract`` are Python loops of ``self[k] = self.get(k, 0) + n``,
    so concurrent calls lose counts on every build (seen on 3.13 as corruption). The collections docs
    make no thread-safety promise for Counter; share one only under a lock.
    """

    subject = SUBJECT
    expected_finding = "corruption"

    def make(self):
        return collections.Counter()

    @op(st.lists(KEYS, min_size=1, max_size=3).map(tuple))
    def update_iterable(self, obj, keys):
        return obj.update(keys)

    # Scenario arguments must be hashable: the mapping travels as sorted pairs.
    @op(st.dictionaries(KEYS, st.integers(1, 3), min_size=1, max_size=3).map(lambda d: tuple(sorted(d.items()))))
    def update_mapping(self, obj, pairs):
        return obj.update(dict(pairs))

    @op(st.lists(KEYS, min_size=1, max_size=2).map(tuple))
    def subtract(self, obj, keys):
        return obj.subtract(keys)

    @op(KEYS)
    def getitem(self, obj, key):
        return obj[key]

    @op()
    def most_common(self, obj):
        # Ties are ordered by insertion: compare as a mapping, which sequential replays reproduce.
        return dict(obj.most_common())

    def state(self, obj):
        return dict(obj)


class DefaultDictProbe(Probe):
    """``groups[key].append(item)``: the defaultdict(list) grouping idiom from several threads.

    Known: the idiom is two steps (look up or insert the list, then append), so between them another
    thread can see the key with an empty list: ``keys()`` lists it while ``group(key)`` still returns
    ``[]`` (seen once on 3.13 as corruption). A property of the idiom on every build, not of defaultdict.
    """

    subject = SUBJECT
    expected_finding = "corruption"

    def make(self):
        return collections.defaultdict(list)

    @op(KEYS, SMALL_INTS)
    def append(self, obj, key, value):
        obj[key].append(value)

    @op(KEYS)
    def group(self, obj, key):
        return list(obj.get(key, ()))

    @op()
    def keys(self, obj):
        return sorted(obj)

    def state(self, obj):
        return {k: list(v) for k, v in obj.items()}

    # No `pop`: `groups[key].append(item)` is two steps (look up or insert the list, then append), so a
    # `pop` between them loses the item on any build. That is the idiom's contract, not defaultdict's;
    # an op must be one atomic action of the object for the linearizability check to mean anything.
