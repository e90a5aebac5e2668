"""The tested side of the engine: a loaded probe, and outcomes in a form that compares by value.

An op's return value becomes its comparable form (``comparable``) in the thread that called the op,
before the op's end time is taken, in the concurrent run, in the sequential replays and in repro
scripts alike: a live view, an iterator or a mutable container read later would show a later state
(measured: bidict's ``keys()`` in the init part read after the post part's ``forceput`` made
``init [keys()] | | post [forceput('', 3)]`` a "corruption" in 1000 of 1000 runs).
"""

import importlib
import re
from collections import Counter
from collections.abc import Mapping, MappingView, Set

from ftlab_probes.api import Probe
from ftlab_probes.runtime.stress.linearizability import ANY

#: Reprs that embed an address (``<Foo object at 0x7f...>``) differ between equal runs.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

#: Longest result text kept for tables and reports; comparisons use the full value.
SHOWN_CHARS = 120

#: Items read from an iterator, a generator or an iterable without a readable repr: enough to tell
#: results apart, bounded so an endless iterator cannot hang an op. A cut is part of the key.
ITEMS_CAP = 64
#: Items read from a sized view or mapping that is not a dict (their length is known, but a
#: million-key view read on every op would dominate the run). A cut is part of the key.
SIZED_CAP = 10_000


class ProbeError(Exception):
    """The probe could not be loaded or used (not a finding about the subject)."""


def load_probe_class(path):
    """``"module.path:ClassName"`` -> the Probe subclass."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ProbeError("probe %r is not of the form 'module.path:ClassName'" % (path,))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProbeError("cannot import probe module %r: %s" % (module_name, exc)) from exc
    try:
        cls = getattr(module, attr)
    except AttributeError:
        names = sorted(n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, Probe))
        raise ProbeError(
            "module %r has no probe %r; probes there: %s" % (module_name, attr, ", ".join(names) or "none")
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Probe)):
        raise ProbeError("%s is not a ftlab_probes.api.Probe subclass" % (path,))
    if not cls.operations():
        raise ProbeError("probe %s declares no operations (mark methods with @op)" % (path,))
    return cls


class Items:
    """What an iterator, a view or a mapping held when it was read (``read``): its type's name, the
    items (at most a cap), whether the cap cut them, and how they compare: in order (``seq``), as a
    set, as a bag (a values view), or as a mapping (``items`` are then pairs)."""

    __slots__ = ("compare", "cut", "items", "type_name")

    def __init__(self, type_name, items, cut, compare="seq"):
        self.type_name = type_name
        self.items = tuple(items)
        self.cut = cut
        self.compare = compare

    def key(self):
        if self.compare == "dict":
            items = frozenset((canonical(k), canonical(v)) for k, v in self.items)
        elif self.compare == "set":
            items = frozenset(canonical(v) for v in self.items)
        elif self.compare == "bag":
            items = frozenset(Counter(canonical(v) for v in self.items).items())
        else:
            items = tuple(canonical(v) for v in self.items)
        return (self.compare, items, self.cut)

    def __repr__(self):
        more = ", ..." if self.cut else ""
        if self.compare == "dict":
            return "%s({%s%s})" % (self.type_name, ", ".join("%r: %r" % kv for kv in self.items), more)
        return "%s([%s%s])" % (self.type_name, ", ".join(map(repr, self.items)), more)


def _take(iterable, cap):
    """(items, cut): at most ``cap`` items of ``iterable``."""
    items = []
    for item in iterable:
        if len(items) == cap:
            return items, True
        items.append(item)
    return items, False


def _plain(value):
    return value is None or isinstance(value, (bool, int, float, complex, str, bytes, tuple, list, set,
                                               frozenset, dict))


#: The views of a plain dict: read at once through ``dict.copy()`` (one call, atomic on every build).
_DICT_VIEWS = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}


def _dict_view(value):
    """Items of a view of a plain dict, copied in one call; None for any other view."""
    how = _DICT_VIEWS.get(type(value))
    mapping = getattr(value, "mapping", None) if how else None
    snapshot = mapping.copy() if mapping is not None else None
    if type(snapshot) is not dict:
        return None
    items = list(getattr(snapshot, how)())
    compare = {"keys": "set", "values": "bag", "items": "set"}[how]
    return Items(type(value).__qualname__, items[:SIZED_CAP], len(items) > SIZED_CAP, compare=compare)


def read(value):
    """``value`` with whatever could change or run out read into Items, once; and whether the read
    took one step (``(value, atomic)``).

    Views of a plain dict are copied in one call (atomic). Iterators and generators are drained
    (at most ITEMS_CAP items); other views and mappings other than dict (bidict and its views,
    mappingproxy) are read item by item (at most SIZED_CAP); an iterable whose repr shows only its
    identity is read like an iterator: those reads take many steps. Plain values and containers are
    returned as they are (``canonical`` copies them into its key); anything else is compared by its
    repr, which ``comparable`` takes at the same moment.
    """
    if _plain(value):
        return value, True
    cls = type(value)
    name = cls.__qualname__
    copied = _dict_view(value)
    if copied is not None:
        return copied, True
    if hasattr(cls, "__next__") and hasattr(cls, "__iter__"):
        return Items(name, *_take(value, ITEMS_CAP)), False
    if isinstance(value, Mapping):
        return Items(name, *_take(value.items(), SIZED_CAP), compare="dict"), False
    if isinstance(value, Set):
        return Items(name, *_take(value, SIZED_CAP), compare="set"), False
    if isinstance(value, MappingView):  # a values view: a bag
        return Items(name, *_take(value, SIZED_CAP), compare="bag"), False
    if hasattr(cls, "__iter__") and _ADDRESS.search(repr(value)):
        return Items(name, *_take(value, ITEMS_CAP)), False
    return value, True


def canonical(value):
    """A hashable form equal for equal values, whatever the container's iteration order.

    Iterators, views and mappings are read on the way (``read``): call it when the value is
    produced, as ``comparable`` does.
    """
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return value
    if isinstance(value, float):
        return ("float", repr(value))  # nan == nan here, as a reader of the report expects
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(canonical(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((canonical(k), canonical(v)) for k, v in value.items()))
    value = read(value)[0]
    if isinstance(value, Items):
        return value.key()
    text = repr(value)
    if _ADDRESS.search(text):
        return ("opaque", type(value).__module__, type(value).__qualname__)
    return ("repr", type(value).__qualname__, text)


def comparable(value, concurrent=False):
    """(key, text) of an op's return value, read at once: THE conversion of a result, used in the
    calling thread before the op's end time is taken, by the concurrent run, the sequential replays
    (linearizability) and repro scripts alike. ``concurrent``: other threads may be running ops.

    The key is ``ANY`` (the linearizability check matches it to whatever the model produced) when
    reading the value is the probe's race rather than the subject's:

    - reading it failed (a live view of a dict another thread is changing: "dictionary changed
      size during iteration");
    - it was read in many steps (an iterator, a bidict view, a mapping read item by item) while
      other threads ran: each step sees another moment, so the items may be a mix no single moment
      held (measured on 3.14t: a dict's item iterator drained while another thread put and popped
      keys listed a key order no sequential order gives).

    Any caller iterating shared state while it changes gets the same; the subject's op returned
    normally. The op still ran, so its effect is still checked through the other results and the
    final state; its text still shows what was read. Views of a plain dict are copied in one call
    and always compared.
    """
    try:
        snapshot, atomic = read(value)
        key, text = canonical(snapshot), shown(snapshot)
    except Exception as exc:
        return ANY, "<unreadable %s: %s(%s)>" % (type(value).__qualname__, exception_name(exc),
                                                shown(str(exc))[1:-1])
    if concurrent and not atomic:
        return ANY, text + " (read item by item while other threads ran: not compared)"
    return key, text


def shown(value):
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def exception_name(exc):
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else "%s.%s" % (cls.__module__, cls.__qualname__)


class Outcome:
    """What one op did: a return value or an exception, with the key it is compared by."""

    __slots__ = ("declared", "key", "raised", "text")

    def __init__(self, raised, key, text, declared=True):
        self.raised = raised
        self.key = key
        self.text = text
        self.declared = declared

    @classmethod
    def of_value(cls, value, concurrent=False):
        """The outcome of a returned value, read now (see ``comparable``)."""
        key, text = comparable(value, concurrent)
        return cls(False, key if key is ANY else ("ok", key), text)

    @classmethod
    def of_exception(cls, exc, declared):
        name = exception_name(exc)
        # Exceptions compare by type: messages often carry ids or addresses that differ between runs.
        return cls(True, ("raise", name), "%s(%s)" % (name, shown(str(exc))[1:-1]), declared)

    def __repr__(self):
        return self.text


class Target:
    """A probe instance plus what the engine needs to call it."""

    def __init__(self, path):
        self.path = path
        self.cls = load_probe_class(path)
        self.probe = self.cls()
        self.operations = self.cls.operations()
        self.raises = tuple(self.cls.raises)
        self.has_state = self.cls.has_state()
        self._methods = {name: getattr(self.probe, name) for name in self.operations}

    def make(self):
        return self.probe.make()

    def subject_modules(self):
        """Top-level module names of the code under test, for the schedules' calls into the subject:
        an auto-probe's module, else the package of the object ``make()`` builds (none for builtins)."""
        spec = getattr(self.cls, "auto_spec", None)
        if spec:
            return (spec.split(":")[1].split(".")[0],)
        try:
            module = type(self.make()).__module__ or ""
        except Exception:  # make() failing is reported by the first invocation, with its traceback
            return ()
        top = module.split(".")[0].lstrip("_")
        return () if top in ("builtins", "") else (module.split(".")[0], top)

    def method(self, name):
        return self._methods[name]

    def failed(self, exc):
        """The Outcome of an exception raised by an op (or by invariant() or state())."""
        return Outcome.of_exception(exc, isinstance(exc, self.raises))

    def call(self, obj, name, args):
        """Call an op and read its result at once: the sequential side of ``execute``'s threads."""
        try:
            return Outcome.of_value(self._methods[name](obj, *args))
        except Exception as exc:
            return self.failed(exc)

    def state_key(self, obj):
        """The comparable state, or None when the probe defines none."""
        return canonical(self.probe.state(obj)) if self.has_state else None

    def state_view(self, obj):
        """(comparable state, its text) or (None, "") when the probe defines none."""
        if not self.has_state:
            return None, ""
        value = read(self.probe.state(obj))[0]
        return canonical(value), shown(value)

    def broken_invariant(self, obj):
        """None when the invariant holds, else what it said."""
        try:
            self.probe.invariant(obj)
        except AssertionError as exc:
            return str(exc) or "assertion failed"
        return None
