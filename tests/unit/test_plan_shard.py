"""`--shard I/N`: every job in exactly one shard, stable by subject (and lane for lane-level jobs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlab.engine.checks.base import RunContext
from ftlab.engine.plan import parse_shard, plan, shard_of
from ftlab.errors import UsageError
from ftlab.records import Lane, Subject

LANES = (Lane(name="3.14", path="/a"), Lane(name="3.14t", path="/b", gil_disabled=True))
CHECKS = ("fingerprint", "install", "import")


def _jobs(subjects, shard=None):
    options = {"shard": shard} if shard else {}
    ctx = RunContext(run_id="r", artifacts_dir=Path("."), lanes=LANES, subjects=tuple(subjects), options=options)
    return [j for stage in plan("r", subjects, LANES, CHECKS, ctx) for j in stage]


def test_shards_partition_the_plan_and_keep_a_subjects_lanes_together():
    subjects = [Subject(name=f"pkg{i}") for i in range(40)]
    whole = {j.job_id for j in _jobs(subjects)}
    parts = [{j.job_id for j in _jobs(subjects, f"{i}/4")} for i in range(1, 5)]
    assert set().union(*parts) == whole
    assert sum(len(p) for p in parts) == len(whole)  # no job in two shards
    assert all(parts)
    for part in parts:
        for s in subjects:
            lanes_here = {jid.split("/")[2] for jid in part if jid.split("/")[1] == s.name}
            assert lanes_here in (set(), {"3.14", "3.14t"})


def test_a_subjects_shard_does_not_depend_on_the_other_subjects():
    lane = LANES[0]
    before = {f"pkg{i}": shard_of(Subject(name=f"pkg{i}"), lane, 8) for i in range(30)}
    # Adding, removing or reordering subjects moves no one; the lane does not matter for a package.
    assert before == {name: shard_of(Subject(name=name), LANES[1], 8) for name in reversed(list(before))}
    assert shard_of(Subject(name="numpy"), lane, 8) == 4  # fixed across machines and releases


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", ""])
def test_bad_shards_are_usage_errors(text):
    with pytest.raises(UsageError, match="--shard takes I/N"):
        parse_shard(text)
