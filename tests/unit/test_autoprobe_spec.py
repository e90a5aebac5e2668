"""Auto-probe specs, kinds and policy: pure functions, no lane needed."""

from __future__ import annotations

import inspect
import itertools

import pytest

from ftlab_probes.auto import kinds, policy
from ftlab_probes.auto.spec import OpSpec, Spec, SpecError, build, parse, state_of
from ftlab_probes.runtime.stress.target import ITEMS_CAP, Outcome


def test_spec_text_round_trips():
    text = "cls:collections:OrderedDict:move_to_end(str,bool);popitem(bool);copy()|len,iter,repr"
    spec = parse(text)
    assert spec == Spec("cls", "collections", "OrderedDict",
                        (OpSpec("move_to_end", ("str", "bool")), OpSpec("popitem", ("bool",)), OpSpec("copy", ())),
                        ("len", "iter", "repr"))
    assert spec.text() == text
    assert parse("fn:json:dumps(int);loads(str)").text() == "fn:json:dumps(int);loads(str)"


@pytest.mark.parametrize("bad", ["json:dumps()", "fn:json", "fn:json:dumps(widget)", "cls:m:C:1bad()"])
def test_bad_specs_say_what_is_expected(bad):
    with pytest.raises(SpecError):
        parse(bad)


def test_built_class_is_a_probe_with_hashable_strategies():
    cls = build("cls:collections:Counter:update(list);most_common();total()|len")
    assert cls.auto_probe is True and cls.raises == (Exception,)
    assert list(cls.operations()) == ["update", "most_common", "total"]
    probe = cls()
    obj = probe.make()
    probe.update(obj, (1, 1, 2))  # a drawn tuple becomes the list the method expects
    assert probe.most_common(obj) == [(1, 2), (2, 1)]
    assert probe.state(obj) == (2,)


def test_ops_that_shadow_probe_attributes_are_renamed():
    cls = build("cls:collections:OrderedDict:clear();copy()")
    assert "clear" in cls.operations()
    cls = build("fn:ftlab_probes.auto.spec:state_of(list,list)")
    assert "state_of" in cls.operations()
    cls = build("cls:collections:deque:append(int)")
    assert callable(cls.make)


def test_functions_probe_is_stateless_and_its_iterators_are_read_by_the_engine():
    cls = build("fn:itertools:repeat(int,int)")
    probe = cls()
    # The op returns the iterator; the engine reads it in the calling thread (target.comparable).
    assert Outcome.of_value(probe.repeat(None, 2, 3)).text == "repeat([2, 2, 2])"
    assert cls.has_state() and probe.state(None) is None
    endless = Outcome.of_value(itertools.count())  # read up to a cap, the cut part of the key
    assert endless.key == ("ok", ("seq", tuple(range(ITEMS_CAP)), True))


def test_state_items():
    from collections import deque

    d = deque([1, 2])
    assert state_of(d, ("len", "iter", "repr")) == (2, [1, 2], "deque([1, 2])")


def test_policy_words():
    assert policy.words("read_file") == ["read", "file"]
    assert policy.words("getURL") == ["get", "url"]
    assert policy.denied_name("read_file") == "read"
    assert policy.denied_name("loads") is None and policy.denied_name("load") == "load"
    assert policy.denied_name("sleep_for") == "sleep"
    assert policy.denied_name("register") is None
    assert policy.denied_module("os.path") and policy.denied_module("_thread") and not policy.denied_module("json")
    assert policy.mutating_name("popitem") and not policy.mutating_name("snapshot")


def test_kind_candidates_follow_annotation_default_then_name():
    def f(a: int, b: "str | None", c=2.5, name=None, data=None, zzz=None):  # noqa: UP037 - a string on purpose
        pass

    params = inspect.signature(f).parameters
    assert kinds.candidates(params["a"])[0] == "int"
    assert kinds.candidates(params["b"])[:2] == ("str", "none")
    assert kinds.candidates(params["c"])[0] == "float"
    assert kinds.candidates(params["name"])[0] == "str"
    assert kinds.candidates(params["data"])[0] == "bytes"
    assert kinds.candidates(params["zzz"]) == kinds.FALLBACK_ORDER
    for kind in kinds.KINDS.values():
        for example in kind.examples:
            hash(example)  # scenarios are hashed: every drawn value must be hashable
