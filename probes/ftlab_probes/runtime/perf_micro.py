"""The interpreter micro-lane: three of pyperformance's benchmarks as perf workloads (``--micro``).

``richards`` (object-oriented Python: calls, attributes), ``regex_v8`` (the ``re`` engine) and
``json_dumps`` (a C accelerator) are the playbook's quick lane: run on every lane beside a package's
probes, they tell an interpreter regression (these slow down too) from a package one (only the
package's workloads do). Each is a ``module:function`` workload (``ftlab_probes.runtime.perf_workload``):
the function builds what one object needs and returns the operation. The benchmark files come from
the installed ``pyperformance`` distribution (a subject of the run), loaded by path without running
their pyperf runner; nothing of them is copied here.

Richards keeps its task list in module globals: each object loads its own copy of the module, and it
runs in the independent shape only (two threads in one copy hang).
"""

import importlib.util
import os

#: The benchmarks, as pyperformance names them, and this module's function for each.
BENCHMARKS = ("richards", "regex_v8", "json_dumps")


def _load(name):
    """pyperformance's ``bm_<name>/run_benchmark.py`` as a module (its ``__main__`` block does not run)."""
    spec = importlib.util.find_spec("pyperformance")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the micro-lane needs pyperformance in the lane: add it as a subject "
                          "(ftlab run pyperformance ... --micro)")
    root = next(iter(spec.submodule_search_locations))
    path = os.path.join(root, "data-files", "benchmarks", "bm_" + name, "run_benchmark.py")
    module_spec = importlib.util.spec_from_file_location("ftlab_micro_bm_" + name, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def richards():
    bm = _load("richards")  # a fresh copy of the module: its own globals
    return lambda: bm.Richards().run(1)


# Two threads in one copy of its globals corrupt its task list (measured: a call that never returns).
richards.ftlab_shapes = ("independent",)


def regex_v8():
    bm = _load("regex_v8")
    return lambda: bm.bench_regex_v8(1)


def json_dumps():
    bm = _load("json_dumps")
    data = [(obj, range(count)) for obj, count in (getattr(bm, case) for case in bm.CASES)]
    return lambda: bm.bench_json_dumps(data)
