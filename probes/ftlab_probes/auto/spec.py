"""An auto-probe's spec: what screening chose, as one readable string, and the Probe class built
from it. The string is the probe's identity: ``ftlab_probes.auto:SPEC`` is loaded by the stress engine (in
the coordinator, every worker and every repro script) and always builds the same class, with no
screening, so a repro script replays exactly what the search ran.

Grammar::

    SPEC  := "fn:" MODULE ":" OPS                       functions of a module, stateless
           | "cls:" MODULE ":" CLASS [CTOR] [FILL] ":" OPS ["|" STATE]  one shared instance of CLASS(*CTOR)
    CTOR  := "(" [ARG ("," ARG)*] ")"     ARG := [NAME "="] LITERAL
    FILL  := "[" CALL (";" CALL)* "]"     CALL := NAME "(" [LITERAL ("," LITERAL)*] ")"
    OPS   := OP (";" OP)*
    OP    := NAME "(" [KIND ("," KIND)*] ")" ["!"]       arguments drawn from kinds
           | NAME "{" EXAMPLE ("/" EXAMPLE)* "}"          arguments drawn from these tuples
    EXAMPLE := [LITERAL ("," LITERAL)*]
    STATE := ITEM ("," ITEM)*      ITEM := "len" | "iter" | "repr" | NAME "()" | NAME "(" LITERAL ")" | "." NAME

e.g. ``cls:ftcalib_registry:RacyRegistry:register(str);lookup(str);snapshot()|snapshot()``, or
``cls:ftcalib_cache:RacyLRUCache(maxsize=2):get(str);put(str,int)|len,stats(),.hits``. KIND is a name
from kinds.KINDS. A LITERAL is a Python literal (int, float, bool, None, or a string of letters,
digits and underscores): the construction and each state reader are replayed exactly as screening
chose them. ``NAME(LITERAL)`` calls a one-argument accessor (``balance(0)``); ``.NAME`` reads an
attribute or property (``.total``).

Protocol ops. An op named after a protocol method (``PROTOCOL``: ``__setitem__``, ``__getitem__``,
``__delitem__``, ``__contains__``, ``__len__``, ``__iter__``, ``__next__``, ``__iadd__``,
``__isub__``, ``__ior__``, ``__iand__``) runs the operation itself (``obj[k] = v``, ``k in obj``,
``obj += x``...), and appears in scenarios under its short name (``setitem('a', 1)``). ``__iter__``
drains the object (at most ITER_CAP items) in the op and returns what it read as an iterator, which
the engine compares when the op ran alone and not while other threads ran (its items are then a
mix of moments). Marked ``!`` (``__iter__()!``), the class raises RuntimeError ("changed size
during iteration") when it is mutated between two steps of one iteration on ONE thread, which
screening checked: that exception is then the language's documented answer, and the op's result
matches anything. Unmarked, a RuntimeError from iteration is compared like any exception, so one
no sequential order raises is a finding.

``FILL``: calls run on every fresh instance right after it is built (the init part that fills the
object: ``cls:m:Stack[push(1);push(0)]:pop();push(int)``), so methods that raise on an empty object
are raced on one that holds something. ``NAME{...}`` ops draw whole argument tuples from the
examples the package gives of itself (a doctest's ``>>> f(b'ab', 3)``, values of a stub's type):
``compress{b'ab',3/b'',1}``. An example string or bytes with other characters (a doctest's XML
document) is carried percent-encoded behind ``%`` (``parse{%'%3Ca%3E1%3C%2Fa%3E'}``, see ``carried``).
"""

import ast
import importlib
import re
import urllib.parse
from dataclasses import dataclass

from ftlab_probes.api import Probe, op
from ftlab_probes.auto.kinds import KINDS

_OP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\((?P<kinds>[a-z,]*)\)(?P<lenient>!?)$")
_EXAMPLE_OP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\{(?P<examples>[^{}]*)\}$")
_CLASS = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_.]*)(?:\((?P<args>[^()]*)\))?(?:\[(?P<fill>[^\[\]]*)\])?$")
_CALL = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\((?P<args>[^()]*)\)$")
_ARG = re.compile(r"^(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)=)?(?P<value>.+)$")
_ITEM = re.compile(r"^(?:len|iter|repr|\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\((?P<arg>[^(),]*)\))$")
#: Literals a spec can carry: no spec separator (: ; | , / parentheses, brackets, braces) and no
#: quote can occur in them (dates and versions from doctests: '2003-09-25', '1.0.2').
_SAFE_STR = re.compile(r"^[A-Za-z0-9_ .+\-@#%*~]*$")

#: Protocol methods an op may name, with the short name scenarios show.
PROTOCOL = {
    "__setitem__": "setitem", "__getitem__": "getitem", "__delitem__": "delitem", "__contains__": "contains",
    "__len__": "len", "__iter__": "iter", "__next__": "next", "__iadd__": "iadd", "__isub__": "isub",
    "__ior__": "ior", "__iand__": "iand",
}
#: Messages of the RuntimeError the language documents for a container mutated while it is iterated.
MUTATED_DURING_ITERATION = ("changed size during iteration", "mutated during iteration",
                            "changed during iteration", "modified during iteration")

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
    if isinstance(value, bytes) and _SAFE_STR.match(value.decode("latin-1")):
        return repr(value)
    return None


#: Longest example string a spec carries percent-encoded (an XML document from a doctest).
MAX_QUOTED = 256


def carried(value):
    """The spec text of an op's example argument: ``literal`` where it can, else a short string or
    bytes percent-encoded behind ``%`` (``%'%3Ca%3E'`` for ``'<a>'``: only characters ``literal``
    allows), or None."""
    text = literal(value)
    if text is not None or not isinstance(value, (str, bytes)) or len(value) > MAX_QUOTED:
        return text
    if isinstance(value, str):
        return "%" + repr(urllib.parse.quote(value, safe=""))
    return "%" + repr(urllib.parse.quote_from_bytes(value, safe="").encode("ascii"))


def _literal_value(text, where):
    quoted = text.startswith("%")
    try:
        value = ast.literal_eval(text[1:] if quoted else text)
    except (ValueError, SyntaxError):
        raise SpecError("auto-probe spec: bad literal %r in %s" % (text, where)) from None
    if quoted and isinstance(value, (str, bytes)) and literal(value) is not None:
        return urllib.parse.unquote(value) if isinstance(value, str) else urllib.parse.unquote_to_bytes(value)
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
    #: Argument tuples to draw from instead of kinds (``NAME{...}``), or None.
    examples: tuple = None
    #: ``__iter__`` only: the documented RuntimeError of mutation during iteration is accepted.
    lenient: bool = False

    def text(self):
        if self.examples is not None:
            return "%s{%s}" % (self.name, "/".join(",".join(carried(v) for v in ex) for ex in self.examples))
        return "%s(%s)%s" % (self.name, ",".join(self.kinds), "!" if self.lenient else "")

    def arity(self):
        return len(self.examples[0]) if self.examples else len(self.kinds)


@dataclass(frozen=True)
class FillCall:
    """One call of a spec's fill: a method (or protocol method) with literal arguments."""

    name: str
    args: tuple

    def text(self):
        return "%s(%s)" % (self.name, ",".join(literal(v) for v in self.args))

    def apply(self, obj):
        protocol_call(obj, self.name, self.args)


def protocol_call(obj, name, args):
    """``obj.name(*args)``, or the operation itself for a protocol method (``obj[k] = v``)."""
    if name == "__setitem__":
        obj[args[0]] = args[1]
        return None
    if name == "__getitem__":
        return obj[args[0]]
    if name == "__delitem__":
        del obj[args[0]]
        return None
    if name == "__contains__":
        return args[0] in obj
    if name == "__len__":
        return len(obj)
    if name == "__iter__":
        return drain(obj)
    if name == "__next__":
        return next(obj)
    if name in ("__iadd__", "__isub__", "__ior__", "__iand__"):
        # In place on the shared object; the result is the object itself, seen through the state.
        getattr(obj, name)(*args)
        return None
    return getattr(obj, name)(*args)


def drain(obj):
    """What iterating ``obj`` gives, at most ITER_CAP items, as a list."""
    values = []
    for value in obj:
        values.append(value)
        if len(values) >= ITER_CAP:
            break
    return values


@dataclass(frozen=True)
class Spec:
    kind: str  # "fn" or "cls"
    module: str
    cls: str  # "" for fn
    ops: tuple  # OpSpec
    state: tuple  # items, cls only
    ctor: object = None  # Ctor, cls only; None: CLASS() (written without parentheses)
    fill: tuple = ()  # FillCall, cls only: run on every fresh instance

    def text(self):
        ops = ";".join(o.text() for o in self.ops)
        if self.kind == "fn":
            return "fn:%s:%s" % (self.module, ops)
        state = "|" + ",".join(self.state) if self.state else ""
        ctor = self.ctor.text() if self.ctor is not None else ""
        fill = "[%s]" % ";".join(c.text() for c in self.fill) if self.fill else ""
        return "cls:%s:%s%s%s:%s%s" % (self.module, self.cls, ctor, fill, ops, state)

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
        m = _EXAMPLE_OP.match(item)
        if m:
            examples = tuple(_literal_tuple(ex, "op %r" % item) for ex in m.group("examples").split("/"))
            if len({len(ex) for ex in examples}) != 1:
                raise SpecError("auto-probe spec %r: op %r has examples of different lengths" % (text, item))
            ops.append(OpSpec(m.group("name"), (), examples))
            continue
        m = _OP.match(item)
        if not m:
            raise SpecError("auto-probe spec %r: bad op %r (expected name(kind,...) or name{literal,.../...})"
                            % (text, item))
        kinds = tuple(k for k in m.group("kinds").split(",") if k)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise SpecError("auto-probe spec %r: unknown kind %r (known: %s)" % (text, unknown[0], ", ".join(KINDS)))
        if m.group("lenient") and m.group("name") != "__iter__":
            raise SpecError("auto-probe spec %r: only __iter__() may be marked '!'" % (text,))
        ops.append(OpSpec(m.group("name"), kinds, None, bool(m.group("lenient"))))
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
    fill = ()
    if m.group("fill") is not None:
        calls = []
        for call in m.group("fill").split(";"):
            c = _CALL.match(call)
            if not c:
                raise SpecError("auto-probe spec %r: bad fill call %r (expected name(literal,...))" % (text, call))
            calls.append(FillCall(c.group("name"), _literal_tuple(c.group("args"), "fill call %r" % call)))
        fill = tuple(calls)
    return Spec(kind, parts[0], m.group("name"), tuple(ops), state, ctor, fill)


def _literal_tuple(text, where):
    return tuple(_literal_value(t, where) for t in text.split(",") if t)


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
        return drain
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
    if op_spec.examples is not None:
        converters = (_AS_IS,) * op_spec.arity()
        strategies = ()
    else:
        converters = tuple(KINDS[k] for k in op_spec.kinds)
        strategies = tuple(KINDS[k].strategy for k in op_spec.kinds)
    name = op_spec.name

    if spec.kind == "fn":

        def call(self, obj, *args):
            return func(*(c.argument(a) for c, a in zip(converters, args, strict=True)))

    elif name == "__iter__":
        lenient = op_spec.lenient

        def call(self, obj):
            try:
                return iter(drain(obj))
            except RuntimeError as exc:
                if lenient and any(m in str(exc) for m in MUTATED_DURING_ITERATION):
                    return _Unreadable(exc)
                raise

    elif name in PROTOCOL:

        def call(self, obj, *args):
            return protocol_call(obj, name, tuple(c.argument(a) for c, a in zip(converters, args, strict=True)))

    else:

        def call(self, obj, *args):
            return getattr(obj, name)(*(c.argument(a) for c, a in zip(converters, args, strict=True)))

    call.__name__ = op_name(op_spec.name)
    if op_spec.examples is not None:
        # One strategy for the whole tuple: the op takes its items as arguments.
        marked = op(_tuple_strategy(op_spec.examples))(lambda self, obj, args: call(self, obj, *args))
        marked.__name__ = call.__name__
        return marked
    return op(*strategies)(call)


class _AsIs:
    def argument(self, value):
        return value


_AS_IS = _AsIs()


def _tuple_strategy(examples):
    from hypothesis import strategies as st

    return st.sampled_from(examples)


class _Unreadable:
    """The result of an iteration that met the documented RuntimeError (a container mutated by another
    thread between two steps): reading it raises that error again, and the engine matches an
    unreadable result to whatever the sequential model gives (target.comparable)."""

    def __init__(self, exc):
        self.exc = exc

    def __iter__(self):
        return self

    def __next__(self):
        raise RuntimeError(str(self.exc))


def op_name(name):
    """The probe attribute (and scenario name) of an op: a protocol method's short name, or the name
    itself; a trailing underscore where it would shadow a Probe attribute."""
    name = PROTOCOL.get(name, name)
    return name + ("_" if name in _RESERVED else "")


def load_module(name):
    """The module ``name``, imported; a submodule that an extension creates as an attribute of its
    package (PyO3's ``cramjam.snappy``, which ``import`` cannot find) is read from the package."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        parent, _, child = name.rpartition(".")
        found = getattr(importlib.import_module(parent), child, None) if parent else None
        if type(found) is not type(importlib):
            raise
        return found


def build(text):
    """The Probe class for a spec string (imports the module under test)."""
    spec = parse(text)
    module = load_module(spec.module)
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
        fill = spec.fill

        def make(self):
            obj = ctor.call(cls)
            for call in fill:
                call.apply(obj)
            return obj

        namespace["make"] = make
        if spec.state:
            items = spec.state
            namespace["state"] = lambda self, obj: state_of(obj, items)
        for op_spec in spec.ops:
            method = _op_method(spec, op_spec, None)
            while method.__name__ in namespace:  # a protocol op's short name is also a method's (len, iter)
                method.__name__ += "_op"
            namespace[method.__name__] = method
    name = "Auto_" + re.sub(r"\W", "_", spec.target())
    return type(name, (Probe,), namespace)
