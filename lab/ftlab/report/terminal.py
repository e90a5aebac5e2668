"""Terminal rendering for people (stdout when it is the command's output, rich tables)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ftlab import report, wording
from ftlab.judgement.judge import condensed
from ftlab.records import Lane

VERDICT_STYLE = {
    "crashes": "bold white on red",
    "unsafe": "bold red",
    "gil-fallback": "bold yellow",
    "not-installable": "magenta",
    "not-importable": "magenta",
    "ready": "bold green",
    "untested": "dim",
}
DECISION_STYLE = {"go": "bold green", "no-go": "bold red", "undecided": "bold yellow"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def lane_kind(lane: Lane) -> str:
    """Never calls a GIL build free-threaded: an unavailable lane's kind is what was asked for."""
    return lane.kind_label


def print_lanes(lanes: Sequence[Lane]) -> None:
    table = Table(title="Lanes ftlab can use", title_justify="left")
    for col in ("name", "version", "build", "source", "status"):
        table.add_column(col)
    table.add_column("path", overflow="fold")
    notes = []
    for lane in lanes:
        status = "[green]available[/]"
        if not lane.available:
            notes.append(lane.reason)
            status = f"[red]unavailable[/] [{len(notes)}]"
        build = "[cyan]free-threaded[/]" if lane.gil_disabled else "GIL"
        table.add_row(lane.name, lane.version or "-", build if lane.version else "-", lane.source, status, escape(lane.path))
    con = _console()
    con.print(table)
    for i, note in enumerate(notes, 1):
        con.print(f"[{i}] {escape(note)}", overflow="fold")
    if not any(lane.available and lane.gil_disabled for lane in lanes):
        con.print("[yellow]No free-threaded interpreter found.[/] Get one with 'uv python install 3.14t' "
                  "(or pyenv install 3.14t, or your distro's python3.14t package).")


def print_run(outcome, written: Mapping[str, Path]) -> None:
    con = _console()
    table = Table(title=f"Run {outcome.run_id}", title_justify="left")
    table.add_column("lane")
    table.add_column("build")
    table.add_column("interpreter", overflow="fold")
    notes = []
    for lane in outcome.lanes:
        where = escape(lane.path) if lane.available else "[red]unavailable[/]"
        if lane.reason:
            notes.append(f"{lane.name}: {lane.reason}")
            where += f" [{len(notes)}]"
        table.add_row(lane.name, lane_kind(lane), where)
    con.print(table)
    for i, note in enumerate(notes, 1):
        con.print(f"[{i}] {escape(note)}", overflow="fold")
    if outcome.verdicts:
        matrix = Table(title="Verdicts", title_justify="left")
        matrix.add_column("subject", overflow="fold")
        for lane in outcome.lanes:
            matrix.add_column(f"{lane.name} ({lane.kind if lane.available else 'unavailable'})")
        cells = {(v.subject, v.lane): v for v in outcome.verdicts}
        for subject in dict.fromkeys(v.subject for v in outcome.verdicts):
            row = [escape(subject)]
            for lane in outcome.lanes:
                v = cells.get((subject, lane.name))
                word = v.verdict if v else "untested"
                rests = f" [dim]({escape(', '.join(v.checks))})[/]" if v and v.checks and word != "untested" else ""
                row.append(f"[{VERDICT_STYLE[word]}]{word}[/]{rests}")
            matrix.add_row(*row)
        con.print(matrix)
    groups = outcome.headline
    _print_findings(con, outcome, groups)
    _print_payoff(con, outcome)
    _print_perf_gates(con, outcome)
    # The counts every format shows (ftlab.report's phrases; the JSON report's counts).
    con.print(f"verdicts: {escape('; '.join(report.verdict_phrases(outcome)))}", overflow="fold")
    con.print(f"findings: {escape(report.findings_phrase(outcome))}", overflow="fold")
    d = outcome.decision
    if d.decision == "no-go":
        # The gating reasons are listed just above (new ones, then shared crashes and corruption).
        con.print(f"decision: [{DECISION_STYLE[d.decision]}]NO-GO[/]: {escape(report.reasons_phrase(outcome))}")
    else:
        con.print(f"decision: [{DECISION_STYLE[d.decision]}]{d.decision.upper()}[/]")
        for t in d.triggers[:10]:
            con.print(f"  - {escape(t)}", overflow="fold")
        if len(d.triggers) > 10:
            con.print(f"  ... and {len(d.triggers) - 10} more (see the report)")
    for kind, path in written.items():
        con.print(f"{kind} report: {escape(str(path))}")


#: Findings listed by name in the terminal summary (the reports have every one).
TOP_NEW = 15
#: Races and crashes shared with the GIL lane listed by name under their count.
TOP_SHARED = 5


def _print_findings(con, outcome, groups) -> None:
    """What is new on the free-threaded lane first, then how many findings are shared or information."""
    if not any(groups.values()) and not outcome.untested:
        return
    if groups["new"]:
        lines = outcome.reasons["new"]
        con.print(f"[bold]new on the free-threaded lane:[/] {wording.count(len(lines), 'gating reason')}")
        for f, summary in lines[:TOP_NEW]:
            con.print(f"  [red]![/] {escape(f.where)}: {escape(f.kind)}: {escape(summary)}", overflow="fold")
        if len(lines) > TOP_NEW:
            con.print(f"  ... and {len(lines) - TOP_NEW} more (see the report)")
    elif any(lane.gil_disabled and lane.available for lane in outcome.lanes):
        con.print("[bold]new on the free-threaded lane:[/] nothing")
    if groups["gating"]:
        con.print(f"[bold]also gating (crashes, hangs and corruption on the GIL lane, or shared with it):[/] "
                  f"{wording.count(len(outcome.reasons['gating']), 'gating reason')}")
    for f, summary in outcome.reasons["gating"][:TOP_NEW]:
        con.print(f"  [red]![/] {escape(f.where)}: {escape(f.kind)}: {escape(summary)}", overflow="fold")
    if groups["notes"]:
        con.print(f"[bold]worth knowing on the free-threaded lane (not gating):[/] {len(groups['notes'])}")
    for f in groups["notes"][:TOP_NEW]:
        con.print(f"  [yellow]-[/] {escape(f.where)}: {escape(f.kind)}: {escape(f.summary)}", overflow="fold")
    con.print(f"shared with the GIL lane, not gating: {len(groups['shared'])}; on the GIL lane itself: "
              f"{len(groups['baseline'])}; information (optional dependencies, known findings): {len(groups['info'])}")
    # Races both builds show are no news about 3.14t, but they are bugs for whoever shares the object.
    unsafe = [(f, summary) for f, summary in condensed(groups["shared"]) if f.severity in ("crashes", "unsafe")]
    for f, summary in unsafe[:TOP_SHARED]:
        con.print(f"  [dim]- {escape(f.where)}: {escape(f.kind)}: {escape(summary)}[/]", overflow="fold")
    if len(unsafe) > TOP_SHARED:
        con.print(f"  [dim]... and {len(unsafe) - TOP_SHARED} more races both builds show (see the report)[/]")
    untested = report.untested_lines(outcome)
    if untested:
        con.print(f"[bold]untested:[/] {len(untested)}")
    for line in untested[:TOP_NEW]:
        con.print(f"  [dim]-[/] {escape(line)}", overflow="fold")
    if len(untested) > TOP_NEW:
        con.print(f"  ... and {len(untested) - TOP_NEW} more (see the report)")
    untested = report.not_stress_tested(outcome)
    if untested:
        con.print(f"[dim]not stress-tested (no hand-written probe; the auto-probe found nothing it could call): "
                  f"{escape(', '.join(untested))}: their verdicts rest on install and import[/]", overflow="fold")
    thin = report.thinly_stress_tested(outcome)
    if thin:
        con.print(f"[dim]stress reached under a quarter of the public API: {escape(', '.join(thin))}: "
                  f"their \"stress\" covers that much (the reports say what was dropped and why)[/]", overflow="fold")


#: Payoff rows that missed the SLO listed by name in the terminal (the reports have every one).
TOP_PAYOFF = 8


def _print_payoff(con, outcome) -> None:
    """Does free-threading pay off: the run's verdict, each lane's summary and caveat, the misses."""
    from ftlab.judgement.payoff import overall, run_payoff

    for r in outcome.results:
        plan = r.data.get("workload_plan") if r.check == "perf" else None
        if isinstance(plan, dict) and plan.get("left_out"):
            con.print(f"perf: {escape(r.subject)} on {escape(r.lane)}: {plan.get('timed')} of {plan.get('total')} workloads "
                      f"timed within {plan.get('budget_s'):g} s (--perf-time); left out: "
                      f"{escape(', '.join(plan['left_out']))}", overflow="fold")
    docs = run_payoff(outcome.results)
    if not docs:
        return
    verdict = overall(docs)
    style = {"pays off": "green", "does not pay off": "red", "inconclusive": "yellow"}.get(verdict, "dim")
    con.print(f"payoff (does free-threading pay off?): [{style}]{verdict}[/]")
    for d in docs:
        con.print(f"  {escape(d['subject'])}: {escape(d.get('summary', d.get('verdict', '')))}", overflow="fold")
    for caveat in dict.fromkeys(d["caveat"] for d in docs if d.get("caveat")):
        con.print(f"  [dim]build caveat: {escape(caveat)}[/]", overflow="fold")


def _print_perf_gates(con, outcome) -> None:
    """One line for the perf gates (the upgrade question: lanes of one kind), then each gate that did not
    pass (inconclusive ones are notes)."""
    from ftlab.report import perf_gates

    gates = perf_gates(outcome)
    if not gates:
        return
    tally = {k: sum(g.get("outcome") == k for g in gates) for k in ("regression", "inconclusive", "pass")}
    con.print(f"perf gates (upgrade): {wording.count(tally['regression'], 'regression')}, {tally['inconclusive']} "
              f"inconclusive, {tally['pass']} within budget")
    for g in gates:
        if g.get("outcome") != "pass":
            mark = "[red]![/]" if g["outcome"] == "regression" else "?"
            con.print(f"  {mark} {escape(g['subject'])} on {escape(g['lane'])}: {escape(str(g.get('summary', '')))}",
                      overflow="fold")


def print_runs(records) -> None:
    table = Table(title="Runs", title_justify="left")
    for col in ("run", "started", "status", "decision", "subjects", "lanes"):
        table.add_column(col)
    for r in records:
        decision = r.decision.decision if r.decision else "-"
        style = DECISION_STYLE.get(decision, "")
        table.add_row(r.run_id, time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)), r.status,
                      f"[{style}]{decision}[/]" if style else decision, str(len(r.subjects)),
                      ", ".join(lane.name for lane in r.lanes))
    _console().print(table)
