"""`ftlab merge`: the shard runs of one plan (`run --shard I/N`, each in its own store, e.g. one per CI
job) become one run in another store, judged again over all results: the same verdicts and decision
as the unsharded run. Shards that did not plan the same run are refused (one line: what differs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ftlab.engine.plan import parse_shard
from ftlab.engine.session import RunSession
from ftlab.errors import UsageError
from ftlab.judgement.outcome import RunOutcome
from ftlab.records import Lane
from ftlab.store.db import RunRecord, Store


def _lane_identity(lane: Lane) -> tuple:
    """A lane is what the interpreter says it is, not where it lives: CI machines have other paths."""
    return (lane.name, lane.implementation, lane.version, lane.gil_disabled, lane.available)


def _shard_runs(paths: Sequence[Path]) -> list[tuple[Path, RunRecord, tuple[int, int]]]:
    out = []
    for path in paths:
        with Store(path, create=False) as store:
            record = store.load_run("latest")
        shard = record.config.get("options", {}).get("shard")
        if not shard:
            raise UsageError(f"run {record.run_id} in '{path}' is not a shard; merge the stores of runs made with "
                             "'ftlab run --shard I/N'")
        if record.status != "finished":
            raise UsageError(f"shard {shard} (run {record.run_id} in '{path}') did not finish; finish it with "
                             f"'ftlab run --resume {record.run_id} --store {path}', then merge")
        out.append((path, record, parse_shard(shard)))
    return out


def check_compatible(shards: Sequence[tuple[Path, RunRecord, tuple[int, int]]]) -> None:
    """Refuse shards of different plans with one line naming the first difference."""
    first_path, first, (_, count) = shards[0]
    seen: dict[int, Path] = {}
    for path, record, (index, n) in shards:
        where = f"'{path}' and '{first_path}'"
        if n != count:
            raise UsageError(f"{where} split the plan into {n} and {count} shards; merge shards of one split")
        if record.ftlab_version != first.ftlab_version:
            raise UsageError(f"{where} were made by ftlab {record.ftlab_version} and {first.ftlab_version}; "
                             "run every shard with one ftlab version")
        if (record.lock or "") != (first.lock or ""):
            raise UsageError(f"{where} installed from different locks (the index changed between shards?); "
                             "run every shard from one lock file (-r LOCK)")
        if [_lane_identity(ln) for ln in record.lanes] != [_lane_identity(ln) for ln in first.lanes]:
            def lanes(r: RunRecord) -> str:
                return ", ".join(f"{ln.name} {ln.version}{' (unavailable)' if not ln.available else ''}" for ln in r.lanes)
            raise UsageError(f"{where} ran on different lanes ({lanes(record)} vs {lanes(first)}); "
                             "give every shard the same --lane options and interpreters")
        if record.config.get("checks") != first.config.get("checks") or \
                [s.name for s in record.subjects] != [s.name for s in first.subjects]:
            raise UsageError(f"{where} planned different checks or subjects; run every shard with the same "
                             "subjects and --checks")
        if index in seen:
            raise UsageError(f"'{path}' and '{seen[index]}' are both shard {index}/{count}; pass each shard once")
        seen[index] = path
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise UsageError(f"shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing; pass all {count} "
                         "shard stores")


def merge(paths: Sequence[Path], out: Path) -> RunOutcome:
    """Merge the latest run of each shard store into a new run in `out`; returns its RunOutcome."""
    if not paths:
        raise UsageError("name the shard stores to merge, e.g. 'ftlab merge shard1.sqlite shard2.sqlite --store all.sqlite'")
    resolved = [Path(p).resolve() for p in paths]
    if Path(out).resolve() in resolved:
        raise UsageError(f"--store '{out}' is one of the shard stores; merge into a new store")
    shards = sorted(_shard_runs(paths), key=lambda s: s[2][0])
    check_compatible(shards)
    _, first, _ = shards[0]
    options = {k: v for k, v in first.config.get("options", {}).items() if k != "shard"}
    options["merged_from"] = [{"store": str(p), "run_id": r.run_id, "shard": f"{i}/{n}"} for p, r, (i, n) in shards]
    config = {**first.config, "options": options}
    with Store(out) as store, RunSession.start(
            store, kind="merge", lanes=first.lanes, subjects=first.subjects, checks=config.get("checks") or (),
            options=options, argv=["ftlab", "merge", *map(str, paths)], lock_text=first.lock,
            config=config) as session, session.guarded():
        for _, record, _ in shards:
            for result in record.results:
                rest = result.job_id.split("/", 1)[1] if "/" in result.job_id else result.job_id
                session.record(replace(result, run_id=session.run_id, job_id=f"{session.run_id}/{rest}"))
        return session.finish()
