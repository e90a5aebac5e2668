"""Every report format rendered from a stored run rich in evidence (tests/support/runs.py): JSON schema,
JUnit structure and counts, Markdown content and cap, HTML sections, links and escaping."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from ftlab import report
from ftlab.records import VERDICTS, Result, Signal
from ftlab.report import html as html_report
from ftlab.report import jsonreport, junit, markdown
from ftlab.store.db import Store
from tests.support.runs import FAULTHANDLER, FT, GIL, MISSING, XSS, XSS_SUBJECT, store_rich_run


@pytest.fixture
def outcome(tmp_path):
    store = tmp_path / "store" / "ftlab.sqlite"
    run_id = store_rich_run(store)
    with Store(store) as s:
        return report.outcome_for_report(s.load_run(run_id), store_path=store)


def test_write_reports_writes_every_format_html_first(outcome, tmp_path):
    written = report.write_reports(outcome, tmp_path / "out")
    assert list(written) == ["html", "md", "json", "junit"]
    for fmt, path in written.items():
        assert path.is_absolute() and path.exists() and path.stat().st_size > 200, fmt
        assert path.name.startswith(f"ftlab-{outcome.run_id}")
    assert written["junit"].name.endswith(".junit.xml")
    assert not list((tmp_path / "out").glob(".*.tmp"))


# -- JSON ------------------------------------------------------------------------------------------


def test_json_schema(outcome):
    doc = json.loads(jsonreport.dumps(outcome))
    assert doc["format"] == jsonreport.FORMAT == "ftlab-report/5"
    assert doc["decision"] == "no-go" and doc["go"] is False and doc["triggers"]
    assert set(doc) >= {"run_id", "counts", "lanes", "subjects", "verdicts", "findings", "results", "store",
                        "artifacts_dir"}
    assert list(doc["counts"]["verdicts"]) == list(VERDICTS)
    assert sum(doc["counts"]["verdicts"].values()) == len(doc["verdicts"]) == 9
    assert sum(doc["counts"]["signals"].values()) == len(doc["findings"]) == sum(len(r["signals"]) for r in doc["results"])
    assert sum(doc["counts"]["statuses"].values()) == len(doc["results"])
    kinds = {lane["name"]: lane["kind"] for lane in doc["lanes"]}
    assert kinds == {"3.13": "GIL", "3.13t": "free-threaded", "3.14t": "free-threaded"}
    assert doc["subjects"] == ["counter", XSS_SUBJECT, "yamlish"]
    first = doc["findings"][0]
    assert (first["kind"], first["severity"], first["gating"], first["rate"]) == ("crash", "crashes", True, [2, 50])
    ranks = [VERDICTS.index(f["severity"]) for f in doc["findings"]]
    assert ranks == sorted(ranks)
    corruption = next(f for f in doc["findings"] if f["kind"] == "corruption")
    assert corruption["repro"].endswith("stress-Counter-corruption-1.py")


# -- JUnit -----------------------------------------------------------------------------------------

CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}


def check_junit_structure(root: ET.Element) -> None:
    """The JUnit schema's structure: testsuites > testsuite > testcase > failure|error|skipped|system-out."""
    assert root.tag == "testsuites"
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root:
        assert suite.tag == "testsuite"
        for attr in ("name", "tests", "failures", "errors", "skipped", "time"):
            assert attr in suite.attrib, attr
        float(suite.get("time"))
        counts = dict.fromkeys(totals, 0)
        for child in suite:
            if child.tag == "properties":
                assert all(p.tag == "property" and {"name", "value"} <= set(p.attrib) for p in child)
                continue
            assert child.tag == "testcase"
            assert {"classname", "name", "time"} <= set(child.attrib)
            float(child.get("time"))
            tags = [c.tag for c in child]
            assert set(tags) <= CASE_CHILDREN, tags
            outcomes = [t for t in tags if t in ("failure", "error", "skipped")]
            assert len(outcomes) <= 1, tags
            counts["tests"] += 1
            for t, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
                counts[key] += t in outcomes
            for el in child:
                if el.tag in ("failure", "error"):
                    assert "message" in el.attrib and "type" in el.attrib
        for key, n in counts.items():
            assert int(suite.get(key)) == n, (suite.get("name"), key)
            totals[key] += n
    for key, n in totals.items():
        assert int(root.get(key)) == n, key


def test_junit_structure_and_cases(outcome):
    text = junit.render(outcome)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode())
    check_junit_structure(root)
    assert [s.get("name") for s in root] == ["ftlab.3.13", "ftlab.3.13t", "ftlab.3.14t"]
    cases = {(c.get("classname"), c.get("name")): c for s in root for c in s.iter("testcase")}
    assert len(cases) == len(outcome.results)
    # lane-level checks are named after the lane
    assert ("ftlab.3.13t.fingerprint", "3.13t") in cases
    stress = cases[("ftlab.3.13t.stress", "counter")]
    failure = stress.find("failure")
    assert failure.get("type") == "crash" and "SIGSEGV" in failure.get("message")
    assert "Fatal Python error: Segmentation fault" in failure.text and "corruption" in failure.text
    assert "init | Counter()" in failure.text  # the scenario table as text
    skipped = cases[("ftlab.3.14t.install", "counter")].find("skipped")
    assert "uv python install 3.14t" in skipped.get("message")
    error = cases[("ftlab.3.13.import", XSS_SUBJECT)].find("error")
    assert error is not None and error.get("type") == "error" and XSS in error.text
    install = cases[("ftlab.3.13t.install", XSS_SUBJECT)].find("failure")
    assert install.get("type") == "install-failed"
    assert "\x1b" not in install.text and "\\x{1b}" in install.text  # control characters escaped, still valid XML
    assert cases[("ftlab.3.13.install", "counter")].find("failure") is None


def test_junit_informational_signal_is_not_a_failure(outcome):
    r = next(r for r in outcome.results if r.check == "install" and r.lane == GIL.name and r.subject == "counter")
    sdist = Signal(kind="built-from-sdist", summary="counter==1.0 built from counter-1.0.tar.gz", evidence={})
    patched = outcome.with_results(tuple(replace(x, signals=(sdist,)) if x is r else x for x in outcome.results))
    case = next(c for c in junit.build(patched).iter("testcase")
                if c.get("classname") == "ftlab.3.13.install" and c.get("name") == "counter")
    assert case.find("failure") is None and "built-from-sdist" in case.find("system-out").text


# -- Markdown --------------------------------------------------------------------------------------


def test_markdown_content(outcome):
    md = markdown.render(outcome, report_path=Path("/r/ftlab-x.md"))
    first = md.splitlines()[0]
    assert first.startswith("## ftlab: **NO-GO**")
    assert ("| counter | ready<br><sub>install, import, stress</sub> | **CRASHES**<br><sub>install, import, stress</sub>"
            " | untested |") in md
    assert "| 3.14t | free-threaded (asked for) | 3.14 | unavailable: " in md
    assert "| 3.13 | GIL |" in md
    assert "observed in 7 of 50 runs (14%)" in md and "stress-Counter-corruption-1.py" in md
    assert "<details><summary>trace</summary>" in md and "Fatal Python error" in md
    assert "`ftlab-x.html`" in md
    prose = re.sub(r"```.*?```", "", md, flags=re.S)  # code blocks show hostile text verbatim, inertly
    assert "<script>" not in prose and "<img" not in prose and "\x1b" not in md
    assert not re.search(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]", md)  # text labels, no emoji


def test_markdown_shows_stress_coverage_beside_the_verdict(outcome):
    md = markdown.render(outcome)
    section = md[md.index("### Stress coverage"):md.index("### Top findings")]
    # what the auto-probe found, screened, kept and raced, what screening dropped, the protocol ops raced
    assert ("| yamlish | 3.13t | gil-fallback (install, import, stress) | 41 found · 33 screened · 24 kept · "
            "10 ops raced · dropped: 8 denied by policy, 6 raises on every input, 2 not constructible, 1 more | "
            "`__setitem__`, `__delitem__`, `__contains__`, `__len__`, `__iter__`, `__iadd__`, +4 more (2 probes) |"
            ) in section
    assert "| counter | 3.13 | ready (install, import, stress) | 1 hand-written probe · 2 ops raced | `incr`, `value` |" in section
    # a stress check that raced nothing says so beside its verdict (first), with why
    first = section.splitlines()[4]
    assert first.startswith("| yamlish | 3.13 | ready (install, import) | **stress raced nothing**: none of 9 public "
                            "callables passed screening (6 raises on every input, 3 more)<br><sub>9 found"), first
    assert "| yamlish | ready<br><sub>install, import · stress raced nothing</sub> | **GIL-FALLBACK**" in md


def test_markdown_coverage_is_capped(outcome, monkeypatch):
    monkeypatch.setattr(markdown, "TOP_COVERAGE", 2)
    md = markdown.render(outcome)
    section = md[md.index("### Stress coverage"):md.index("### Top findings")]
    assert section.count("\n| yamlish |") + section.count("\n| counter |") == 2
    assert "stress raced nothing" in section and "... and 2 more; see the HTML report." in section


def test_markdown_is_capped(outcome):
    r = next(r for r in outcome.results if r.check == "stress" and r.lane == FT.name)
    many = tuple(Signal(kind="corruption", summary=f"corruption #{i}", evidence={"trace": "x" * 5000, "rate": [1, 2]})
                 for i in range(400))
    big = outcome.with_results((*outcome.results, replace(r, job_id="big", signals=many)))
    md = markdown.render(big)
    assert len(md) <= markdown.MAX_CHARS
    assert "more findings; see the HTML report" in md


def test_markdown_text_escapes_table_breakers():
    assert markdown.text("a|b\nc") == "a\\|b c"
    assert markdown.code("x`y") == "``x`y``"


# -- HTML ------------------------------------------------------------------------------------------


def test_html_sections_and_evidence(outcome, tmp_path):
    path = tmp_path / "reports" / "r.html"
    doc = html_report.render(outcome, report_path=path)
    for needle in ('id="decision"', 'class="banner d-no-go"', 'id="lanes"', 'id="matrix-table"', 'id="findings-table"',
                   'id="subjects"', 'class="scenario-table"', "Segmentation fault", "minimal scenario",
                   "7 of 50 runs (14%)", "yamlish → yamlish.loader → yamlish._speedups", "missing-compiler-or-headers",
                   "cp313-cp313t-manylinux_2_17_x86_64", "<svg", "Thread scaling", "uv python install 3.14t",
                   "2.9x at 4 threads (of an ideal 4x)"):
        assert needle in doc, needle
    # every in-page link has a target (matrix cell -> evidence, findings -> finding)
    ids = set(re.findall(r'\sid="([^"]+)"', doc))
    targets = set(re.findall(r'href="#([^"]+)"', doc))
    assert targets and targets <= ids, targets - ids
    # the repro link is relative to the report when they share a tree
    assert 'href="../store/runs/20260101-120000-aaaa/stress/stress-Counter-corruption-1.py"' in doc


def test_html_shows_stress_coverage_beside_the_verdict(outcome):
    doc = html_report.render(outcome)

    def cell(subject, lane):
        start = doc.index(f'id="{html_report.anchor(subject, lane.name)}"')
        return doc[start:doc.index('<ul class="reasons">', start)]

    raced = cell("yamlish", FT)
    assert ('<span class="label">stress</span> 41 found · 33 screened · 24 kept · 10 ops raced · dropped: '
            "8 denied by policy, 6 raises on every input, 2 not constructible, 1 slow") in raced
    # a count and the first few ops (protocol ops first) in the summary, every probe's ops in the <details>
    summary = re.search(r'<details class="ops"><summary>(.*?)</summary>(.*?)</details>', raced, re.S)
    assert summary.group(1).startswith("10 ops raced by 2 probes: <code>__setitem__</code>, <code>__delitem__</code>")
    assert summary.group(1).endswith("+2 more")
    assert ("<code>yamlish functions</code> <span class=\"muted\">auto · 3000 invocations</span>: "
            "<code>safe_load</code>, <code>dump</code>") in summary.group(2)
    assert "<code>__iter__</code>, <code>__iadd__</code></li>" in summary.group(2)
    nothing = cell("yamlish", GIL)
    assert ('<div class="coverage raced-nothing"><b>stress raced nothing</b>: none of 9 public callables passed '
            "screening (6 raises on every input, 3 more)") in nothing
    assert "9 found · 9 screened · 0 kept · 0 ops raced" in nothing
    # and in the matrix, under the verdict it rests on install and import alone
    matrix = doc[doc.index('id="matrix-table"'):doc.index('id="findings-table"')]
    assert re.search(r'<small class="rests-on">install, import</small><small class="unraced" title="none of 9 '
                     r'public callables[^"]*">stress raced nothing</small>', matrix)
    assert matrix.count("stress raced nothing") == 1
    assert "stress raced nothing" not in cell("counter", GIL) and "1 hand-written probe · 2 ops raced" in cell("counter", GIL)


def test_html_lane_kinds_never_call_gil_free_threaded(outcome):
    doc = html_report.render(outcome)
    card = re.search(rf'<div class="lane-card" id="{html_report.anchor("lane", GIL.name)}">(.*?)</dl>', doc, re.S).group(1)
    assert '<span class="kind k-gil">GIL</span>' in card and "free-threaded" not in card
    missing = re.search(rf'id="{html_report.anchor("lane", MISSING.name)}">(.*?)</div></div>', doc, re.S).group(1)
    assert "unavailable" in missing and "fix: <code>uv python install 3.14t</code>" in missing


def test_html_escapes_everything_and_allows_only_its_own_script(outcome):
    doc = html_report.render(outcome)
    assert XSS not in doc and "<img" not in doc
    assert doc.count("<script>") == 1
    script = re.search(r"<script>(.*?)</script>", doc, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', doc).group(1)
    assert f"script-src &#x27;sha256-{digest}&#x27;" in csp and "default-src &#x27;none&#x27;" in csp


def test_html_escapes_hostile_keys_and_long_traces(outcome):
    r = next(r for r in outcome.results if r.check == "stress" and r.lane == FT.name)
    sig = Signal(kind="hang", summary="hang", evidence={XSS: XSS, "stacks": "A" * 50_000 + FAULTHANDLER,
                                                       "table": [["init", XSS]], "repro": "/elsewhere/r.py"})
    patched = outcome.with_results((*outcome.results, replace(r, job_id="x", signals=(sig,), data={XSS: [XSS]})))
    doc = html_report.render(patched, report_path=Path("/reports/r.html"))
    assert XSS not in doc
    assert "characters cut" in doc and "Extension modules: counter._counter" in doc
    assert 'href="file:///elsewhere/r.py"' in doc


def test_html_without_subjects_or_signals(outcome):
    lane_only = replace(outcome.with_results(tuple(r for r in outcome.results if r.check == "fingerprint")), verdicts=())
    doc = html_report.render(lane_only)
    assert "No package subjects in this run" in doc and "No signals" in doc


def test_outcome_for_unfinished_run_computes_partial_verdicts(tmp_path):
    store_path = tmp_path / "s.sqlite"
    with Store(store_path) as s:
        s.start_run(run_id="r1", argv=[], config={"checks": ["install"]}, artifacts_dir="/a", ftlab_version="0")
        s.record_lanes("r1", [GIL])
        from ftlab.records import Subject

        s.record_subjects("r1", [Subject(name="pkg")])
        s.record_result(Result(job_id="r1/pkg/3.13/install", run_id="r1", subject="pkg", lane="3.13", check="install",
                               status="ok"))
        outcome = report.outcome_for_report(s.load_run("r1"))
    assert outcome.decision.decision == "undecided" and "run did not finish" in outcome.decision.triggers
    assert [(v.subject, v.verdict) for v in outcome.verdicts] == [("pkg", "ready")]
    assert "ready" in html_report.render(outcome)
