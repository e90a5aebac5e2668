"""Small value pools shared by the stdlib probes.

Races need collisions: two threads touching the same key or slot. Pools of a handful of values make
collisions common in scenarios of a dozen ops, where free text would almost never repeat.
"""

from hypothesis import strategies as st

KEYS = st.sampled_from(["a", "b", "c"])
SMALL_INTS = st.integers(0, 5)
SHORT_TEXT = st.text(alphabet="ab\u00e9\n", max_size=4)
SHORT_BYTES = st.binary(max_size=6)
#: JSON-like documents, small enough that one op stays well under a millisecond.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from([0.5, -1.25]) | SHORT_TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=6,
)
