"""The tested side of the engine: a loaded probe, and outcomes in a form that compares by value."""

import importlib
import re

from probes.api import Probe

#: Reprs that embed an address (``<Foo object at 0x7f...>``) differ between equal runs.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

#: Longest result text kept for tables and reports; comparisons use the full value.
SHOWN_CHARS = 120


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
        raise ProbeError("%s is not a probes.api.Probe subclass" % (path,))
    if not cls.operations():
        raise ProbeError("probe %s declares no operations (mark methods with @op)" % (path,))
    return cls


def canonical(value):
    """A hashable form equal for equal values, whatever the container's iteration order."""
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
    text = repr(value)
    if _ADDRESS.search(text):
        return ("opaque", type(value).__module__, type(value).__qualname__)
    return ("repr", type(value).__qualname__, text)


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
    def of_value(cls, value):
        return cls(False, ("ok", canonical(value)), shown(value))

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

    def method(self, name):
        return self._methods[name]

    def outcome(self, ok, value):
        """The Outcome of a raw result recorded by ``call_raw``."""
        if ok:
            return Outcome.of_value(value)
        return Outcome.of_exception(value, isinstance(value, self.raises))

    def call(self, obj, name, args):
        try:
            return Outcome.of_value(self._methods[name](obj, *args))
        except Exception as exc:
            return Outcome.of_exception(exc, isinstance(exc, self.raises))

    def state_key(self, obj):
        """The comparable state, or None when the probe defines none."""
        return canonical(self.probe.state(obj)) if self.has_state else None

    def state_view(self, obj):
        """(comparable state, its text) or (None, "") when the probe defines none."""
        if not self.has_state:
            return None, ""
        value = self.probe.state(obj)
        return canonical(value), shown(value)

    def broken_invariant(self, obj):
        """None when the invariant holds, else what it said."""
        try:
            self.probe.invariant(obj)
        except AssertionError as exc:
            return str(exc) or "assertion failed"
        return None
