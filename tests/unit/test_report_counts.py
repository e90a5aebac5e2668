"""One count, the same everywhere (issue 24 item 5): one stored run rendered four ways (terminal, Markdown,
HTML, JSON) gives the same numbers for the same things: gating reasons per package and lane (a
package's GIL modules are one reason), verdicts per lane (never both lanes added together), "shared"
as a free-threaded finding the GIL lane also shows, and every untested package with its reason."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import replace

import pytest

from ftlab import report
from ftlab.coverage import StressCoverage
from ftlab.judgement.judge import SIGNAL_VERDICT
from ftlab.records import Signal
from ftlab.report import html as html_report
from ftlab.report import jsonreport, markdown, terminal
from ftlab.store.db import Store
from tests.support.runs import FT, GIL, store_rich_run


@pytest.fixture
def outcome(tmp_path):
    """The rich stored run, with two more extension modules of yamlish turning the GIL back on on the
    free-threaded lane (three GIL findings of one package, one gating reason), and a submodule that fails
    alike on both lanes (shared on the free-threaded lane, the GIL lane's own on the GIL lane)."""
    store = tmp_path / "store" / "ftlab.sqlite"
    run_id = store_rich_run(store)
    with Store(store) as s:
        stored = report.outcome_for_report(s.load_run(run_id), store_path=store)
    imports = next(r for r in stored.results if r.check == "import" and r.lane == FT.name
                   and any(s.kind == "gil-reenabled" for s in r.signals))
    extra = tuple(Signal(kind="gil-reenabled", summary=f"importing 'yamlish' enables the GIL: {m!r}",
                         evidence={"module": m, "chain": ["yamlish", m]}) for m in ("yamlish._a", "yamlish._b"))
    both = Signal(kind="import-error", summary="'yamlish.extra' fails: ImportError",
                  evidence={"module": "yamlish.extra", "error_type": "ImportError", "scope": "submodule"})

    def patched(r):
        if r is imports:
            return replace(r, signals=(*r.signals, *extra, both))
        if r.check == "import" and r.subject == imports.subject and r.lane == GIL.name:
            return replace(r, status="findings", signals=(*r.signals, both))
        return r

    return stored.with_results(tuple(patched(r) for r in stored.results))


def test_one_run_rendered_four_ways_gives_the_same_counts(outcome, capsys, monkeypatch):
    doc = json.loads(jsonreport.dumps(outcome))
    c, reasons = doc["counts"], doc["counts"]["reasons"]

    # The JSON's own numbers hold together.
    gil_findings = [f for f in doc["findings"] if f["lane"] == FT.name and f["kind"] == "gil-reenabled"]
    assert len(gil_findings) == 3 and c["new"] >= 3
    assert reasons["new"] == c["new"] - 2, "a package's GIL modules on a lane are one reason"
    assert doc["decision"] == "no-go" and reasons["total"] == len(doc["triggers"])
    own = [f for f in doc["findings"] if f["lane"] == GIL.name and f["baseline"] == "baseline"
           and f["kind"] in SIGNAL_VERDICT and not f["gating"] and not f["known"]]
    assert own and c["baseline"] == len(own), "the GIL lane's own findings are not 'shared'"
    assert c["shared"] == sum(f["lane"] == FT.name and f["baseline"] == "same" and not f["gating"] and not f["known"]
                              and f["kind"] in SIGNAL_VERDICT for f in doc["findings"])
    assert set(c["verdicts_by_lane"]) == {lane["name"] for lane in doc["lanes"]}
    assert all(sum(v.values()) == len(doc["subjects"]) for v in c["verdicts_by_lane"].values())
    assert c["untested"] == len(doc["untested"]) > 0 and all(u["reasons"] for u in doc["untested"])

    # The same numbers, worded from the JSON alone, in the other three formats.
    kinds = {lane["name"]: lane["kind"] + ("" if lane["available"] or lane["kind"] == "unknown" else " (asked for)")
             for lane in doc["lanes"]}
    phrases = [
        f"{c['findings']} findings: {c['new']} new on the free-threaded lane, {c['gating']} more gating, "
        f"{c['notes']} worth knowing on the free-threaded lane (not gating), {c['shared']} shared with the GIL lane "
        f"(not gating), {c['baseline']} on the GIL lane itself, {c['info']} information",
        f"{reasons['total']} gating reasons, {reasons['new']} new on the free-threaded lane",
        *(f"{lane} ({kinds[lane]}): " + (", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no verdicts")
          for lane, counts in c["verdicts_by_lane"].items()),
    ]
    monkeypatch.setenv("COLUMNS", "2000")
    terminal.print_run(outcome, {})
    text = capsys.readouterr().out
    page = html_lib.unescape(html_report.render(outcome))
    md = markdown.render(outcome)
    for phrase in phrases:
        assert phrase in text, ("terminal", phrase)
        assert phrase in page, ("html", phrase)
        assert markdown.text(phrase) in md, ("markdown", phrase)
    assert f"untested: {c['untested']}" in text
    assert f"Untested ({c['untested']})" in md and f"Untested ({c['untested']})" in page
    # Chips per lane: the banner's chips are one group per lane, never one sum over lanes.
    assert page.count('class="lane-chips"') == len(doc["lanes"])
    untested = doc["untested"][0]
    assert f"{untested['subject']} on {untested['lane']}" in page


def test_stress_coverage_is_worded_the_same_in_markdown_and_html(outcome):
    """Per package and lane, the stress coverage the JSON carries (each stress result's data) reads the same
    beside the verdict in the Markdown and HTML reports; one that raced nothing says so, and why, in both."""
    doc = json.loads(jsonreport.dumps(outcome))
    raw = html_report.render(outcome)
    page = html_lib.unescape(re.sub(r"<[^>]+>", "", raw))  # the page as read
    md = markdown.render(outcome)
    stress = [r for r in doc["results"] if r["check"] == "stress" and "coverage" in r["data"]]
    assert len(stress) == 4
    unraced = 0
    for r in stress:
        cov = StressCoverage.from_json(r["data"]["coverage"])
        assert cov.counts_phrase() in page and markdown.text(cov.counts_phrase()) in md, (r["subject"], r["lane"])
        if not cov.covered:
            unraced += 1
            assert f"stress raced nothing: {cov.unraced}" in page
            assert f"**stress raced nothing**: {markdown.text(cov.unraced)}" in md
        for op in cov.op_names()[:markdown.TOP_OPS]:
            assert f"<code>{op}</code>" in raw and markdown.code(op) in md
    assert unraced == 1
    assert "<code>__setitem__</code>" in raw and "`__setitem__`" in md
