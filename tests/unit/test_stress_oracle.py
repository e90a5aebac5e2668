"""The oracle's layers, on pure-Python probes whose failures are deterministic."""

import itertools
import sys

from hypothesis import strategies as st

from ftlab_probes.api import Probe, op, stateless
from ftlab_probes.runtime.stress import rate
from ftlab_probes.runtime.stress.scenario import Call, Scenario
from ftlab_probes.runtime.stress.target import Target

HERE = __name__


class Box(Probe):
    raises = (ValueError,)

    def make(self):
        return {"n": 0}

    @op(st.integers(0, 3))
    def put(self, obj, n):
        if n > 2:
            raise ValueError("too big")
        obj["n"] = n
        return n

    @op()
    def boom(self, obj):
        raise KeyError("boom")

    def state(self, obj):
        return obj["n"]


class BrokenInvariant(Box):
    def invariant(self, obj):
        assert obj["n"] != 2, "n is never 2"


_tickets = itertools.count()
Ticket = stateless(lambda: next(_tickets))
Length = stateless(len, st.text())


def scenario(*threads):
    return Scenario((), tuple(tuple(Call(n, a) for n, a in t) for t in threads), ())


def judge_all(probe, scen, kind, runs=5):
    return rate.in_process(Target(f"{HERE}:{probe}"), scen, kind, runs, 10_000)


def test_declared_exception_is_a_result_not_a_finding():
    scen = scenario([("put", (3,))], [("put", (1,))])
    for kind in ("unexpected-exception", "corruption"):
        assert judge_all("Box", scen, kind).failures == 0


def test_undeclared_exception_is_unexpected():
    measured = judge_all("Box", scenario([("boom", ())], [("put", (1,))]), "unexpected-exception")
    assert measured.failures == 5
    assert "KeyError" in measured.first["summary"]


def test_broken_invariant_is_reported():
    measured = judge_all("BrokenInvariant", scenario([("put", (2,))], [("put", (2,))]), "invariant-broken")
    assert measured.failures == 5
    assert "n is never 2" in measured.first["summary"]


def test_stateless_determinism_oracle():
    # A function whose answer changes from call to call is not explained by any sequential order.
    measured = judge_all("Ticket", scenario([("call", ())], [("call", ())]), "corruption")
    assert measured.failures == 5
    assert judge_all("Length", scenario([("len", ("ab",))], [("len", ("",))]), "corruption").failures == 0


def test_tables_mark_the_op_no_order_explains():
    measured = judge_all("Ticket", scenario([("call", ())], [("call", ())]), "corruption", runs=1)
    marked = [cell for row in measured.first["table"] for cell in row if cell.endswith("<-")]
    assert marked


def test_probe_modules_load_by_path():
    assert Target(f"{HERE}:Box").cls is sys.modules[HERE].Box
