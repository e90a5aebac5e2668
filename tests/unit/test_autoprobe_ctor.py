"""Auto-probe specs that carry a construction and accessor state items: parsed, written back the
same, built into a probe that replays them exactly."""

from __future__ import annotations

import pytest

from ftlab_probes.auto.spec import Ctor, SpecError, build, literal, parse


def test_a_construction_and_accessors_round_trip():
    text = "cls:collections:deque(maxlen=2):append(int);popleft()|len,iter,.maxlen,count(1)"
    spec = parse(text)
    assert spec.cls == "deque" and spec.ctor == Ctor((), (("maxlen", 2),))
    assert spec.state == ("len", "iter", ".maxlen", "count(1)")
    assert spec.text() == text


def test_the_built_probe_constructs_and_reads_as_the_spec_says():
    cls = build("cls:collections:deque(maxlen=2):append(int)|len,iter,.maxlen,count(1)")
    probe = cls()
    d = probe.make()
    for value in (1, 1, 3):
        probe.append(d, value)
    assert probe.state(d) == (2, [1, 3], 2, 1)


@pytest.mark.parametrize("bad", [
    "cls:m:C(x=1:op()",            # unbalanced
    "cls:m:C(x=[1]):op()",         # not a literal a spec can carry
    "cls:m:C(x=1,2):op()",         # positional after keyword
    "cls:m:C:op()|count(a,b)",     # accessor with two arguments
])
def test_bad_constructions_and_items_say_what_is_expected(bad):
    with pytest.raises(SpecError):
        parse(bad)


def test_only_separator_free_literals_are_carried():
    assert literal(2) == "2" and literal("a_1") == "'a_1'" and literal(None) == "None"
    assert literal("a:b") is None and literal([1]) is None and literal(float("nan")) is None
