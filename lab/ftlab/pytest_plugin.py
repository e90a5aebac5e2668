"""ftlab's pytest plugin (entry point ``pytest11``): concurrent scenarios through the stress engine.

A maintainer writes, in their own test modules, either a probe class::

    from ftlab_probes.api import Probe, op

    class TestCounter(Probe):            # collected like a test class: its name matches python_classes
        def make(self):
            return mypkg.Counter()

        @op(st.integers(1, 3))
        def add(self, counter, n):
            return counter.add(n)

or plain functions under the ``scenario`` decorator::

    from ftlab.pytest_plugin import scenario

    def add(counter, n):
        return counter.add(n)

    def get(counter):
        return counter.get()

    @scenario(ops={add: st.integers(1, 3), get: ()}, state=get)
    def test_counter():
        return mypkg.Counter()           # the shared object: a fresh one per invocation

Each becomes one test item that runs ``python -m ftlab_probes.runtime stress`` in a sandboxed child of
this interpreter: scenarios drawn by hypothesis (init ops, one op list per thread, post ops), raced
behind a barrier many times, every run checked against the object replayed sequentially
(linearizability), a failure minimised, its rate measured and a repro script written. A failure is an
ordinary pytest failure whose message shows the minimal scenario's table, the rate and the repro
path. The engine's workers are processes of their own, and the child has a timeout: a segfault or a
hang in the subject fails its test, never the pytest process (xdist workers included).

Options: ``--ftlab-budget SECONDS`` (search time per test), ``--ftlab-threads N``, ``--ftlab-seed N``,
or per test ``@pytest.mark.ftlab(budget=..., threads=..., seed=...)``. A shared object documented as
not thread-safe is marked ``@pytest.mark.ftlab_thread_unsafe(reason)``: the failure found is reported
as an expected failure (with its scenario), and a run that finds none passes as XPASS.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from ftlab_probes.api import Probe, op
from ftlab_probes.runtime.fingerprint import sanitizer

#: Seconds of scenario search per test unless --ftlab-budget or the ftlab marker says otherwise: enough
#: for the calibration fixtures' races on 2 busy cores; a maintainer's CI can give more.
DEFAULT_BUDGET_S = 5.0
#: Minimising a failure and measuring its rate: about the search budget, within bounds.
MINIMIZE_S = (2.0, 20.0)
#: A finding's confirmation (its minimal scenario replayed on a budget of its own, the engine's rate_s)
#: and its sequential control, on top of minimisation.
CONFIRM_S = 5.0 + 2.0
#: The child's fixed costs beyond budget, minimisation and confirmation (interpreter and hypothesis
#: start, workers, the repro, hang detection); past their sum, the sandbox kills it.
CHILD_OVERHEAD_S = 45.0
#: Marker options passed to the engine as they are (its job options of the same names).
MARKER_OPTIONS = {"budget": "budget_s", "threads": "threads", "seed": "seed", "ops_per_thread": "ops_per_thread",
                  "hang": "hang_s"}
#: Attribute of a probe class made by ``scenario``: collected whatever its name.
_SCENARIO_MARK = "__ftlab_scenario__"


# -- the scenario decorator ------------------------------------------------------------------------


def scenario(ops: dict, *, state=None, invariant=None, raises=()):
    """Turn a function returning a fresh shared object into a stress test of plain-function ops.

    ``ops`` maps each op, a plain function ``(obj, *args)``, to the hypothesis strategy of its argument
    (or a tuple of strategies, ``()`` for none). ``state(obj)`` and ``invariant(obj)`` are plain
    functions too (see ftlab_probes.api.Probe); ``raises`` lists exceptions that are legitimate results.
    The result is a Probe subclass named like the function, so the engine's children import it by name.
    """

    def wrap(make):
        name = make.__name__
        namespace: dict[str, Any] = {
            "__module__": make.__module__, "__qualname__": name, "__doc__": make.__doc__,
            _SCENARIO_MARK: True, "subject": make.__module__, "raises": tuple(raises),
            "make": lambda self: make(),
        }
        for fn, strategies in ops.items():
            op_name = getattr(fn, "__name__", "")
            if not op_name.isidentifier() or hasattr(Probe, op_name) or op_name in namespace:
                raise TypeError(f"@scenario op {fn!r}: name it with a plain function whose name is not "
                                f"{op_name!r} (taken)")
            strategies = tuple(strategies) if isinstance(strategies, (tuple, list)) else (strategies,)

            def call(self, obj, *args, _fn=fn):
                return _fn(obj, *args)

            call.__name__ = op_name
            namespace[op_name] = op(*strategies)(call)
        if state is not None:
            namespace["state"] = lambda self, obj: state(obj)
        if invariant is not None:
            namespace["invariant"] = lambda self, obj: invariant(obj)
        return type(name, (Probe,), namespace)

    return wrap


# -- pytest hooks ----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ftlab", "ftlab: concurrent scenarios through the stress engine")
    group.addoption("--ftlab-budget", type=float, default=None, metavar="SECONDS",
                    help=f"scenario search per stress test (default: {DEFAULT_BUDGET_S:g})")
    group.addoption("--ftlab-threads", type=int, default=None, metavar="N",
                    help="threads in a scenario, at most (default: the engine's, 3)")
    group.addoption("--ftlab-seed", type=int, default=None, metavar="N",
                    help="seed of the scenario draw (default: random; the failure message names it)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ftlab(budget=None, threads=None, seed=None, ops_per_thread=None, hang=None): "
                                       "settings of one ftlab stress test")
    config.addinivalue_line("markers", "ftlab_thread_unsafe(reason): the shared object is documented not to be "
                                       "thread-safe; a failure found is an expected failure")


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    if not (isinstance(obj, type) and issubclass(obj, Probe) and obj is not Probe):
        return None
    module = getattr(collector, "obj", None)
    if not isinstance(collector, pytest.Module) or obj.__module__ != getattr(module, "__name__", None):
        return None  # imported from elsewhere: a base to subclass, not a test here
    if getattr(obj, "__test__", True) is False:
        return None
    if not getattr(obj, _SCENARIO_MARK, False) and not collector.classnamefilter(name):
        return None
    if not obj.operations():
        return None
    return StressItem.from_parent(collector, name=name, probe_cls=obj)


class StressFailure(Exception):
    """The engine could not test the probe; the message says why."""


class StressFinding(StressFailure):
    """The engine found a failure; the message is its report."""


class StressItem(pytest.Item):
    def __init__(self, *, probe_cls: type, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe_cls = probe_cls
        self.own_markers.extend(getattr(probe_cls, "pytestmark", []))
        unsafe = self.get_closest_marker("ftlab_thread_unsafe")
        if unsafe is not None:
            # A finding is the expected failure; an engine that could not test it still fails.
            reason = unsafe.kwargs.get("reason") or (unsafe.args[0] if unsafe.args else "documented not thread-safe")
            self.add_marker(pytest.mark.xfail(reason=reason, raises=StressFinding, strict=False))

    def reportinfo(self):
        return self.path, None, f"{self.name} (ftlab stress)"

    def options(self) -> dict[str, Any]:
        config = self.config
        options: dict[str, Any] = {"budget_s": config.getoption("ftlab_budget") or DEFAULT_BUDGET_S}
        if config.getoption("ftlab_threads"):
            options["threads"] = config.getoption("ftlab_threads")
        if config.getoption("ftlab_seed") is not None:
            options["seed"] = config.getoption("ftlab_seed")
        marker = self.get_closest_marker("ftlab")
        for key, value in (marker.kwargs if marker else {}).items():
            if key not in MARKER_OPTIONS:
                raise pytest.UsageError(f"@pytest.mark.ftlab({key}=...) on {self.nodeid}: unknown; "
                                        f"known: {', '.join(MARKER_OPTIONS)}")
            options[MARKER_OPTIONS[key]] = value
        if "threads" in options and int(options["threads"]) < 2:
            raise pytest.UsageError(f"{self.nodeid}: threads must be at least 2 (a race needs two)")
        options["minimize_s"] = max(MINIMIZE_S[0], min(MINIMIZE_S[1], float(options["budget_s"])))
        return options

    def runtest(self) -> None:
        options = self.options()
        module = self.parent.obj
        options["probe"] = f"{module.__name__}:{self.name}"
        workdir = _workdir(self.config, self.nodeid)
        result = run_engine(options, workdir, import_paths=_import_paths(module))
        message = failure_message(result, options)
        self.user_properties.append(("ftlab", _summary(result)))
        if message is None:
            return
        raise (StressFinding if result.get("status") == "findings" else StressFailure)(message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, StressFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


# -- running the engine ----------------------------------------------------------------------------


def _workdir(config: pytest.Config, nodeid: str) -> Path:
    """Where one test's child works and keeps its repro scripts: pytest's cache folder, one per test."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid)[-120:].strip("_")
    base = config.cache.mkdir("ftlab") if config.cache is not None else Path.cwd() / ".ftlab" / "pytest"
    path = Path(base) / slug
    if path.exists():
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _import_paths(module) -> list[str]:
    """What the child needs on sys.path to import the test module by name: the folder its dotted name
    starts from, and the folders pytest added (rootdir, conftest folders), as pytest saw them."""
    parts = module.__name__.split(".")
    base = Path(module.__file__).resolve().parents[len(parts) - 1]
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    extra = [p for p in sys.path if p and os.path.isdir(p)
             and not any(os.path.realpath(p).startswith(x) for x in prefixes)]
    return list(dict.fromkeys([str(base), *extra]))


def run_engine(options: dict[str, Any], workdir: Path, *, import_paths: list[str],
               python: str | None = None) -> dict[str, Any]:
    """One stress job in a sandboxed child of ``python`` (this interpreter); its result document, or a
    document with status ``died`` saying how the child ended without one."""
    from ftlab.sandbox import process as sandbox

    timeout_s = float(options["budget_s"]) + float(options["minimize_s"]) + CONFIRM_S + CHILD_OVERHEAD_S
    job = {"format": "ftlab-job/1", "job_id": workdir.name, "command": "stress", "subject": None, "lane": {},
           "options": options, "timeout_s": timeout_s, "artifacts_dir": str(workdir / "artifacts")}
    job_path, out_path = workdir / "job.json", workdir / "result.json"
    job_path.write_text(json.dumps(job, indent=1))
    argv = [python or sys.executable, "-X", "faulthandler", "-m", "ftlab_probes.runtime", "stress",
            "--job", str(job_path), "--out", str(out_path)]
    env = {"PYTHONPATH": os.pathsep.join([sandbox.runtime_path(), *import_paths])}
    limits = sandbox.Limits()
    if python is None and sanitizer() == "thread":
        # ThreadSanitizer reserves terabytes of address space for its shadow memory: under the cap
        # the child dies at start (as ftlab run's children on such a lane would).
        limits = sandbox.Limits(address_space_mb=None)
    outcome = sandbox.run_child(argv, workdir=workdir, timeout_s=timeout_s, result_path=out_path, env_extra=env,
                                limits=limits)
    if outcome.result is not None:
        return outcome.result
    how = (f"was killed after {timeout_s:.0f} s" if outcome.timed_out else
           f"died of {sandbox.signal_name(outcome.returncode)}" if outcome.crashed else
           f"exited with status {outcome.returncode}")
    return {"status": "died", "data": {"error": f"the stress engine's child {how} without a result",
                                       "stderr": outcome.stderr_tail(3000)}, "signals": []}


def _summary(result: dict[str, Any]) -> str:
    data = result.get("data") or {}
    return (f"{result.get('status')}: {data.get('scenarios_run', 0)} scenarios, {data.get('invocations', 0)} "
            f"invocations, seed {data.get('seed')}")


def failure_message(result: dict[str, Any], options: dict[str, Any]) -> str | None:
    """The failure report of a result document, or None when the engine found nothing, or only wrong
    results its own replay did not reproduce (``confirmed: false``: not evidence of a race, and
    ``ftlab run`` lists them as unconfirmed, never gating)."""
    status = result.get("status")
    data = result.get("data") or {}
    if status == "ok":
        return None
    if status == "findings" and data.get("findings") and not data.get("data_races") \
            and all(f.get("confirmed") is False for f in data["findings"]):
        return None
    if status != "findings":
        trace = (data.get("traceback") or "").strip()
        error = data.get("error") or (trace.splitlines()[-1] if trace else "") or "see the child's output"
        tail = "".join(f"\n{data[k]}" for k in ("traceback", "stderr") if data.get(k))
        return f"ftlab stress could not test {options['probe']}: {error}{tail}"
    lines = []
    for finding in data.get("findings") or []:
        failures, runs = finding.get("rate") or (0, 0)
        lines += [f"{finding['kind']}: {finding['summary']}", "",
                  "minimal scenario (one column per thread; init runs before, post after):",
                  finding.get("table_text") or finding.get("scenario_text", ""), "",
                  f"observed rate: {failures} of {runs} runs"
                  + (f" ({100.0 * failures / runs:.1f}%)" if runs else ""),
                  f"detail: {finding.get('detail', '')}",
                  f"repro: {finding.get('repro')} (run it with {sys.executable})"]
        if finding.get("signal"):
            lines.append(f"signal: {finding['signal']}")
        if finding.get("trace") and finding["kind"] in ("crash", "hang"):
            lines += ["", "trace (tail):", *finding["trace"].splitlines()[-25:]]
    lines += ["", f"search: {data.get('scenarios_run', 0)} scenarios, {data.get('invocations', 0)} invocations, "
                  f"seed {data.get('seed')} (--ftlab-seed {data.get('seed')} draws the same scenarios)"]
    return "\n".join(lines)
