"""What the auto-probe reaches beyond public names (issue 22), and what it survives (issue 24): protocol
ops, objects filled before their methods are screened, arguments from stubs, docstrings and doctests,
broken objects dropped alone, clock-dependent results dropped across a time step."""

from __future__ import annotations

import sys
import textwrap

import pytest

from ftlab_probes.auto import screen, signatures
from ftlab_probes.auto.spec import build, parse


def screened(tmp_path, monkeypatch, name, source, stub=None):
    """(specs, {target: (kinds, reason)}) of screening ``source`` written as module ``name`` (and its stub)."""
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    if stub is not None:
        (tmp_path / f"{name}.pyi").write_text(textwrap.dedent(stub))
    monkeypatch.syspath_prepend(str(tmp_path))
    decisions = {}
    try:
        specs = screen.screen_module(name, lambda t, k, r: decisions.__setitem__(t, (k, r)))
    finally:
        sys.modules.pop(name, None)
    return specs, decisions


CONTAINERS = '''
class Registry:
    """A dict-backed mapping: obj[k] raises KeyError until something is put."""

    def __init__(self):
        self._data = {}

    def __setitem__(self, key, value):
        self._data[key] = value

    def __getitem__(self, key):
        return self._data[key]

    def __delitem__(self, key):
        del self._data[key]

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return iter(self._data)


class Queue:
    def __init__(self):
        self._items = []

    def put(self, item: int):
        self._items.append(item)

    def dequeue(self):
        return self._items.pop(0)   # IndexError on a fresh queue
'''


def test_protocol_ops_and_methods_that_need_state_are_raced_on_a_filled_object(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_reach_containers", CONTAINERS)
    registry = next(s for s in specs if s.startswith("cls:ftlab_reach_containers:Registry"))
    spec = parse(registry)
    names = [o.name for o in spec.ops]
    assert {"__setitem__", "__getitem__", "__delitem__", "__contains__", "__len__", "__iter__"} <= set(names)
    # obj[k] raised on a fresh object: the spec fills every instance with obj[k] = v first.
    assert spec.fill and all(c.name == "__setitem__" for c in spec.fill)
    # A dict raises "changed size during iteration" on one thread too: the op accepts it.
    assert next(o for o in spec.ops if o.name == "__iter__").lenient
    queue = parse(next(s for s in specs if s.startswith("cls:ftlab_reach_containers:Queue")))
    assert [c.name for c in queue.fill] == ["put", "put"] and "dequeue" in [o.name for o in queue.ops]
    assert decisions["Queue.dequeue"][0] == ()  # kept, after the fill
    # The built probe races the protocol under short names, on filled instances.
    probe = build(registry)()
    obj = probe.make()
    assert len(obj) == len(spec.fill)
    probe.setitem(obj, "b", 2)
    assert probe.getitem(obj, "b") == 2 and probe.contains(obj, "b") and probe.len(obj) == len(spec.fill) + 1


def test_iteration_errors_are_accepted_only_where_one_thread_raises_them_too():
    from ftlab_probes.runtime.stress.linearizability import ANY
    from ftlab_probes.runtime.stress.target import Outcome

    class Snapshotting(list):
        def __iter__(self):
            raise RuntimeError("dictionary changed size during iteration")

    spec_text = "cls:collections:OrderedDict:__setitem__(str,int);__iter__()!"
    lenient = build(spec_text)()
    strict = build(spec_text.replace("()!", "()"))()
    obj = Snapshotting()
    assert Outcome.of_value(lenient.iter(obj), concurrent=True).key is ANY
    with pytest.raises(RuntimeError):
        strict.iter(obj)  # compared like any exception: no sequential order raises it


STUBBED = '''
def encode(a, b):
    if not isinstance(a, bytes) or type(b) is not int:
        raise TypeError("bytes and an int")
    return bytes(x ^ b for x in a)


def parse(text):
    """Parse a date.

    >>> parse('2003-09-25')
    (2003, 9, 25)
    """
    year, month, day = text.split("-")
    return int(year), int(month), int(day)


def pick(mode):
    return {"fast": 1, "small": 2}[mode]
'''

STUB = '''
from typing import Literal

def encode(data: bytes, level: int, /) -> bytes: ...
def pick(mode: Literal["fast", "small"]) -> int: ...
'''


def test_arguments_come_from_the_stub_the_doctest_and_hypothesis(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_reach_stubbed", STUBBED, STUB)
    (fn,) = [s for s in specs if s.startswith("fn:")]
    assert "encode(bytes,int)" in fn  # only the stub says so
    assert "parse{'2003-09-25'}" in fn  # the doctest's call, as a literal
    pick = next(o for o in parse(fn).ops if o.name == "pick")  # Literal[...] drawn by from_type
    assert sorted(ex[0] for ex in pick.examples) == ["fast", "small"]
    # Without the stub, encode raises on every input tried.
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_reach_unstubbed", STUBBED)
    assert decisions["encode"][1].startswith("raises on every input")


def test_typed_docstring_signatures_are_read():
    class Builtin:
        __doc__ = "crc(data: bytes, value: int = 0) -> int\n\nA checksum."

    params = signatures.docstring_params(Builtin, "crc")
    assert [(p.name, p.annotation) for p in params] == [("data", "bytes"), ("value", "int")]
    assert signatures.docstring_params(Builtin, "other") is None
    assert signatures._calls_of("zlib.crc32(b'ab', 3)", "crc32") == [(b"ab", 3)]
    assert signatures._calls_of("crc32(data)", "crc32") == []  # not a literal


BROKEN = '''
class Meta(type):
    def __dir__(cls):
        raise RuntimeError("half built")


class Hostile(metaclass=Meta):
    def ping(self):
        return 1


class HalfBuilt:
    """Like pyrsistent's PMap built without its parts: repr raises."""

    def __repr__(self):
        raise AttributeError("_size")

    def ping(self):
        return 1


class Fine:
    def ping(self):
        return 2
'''


def test_one_broken_object_is_dropped_with_its_reason_never_the_module(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_reach_broken", BROKEN)
    assert any(s.startswith("cls:ftlab_reach_broken:Fine:ping()") for s in specs)
    assert decisions["Hostile"][1].startswith("screening it raised RuntimeError: half built")
    # A repr that raises is no state item; the class is still raced through its methods.
    halfbuilt = next(s for s in specs if s.startswith("cls:ftlab_reach_broken:HalfBuilt:"))
    assert "repr" not in halfbuilt.partition("|")[2].split(",")


CLOCKED = '''
import time


class Stamp:
    def __init__(self):
        self.n = 0

    def add(self, k: int):
        self.n += k
        return self.n

    def age(self):
        return int(time.time())   # like pendulum's Time.diff() with no argument: compares with now
'''


def test_results_that_move_with_the_clock_are_dropped_across_a_time_step(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_reach_clocked", CLOCKED)
    (stamp,) = [s for s in specs if s.startswith("cls:ftlab_reach_clocked:Stamp")]
    assert "add(int)" in stamp and "age" not in stamp
    assert "across a time step" in decisions["Stamp.age"][1]


def test_submodules_a_package_declares_only_in_its_stubs_are_screened(tmp_path, monkeypatch):
    # cramjam's shape: one Rust extension whose submodules (cramjam.snappy...) exist only as attributes,
    # declared to type checkers by cramjam/snappy.pyi.
    import types

    from ftlab_probes.auto.__main__ import submodules
    from ftlab_probes.auto.screen import _owned
    from ftlab_probes.auto.spec import load_module

    pkg = tmp_path / "stubbedpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import types\nsnappy = types.ModuleType('snappy')\n"
                                     "exec('def compress(data):\\n    return bytes(data)', snappy.__dict__)\n")
    for stub in ("__init__", "snappy", "_private"):
        (pkg / f"{stub}.pyi").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert submodules({"top_level": ["stubbedpkg"], "submodules": []}, 8) == ["stubbedpkg.snappy"]
    module = load_module("stubbedpkg.snappy")
    assert isinstance(module, types.ModuleType) and module.__name__ == "snappy"
    assert _owned(module.compress, ("stubbedpkg", module.__name__)) and not _owned(module.compress, ("stubbedpkg",))


UNDOCUMENTED = '''
def _edit(a, b):
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def distance(*args, **kwargs):
    """An alias, as editdistance's ``distance`` wraps its Cython ``eval``."""
    return _edit(*args, **kwargs)


class Bounded:
    """Bounded(size, callback=None) -> a dict of at most size items (lru-dict's ``LRU`` says only this)."""

    def __init__(self, *args, **kwargs):
        (self._size,) = args
        self._data = {}

    def __setitem__(self, key, value):
        self._data[key] = value

    def __getitem__(self, key):
        return self._data[key]

    def __len__(self):
        return len(self._data)


class Encoder:
    def encode(self, data: bytes) -> bytes:
        return bytes(reversed(data))


__all__ = (distance, Bounded, Encoder)  # the objects, not their names, as pybcj's __init__ lists them
'''


def test_what_a_module_lists_or_a_docstring_says_is_reached(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "undocumented", UNDOCUMENTED)
    parsed = {"fn" if spec.startswith("fn:") else spec.split(":")[2].split("(")[0].split("[")[0]: spec for spec in specs}
    # __all__ of objects: each found under the name the module keeps it by.
    assert {"Bounded", "Encoder", "fn"} <= set(parsed), (specs, decisions)
    # A constructor known only from the class docstring: built with a small size, by position.
    assert parsed["Bounded"].startswith("cls:undocumented:Bounded(2)"), parsed["Bounded"]
    assert "__setitem__(" in parsed["Bounded"]
    # (*args, **kwargs) says nothing: arities are tried, as for a C function with no signature.
    assert "distance(" in parsed["fn"], decisions.get("distance")


def test_compiled_submodules_are_screened_beside_the_top_level_once_each():
    from ftlab_probes.auto import __main__ as auto

    discovery = {"compiled_submodules": ["pkg.mrmr", "pkg._private", "pkg.deep.inner", "pkg.other"]}
    assert auto.compiled_submodules(discovery, 8) == ["pkg.mrmr", "pkg.other"]
    assert auto.compiled_submodules(discovery, 1) == ["pkg.mrmr"]
    assert auto.compiled_submodules(discovery, 0) == []
    top = ["fn:pkg:get_include();hash(str);hash_bytes(bytes)"]
    # The submodule's functions re-exported at the top are raced there already: not twice.
    assert auto._raced_already("fn:pkg.mrmr:hash(str);hash_bytes(bytes)", top)
    assert not auto._raced_already("fn:pkg.mrmr:hash(str);seeded(str,int)", top)
    assert not auto._raced_already("cls:pkg.mrmr:Hasher:update(bytes)|digest()", top)
    # Another module with functions of the same names (a codec and its safe twin) is its own.
    assert not auto._raced_already("fn:pkg_safe:hash(str);hash_bytes(bytes)", top)
    assert not auto._raced_already("fn:other.mrmr:hash(str)", top)


def test_doctest_calls_are_read_across_continuation_lines_and_assignments():
    def parse(xml_input):
        pass

    # xmltodict.parse's docstring, shortened: its only call is an assignment spread over five lines.
    parse.__doc__ = """Parse XML.

        >>> import xmltodict
        >>> doc = xmltodict.parse(\'\'\'
        ... <a prop="x">
        ...   <b>1</b>
        ... </a>
        ... \'\'\')
        >>> doc['a']['@prop']
        'x'
        >>> parse(open('f.xml'))
    """
    examples = signatures.doctest_examples(parse, "parse")
    assert examples == [('\n<a prop="x">\n  <b>1</b>\n</a>\n',)]  # open() is not a literal: not kept
    assert signatures.doctest_examples(len, "parse") == []


def test_example_strings_of_any_character_round_trip_through_a_spec():
    from ftlab_probes.auto.spec import OpSpec, carried, parse

    xml, raw = '<a prop="x">1, 2; 3</a>\n', b"\x00<b>|{}"
    op = OpSpec("parse", (), ((xml, raw),))
    text = "fn:pkg:" + op.text()
    assert carried("2003-09-25") == "'2003-09-25'"  # what literal() carries stays as it was
    assert parse(text).ops[0].examples == ((xml, raw),)
    assert carried("<" * 300) is None  # too long to carry
