"""The import check, in-lane half: import every module of a distribution, each judged on its own.

Children (``child.py``, run as ``sys.executable -X faulthandler``) import modules and report, per
module, ``sys._is_gil_enabled()`` before and after, the warnings issued (the GIL RuntimeWarning is
one), the import time, the chain of imports that loaded every module, and for a failure every module
the exception chain says was not found. Each module gets one outcome:

- ``ok``;
- ``import-error``: the import raised (type, message, traceback), or ended the process with an exit
  status and no result;
- ``optional-dependency``: a submodule failed because it needs a module its distribution does not
  provide: one that is not installed (an optional dependency, ``missing_kind: "not-installed"``), or
  one under the distribution's own package that it does not ship on this lane (another platform's
  module, a part this wheel leaves out: ``"not-in-distribution"``), or any import error naming a
  requirement that only one of the distribution's extras asks for (``"extra"``: black's ``blackd``
  without ``black[d]``'s aiohttp). Information, never a gate: the host escalates one the GIL baseline
  imports;
- ``crash``: killed by a signal (name, faulthandler's ``Fatal Python error`` text);
- ``hang``: did not finish within ``module_timeout_s`` (faulthandler's dump of every thread's stack,
  taken inside the child just before it exits; the process group is killed after a grace if not);
- ``gil-reenabled``: on a free-threaded build with the GIL not forced, the import turned the GIL on.

Batches make it fast without mixing up the facts. One child takes a batch of modules and imports
each in a *fork* of itself, then imports it itself too when the fork's import was clean (no error,
GIL unchanged): the heavy parents (pandas: 2-3 s) are imported once per batch, and every module is
judged in a process that holds only the clean imports before it. So a failed import leaves nothing
behind for the next (SQLAlchemy caches a failed first import of its asyncio extension; a second
attempt in the same interpreter succeeds), the import that turns the GIL on is the one whose
before/after differ, and a crash or hang kills only its fork: the child records it and goes on. A
module that died after the batch had kept others is imported again alone for its own outcome; if
alone it imports fine, the death is recorded as happening only after those modules, bisected to the
one it needs. Without ``os.fork`` every module gets a child of its own; ``batch_size: 1`` asks for
that anywhere. The RuntimeWarning names only the first offender of a process, so a second child with
``-v`` imports each module that turned the GIL on alone: it prints ``# loading module '<name>', which
requires the GIL`` for *every* offender, and its import chains say which import pulled each one in.

Options (``job["options"]``)::

    distributions: [str]        # installed distributions whose modules are discovered from metadata
    modules: [str]              # explicit module names (checked as given, no discovery)
    exclude_tests: bool = true  # skip tests/test/testing (sub)packages and conftest
    exclude_vendored: bool = true   # skip _vendor/_vendored/vendored/extern/_extern
    module_budget: int = 2000   # at most this many modules per distribution; the cut is recorded
    module_timeout_s: float = 60    # per module
    batch_size: int = 200       # modules per child; 1: every module in a child of its own
    isolate_extensions: bool = false    # true: every extension module in a process of its own
    gil: null | "0"             # "0": children run with PYTHON_GIL=0 (free-threaded lanes only)

With neither ``distributions`` nor ``modules``, the job's subject name is taken as a distribution.
See ``check.run()`` for the result's ``data`` and ``signals.build_signals()`` for the signals' evidence.

Modules, in the order data flows through them:

- ``discovery``: the modules of a distribution, from its metadata, without importing any; exclusions
  and the budget;
- ``elf``: whether a shared object is a module at all (it defines ``PyInit_<name>``) or a plain
  library its package loads with ctypes or cffi, which is counted and named, never imported;
- ``launch``: one child started, its events read back and split per module, its output read;
- ``child``: the importer itself, run from its source in a fresh interpreter of the lane;
- ``checker``: the children of one job (batches, a module alone, bisection, the ``-v`` pass);
- ``parsing``: CPython's own words (the GIL warning, ``-v`` lines, faulthandler's reports);
- ``outcome``: one module's row from its child's facts, by small rules;
- ``failures``: a failure judged against what the distribution provides;
- ``signals``: the signals and their evidence;
- ``limits``: how much evidence a result keeps;
- ``check``: ``run(job)``, the ``imports`` command.
"""
