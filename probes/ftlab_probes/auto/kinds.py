"""Argument kinds the auto-probe can generate: a name, a hypothesis strategy of hashable values
(scenarios are hashed), the screening examples, and the conversion applied at call time.

Pools are tiny on purpose: a race needs two threads on the same key or slot, and scenarios hold a
dozen ops.
"""

import inspect
import re

from hypothesis import strategies as st

_KEYS = ("a", "b", "c", "")
#: Strings tried by screening and drawn later: keys that collide, and two that parse as numbers or
#: JSON (so parsers are not dropped for "raising on every input").
_STRINGS = (*_KEYS, "1", "[1]")


class Kind:
    def __init__(self, name, strategy, examples, convert=None):
        self.name = name
        self.strategy = strategy
        self.examples = examples  # hashable values, tried in order during screening
        self.convert = convert  # hashable drawn value -> the argument passed, or None for as-is

    def argument(self, value):
        return value if self.convert is None else self.convert(value)


KINDS = {
    k.name: k
    for k in (
        Kind("int", st.integers(0, 3), (1, 0, 2, 3)),
        Kind("str", st.sampled_from(_STRINGS), ("a", "1", "", "[1]")),
        Kind("bytes", st.sampled_from((b"a", b"ab", b"")), (b"a", b"ab", b"")),
        Kind("float", st.sampled_from((0.5, 1.0, 0.0, -2.5)), (0.5, 1.0, 0.0, -2.5)),
        Kind("bool", st.booleans(), (True, False)),
        Kind("none", st.none(), (None,)),
        Kind("list", st.lists(st.integers(0, 3), max_size=3).map(tuple), ((1, 2), (), (3,)), list),
        Kind(
            "dict",
            st.dictionaries(st.sampled_from(_KEYS[:3]), st.integers(0, 3), max_size=2).map(
                lambda d: tuple(sorted(d.items()))
            ),
            ((("a", 1),), (), (("a", 0), ("b", 2))),
            dict,
        ),
    )
}

#: Tried in this order when nothing says what a parameter is.
FALLBACK_ORDER = ("int", "str", "list", "bytes", "float", "dict", "bool", "none")

#: Annotation names (types or strings) -> kind.
_ANNOTATIONS = {
    "int": "int",
    "str": "str",
    "bytes": "bytes",
    "bytearray": "bytes",
    "float": "float",
    "bool": "bool",
    "list": "list",
    "sequence": "list",
    "iterable": "list",
    "tuple": "list",
    "dict": "dict",
    "mapping": "dict",
    "none": "none",
    "nonetype": "none",
    # Typeshed's and stub authors' aliases (stubs shipped in wheels or types-* packages).
    "readablebuffer": "bytes",
    "writablebuffer": "bytes",
    "readonlybuffer": "bytes",
    "buffer": "bytes",
    "memoryview": "bytes",
    "byteslike": "bytes",
    "supportsindex": "int",
    "supportsint": "int",
    "integral": "int",
    "strpath": "str",
    "text": "str",
    "anystr": "str",
    "supportsfloat": "float",
    "real": "float",
}

#: Parameter-name hints, checked on the whole name and its words.
_NAME_HINTS = (
    ("str", ("name", "key", "s", "text", "string", "prefix", "suffix", "sep", "label", "word", "tag", "char")),
    ("int", ("n", "i", "j", "k", "count", "size", "index", "idx", "num", "number", "pages", "amount", "pos",
             "start", "stop", "step", "width", "level", "depth", "offset", "limit", "x", "y", "value", "item")),
    ("bytes", ("data", "buf", "buffer", "raw", "payload", "blob", "b")),
    ("list", ("items", "seq", "sequence", "iterable", "values", "elements", "xs", "lst", "args")),
    ("dict", ("mapping", "kwargs", "options", "params", "attrs", "d")),
    ("float", ("ratio", "rate", "factor", "alpha", "weight", "timeout_s")),
    ("bool", ("flag", "enabled", "strict", "reverse")),
)


def _words(name):
    return [w for w in re.split(r"_+|(?<=[a-z])(?=[A-Z])", name) if w]


def from_annotation(annotation):
    """Kinds an annotation allows (``Optional[int]`` -> int, none), or () when it says nothing usable."""
    if annotation is inspect.Parameter.empty:
        return ()
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", None) or repr(annotation)
    found = []
    for token in re.findall(r"[A-Za-z_]+", text):
        kind = _ANNOTATIONS.get(token.lower())
        if kind and kind not in found:
            found.append(kind)
    return tuple(found)


def candidates(param):
    """Kinds to try for a parameter, best guess first: its annotation, its default's type, its name,
    then everything else."""
    order = list(from_annotation(param.annotation)) if param is not None else []
    if param is not None and param.default is not inspect.Parameter.empty and param.default is not None:
        kind = _ANNOTATIONS.get(type(param.default).__name__.lower())
        if kind and kind not in order:
            order.append(kind)
    if param is not None:
        name = param.name.lower()
        for kind, hints in _NAME_HINTS:
            if (name in hints or any(w.lower() in hints for w in _words(param.name))) and kind not in order:
                order.append(kind)
    order.extend(k for k in FALLBACK_ORDER if k not in order)
    return tuple(order)
