"""The survey report: per package and lane, how install, import, the GIL and stress went, and counts
per lane. Pure functions over a RunOutcome; `write_survey_report` writes Markdown and JSON."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ftlab.records import VERDICTS, Result

#: Signal kinds that make an install a failure (not-installable), and an import one.
INSTALL_FAILED = frozenset({"install-failed", "no-wheel"})
IMPORT_ORDER = ("crash", "hang", "import-error")
COLUMNS = ("install", "import", "gil", "stress")
#: Verdict colours of the history chart, most severe first (the stylesheet's signal-kind colours).
VERDICT_COLOUR = {"crashes": "var(--k-crash)", "unsafe": "var(--k-corruption)", "gil-fallback": "var(--k-gil)",
                  "not-installable": "var(--k-install)", "not-importable": "var(--k-import)", "ready": "#3c9a5f",
                  "untested": "var(--k-other)"}


def _kinds(r: Result) -> list[str]:
    return [s.kind for s in r.signals]


def install_outcome(r: Result | None, judged: frozenset[str] = frozenset()) -> str:
    if r is None:
        return "-"
    if r.status == "ok":
        outcome = ((r.data or {}).get("subject_dist") or {}).get("outcome", "ok")
        return "pure wheel" if "pure-python-wheel" in judged else outcome
    if r.status == "findings":
        return "failed" if INSTALL_FAILED & set(_kinds(r)) else "sdist"
    return r.status


def import_outcome(r: Result | None, judged: frozenset[str] = frozenset()) -> str:
    """`judged`: the kinds the judge counts against the package here (an optional dependency missing
    does not; a submodule that imports on the GIL lane but not here does)."""
    if r is None:
        return "-"
    if r.status == "findings":
        return next((k for k in IMPORT_ORDER if k in judged), "ok")
    return r.status


def gil_outcome(r: Result | None, free_threaded: bool) -> str:
    """On a free-threaded lane: whether importing the package turned the GIL back on."""
    if not free_threaded:
        return "n/a"
    if r is None or r.status not in ("ok", "findings"):
        return "-"
    return "re-enabled" if "gil-reenabled" in _kinds(r) else "stays off"


def stress_outcome(r: Result | None) -> str:
    if r is None:
        return "-"
    if r.status == "findings":
        return "+".join(sorted(set(_kinds(r)))) or "findings"
    return r.status


def rows(outcome) -> list[dict[str, Any]]:
    """One row per package and lane, in survey order."""
    by = {(r.subject, r.lane, r.check): r for r in outcome.results}
    judged: dict[tuple[str, str, str], set[str]] = {}
    for f in outcome.findings:
        if f.severity or f.kind == "pure-python-wheel":
            judged.setdefault((f.subject, f.lane, f.check), set()).add(f.kind)
    verdict = {(v.subject, v.lane): v.verdict for v in outcome.verdicts}
    subjects = list(dict.fromkeys(v.subject for v in outcome.verdicts)) or \
        list(dict.fromkeys(r.subject for r in outcome.results))
    out = []
    for subject in subjects:
        for lane in outcome.lanes:
            def get(check: str, lane=lane, subject=subject) -> Result | None:
                return by.get((subject, lane.name, check))

            def kinds(check: str, lane=lane, subject=subject) -> frozenset[str]:
                return frozenset(judged.get((subject, lane.name, check), ()))
            out.append({"package": subject, "lane": lane.name,
                        "install": install_outcome(get("install"), kinds("install")),
                        "import": import_outcome(get("import"), kinds("import")), "gil": gil_outcome(get("import"), lane.gil_disabled),
                        "stress": stress_outcome(get("stress")), "verdict": verdict.get((subject, lane.name), "-")})
    return out


def counts(table: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """lane -> column -> outcome -> packages."""
    out: dict[str, dict[str, Counter]] = {}
    for row in table:
        lane = out.setdefault(row["lane"], {c: Counter() for c in (*COLUMNS, "verdict")})
        for column in (*COLUMNS, "verdict"):
            lane[column][row[column]] += 1
    return {lane: {c: dict(sorted(n.items())) for c, n in cols.items()} for lane, cols in out.items()}


def survey_json(outcome, source: dict[str, Any], history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    table = rows(outcome)
    return {"run_id": outcome.run_id, "source": source, "lanes": [ln.name for ln in outcome.lanes],
            "packages": len({r["package"] for r in table}), "counts": counts(table), "rows": table,
            "decision": outcome.decision.decision, "history": history or []}


def history_entry(record) -> dict[str, Any]:
    """One finished survey of the store, for the chart over time: its date and verdicts per lane."""
    import time

    per_lane: dict[str, Counter] = {}
    for v in record.verdicts:
        per_lane.setdefault(v.lane, Counter())[v.verdict] += 1
    return {"run_id": record.run_id, "date": time.strftime("%Y-%m-%d", time.gmtime(record.created_at)),
            "source": (record.config.get("options") or {}).get("survey") or {},
            "verdicts": {lane: dict(n) for lane, n in per_lane.items()}}


def history_chart(history: list[dict[str, Any]]) -> str:
    """Verdicts of the whole set per survey and lane, oldest first: how the ecosystem moved."""
    from ftlab.report.charts import stacked_columns

    categories = [f"{h['date']} {lane}" for h in history for lane in h["verdicts"]]
    counts_at = [h["verdicts"][lane] for h in history for lane in h["verdicts"]]
    series = [(v, VERDICT_COLOUR[v], [c.get(v, 0) for c in counts_at]) for v in VERDICTS]
    return stacked_columns("verdicts per survey and lane", categories, series, unit=" packages")


def html(outcome, source: dict[str, Any], history: list[dict[str, Any]]) -> str:
    from html import escape as e

    css = (Path(__file__).parent / "assets" / "report.css").read_text(encoding="utf-8")
    table = rows(outcome)
    head = "".join(f"<th>{c}</th>" for c in ("package", "lane", "install", "import", "GIL", "stress", "verdict"))
    body = "".join("<tr>" + "".join(f"<td>{e(str(r[k]))}</td>" for k in ("package", "lane", *COLUMNS, "verdict"))
                   + "</tr>" for r in table)
    count_items = "".join(f"<li><b>{e(lane)}</b>: " + "; ".join(
        f"{c}: " + ", ".join(f"{e(str(k))} {n}" for k, n in vals.items()) for c, vals in cols.items()) + "</li>"
        for lane, cols in counts(table).items())
    chart = (f"<h2>Over time ({len(history)} surveys in this store)</h2>{history_chart(history)}"
             if len(history) > 1 else "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>ftlab survey {e(outcome.run_id)}</title>"
            f"<style>{css}</style></head><body><main><h1>ftlab survey {e(outcome.run_id)}</h1>"
            f"<p>Subjects: {e(_source_line(source))}.</p><h2>Counts</h2><ul>{count_items}</ul>{chart}"
            f"<h2>Per package and lane</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            "</main></body></html>\n")


def _source_line(source: dict[str, Any]) -> str:
    if "top" in source:
        line = f"the top {source['top']} PyPI packages ({source.get('url')}, data set of {source.get('date')})"
    elif "list" in source:
        line = f"the packages listed in {source['list']}"
    else:
        line = "a stored list of packages"
    if source.get("with_extensions"):
        line += f"; only those with compiled wheels ({len(source.get('dropped') or {})} left out)"
    return line


def markdown(outcome, source: dict[str, Any]) -> str:
    table = rows(outcome)
    lines = [f"# ftlab survey {outcome.run_id}", "", f"Subjects: {_source_line(source)}.", "",
             f"{len({r['package'] for r in table})} packages on {len(outcome.lanes)} lanes "
             f"({', '.join(f'{ln.name} ({ln.kind})' for ln in outcome.lanes)}).", "", "## Counts", ""]
    for lane, cols in counts(table).items():
        lines.append(f"- **{lane}**: " + "; ".join(
            f"{c}: " + ", ".join(f"{k} {n}" for k, n in vals.items()) for c, vals in cols.items()))
    lines += ["", "## Per package and lane", "", "| package | lane | install | import | GIL | stress | verdict |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['package']} | {r['lane']} | {r['install']} | {r['import']} | {r['gil']} | {r['stress']} | "
              f"{r['verdict']} |" for r in table]
    return "\n".join(lines) + "\n"


def write_survey_report(outcome, source: dict[str, Any], directory: Path | None,
                        history: list[dict[str, Any]] | None = None) -> dict[str, Path]:
    """Markdown, JSON and HTML (with the chart over time when the store holds several surveys)."""
    from ftlab.report import report_dir

    history = history or []
    out = report_dir(directory)
    out.mkdir(parents=True, exist_ok=True)
    md, js, page = ((out / f"ftlab-survey-{outcome.run_id}{ext}").resolve() for ext in (".md", ".json", ".html"))
    for path, text in ((md, markdown(outcome, source)),
                       (js, json.dumps(survey_json(outcome, source, history), indent=2)),
                       (page, html(outcome, source, history))):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return {"survey-md": md, "survey-json": js, "survey-html": page}


def print_survey(outcome, source: dict[str, Any], written: dict[str, Path], file=None) -> None:
    """The counts per lane, on stderr for people (the tables are in the written reports)."""
    file = file or sys.stderr
    table = rows(outcome)
    print(f"survey {outcome.run_id}: {len({r['package'] for r in table})} packages, {_source_line(source)}", file=file)
    for lane, cols in counts(table).items():
        print(f"  {lane}: " + "; ".join(f"{c}: " + ", ".join(f"{k} {n}" for k, n in vals.items())
                                        for c, vals in cols.items()), file=file)
    for kind, path in written.items():
        print(f"{kind} report: {path}", file=file)
