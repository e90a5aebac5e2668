"""A scenario in Lincheck's shape: init ops, one op list per thread, post ops."""

import ast
import base64
import pickle
from dataclasses import dataclass

INIT, PARALLEL, POST = "init", "parallel", "post"


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple

    def text(self, brief=False):
        """``name(args)``; ``brief`` shortens a long argument for one-line summaries and tables (the
        scenario's data and its repro script keep every argument whole)."""
        show = brief_repr if brief else repr
        return "%s(%s)" % (self.name, ", ".join(show(a) for a in self.args))


#: An argument's repr longer than this is shortened in summaries and tables.
BRIEF_CHARS = 40


def brief_repr(value):
    """``b'xxxxxxxxxxxx'... (4096 bytes)`` for a long argument; a short one as ``repr`` gives it."""
    text = repr(value)
    if len(text) <= BRIEF_CHARS:
        return text
    if isinstance(value, (str, bytes, bytearray, list, tuple, dict, set, frozenset)):
        unit = {str: "chars", bytes: "bytes", bytearray: "bytes"}.get(type(value), "items")
        return "%s... (%d %s)" % (text[:BRIEF_CHARS // 2], len(value), unit)
    return text[:BRIEF_CHARS] + "..."


@dataclass(frozen=True)
class Slot:
    """Where a call sits: its part, its thread (0 outside the parallel part) and its index there."""

    part: str
    thread: int
    index: int
    call: Call


@dataclass(frozen=True)
class Scenario:
    init: tuple
    threads: tuple  # one tuple of Calls per thread
    post: tuple

    def slots(self):
        """Every call in history order: init, each thread's list, post. Results are kept in this order."""
        out = [Slot(INIT, 0, i, c) for i, c in enumerate(self.init)]
        for t, calls in enumerate(self.threads):
            out += [Slot(PARALLEL, t, i, c) for i, c in enumerate(calls)]
        out += [Slot(POST, 0, i, c) for i, c in enumerate(self.post)]
        return out

    def size(self):
        return len(self.init) + sum(len(t) for t in self.threads) + len(self.post)

    def concurrent(self):
        """Two threads with ops at least: the least a race needs. Without it a failure is not a race."""
        return sum(1 for t in self.threads if t) >= 2

    def serialized(self):
        """The same ops one after another on the calling thread: init, each thread's ops in turn, post."""
        return Scenario(self.init + tuple(c for t in self.threads for c in t), (), self.post)

    def op_names(self):
        return sorted({s.call.name for s in self.slots()})

    def shrink_order(self):
        """Slots in the order the minimiser tries to drop them: parallel part first, then init, then post."""
        slots = self.slots()
        return [s for s in slots if s.part == PARALLEL] + [s for s in slots if s.part != PARALLEL]

    def without(self, dropped):
        """A copy without the given slots; threads left empty disappear."""
        gone = {(s.part, s.thread, s.index) for s in dropped}

        def keep(part, thread, calls):
            return tuple(c for i, c in enumerate(calls) if (part, thread, i) not in gone)

        threads = tuple(keep(PARALLEL, t, calls) for t, calls in enumerate(self.threads))
        return Scenario(keep(INIT, 0, self.init), tuple(t for t in threads if t), keep(POST, 0, self.post))

    def describe(self, brief=False):
        """One line: ``init [a(1)] | t0 [b()] t1 [c()] | post [d()]`` (``brief``: long arguments shortened,
        for people; the whole text identifies a scenario)."""

        def calls(cs):
            return "[" + ", ".join(c.text(brief) for c in cs) + "]"

        threads = " ".join("t%d %s" % (t, calls(cs)) for t, cs in enumerate(self.threads))
        return "init %s | %s | post %s" % (calls(self.init), threads, calls(self.post))

    def to_data(self):
        """A JSON-able description (arguments as reprs) for result data."""

        def calls(cs):
            return [c.text() for c in cs]

        return {
            "init": calls(self.init),
            "threads": [calls(t) for t in self.threads],
            "post": calls(self.post),
        }

    def to_portable(self):
        """A JSON-able form another interpreter's runtime rebuilds with ``from_portable``: the literal
        text when every argument round-trips, else a pickle (base64)."""
        text = self._literal_text()
        if text is not None:
            return {"literal": text}
        return {"pickle": base64.b64encode(pickle.dumps(self, protocol=4)).decode("ascii")}

    @staticmethod
    def from_portable(data):
        """The scenario ``to_portable`` described."""
        if "literal" in data:
            return scenario_from_literal(ast.literal_eval(data["literal"]))
        return pickle.loads(base64.b64decode(data["pickle"]))

    def _literal_text(self):
        literal = (
            [(c.name, c.args) for c in self.init],
            [[(c.name, c.args) for c in t] for t in self.threads],
            [(c.name, c.args) for c in self.post],
        )
        text = repr(literal)
        try:
            if ast.literal_eval(text) == literal:
                return text
        except (ValueError, SyntaxError):
            pass
        return None

    def to_source(self):
        """Python source that rebuilds this scenario: a literal when every argument round-trips, else a pickle."""
        text = self._literal_text()
        if text is not None:
            return "scenario_from_literal(%s)" % text
        blob = base64.b64encode(pickle.dumps(self, protocol=4)).decode("ascii")
        return "pickle.loads(base64.b64decode(%r))" % blob


def same_op_first(scenario):
    """Sort key of a two-op scenario: the same op in both threads first; among those, args that share
    a value without being equal (put('k', 1) | put('k', 2), put(1, 'v') | put(2, 'v'): two writers
    racing for one key or value of a two-way map, a unique index or a cache slot), then equal args
    (add(1) | add(1): a read-modify-write against itself), then disjoint ones; different ops last.
    Measured on bimap (3.14t): its race was the 21st two-op scenario drawn, 2.9 s in."""
    calls = [c for thread in scenario.threads for c in thread]
    names = {c.name for c in calls}
    per_call = [{repr(v) for v in flat_args(c.args)} for c in calls]
    values = set().union(*per_call) if per_call else set()
    shared = any(v in a and v in b for v in values for i, a in enumerate(per_call) for b in per_call[i + 1:])
    equal = len({repr(c.args) for c in calls}) == 1
    return (len(names), 1 if equal else (0 if shared else 2), len(values))


def pairs_in_turn(scenarios):
    """``scenarios`` reordered so that every combination of op names gets its turn before any gets a
    second one: the best of each combination (``same_op_first``) first, in ``same_op_first`` order,
    then the second best of each, and so on.

    Sorting alone put every same-op pair ahead of the first pair of two different ops: with an op
    whose integer argument takes ten values, a lock-order inversion (move_right | move_left) waited
    behind dozens of move_right | move_right pairs, about 2 s of a search on 3.14t.
    """
    groups = {}
    for scenario in sorted(scenarios, key=same_op_first):
        names = tuple(sorted(c.name for thread in scenario.threads for c in thread))
        groups.setdefault(names, []).append(scenario)
    ordered = []
    for turn in range(max((len(g) for g in groups.values()), default=0)):
        ordered += [group[turn] for group in groups.values() if turn < len(group)]
    return ordered


def flat_args(args):
    for value in args:
        if isinstance(value, (tuple, list)):
            yield from flat_args(value)
        else:
            yield value


def pairs(scenario):
    """Two-op scenarios of ``scenario``: one op of one thread against one op of another, no init or
    post part, in ``pairs_in_turn`` order, each once."""
    out = {}
    threads = scenario.threads
    for i, first in enumerate(threads):
        for second in threads[i + 1:]:
            for a in first:
                for b in second:
                    pair = Scenario((), ((a,), (b,)), ())
                    out.setdefault(pair.describe(), pair)
    return pairs_in_turn(out.values())


def scenario_from_literal(literal):
    init, threads, post = literal

    def calls(items):
        return tuple(Call(name, tuple(args)) for name, args in items)

    return Scenario(calls(init), tuple(calls(t) for t in threads), calls(post))


def table(scenario, outcomes=None, failing=()):
    """Per-thread table rows (Lincheck's report): ``[[part, cell_t0, cell_t1, ...], ...]``.

    ``outcomes`` (history order) adds each call's result; positions in ``failing`` are marked ``<-``.
    """
    width = max(1, len(scenario.threads))
    cells = []
    for position, slot in enumerate(scenario.slots()):
        cell = slot.call.text(brief=True)
        if outcomes is not None:
            cell += ": " + repr(outcomes[position])
        if position in failing:
            cell += "  <-"
        cells.append((slot, cell))
    rows = [[INIT, cell] + [""] * (width - 1) for slot, cell in cells if slot.part == INIT]
    depth = max((len(t) for t in scenario.threads), default=0)
    parallel = [[PARALLEL] + [""] * width for _ in range(depth)]
    for slot, cell in cells:
        if slot.part == PARALLEL:
            parallel[slot.index][1 + slot.thread] = cell
    rows += parallel
    rows += [[POST, cell] + [""] * (width - 1) for slot, cell in cells if slot.part == POST]
    return rows


def render_table(rows, threads):
    """The table as aligned text."""
    header = ["part"] + ["thread %d" % t for t in range(max(1, threads))]
    grid = [header, *rows]
    widths = [max(len(r[i]) for r in grid) for i in range(len(header))]
    return "\n".join(
        " | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in grid
    )
