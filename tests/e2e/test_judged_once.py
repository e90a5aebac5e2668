"""One lifecycle, judged once (ftlab.engine.session, ftlab.judgement.outcome): a run, a survey and a merge
each call the judge exactly once, on real lanes of this machine, and rendering every report and the
terminal summary afterwards judges nothing again; `run --json` prints the very document
`report --format json` prints for the same run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import ftlab
import ftlab.judgement.judge as judge_module
from ftlab.engine.merge import merge
from ftlab.engine.pipeline import RunRequest, execute
from ftlab.engine.survey import run_survey
from ftlab.progress import Reporter
from ftlab.records import Decision, Lane, Result, Subject
from ftlab.report import terminal, write_reports
from ftlab.store.db import Store


@pytest.fixture
def judge_calls(monkeypatch) -> list[int]:
    """Counts calls of ftlab.judgement.judge.judge wherever a loaded ftlab module holds it."""
    original = judge_module.judge
    calls: list[int] = []

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("ftlab") and getattr(module, "judge", None) is original:
            monkeypatch.setattr(module, "judge", spy)
    return calls


def _render_everything(outcome, tmp_path: Path) -> None:
    write_reports(outcome, tmp_path / "reports")
    terminal.print_run(outcome, {})


def test_a_run_is_judged_once_and_its_reports_judge_nothing(judge_calls, py313, tmp_path, capsys):
    outcome = execute(RunRequest(lane_specs=(f"3.13={py313}",), checks=("fingerprint",), provision=False,
                                 store_path=tmp_path / "store" / "ftlab.sqlite"))
    assert outcome.results and len(judge_calls) == 1
    _render_everything(outcome, tmp_path)
    assert len(judge_calls) == 1


@pytest.mark.slow
def test_a_survey_is_judged_once(judge_calls, local_index, py313, tmp_path, capsys):
    outcome, _ = run_survey(["pure-pkg"], lane_specs=(f"3.13={py313}",), checks=("install", "import"),
                            store_path=tmp_path / "store" / "ftlab.sqlite", options={"index_url": local_index.url},
                            jobs=1, reporter=Reporter(quiet=True), resume=None)
    assert {v.verdict for v in outcome.verdicts} == {"ready"} and len(judge_calls) == 1
    _render_everything(outcome, tmp_path)
    assert len(judge_calls) == 1


def _shard(tmp_path: Path, name: str, shard: str) -> Path:
    store = tmp_path / name / "ftlab.sqlite"
    lane = Lane(name="3.x", path=f"/machine-{name}/python", version="3.13.1", implementation="cpython")
    subjects = (Subject(name="a"), Subject(name="b"))
    mine = subjects[int(shard[0]) - 1]
    run_id = f"run-{name}"
    with Store(store) as s:
        s.start_run(run_id=run_id, argv=[], artifacts_dir=str(tmp_path / name), ftlab_version=ftlab.__version__,
                    lanes=(lane,), subjects=subjects, lock_text="# the lock",
                    config={"checks": ["install"], "options": {"shard": shard}})
        s.record_result(Result(job_id=f"{run_id}/{mine.name}/3.x/install", run_id=run_id, subject=mine.name,
                               lane="3.x", check="install", status="ok"))
        s.finish_run(run_id, verdicts=(), decision=Decision(decision="undecided"))
    return store


def test_a_merge_is_judged_once(judge_calls, tmp_path, capsys):
    shards = [_shard(tmp_path, "a", "1/2"), _shard(tmp_path, "b", "2/2")]
    outcome = merge(shards, tmp_path / "merged" / "ftlab.sqlite")
    assert {v.verdict for v in outcome.verdicts} == {"ready"} and len(judge_calls) == 1
    _render_everything(outcome, tmp_path)
    assert len(judge_calls) == 1


def test_run_json_is_the_json_report(cli, py313):
    doc, _ = cli.json("run", "--lane", f"3.13={py313}", "--no-provision", check=0)
    stored = json.loads(cli("report", doc["run_id"], "--format", "json", check=0).stdout)
    assert doc["format"] == "ftlab-report/5" and set(doc["reports"]) == {"html", "md", "json", "junit"}
    assert doc == stored
    # The file the run wrote is that document too.
    assert json.loads(Path(doc["reports"]["json"]).read_text()) == doc
