"""The children of one job: batches, a module alone when its batch died after keeping others,
bisection of a crash to the earlier import it needs, and the ``-v`` child that names every offender."""

import os
import re
import shutil
import time

from ftlab_probes.runtime.imports.launch import (
    KILL_GRACE_S,
    MIN_MODULE_TIMEOUT_S,
    read_output,
    run_child,
    split_child,
)
from ftlab_probes.runtime.imports.limits import ARTIFACT_MAX_BYTES, LIST_CAP
from ftlab_probes.runtime.imports.outcome import classify, merge_verbose

#: A crash that needs earlier imports is bisected to the one it needs in about log2(n) + 1 children;
#: beyond this many the earlier modules are named, not bisected.
BISECT_MAX_CHILDREN = 8


def _safe_tag(index, module, suffix=""):
    return "%04d-%s%s" % (index, re.sub(r"[^A-Za-z0-9_.]", "_", module)[:80], suffix)


def _keep_artifact(log_path, artifacts_dir, tag):
    """Move a failed import's output into the job's artifacts (cut to its end when huge)."""
    if not artifacts_dir:
        return None
    target_dir = os.path.join(artifacts_dir, "imports")
    os.makedirs(target_dir, exist_ok=True)
    target = os.path.join(target_dir, tag + ".log")
    size = os.path.getsize(log_path)
    if size <= ARTIFACT_MAX_BYTES:
        shutil.copyfile(log_path, target)
    else:
        with open(log_path, "rb") as src, open(target, "wb") as dst:
            src.seek(size - ARTIFACT_MAX_BYTES)
            dst.write(b"[... %d bytes cut ...]\n" % (size - ARTIFACT_MAX_BYTES))
            dst.write(src.read())
    return target



class Checker:
    """The children of one job: started within the job's time, accounted for in ``children``."""

    def __init__(self, options, lane, workdir, artifacts_dir, deadline):
        self.options = options
        self.lane = lane
        self.workdir = workdir
        self.artifacts_dir = artifacts_dir
        self.deadline = deadline
        self.children = []

    def time_left(self):
        """Seconds a child may still take, or None without a job deadline."""
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic() - KILL_GRACE_S

    def can_start(self):
        left = self.time_left()
        return left is None or left >= MIN_MODULE_TIMEOUT_S

    def start(self, modules, mode, verbose=False):
        """One child for ``modules``; its raw facts, with ``child`` its id."""
        child_id = len(self.children)
        tag = _safe_tag(child_id, modules[0], "-" + mode)
        raw = run_child(
            modules,
            self.options["module_timeout_s"],
            self.options["gil"],
            self.workdir,
            tag,
            verbose=verbose,
            budget_s=self.time_left(),
        )
        end = next((e.get("reason") for e in raw["events"] if e.get("event") == "end"), None)
        self.children.append(
            {
                "id": child_id,
                "mode": mode,
                "modules": len(modules),
                "first": modules[0],
                "end": end or "died",
                "exit_status": raw["returncode"],
                "seconds": round(raw["wall_seconds"], 3),
            }
        )
        raw["child"] = child_id
        return raw

    def check_all(self, targets):
        """Rows for ``targets`` in order, and the targets left unstarted when the job's time ran out."""
        rows, queue = [], list(targets)
        while queue and self.can_start():
            if self.alone(queue[0]):
                row = self.check_alone(queue[0])
                if row is None:
                    break
                rows.append(row)
                queue.pop(0)
                continue
            batch = []
            while queue and len(batch) < self.options["batch_size"] and not self.alone(queue[0]):
                batch.append(queue.pop(0))
            done, end = self.check_batch(batch)
            rows.extend(done)
            queue[:0] = batch[len(done) :]
            if end == "time":
                break
        return rows, queue

    def alone(self, target):
        """Whether ``target`` gets a child of its own: always without ``os.fork`` (a batch's imports
        would share one interpreter), with ``batch_size: 1``, and for extensions when isolated."""
        _, kind, _ = target
        isolate = self.options["isolate_extensions"] and kind in ("extension", None)
        return self.options["batch_size"] == 1 or isolate or not hasattr(os, "fork")

    def check_alone(self, target):
        """The row of ``target`` imported in a child of its own; None when the job's time ran out first."""
        raw = self.start([target[0]], "alone")
        judged, _ = split_child(raw, [target[0]])
        return self.finish(self.row(target, judged[0], raw["child"])) if judged else None

    def check_batch(self, batch):
        """Rows of the batch's modules the child got to, in order. An import that died after the child
        had kept earlier modules is imported again alone."""
        names = [module for module, _, _ in batch]
        raw = self.start(names, "batch")
        judged, end = split_child(raw, names)
        rows = []
        for target, facts in zip(batch, judged, strict=False):
            row = self.row(target, facts, raw["child"])
            kept = facts[3]
            if facts[1]["result"] is None and kept:  # the modules kept before it may be what killed it
                row = self.rerun_alone(target, row, kept)
            rows.append(self.finish(row))
        return rows, end

    def rerun_alone(self, target, batch_row, after):
        """The row of a module whose import died in a batch: its own outcome when alone it fails too;
        else the batch's death, saying which earlier imports it needs."""
        alone = self.check_alone(target)
        death = {
            "outcome": batch_row["outcome"],
            "signal": batch_row["signal"],
            "after": after[:LIST_CAP],
            "after_count": len(after),
            "alone_outcome": alone and alone["outcome"],
            "culprits": None,
            "artifact": batch_row["artifact"],
        }
        if alone is not None and alone["outcome"] not in ("ok", "gil-reenabled"):
            alone["batch_death"] = death
            return alone
        if alone is not None and batch_row["outcome"] == "crash":
            death["culprits"] = self.bisect(target[0], after)
        batch_row["batch_death"] = death
        return batch_row

    def bisect(self, module, after):
        """The earlier imports ``module`` needs to crash: the shortest prefix of ``after`` that still
        crashes it, narrowed to its last module when that one alone suffices; None when it does not
        crash again within BISECT_MAX_CHILDREN children (a hang is never bisected: each try costs a
        whole timeout)."""
        if len(after) >= 2 ** (BISECT_MAX_CHILDREN - 1):
            return None
        lo, hi, crashed = 1, len(after), False
        while lo < hi:
            mid = (lo + hi) // 2
            if self.crashes_after(module, after[:mid]):
                hi, crashed = mid, True
            else:
                lo = mid + 1
        if hi > 1 and self.crashes_after(module, [after[hi - 1]]):
            return [after[hi - 1]]
        if crashed or self.crashes_after(module, after[:hi]):
            return after[:hi][:LIST_CAP]
        return None

    def crashes_after(self, module, before):
        if not self.can_start():
            return False
        modules = [*before, module]
        raw = self.start(modules, "bisect")
        judged, _ = split_child(raw, modules)
        last = judged[-1] if judged else None
        return last is not None and last[0] == module and (last[1]["returncode"] or 0) < 0

    def row(self, target, facts, child_id):
        """The classified row of one module's facts (split_child()'s ``(module, raw, log, kept)``); a
        failure's output goes to the artifacts."""
        name, kind, distribution = target
        _, raw, log, _ = facts
        output, _ = read_output(log)
        timeout = raw.get("timeout_s") or self.options["module_timeout_s"]
        row = classify(
            name,
            kind,
            distribution,
            raw,
            output,
            timeout,
            free_threaded=self.lane["free_threaded"],
            gil_forced=self.options["gil"] is not None,
        )
        row["child"] = child_id
        if row["outcome"] != "ok" and os.path.exists(log):
            row["artifact"] = _keep_artifact(log, self.artifacts_dir, _safe_tag(child_id, name))
        return row

    def finish(self, row):
        """Name every offender of an import that turned the GIL on, from a ``-v`` child of its own."""
        if row["gil_reenabled"] and self.can_start():
            raw = self.start([row["module"]], "verbose", verbose=True)
            judged, _ = split_child(raw, [row["module"]])
            if judged:
                _, vraw, log, _ = judged[0]
                merge_verbose(row, vraw, read_output(log)[0])
        return row
