"""Results are read when an op returns (target.comparable), in every thread and in every replay; a
result that cannot be read matches anything. In-process, on the host interpreter: no workers."""

from __future__ import annotations

import random
import types
from collections import Counter

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.runtime.stress import linearizability as lin
from ftlab_probes.runtime.stress.execute import Invoker
from ftlab_probes.runtime.stress.oracle import Judge
from ftlab_probes.runtime.stress.scenario import Call, Scenario
from ftlab_probes.runtime.stress.target import ANY, ITEMS_CAP, Outcome, Target


class LiveViewProbe(Probe):
    """A shared dict whose reads return live views and iterators: only a read taken when the op
    returns agrees with the sequential replay."""

    def make(self):
        return {}

    @op()
    def keys(self, d):
        return d.keys()

    @op()
    def values(self, d):
        return d.values()

    @op()
    def items(self, d):
        return iter(d.items())

    @op(st.sampled_from("ab"), st.integers(0, 2))
    def put(self, d, key, value):
        d[key] = value

    def state(self, d):
        return list(d.items())  # in order, as items() shows it


PROBE = "tests.unit.test_stress_target:LiveViewProbe"


def judgements(scenario: Scenario, runs: int) -> Counter:
    """Kinds of the judgements of ``runs`` invocations (what a worker counts)."""
    target = Target(PROBE)
    judge = Judge(target, scenario)
    invoker = Invoker(target, scenario)
    rng = random.Random(1)
    kinds: Counter = Counter()
    try:
        for _ in range(runs):
            judgement = judge.judge(invoker.invoke(rng))
            if judgement is not None:
                kinds[judgement.kind] += 1
    finally:
        invoker.close()
    return kinds


def test_a_live_view_is_read_when_the_op_returns():
    d: dict = {}
    outcome = Outcome.of_value(d.keys())
    d["a"] = 1
    assert outcome.key == Outcome.of_value({}.keys()).key
    assert outcome.text == "dict_keys([])"
    it = iter([1, 2])
    read = Outcome.of_value(it)
    assert read.text == "list_iterator([1, 2])" and list(it) == []


def test_views_compare_like_what_they_are():
    def key(value):
        return Outcome.of_value(value).key

    assert key({"a": 1, "b": 2}.keys()) == key({"b": 2, "a": 1}.keys())  # a set
    assert key({"a": 1, "b": 1}.values()) != key({"a": 1}.values())  # a bag
    assert key({"a": 1, "b": 2}.values()) == key({"b": 2, "a": 1}.values())
    assert key(types.MappingProxyType({"a": 1, "b": 2})) == key(types.MappingProxyType({"b": 2, "a": 1}))
    assert key(iter([1, 2])) != key(iter([2, 1]))  # an iterator keeps its order
    long, short = key(iter(range(ITEMS_CAP + 1))), key(iter(range(ITEMS_CAP)))
    assert long != short and long[1][2] is True  # a cut is part of the key


def test_a_result_that_cannot_be_read_matches_anything():
    class Shaky(dict):
        def items(self):
            raise RuntimeError("dictionary changed size during iteration")

    view = types.MappingProxyType(Shaky(a=1))
    outcome = Outcome.of_value(view)
    assert outcome.key is ANY and not outcome.raised
    assert outcome.text.startswith("<unreadable mappingproxy: RuntimeError(dictionary changed size")
    assert lin.matches(ANY, ("ok", 1)) and lin.matches(("ok", 1), ANY) and not lin.matches(("ok", 1), ("ok", 2))


def test_results_read_item_by_item_beside_other_threads_are_not_compared():
    # A dict's view is copied in one call: compared, even beside other threads.
    assert Outcome.of_value({"a": 1}.keys(), concurrent=True).key == Outcome.of_value({"a": 1}.keys()).key
    # An iterator is drained step by step: beside other threads the items may mix moments.
    mixed = Outcome.of_value(iter({"a": 1}.items()), concurrent=True)
    assert mixed.key is ANY and mixed.text.startswith("dict_itemiterator([('a', 1)]) (read item by item")
    assert Outcome.of_value(iter({"a": 1}.items())).key == ("ok", ("seq", (("tuple", ("a", 1)),), False))


def test_views_and_iterators_read_before_a_later_op_are_explained():
    # bidict on 3.14.7t before results were read at once: corruption in 1000 of 1000 runs.
    for read in ("keys", "values", "items"):
        scenario = Scenario((Call(read, ()),), (), (Call("put", ("a", 1)),))
        assert judgements(scenario, 200) == Counter(), read


def test_live_views_read_while_another_thread_writes_are_no_finding():
    scenario = Scenario(
        (Call("put", ("b", 0)),),
        ((Call("put", ("a", 1)), Call("put", ("b", 2))), (Call("keys", ()), Call("items", ()), Call("values", ()))),
        (Call("keys", ()),),
    )
    kinds = judgements(scenario, 500)
    assert not set(kinds) - {"unknown"}, kinds


def test_scenario_concurrency_and_its_serialized_form():
    a, b, c = Call("a", ()), Call("b", ()), Call("c", ())
    two = Scenario((a,), ((b,), (c,)), ())
    assert two.concurrent()
    assert not Scenario((a,), ((b, c),), ()).concurrent()
    assert not Scenario((a,), (), (b,)).concurrent()
    assert two.serialized() == Scenario((a, b, c), (), ())
