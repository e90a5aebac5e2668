"""An auto-probe's spec: what screening chose, as one readable string, and the Probe class built
from it. The string is the probe's identity: ``ftlab_probes.auto:SPEC`` is loaded by the stress engine (in
the coordinator, every worker and every repro script) and always builds the same class, with no
screening, so a repro script replays exactly what the search ran.

Grammar::

    SPEC  := "fn:" MODULE ":" OPS                       functions of a module, stateless
           | "cls:" MODULE ":" CLASS [CTOR] ":" OPS ["|" STATE]  one shared instance of CLASS(*CTOR)
    CTOR  := "(" [ARG ("," ARG)*] ")"     ARG := [NAME "="] LITERAL
    OPS   := OP (";" OP)*          OP := NAME "(" [KIND ("," KIND)*] ")"
    STATE := ITEM ("," ITEM)*      ITEM := "len" | "iter" | "repr" | NAME "()" | NAME "(" LITERAL ")" | "." NAME

e.g. ``cls:ftcalib_registry:RacyRegistry:register(str);lookup(str);snapshot()|snapshot()``, or
``cls:ftcalib_cache:RacyLRUCache(maxsize=2):get(str);put(str,int)|len,stats(),.hits``. KIND is a name
from kinds.KINDS. A LITERAL is a Python literal (int, float, bool, None, or a string of letters,
digits and underscores): the construction and each state reader are replayed exactly as screening
chose them. ``NAME(LITERAL)`` calls a one-argument accessor (``balance(0)``); ``.NAME`` reads an
attribute or property (``.total``).
"""

import ast
import importlib
import re
from dataclasses import dataclass

from ftlab_probes.api import Probe, op
from ftlab_probes.auto.kinds import KINDS

_OP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\((?P<kinds>[a-z,]*)\)$")
_CLASS = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_.]*)(?:\((?P<args>[^()]*)\))?$")
_ARG = re.compile(r"^(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)=)?(?P<value>.+)$")
_ITEM = re.compile(r"^(?:len|iter|repr|\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\((?P<arg>[^(),]*)\))$")
#: Literals a spec can carry: no spec separator (: ; | , parentheses) can occur in them.
_SAFE_STR = re.compile(r"^[A-Za-z0-9_]*$")

#: Attributes of Probe that an op may not shadow; such ops get a trailing underscore.
_RESERVED = frozenset(dir(Probe)) | {"auto_spec", "auto_probe", "auto_calls"}

#: Items kept from iterating the object for its state: enough to see a lost element, bounded.
ITER_CAP = 64


class SpecError(ValueError):
    pass


def literal(value):
    """The spec text of a constructor argument or accessor argument, or None when a spec cannot carry it."""
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return repr(value)
    if isinstance(value, str) and _SAFE_STR.match(value):
        return repr(value)
    return None


def _literal_value(text, where):
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise SpecError("auto-probe spec: bad literal %r in %s" % (text, where)) from None
    if literal(value) is None:
        raise SpecError("auto-probe spec: %r in %s is not a literal a spec can carry" % (text, where))
    return value


@dataclass(frozen=True)
class Ctor:
    """How the shared instance is built: positional literals, then keyword literals."""

    args: tuple = ()
    kwargs: tuple = ()  # (name, value) pairs, in order

    def text(self):
        parts = [literal(v) for v in self.args] + ["%s=%s" % (k, literal(v)) for k, v in self.kwargs]
        return "(%s)" % ",".join(parts)

    def call(self, cls):
        return cls(*self.args, **dict(self.kwargs))

    @classmethod
    def parse(cls, text, where):
        args, kwargs = [], []
        for item in (t for t in text.split(",") if t):
            m = _ARG.match(item)
            if m.group("name"):
                kwargs.append((m.group("name"), _literal_value(m.group("value"), where)))
            elif kwargs:
                raise SpecError("auto-probe spec: positional %r after keyword arguments in %s" % (item, where))
            else:
                args.append(_literal_value(item, where))
        return cls(tuple(args), tuple(kwargs))


@dataclass(frozen=True)
class OpSpec:
    name: str
    kinds: tuple

    def text(self):
        return "%s(%s)" % (self.name, ",".join(self.kinds))


@dataclass(frozen=True)
class Spec:
    kind: str  # "fn" or "cls"
    module: str
    cls: str  # "" for fn
    ops: tuple  # OpSpec
    state: tuple  # items, cls only
    ctor: object = None  # Ctor, cls only; None: CLASS() (written without parentheses)

    def text(self):
        ops = ";".join(o.text() for o in self.ops)
        if self.kind == "fn":
            return "fn:%s:%s" % (self.module, ops)
        state = "|" + ",".join(self.state) if self.state else ""
        ctor = self.ctor.text() if self.ctor is not None else ""
        return "cls:%s:%s%s:%s%s" % (self.module, self.cls, ctor, ops, state)

    def target(self):
        return self.module if self.kind == "fn" else "%s.%s" % (self.module, self.cls)


def parse(text):
    kind, _, rest = text.partition(":")
    if kind not in ("fn", "cls"):
        raise SpecError("auto-probe spec %r must start with 'fn:' or 'cls:'" % (text,))
    rest, _, state_text = rest.partition("|")
    parts = rest.split(":")
    if len(parts) != (2 if kind == "fn" else 3):
        raise SpecError("auto-probe spec %r: expected %s" % (text, "fn:MODULE:OPS" if kind == "fn" else "cls:MODULE:CLASS:OPS"))
    ops = []
    for item in parts[-1].split(";"):
        m = _OP.match(item)
        if not m:
            raise SpecError("auto-probe spec %r: bad op %r (expected name(kind,...))" % (text, item))
        kinds = tuple(k for k in m.group("kinds").split(",") if k)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise SpecError("auto-probe spec %r: unknown kind %r (known: %s)" % (text, unknown[0], ", ".join(KINDS)))
        ops.append(OpSpec(m.group("name"), kinds))
    state = tuple(s for s in state_text.split(",") if s)
    for item in state:
        m = _ITEM.match(item)
        if not m:
            raise SpecError("auto-probe spec %r: bad state item %r (expected len, iter, repr, name(), "
                            "name(literal) or .name)" % (text, item))
        if m.group("arg"):
            _literal_value(m.group("arg"), "state item %r" % item)
    if kind == "fn":
        return Spec(kind, parts[0], "", tuple(ops), state)
    m = _CLASS.match(parts[1])
    if not m:
        raise SpecError("auto-probe spec %r: bad class %r (expected Name or Name(arg,...))" % (text, parts[1]))
    ctor = Ctor.parse(m.group("args"), "the constructor of %s" % m.group("name")) if m.group("args") is not None else None
    return Spec(kind, parts[0], m.group("name"), tuple(ops), state, ctor)


def resolve(module, dotted):
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _reader(item):
    """The function reading one state item of an object."""
    if item == "len":
        return len
    if item == "iter":

        def items(obj):
            values = []
            for value in obj:
                values.append(value)
                if len(values) >= ITER_CAP:
                    break
            return values

        return items
    if item == "repr":
        return repr
    if item.startswith("."):
        name = item[1:]
        return lambda obj: getattr(obj, name)
    name, _, arg = item[:-1].partition("(")
    args = (ast.literal_eval(arg),) if arg else ()
    return lambda obj: getattr(obj, name)(*args)


_READERS = {}


def state_of(obj, items):
    """The state tuple of ``obj`` from spec items (see the module docstring)."""
    readers = _READERS.get(items)
    if readers is None:
        readers = _READERS[items] = tuple(_reader(item) for item in items)
    return tuple(read(obj) for read in readers)


def _op_method(spec, op_spec, func):
    """The op calling ``func`` (a module function) or the shared instance's method. It returns what
    the call returned: the engine reads iterators and views at once, in the calling thread
    (target.comparable); reading them here would turn a failed read into the subject's exception."""
    converters = tuple(KINDS[k] for k in op_spec.kinds)

    if spec.kind == "fn":

        def call(self, obj, *args):
            return func(*(c.argument(a) for c, a in zip(converters, args, strict=True)))

    else:
        name = op_spec.name

        def call(self, obj, *args):
            return getattr(obj, name)(*(c.argument(a) for c, a in zip(converters, args, strict=True)))

    call.__name__ = op_spec.name + ("_" if op_spec.name in _RESERVED else "")
    return op(*(KINDS[k].strategy for k in op_spec.kinds))(call)


def build(text):
    """The Probe class for a spec string (imports the module under test)."""
    spec = parse(text)
    module = importlib.import_module(spec.module)
    namespace = {
        "subject": spec.module.split(".")[0],
        # Any exception is a legitimate result when a sequential run raises it too: the linearizability
        # check then flags only exceptions no sequential order explains.
        "raises": (Exception,),
        "auto_probe": True,
        "auto_spec": text,
        "__doc__": "Auto-probe of %s: %s" % (spec.target(), ", ".join(o.text() for o in spec.ops)),
    }
    if spec.kind == "fn":
        namespace["make"] = lambda self: None
        # Nothing carries over between calls: every order reaches the same (constant) state.
        namespace["state"] = lambda self, obj: None
        for op_spec in spec.ops:
            method = _op_method(spec, op_spec, resolve(module, op_spec.name))
            namespace[method.__name__] = method
    else:
        cls = resolve(module, spec.cls)
        ctor = spec.ctor or Ctor()
        namespace["make"] = lambda self: ctor.call(cls)
        if spec.state:
            items = spec.state
            namespace["state"] = lambda self, obj: state_of(obj, items)
        for op_spec in spec.ops:
            method = _op_method(spec, op_spec, None)
            namespace[method.__name__] = method
    name = "Auto_" + re.sub(r"\W", "_", spec.target())
    return type(name, (Probe,), namespace)
