"""Screening in-process on small modules written by the test: what is kept, what is dropped and why."""

from __future__ import annotations

import sys
import textwrap

import pytest

from ftlab_probes.auto import screen

SOURCE = '''
"""A module with one of everything screening must decide about."""
import itertools
import os
import time

__all__ = ["add", "slow", "always_fails", "stamp", "remove_all", "Racy", "NeedsArgs", "Thing", "path_join",
           "halves", "io_counters"]

path_join = os.path.join          # a re-export: not the package's own

def add(a: int, b: int) -> int:
    return a + b

def slow(n: int):
    time.sleep(0.2)
    return n

def always_fails(x):
    raise ValueError(x)

_counter = itertools.count()

def stamp(x: int):
    return (x, next(_counter))    # a different result for the same input

def remove_all(x):
    return x

def io_counters():
    return time.monotonic_ns() // 200_000_000  # like psutil's readers: the same twice in a row, not later

def halves(n: int):
    yield n // 2                  # a generator: it raises only when read (screening reads it)
    raise ValueError(n)

class Racy:
    def __init__(self):
        self.items = {}

    def put(self, key: str, value: int):
        self.items[key] = value

    def get(self, key: str):
        return self.items.get(key)

    def snapshot(self):
        return dict(self.items)

    def __len__(self):
        return len(self.items)

    def ident(self):
        return next(_counter)

    def keys(self):
        return self.items.keys()  # a live view: compared by what it held when the call returned

class NeedsArgs:
    def __init__(self, x):
        self.x = x

class Thing:
    def ping(self):
        return "pong"
'''


@pytest.fixture
def sample_module(tmp_path, monkeypatch):
    (tmp_path / "ftlab_screen_sample.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "ftlab_screen_sample"
    sys.modules.pop("ftlab_screen_sample", None)


def test_screening_keeps_and_drops_with_reasons(sample_module):
    decisions = {}

    def report(target, kinds, reason):
        if kinds != "start":
            decisions[target] = (kinds, reason)

    specs = screen.screen_module(sample_module, report)
    assert "fn:ftlab_screen_sample:add(int,int)" in specs
    racy = next(s for s in specs if s.startswith("cls:ftlab_screen_sample:Racy:"))
    assert "put(str,int)" in racy and "get(str)" in racy and "snapshot()" in racy
    assert "ident()" not in racy  # differs between identical replays
    # State: len, the zero-argument getters, then the one-argument accessor at screening inputs.
    assert "keys()" in racy and racy.endswith("|len,keys(),snapshot(),get('a'),get('1'),get('')")
    assert any(s.startswith("cls:ftlab_screen_sample:Thing:ping()") for s in specs)
    assert decisions["slow"][1].startswith("slow")
    assert decisions["always_fails"][1].startswith("raises on every input")
    assert decisions["halves"][1].startswith("raises on every input")  # reading its result raises
    assert decisions["stamp"][1].startswith("not deterministic")
    assert decisions["io_counters"][1].startswith("not deterministic")
    assert not any("io_counters" in s for s in specs)
    assert decisions["remove_all"][1] == "policy: name has 'remove'"
    assert decisions["NeedsArgs"][1] == "no method survived screening"  # built as NeedsArgs(x=...), nothing to race
    assert decisions["Racy.ident"][1].startswith("not deterministic")
    assert "path_join" not in decisions  # re-exports are never considered
    assert not any("NeedsArgs" in s for s in specs)


CTOR_SOURCE = '''
class Cache:
    def __init__(self, maxsize, *, label="c"):
        if maxsize < 1:
            raise ValueError(maxsize)
        self.maxsize = maxsize
        self.data = {}
        self.hits = 0

    def put(self, key: str, value: int):
        if len(self.data) >= self.maxsize:
            self.data.pop(next(iter(self.data)))
        self.data[key] = value

    def get(self, key: str):
        if key in self.data:
            self.hits += 1
        return self.data.get(key)

    @property
    def size(self):
        return len(self.data)

class Accounts:
    def __init__(self):
        self._balances = [10, 10, 10]

    def move(self, src, dst, amount):
        self._balances[src] -= amount
        self._balances[dst] += amount

    def balance(self, i):
        return self._balances[i]

class Picky:
    def __init__(self, mode):
        if mode != "exact":
            raise ValueError(mode)

    def ping(self):
        return 1
'''


def screened(tmp_path, monkeypatch, name, source):
    """(specs, {target: (kinds, reason)}) of screening ``source`` written as module ``name``."""
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    decisions = {}
    try:
        specs = screen.screen_module(name, lambda t, k, r: decisions.__setitem__(t, (k, r)))
    finally:
        sys.modules.pop(name, None)
    return specs, decisions


def test_classes_are_built_from_their_signatures_and_read_through_accessors(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_screen_ctor", CTOR_SOURCE)
    cache = next(s for s in specs if s.startswith("cls:ftlab_screen_ctor:Cache"))
    # A size name gets a small positive int; the construction is part of the spec.
    assert cache.startswith("cls:ftlab_screen_ctor:Cache(maxsize=2):get(str);put(str,int)|")
    state = cache.split("|")[1].split(",")
    # What writers change comes first (the property, hits); the constant maxsize is left out.
    assert ".size" in state and ".hits" in state and ".maxsize" not in state
    assert not any(item.startswith("get(") for item in state)  # get() counts hits: not read-only
    accounts = next(s for s in specs if s.startswith("cls:ftlab_screen_ctor:Accounts:"))
    assert "balance(0)" in accounts and "balance(1)" in accounts and "move(int,int,int)" in accounts
    assert decisions["Picky"][1].startswith("not constructible as Picky(mode=")


def test_denied_modules_are_never_screened():
    seen = []
    assert screen.screen_module("os.path", lambda *a: seen.append(a)) == []
    assert seen == [("os.path", None, "policy: module denied")]


def test_a_name_listed_twice_in_all_is_screened_once(tmp_path, monkeypatch):
    # pyzmq's __all__ joins its submodules' lists and names Context twice.
    specs, _ = screened(tmp_path, monkeypatch, "ftlab_screen_twice",
                        CTOR_SOURCE + "\n__all__ = ['Cache', 'Accounts', 'Cache']\n")
    assert len(specs) == len(set(specs)) and sum(s.startswith("cls:ftlab_screen_twice:Cache(") for s in specs) == 1


SETTINGS_SOURCE = '''
"""Like matplotlib's interactive() / is_interactive(): a module-level setting one function sets and
another reads, beside functions that carry nothing over."""
_settings = {"interactive": False}

def interactive(b: int):
    _settings["interactive"] = bool(b)

def is_interactive():
    return _settings["interactive"]

def double(n: int):
    return 2 * n
'''


def test_a_function_whose_results_depend_on_module_state_another_sets_is_dropped(tmp_path, monkeypatch):
    specs, decisions = screened(tmp_path, monkeypatch, "ftlab_screen_settings", SETTINGS_SOURCE)
    (fn,) = [s for s in specs if s.startswith("fn:")]
    assert "double(int)" in fn and "interactive(int)" in fn and "is_interactive" not in fn
    assert decisions["is_interactive"][1].startswith("its results depend on which of the module's functions ran")
