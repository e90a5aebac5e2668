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

Classes qualify when ``Cls()`` works without arguments; their methods are screened on fresh
instances, then the whole method list is replayed twice on two fresh instances and methods whose
results differ between the replays are dropped. State items (len, iteration, repr without an
address, zero-argument getters that return the same value twice) are kept when they are
deterministic too.

Run as ``python -m ftlab_probes.auto.screen MODULE EVENTS [EXCLUDE...]``: one JSON line per event to EVENTS,
flushed, so a crash or hang in the middle still leaves what was found.
"""

import faulthandler
import importlib
import inspect
import itertools
import json
import sys
import time

from ftlab_probes.auto import policy
from ftlab_probes.auto.kinds import KINDS, candidates
from ftlab_probes.auto.spec import OpSpec, Spec, state_of
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
#: Methods kept per class, functions kept per module: scenarios hold ~15 ops.
MAX_OPS = 10
#: Functions that read the system (psutil's disk_io_counters, cpu_freq) return the same value twice
#: in a row but not a moment later, and a stress run spans seconds: their later replays disagreed
#: with what the threads saw, a false corruption (measured on psutil 7 on both lanes). Every kept
#: function is called again after this pause, once per module, and dropped when its results moved.
RECHECK_AFTER_S = 0.3


class Slow(Exception):
    pass


class Unreadable(Exception):
    """A call returned, but reading its result raised (with no other thread around)."""


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None or not isinstance(names, (list, tuple)):
        names = [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if isinstance(n, str) and not n.startswith("_")]


def _owned(obj, package):
    """Defined by the package under test (not a re-export of the stdlib or another package)."""
    module = getattr(obj, "__module__", None) or ""
    return module == package or module.startswith(package + ".") or module.lstrip("_").split(".")[0] == package.lstrip("_")


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


def _construct(cls):
    """(ok, instance or exception) of ``cls()``; Slow when it took longer than SLOW_CALL_S."""
    began = time.perf_counter()
    try:
        value, ok = cls(), True
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
    params = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            params.append(p)
        elif p.kind == p.KEYWORD_ONLY and p.default is p.empty:
            raise ValueError("keyword-only parameter %r without a default" % p.name)
    return params


def _combos(params):
    """Kind tuples to try, best guesses first, at most MAX_COMBOS."""
    if params is None:  # unknown signature (a C function without __text_signature__): try arities
        shapes = [()] + [(k,) for k in candidates(None)] + [("int", "int"), ("str", "int"), ("str", "str")]
        return shapes[:MAX_COMBOS]
    if len(params) > MAX_ARITY:
        return []
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


def screen_function(func):
    """(OpSpec-ready kinds or None, reason)."""
    try:
        params = _positional(func)
    except ValueError as exc:
        return None, str(exc)
    try:
        return choose_kinds(lambda args: _timed(func, args), params)
    except Slow:
        return None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)


def screen_functions(module, package, names, report, exclude=()):
    ops = []
    first = {}  # name -> (call, outcome keys): re-read after a pause (RECHECK_AFTER_S)
    for name in names:
        if name in exclude:
            report(name, None, "skipped: screening it crashed or hung the screening process")
            continue
        func = getattr(module, name, None)
        if not (inspect.isfunction(func) or inspect.isbuiltin(func)):
            continue
        if not _owned(func, package):
            continue
        word = policy.denied_name(name)
        if word:
            report(name, None, "policy: name has %r" % word)
            continue
        report(name, "start", None)
        kinds, reason = screen_function(func)
        if kinds is not None:
            call = lambda args, func=func: _timed(func, args)  # noqa: E731
            try:
                first[name] = (call, _outcome_keys(call, kinds))
            except Slow:
                kinds, reason = None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)
        report(name, kinds, reason)
        if kinds is not None:
            ops.append(OpSpec(name, kinds))
    return _still_deterministic(ops, first, report)


def _still_deterministic(ops, first, report):
    """The ops whose results are the same a moment later (see RECHECK_AFTER_S)."""
    if not ops:
        return ops
    time.sleep(RECHECK_AFTER_S)
    kept = []
    for op in ops:
        call, keys = first[op.name]
        report(op.name, "start", None)  # re-arms the watchdog; a death here names this function
        try:
            same = _outcome_keys(call, op.kinds) == keys
        except Slow:
            same = False
        if same:
            kept.append(op)
            report(op.name, op.kinds, None)
        else:
            report(op.name, None, "not deterministic: results changed %.1f s later (it reads time or the system)"
                   % RECHECK_AFTER_S)
    return kept


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


def _fresh(cls):
    ok, obj = _construct(cls)
    if not ok:
        raise TypeError("%s() raised %s" % (cls.__name__, type(obj).__name__))
    return obj


def _state_items(cls, ops):
    """State items that work and are deterministic on instances warmed with every op."""
    items = []
    probe = _fresh(cls)
    for o in ops:
        _timed(getattr(probe, o.name), _first_args(o))
    if hasattr(cls, "__len__"):
        items.append("len")
    if hasattr(cls, "__iter__") and not hasattr(cls, "__next__"):
        items.append("iter")
    text = repr(probe)
    if " at 0x" not in text and " object at " not in text:
        items.append("repr")
    for o in ops:
        if o.kinds or policy.mutating_name(o.name):
            continue
        first = _timed(getattr(probe, o.name), ())
        second = _timed(getattr(probe, o.name), ())
        key = first[1] if first[0] else None
        opaque = isinstance(key, tuple) and key[:1] == ("opaque",)
        if first[0] and key is not None and not opaque and _key(*first) == _key(*second):
            items.append(o.name + "()")
    kept = []
    for item in items:
        try:
            a, b = _replay(cls, ops, (item,)), _replay(cls, ops, (item,))
        except Exception:
            continue
        if a == b:
            kept.append(item)
    return tuple(kept)


def _first_args(op_spec):
    return _convert(op_spec.kinds, _examples(op_spec.kinds)[0])


def _replay(cls, ops, items):
    """Results of every op (in order, twice) on a fresh instance, then its state."""
    obj = _fresh(cls)
    results = []
    for _ in range(2):
        for o in ops:
            results.append(_key(*_timed(getattr(obj, o.name), _first_args(o))))
    return results, canonical(state_of(obj, items)) if items else None


def screen_class(cls, report, qualname, exclude=()):
    """Spec parts (ops, state) for a class, or (None, reason)."""
    try:
        _fresh(cls)
        _fresh(cls)
    except Slow:
        return None, "slow: constructing it took more than %.0f ms" % (SLOW_CALL_S * 1000)
    except TypeError as exc:
        return None, "not constructible without arguments: %s" % exc
    ops = []
    for name in _methods(cls):
        label = "%s.%s" % (qualname, name)
        if label in exclude:
            report(label, None, "skipped: screening it crashed or hung the screening process")
            continue
        word = policy.denied_name(name)
        if word:
            report(label, None, "policy: name has %r" % word)
            continue
        report(label, "start", None)
        try:
            params = _positional(getattr(cls, name))
            if params and params[0].name in ("self", "cls"):
                params = params[1:]
        except ValueError as exc:
            report(label, None, str(exc))
            continue

        def call(args, name=name):
            obj = _fresh(cls)
            return _timed(getattr(obj, name), args)

        try:
            kinds, reason = choose_kinds(call, params)
        except Slow:
            kinds, reason = None, "slow: a call took more than %.0f ms" % (SLOW_CALL_S * 1000)
        report(label, kinds, reason)
        if kinds is not None:
            ops.append(OpSpec(name, kinds))
    if not ops:
        return None, "no method survived screening"
    # Methods whose results differ between two identical sequential replays depend on something
    # outside the object (time, ids, globals): a replay could never explain them.
    try:
        first, second = _replay(cls, ops, ())[0], _replay(cls, ops, ())[0]
    except Slow:
        return None, "slow: replaying its methods took too long"
    unstable = {ops[i % len(ops)].name for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b}
    for name in sorted(unstable):
        report("%s.%s" % (qualname, name), None, "not deterministic across identical sequential replays")
    ops = [o for o in ops if o.name not in unstable][:MAX_OPS]
    if not ops:
        return None, "no deterministic method"
    try:
        state = _state_items(cls, ops)
    except (Slow, TypeError):
        state = ()
    return (tuple(ops), state), None


def screen_module(module_name, report, exclude=()):
    """Specs (text) for one module; ``report(target, kinds_or_marker, reason)`` sees every decision."""
    package = module_name.split(".")[0]
    if policy.denied_module(module_name):
        report(module_name, None, "policy: module denied")
        return []
    module = importlib.import_module(module_name)
    names = public_names(module)
    specs = []
    fn_ops = screen_functions(module, package, names, report, exclude)
    classes = []
    for start in range(0, len(fn_ops), MAX_OPS):
        specs.append(Spec("fn", module_name, "", tuple(fn_ops[start : start + MAX_OPS]), ()).text())
    for name in names:
        cls = getattr(module, name, None)
        if not inspect.isclass(cls) or not _owned(cls, package) or cls.__name__ != name:
            continue
        if issubclass(cls, BaseException) or inspect.isabstract(cls):
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
        parts, reason = screen_class(cls, report, name, exclude)
        if parts is None:
            report(name, None, reason)
            continue
        ops, state = parts
        spec = Spec("cls", module_name, name, ops, state).text()
        report(name, "spec", spec)
        classes.append(spec)
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
