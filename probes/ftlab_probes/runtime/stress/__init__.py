"""The stress engine, in-lane half: scenarios drawn by hypothesis, raced in worker processes, judged
against the subject replayed sequentially, minimised, and written out as standalone repro scripts.

Modules, in the order data flows through them:

- ``target``: load a probe (``module.path:ClassName``), call its operations, compare outcomes;
- ``scenario``: the Scenario record (init / per-thread / post ops), its table and its literal form;
- ``draw``: hypothesis strategies for scenarios (main thread only, before any worker starts);
- ``execute``: one invocation of a scenario on a crew of persistent threads, timestamped;
- ``linearizability``: Wing-Gong search with Lowe's cache and a budget (``unknown`` when it runs out);
- ``oracle``: the layers that turn one invocation into a verdict;
- ``worker``: the subprocess that runs batches of scenarios under a hang watchdog;
- ``launch``: the coordinator's side of a worker: crash, hang, failure or nothing;
- ``minimize``: greedy chunk-dropping minimiser (parallel part first, then init, then post);
- ``repro``: the standalone repro script;
- ``finding``: one finding's phases, each on its own budget: minimise, confirm, control, repro;
- ``job``: ``run(job)``, the ``stress`` command;
- ``replay``: ``run(job)``, the ``stress-replay`` command (a finding's minimal scenario replayed on
  another lane, for the lab's replay before "new").
"""
