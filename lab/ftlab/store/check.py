"""`ftlab runs --check`: is a store sound? SQLite's own integrity check, then ftlab's rules.

ftlab's rules are what the pipeline guarantees when it writes: every result, signal, lane, subject and
verdict belongs to a run; a signal agrees with its result; a result's job id, lane and subject are its
run's; JSON columns parse; a finished run has a decision and one verdict per subject and lane. A run
that did not finish is not a problem (it can be resumed): it is listed, not counted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ftlab.records import LANE_SUBJECT
from ftlab.store import runlock
from ftlab.store.db import Store

#: (what is wrong, a query returning the id of each offending row)
_RULES: tuple[tuple[str, str], ...] = (
    ("result whose job id does not start with its run id",
     "SELECT job_id FROM results WHERE substr(job_id, 1, length(run_id) + 1) != run_id || '/'"),
    ("result on a lane its run does not have",
     "SELECT job_id FROM results r WHERE NOT EXISTS "
     "(SELECT 1 FROM lanes l WHERE l.run_id = r.run_id AND l.name = r.lane)"),
    ("result for a subject its run does not have",
     "SELECT job_id FROM results r WHERE r.subject != ? AND NOT EXISTS "
     "(SELECT 1 FROM subjects s WHERE s.run_id = r.run_id AND s.name = r.subject)"),
    ("signal that disagrees with its result (run, subject, lane or check)",
     "SELECT s.id FROM signals s JOIN results r ON r.job_id = s.job_id WHERE s.run_id != r.run_id "
     "OR s.subject != r.subject OR s.lane != r.lane OR s.check_name != r.check_name"),
    ("result whose data is not JSON", "SELECT job_id FROM results WHERE NOT json_valid(data)"),
    ("signal whose evidence is not JSON", "SELECT id FROM signals WHERE NOT json_valid(evidence)"),
    ("run whose config is not JSON", "SELECT run_id FROM runs WHERE NOT json_valid(config) OR NOT json_valid(argv)"),
    ("run with an unknown status",
     "SELECT run_id FROM runs WHERE status NOT IN ('running', 'finished', 'interrupted')"),
    ("finished run without a decision",
     "SELECT run_id FROM runs WHERE status = 'finished' AND (decision IS NULL OR finished_at IS NULL)"),
    ("finished run without one verdict per subject and lane",
     "SELECT r.run_id FROM runs r WHERE r.status = 'finished' AND "
     "(SELECT count(*) FROM verdicts v WHERE v.run_id = r.run_id) != "
     "(SELECT count(*) FROM subjects s WHERE s.run_id = r.run_id) * "
     "(SELECT count(*) FROM lanes l WHERE l.run_id = r.run_id)"),
)


@dataclass(frozen=True, kw_only=True)
class StoreCheck:
    store: str
    #: SQLite's `PRAGMA integrity_check` lines; ["ok"] when the file is sound.
    integrity: tuple[str, ...]
    problems: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    #: Runs that can be resumed ("RUN_ID (interrupted)"); not problems.
    unfinished: tuple[str, ...] = ()

    @property
    def damaged(self) -> bool:
        return self.integrity != ("ok",)

    @property
    def sound(self) -> bool:
        return not self.damaged and not self.problems

    def fix(self) -> str:
        """One line: what to do about the first thing wrong."""
        if self.damaged:
            return (f"the file is damaged: copy out what is readable with 'sqlite3 {self.store} .recover | "
                    "sqlite3 NEW.sqlite', or pass --store PATH for a new store")
        return ("these rows were not written by ftlab's pipeline (edited by hand, or a bug): delete them with "
                "sqlite3, or start a new store with --store PATH; a finished run's verdicts are recomputed by "
                "'ftlab run --resume RUN'")

    def to_json(self) -> dict[str, Any]:
        return {"store": self.store, "sound": self.sound, "integrity": list(self.integrity),
                "problems": list(self.problems), "counts": self.counts, "unfinished": list(self.unfinished)}


def check_store(store: Store) -> StoreCheck:
    conn = store.conn
    try:
        integrity = tuple(r[0] for r in conn.execute("PRAGMA integrity_check"))
    except sqlite3.DatabaseError as exc:
        integrity = (f"integrity_check could not run: {exc}",)
    problems: list[str] = []
    counts: dict[str, int] = {}
    try:
        for table in ("runs", "lanes", "subjects", "results", "signals", "verdicts"):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid} points at a missing {parent} row")
        for what, sql in _RULES:
            args = (LANE_SUBJECT.name,) if "?" in sql else ()
            rows = [str(r[0]) for r in conn.execute(sql, args)]
            if rows:
                more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
                problems.append(f"{len(rows)} {what}: {', '.join(rows[:3])}{more}")
        unfinished = tuple(f"{run_id} ({runlock.effective_status(status, art)})"
                           for run_id, status, art in conn.execute(
                               "SELECT run_id, status, artifacts_dir FROM runs WHERE status != 'finished' "
                               "ORDER BY created_at, run_id"))
    except sqlite3.DatabaseError as exc:
        problems.append(f"the store cannot be read through: {exc}")
        unfinished = ()
    return StoreCheck(store=str(store.path), integrity=integrity, problems=tuple(problems), counts=counts,
                      unfinished=unfinished)
