"""Screening: from a module's public API to auto-probe specs, by calling everything sequentially.

For each public callable the policy allows (``policy.py``), argument kinds are picked by trying
candidates (annotation, default, parameter name, then the rest; ``kinds.py``) until one gives a
result on some screening input. A callable is dropped, with the reason recorded, when it:

- takes longer than ``SLOW_CALL_S`` on any screening call (slow; a stuck call ends the screening
  process through its watchdog and the caller restarts without it);
- raises on every input (nothing to compare);
- gives different results for the same inputs when called twice in a row (not deterministic: it
  reads time, randomness, ids or global state, so a sequential replay could not explain it);
- needs arguments the kinds cannot provide (keyword-only parameters without defaults).

Classes are built from their signatures (``constructions``): no arguments when every parameter has a
default, else a few candidates for the required ones (conventional size names such as ``maxsize``
or ``capacity`` get small positive ints, others the kinds their annotation, default or name
suggest); the first candidate that constructs fast, twice alike, and leaves methods to race is
kept and written into the spec, so every replay builds the object the same way. Methods are
screened on fresh instances, then the whole method list is replayed twice on two fresh instances
and methods whose results differ between the replays are dropped.

State items are what the engine compares against sequential orders after every invocation, so a
lost update shows even when no op returns anything: len, iteration, repr without an address,
zero-argument getters, read-only properties and plain public attributes, and one-argument
accessors at each screening input (``balance(0)``, ``balance(1)``...) that change nothing another
method could see. Each must be deterministic; those whose value moves when the other methods run
(they observe what writers change) come first, and constant ones are dropped when some move.

Beyond public names (issue 22): a class implementing the mapping, sequence, set, number or iterator
protocol gets those operations as ops (``obj[k] = v``, ``obj[k]``, ``del obj[k]``, ``k in obj``,
``len(obj)``, iteration, ``obj += x``; spec.PROTOCOL). A method that raises on every input on a
fresh object (``pop``, ``popitem``, ``obj[k]``) is screened again on an object its inserting ops
filled (``put``, ``push``, ``obj[k] = v``), and kept when it then gives results: the spec then
carries that fill, so every instance the engine builds holds something. Arguments come from what
the package says about itself when the signature says little (signatures.py: stubs, typed
docstrings, doctest examples, Hypothesis ``from_type`` for stub types no kind covers).

Every call on a tested object, ftlab's own (repr, len, iteration, attribute reads) as much as the
subject's methods, is guarded: one object that fails while being read (pyrsistent's half-built
``PMap``, whose repr raises) is dropped with its reason, and the rest of the module is screened.
Results that depend on the clock, randomness or the environment are dropped by calling every kept
candidate again across a time step (the next whole second, at least RECHECK_AFTER_S later):
pendulum's ``Time.diff()`` with no argument compares with now.

Run as ``python -m ftlab_probes.auto.screen MODULE EVENTS [EXCLUDE...]``: one JSON line per event to EVENTS,
flushed, so a crash or hang in the middle still leaves what was found.
"""

import faulthandler
import inspect
import itertools
import json
import sys
import time
from dataclasses import dataclass

from ftlab_probes.auto import policy, signatures
from ftlab_probes.auto.kinds import KINDS, candidates, from_annotation
from ftlab_probes.auto.spec import (
    MUTATED_DURING_ITERATION,
    PROTOCOL,
    Ctor,
    FillCall,
    OpSpec,
    Spec,
    literal,
    load_module,
    protocol_call,
    state_of,
)
from ftlab_probes.runtime.stress.linearizability import ANY
from ftlab_probes.runtime.stress.target import canonical, comparable

#: A call slower than this is not worth racing thousands of times (and is likely I/O or a big
#: computation): dropped.
SLOW_CALL_S = 0.05
#: A single call stuck this long ends the screening process (faulthandler); the parent restarts
#: screening without the callable in flight.
STUCK_CALL_S = 3.0
#: Kind combinations tried per callable before giving up on it.
MAX_COMBOS = 12
#: Positional parameters filled at most (more is rarely an object method worth racing).
MAX_ARITY = 3
#: ... unless every one is typed (annotations or a stub): one kind tuple to try, not a product
#: (bcrypt's kdf(password, salt, desired_key_bytes, rounds) is typed only in its stub).
MAX_TYPED_ARITY = 5
#: Methods kept per class, functions kept per module: scenarios hold ~15 ops.
MAX_OPS = 10
#: Constructor candidates tried per class: each costs a round of method screening when it fails.
MAX_CTORS = 6
#: State items kept per class: they are read after every invocation, and each one read costs a call.
MAX_STATE_ITEMS = 8
#: Parameter names of sizes and counts: a small positive int builds a small object, where a few ops
#: reach its limits (evictions, wraparound, a full buffer).
SIZE_NAMES = policy.word_set(
    "maxsize max_size size capacity cap n maxlen max_len limit length count buckets slots max_entries "
    "maxentries num k width height depth nbits bits items max_items"
)
#: Values tried for such parameters, in order.
SIZE_VALUES = (2, 4, 1)
#: Functions that read the system (psutil's disk_io_counters, cpu_freq) return the same value twice
#: in a row but not a moment later, and a stress run spans seconds: their later replays disagreed
#: with what the threads saw, a false corruption (measured on psutil 7 on both lanes). Every kept
#: function is called again after this pause, once per module, and dropped when its results moved.
RECHECK_AFTER_S = 0.3
#: The time step crosses a whole second at least this far: results shown to the second (a
#: Duration's repr, a timestamp) move then, whatever the moment screening started.
SECOND_MARGIN_S = 0.02
#: Argument kinds tried per protocol method, best first (mapping keys are strings or ints; a
#: sequence's index is an int).
PROTOCOL_COMBOS = {
    "__setitem__": (("str", "int"), ("int", "int"), ("int", "str"), ("str", "str")),
    "__getitem__": (("str",), ("int",)),
    "__delitem__": (("str",), ("int",)),
    "__contains__": (("str",), ("int",)),
    "__len__": ((),),
    "__iter__": ((),),
    "__next__": ((),),
    "__iadd__": (("list",), ("int",), ("str",)),
    "__isub__": (("list",), ("int",)),
    "__ior__": (("list",), ("dict",)),
    "__iand__": (("list",),),
}
#: Protocol methods that only read: never used to fill an object.
READING_PROTOCOL = frozenset({"__getitem__", "__contains__", "__len__", "__iter__", "__next__", "__delitem__"})
#: Words of methods that put something into an object, preferred as its fill.
INSERTING_WORDS = policy.word_set("add put set push append insert register update enqueue store extend "
                                  "setdefault offer submit record")
#: Inserting ops used to fill an object, and calls each (enough for two pops, a get that hits).
FILL_OPS = 2
FILL_CALLS_PER_OP = 2


class Slow(Exception):
    pass


class Unreadable(Exception):
    """A call returned, but reading its result raised (with no other thread around)."""


class SubjectBroke(Exception):
    """ftlab's own call on a tested object (repr, len, an attribute read) raised: the object is
    dropped with this reason, the rest of the module is screened."""


def _guarded(what, func, *args):
    """``func(*args)`` for one of ftlab's own calls on a tested object, timed like the subject's
    calls; SubjectBroke names what failed."""
    began = time.perf_counter()
    try:
        value = func(*args)
    except Exception as exc:
        raise SubjectBroke("%s raised %s: %s" % (what, type(exc).__name__, str(exc)[:120])) from None
    if time.perf_counter() - began > SLOW_CALL_S:
        raise Slow()
    return value


def _safe_repr(obj):
    """repr(obj), or None when it raises (an object half built, pyrsistent's PMap)."""
    try:
        return repr(obj)
    except Exception:  # an unreadable repr is not a state item; the caller drops it
        return None


def public_names(module):
    """The module's public names, each once (pyzmq's ``__all__`` joins its submodules' and lists
    ``Context`` twice: it was screened and raced twice, and its finding reported twice)."""
    names = getattr(module, "__all__", None)
    if names is None or not isinstance(names, (list, tuple)):
        names = [n for n in dir(module) if not n.startswith("_")]
    elif not all(isinstance(n, str) for n in names):
        # pybcj's ``__all__`` holds the classes themselves: each is named by where the module keeps it.
        by_id = {id(v): k for k, v in vars(module).items() if not k.startswith("_")}
        names = [n if isinstance(n, str) else by_id.get(id(n)) for n in names]
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and not n.startswith("_")))


def _owned(obj, owners):
    """Defined by the package under test (not a re-export of the stdlib or another package); ``owners``:
    its top-level name, and the name a submodule made by an extension gives itself (cramjam's
    ``snappy``, whose functions say ``__module__ == "snappy"``)."""
    module = getattr(obj, "__module__", None) or ""
    return any(module == owner or module.startswith(owner + ".") or module.lstrip("_").split(".")[0] == owner.lstrip("_")
               for owner in owners)


def _timed(func, args):
    """(ok, key or exception) of ``func(*args)``, its result read at once as the stress engine reads
    it (target.comparable); Slow when it took longer than SLOW_CALL_S."""
    began = time.perf_counter()
    try:
        (value, text), ok = comparable(func(*args)), True
        if value is ANY:  # read sequentially and still unreadable (a generator that raises): a failure
            value, ok = Unreadable(text), False
    except Exception as exc:
        value, ok = exc, False
    if time.perf_counter() - began > SLOW_CALL_S:
        raise Slow()
    return ok, value


def _construct(make):
    """(ok, instance or exception) of ``make()``; Slow when it took longer than SLOW_CALL_S."""
    began = time.perf_counter()
    try:
        value, ok = make(), True
    except Exception as exc:
        value, ok = exc, False
    if time.perf_counter() - began > SLOW_CALL_S:
        raise Slow()
    return ok, value


def _key(ok, value):
    """The outcome key of a ``_timed`` call."""
    return ("ok", value) if ok else ("raise", type(value).__name__)


def _positional(func):
    """The parameters to fill, or None when the signature is unknown; raises ValueError when a
    keyword-only parameter has no default."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    if _only_varargs(sig.parameters.values()):
        return None  # a wrapper's (*args, **kwargs) (editdistance's ``distance``): as unknown as no signature
    params = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            params.append(p)
        elif p.kind == p.KEYWORD_ONLY and p.default is p.empty:
            raise ValueError("keyword-only parameter %r without a default" % p.name)
    return params


def _only_varargs(params):
    """Whether a signature's parameters are ``*args`` and ``**kwargs`` alone: they say nothing of the
    arguments (an empty signature says there are none)."""
    params = list(params)
    return bool(params) and all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def _combos(params):
    """Kind tuples to try, best guesses first, at most MAX_COMBOS."""
    if params is None:  # unknown signature (a C function without __text_signature__): try arities
        shapes = [()] + [(k,) for k in candidates(None)[:4]] + [
            ("int", "int"), ("str", "int"), ("str", "str"), ("int", "int", "int"), ("str", "str", "int")]
        return shapes[:MAX_COMBOS]
    if len(params) > MAX_ARITY:
        typed = [from_annotation(p.annotation) for p in params]
        if len(params) > MAX_TYPED_ARITY or not all(typed):
            return []
        return [tuple(t[0] for t in typed)]
    per_param = [candidates(p)[:4] for p in params]
    return list(itertools.islice(itertools.product(*per_param), MAX_COMBOS))


def _examples(kinds):
    """Screening inputs for a kind tuple: each kind's examples, cycled together."""
    if not kinds:
        return [()]
    count = max(len(KINDS[k].examples) for k in kinds)
    return [tuple(KINDS[k].examples[i % len(KINDS[k].examples)] for k in kinds) for i in range(count)]


def _convert(kinds, args):
    return tuple(KINDS[k].argument(a) for k, a in zip(kinds, args, strict=True))


def _outcome_keys(call, kinds):
    return [_key(*call(_convert(kinds, args))) for args in _examples(kinds)]


def _inputs(op_spec):
    """The screening argument tuples of an op: its kinds' examples, or its own examples."""
    if op_spec.examples is not None:
        return list(op_spec.examples)
    return [_convert(op_spec.kinds, args) for args in _examples(op_spec.kinds)]


def _op_keys(call, op_spec):
    return [_key(*call(args)) for args in _inputs(op_spec)]


def choose_examples(call, examples):
    """(examples kept, reason): argument tuples the package gave (doctests, stub types), kept when
    some give a result, twice alike."""
    outcomes = [call(args) for args in examples]
    if not any(ok for ok, _ in outcomes):
        return None, "raises on every example the package gives (%d)" % len(examples)
    again = [call(args) for args in examples]
    if [_key(*o) for o in outcomes] != [_key(*o) for o in again]:
        return None, "not deterministic: the same inputs gave different results"
    return tuple(examples), None


def choose_kinds(call, params):
    """(kinds, reason): the first kind tuple that gives a result on some input, deterministically."""
    tried = 0
    for kinds in _combos(params):
        tried += 1
        outcomes = []
        for args in _examples(kinds):
            outcomes.append(call(_convert(kinds, args)))
        if not any(ok for ok, _ in outcomes):
            continue
        again = [call(_convert(kinds, args)) for args in _examples(kinds)]
        if [_key(*o) for o in outcomes] != [_key(*o) for o in again]:
            return None, "not deterministic: the same inputs gave different results"
        return tuple(kinds), None
    return None, "raises on every input tried (%d argument-kind combinations)" % tried if tried else "too many parameters"


def _needs_description(params):
    return params is None or any(p.annotation is p.empty for p in params)


def described(func, qualname, module_names, params):
    """``params`` completed with what the package says (stubs, typed docstring), or raises ValueError
    (a keyword-only parameter without a default)."""
    if not _needs_description(params):
        return params
    more, _ = signatures.described_params(func, qualname, module_names)
    if more is not None:
        for p in more:
            if p.kind == p.KEYWORD_ONLY and p.default is p.empty:
                raise ValueError("keyword-only parameter %r without a default" % p.name)
        more = [p for p in more if p.kind != p.KEYWORD_ONLY and p.default is p.empty]
    return signatures.merge(params, more)


def typed_examples(params):
    """Argument tuples for parameters whose stub type maps to no kind, drawn by Hypothesis
    (signatures.literals_of_type) beside the other parameters' kind examples; None when every
    parameter has a kind or a type gives nothing."""
    if not params or len(params) > MAX_ARITY:
        return None
    per_param, drawn = [], False
    for p in params:
        if isinstance(p.annotation, str) and not from_annotation(p.annotation):
            values = signatures.literals_of_type(p.annotation)
            if not values:
                return None
            per_param.append(values)
            drawn = True
        else:
            kind = KINDS[candidates(p)[0]]
            if kind.convert is not None:
                return None
            per_param.append(kind.examples[:2])
    if not drawn:
        return None
    return list(itertools.islice(itertools.product(*per_param), signatures.MAX_EXAMPLES))


def screen_function(func, name=None, module=None):
    """(OpSpec or None, reason): doctest examples first, then kinds from the signature, completed by
    what the package says about it."""
    name = name or getattr(func, "__name__", "f")
    call = lambda args: _timed(func, args)  # noqa: E731
    try:
        params = _positional(func)
        params = described(func, name, [getattr(func, "__module__", None), getattr(module, "__name__", None)],
                           params)
    except ValueError as exc:
        return None, str(exc)
    try:
        examples = signatures.doctest_examples(func, name, [module] if module is not None else [])
        reason = None
        if examples:
            kept, reason = choose_examples(call, examples)
            if kept:
                return OpSpec(name, (), kept), None
        typed = typed_examples(params)
        if typed:
            kept, reason = choose_examples(call, typed)
            if kept:
                return OpSpec(name, (), kept), None
        kinds, why = choose_kinds(call, params)
        return (OpSpec(name, kinds), None) if kinds is not None else (None, why or reason)
    except Slow:
        return None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)


def _report_op(report, target, op_spec, reason):
    """A kept/dropped event; an examples op reports its arity as 'example' kinds."""
    if op_spec is None:
        report(target, None, reason)
    elif op_spec.examples is not None:
        report(target, ("example",) * op_spec.arity(), None)
    else:
        report(target, op_spec.kinds, None)


def _is_function(obj):
    """A module-level function: Python's, a C builtin, or a Cython ``cyfunction`` (Cython 3 compiles
    every ``def`` to one, and it is neither of the first two: editdistance's ``eval`` went unseen)."""
    return inspect.isroutine(obj) and not inspect.isclass(obj)


def _attr(owner, name):
    """getattr for screening: a lazy attribute whose loading raises reads as absent (SubjectBroke
    for the caller that wants the reason)."""
    try:
        return getattr(owner, name, None)
    except Exception as exc:
        raise SubjectBroke("reading it raised %s: %s" % (type(exc).__name__, str(exc)[:120])) from None


def screen_functions(module, owners, names, report, exclude=()):
    """(ops, first): the functions kept so far, and for each its call and outcome keys, read again
    after the module's time step (``finish_functions``)."""
    ops = []
    first = {}  # name -> (call, outcome keys): re-read across a time step
    for name in names:
        if name in exclude:
            report(name, None, "skipped: screening it crashed or hung the screening process")
            continue
        try:
            func = _attr(module, name)
        except SubjectBroke as exc:
            report(name, None, str(exc))
            continue
        if not _is_function(func):
            continue
        if not _owned(func, owners):
            continue
        word = policy.denied_name(name)
        if word:
            report(name, None, "policy: name has %r" % word)
            continue
        report(name, "start", None)
        op_spec, reason = screen_function(func, name, module)
        if op_spec is not None:
            call = lambda args, func=func: _timed(func, args)  # noqa: E731
            try:
                first[name] = (call, _op_keys(call, op_spec))
            except Slow:
                op_spec, reason = None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)
        _report_op(report, name, op_spec, reason)
        if op_spec is not None:
            ops.append(op_spec)
    return ops, first


def time_step():
    """Sleep past the next whole second, and at least RECHECK_AFTER_S."""
    now = time.time()
    time.sleep(max(RECHECK_AFTER_S, (int(now) + 1 - now) + SECOND_MARGIN_S))


def finish_functions(ops, first, report):
    """The ops whose results are the same across the time step (call ``time_step`` first), and stay
    the same while the module's other functions run with each of their inputs. A function probe
    assumes nothing carries over between calls; a function that reads module state another one sets
    (matplotlib's ``is_interactive()`` after ``interactive(0)``) breaks that, and the oracle, which
    cannot reset a module, would call its results a corruption."""
    if not ops:
        return ops
    kept = []
    for op in ops:
        call, keys = first[op.name]
        same = _same_outcomes(op, call, keys, report)
        if same:
            kept.append(op)
        else:
            report(op.name, None, "not deterministic: results changed across a time step (it reads the clock, "
                                  "randomness or the system)")
    dependent = _state_readers(kept, first, report) if len(kept) > 1 else {}
    for op in kept:
        if op.name in dependent:
            report(op.name, None, "its results depend on which of the module's functions ran before it (module "
                                  "state %s() changes, which no run can reset)" % dependent[op.name])
        else:
            _report_op(report, op.name, op, None)
    return [op for op in kept if op.name not in dependent]


#: Seconds the cross-effect check of a module's functions may take; what it has not reached is kept.
CROSS_CHECK_S = 2.0


def _state_readers(ops, first, report):
    """{reader: writer} for the ops whose results change when another op runs with one of its inputs."""
    deadline = time.monotonic() + CROSS_CHECK_S
    dependent = {}

    def readings(writer):
        out = {}
        for r in ops:
            if r is not writer and r.name not in dependent:
                report(r.name, "start", None)
                out[r.name] = _op_keys(first[r.name][0], r)
        return out

    try:
        for writer in ops:
            if time.monotonic() > deadline:
                break
            seen = readings(writer)
            for args in _inputs(writer):
                report(writer.name, "start", None)
                first[writer.name][0](args)
                for name, keys in readings(writer).items():
                    if keys != seen.get(name, keys):
                        dependent.setdefault(name, writer.name)
    except Slow:
        pass
    return dependent


def _same_outcomes(op, call, keys, report):
    """Whether calling ``op`` with its screening inputs gives ``keys`` again."""
    report(op.name, "start", None)  # re-arms the watchdog; a death here names this function
    try:
        return _op_keys(call, op) == keys
    except Slow:
        return False


def _methods(cls):
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        try:
            raw = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(raw, (staticmethod, classmethod, property)) or not callable(raw):
            continue
        if inspect.isclass(raw):
            continue
        names.append(name)
    return names


def protocol_methods(cls):
    """The protocol methods ``cls`` implements (by ABC registration or by the dunders it defines),
    as op names of spec.PROTOCOL; an iterator gets ``__next__``, not ``__iter__`` (which returns itself)."""
    found = []
    for name in PROTOCOL:
        try:
            present = getattr(cls, name, None) is not None
        except Exception:  # a metaclass that fails to answer: that protocol is not offered
            present = False
        if present:
            found.append(name)
    if "__next__" in found and "__iter__" in found:
        found.remove("__iter__")
    return found


def _on(obj, name, args):
    """(ok, key or exception) of op ``name`` on ``obj``: a method, or a protocol operation."""
    return _timed(lambda *a: protocol_call(obj, name, a), args)


def _fresh(make):
    ok, obj = _construct(make)
    if not ok:
        raise TypeError("it raised %s(%s)" % (type(obj).__name__, obj))
    return obj


def _plain_value(value):
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return True
    return isinstance(value, tuple) and len(value) <= 8 and all(_plain_value(v) for v in value)


def _readable(obj, item):
    """The canonical value of one state item on ``obj``; raises when it cannot be read."""
    return canonical(state_of(obj, (item,)))


def _has(cls, name):
    try:
        return hasattr(cls, name)
    except Exception:  # a class that fails to answer does not offer it
        return False


def _candidate_items(cls, ops, warmed):
    """State items to consider, in order: len, iter, repr, getters, properties and attributes, accessors."""
    items = []
    if _has(cls, "__len__"):
        items.append("len")
    if _has(cls, "__iter__") and not _has(cls, "__next__"):
        items.append("iter")
    text = _safe_repr(warmed)
    if text is not None and " at 0x" not in text and " object at " not in text:
        items.append("repr")
    op_names = {o.name for o in ops}
    for o in ops:
        if o.arity() or o.name in PROTOCOL or policy.mutating_name(o.name):
            continue
        first = _on(warmed, o.name, ())
        second = _on(warmed, o.name, ())
        key = first[1] if first[0] else None
        opaque = isinstance(key, tuple) and key[:1] == ("opaque",)
        if first[0] and key is not None and not opaque and _key(*first) == _key(*second):
            items.append(o.name + "()")
    # Read-only properties (and C getters) of the class, then plain public attributes of the instance.
    for name in dir(cls):
        if name.startswith("_") or name in op_names or policy.denied_name(name) or policy.mutating_name(name):
            continue
        try:
            raw = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(raw, property) or type(raw).__name__ in ("getset_descriptor", "member_descriptor"):
            items.append("." + name)
    try:
        attributes = sorted(vars(warmed).items())
    except TypeError:  # no __dict__ (slots, a C type): no plain attributes
        attributes = []
    for name, value in attributes:
        if not name.startswith("_") and "." + name not in items and _plain_value(value):
            items.append("." + name)
    # One-argument accessors at each screening input: balance(0), balance(1)...
    for o in ops:
        if len(o.kinds) != 1 or o.name in PROTOCOL or policy.mutating_name(o.name):
            continue
        for value in KINDS[o.kinds[0]].examples:
            text = literal(value)
            if text is not None and KINDS[o.kinds[0]].convert is None:
                items.append("%s(%s)" % (o.name, text))
    return items


def _warm(obj, ops):
    """Run every op on ``obj`` with a few inputs each (arguments shifted against each other, so
    ``transfer(int,int,int)`` moves between two accounts instead of one account and itself)."""
    for _ in range(2):  # twice: a reader's second round sees what the writers did (hits after puts)
        for o in ops:
            for args in _warm_args(o):
                _on(obj, o.name, args)
    return obj


def _warm_args(op_spec):
    if op_spec.examples is not None:
        return list(op_spec.examples)
    kinds = op_spec.kinds
    if not kinds:
        return [()]
    count = max(len(KINDS[k].examples) for k in kinds)
    return [
        _convert(kinds, tuple(KINDS[k].examples[(i + j) % len(KINDS[k].examples)] for j, k in enumerate(kinds)))
        for i in range(count)
    ]


def _read_only(make, ops, item, others):
    """Does reading ``item`` change nothing the ops or the other state items can see? Two instances
    warmed alike, the item read twice on one of them (alike both times), then the other items and
    every op's results compared on both."""
    a, b = _warm(_fresh(make), ops), _warm(_fresh(make), ops)
    if _readable(a, item) != _readable(a, item):
        return False
    for other in others:
        try:
            if _readable(a, other) != _readable(b, other):
                return False
        except Exception:  # an unreadable item says nothing either way (noqa: skipped, not hidden)
            continue
    for o in ops:
        for args in _warm_args(o):
            if _key(*_on(a, o.name, args)) != _key(*_on(b, o.name, args)):
                return False
    return True


def _state_items(make, cls, ops):
    """State items that work, are deterministic and read-only, those that observe writers first."""
    warmed = _warm(_fresh(make), ops)
    fresh = _fresh(make)
    moving, constant = [], []
    candidates_ = _candidate_items(cls, ops, warmed)
    plain = [i for i in candidates_ if not (i.endswith(")") and not i.endswith("()"))]
    for item in candidates_:
        try:
            a, b = _replay(make, ops, (item,)), _replay(make, ops, (item,))
            if a != b:
                continue
            if item not in plain and not _read_only(make, ops, item, plain):
                continue
            observes = _readable(fresh, item) != _readable(_warm(_fresh(make), ops), item)
        except Exception:  # unreadable: not a state item (noqa: the reason is the item's absence)
            continue
        (moving if observes else constant).append(item)
    if moving:
        constant = [i for i in constant if i in ("len", "iter", "repr")]
    return tuple((moving + constant)[:MAX_STATE_ITEMS])


def _first_args(op_spec):
    return _inputs(op_spec)[0]


def _replay(make, ops, items):
    """Results of every op (in order, twice) on a fresh instance, then its state."""
    obj = _fresh(make)
    results = []
    for _ in range(2):
        for o in ops:
            results.append(_key(*_on(obj, o.name, _first_args(o))))
    return results, canonical(state_of(obj, items)) if items else None


def _size_name(name):
    return name.lower() in SIZE_NAMES or any(w in SIZE_NAMES for w in policy.words(name) if w != "n")


def _ctor_params(cls, module_names=()):
    """(parameters of ``cls(...)``, told): its signature (told False), else, for a C type without one
    or an ``__init__`` of ``*args, **kwargs``, what its stub or its docstring's first line says (told
    True: lru-dict's ``LRU(size, callback=None) -> ...``); (None, False) when nothing says."""
    try:
        params = list(inspect.signature(cls).parameters.values())
        if not _only_varargs(params):
            return params, False
    except (TypeError, ValueError):
        params = None
    name = cls.__name__
    described = signatures.stub_params(cls, name + ".__init__", module_names)
    if described is None:
        described = signatures.docstring_params(cls, name)
    return (described, True) if described is not None else (params, False)


def constructions(cls, module_names=()):
    """Ctor candidates for ``cls``, best first: None (``cls()``) when nothing is required, else
    literals for the required parameters (see the module docstring). Parameters a docstring or stub
    names are passed by position: the C function behind them may take no keywords."""
    params, told = _ctor_params(cls, module_names)
    if params is None:
        return [None]
    required = [p for p in params if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not required:
        return [None]
    per_param = []
    for p in required:
        values = list(SIZE_VALUES) if _size_name(p.name) else []
        for kind in candidates(p)[:3]:
            values += [v for v in KINDS[kind].examples if KINDS[kind].convert is None and literal(v) is not None]
        seen = []
        for v in values:
            if not any(v == w and type(v) is type(w) for w in seen):
                seen.append(v)
        per_param.append(seen[:4])
    by_position = [told or p.kind == p.POSITIONAL_ONLY for p in required]
    ctors = []
    for values in itertools.islice(itertools.product(*per_param), MAX_CTORS):
        args = tuple(v for v, pos in zip(values, by_position, strict=True) if pos)
        kwargs = tuple((p.name, v) for p, v, pos in zip(required, values, by_position, strict=True) if not pos)
        ctors.append(Ctor(args, kwargs))
    return ctors


@dataclass(frozen=True)
class Screened:
    """A class that passed screening: what its spec says, and how to build its instances."""

    ops: tuple
    state: tuple
    ctor: object
    fill: tuple
    make: object  # () -> a fresh instance, built (and filled) as the spec says


def screen_class(cls, report, qualname, exclude=(), module_names=()):
    """(Screened, None) for a class, or (None, reason)."""
    # The first construction that constructs is tried; when its methods all fail, the next one.
    last_reason = None
    for ctor in constructions(cls, module_names):
        made, reason = _construction_of(cls, ctor)
        if made is None:
            last_reason = last_reason or reason
            continue
        parts, reason = _screen_instance(cls, made, report, qualname, exclude, module_names)
        if parts is not None:
            ops, state, fill, make = parts
            return Screened(ops=ops, state=state, ctor=ctor, fill=fill, make=make), None
        last_reason = reason
    return None, last_reason


def _construction_of(cls, ctor):
    """(make, None) when ``ctor`` constructs ``cls`` fast and twice alike, else (None, reason)."""
    make = (lambda: cls()) if ctor is None else (lambda: ctor.call(cls))
    shown = "%s%s" % (cls.__name__, ctor.text() if ctor is not None else "()")
    try:
        a, b = _fresh(make), _fresh(make)
    except Slow:
        return None, "slow: constructing %s took more than %.0f ms" % (shown, SLOW_CALL_S * 1000)
    except TypeError as exc:
        prefix = "not constructible without arguments" if ctor is None else "not constructible as %s" % shown
        return None, "%s: %s" % (prefix, exc)
    text_a, text_b = _safe_repr(a), _safe_repr(b)
    if text_a is not None and " at 0x" not in text_a and text_a != text_b:
        return None, "not deterministic: two instances of %s differ" % shown
    return make, None


def _screen_method(cls, name, label, make, module_names):
    """(OpSpec or None, reason) of one public method, each call on a fresh instance from ``make``."""
    try:
        params = _positional(getattr(cls, name))
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
        params = described(getattr(cls, name), "%s.%s" % (cls.__name__, name), module_names, params)
    except ValueError as exc:
        return None, str(exc)

    def call(args):
        return _on(_fresh(make), name, args)

    try:
        kinds, reason = choose_kinds(call, params)
    except Slow:
        return None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)
    return (OpSpec(name, kinds), None) if kinds is not None else (None, reason)


def _screen_protocol(name, make, key_kind=None):
    """(OpSpec or None, reason) of one protocol method, each call on a fresh instance. ``key_kind``:
    the key kind ``obj[k] = v`` was kept with, tried first for the key of the other mapping ops (so
    ``k in obj`` asks about keys the object can hold)."""

    def call(args):
        return _on(_fresh(make), name, args)

    combos = PROTOCOL_COMBOS[name]
    if key_kind and name in ("__getitem__", "__delitem__", "__contains__"):
        combos = sorted(combos, key=lambda kinds: kinds[:1] != (key_kind,))
    tried = 0
    try:
        for kinds in combos:
            tried += 1
            outcomes = [call(_convert(kinds, args)) for args in _examples(kinds)]
            if not any(ok for ok, _ in outcomes):
                continue
            again = [call(_convert(kinds, args)) for args in _examples(kinds)]
            if [_key(*o) for o in outcomes] != [_key(*o) for o in again]:
                return None, "not deterministic: the same inputs gave different results"
            return OpSpec(name, kinds), None
    except Slow:
        return None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)
    return None, "raises on every input tried (%d argument-kind combinations)" % tried


def _key_kind(ops):
    """The key kind of a kept ``obj[k] = v``, or None."""
    return next((o.kinds[0] for o in ops if o.name == "__setitem__" and o.kinds), None)


def _inserting(ops):
    """Ops that may put something into the object, best first: ``obj[k] = v`` and methods named like
    inserts, then other ops with arguments that do not only read or remove."""
    def rank(o):
        if o.name == "__setitem__":
            return 0
        return 1 if any(w in INSERTING_WORDS for w in policy.words(o.name)) else 2

    usable = [o for o in ops if o.arity() and o.name not in READING_PROTOCOL and not policy.mutating_name(o.name)
              and all(KINDS[k].convert is None for k in o.kinds)]
    return sorted(usable, key=rank)


def _fill_of(op_spec):
    """Literal calls of one inserting op: its first screening inputs."""
    return tuple(FillCall(op_spec.name, tuple(args)) for args in _inputs(op_spec)[:FILL_CALLS_PER_OP]
                 if all(literal(a) is not None for a in args))


def _filled(make, fill):
    def build():
        obj = make()
        for call in fill:
            call.apply(obj)
        return obj

    return build


def _lenient_iteration(make, fill_ops):
    """Does ``make()``'s object raise the documented RuntimeError when an inserting op runs between
    two steps of one iteration, on this one thread? Then the same error under concurrency is the
    language's answer, not a finding (spec: ``__iter__()!``)."""
    for o in fill_ops:
        fresh_args = _inputs(o)[-1]  # an input the fill did not use: a new key
        try:
            obj = make()
            it = iter(obj)
            next(it)
            protocol_call(obj, o.name, fresh_args)
            for _ in it:
                pass
        except RuntimeError as exc:
            if any(m in str(exc) for m in MUTATED_DURING_ITERATION):
                return True
        except Exception:  # an empty object or a refused insert says nothing: try the next op
            continue
    return False


def _screen_instance(cls, make, report, qualname, exclude, module_names=()):
    ops = []
    failing = []  # methods that raised on every input on a fresh object: screened again once filled
    for name in _methods(cls) + protocol_methods(cls):
        label = "%s.%s" % (qualname, name)
        if label in exclude:
            report(label, None, "skipped: screening it crashed or hung the screening process")
            continue
        word = policy.denied_name(name) if name not in PROTOCOL else None
        if word:
            report(label, None, "policy: name has %r" % word)
            continue
        report(label, "start", None)
        if name in PROTOCOL:
            op_spec, reason = _screen_protocol(name, make, _key_kind(ops))
        else:
            op_spec, reason = _screen_method(cls, name, label, make, module_names)
        _report_op(report, label, op_spec, reason)
        if op_spec is not None:
            ops.append(op_spec)
        elif reason and reason.startswith("raises on every input"):
            failing.append(name)
    fill = ()
    if failing and ops:
        # Screening with state: fill the object with its inserting ops, then try the failing methods again.
        for inserting in _inserting(ops)[:FILL_OPS]:
            fill += _fill_of(inserting)
        if fill:
            filled = _filled(make, fill)
            rescued = []
            for name in failing:
                label = "%s.%s" % (qualname, name)
                report(label, "start", None)
                if name in PROTOCOL:
                    op_spec, reason = _screen_protocol(name, filled, _key_kind(ops))
                else:
                    op_spec, reason = _screen_method(cls, name, label, filled, module_names)
                if op_spec is not None:
                    _report_op(report, label, op_spec, None)
                    rescued.append(op_spec)
                else:
                    report(label, None, reason + "; also after %s" % ", ".join(c.text() for c in fill))
            if rescued:
                ops += rescued
                make = filled
            else:
                fill = ()
    if not ops:
        return None, "no method survived screening"
    if any(o.name == "__iter__" for o in ops) and _lenient_iteration(make, _inserting(ops)):
        ops = [OpSpec(o.name, o.kinds, o.examples, True) if o.name == "__iter__" else o for o in ops]
    # Methods whose results differ between two identical sequential replays depend on something
    # outside the object (time, ids, globals): a replay could never explain them.
    try:
        first, second = _replay(make, ops, ())[0], _replay(make, ops, ())[0]
    except Slow:
        return None, "slow: replaying its methods took too long"
    unstable = {ops[i % len(ops)].name for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b}
    for name in sorted(unstable):
        report("%s.%s" % (qualname, name), None, "not deterministic across identical sequential replays")
    ops = _capped([o for o in ops if o.name not in unstable])
    if not ops:
        return None, "no deterministic method"
    try:
        state = _state_items(make, cls, ops)
    except (Slow, TypeError):
        state = ()
    return (tuple(ops), state, fill, make), None


def _capped(ops):
    """At most MAX_OPS ops; protocol ops keep a place (they are what a shared container is used through)."""
    if len(ops) <= MAX_OPS:
        return ops
    protocol = [o for o in ops if o.name in PROTOCOL][: MAX_OPS // 2]
    named = [o for o in ops if o.name not in PROTOCOL][: MAX_OPS - len(protocol)]
    return [o for o in ops if o in named or o in protocol]


def _class_readings(screened):
    """What a class's ops and state give, on fresh instances: compared across the time step."""
    results = {}
    for o in screened.ops:
        results[o.name] = [_key(*_on(_fresh(screened.make), o.name, args)) for args in _inputs(o)]
    warmed = _warm(_fresh(screened.make), screened.ops)
    for item in screened.state:
        try:
            results["|" + item] = _readable(warmed, item)
        except Exception:  # unreadable now: compared as such after the step
            results["|" + item] = "unreadable"
    return results


def _recheck_class(name, screened, before, report):
    """The class's Screened without the ops and state items whose readings moved across the time
    step, or None when no op is left."""
    try:
        after = _class_readings(screened)
    except (Slow, TypeError, SubjectBroke):
        return None
    moved = {k for k in before if before[k] != after.get(k)}
    for k in sorted(moved):
        if not k.startswith("|"):
            report("%s.%s" % (name, k), None, "not deterministic: results changed across a time step (it reads "
                                              "the clock, randomness or the environment)")
    ops = tuple(o for o in screened.ops if o.name not in moved)
    if not ops:
        return None
    state = tuple(i for i in screened.state if "|" + i not in moved)
    return Screened(ops=ops, state=state, ctor=screened.ctor, fill=screened.fill, make=screened.make)


def screen_module(module_name, report, exclude=()):
    """Specs (text) for one module; ``report(target, kinds_or_marker, reason)`` sees every decision."""
    package = module_name.split(".")[0]
    if policy.denied_module(module_name):
        report(module_name, None, "policy: module denied")
        return []
    module = load_module(module_name)
    owners = (package,) if module.__name__ == module_name else (package, module.__name__)
    names = public_names(module)
    fn_ops, first = screen_functions(module, owners, names, report, exclude)
    pending = []  # (name, Screened, readings): rechecked across the time step
    for name in names:
        try:
            cls = _attr(module, name)
            if not inspect.isclass(cls) or not _owned(cls, owners) or cls.__name__ != name:
                continue
            if issubclass(cls, BaseException) or inspect.isabstract(cls):
                continue
        except SubjectBroke as exc:
            report(name, None, str(exc))
            continue
        if policy.denied_module(getattr(cls, "__module__", "")):
            continue
        word = policy.denied_name(name)
        if word:
            report(name, None, "policy: name has %r" % word)
            continue
        if name in exclude:
            report(name, None, "skipped: screening it crashed or hung the screening process")
            continue
        report(name, "start", None)
        try:
            screened, reason = screen_class(cls, report, name, exclude, (cls.__module__, module_name))
            readings = _class_readings(screened) if screened is not None else None
        except SubjectBroke as exc:
            screened, reason = None, "ftlab's own call on it failed: %s" % exc
        except Slow:
            screened, reason = None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)
        except Exception as exc:  # one bad object is dropped with its reason, never the module
            screened, reason = None, "screening it raised %s: %s" % (type(exc).__name__, str(exc)[:160])
        if screened is None:
            report(name, None, reason)
            continue
        pending.append((name, screened, readings))
    if fn_ops or pending:
        time_step()
    fn_ops = finish_functions(fn_ops, first, report)
    classes = []
    for name, screened, readings in pending:
        report(name, "start", None)
        checked = _recheck_class(name, screened, readings, report)
        if checked is None:
            report(name, None, "not deterministic: every method's results changed across a time step")
            continue
        spec = Spec("cls", module_name, name, checked.ops, checked.state, checked.ctor, checked.fill).text()
        report(name, "spec", spec)
        classes.append(spec)
    specs = [Spec("fn", module_name, "", tuple(fn_ops[start : start + MAX_OPS]), ()).text()
             for start in range(0, len(fn_ops), MAX_OPS)]
    # Classes first: a shared instance is where races live; stateless functions race only through
    # hidden globals.
    return classes + specs


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    module_name, events_path, exclude = argv[0], argv[1], set(argv[2:])
    faulthandler.enable()
    with open(events_path, "a", encoding="utf-8") as events:

        def report(target, kinds, reason):
            # Each call re-arms the watchdog: one stuck callable ends the process, with its name
            # already written as the one in flight.
            faulthandler.dump_traceback_later(STUCK_CALL_S, exit=True)
            if kinds == "start":
                event = {"event": "start", "target": target}
            elif kinds == "spec":
                event = {"event": "spec", "target": target, "spec": reason}
            else:
                event = {"event": "kept" if kinds is not None else "dropped", "target": target,
                         "kinds": list(kinds) if kinds else None, "reason": reason}
            events.write(json.dumps(event) + "\n")
            events.flush()

        specs = screen_module(module_name, report, exclude)
        faulthandler.cancel_dump_traceback_later()
        events.write(json.dumps({"event": "done", "specs": specs}) + "\n")
        events.flush()


if __name__ == "__main__":
    main()
