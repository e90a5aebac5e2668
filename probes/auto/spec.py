"""An auto-probe's spec: what screening chose, as one readable string, and the Probe class built
from it. The string is the probe's identity: ``ftlab_probes.auto:SPEC`` is loaded by the stress engine (in
the coordinator, every worker and every repro script) and always builds the same class, with no
screening, so a repro script replays exactly what the search ran.

Grammar::

    SPEC  := "fn:" MODULE ":" OPS                       functions of a module, stateless
           | "cls:" MODULE ":" CLASS ":" OPS ["|" STATE]  one shared instance of CLASS()
    OPS   := OP (";" OP)*          OP := NAME "(" [KIND ("," KIND)*] ")"
    STATE := ITEM ("," ITEM)*      ITEM := "len" | "iter" | "repr" | NAME "()"

e.g. ``cls:ftcalib_registry:RacyRegistry:register(str);lookup(str);snapshot()|snapshot()``.
KIND is a name from kinds.KINDS.
"""

import importlib
import re
from dataclasses import dataclass

from ftlab_probes.api import Probe, op
from ftlab_probes.auto.kinds import KINDS

_OP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\((?P<kinds>[a-z,]*)\)$")

#: Attributes of Probe that an op may not shadow; such ops get a trailing underscore.
_RESERVED = frozenset(dir(Probe)) | {"auto_spec", "auto_probe", "auto_calls"}

#: Items kept from iterating the object for its state: enough to see a lost element, bounded.
ITER_CAP = 64


class SpecError(ValueError):
    pass


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

    def text(self):
        ops = ";".join(o.text() for o in self.ops)
        if self.kind == "fn":
            return "fn:%s:%s" % (self.module, ops)
        state = "|" + ",".join(self.state) if self.state else ""
        return "cls:%s:%s:%s%s" % (self.module, self.cls, ops, state)

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
    return Spec(kind, parts[0], parts[1] if kind == "cls" else "", tuple(ops), state)


def resolve(module, dotted):
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def state_of(obj, items):
    """The state tuple of ``obj`` from spec items (see the module docstring)."""
    out = []
    for item in items:
        if item == "len":
            out.append(len(obj))
        elif item == "iter":
            values = []
            for value in obj:
                values.append(value)
                if len(values) >= ITER_CAP:
                    break
            out.append(values)
        elif item == "repr":
            out.append(repr(obj))
        else:
            out.append(getattr(obj, item[:-2])())
    return tuple(out)


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
        namespace["make"] = lambda self: cls()
        if spec.state:
            items = spec.state
            namespace["state"] = lambda self, obj: state_of(obj, items)
        for op_spec in spec.ops:
            method = _op_method(spec, op_spec, None)
            namespace[method.__name__] = method
    name = "Auto_" + re.sub(r"\W", "_", spec.target())
    return type(name, (Probe,), namespace)
