"""Write a stress probe: the operations of a shared object that the stress engine races.

A probe says how to build a fresh object and which operations may be called on it, each with the
hypothesis strategies of its arguments. The engine draws scenarios (init ops, one op list per thread,
post ops), runs them many times at once from several threads, and checks every run against the object
itself replayed sequentially (see ``probes/README.md``)::

    from hypothesis import strategies as st
    from ftlab_probes.api import Probe, op

    class CounterProbe(Probe):
        subject = "calib_counter"
        raises = (OverflowError,)

        def make(self):
            import calib_counter
            return calib_counter.Counter()

        @op(st.integers(1, 5))
        def add(self, obj, n):
            return obj.add(n)

        @op()
        def get(self, obj):
            return obj.get()

        def invariant(self, obj):
            assert obj.get() >= 0

        def state(self, obj):
            return obj.get()

Operations return plain values (numbers, strings, tuples, lists, dicts, sets): results are compared
by value between the concurrent run and the sequential replays, and objects that only have an
identity compare by type alone. A returned iterator, generator, view or other mapping is read when
the op returns, in the thread that called it (iterators at most 64 items, the cut part of the
result); one that cannot be read then (a live view of a dict another thread is changing) matches any
result: reading shared state while it changes is the probe's doing, not the subject's.
"""

__all__ = ["Probe", "op", "stateless"]

#: Attribute that marks a method as an operation; holds the argument strategies.
_OP_MARK = "__ftlab_op__"


def op(*strategies):
    """Mark a probe method ``(self, obj, *args)`` as an operation; one strategy per argument."""

    def mark(func):
        setattr(func, _OP_MARK, tuple(strategies))
        return func

    return mark


class Probe:
    """Base class of a stress probe. Override ``make`` and mark operations with ``@op``.

    ``raises``: exception types that are legitimate results; they are compared like return values.
    Any other exception is a finding. ``invariant`` runs only at quiescent points (after the init
    part, after the parallel part, after the post part) and signals by raising AssertionError.
    ``state`` is compared with the sequential replays' state after the last op; defining it also
    lets the linearizability search prune orders that reach the same state.

    ``expected_finding``: the kind of finding this probe is known to produce because the subject
    documents it (e.g. "corruption" for in-place writes to a shared numpy array): reports mark it
    known and it does not gate a run. ``known_issue``: a real, undocumented bug found before (a line
    and a reference): reports say so, and it still gates. Both are recorded in probes/FINDINGS.md.
    """

    subject = None
    raises = ()
    expected_finding = None
    known_issue = None

    def make(self):
        raise NotImplementedError("%s.make() must return a fresh shared object" % type(self).__name__)

    def invariant(self, obj):
        """Assert what holds whenever no operation is running."""

    def state(self, obj):
        """A plain value that describes the object; compared with the sequential model's."""
        return None

    @classmethod
    def operations(cls):
        """``{name: strategies}`` for every ``@op`` method, in definition order (base classes first)."""
        found = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if callable(value) and hasattr(value, _OP_MARK):
                    found[name] = getattr(value, _OP_MARK)
        return found

    @classmethod
    def has_state(cls):
        return cls.state is not Probe.state


def stateless(func, *strategies, raises=()):
    """A probe for a plain function: concurrent results must equal sequential ones for the same inputs.

    ``my_probe = stateless(json.dumps, st.dictionaries(st.text(), st.integers()))`` is found as
    ``{"probe": "my_module:my_probe"}``.
    """
    name = getattr(func, "__name__", "")
    if not name.isidentifier() or hasattr(Probe, name):
        name = "call"

    def call(self, obj, *args):
        return func(*args)

    call.__name__ = name
    namespace = {
        "subject": getattr(func, "__module__", None),
        "raises": tuple(raises),
        "make": lambda self: None,
        # A constant state: nothing carries over between calls, so every order reaches the same one.
        "state": lambda self, obj: None,
        name: op(*strategies)(call),
    }
    return type("Stateless_%s" % name, (Probe,), namespace)
