"""Scenario drawing: shape bounds, swarm subsets, reproducibility."""

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op
from ftlab_probes.runtime.stress.draw import Shape, draw_scenarios


class ThreeOps(Probe):
    def make(self):
        return []

    @op(st.integers(0, 9))
    def push(self, obj, n):
        obj.append(n)

    @op()
    def pop(self, obj):
        return obj.pop() if obj else None

    @op()
    def size(self, obj):
        return len(obj)


def test_scenarios_respect_the_shape():
    shape = Shape(max_threads=4, max_ops_per_thread=3, max_init=2, max_post=1, max_total=9)
    drawn = draw_scenarios(ThreeOps.operations(), shape, 150, 1)
    assert len(drawn) > 50
    for scenario in drawn:
        assert 2 <= len(scenario.threads) <= 4 or scenario.size() == shape.max_total
        assert all(1 <= len(t) <= 3 for t in scenario.threads)
        assert len(scenario.init) <= 2 and len(scenario.post) <= 1
        assert scenario.size() <= 9
        for slot in scenario.slots():
            assert slot.call.name in ("push", "pop", "size")
            if slot.call.name == "push":
                assert 0 <= slot.call.args[0] <= 9


def test_thread_counts_are_weighted_to_the_maximum():
    drawn = draw_scenarios(ThreeOps.operations(), Shape(max_threads=3), 200, 2)
    counts = [len(s.threads) for s in drawn]
    assert counts.count(3) > counts.count(2) > 0


def test_swarm_leaves_ops_out_of_some_scenarios():
    drawn = draw_scenarios(ThreeOps.operations(), Shape(), 200, 3)
    subsets = {tuple(s.op_names()) for s in drawn}
    assert ("pop", "push", "size") in subsets
    assert any(len(names) < 3 for names in subsets)


def test_same_seed_same_scenarios():
    one = draw_scenarios(ThreeOps.operations(), Shape(), 30, 7)
    two = draw_scenarios(ThreeOps.operations(), Shape(), 30, 7)
    assert [s.describe() for s in one] == [s.describe() for s in two]


def test_summaries_shorten_long_arguments_and_keep_the_scenario_whole():
    from ftlab_probes.runtime.stress.scenario import Call, Scenario

    s = Scenario((), ((Call("update", (b"x" * 4096,)),), (Call("update", (b"a",)),)), ())
    assert s.describe(brief=True) == "init [] | t0 [update(b'xxxxxxxxxxxxxxxxxx... (4096 bytes))] t1 [update(b'a')] | post []"
    assert s.describe().count("x") == 4096 and s.to_data()["threads"][0][0].count("x") == 4096


def test_two_op_scenarios_whose_args_share_a_value_come_before_disjoint_ones():
    from ftlab_probes.runtime.stress.scenario import Call, Scenario
    from ftlab_probes.runtime.stress.scenario import same_op_first as _same_op_first

    def two(a, b, name2="put"):
        return Scenario((), ((Call("put", a),), (Call(name2, b),)), ())

    order = sorted([two((1, "b"), (2, "c")), two((1, "a"), (1, "a"), "get"), two((1, "a"), (2, "a")),
                    two((1, "a"), (1, "a"))], key=_same_op_first)
    assert [s.describe() for s in order] == [
        "init [] | t0 [put(1, 'a')] t1 [put(2, 'a')] | post []",
        "init [] | t0 [put(1, 'a')] t1 [put(1, 'a')] | post []",
        "init [] | t0 [put(1, 'b')] t1 [put(2, 'c')] | post []",
        "init [] | t0 [put(1, 'a')] t1 [get(1, 'a')] | post []",
    ]
